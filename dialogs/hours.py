"""An office's hours today, in one or two short lines (pure: `now` is an argument, Kyiv local time).

The hours are those of the regime in force (martial law or normal). An office's published hours are in
contacts.yaml; where the seeds give none (the main office, «Я-Ветеран») booking.yaml holds the bot's assumption,
and the answer says the hours are approximate. Under martial law public holidays are working days
(dialogs/calendar.py); a day closed by staff is the booking room's knowledge and is not shown here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dialogs import offices
from dialogs.calendar import WorkCalendar
from knowledge.loader import Knowledge
from knowledge.schema import DayHours, Office, Regime, Schedule, Weekday

WEEKDAYS = list(Weekday)  # mon..sun, in date.weekday() order
DAYS_AT = ("у понеділок", "у вівторок", "у середу", "у четвер", "у п'ятницю", "у суботу", "у неділю")
MONTHS = (
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
)
LOOK_AHEAD = 7  # days searched for the next day the office receives citizens


def schedules_of(kb: Knowledge, office: Office) -> tuple[list[Schedule], bool]:
    """The office's schedules and whether they are the bot's assumption rather than published hours. Hours staff
    changed in the console (dialogs/offices.py) come first: they are the Center's own."""
    if kb.booking is not None:
        staff, data = offices.effective(kb.booking).office(office.id), kb.booking.office(office.id)
        if staff is not None and data is not None and staff.schedules != data.schedules:
            return list(staff.schedules), False
    if office.schedules:
        return list(office.schedules), False
    booked = kb.booking.office(office.id) if kb.booking else None
    if booked is None or not booked.schedules:
        return [], False
    return list(booked.schedules), "hours" in booked.assumed


def day_hours(schedules: Sequence[Schedule], day: dt.date, martial_law: bool) -> DayHours | None:
    """The hours of `day` in the regime in force (the only schedule there is, when the regime has none)."""
    regime = Regime.MARTIAL_LAW if martial_law else Regime.NORMAL
    schedule = next((s for s in schedules if s.regime == regime), None) or next(iter(schedules), None)
    if schedule is None:
        return None
    weekday = WEEKDAYS[day.weekday()]
    return next((h for h in schedule.hours if weekday in h.days), None)


def _hm(t: dt.time) -> str:
    return f"{t:%H:%M}"


def hours_text(hours: DayHours) -> str:
    """«з 08:00 до 16:30, перерва 12:30–13:00»."""
    text = f"з {_hm(hours.open.start)} до {_hm(hours.open.end)}"
    if hours.breaks:
        pauses = ", ".join(
            f"{_hm(b.start)}–{_hm(b.end)}" for b in sorted(hours.breaks, key=lambda b: b.start)
        )
        text += (", перерва " if len(hours.breaks) == 1 else ", перерви ") + pauses
    return text


def day_name(day: dt.date) -> str:
    """«у п'ятницю, 4 грудня»."""
    return f"{DAYS_AT[day.weekday()]}, {day.day} {MONTHS[day.month - 1]}"


def today_text(
    schedules: Sequence[Schedule], now: dt.datetime, martial_law: bool, calendar: WorkCalendar
) -> str | None:
    """Whether and when the office receives citizens today (local `now`), and the next day it does when not
    any more today; None when there are no hours to tell."""
    if not schedules:
        return None
    today = now.date()

    def receiving(day: dt.date) -> DayHours | None:
        return None if calendar.is_closed(day) else day_hours(schedules, day, martial_law)

    hours = receiving(today)
    clock = now.time().replace(tzinfo=None)
    if hours is not None and clock < hours.open.end:
        line = f"Сьогодні, {day_name(today)}, приймають {hours_text(hours)}."
        pause = next((b for b in hours.breaks if b.start <= clock < b.end), None)
        if pause is not None:
            return f"{line} Зараз перерва до {_hm(pause.end)}."
        if hours.open.start <= clock:
            return f"{line} Зараз відчинено."
        return line
    if hours is not None:
        line = f"Сьогодні, {day_name(today)}, прийом уже закінчився ({hours_text(hours)})."
    else:
        line = f"Сьогодні, {day_name(today)}, вихідний."
    for ahead in range(1, LOOK_AHEAD + 1):
        day = today + dt.timedelta(days=ahead)
        if (following := receiving(day)) is not None:
            when = f"завтра, {day_name(day)}" if ahead == 1 else day_name(day)
            return f"{line} Найближчий прийом — {when}, {hours_text(following)}."
    return line
