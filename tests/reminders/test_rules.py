"""Pure reminder rules: appointment times (quiet hours, late bookings, DST, year end), «ready by» dates by the
Ukrainian calendar with and without martial law, deadlines of life events, and monthly duties."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from dialogs.calendar import WorkCalendar
from dialogs.reminders.rules import (
    KYIV,
    QUIET,
    ReadyBy,
    add_months,
    appointment_times,
    deadline_last_day,
    deadline_reminders,
    in_quiet_hours,
    monthly_due,
    plural,
    ready_by,
    ready_reminder_at,
)
from knowledge.check import cross_check
from knowledge.loader import load_knowledge
from knowledge.schema import Certainty, Deadline, DeadlineUnit, Source, Term, TermUnit

UTC = dt.UTC
D = dt.date
MARTIAL = WorkCalendar(holidays_are_days_off=False)
PEACE = WorkCalendar(holidays_are_days_off=True)


def k(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """A Kyiv wall-clock moment."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=KYIV)


def u(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """A UTC moment."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


def walls(times: list[dt.datetime]) -> list[tuple[dt.date, dt.time]]:
    return [(t.astimezone(KYIV).date(), t.astimezone(KYIV).time()) for t in times]


# --- appointments -------------------------------------------------------------------------------------------


def test_ordinary_day_evening_before_and_two_hours_before() -> None:
    times = appointment_times(k(2026, 12, 2, 11, 0), now=k(2026, 11, 29, 10, 0))
    assert times == [u(2026, 12, 1, 16, 0), u(2026, 12, 2, 7, 0)]  # 18:00 and 09:00 Kyiv, winter UTC+2
    assert all(t.tzinfo is UTC for t in times)


def test_nine_oclock_visit_two_hour_reminder_falls_at_night_and_merges_into_the_evening() -> None:
    # 07:00 is in the quiet hours: it moves to 20:59 the evening before, where 18:00 already reminds.
    assert appointment_times(k(2026, 12, 2, 9, 0), now=k(2026, 11, 29, 10, 0)) == [u(2026, 12, 1, 16, 0)]


def test_nine_oclock_visit_booked_after_18_keeps_the_moved_reminder_at_20_59() -> None:
    times = appointment_times(k(2026, 12, 2, 9, 0), now=k(2026, 12, 1, 19, 0))
    assert walls(times) == [(D(2026, 12, 1), dt.time(20, 59))]


def test_booked_at_21_for_the_next_morning_gets_none() -> None:
    # 18:00 and 20:59 are both past; nothing may be sent at night or within the last hour.
    assert appointment_times(k(2026, 12, 2, 9, 0), now=k(2026, 12, 1, 21, 0)) == []


def test_monday_eight_oclock_reminds_on_sunday_evening_only() -> None:
    assert D(2026, 12, 7).weekday() == 0
    times = appointment_times(k(2026, 12, 7, 8, 0), now=k(2026, 12, 1, 12, 0))
    assert walls(times) == [(D(2026, 12, 6), dt.time(18, 0))]


@pytest.mark.parametrize(
    ("start", "second"),
    [
        (dt.time(10, 0), dt.time(8, 0)),  # 08:00 is the first minute out of the quiet hours
        (dt.time(10, 30), dt.time(8, 30)),
        (dt.time(19, 45), dt.time(17, 45)),  # a late Tuesday slot: before the evening reminder of that day
    ],
)
def test_two_hours_before_kept_when_outside_quiet_hours(start: dt.time, second: dt.time) -> None:
    times = appointment_times(dt.datetime.combine(D(2026, 12, 2), start, tzinfo=KYIV), now=k(2026, 11, 29))
    assert walls(times) == [(D(2026, 12, 1), dt.time(18, 0)), (D(2026, 12, 2), second)]


def test_visit_at_0959_reminder_at_0759_moves_to_the_evening() -> None:
    assert in_quiet_hours(k(2026, 12, 2, 7, 59))
    assert not in_quiet_hours(k(2026, 12, 2, 8, 0))
    assert in_quiet_hours(k(2026, 12, 2, 21, 0))
    assert not in_quiet_hours(k(2026, 12, 2, 20, 59))
    times = appointment_times(k(2026, 12, 2, 9, 59), now=k(2026, 11, 29))
    assert walls(times) == [(D(2026, 12, 1), dt.time(18, 0))]


def test_late_evening_visit_two_hour_reminder_pulled_before_21() -> None:
    # Not an office slot today, but the rule holds: 23:00 - 2 h = 21:00 is quiet, so 20:59 the same evening.
    times = appointment_times(k(2026, 12, 2, 23, 0), now=k(2026, 11, 29))
    assert walls(times) == [(D(2026, 12, 1), dt.time(18, 0)), (D(2026, 12, 2), dt.time(20, 59))]


def test_booking_made_less_than_two_hours_ahead_gets_no_reminder() -> None:
    start = k(2026, 12, 2, 11, 30)
    assert appointment_times(start, now=start - dt.timedelta(minutes=90)) == []
    assert appointment_times(start, now=start - dt.timedelta(hours=2)) == []  # exactly now: past, dropped


def test_booking_made_three_hours_ahead_gets_the_two_hour_reminder_only() -> None:
    start = k(2026, 12, 2, 14, 0)
    assert appointment_times(start, now=k(2026, 12, 2, 11, 0)) == [u(2026, 12, 2, 10, 0)]


def test_booked_on_the_evening_before_keeps_a_pending_18_oclock() -> None:
    start = k(2026, 12, 2, 12, 0)
    assert appointment_times(start, now=k(2026, 12, 1, 17, 59)) == [
        u(2026, 12, 1, 16, 0),
        u(2026, 12, 2, 8, 0),
    ]
    assert appointment_times(start, now=k(2026, 12, 1, 18, 0)) == [u(2026, 12, 2, 8, 0)]


def test_dst_autumn_kyiv_wall_times_hold_and_utc_shifts() -> None:
    # Clocks go back at 04:00 on Sunday 25.10.2026: UTC+3 before, UTC+2 after.
    before = appointment_times(k(2026, 10, 24, 11, 0), now=k(2026, 10, 1))  # Sat, summer time
    after = appointment_times(k(2026, 10, 26, 11, 0), now=k(2026, 10, 1))  # Mon, winter time
    assert before == [u(2026, 10, 23, 15, 0), u(2026, 10, 24, 6, 0)]
    assert after == [u(2026, 10, 25, 16, 0), u(2026, 10, 26, 7, 0)]  # the evening of the change day itself
    assert [w[1] for w in walls(before)] == [w[1] for w in walls(after)] == [dt.time(18), dt.time(9)]


def test_dst_spring_kyiv_wall_times_hold_and_utc_shifts() -> None:
    # Clocks go forward at 03:00 on Sunday 28.03.2027: UTC+2 before, UTC+3 after.
    times = appointment_times(k(2027, 3, 29, 11, 0), now=k(2027, 3, 1))
    assert times == [u(2027, 3, 28, 15, 0), u(2027, 3, 29, 6, 0)]
    assert walls(times) == [(D(2027, 3, 28), dt.time(18)), (D(2027, 3, 29), dt.time(9))]
    winter = appointment_times(k(2027, 3, 27, 11, 0), now=k(2027, 3, 1))
    assert winter == [u(2027, 3, 26, 16, 0), u(2027, 3, 27, 7, 0)]


def test_across_the_year_end() -> None:
    times = appointment_times(k(2027, 1, 1, 10, 0), now=k(2026, 12, 30, 12, 0))
    assert times == [u(2026, 12, 31, 16, 0), u(2027, 1, 1, 6, 0)]


@pytest.mark.parametrize("day", [D(2026, 10, 26), D(2026, 12, 31), D(2027, 3, 29), D(2027, 6, 15)])
def test_every_slot_of_a_day_obeys_the_invariants(day: dt.date) -> None:
    now = k(2026, 10, 1)
    for minutes in range(8 * 60, 20 * 60, 15):
        start = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=KYIV)
        times = appointment_times(start, now=now)
        assert times, start
        assert times == sorted(set(times))
        for t in times:
            assert t.utcoffset() == dt.timedelta(0)
            assert now < t <= start - dt.timedelta(hours=1)
            assert QUIET[1] <= t.astimezone(KYIV).time() < QUIET[0]
        assert walls(times)[0] == (day - dt.timedelta(days=1), dt.time(18, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        appointment_times(dt.datetime(2026, 12, 2, 11, 0), now=k(2026, 11, 29))
    with pytest.raises(ValueError):
        monthly_due(dt.datetime(2026, 12, 2, 11, 0))


def test_other_time_zones_are_read_as_the_same_instant() -> None:
    start = k(2026, 12, 2, 11, 0).astimezone(ZoneInfo("America/New_York"))
    assert appointment_times(start, now=u(2026, 11, 29)) == [u(2026, 12, 1, 16, 0), u(2026, 12, 2, 7, 0)]


# --- «ready by» ---------------------------------------------------------------------------------------------


def term(value: int | None, unit: TermUnit) -> Term:
    return Term(value=value, unit=unit, text="строк")


def test_working_days_over_new_year_under_martial_law_count_holidays() -> None:
    # 25.12.2026 (Fri) and 01.01.2027 (Fri) are working days under martial law.
    got = ready_by(term(10, TermUnit.WORKING_DAYS), D(2026, 12, 23), MARTIAL)
    assert got == ReadyBy(
        D(2027, 1, 6),
        "10 робочих днів від дня, наступного за днем подання (вихідні не рахуються; під час воєнного стану "
        "святкові дні — робочі)",
    )


def test_working_days_over_new_year_without_martial_law_skip_holidays() -> None:
    got = ready_by(term(10, TermUnit.WORKING_DAYS), D(2026, 12, 23), PEACE)
    assert got is not None
    assert got.day == D(2027, 1, 8)  # 25.12 and 01.01 off; 07.01 is no longer a holiday
    assert got.rule.startswith("10 робочих днів від дня, наступного за днем подання")
    assert "святкові неробочі дні не рахуються" in got.rule


@pytest.mark.parametrize(("calendar", "expected"), [(MARTIAL, D(2027, 1, 1)), (PEACE, D(2027, 1, 4))])
def test_one_working_day_after_new_years_eve(calendar: WorkCalendar, expected: dt.date) -> None:
    got = ready_by(term(1, TermUnit.WORKING_DAYS), D(2026, 12, 31), calendar)
    assert got is not None and got.day == expected
    assert got.rule.startswith("1 робочий день ")


def test_working_days_count_from_the_day_after_a_friday_submission() -> None:
    got = ready_by(term(3, TermUnit.WORKING_DAYS), D(2026, 11, 27), MARTIAL)  # Friday
    assert got is not None and got.day == D(2026, 12, 2)  # Mon, Tue, Wed
    assert got.rule.startswith("3 робочі дні ")


def test_calendar_days_keep_the_date_and_say_when_it_is_a_day_off() -> None:
    ordinary = ready_by(term(10, TermUnit.CALENDAR_DAYS), D(2026, 11, 28), MARTIAL)
    assert ordinary == ReadyBy(D(2026, 12, 8), "10 календарних днів від дня, наступного за днем подання")
    saturday = ready_by(term(10, TermUnit.CALENDAR_DAYS), D(2026, 12, 16), MARTIAL)
    assert saturday is not None and saturday.day == D(2026, 12, 26)
    assert "вихідний" in saturday.rule


@pytest.mark.parametrize(("calendar", "day_off"), [(MARTIAL, False), (PEACE, True)])
def test_calendar_days_landing_on_new_year(calendar: WorkCalendar, day_off: bool) -> None:
    got = ready_by(term(10, TermUnit.CALENDAR_DAYS), D(2026, 12, 22), calendar)
    assert got is not None and got.day == D(2027, 1, 1)  # no carry-over invented
    assert ("вихідний" in got.rule) == day_off


def test_months_same_day_and_clamped_to_month_end() -> None:
    assert ready_by(term(1, TermUnit.MONTHS), D(2026, 12, 15), MARTIAL) == ReadyBy(
        D(2027, 1, 15), "1 місяць від дня подання"
    )
    short = ready_by(term(1, TermUnit.MONTHS), D(2027, 1, 31), MARTIAL)
    assert short is not None and short.day == D(2027, 2, 28)
    assert "останній день" in short.rule
    leap = ready_by(term(1, TermUnit.MONTHS), D(2028, 1, 31), MARTIAL)
    assert leap is not None and leap.day == D(2028, 2, 29)
    three = ready_by(term(3, TermUnit.MONTHS), D(2026, 11, 30), MARTIAL)
    assert three is not None and three.day == D(2027, 2, 28) and three.rule.startswith("3 місяці ")


def test_on_application_has_nothing_to_wait_for() -> None:
    assert ready_by(term(None, TermUnit.ON_APPLICATION), D(2026, 12, 1), MARTIAL) is None


def test_ready_reminder_at_nine_kyiv() -> None:
    assert ready_reminder_at(D(2027, 1, 5)) == u(2027, 1, 5, 7, 0)
    assert ready_reminder_at(D(2026, 7, 1)) == u(2026, 7, 1, 6, 0)


def test_plural_forms() -> None:
    forms = ("день", "дні", "днів")
    assert [plural(n, *forms) for n in (1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111)] == [
        "день", "дні", "дні", "днів", "днів", "днів", "днів", "день", "дні", "днів", "день", "днів",
    ]  # fmt: skip


def test_add_months_across_year_end() -> None:
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 12, 31), 1) == D(2027, 1, 31)
    assert add_months(D(2026, 1, 31), 12) == D(2027, 1, 31)


# --- deadlines of life events -------------------------------------------------------------------------------

SOURCE = Source(title="Сімейний кодекс України, стаття 144")


def deadline(ident: str, value: int, unit: DeadlineUnit, remind_before: list[int] | None = None) -> Deadline:
    extra = {} if remind_before is None else {"remind_before": remind_before}
    return Deadline(
        id=ident, title="Зробити", value=value, unit=unit, after="від дня події", source=SOURCE, **extra
    )


BIRTH = deadline("birth-registration", 1, "months")
DEATH = deadline("death-registration", 3, "days", [1, 0])


def test_birth_registration_month_from_31_january() -> None:
    got = deadline_reminders([BIRTH], D(2027, 1, 31), now=k(2027, 2, 1, 10, 0))
    assert got == [
        (u(2027, 2, 21, 7, 0), BIRTH, D(2027, 2, 28)),
        (u(2027, 2, 27, 7, 0), BIRTH, D(2027, 2, 28)),
    ]


def test_past_reminders_dropped() -> None:
    got = deadline_reminders([BIRTH], D(2026, 11, 1), now=k(2026, 11, 26, 12, 0))
    assert got == [(u(2026, 11, 30, 7, 0), BIRTH, D(2026, 12, 1))]


def test_deadline_day_past_gives_none() -> None:
    assert deadline_reminders([BIRTH], D(2026, 10, 1), now=k(2026, 11, 2, 8, 0)) == []


def test_on_the_last_day_only_a_same_day_reminder_still_ahead() -> None:
    event = D(2026, 11, 29)  # death: last day 02.12
    assert deadline_reminders([DEATH], event, now=k(2026, 12, 2, 8, 0)) == [
        (u(2026, 12, 2, 7, 0), DEATH, D(2026, 12, 2))
    ]
    assert deadline_reminders([DEATH], event, now=k(2026, 12, 2, 9, 0)) == []


def test_death_three_days_day_before_and_last_day() -> None:
    got = deadline_reminders([DEATH], D(2026, 11, 29), now=k(2026, 11, 29, 15, 0))
    assert [(walls([at])[0], last) for at, _, last in got] == [
        ((D(2026, 12, 1), dt.time(9)), D(2026, 12, 2)),
        ((D(2026, 12, 2), dt.time(9)), D(2026, 12, 2)),
    ]


def test_reminders_not_after_the_event_are_dropped() -> None:
    short = deadline("short", 3, "days", [7, 1])  # a week before a three-day deadline is before the event
    got = deadline_reminders([short], D(2026, 12, 10), now=k(2026, 12, 1))
    assert [at for at, _, _ in got] == [u(2026, 12, 12, 7, 0)]


def test_several_deadlines_sorted_soonest_first_across_year_end() -> None:
    aid = deadline("birth-assistance", 12, "months", [30, 7])
    residence = deadline("child-residence", 3, "months")
    got = deadline_reminders([aid, residence, BIRTH], D(2026, 12, 20), now=k(2026, 12, 21, 12, 0))
    assert [(d.id, last, at.astimezone(KYIV).date()) for at, d, last in got] == [
        ("birth-registration", D(2027, 1, 20), D(2027, 1, 13)),
        ("birth-registration", D(2027, 1, 20), D(2027, 1, 19)),
        ("child-residence", D(2027, 3, 20), D(2027, 3, 13)),
        ("child-residence", D(2027, 3, 20), D(2027, 3, 19)),
        ("birth-assistance", D(2027, 12, 20), D(2027, 11, 20)),
        ("birth-assistance", D(2027, 12, 20), D(2027, 12, 13)),
    ]
    assert {at.astimezone(KYIV).time() for at, _, _ in got} == {dt.time(9)}


def test_deadline_reminders_across_autumn_dst() -> None:
    month = deadline("thirty", 30, "days")
    got = deadline_reminders([month], D(2026, 10, 1), now=k(2026, 10, 1, 12, 0))
    assert [at for at, _, _ in got] == [u(2026, 10, 24, 6, 0), u(2026, 10, 30, 7, 0)]


def test_working_day_deadlines_need_a_calendar() -> None:
    work = deadline("work", 5, "working_days", [1])
    with pytest.raises(ValueError):
        deadline_reminders([work], D(2026, 12, 23), now=k(2026, 12, 23, 12, 0))
    assert deadline_last_day(work, D(2026, 12, 23), MARTIAL) == D(2026, 12, 30)
    assert deadline_last_day(work, D(2026, 12, 23), PEACE) == D(2026, 12, 31)
    got = deadline_reminders([work], D(2026, 12, 23), now=k(2026, 12, 23, 12, 0), calendar=PEACE)
    assert [at for at, _, _ in got] == [u(2026, 12, 30, 7, 0)]


def test_shipped_life_event_deadlines() -> None:
    """The deadlines the issue names are in the knowledge data, each with a source."""
    kb = load_knowledge()
    found = {
        (s, d.id): (d.value, d.unit, d.service) for s, sit in kb.situations.items() for d in sit.deadlines
    }
    assert found[("birth", "birth-registration")] == (1, "months", "drs-birth-registration")
    assert found[("birth", "birth-assistance")] == (12, "months", "drs-birth-assistance")
    assert found[("birth", "child-residence")] == (3, "months", "drs-child-residence")
    assert found[("loss-of-relative", "death-registration")] == (3, "days", "drs-death-registration")
    residence = next(d for d in kb.situations["birth"].deadlines if d.id == "child-residence")
    assert "реєстрації народження" in residence.after  # the law counts from the registration, not the birth
    assert all(d.source.url for sit in kb.situations.values() for d in sit.deadlines)


# --- monthly duties -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (k(2026, 12, 1, 12, 0), k(2026, 12, 2, 9, 0)),
        (k(2026, 12, 2, 8, 59), k(2026, 12, 2, 9, 0)),
        (k(2026, 12, 2, 9, 0), k(2027, 1, 2, 9, 0)),  # strictly after: the one just sent is not repeated
        (k(2026, 12, 3, 10, 0), k(2027, 1, 2, 9, 0)),  # between the 2nd and the 5th: next month
        (k(2026, 12, 5, 18, 0), k(2027, 1, 2, 9, 0)),
        (k(2026, 12, 31, 23, 30), k(2027, 1, 2, 9, 0)),  # across the year end
        (k(2027, 1, 4, 12, 0), k(2027, 2, 2, 9, 0)),
    ],
)
def test_monthly_due_on_the_second_at_nine(after: dt.datetime, expected: dt.datetime) -> None:
    got = monthly_due(after)
    assert got == expected.astimezone(UTC) and got.tzinfo is UTC


def test_monthly_due_chain_over_a_year_keeps_kyiv_time_across_dst() -> None:
    at = k(2026, 11, 15, 12, 0).astimezone(UTC)
    seen = []
    for _ in range(13):
        at = monthly_due(at)
        seen.append(at)
    assert walls(seen) == [(add_months(D(2026, 12, 2), i), dt.time(9)) for i in range(13)]
    assert seen[3] == u(2027, 3, 2, 7, 0) and seen[4] == u(2027, 4, 2, 6, 0)  # UTC+2 → UTC+3


def test_monthly_due_other_days() -> None:
    assert monthly_due(k(2027, 2, 1), day=31, lead_days=0) == k(2027, 2, 28, 9, 0).astimezone(UTC)
    assert monthly_due(k(2027, 1, 27), day=1, lead_days=3) == k(2027, 1, 29, 9, 0).astimezone(UTC)
    assert monthly_due(k(2027, 1, 30), day=1, lead_days=3) == k(2027, 2, 26, 9, 0).astimezone(UTC)
    with pytest.raises(ValueError):
        monthly_due(k(2027, 1, 1), day=32)
    with pytest.raises(ValueError):
        monthly_due(k(2027, 1, 1), lead_days=28)


def test_knowledge_check_catches_bad_deadlines() -> None:
    """`python -m knowledge check`: duplicate ids, services outside the package, reminders before the event,
    a repeated reminder day and a public source without its page are all reported."""
    kb = load_knowledge()
    assert cross_check(kb) == []
    birth = kb.situations["birth"]
    public = Source(title="сторінка", as_of=D(2026, 1, 1), certainty=Certainty.UNCERTAIN)
    bad = [
        *birth.deadlines,
        birth.deadlines[0],  # duplicate id
        deadline("elsewhere", 1, "months").model_copy(update={"service": "drs-death-registration"}),
        deadline("unknown", 1, "months").model_copy(update={"service": "no-such-service"}),
        deadline("before-event", 3, "days", [3]),
        deadline("twice", 1, "months", [7, 7]),
        deadline("no-url", 1, "months").model_copy(update={"source": public}),
    ]
    broken = replace(kb, situations={**kb.situations, "birth": birth.model_copy(update={"deadlines": bad})})
    problems = "\n".join(cross_check(broken))
    assert "deadlines: duplicate id 'birth-registration'" in problems
    assert "deadline 'elsewhere': service 'drs-death-registration' is outside the package" in problems
    assert "deadline 'unknown': unknown service 'no-such-service'" in problems
    assert "deadline 'before-event': a reminder 3 days before" in problems
    assert "deadline 'twice': remind_before repeats a day" in problems
    assert "deadline 'no-url': a non-official source needs a url" in problems
    assert len(cross_check(broken)) == 6
