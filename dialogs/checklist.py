"""The personal checklist: which services and documents apply to a citizen's answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from dialogs.scenario import UNKNOWN, Scenario, Step, next_step
from knowledge.loader import Knowledge
from knowledge.schema import DocumentRequirement, Form, LifeSituation, Service, SituationDocument, When


def holds(when: When | None, answers: dict[str, str]) -> bool | None:
    """True if every condition holds, False if one fails, None if an answer is unknown or missing."""
    result: bool | None = True
    for question, values in (when or {}).items():
        answer = answers.get(question)
        if answer is None or answer == UNKNOWN:
            result = None
        elif answer not in values:
            return False
    return result


@dataclass(frozen=True)
class ChecklistItem:
    id: str  # the document's id in its file
    title: str
    form: Form
    condition: str | None  # shown when the condition could not be decided («не знаю»)
    optional: bool
    services: tuple[str, ...]  # the chosen services it is for; empty when the whole package needs it
    details: str | None = None  # the source's exact wording, shown on demand
    when: When | None = None
    note: str | None = None  # shown whatever the answers


@dataclass(frozen=True)
class Checklist:
    situation: LifeSituation
    services: list[tuple[Service, bool]]  # (service, certain) — uncertain ones depend on «не знаю»
    documents: list[ChecklistItem]

    def signature(self) -> tuple[object, ...]:
        """What the citizen is shown, as comparable data: two answers that give the same signature are alike."""
        return (
            tuple((s.id, certain) for s, certain in self.services),
            tuple((d.title, d.condition, d.services) for d in self.documents),
        )


@lru_cache(maxsize=4096)
def _key(title: str) -> str:
    return title.casefold()


def _item(
    doc: DocumentRequirement | SituationDocument, decided: bool | None, services: tuple[str, ...]
) -> ChecklistItem:
    # A condition known to hold need not be repeated; an undecided one, or one only in words, is shown.
    condition = doc.condition if decided is None or not doc.when else None
    return ChecklistItem(
        doc.id, doc.title, doc.form, condition, doc.optional, services, doc.details, doc.when, doc.note
    )


def build_checklist(kb: Knowledge, situation: LifeSituation, answers: dict[str, str]) -> Checklist:
    """Services whose conditions hold (or are undecided) and their documents, without duplicates."""
    services: list[tuple[Service, bool]] = []
    for ref in situation.services:
        decided = holds(ref.when, answers)
        if decided is not False:
            services.append((kb.services[ref.service], decided is True))
    chosen = [s.id for s, _ in services]
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for doc in situation.documents:
        needed_by = tuple(s for s in chosen if s in doc.services)
        if doc.services and not needed_by:
            continue
        decided = holds(doc.when, answers)
        if decided is not False and _key(doc.title) not in seen:
            seen.add(_key(doc.title))
            items.append(_item(doc, decided, needed_by))
    # A situation's own documents that name a service are that service's list within the package;
    # a service they do not name brings the list of its card.
    curated = {name for doc in situation.documents for name in doc.services}
    for service, _ in services:
        if service.id in curated:
            continue
        for card_doc in service.documents:
            decided = holds(card_doc.when, answers)
            if decided is not False and _key(card_doc.title) not in seen:
                seen.add(_key(card_doc.title))
                items.append(_item(card_doc, decided, (service.id,)))
    return Checklist(situation, services, items)


def needed_so_far(checklist: Checklist, answers: dict[str, str]) -> list[ChecklistItem]:
    """The documents a checklist still being answered needs for certain: for the whole package or for services
    that certainly apply, on no condition left undecided, not optional («а шо з собою нести» mid-way)."""
    certain = {s.id for s, sure in checklist.services if sure}
    return [
        d
        for d in checklist.documents
        if not d.optional and set(d.services) <= certain and (d.when is None or holds(d.when, answers) is True)
        and d.condition is None
    ]


Builder = Callable[[dict[str, str]], Checklist]


def worth_asking(
    kb: Knowledge,
    situation: LifeSituation,
    scenario: Scenario,
    step: Step,
    answers: dict[str, str],
    build: Builder | None = None,
) -> bool:
    """Whether the question of `step` can change anything, given the answers so far: the checklist, the next
    step, or a later branch. A question that changes nothing is not asked (questions not yet asked count as
    undecided, so a question that matters only together with a later one is still asked)."""
    question = kb.questions.get(step.question or "")
    if question is None:
        return True
    qid = question.id
    if any(
        qid in (branch.when or {}) for st in scenario.steps if isinstance(st.next, list) for branch in st.next
    ):
        return True
    outcomes = set()
    for value in [o.value for o in question.options] + ([UNKNOWN] if question.allow_unknown else []):
        given = {**answers, qid: value}
        checklist = build(given) if build else build_checklist(kb, situation, given)
        outcomes.add((next_step(step, given), checklist.signature()))
        if len(outcomes) > 1:
            return True
    return False
