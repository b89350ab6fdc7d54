"""When reminders fall due: pure rules (no clock, no database; `now` and the calendar are arguments).

All returned moments are aware datetimes in UTC; all wall-clock rules (18:00 the evening before, 09:00, the quiet
night) are Kyiv time, so a reminder keeps its Kyiv wall time across the DST changes while its UTC moment shifts.

Appointments. By default two reminders: 18:00 the evening before the visit and two hours before it. Nothing is
sent in the quiet hours 21:00-08:00: a time that falls there moves EARLIER, to 20:59 of the evening that begins
that night (the last minute before the quiet hours). A two-hour reminder moved so onto the same evening as a
still-pending 18:00 reminder is merged into it (one message that evening, not two within three hours); if the 18:00
one is already past (booked late in the evening), the moved one is kept. Times at or before `now` are dropped (a
visit booked less than two hours ahead gets no reminder: the confirmation has just been shown), equal times are
merged, and no reminder is ever later than one hour before the visit.

«Ready by». A term in working days counts from the day after submission (Law «Про адміністративну процедуру»),
with the working days of `WorkCalendar` (under martial law public holidays are working days). A term in calendar
days is `submitted + n`; when that day is not a working day the rule says so, but the date stays: no carry-over rule
is invented. A term in months ends on the same day `n` months later, or on the last day of a shorter month.

Deadlines of life events count from the date of the event the citizen gives, the same way: days after the day of
the event, months to the same day (clamped to the month's end).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialogs.calendar import WorkCalendar
from knowledge.schema import Deadline, Term, TermUnit

KYIV = ZoneInfo("Europe/Kyiv")
QUIET = (time(21, 0), time(8, 0))  # never at night (Kyiv): from 21:00 to 08:00
LAST_BEFORE_QUIET = time(20, 59)  # where a reminder that would fall in the quiet hours goes
EVENING = time(18, 0)  # the reminder the evening before a visit
BEFORE_VISIT = timedelta(hours=2)  # the reminder on the day of the visit
MIN_LEAD = timedelta(hours=1)  # no appointment reminder later than this before the visit
MORNING = time(9, 0)  # «ready by», deadline and monthly reminders


# --- helpers ------------------------------------------------------------------------------------------------


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")


def kyiv_at(day: date, wall: time) -> datetime:
    """The moment `wall` o'clock Kyiv time on `day`, in UTC."""
    return datetime.combine(day, wall, tzinfo=KYIV).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that month is shorter (31 Jan + 1 → 28/29 Feb)."""
    year, index = divmod(day.month - 1 + months, 12)
    year += day.year
    month = index + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Ukrainian form for `n`: 1 день, 2 дні, 5 днів, 11 днів, 21 день."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def in_quiet_hours(moment: datetime) -> bool:
    """Whether `moment` falls in the quiet night hours, Kyiv time."""
    wall = moment.astimezone(KYIV).time()
    start, end = QUIET
    return wall >= start or wall < end


def _out_of_quiet(moment: datetime) -> datetime:
    """`moment`, or 20:59 Kyiv of the evening that begins the quiet night it falls in."""
    if not in_quiet_hours(moment):
        return moment
    local = moment.astimezone(KYIV)
    evening = local.date() if local.time() >= QUIET[0] else local.date() - timedelta(days=1)
    return kyiv_at(evening, LAST_BEFORE_QUIET)


# --- appointments -------------------------------------------------------------------------------------------


def appointment_times(start: datetime, now: datetime) -> list[datetime]:
    """When to remind of a visit at `start`: sorted UTC moments after `now` (see the module's docstring)."""
    _aware(start, "start")
    _aware(now, "now")
    start = start.astimezone(UTC)
    evening = kyiv_at(start.astimezone(KYIV).date() - timedelta(days=1), EVENING)
    before = _out_of_quiet(start - BEFORE_VISIT)
    moved_onto_evening = before != start - BEFORE_VISIT and (
        before.astimezone(KYIV).date() == evening.astimezone(KYIV).date()
    )
    times = {t for t in (evening, before) if now < t <= start - MIN_LEAD}
    if moved_onto_evening and evening in times:
        times.discard(before)
    return sorted(times)


# --- «ready by» ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyBy:
    """The day a result should be ready, and the rule used, in Ukrainian for the citizen."""

    day: date
    rule: str


def ready_by(term: Term, submitted: date, calendar: WorkCalendar) -> ReadyBy | None:
    """The day the result of an application submitted on `submitted` should be ready; None when it is given at once."""
    if term.unit == TermUnit.ON_APPLICATION:
        return None
    n = term.value
    if n is None:  # the schema requires a value for counted units
        raise ValueError(f"a term in {term.unit} has no value")
    if term.unit == TermUnit.WORKING_DAYS:
        day = calendar.add_working_days(submitted, n)
        skipped = (
            "вихідні й святкові неробочі дні не рахуються"
            if calendar.holidays_are_days_off
            else "вихідні не рахуються; під час воєнного стану святкові дні — робочі"
        )
        rule = (
            f"{n} {plural(n, 'робочий день', 'робочі дні', 'робочих днів')} від дня, наступного за днем "
            f"подання ({skipped})"
        )
        return ReadyBy(day, rule)
    if term.unit == TermUnit.CALENDAR_DAYS:
        day = submitted + timedelta(days=n)
        rule = (
            f"{n} {plural(n, 'календарний день', 'календарні дні', 'календарних днів')} від дня, наступного "
            "за днем подання"
        )
        if not calendar.is_working_day(day):
            rule += "; цей день — вихідний, тож уточніть, коли можна забрати результат"
        return ReadyBy(day, rule)
    day = add_months(submitted, n)
    rule = f"{n} {plural(n, 'місяць', 'місяці', 'місяців')} від дня подання"
    if day.day != submitted.day:
        rule += " (такого числа в тому місяці немає, тому — його останній день)"
    return ReadyBy(day, rule)


def ready_reminder_at(day: date) -> datetime:
    """The «should be ready» reminder: 09:00 Kyiv on `day`, in UTC."""
    return kyiv_at(day, MORNING)


# --- deadlines of life events -------------------------------------------------------------------------------


def deadline_last_day(deadline: Deadline, event: date, calendar: WorkCalendar | None = None) -> date:
    """The last day of `deadline` for an event on `event` (a calendar is needed for working days only)."""
    if deadline.unit == "days":
        return event + timedelta(days=deadline.value)
    if deadline.unit == "months":
        return add_months(event, deadline.value)
    if calendar is None:
        raise ValueError(f"deadline '{deadline.id}' counts working days: a calendar is needed")
    return calendar.add_working_days(event, deadline.value)


def deadline_reminders(
    deadlines: Iterable[Deadline], event: date, now: datetime, *, calendar: WorkCalendar | None = None
) -> list[tuple[datetime, Deadline, date]]:
    """(due_at UTC, deadline, its last day) for every reminder still ahead, soonest first.

    A reminder comes at 09:00 Kyiv `remind_before` days before the last day; reminders at or before `now`, or
    not after the day of the event, are dropped; so a deadline whose last day is already past gives none
    (every reminder comes on or before that day).
    """
    _aware(now, "now")
    due: list[tuple[datetime, Deadline, date]] = []
    for deadline in deadlines:
        last = deadline_last_day(deadline, event, calendar)
        for days in sorted(set(deadline.remind_before), reverse=True):
            day = last - timedelta(days=days)
            at = kyiv_at(day, MORNING)
            if day > event and at > now:
                due.append((at, deadline, last))
    return sorted(due, key=lambda item: (item[0], item[2], item[1].id))


# --- monthly duties -----------------------------------------------------------------------------------------


def monthly_due(after: datetime, day: int = 5, lead_days: int = 3) -> datetime:
    """The next reminder of a monthly duty «by the `day`-th»: 09:00 Kyiv `lead_days` before it, strictly after `after`.

    `after` is when the previous reminder went out (or when the citizen subscribed). With the defaults the reminder
    comes on the 2nd at 09:00: subscribed on the 3rd, the first one comes on the 2nd of the next month. A `day` past
    a month's end means that month's last day.
    """
    _aware(after, "after")
    if not 1 <= day <= 31:
        raise ValueError(f"day must be 1..31, got {day}")
    if not 0 <= lead_days < 28:
        raise ValueError(f"lead_days must be 0..27, got {lead_days}")
    local = after.astimezone(KYIV)
    month_start = date(local.year, local.month, 1)
    for ahead in range(3):  # this month's reminder, or the next month's (one more if lead_days spans months)
        first = add_months(month_start, ahead)
        duty_day = first.replace(day=min(day, _calendar.monthrange(first.year, first.month)[1]))
        at = kyiv_at(duty_day - timedelta(days=lead_days), MORNING)
        if at > after:
            return at
    raise AssertionError("unreachable: two months ahead is always after `after`")  # pragma: no cover
