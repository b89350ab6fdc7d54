"""Audit of the knowledge base against the seeds and the checklist rules (issue 9).

Each test names one promise: checklists read as short lines, conditions a citizen can answer are structured,
editors' remarks stay out of what citizens see, every service sits in one menu group, offices carry dated
sources, and the known slips of the sources are kept and explained.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from knowledge import Knowledge
from knowledge.schema import Certainty, DocumentRequirement, SituationDocument

MAX_TITLE = 70  # one line on a 390 px phone screen, roughly
EDITOR_PHRASES = ("картка не вказує", "окремої умови", "випливає з назви", "у картці")
HIDDEN_KEYS = {"editor_note", "source", "sources"}  # never shown to citizens


def _documents(kb: Knowledge):  # type: ignore[no-untyped-def]
    for service in kb.services.values():
        for doc in service.documents:
            yield service, doc


def _all_documents(kb: Knowledge) -> list[tuple[str, DocumentRequirement | SituationDocument]]:
    """Every document a citizen may see: the services' own and the life situations' curated ones."""
    docs: list[tuple[str, DocumentRequirement | SituationDocument]] = [
        (f"service {s.id}", d) for s, d in _documents(kb)
    ]
    docs += [(f"situation {sit.id}", d) for sit in kb.situations.values() for d in sit.documents]
    return docs


def test_document_titles_are_short(kb: Knowledge) -> None:
    docs = _all_documents(kb)
    assert any(where.startswith("situation") for where, _ in docs), "situation documents are not audited"
    long = [f"{where}:{d.id} ({len(d.title)})" for where, d in docs if len(d.title) > MAX_TITLE]
    assert long == []


def test_conditions_hold_no_editors_remarks(kb: Knowledge) -> None:
    # what citizens see (title, condition, note) never carries an editor's remark
    leaked = [
        f"{where}:{d.id}"
        for where, d in _all_documents(kb)
        for text in (d.title, d.condition, d.note)
        if text and any(p in text.casefold() for p in EDITOR_PHRASES)
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
    # Whole texts, not lines: a folded YAML string may put the two words on different lines. Editors' notes
    # and sources are not shown to citizens and may name the claim to say why it was dropped.
    root = Path(str(resources.files("knowledge") / "data"))
    for path in root.rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        claims = [text for text in _shown_texts(data) if _validity_claim(text)]
        assert claims == [], path.name
    for where, doc in _all_documents(kb):
        shown = " ".join(x for x in (doc.title, doc.details, doc.condition, doc.note) if x)
        assert not ("5 днів" in shown and "несудим" in shown.casefold()), f"{where}:{doc.id}"


def _shown_texts(node: object, key: str | None = None) -> list[str]:
    """Every string of a data file that a citizen may see, each whole (not split into lines)."""
    if key in HIDDEN_KEYS:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in _shown_texts(v, str(k))]
    if isinstance(node, list):
        return [t for v in node for t in _shown_texts(v, key)]
    return []


def _validity_claim(text: str) -> bool:
    """«несудимість … 5 днів» in one text, in either order, whatever the line breaks."""
    flat = " ".join(text.casefold().split())
    return bool(re.search(r"несудим.*?5\s*(?:днів|дн\.)|5\s*(?:днів|дн\.).*?несудим", flat))


def test_validity_check_sees_a_claim_split_across_lines() -> None:
    folded = yaml.safe_load("details: >-\n  Довідка про\n  несудимість дійсна\n  5 днів\n")
    assert _shown_texts(folded) == ["Довідка про несудимість дійсна 5 днів"]
    assert _validity_claim(_shown_texts(folded)[0])
    assert _validity_claim("Довідка про несудимість.\nДійсна\n5 днів")
    assert not _validity_claim("довідка про несудимість (актуальна на момент написання заяви)")
    hidden = {
        "title": "Довідка про несудимість",
        "editor_note": "сторінка каже «дійсна 5 днів» — без джерела",
    }
    assert not any(_validity_claim(t) for t in _shown_texts(hidden))
