"""Scenarios as data: steps with ids, questions, `next`/`if` branches, info and checklist steps."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from dialogs.messages import MAX_PAYLOAD_BYTES
from dialogs.payloads import Action, pack
from knowledge.loader import Knowledge
from knowledge.schema import Slug, Strict, When

UNKNOWN = "unknown"  # the answer «не знаю»: conditions on it show both variants


class StepKind(StrEnum):
    QUESTION = "question"  # asks a knowledge question; buttons are its options
    INFO = "info"  # says something, then «Далі»
    CHECKLIST = "checklist"  # the personal checklist of the scenario's life situation


class Branch(Strict):
    """Go to `goto` when every condition of `if` holds (no `if`: always)."""

    when: When | None = Field(default=None, alias="if")
    goto: Slug


class Step(Strict):
    id: Slug
    kind: StepKind
    question: Slug | None = None
    text: str | None = None
    next: Slug | list[Branch] | None = None


class Scenario(Strict):
    id: Slug
    situation: Slug  # the life situation whose checklist it builds (for a card's dialog: the service id)
    card: Slug | None = None  # set on the generated dialog of one service card (dialogs/cards.py)
    start: Slug
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


def next_step(step: Step, answers: dict[str, str]) -> str | None:
    """The id of the step after `step` given the answers so far; «не знаю» matches no `if`."""
    if step.next is None or isinstance(step.next, str):
        return step.next
    for branch in step.next:
        if branch.when is None or all(answers.get(q) in values for q, values in branch.when.items()):
            return branch.goto
    return None


def load_scenarios(root: Traversable | Path | None = None) -> dict[str, Scenario]:
    """All scenarios shipped in dialogs/scenarios; raises ValueError listing every problem."""
    folder = root if root is not None else resources.files("dialogs") / "scenarios"
    out: dict[str, Scenario] = {}
    problems: list[str] = []
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".yaml"):
            continue
        try:
            scenario = Scenario.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")))
        except (ValidationError, yaml.YAMLError) as exc:
            problems.append(f"scenarios/{file.name}: {exc}")
            continue
        if scenario.id in out:
            problems.append(f"scenarios/{file.name}: duplicate scenario id {scenario.id}")
        out[scenario.id] = scenario
    if problems:
        raise ValueError("\n".join(problems))
    return out


def check_scenarios(scenarios: dict[str, Scenario], kb: Knowledge) -> list[str]:
    """Cross-checks: steps and gotos exist, questions exist, payloads fit, every step is reachable."""
    problems: list[str] = []
    for situation in kb.situations:
        if situation not in {s.situation for s in scenarios.values() if s.card is None}:
            problems.append(f"life situation '{situation}' has no scenario")
    for sc in scenarios.values():
        where = f"scenarios/{sc.id}"
        ids = [s.id for s in sc.steps]
        if len(ids) != len(set(ids)):
            problems.append(f"{where}: duplicate step ids")
        if sc.card is None and sc.situation not in kb.situations:
            problems.append(f"{where}: unknown life situation '{sc.situation}'")
        if sc.card is not None and sc.card not in kb.services:
            problems.append(f"{where}: unknown service card '{sc.card}'")
        if sc.start not in ids:
            problems.append(f"{where}: start step '{sc.start}' does not exist")
        asked = {s.question for s in sc.steps if s.question}
        problems += [
            f"{where}: asks '{q}', but no answer to it changes the checklist or the path"
            for q in sorted(asked - _deciding_questions(sc, kb))
            if sc.card is None  # a card's questions are those its documents' conditions use
        ]
        for step in sc.steps:
            problems += _check_step(sc, step, ids, asked, kb, f"{where}: step '{step.id}'")
        problems += [f"{where}: step '{s}' is unreachable" for s in set(ids) - _reachable(sc)]
    return problems


def _check_step(
    sc: Scenario, step: Step, ids: list[str], asked: set[str], kb: Knowledge, where: str
) -> list[str]:
    problems = []
    targets = [step.next] if isinstance(step.next, str) else [b.goto for b in step.next or []]
    problems += [f"{where}: goes to unknown step '{t}'" for t in targets if t not in ids]
    for branch in step.next if isinstance(step.next, list) else []:
        problems += [
            f"{where}: branch on '{q}', never asked here" for q in branch.when or {} if q not in asked
        ]
    if step.kind == StepKind.QUESTION:
        question = kb.questions.get(step.question or "")
        if question is None:
            problems.append(f"{where}: unknown question '{step.question}'")
        else:
            for value in [o.value for o in question.options] + [UNKNOWN]:
                if len(pack(Action.ANSWER, sc.id, step.id, value).encode()) > MAX_PAYLOAD_BYTES:
                    problems.append(
                        f"{where}: answer payload for '{value}' is over {MAX_PAYLOAD_BYTES} bytes"
                    )
    if step.kind in (StepKind.QUESTION, StepKind.INFO) and step.next is None:
        problems.append(f"{where}: a {step.kind} step needs `next`")
    if step.kind == StepKind.INFO and not step.text:
        problems.append(f"{where}: an info step needs `text`")
    return problems


def _deciding_questions(sc: Scenario, kb: Knowledge) -> set[str]:
    """Questions some condition of the scenario's situation, its services' documents or its branches uses."""
    situation = kb.situations.get(sc.situation)
    if situation is None:
        return set()
    conditions = [r.when for r in situation.services] + [d.when for d in situation.documents]
    conditions += [
        d.when
        for r in situation.services
        if r.service in kb.services
        for d in kb.services[r.service].documents
    ]
    conditions += [b.when for st in sc.steps if isinstance(st.next, list) for b in st.next]
    return {q for when in conditions if when for q in when}


def _reachable(sc: Scenario) -> set[str]:
    seen: set[str] = set()
    todo = [sc.start]
    while todo:
        step = sc.step(todo.pop())
        if step is None or step.id in seen:
            continue
        seen.add(step.id)
        todo += [step.next] if isinstance(step.next, str) else [b.goto for b in step.next or []]
    return seen
