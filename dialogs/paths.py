"""Every path of every scenario, walked as the engine walks it, and the checklist rules proved on each.

Rules (each a problem for `python -m dialogs check`):
- a document shown at the end of a path has a `when` that the path's answers contradict;
- a document shown on a path has a `condition` that mentions a topic of a question asked on that path (with a
  real answer), while its `when` ignores that question — it could contradict the answer;
- a question asked on a path changes nothing: whatever the citizen answers there, the same checklists follow.
"""

from __future__ import annotations

from dialogs.cards import packages, with_cards
from dialogs.checklist import Checklist, build_checklist, worth_asking
from dialogs.scenario import UNKNOWN, Scenario, StepKind, check_scenarios, next_step
from knowledge.loader import Knowledge
from knowledge.schema import LifeSituation, When

MAX_PATHS = 200_000  # a scenario with more paths than this is too long for a citizen anyway


class TooManyPaths(Exception):
    pass


def _contradicts(when: When | None, answers: dict[str, str]) -> str | None:
    """The question whose real answer the condition rules out (evaluated here on its own, not by the builder)."""
    for qid, values in (when or {}).items():
        answer = answers.get(qid)
        if answer not in (None, UNKNOWN) and answer not in values:
            return qid
    return None


def check_paths(kb: Knowledge, situation: LifeSituation, sc: Scenario) -> list[str]:
    """Problems found on the paths of one scenario (each kind reported once per document or question)."""
    where = f"scenarios/{sc.id}"
    problems: dict[str, str] = {}
    count = 0
    built: dict[frozenset[tuple[str, str]], Checklist] = {}
    topics: dict[tuple[str, str], str | None] = {}

    def build(answers: dict[str, str]) -> Checklist:
        key = frozenset(answers.items())
        if key not in built:
            built[key] = build_checklist(kb, situation, answers)
        return built[key]

    def end(asked: tuple[tuple[str, str], ...], checklist: Checklist | None) -> frozenset[object]:
        nonlocal count
        count += 1
        if count > MAX_PATHS:
            raise TooManyPaths
        if checklist is None:
            return frozenset({"no checklist"})
        _check_documents(kb, where, asked, checklist, problems, topics)
        return frozenset({checklist.signature()})

    def go(step_id: str | None, asked: tuple[tuple[str, str], ...], depth: int) -> frozenset[object]:
        """The checklists reachable from here; a question whose answers all reach the same ones is useless."""
        answers = dict(asked)
        step = sc.step(step_id) if step_id else None
        if step is None or depth > len(sc.steps):
            return end(asked, None)
        if step.kind == StepKind.CHECKLIST:
            return end(asked, build(answers))
        if step.kind == StepKind.QUESTION and step.question in kb.questions:
            if not worth_asking(kb, situation, sc, step, answers, build):
                return go(next_step(step, answers), asked, depth + 1)
            question = kb.questions[step.question]
            values = [o.value for o in question.options] + ([UNKNOWN] if question.allow_unknown else [])
            branches = []
            for value in values:
                given = (*asked, (question.id, value))
                branches.append(go(next_step(step, dict(given)), given, depth + 1))
            if len(set(branches)) == 1:
                problems[f"useless:{question.id}"] = (
                    f"{where}: question '{question.id}' changes nothing after {_show_asked(asked)}"
                )
            return frozenset().union(*branches)
        return go(next_step(step, answers), asked, depth + 1)

    try:
        go(sc.start, (), 0)
    except TooManyPaths:
        return [f"{where}: more than {MAX_PATHS} paths; split the scenario"]
    return list(problems.values())


def _check_documents(
    kb: Knowledge,
    where: str,
    asked: tuple[tuple[str, str], ...],
    checklist: Checklist,
    problems: dict[str, str],
    topics: dict[tuple[str, str], str | None],
) -> None:
    answers = dict(asked)
    for doc in checklist.documents:
        if (qid := _contradicts(doc.when, answers)) is not None:
            problems[f"shown:{doc.id}:{qid}"] = (
                f"{where}: document '{doc.id}' is shown although the answer to '{qid}' rules it out "
                f"(path {_show_asked(asked)})"
            )
        if not doc.condition:
            continue
        for qid, value in asked:
            if value == UNKNOWN or qid in (doc.when or {}):
                continue
            if (doc.condition, qid) not in topics:
                text = doc.condition.casefold()
                topics[doc.condition, qid] = next(
                    (t for t in kb.questions[qid].topics if t.casefold() in text), None
                )
            topic = topics[doc.condition, qid]
            if topic is not None and f"topic:{doc.id}:{qid}" not in problems:
                problems[f"topic:{doc.id}:{qid}"] = (
                    f"{where}: document '{doc.id}' has the condition «{doc.condition}», which is about "
                    f"«{topic}» of question '{qid}', but its `when` ignores that question "
                    f"(path {_show_asked(asked)})"
                )


def _show_asked(asked: tuple[tuple[str, str], ...]) -> str:
    return " → ".join(f"{q}={a}" for q, a in asked) or "the start"


def check_all(scenarios: dict[str, Scenario], kb: Knowledge, *, paths: bool = True) -> list[str]:
    """The scenario files, the generated card dialogs, and (with `paths`) the rules on every path of each."""
    everything = with_cards(kb, scenarios)
    problems = check_scenarios(everything, kb)
    if paths:
        for sc_id, situation in packages(kb, everything).items():
            problems += check_paths(kb, situation, everything[sc_id])
    return problems
