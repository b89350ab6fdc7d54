"""Working days: the `holidays` package's model of martial law (pinned), the override, weekends, closures, terms."""

from __future__ import annotations

import datetime as dt
import inspect

import holidays
import pytest

from dialogs import calendar as calendar_module
from dialogs.calendar import WorkCalendar

D = dt.date
MARTIAL = WorkCalendar(holidays_are_days_off=False)
PEACE = WorkCalendar(holidays_are_days_off=True)


# --- what we rely on in the package -------------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2023, 2028))
def test_package_models_martial_law_as_workday_category(year: int) -> None:
    """From 2023 on the package lists no public UA holidays; they sit in the "workday" category."""
    assert dict(holidays.country_holidays("UA", years=year)) == {}
    workdays = holidays.country_holidays("UA", years=year, categories=("workday",))
    assert D(year, 8, 24) in workdays  # Independence Day
    assert D(year, 12, 25) in workdays  # Christmas
    assert D(year, 1, 1) in workdays
    assert (D(year, 1, 7) in workdays) == (year == 2023)  # the 7 January Christmas ended in July 2023


def test_package_still_gives_public_holidays_and_substitutions_before_martial_law() -> None:
    days = holidays.country_holidays("UA", years=2021)
    assert D(2021, 8, 24) in days
    assert D(2021, 1, 8) in days  # a day off moved from Saturday 16 January
    assert D(2021, 1, 16) in days.weekend_workdays


# --- the calendar -------------------------------------------------------------------------------------------


def test_weekends_are_days_off() -> None:
    assert MARTIAL.is_working_day(D(2026, 3, 27))  # Friday
    assert not MARTIAL.is_working_day(D(2026, 3, 28))  # Saturday
    assert not MARTIAL.is_working_day(D(2026, 3, 29))  # Sunday
    assert not PEACE.is_working_day(D(2026, 3, 29))


@pytest.mark.parametrize(
    "day", [D(2026, 8, 24), D(2026, 12, 25), D(2026, 1, 1), D(2027, 1, 1), D(2026, 10, 1)]
)
def test_holidays_are_working_days_under_martial_law_and_days_off_with_the_override(day: dt.date) -> None:
    assert day.weekday() < 5
    assert MARTIAL.is_working_day(day)
    assert not MARTIAL.is_closed(day, "visa-main")
    assert not PEACE.is_working_day(day)
    assert PEACE.is_closed(day, "visa-main")
    assert PEACE.is_closed(day)


def test_override_keeps_the_package_substitutions() -> None:
    assert not PEACE.is_working_day(D(2021, 1, 8))  # Friday, a day off moved from Saturday
    assert PEACE.is_working_day(D(2021, 1, 16))  # that Saturday was a working day
    assert not MARTIAL.is_working_day(D(2021, 1, 16))


def test_a_holiday_on_a_saturday_closes_a_saturday_office_only_with_the_override() -> None:
    labour_day = D(2027, 5, 1)  # Saturday
    assert PEACE.is_closed(labour_day, "saksahan-uszn")
    assert not MARTIAL.is_closed(labour_day, "saksahan-uszn")


def test_closures_close_one_office_on_one_day() -> None:
    day = D(2026, 12, 8)
    cal = WorkCalendar(holidays_are_days_off=False, closures=[("visa-main", day)])
    assert not cal.is_working_day(day, "visa-main")
    assert cal.is_closed(day, "visa-main")
    assert cal.is_working_day(day, "saksahan-uszn")
    assert cal.is_working_day(day)  # terms ignore an office's closure
    assert cal.is_working_day(day + dt.timedelta(days=1), "visa-main")
    more = cal.with_closures([("saksahan-uszn", day)])
    assert more.is_closed(day, "saksahan-uszn") and more.is_closed(day, "visa-main")
    assert not cal.is_closed(day, "saksahan-uszn")


def test_add_working_days_counts_from_the_next_day() -> None:
    friday = D(2026, 8, 21)
    assert MARTIAL.add_working_days(friday, 0) == friday
    assert MARTIAL.add_working_days(friday, 1) == D(2026, 8, 24)  # Independence Day is a working day
    assert PEACE.add_working_days(friday, 1) == D(2026, 8, 25)
    assert MARTIAL.add_working_days(D(2026, 8, 22), 1) == D(2026, 8, 24)  # from a Saturday
    assert MARTIAL.add_working_days(friday, 10) == D(2026, 9, 4)
    with pytest.raises(ValueError):
        MARTIAL.add_working_days(friday, -1)


def test_add_working_days_over_the_year_end() -> None:
    assert MARTIAL.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 25)
    assert PEACE.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 28)
    assert MARTIAL.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert PEACE.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert PEACE.add_working_days(D(2026, 12, 31), 2) == D(2027, 1, 5)


def test_no_clock_inside() -> None:
    source = inspect.getsource(calendar_module)
    for call in (".now(", ".today(", "utcnow", "time.time(", "monotonic"):
        assert call not in source
