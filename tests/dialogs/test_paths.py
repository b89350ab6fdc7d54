"""`python -m dialogs check` walks every path and proves the checklist rules; each rule is shown to bite."""

from __future__ import annotations

import dataclasses

import pytest

from dialogs import paths
from dialogs.cards import packages, with_cards
from dialogs.checklist import build_checklist, holds, worth_asking
from dialogs.paths import check_all, check_paths
from dialogs.scenario import UNKNOWN, Scenario, load_scenarios
from knowledge import Knowledge

SCENARIOS = load_scenarios()


def _birth(kb: Knowledge) -> tuple[Scenario, object]:
    sc = SCENARIOS["birth"]
    return sc, kb.situations[sc.situation]


def test_every_path_of_every_scenario_and_card_holds_the_rules(kb: Knowledge) -> None:
    assert check_all(SCENARIOS, kb) == []


def test_every_service_card_is_a_dialog_of_its_own(kb: Knowledge) -> None:
    everything = with_cards(kb, SCENARIOS)
    for service in kb.services.values():
        sc = everything[f"k-{service.id}"]
        assert sc.card == service.id and sc.steps[-1].kind == "checklist"
    assert set(packages(kb, everything)) == set(everything)


def test_a_condition_that_ignores_an_asked_question_is_reported(kb: Knowledge) -> None:
    sc, _ = _birth(kb)
    docs = [
        d.model_copy(update={"when": None}) if d.id == "paternity-joint-application" else d
        for d in kb.situations["birth"].documents
    ]
    broken = kb.situations["birth"].model_copy(update={"documents": docs})
    problems = check_paths(kb, broken, sc)
    assert any("paternity-joint-application" in p and "sa_birth_married" in p for p in problems), problems


def test_a_builder_that_shows_ruled_out_documents_is_caught(
    kb: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, situation = _birth(kb)

    def ignores_conditions(kb: Knowledge, situation: object, answers: dict[str, str]) -> object:
        full = build_checklist(kb, situation, {})  # type: ignore[arg-type]
        return dataclasses.replace(
            full, documents=[dataclasses.replace(d, condition=None) for d in full.documents]
        )

    monkeypatch.setattr(paths, "build_checklist", ignores_conditions)
    problems = check_paths(kb, situation, sc)  # type: ignore[arg-type]
    assert any("is shown although the answer to 'sa_birth_married' rules it out" in p for p in problems), (
        problems
    )


def test_a_question_that_changes_nothing_is_reported(kb: Knowledge, monkeypatch: pytest.MonkeyPatch) -> None:
    sc, situation = _birth(kb)
    steps = [s.model_copy(update={"next": "q2"}) if s.id == "q1" else s for s in sc.steps]
    straight = sc.model_copy(update={"steps": steps})  # every parent asked whether both come
    monkeypatch.setattr(paths, "worth_asking", lambda *args: True)  # as if the engine asked everything
    problems = check_paths(kb, situation, straight)  # type: ignore[arg-type]
    assert any(
        "question 'sa_birth_both_parents' changes nothing after sa_birth_married=married_same" in p
        for p in problems
    ), problems


def test_a_question_is_asked_only_when_it_changes_the_list(kb: Knowledge) -> None:
    sc, situation = _birth(kb)
    both = sc.step("q2")
    assert both is not None
    assert not worth_asking(kb, situation, sc, both, {"sa_birth_married": "married_same"})  # type: ignore[arg-type]
    assert worth_asking(kb, situation, sc, both, {"sa_birth_married": "not_married"})  # type: ignore[arg-type]
    assert worth_asking(kb, situation, sc, both, {"sa_birth_married": UNKNOWN})  # type: ignore[arg-type]


def test_a_condition_is_shown_only_while_undecided(kb: Knowledge) -> None:
    situation = kb.situations["birth"]
    title = "paternity-joint-application"
    known = build_checklist(kb, situation, {"sa_birth_married": "not_married", "sa_birth_father": "yes"})
    unknown = build_checklist(kb, situation, {"sa_birth_married": UNKNOWN})
    ruled_out = build_checklist(kb, situation, {"sa_birth_married": "married_same"})
    assert [d.condition for d in known.documents if d.id == title] == [None]
    assert [d.condition is not None for d in unknown.documents if d.id == title] == [True]
    assert title not in [d.id for d in ruled_out.documents]


@pytest.mark.parametrize(
    ("when", "answers", "expected"),
    [
        ({"q": ["a"]}, {"q": "a"}, True),
        ({"q": ["a"]}, {"q": "b"}, False),
        ({"q": ["a"]}, {"q": UNKNOWN}, None),
        ({"q": ["a"]}, {}, None),
        ({"q": ["a"], "r": ["x"]}, {"q": UNKNOWN, "r": "y"}, False),
        (None, {}, True),
    ],
)
def test_holds(when: dict[str, list[str]] | None, answers: dict[str, str], expected: bool | None) -> None:
    assert holds(when, answers) is expected
