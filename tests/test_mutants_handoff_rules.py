"""Handoff rules: the cases the mutation benchmark (docs/MUTATION.md) found untested — the hotline's hours of the
regime in force, Kyiv's date whatever the host's zone, the search window of the next opening, the wait estimate's
arithmetic, and a command with a bot name that holds another «@»."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from dialogs.calendar import WorkCalendar
from dialogs.handoff import rules
from knowledge import Knowledge
from knowledge.booking_schema import BookingData
from knowledge.schema import Regime

KYIV = ZoneInfo("Europe/Kyiv")
MARTIAL = WorkCalendar(holidays_are_days_off=False)
MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def data(kb: Knowledge) -> BookingData:
    assert kb.booking is not None
    return kb.booking


@pytest.fixture()
def host_past_midnight() -> Iterator[None]:
    """The host's local zone is UTC+14: during Kyiv's afternoon it is already tomorrow there."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def kyiv(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=KYIV).astimezone(dt.UTC)


def only_regime(data: BookingData, regime: Regime) -> BookingData:
    """The data with the hotline's hours given for one regime only (closed under the other)."""
    schedules = [s for s in data.hotline.schedules if s.regime == regime]
    return data.model_copy(update={"hotline": data.hotline.model_copy(update={"schedules": schedules})})


@pytest.mark.parametrize("martial", [True, False])
def test_the_hotline_keeps_the_hours_of_the_regime_in_force(data: BookingData, martial: bool) -> None:
    regime = Regime.MARTIAL_LAW if martial else Regime.NORMAL
    other = Regime.NORMAL if martial else Regime.MARTIAL_LAW
    now = kyiv(MONDAY, 10)
    assert rules.hotline_open(only_regime(data, regime), now, martial_law=martial, calendar=MARTIAL)
    assert not rules.hotline_open(only_regime(data, other), now, martial_law=martial, calendar=MARTIAL)
    opening = rules.next_opening(only_regime(data, regime), now, martial_law=martial, calendar=MARTIAL)
    assert opening == now
    assert rules.next_opening(only_regime(data, other), now, martial_law=martial, calendar=MARTIAL) is None


def test_the_hotline_day_is_kyivs_whatever_the_hosts_zone(
    data: BookingData, host_past_midnight: None
) -> None:
    now = kyiv(MONDAY, 14)  # 02:00 on Tuesday in the host's zone
    assert rules.hotline_open(data, now, martial_law=True, calendar=MARTIAL)
    assert rules.next_opening(data, now, martial_law=True, calendar=MARTIAL) == now


def closed_for(days: int) -> WorkCalendar:
    return WorkCalendar(
        holidays_are_days_off=False,
        closures=[("hotline", MONDAY + dt.timedelta(days=i)) for i in range(days)],
    )


def test_the_next_opening_is_looked_for_today_and_the_next_fourteen_days(data: BookingData) -> None:
    now = kyiv(MONDAY, 7)
    # closed for two weeks: it opens again on the 14th day after today, the last one looked at
    assert rules.next_opening(data, now, martial_law=True, calendar=closed_for(14)) == kyiv(
        MONDAY + dt.timedelta(days=14), 8
    )
    # closed for 15 days: the 15th day after today is not looked at
    assert rules.next_opening(data, now, martial_law=True, calendar=closed_for(15)) is None
    assert rules.next_opening(data, now, martial_law=True, calendar=closed_for(15), days=15) == kyiv(
        MONDAY + dt.timedelta(days=15), 8
    )


def test_the_estimate_is_rounded_up_from_the_exact_minutes() -> None:
    per_ticket = dt.timedelta(seconds=606)  # 10.1 minutes
    assert rules.estimate_minutes(0, [], 1, per_ticket=per_ticket) == 15
    assert rules.estimate_minutes(0, [per_ticket] * 3, 1, per_ticket=dt.timedelta(minutes=1)) == 15


def test_the_estimate_from_recent_waits_grows_with_each_turn_of_all_operators() -> None:
    waits = [dt.timedelta(minutes=10)] * 3
    per_ticket = dt.timedelta(minutes=1)
    assert rules.estimate_minutes(0, waits, 2, per_ticket=per_ticket) == 10
    assert rules.estimate_minutes(1, waits, 2, per_ticket=per_ticket) == 10  # both operators take one each
    assert rules.estimate_minutes(2, waits, 2, per_ticket=per_ticket) == 15
    assert rules.estimate_minutes(3, waits, 1, per_ticket=per_ticket) == 40  # one operator: four turns
    assert rules.estimate_minutes(3, waits, 0, per_ticket=per_ticket) == 40  # nobody on duty counts as one


def test_a_canned_command_addressed_to_a_bot_whose_suffix_holds_an_at_sign() -> None:
    assert rules.canned_key("/t@viza_bot@group hours") == "hours"
    assert rules.canned_key("/t@viza_bot") == ""
    assert rules.canned_key("/top hours") is None
