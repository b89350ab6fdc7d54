"""Reminder rules and the work calendar: the cases the mutation benchmark (docs/MUTATION.md) found untested — the
exact wording of «ready by» rules, Ukrainian plurals past 100, Kyiv dates whatever the host's zone, a reminder on
the day of the event itself, two reminders due at the same moment, what is refused and why, and a calendar with
closures keeping its holidays."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from dialogs.calendar import WorkCalendar
from dialogs.reminders.rules import (
    ReadyBy,
    appointment_times,
    deadline_last_day,
    deadline_reminders,
    monthly_due,
    plural,
    ready_by,
)
from knowledge.schema import Deadline, DeadlineUnit, Source, Term, TermUnit

KYIV = ZoneInfo("Europe/Kyiv")
UTC = dt.UTC
D = dt.date
MARTIAL = WorkCalendar(holidays_are_days_off=False)
PEACE = WorkCalendar(holidays_are_days_off=True)
SOURCE = Source(title="Сімейний кодекс України, стаття 144")


def k(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=KYIV)


def term(value: int | None, unit: TermUnit) -> Term:
    return Term(value=value, unit=unit, text="строк")


def deadline(ident: str, value: int, unit: DeadlineUnit, remind_before: list[int]) -> Deadline:
    return Deadline(
        id=ident,
        title="Зробити",
        value=value,
        unit=unit,
        after="від дня події",
        source=SOURCE,
        remind_before=remind_before,
    )


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


# --- wording of «ready by» -------------------------------------------------------------------------------------


def test_working_days_without_martial_law_say_holidays_are_not_counted() -> None:
    got = ready_by(term(10, TermUnit.WORKING_DAYS), D(2026, 12, 23), PEACE)
    assert got == ReadyBy(
        D(2027, 1, 8),
        "10 робочих днів від дня, наступного за днем подання (вихідні й святкові неробочі дні не рахуються)",
    )


@pytest.mark.parametrize(
    ("n", "words"), [(1, "1 календарний день"), (3, "3 календарні дні"), (112, "112 календарних днів")]
)
def test_calendar_days_in_every_plural_form(n: int, words: str) -> None:
    got = ready_by(term(n, TermUnit.CALENDAR_DAYS), D(2026, 11, 2), MARTIAL)
    assert got is not None
    assert got.rule.startswith(f"{words} від дня, наступного за днем подання")


def test_a_calendar_day_term_ending_on_a_day_off_keeps_the_rule_and_adds_the_warning() -> None:
    got = ready_by(term(10, TermUnit.CALENDAR_DAYS), D(2026, 12, 16), MARTIAL)  # ends on Saturday 26.12
    assert got == ReadyBy(
        D(2026, 12, 26),
        "10 календарних днів від дня, наступного за днем подання; цей день — вихідний, тож уточніть, коли можна "
        "забрати результат",
    )


def test_months_in_the_many_form_and_the_clamped_day_explained() -> None:
    got = ready_by(term(5, TermUnit.MONTHS), D(2027, 1, 15), MARTIAL)
    assert got == ReadyBy(D(2027, 6, 15), "5 місяців від дня подання")
    short = ready_by(term(1, TermUnit.MONTHS), D(2027, 1, 31), MARTIAL)
    assert short == ReadyBy(
        D(2027, 2, 28),
        "1 місяць від дня подання (такого числа в тому місяці немає, тому — його останній день)",
    )


@pytest.mark.parametrize(
    ("n", "form"), [(112, "many"), (113, "many"), (212, "many"), (122, "few"), (101, "one")]
)
def test_plural_past_one_hundred(n: int, form: str) -> None:
    assert plural(n, "one", "few", "many") == form


# --- host zone --------------------------------------------------------------------------------------------------


def test_appointment_reminders_use_kyivs_dates_whatever_the_hosts_zone(host_past_midnight: None) -> None:
    # 14:00 in Kyiv is already the next day at UTC+14: the evening before is still Kyiv's evening before
    assert appointment_times(k(2026, 12, 8, 14), now=k(2026, 12, 1, 9)) == [
        k(2026, 12, 7, 18).astimezone(UTC),
        k(2026, 12, 8, 12).astimezone(UTC),
    ]
    # 09:00: the two-hours-before one falls in the night and is moved onto the evening before, where one is due
    assert appointment_times(k(2026, 12, 8, 9), now=k(2026, 12, 1, 9)) == [k(2026, 12, 7, 18).astimezone(UTC)]


# --- deadlines ---------------------------------------------------------------------------------------------------


def test_a_reminder_on_the_day_of_the_event_itself_is_dropped() -> None:
    three_days = deadline("d3", 3, "days", [3, 1])  # 3 days before the last day is the event's own day
    got = deadline_reminders([three_days], D(2026, 12, 7), now=k(2026, 12, 1, 9))
    assert [at for at, _, _ in got] == [k(2026, 12, 9, 9).astimezone(UTC)]


def test_reminders_due_together_are_ordered_by_last_day_then_id() -> None:
    a = deadline("b-later", 10, "days", [3])
    b = deadline("a-sooner", 7, "days", [0])  # both due on the 14th
    c = deadline("c-same", 7, "days", [0])
    got = deadline_reminders([a, c, b], D(2026, 12, 7), now=k(2026, 12, 1, 9))
    assert [(d.id, last) for _, d, last in got] == [
        ("a-sooner", D(2026, 12, 14)),
        ("c-same", D(2026, 12, 14)),
        ("b-later", D(2026, 12, 17)),
    ]


# --- what is refused, and why -------------------------------------------------------------------------------------


class _NoOffset(dt.tzinfo):
    def utcoffset(self, _: dt.datetime | None) -> dt.timedelta | None:
        return None


def test_times_without_an_offset_are_refused_by_name() -> None:
    naive = dt.datetime(2026, 12, 8, 9)
    no_offset = dt.datetime(2026, 12, 8, 9, tzinfo=_NoOffset())
    aware = k(2026, 12, 8, 9)
    with pytest.raises(ValueError, match=r"^start must be an aware datetime"):
        appointment_times(naive, aware)
    with pytest.raises(ValueError, match=r"^start must be an aware datetime"):
        appointment_times(no_offset, aware)
    with pytest.raises(ValueError, match=r"^now must be an aware datetime"):
        appointment_times(aware, naive)
    with pytest.raises(ValueError, match=r"^now must be an aware datetime"):
        deadline_reminders([], D(2026, 12, 7), now=naive)
    with pytest.raises(ValueError, match=r"^after must be an aware datetime"):
        monthly_due(naive)


def test_bad_arguments_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"^day must be 1\.\.31, got 32$"):
        monthly_due(k(2026, 12, 1), day=32)
    with pytest.raises(ValueError, match=r"^lead_days must be 0\.\.27, got 28$"):
        monthly_due(k(2026, 12, 1), lead_days=28)
    working = deadline("w", 5, "working_days", [1])
    with pytest.raises(ValueError, match=r"^deadline 'w' counts working days: a calendar is needed$"):
        deadline_last_day(working, D(2026, 12, 7))
    valueless = Term.model_construct(value=None, unit=TermUnit.WORKING_DAYS, text="строк")
    with pytest.raises(ValueError, match=r"has no value$"):
        ready_by(valueless, D(2026, 12, 7), MARTIAL)
    with pytest.raises(ValueError, match=r"^n must not be negative, got -1$"):
        MARTIAL.add_working_days(D(2026, 12, 7), -1)


# --- calendar ---------------------------------------------------------------------------------------------------


def test_a_calendar_with_closures_keeps_its_holiday_regime() -> None:
    fresh = WorkCalendar(holidays_are_days_off=True)  # no year looked at yet: the copy computes its own
    closed = fresh.with_closures([("visa-main", D(2027, 1, 5))])
    assert closed.is_holiday(D(2027, 1, 1))
    assert closed.is_closed(D(2027, 1, 5), "visa-main") and not closed.is_closed(D(2027, 1, 5), "ya-veteran")
