"""The personal checklist: which services and documents apply to a citizen's answers."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.scenario import UNKNOWN
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
    title: str
    form: Form
    condition: str | None  # shown when the condition could not be decided («не знаю»)
    optional: bool
    service: str | None  # the service the document is for, None when the package shares it


@dataclass(frozen=True)
class Checklist:
    situation: LifeSituation
    services: list[tuple[Service, bool]]  # (service, certain) — uncertain ones depend on «не знаю»
    documents: list[ChecklistItem]


def _item(
    doc: DocumentRequirement | SituationDocument, decided: bool | None, service: str | None
) -> ChecklistItem:
    # A condition known to hold need not be repeated; an undecided one, or one only in words, is shown.
    condition = doc.condition if decided is None or not doc.when else None
    return ChecklistItem(doc.title, doc.form, condition, doc.optional, service)


def build_checklist(kb: Knowledge, situation: LifeSituation, answers: dict[str, str]) -> Checklist:
    """Services whose conditions hold (or are undecided) and their documents, without duplicates."""
    services: list[tuple[Service, bool]] = []
    for ref in situation.services:
        decided = holds(ref.when, answers)
        if decided is not False:
            services.append((kb.services[ref.service], decided is True))
    chosen = {s.id for s, _ in services}
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for doc in situation.documents:
        if doc.services and not set(doc.services) & chosen:
            continue
        decided = holds(doc.when, answers)
        if decided is not False and doc.title.casefold() not in seen:
            seen.add(doc.title.casefold())
            items.append(_item(doc, decided, None))
    # A situation's own documents that name a service are that service's list within the package;
    # a service they do not name brings the list of its card.
    curated = {name for doc in situation.documents for name in doc.services}
    for service, _ in services:
        if service.id in curated:
            continue
        for card_doc in service.documents:
            decided = holds(card_doc.when, answers)
            if decided is not False and card_doc.title.casefold() not in seen:
                seen.add(card_doc.title.casefold())
                items.append(_item(card_doc, decided, service.id))
    return Checklist(situation, services, items)
