"""Key facts of the seed cards, read by hand from the source decisions and pinned here."""

from __future__ import annotations

import pytest

from knowledge import Knowledge
from knowledge.schema import Certainty, TermUnit

# card -> (service id, term value, term unit); every one of the eight cards is free of charge.
CARDS = {
    "41-93": ("kartka-kryvorizhtsia", 1, TermUnit.WORKING_DAYS),
    "41-06": ("war-disability-status-waiver", 10, TermUnit.CALENDAR_DAYS),
    "41-11": ("idp-living-allowance", 15, TermUnit.WORKING_DAYS),
    "41-75": ("municipal-nanny", 13, TermUnit.WORKING_DAYS),
    "41-23": ("guardian-submission", 30, TermUnit.CALENDAR_DAYS),
    "41-72": ("rehabilitation-referral", 3, TermUnit.WORKING_DAYS),
    "41-116": ("veteran-id-replacement", 30, TermUnit.CALENDAR_DAYS),
    "41-139": ("care-fact-act", 30, TermUnit.WORKING_DAYS),
}
TECH_CARDS = {"41-23", "41-72", "41-116", "41-139"}


def test_all_eight_cards_are_present(kb: Knowledge) -> None:
    assert {s.card for s in kb.services.values() if s.card} == set(CARDS)


@pytest.mark.parametrize("card", sorted(CARDS))
def test_term_with_its_unit_and_fee(kb: Knowledge, card: str) -> None:
    service_id, value, unit = CARDS[card]
    service = kb.service_by_card(card)
    assert service is not None and service.id == service_id
    assert service.term is not None and (service.term.value, service.term.unit) == (value, unit)
    assert service.fee is not None and service.fee.free and service.fee.amount_uah is None
    assert service.source.certainty == Certainty.OFFICIAL
    assert service.offices == ["saksahan-uszn"]


@pytest.mark.parametrize("card", sorted(CARDS))
def test_technological_cards(kb: Knowledge, card: str) -> None:
    service = kb.service_by_card(card)
    assert service is not None
    if card in TECH_CARDS:
        assert service.tech_card is not None and service.tech_card.card == card
        assert len(service.tech_card.stages) >= 3
        assert [s.no for s in service.tech_card.stages] == sorted(s.no for s in service.tech_card.stages)
    else:
        assert service.tech_card is None


def test_renamed_street_keeps_its_old_name(kb: Knowledge) -> None:
    office = next(o for o in kb.contacts.offices if o.id == "saksahan-uszn")
    assert office.address is not None and "Богослова" in office.address
    assert any("Перовської" in alias for alias in office.address_aliases)


def test_martial_law_hours(kb: Knowledge) -> None:
    office = next(o for o in kb.contacts.offices if o.id == "saksahan-uszn")
    martial = next(s for s in office.schedules if s.regime == "martial_law")
    (hours,) = martial.hours
    assert [d.value for d in hours.days] == ["mon", "tue", "wed", "thu", "fri"]
    assert (hours.open.start.isoformat("minutes"), hours.open.end.isoformat("minutes")) == ("08:00", "16:30")
    assert [(b.start.isoformat("minutes"), b.end.isoformat("minutes")) for b in hours.breaks] == [
        ("12:30", "13:00")
    ]


def test_hotlines(kb: Knowledge) -> None:
    phones = {h.id: h.phone for h in kb.contacts.hotlines}
    assert phones == {"visa": "0 800 500 459", "ternivka-uszn": "0800 300 177"}


def test_direct_phone_days_are_not_the_hotline(kb: Knowledge) -> None:
    # The 2021 Тернівка decision lists the monthly «Дні прямого телефону» as a measure of its own.
    hotline = next(h for h in kb.contacts.hotlines if h.id == "ternivka-uszn")
    assert "прямого телефону" not in hotline.description
    days = next(s for s in kb.contacts.services if s.id == "direct-phone-days")
    assert "щомісяця" in days.description.casefold()


# card -> (documents in field 9, of them conditional): counted by hand from the source, one entry per item
# of the card's list (items that join two documents with «/» for different people are two entries).
# Conditional: the card ties the item to a case («для пенсіонерів», «якщо … за різними адресами») or to its
# availability («за наявності»). 41-23 has 12: its survey acts apply only when the addresses differ.
DOCUMENT_COUNTS = {
    "41-93": (5, 3),
    "41-06": (4, 2),
    "41-11": (22, 18),
    "41-75": (16, 11),
    "41-23": (21, 12),
    "41-72": (11, 8),
    "41-116": (8, 5),
    "41-139": (1, 0),
}


@pytest.mark.parametrize("card", sorted(DOCUMENT_COUNTS))
def test_document_list_size(kb: Knowledge, card: str) -> None:
    service = kb.service_by_card(card)
    assert service is not None
    conditional = [d for d in service.documents if d.condition or d.when or d.optional]
    assert (len(service.documents), len(conditional)) == DOCUMENT_COUNTS[card]
