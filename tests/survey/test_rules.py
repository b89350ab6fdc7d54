"""The survey's timing and typed-score rules (dialogs/survey/rules.py), pure: Kyiv wall-clock times across a
Saturday, a Sunday, a night, a year's end and both DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dialogs.survey import rules

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=KYIV)


def utc(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("visit", "marked", "asked"),
    [
        # A Monday's visit marked the same afternoon: Tuesday 10:00 Kyiv (winter: UTC+2).
        (kyiv(2026, 12, 7, 11), kyiv(2026, 12, 7, 11, 30), utc(2026, 12, 8, 8)),
        # Friday → Saturday is fine; Saturday → Monday (never on a Sunday).
        (kyiv(2026, 12, 4, 15), kyiv(2026, 12, 4, 16), utc(2026, 12, 5, 8)),
        (kyiv(2026, 12, 5, 10), kyiv(2026, 12, 5, 10, 20), utc(2026, 12, 7, 8)),
        # Marked late, on the morning after at 11:00: at once.
        (kyiv(2026, 12, 7, 11), kyiv(2026, 12, 8, 11), utc(2026, 12, 8, 9)),
        # Marked late at night (22:30): not at night, the next morning at 10:00.
        (kyiv(2026, 12, 8, 9), kyiv(2026, 12, 9, 22, 30), utc(2026, 12, 10, 8)),
        # Marked at 06:00 the next morning: 10:00 that day, not earlier.
        (kyiv(2026, 12, 8, 9), kyiv(2026, 12, 9, 6), utc(2026, 12, 9, 8)),
        # Marked on Saturday evening after a Friday visit: past Saturday 21:00 and Sunday → Monday (3rd day).
        (kyiv(2026, 12, 4, 9), kyiv(2026, 12, 5, 21, 30), utc(2026, 12, 7, 8)),
        # The year's end: Thursday 31 December → Friday 1 January 10:00.
        (kyiv(2026, 12, 31, 12), kyiv(2026, 12, 31, 12, 30), utc(2027, 1, 1, 8)),
        # Saturday 30 December 2028 → Monday 1 January 2029, across the year.
        (kyiv(2028, 12, 30, 9), kyiv(2028, 12, 30, 9, 30), utc(2029, 1, 1, 8)),
        # Autumn DST: Saturday 24 October 2026 (EEST, UTC+3) → Monday 26 October 10:00 EET (UTC+2) = 08:00 UTC.
        (kyiv(2026, 10, 24, 10), kyiv(2026, 10, 24, 11), utc(2026, 10, 26, 8)),
        # Spring DST: Saturday 27 March 2027 (EET) → Monday 29 March 10:00 EEST (UTC+3) = 07:00 UTC.
        (kyiv(2027, 3, 27, 10), kyiv(2027, 3, 27, 11), utc(2027, 3, 29, 7)),
        # Friday before the spring change → Saturday 27 March 2027 10:00 EET = 08:00 UTC.
        (kyiv(2027, 3, 26, 10), kyiv(2027, 3, 26, 11), utc(2027, 3, 27, 8)),
    ],
)
def test_the_morning_after_never_at_night_nor_on_a_sunday(
    visit: dt.datetime, marked: dt.datetime, asked: dt.datetime
) -> None:
    at = rules.ask_at(visit, marked)
    assert at == asked
    assert at is not None and at.tzinfo is not None and at.utcoffset() == dt.timedelta(0)
    local = at.astimezone(KYIV)
    assert local.weekday() != 6 and dt.time(8) <= local.time() < dt.time(21)


@pytest.mark.parametrize(
    ("visit", "marked", "asked"),
    [
        # Three days is the limit: a Monday's visit marked Thursday 15:00 is still asked, Friday is too late.
        (kyiv(2026, 12, 7, 10), kyiv(2026, 12, 10, 15), utc(2026, 12, 10, 13)),
        (kyiv(2026, 12, 7, 10), kyiv(2026, 12, 11, 9), None),
        # Thursday's visit marked Saturday night: Sunday is skipped, Monday is the 4th day: not asked.
        (kyiv(2026, 12, 3, 10), kyiv(2026, 12, 5, 22), None),
        # Marked Thursday 22:00 after a Monday visit: the next allowed morning (Friday) is the 4th day.
        (kyiv(2026, 12, 7, 10), kyiv(2026, 12, 10, 22), None),
    ],
)
def test_a_visit_older_than_three_days_is_not_asked(
    visit: dt.datetime, marked: dt.datetime, asked: dt.datetime | None
) -> None:
    assert rules.ask_at(visit, marked) == asked


def test_may_ask_when_it_is_sent() -> None:
    day = dt.date(2026, 12, 7)  # a Monday
    assert rules.may_ask(day, kyiv(2026, 12, 8, 10))
    assert not rules.may_ask(day, kyiv(2026, 12, 7, 18))  # the visit's own day
    assert not rules.may_ask(day, kyiv(2026, 12, 8, 21))  # night begins at 21:00
    assert not rules.may_ask(day, kyiv(2026, 12, 9, 7, 59))
    assert rules.may_ask(day, kyiv(2026, 12, 9, 8))
    assert not rules.may_ask(dt.date(2026, 12, 12), kyiv(2026, 12, 13, 12))  # a Sunday
    assert rules.may_ask(day, kyiv(2026, 12, 10, 20, 59))
    assert not rules.may_ask(day, kyiv(2026, 12, 11, 10))  # the 4th day
    with pytest.raises(ValueError):
        rules.may_ask(day, dt.datetime(2026, 12, 8, 10))  # naive


@pytest.mark.parametrize(
    ("typed", "score"),
    [
        ("5", 5), ("4", 4), (" 1 ", 1), ("п'ять", 5), ("пʼять", 5), ("пять", 5), ("чотири", 4), ("три", 3),
        ("на четвірку", 4), ("4/5", 4), ("3 з 5", 3), ("все добре", 5), ("Все добре, дякую!", 5),
        ("чудово", 5), ("добре", 4), ("так собі", 3), ("погано", 2), ("дуже погано", 1), ("жахливо", 1),
        ("6", None), ("0", None), ("10", None), ("4 5", None), ("де ви знаходитесь", None),
        ("я прийшла вчасно і мене швидко прийняли", None), ("", None), ("2026", None),
    ],
)  # fmt: skip
def test_a_typed_score(typed: str, score: int | None) -> None:
    assert rules.read_score(typed) == score


@pytest.mark.parametrize(
    ("typed", "both"),
    [
        ("5, все швидко і ввічливо", (5, "все швидко і ввічливо")),
        ("3 — довго чекала", (3, "довго чекала")),
        ("2 години чекала в черзі", None),  # a count of hours, not a score
        ("5.5 годин", None),
        ("10:00 прийшла", None),
        ("5", None),
    ],
)
def test_a_score_with_its_comment(typed: str, both: tuple[int, str] | None) -> None:
    assert rules.split_score(typed) == both
