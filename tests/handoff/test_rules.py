"""The handoff's pure rules: when the hotline answers (its hours, weekends, holidays under both settings, the
two days a year Kyiv's clocks change, the year's end), when it next opens, the wait estimate, what a channel can
carry, what the sweep does with a ticket, and the canned-answer command."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dialogs.calendar import WorkCalendar
from dialogs.handoff import rules, texts
from dialogs.handoff.rules import Carry, Overdue, TicketTimes
from dialogs.messages import Attachment
from knowledge import Knowledge
from knowledge.booking_schema import BookingData

KYIV = ZoneInfo("Europe/Kyiv")
MARTIAL = WorkCalendar(holidays_are_days_off=False)  # public holidays are working days
PEACE = WorkCalendar(holidays_are_days_off=True)


@pytest.fixture(scope="module")
def data(kb: Knowledge) -> BookingData:
    assert kb.booking is not None
    return kb.booking


def kyiv(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """A Kyiv wall time as an aware UTC moment (zoneinfo picks the offset in force that day)."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=KYIV).astimezone(dt.UTC)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC)


def is_open(
    data: BookingData, now: dt.datetime, calendar: WorkCalendar = MARTIAL, martial: bool = True
) -> bool:
    return rules.hotline_open(data, now, martial_law=martial, calendar=calendar)


def opening(
    data: BookingData, now: dt.datetime, calendar: WorkCalendar = MARTIAL, martial: bool = True
) -> dt.datetime | None:
    return rules.next_opening(data, now, martial_law=martial, calendar=calendar)


# --- hotline_open --------------------------------------------------------------------------------------------


def test_the_data_is_what_these_tests_assume(data: BookingData) -> None:
    """Weekdays 08:00–17:00 in both regimes; if the Center changes the hours, these tests must be revisited."""
    for schedule in data.hotline.schedules:
        assert "08:00" in schedule.text and "17:00" in schedule.text
    assert data.timezone == "Europe/Kyiv"


@pytest.mark.parametrize("martial", [True, False])
@pytest.mark.parametrize(
    ("hh", "mm", "expected"),
    [
        (7, 59, False),
        (8, 0, True),
        (12, 30, True),
        (16, 59, True),
        (17, 0, False),
        (20, 0, False),
        (0, 0, False),
    ],
)
def test_hours_of_a_weekday(data: BookingData, martial: bool, hh: int, mm: int, expected: bool) -> None:
    monday = kyiv(2026, 12, 7, hh, mm)
    assert is_open(data, monday, martial=martial) is expected
    assert (
        is_open(data, monday + dt.timedelta(seconds=59), martial=martial) is expected
    )  # a minute is one state


@pytest.mark.parametrize("day", [5, 6])  # Saturday, Sunday 5–6 December 2026
@pytest.mark.parametrize("hh", [0, 8, 10, 16, 23])
def test_weekends_are_closed(data: BookingData, day: int, hh: int) -> None:
    assert not is_open(data, kyiv(2026, 12, day, hh))
    assert not is_open(data, kyiv(2026, 12, day, hh), PEACE, martial=False)


@pytest.mark.parametrize("day", [dt.date(2026, 12, 25), dt.date(2027, 1, 1)])  # Christmas, New Year (Fridays)
def test_a_holiday_is_a_working_day_under_martial_law_and_a_day_off_otherwise(
    data: BookingData, day: dt.date
) -> None:
    noon = kyiv(day.year, day.month, day.day, 12)
    assert is_open(data, noon, MARTIAL)
    assert not is_open(data, noon, PEACE, martial=False)
    assert not is_open(data, noon, PEACE)  # the calendar decides, whatever the hours' regime


def test_a_closure_of_the_hotline_closes_it_and_another_office_s_does_not(data: BookingData) -> None:
    day = dt.date(2026, 12, 8)
    noon = kyiv(2026, 12, 8, 12)
    assert not is_open(data, noon, MARTIAL.with_closures([(rules.HOTLINE.office, day)]))
    assert is_open(data, noon, MARTIAL.with_closures([("visa-main", day)]))


# DST in Kyiv: 03:00 → 04:00 on the last Sunday of March, 04:00 → 03:00 on the last Sunday of October.
SPRING = dt.date(2027, 3, 28)
AUTUMN = dt.date(2026, 10, 25)


@pytest.mark.parametrize("sunday", [SPRING, AUTUMN, dt.date(2026, 3, 29)])
def test_the_clock_change_sunday_is_closed_all_day(data: BookingData, sunday: dt.date) -> None:
    assert sunday.weekday() == 6
    start = dt.datetime(sunday.year, sunday.month, sunday.day, tzinfo=KYIV).astimezone(dt.UTC)
    for quarter in range(0, 26 * 4):  # every 15 minutes of the (23 or 25 hour) day and a bit more
        moment = start + dt.timedelta(minutes=15 * quarter)
        if moment.astimezone(KYIV).date() == sunday:
            assert not is_open(data, moment), moment


def test_hours_keep_their_wall_time_across_the_spring_change(data: BookingData) -> None:
    # Friday before: EET (UTC+2); Monday after: EEST (UTC+3).
    assert not is_open(data, utc(2027, 3, 26, 5, 59)) and is_open(data, utc(2027, 3, 26, 6, 0))
    assert is_open(data, utc(2027, 3, 26, 14, 59)) and not is_open(data, utc(2027, 3, 26, 15, 0))
    assert not is_open(data, utc(2027, 3, 29, 4, 59)) and is_open(data, utc(2027, 3, 29, 5, 0))
    assert is_open(data, utc(2027, 3, 29, 13, 59)) and not is_open(data, utc(2027, 3, 29, 14, 0))


def test_hours_keep_their_wall_time_across_the_autumn_change(data: BookingData) -> None:
    assert is_open(data, utc(2026, 10, 23, 13, 59)) and not is_open(data, utc(2026, 10, 23, 14, 0))  # EEST
    assert not is_open(data, utc(2026, 10, 26, 5, 59)) and is_open(data, utc(2026, 10, 26, 6, 0))  # EET


# --- next_opening --------------------------------------------------------------------------------------------


def test_next_opening_is_now_while_open(data: BookingData) -> None:
    now = kyiv(2026, 12, 7, 8, 0)
    assert opening(data, now) == now
    later = kyiv(2026, 12, 7, 16, 59) + dt.timedelta(seconds=30)
    assert opening(data, later) == later


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (kyiv(2026, 12, 7, 6, 0), kyiv(2026, 12, 7, 8)),  # early on a Monday: today
        (kyiv(2026, 12, 7, 17, 0), kyiv(2026, 12, 8, 8)),  # at closing time: tomorrow
        (kyiv(2026, 12, 4, 20, 0), kyiv(2026, 12, 7, 8)),  # Friday evening: Monday
        (kyiv(2026, 12, 6, 10, 0), kyiv(2026, 12, 7, 8)),  # Sunday: Monday
        (utc(2027, 3, 27, 12), utc(2027, 3, 29, 5)),  # over the spring change: 08:00 EEST
        (utc(2026, 10, 23, 15), utc(2026, 10, 26, 6)),  # over the autumn change: 08:00 EET
        (kyiv(2026, 12, 31, 17, 30), kyiv(2027, 1, 1, 8)),  # year end, martial law: New Year's Day works
    ],
)
def test_next_opening(data: BookingData, now: dt.datetime, expected: dt.datetime) -> None:
    assert opening(data, now) == expected


def test_next_opening_at_year_end_without_martial_law_skips_new_year(data: BookingData) -> None:
    assert opening(data, kyiv(2026, 12, 31, 17, 30), PEACE, martial=False) == kyiv(2027, 1, 4, 8)
    assert opening(data, kyiv(2026, 12, 24, 18), PEACE, martial=False) == kyiv(
        2026, 12, 28, 8
    )  # past Christmas


def test_next_opening_gives_up_after_its_window(data: BookingData) -> None:
    start = dt.date(2026, 12, 7)
    closed = MARTIAL.with_closures([(rules.HOTLINE.office, start + dt.timedelta(days=i)) for i in range(20)])
    assert opening(data, kyiv(2026, 12, 7, 9), closed) is None
    assert texts.when(None, kyiv(2026, 12, 7, 9)) == ""


def test_when_names_the_day_in_words() -> None:
    friday = kyiv(2026, 12, 4, 20)
    assert texts.when(kyiv(2026, 12, 7, 8), friday) == " (почнуть у понеділок о 08:00)"
    assert texts.when(kyiv(2026, 12, 8, 8), kyiv(2026, 12, 7, 20)) == " (почнуть завтра о 08:00)"
    assert texts.when(kyiv(2026, 12, 7, 8), kyiv(2026, 12, 7, 6)) == " (почнуть о 08:00)"
    # Late evening UTC is already the next day in Kyiv: «завтра» is counted in Kyiv, not in UTC.
    assert texts.when(kyiv(2026, 12, 9, 8), utc(2026, 12, 7, 22, 30)) == " (почнуть завтра о 08:00)"


# --- estimate_minutes ------------------------------------------------------------------------------------------

SIX = dt.timedelta(minutes=6)


def minutes(*values: float) -> list[dt.timedelta]:
    return [dt.timedelta(minutes=v) for v in values]


@pytest.mark.parametrize(
    ("ahead", "operators", "expected"),
    [(0, 2, 5), (1, 2, 10), (2, 2, 10), (3, 2, 15), (0, 1, 10), (4, 1, 30), (0, 0, 10), (9, 0, 60)],
)
def test_estimate_from_the_assumed_handling_time(ahead: int, operators: int, expected: int) -> None:
    assert rules.estimate_minutes(ahead, [], operators, per_ticket=SIX) == expected


def test_estimate_uses_the_median_of_recent_waits_only_when_there_are_enough() -> None:
    assert rules.estimate_minutes(0, minutes(40, 50), 2, per_ticket=SIX) == 5  # two waits: not enough
    assert rules.estimate_minutes(0, minutes(2, 4, 30), 2, per_ticket=SIX) == 5  # median 4 → 5
    assert rules.estimate_minutes(0, minutes(12, 21, 90), 2, per_ticket=SIX) == 25  # median 21, rounded up
    assert rules.estimate_minutes(3, minutes(4, 4, 4), 2, per_ticket=SIX) == 10  # 4 × 4 / 2 = 8 → 10


@pytest.mark.parametrize("ahead", range(0, 12))
@pytest.mark.parametrize("operators", [0, 1, 2, 3])
@pytest.mark.parametrize("waits", [[], minutes(0.2, 0.1, 0.3), minutes(7, 13, 19, 400)])
def test_estimate_is_a_positive_multiple_of_the_step(
    ahead: int, operators: int, waits: list[dt.timedelta]
) -> None:
    value = rules.estimate_minutes(ahead, waits, operators, per_ticket=SIX)
    assert value >= rules.ESTIMATE_STEP and value % rules.ESTIMATE_STEP == 0


def _monotonic(waits: list[dt.timedelta], operators: int) -> None:
    estimates = [rules.estimate_minutes(a, waits, operators, per_ticket=SIX) for a in range(10)]
    assert estimates == sorted(estimates), estimates


@pytest.mark.parametrize("operators", [0, 1, 2, 3, 4])
def test_a_later_place_is_never_promised_a_shorter_wait_by_the_assumption(operators: int) -> None:
    _monotonic([], operators)


@pytest.mark.parametrize("operators", [1, 2])
def test_a_later_place_is_never_promised_a_shorter_wait_by_recent_waits(operators: int) -> None:
    _monotonic(minutes(20, 20, 20), operators)


@pytest.mark.parametrize("operators", [3, 4])
def test_a_later_place_is_never_promised_a_shorter_wait_with_many_operators(operators: int) -> None:
    _monotonic(minutes(20, 20, 20), operators)


# --- carry ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attachment", "channel", "expected"),
    [
        (Attachment("photo", origin="-100:5"), "telegram", Carry.COPY),
        (Attachment("voice", origin="-100:5", url="https://x/y.ogg"), "telegram", Carry.COPY),
        (Attachment("photo", url="https://viber/p.jpg"), "telegram", Carry.URL),
        (Attachment("sticker"), "telegram", Carry.NO),
        (Attachment("photo", url="https://viber/p.jpg"), "viber", Carry.URL),
        (Attachment("document", url="https://x/a.pdf", name="a.pdf"), "viber", Carry.URL),
        (Attachment("video", url="https://x/v.mp4"), "viber", Carry.URL),
        (Attachment("voice", url="https://x/v.ogg"), "viber", Carry.NO),
        (Attachment("location", url="https://x/l"), "viber", Carry.NO),
        (Attachment("photo", origin="-100:5"), "viber", Carry.NO),  # a Telegram file has no public address
        (Attachment("photo", origin="-100:5", url="https://x/p.jpg"), "web", Carry.NO),
        (Attachment("document", url="https://x/a.pdf"), "web", Carry.NO),
    ],
)
def test_carry(attachment: Attachment, channel: str, expected: Carry) -> None:
    assert rules.carry(attachment, channel) is expected


# --- overdue --------------------------------------------------------------------------------------------------

T0 = utc(2026, 12, 7, 9)
WAIT = dt.timedelta(minutes=10)
IDLE = dt.timedelta(minutes=30)


def times(
    status: str = "waiting",
    mode: str = "live",
    *,
    last: dt.timedelta = dt.timedelta(0),
    offered: dt.timedelta | None = None,
) -> TicketTimes:
    return TicketTimes(status, mode, T0, T0 + last, None if offered is None else T0 + offered)


def at(minutes_after: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes_after)


def decide(t: TicketTimes, minutes_after: float) -> Overdue | None:
    return rules.overdue(t, at(minutes_after), wait_limit=WAIT, idle=IDLE)


def test_a_live_ticket_nobody_took_is_offered_at_the_limit_and_not_before() -> None:
    assert decide(times(), 9.99) is None
    assert decide(times(), 10) is Overdue.OFFER
    assert (
        decide(times(last=dt.timedelta(minutes=9)), 11) is Overdue.OFFER
    )  # the citizen writing does not delay it


def test_an_offered_ticket_is_released_only_when_quiet_for_idle_since_both_the_offer_and_the_last_line() -> (
    None
):
    offered = times(offered=dt.timedelta(minutes=10))
    assert decide(offered, 11) is None  # offered once only
    assert decide(offered, 39.9) is None  # quiet 39.9 min, but only 29.9 since the offer
    assert decide(offered, 40) is Overdue.RELEASE
    busy = times(offered=dt.timedelta(minutes=10), last=dt.timedelta(minutes=35))
    assert decide(busy, 60) is None and decide(busy, 65) is Overdue.RELEASE


def test_an_open_conversation_closes_when_quiet() -> None:
    assert decide(times("open", last=dt.timedelta(minutes=5)), 34.9) is None
    assert decide(times("open", last=dt.timedelta(minutes=5)), 35) is Overdue.CLOSE
    assert decide(times("open", "question"), 31) is Overdue.CLOSE  # an answered question held open too


@pytest.mark.parametrize("status", ["waiting", "closed"])
def test_questions_and_closed_tickets_are_left_alone(status: str) -> None:
    assert decide(times(status, "question"), 10_000) is None
    assert decide(times("closed"), 10_000) is None


# --- canned_key -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/t hours", "hours"),
        ("/t 41-11", "41-11"),
        ("  /t   HOURS  ", "hours"),
        ("/t@VizaBot адреса", "адреса"),
        ("/t", ""),
        ("/t   ", ""),
        ("/tx hours", None),
        ("/thours", None),
        ("t hours", None),
        ("Добрий день, /t hours", None),
        ("", None),
    ],
)
def test_canned_key(text: str, expected: str | None) -> None:
    assert rules.canned_key(text) == expected
