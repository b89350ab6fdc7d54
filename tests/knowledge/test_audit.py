"""Audit of the knowledge base against the seeds and the checklist rules (issue 9).

Each test names one promise: checklists read as short lines, conditions a citizen can answer are structured,
editors' remarks stay out of what citizens see, every service sits in one menu group, offices carry dated
sources, and the known slips of the sources are kept and explained.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from knowledge import Knowledge
from knowledge.schema import Certainty

MAX_TITLE = 70  # one line on a 390 px phone screen, roughly
EDITOR_PHRASES = ("картка не вказує", "окремої умови", "випливає з назви", "у картці")


def _documents(kb: Knowledge):  # type: ignore[no-untyped-def]
    for service in kb.services.values():
        for doc in service.documents:
            yield service, doc


def test_document_titles_are_short(kb: Knowledge) -> None:
    long = [f"{s.id}:{d.id} ({len(d.title)})" for s, d in _documents(kb) if len(d.title) > MAX_TITLE]
    assert long == []


def test_conditions_hold_no_editors_remarks(kb: Knowledge) -> None:
    leaked = [
        f"{s.id}:{d.id}"
        for s, d in _documents(kb)
        if d.condition and any(p in d.condition.casefold() for p in EDITOR_PHRASES)
    ]
    assert leaked == []


def test_no_item_written_twice(kb: Knowledge) -> None:
    for service in kb.services.values():
        titles = [d.title.casefold() for d in service.documents]
        assert len(titles) == len(set(titles)), service.id
        # the title is not the card's wording repeated; the exact wording lives in `details`
        repeated = [
            d.id
            for d in service.documents
            if d.details and len(d.details) > MAX_TITLE and d.title == d.details
        ]
        assert repeated == [], service.id


def test_every_service_asks_a_few_questions_its_documents_use(kb: Knowledge) -> None:
    for service in kb.services.values():
        used = {q for d in service.documents for q in (d.when or {})}
        assert set(service.questions) <= used, service.id
        assert len(service.questions) == len(set(service.questions)), service.id
        # a card's dialog stays short; documents on other questions are shown with their condition in words
        assert len(service.questions) <= min(6, len(used)), service.id
        assert service.questions or not used, service.id


def test_every_question_used_by_a_when_has_topics(kb: Knowledge) -> None:
    used = {q for _, d in _documents(kb) for q in (d.when or {})}
    assert used, "no structured condition at all"
    assert sorted(q for q in used if not kb.questions[q].topics) == []


def test_a_condition_that_names_an_asked_question_uses_it(kb: Knowledge) -> None:
    # In a card's own dialog every question of `questions` may be asked; a document whose condition mentions
    # the topic of one of them must depend on it, or it could contradict the citizen's answer.
    clashes = [
        f"{s.id}:{d.id} ignores {q}"
        for s, d in _documents(kb)
        if d.condition
        for q in s.questions
        if any(t in d.condition.casefold() for t in kb.questions[q].topics) and q not in (d.when or {})
    ]
    assert clashes == []


def test_survey_acts_of_41_23_depend_on_separate_addresses(kb: Knowledge) -> None:
    service = kb.service_by_card("41-23")
    assert service is not None
    acts = next(d for d in service.documents if d.id == "living-conditions-acts")
    assert acts.when is not None
    (question,) = acts.when
    assert acts.when[question] == ["yes"]
    assert "різними адрес" in kb.questions[question].text.casefold()
    assert question in service.questions


def test_menu_groups_cover_every_service_once_and_fit_a_phone(kb: Knowledge) -> None:
    groups = kb.contacts.groups
    assert 5 <= len(groups) <= 7
    listed = [sid for g in groups for sid in g.services]
    assert sorted(listed) == sorted(kb.services)
    assert all(len(g.services) <= 8 for g in groups)
    assert all(len(g.title) <= 30 and not g.title[0].isalnum() for g in groups)  # a leading emoji


def test_main_office_has_an_address_and_a_dated_public_source(kb: Knowledge) -> None:
    (main,) = [o for o in kb.contacts.offices if o.main]
    assert main.address and main.map_query and main.map_query.startswith("Кривий Ріг, ")
    assert main.short_name
    assert main.source.url and main.source.url.startswith("https://kr.gov.ua/")
    assert main.source.as_of == dt.date(2018, 11, 9)  # the page's own date, not the day it was read
    assert main.source.certainty in (Certainty.PUBLIC, Certainty.UNCERTAIN)
    # no hours were found in a source: none are invented, and citizens are told where to ask
    assert main.schedules == []
    assert any("0 800 500 459" in note for note in main.notes)


def test_ya_veteran_office_is_listed_with_its_source(kb: Knowledge) -> None:
    office = next(o for o in kb.contacts.offices if o.id == "ya-veteran")
    assert office.source.url and office.source.as_of == dt.date(2025, 12, 22)
    assert any("0 800 500 459" in note for note in office.notes)
    assert "saksahan-uszn" in {o.id for o in kb.contacts.offices}


@pytest.mark.parametrize(
    ("card", "where", "needle"),
    [
        ("41-116", "tech", "27 робочих"),  # stages add up to more than the 30 calendar days
        ("41-116", "info", "097-82-88-175"),  # its own three phones
        ("41-116", "info", "12.05.1994"),
        ("41-06", "info", "12.05.1993"),
        ("41-139", "info", "097-82-17-175"),
    ],
)
def test_known_slips_are_kept_and_explained(kb: Knowledge, card: str, where: str, needle: str) -> None:
    service = kb.service_by_card(card)
    assert service is not None
    source = service.tech_card.source if where == "tech" and service.tech_card else service.source
    assert source.note and needle in source.note


def test_slips_stay_as_the_source_wrote_them(kb: Knowledge) -> None:
    waiver, replacement = kb.service_by_card("41-06"), kb.service_by_card("41-116")
    assert waiver is not None and replacement is not None
    assert any("12.05.1993" in a.title for a in waiver.legal_acts)
    assert any("12.05.1994" in a.title for a in replacement.legal_acts)
    assert replacement.tech_card is not None
    assert [s.deadline for s in replacement.tech_card.stages if s.no == 4] == ["27 робочих днів"]
    assert replacement.term is not None and replacement.term.value == 30


def test_no_unsourced_validity_of_criminal_record_certificate(kb: Knowledge) -> None:
    # «довідка про несудимість дійсна 5 днів» has no official source: citizens must never see it
    # (an editor's note may say why it was dropped).
    root = Path(str(resources.files("knowledge") / "data"))
    for path in root.rglob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not ("5 днів" in line and "несудим" in line), f"{path.name}: {line.strip()}"
    for service, doc in _documents(kb):
        shown = " ".join(x for x in (doc.title, doc.details, doc.condition) if x)
        assert "5 днів" not in shown or "несудим" not in doc.title.casefold(), f"{service.id}:{doc.id}"
