"""Every service card as a short dialog of its own: the questions its documents depend on, then the checklist.

A card's dialog is an ordinary scenario, generated from the data, so the engine, the checklist and
`python -m dialogs check` treat it exactly like a life situation's.
"""

from __future__ import annotations

from dialogs.scenario import Scenario, Step, StepKind
from knowledge.loader import Knowledge
from knowledge.schema import LifeSituation, Service, SituationService

PREFIX = "k-"  # scenario ids of card dialogs: k-<service id>; short, so answer payloads fit 64 bytes


def card_questions(service: Service) -> list[str]:
    """The card's questions in order: its declared list, else in the order its documents first use them."""
    if service.questions:
        return list(service.questions)
    seen: list[str] = []
    for doc in service.documents:
        seen += [q for q in doc.when or {} if q not in seen]
    return seen


def card_scenario(service: Service) -> Scenario:
    """The dialog of one card: q1 → q2 → … → the checklist (questions that change nothing are skipped)."""
    questions = card_questions(service)
    steps = [
        Step(
            id=f"q{i}", kind=StepKind.QUESTION, question=q, next=f"q{i + 1}" if i < len(questions) else "done"
        )
        for i, q in enumerate(questions, start=1)
    ]
    steps.append(Step(id="done", kind=StepKind.CHECKLIST))
    return Scenario(
        id=PREFIX + service.id, situation=service.id, card=service.id, start=steps[0].id, steps=steps
    )


def card_package(service: Service) -> LifeSituation:
    """The card seen as a package of one service, so the checklist builder serves both."""
    return LifeSituation(
        id=service.id,
        title=service.short_title,
        summary=service.summary,
        questions=card_questions(service),
        services=[SituationService(service=service.id)],
        sources=[service.source],
    )


def with_cards(kb: Knowledge, scenarios: dict[str, Scenario]) -> dict[str, Scenario]:
    """The scenarios of the life situations plus one generated dialog per service card."""
    out = dict(scenarios)
    for service in kb.services.values():
        out[PREFIX + service.id] = card_scenario(service)
    return out


def packages(kb: Knowledge, scenarios: dict[str, Scenario]) -> dict[str, LifeSituation]:
    """What each scenario's checklist is built from, by scenario id."""
    out: dict[str, LifeSituation] = {}
    for sc in scenarios.values():
        if sc.card is not None and sc.card in kb.services:
            out[sc.id] = card_package(kb.services[sc.card])
        elif sc.situation in kb.situations:
            out[sc.id] = kb.situations[sc.situation]
    return out
