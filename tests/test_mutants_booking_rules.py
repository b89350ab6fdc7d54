"""Booking rules: the cases the mutation benchmark (docs/MUTATION.md) found untested — a card's own office order,
an office without hours for the regime in force, the slot's resource, the lead time's exact edge, priority
citizens over the horizon, and Kyiv dates whatever the host's time zone."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogs.booking import rules
from dialogs.booking.rules import Resource, availability, day_slots, horizon, offices_for
from dialogs.calendar import WorkCalendar
from knowledge import Knowledge
from knowledge.booking_schema import BookingData
from knowledge.schema import Regime

KYIV = ZoneInfo("Europe/Kyiv")
UTC = dt.UTC
D = dt.date
MARTIAL = WorkCalendar(holidays_are_days_off=False)
SAKS = Resource("saksahan-uszn", "social")
MONDAY = D(2026, 12, 7)


@pytest.fixture(scope="module")
def data(kb: Knowledge) -> BookingData:
    assert kb.booking is not None
    return kb.booking


@pytest.fixture(autouse=True)
def _cold_grids() -> None:
    """Each test builds its slot grids itself, so it exercises (and the mutation benchmark ties it to) the code
    that builds them, not an earlier test's memo."""
    rules.clear_cache()


@pytest.fixture()
def host_in_new_york() -> Iterator[None]:
    """The host's local time zone is not Kyiv's nor UTC (a server abroad, a developer's laptop)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def kyiv(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=KYIV)


def test_a_card_that_names_its_offices_puts_them_first_in_its_own_order(
    data: BookingData, kb: Knowledge
) -> None:
    sid = "pub-veteran-utility-benefits"  # served at visa-main and ya-veteran, in the data's order
    assert offices_for(data, kb, sid) == ["visa-main", "ya-veteran"]
    card = kb.services[sid].model_copy(update={"offices": ["ya-veteran"]})
    reordered: Any = SimpleNamespace(services={sid: card})
    assert offices_for(data, reordered, sid) == ["ya-veteran", "visa-main"]


def test_an_office_without_hours_for_the_regime_in_force_has_no_slots(data: BookingData) -> None:
    offices = [
        o.model_copy(update={"schedules": [s for s in o.schedules if s.regime == Regime.NORMAL]})
        if o.office == SAKS.office
        else o
        for o in data.offices
    ]
    changed = data.model_copy(update={"offices": offices})
    assert day_slots(changed, SAKS, MONDAY, martial_law=False, calendar=MARTIAL)
    assert day_slots(changed, SAKS, MONDAY, martial_law=True, calendar=MARTIAL) == []


def test_every_slot_names_its_resource(data: BookingData) -> None:
    slots = day_slots(data, SAKS, MONDAY, martial_law=True, calendar=MARTIAL)
    assert slots and {s.resource for s in slots} == {SAKS}


def test_a_slot_exactly_the_lead_time_ahead_is_offered(data: BookingData) -> None:
    first = day_slots(data, SAKS, MONDAY, martial_law=True, calendar=MARTIAL)[3].start
    now = first - dt.timedelta(minutes=data.lead_minutes)
    found = availability(data, SAKS, now, {}, martial_law=True, calendar=MARTIAL, priority=False)
    assert found[0][0].start == first


def test_priority_citizens_also_get_the_held_places_days_ahead(data: BookingData) -> None:
    now = kyiv(MONDAY, "09:10").astimezone(UTC)
    general = dict(availability(data, SAKS, now, {}, martial_law=True, calendar=MARTIAL, priority=False))
    priority = dict(availability(data, SAKS, now, {}, martial_law=True, calendar=MARTIAL, priority=True))
    later = [s for s in priority if s.start - now > dt.timedelta(hours=data.release_hours) and s.held]
    assert later
    for slot in later:
        assert priority[slot] == general.get(slot, []) + sorted(slot.held)
        assert len(priority[slot]) > len(general.get(slot, []))


def test_the_horizon_starts_on_kyivs_date_not_the_hosts(data: BookingData, host_in_new_york: None) -> None:
    now = kyiv(D(2026, 12, 8), "00:30").astimezone(UTC)  # 22:30 UTC and 17:30 in New York on the 7th
    assert horizon(now, 3, KYIV) == [D(2026, 12, 8), D(2026, 12, 9), D(2026, 12, 10)]
    found = availability(data, SAKS, now, {}, martial_law=True, calendar=MARTIAL, priority=False)
    assert found[0][0].start.astimezone(KYIV).date() == D(2026, 12, 8)
    assert found[-1][0].start.astimezone(KYIV).date() == D(2026, 12, 21)  # a Monday, the 14th day


def test_slot_times_are_utc_whatever_the_hosts_zone(host_in_new_york: None) -> None:
    moment = rules._to_utc(dt.datetime(2026, 3, 29, 9, 0), KYIV)  # a DST day: each slot converted alone
    assert moment is not None
    assert moment.utcoffset() == dt.timedelta(0)
    assert moment == dt.datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
