"""Working days: the Ukrainian calendar (the `holidays` package), weekends, and days closed by staff.

Under martial law (Law № 2136-IX, since 15.03.2022) Ukraine's public holidays are working days. The `holidays`
package models this itself: from 2023 on its "public" category for UA is empty and the holidays sit in the
"workday" category instead (tests/booking/test_calendar.py pins it). `holidays_are_days_off` chooses:

- False (martial law, the default from settings MARTIAL_LAW=true): no public holiday is a day off;
- True (a setting for when martial law ends, until the package follows): the days of both categories are days
  off, with the substitutions (moved days off, working Saturdays) exactly as the package gives them. For 2023 on
  the package gives none, so a holiday falling on a weekend moves nowhere; staff close such days by hand.

Weekends are days off for counting terms (`add_working_days`, `is_working_day`). Office hours are a separate
matter: an office may receive citizens on a Saturday (its schedule says so), so the booking rules ask
`is_closed` — a holiday that is a day off, or a closure — and leave the weekdays to the office's schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays

COUNTRY = "UA"
_SAT, _SUN = 5, 6


class WorkCalendar:
    """Which days are working days, for an office or for terms; pure (no clock), cached per year."""

    def __init__(self, *, holidays_are_days_off: bool, closures: Iterable[tuple[str, dt.date]] = ()) -> None:
        self.holidays_are_days_off = holidays_are_days_off
        self._closures = frozenset(closures)
        self._years: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = {}

    def _year(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        """(days off, working weekend days) of `year` under the chosen regime."""
        cached = self._years.get(year)
        if cached is None:
            if self.holidays_are_days_off:
                days = holidays.country_holidays(COUNTRY, years=year, categories=("public", "workday"))
                cached = (frozenset(days), frozenset(d for d in days.weekend_workdays if d.year == year))
            else:
                cached = (frozenset(), frozenset())
            self._years[year] = cached
        return cached

    def is_holiday(self, day: dt.date) -> bool:
        """A public holiday that is a day off under the chosen regime (never, under martial law)."""
        return day in self._year(day.year)[0]

    def is_closed(self, day: dt.date, office: str | None = None) -> bool:
        """The office does not receive citizens this day whatever its hours: a holiday off, or closed by staff."""
        return self.is_holiday(day) or (office is not None and (office, day) in self._closures)

    def is_working_day(self, day: dt.date, office: str | None = None) -> bool:
        """Monday to Friday (or a working Saturday the package names), not a holiday off, not closed."""
        weekend = day.weekday() in (_SAT, _SUN) and day not in self._year(day.year)[1]
        return not weekend and not self.is_closed(day, office)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start`: counting begins the day after (a term's first day); n=0 is start."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def with_closures(self, closures: Iterable[tuple[str, dt.date]]) -> WorkCalendar:
        """The same calendar with these closures added (the year cache is shared)."""
        other = WorkCalendar(
            holidays_are_days_off=self.holidays_are_days_off, closures=self._closures | set(closures)
        )
        other._years = self._years
        return other
