"""Pure booking rules on the shipped data: slots of a day (regimes, breaks, DST, holidays, closures), the held
share and its spread, release, counts, lead time, horizon, month keys; and the booking data's cross-checks."""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import math
import random
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from dialogs.booking import rules as rules_module
from dialogs.booking.rules import (
    HOTLINE,
    Refusal,
    Resource,
    Slot,
    availability,
    bookable_places,
    check_time,
    counts,
    day_slots,
    held_counts,
    hotline_resource,
    last_day,
    month_key,
    offices_for,
    resource_for,
)
from dialogs.calendar import WorkCalendar
from knowledge import Knowledge
from knowledge.booking_schema import BookingData
from knowledge.check import run_check
from knowledge.schema import Schedule

KYIV = ZoneInfo("Europe/Kyiv")
UTC = dt.UTC
D = dt.date
MARTIAL = WorkCalendar(holidays_are_days_off=False)
PEACE = WorkCalendar(holidays_are_days_off=True)
DAY = dt.timedelta(hours=24)
RELEASE = dt.timedelta(hours=24)
LEAD = dt.timedelta(minutes=60)
SAKS = Resource("saksahan-uszn", "social")


@pytest.fixture(scope="module")
def data(kb: Knowledge) -> BookingData:
    assert kb.booking is not None
    return kb.booking


def kyiv(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=KYIV)


def local_times(slots: list[Slot]) -> list[tuple[str, str]]:
    return [
        (s.start.astimezone(KYIV).strftime("%H:%M"), s.end.astimezone(KYIV).strftime("%H:%M")) for s in slots
    ]


def with_hours(data: BookingData, office: str, hours: list[dict[str, Any]], **changes: Any) -> BookingData:
    """The data with `office` open by `hours` (both regimes) and other fields of that office changed."""
    schedules = [
        Schedule.model_validate({"regime": r, "hours": hours, "text": "test"})
        for r in ("normal", "martial_law")
    ]
    offices = [
        o.model_copy(update={"schedules": schedules, **changes}) if o.office == office else o
        for o in data.offices
    ]
    return data.model_copy(update={"offices": offices})


# --- where ----------------------------------------------------------------------------------------------------


def test_resource_for(data: BookingData) -> None:
    assert resource_for(data, "saksahan-uszn", "kartka-kryvorizhtsia") == SAKS
    assert resource_for(data, "visa-main", "drs-passport-id-lost") == Resource("visa-main", "passport")
    assert resource_for(data, "visa-main", "kartka-kryvorizhtsia") is None
    assert resource_for(data, "nowhere", "kartka-kryvorizhtsia") is None


def test_offices_for_puts_the_card_offices_first(data: BookingData, kb: Knowledge) -> None:
    assert offices_for(data, kb, "kartka-kryvorizhtsia") == ["saksahan-uszn"]
    assert offices_for(data, kb, "veteran-id-replacement") == ["saksahan-uszn", "ya-veteran"]
    assert offices_for(data, kb, "pub-veteran-utility-benefits") == ["visa-main", "ya-veteran"]
    assert offices_for(data, kb, "drs-birth-registration") == ["visa-main"]
    assert offices_for(data, kb, "pub-ubd-status") == []  # not bookable, with a reason in the data
    assert offices_for(data, kb, "no-such-service") == []


def test_every_service_is_bookable_at_its_offices_or_says_why_not(data: BookingData, kb: Knowledge) -> None:
    left_out = {n.service for n in data.not_bookable}
    for sid, service in kb.services.items():
        offices = offices_for(data, kb, sid)
        if sid in left_out:
            assert offices == []
        else:
            assert offices[: len(service.offices or ["visa-main"])] == (service.offices or ["visa-main"])


# --- slots of a day -------------------------------------------------------------------------------------------


def test_tuesday_of_the_normal_regime_has_two_breaks(data: BookingData) -> None:
    tuesday = D(2026, 3, 31)
    slots = day_slots(data, SAKS, tuesday, martial_law=False, calendar=MARTIAL)
    times = local_times(slots)
    assert times[0] == ("08:00", "08:15") and times[-1] == ("19:45", "20:00")
    assert ("12:15", "12:30") in times and ("13:00", "13:15") in times
    assert ("15:15", "15:30") in times and ("16:00", "16:15") in times
    assert not any("12:30" <= a < "13:00" or "15:30" <= a < "16:00" for a, _ in times)
    assert len(slots) == 18 + 10 + 16
    assert all(s.capacity == 2 for s in slots)


def test_martial_law_has_no_saturday_and_shorter_tuesdays(data: BookingData) -> None:
    saturday = D(2026, 4, 4)
    assert day_slots(data, SAKS, saturday, martial_law=True, calendar=MARTIAL) == []
    assert len(day_slots(data, SAKS, saturday, martial_law=False, calendar=MARTIAL)) == 32
    tuesday = local_times(day_slots(data, SAKS, D(2026, 3, 31), martial_law=True, calendar=MARTIAL))
    assert tuesday[-1] == ("16:15", "16:30") and len(tuesday) == 32
    assert day_slots(data, SAKS, D(2026, 4, 5), martial_law=False, calendar=MARTIAL) == []  # Sunday


def test_slots_never_overlap_a_break_nor_leave_the_hours(data: BookingData) -> None:
    week = [D(2026, 11, 2) + dt.timedelta(days=i) for i in range(7)]
    resources = [Resource(o.office, g.id) for o in data.offices for g in o.groups] + [hotline_resource()]
    checked = 0
    for resource in resources:
        office = data.office(resource.office)
        schedules = data.hotline.schedules if office is None else office.schedules
        for martial_law in (False, True):
            regime = "martial_law" if martial_law else "normal"
            schedule = next(s for s in schedules if s.regime == regime)
            for day in week:
                hours = next((h for h in schedule.hours if day.strftime("%a").lower() in h.days), None)
                slots = day_slots(data, resource, day, martial_law=martial_law, calendar=MARTIAL)
                assert (hours is None) == (slots == [])
                for slot in slots:
                    start, end = (t.astimezone(KYIV).time() for t in (slot.start, slot.end))
                    assert hours is not None and hours.open.start <= start < end <= hours.open.end
                    assert all(end <= b.start or start >= b.end for b in hours.breaks), (resource, day, start)
                    checked += 1
                starts = [s.start for s in slots]
                assert starts == sorted(set(starts))
                assert all(a.end <= b.start for a, b in itertools.pairwise(slots))
    assert checked > 1000


def test_hotline_slots(data: BookingData) -> None:
    slots = day_slots(data, Resource(HOTLINE, HOTLINE), D(2026, 12, 8), martial_law=True, calendar=MARTIAL)
    assert len(slots) == 54  # 08:00-17:00 in 10-minute slots
    assert all(
        s.capacity == 2 and s.held == frozenset() and s.end - s.start == dt.timedelta(minutes=10)
        for s in slots
    )
    assert (
        day_slots(data, hotline_resource(), D(2026, 12, 12), martial_law=True, calendar=MARTIAL) == []
    )  # Saturday


def test_dst_keeps_local_wall_times_around_both_changes(data: BookingData) -> None:
    for before, after in ((D(2026, 3, 27), D(2026, 3, 30)), (D(2026, 10, 23), D(2026, 10, 26))):
        first = [day_slots(data, SAKS, d, martial_law=True, calendar=MARTIAL)[0] for d in (before, after)]
        assert [local_times([s])[0][0] for s in first] == ["08:00", "08:00"]
        offsets = [s.start.astimezone(KYIV).utcoffset() for s in first]
        assert offsets[0] != offsets[1]
        assert all(s.start.tzinfo == UTC for s in first)
    spring = day_slots(data, SAKS, D(2026, 3, 30), martial_law=True, calendar=MARTIAL)[0]
    assert spring.start == dt.datetime(2026, 3, 30, 5, 0, tzinfo=UTC)  # UTC+3 after the spring change
    autumn = day_slots(data, SAKS, D(2026, 10, 26), martial_law=True, calendar=MARTIAL)[0]
    assert autumn.start == dt.datetime(2026, 10, 26, 6, 0, tzinfo=UTC)  # UTC+2 after the autumn change


def test_dst_days_themselves_with_an_office_open_on_sunday_night(data: BookingData) -> None:
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    night = with_hours(data, "visa-main", [{"days": every_day, "open": {"start": "01:00", "end": "11:00"}}])
    res = Resource("visa-main", "civil-registry")
    for day, skipped in ((D(2026, 3, 29), "03:"), (D(2026, 10, 25), None)):
        slots = day_slots(night, res, day, martial_law=True, calendar=MARTIAL)
        starts = [s.start for s in slots]
        assert starts == sorted(set(starts)), "two slots at one instant would share places"
        assert all(s.end - s.start == dt.timedelta(minutes=15) for s in slots)
        assert all(a.end <= b.start for a, b in itertools.pairwise(slots))
        times = local_times(slots)
        assert times[0][0] == "01:00" and times[-1][1] == "11:00"
        if skipped:  # 03:00-04:00 does not exist on the spring day: four slots fewer, 02:45 ends at 04:00
            assert not any(a.startswith(skipped) for a, _ in times)
            assert ("02:45", "04:00") in times and ("04:00", "04:15") in times
            assert len(slots) == 36
        else:  # the repeated hour is offered once, at its first occurrence
            assert len(slots) == 40 and ("03:45", "03:00") in times
    ordinary = day_slots(night, res, D(2026, 3, 22), martial_law=True, calendar=MARTIAL)
    assert len(ordinary) == 40


def test_holidays_under_martial_law_and_with_the_override(data: BookingData) -> None:
    independence = D(2026, 8, 24)  # Monday
    assert day_slots(data, SAKS, independence, martial_law=True, calendar=MARTIAL)
    assert day_slots(data, SAKS, independence, martial_law=True, calendar=PEACE) == []
    assert day_slots(data, SAKS, D(2026, 8, 25), martial_law=True, calendar=PEACE)


def test_year_end(data: BookingData) -> None:
    new_year = D(2027, 1, 1)  # Friday
    assert day_slots(data, SAKS, new_year, martial_law=True, calendar=MARTIAL)
    assert day_slots(data, SAKS, new_year, martial_law=False, calendar=PEACE) == []
    last = day_slots(data, SAKS, D(2026, 12, 31), martial_law=True, calendar=MARTIAL)[-1]
    assert month_key(last.start, KYIV) == "2026-12"
    assert month_key(dt.datetime(2026, 12, 31, 22, 30, tzinfo=UTC), KYIV) == "2027-01"  # 00:30 in Kyiv
    assert month_key(dt.datetime(2026, 12, 31, 21, 59, tzinfo=UTC), KYIV) == "2026-12"


def test_closures(data: BookingData) -> None:
    day = D(2026, 12, 8)
    closed = WorkCalendar(holidays_are_days_off=False, closures=[("saksahan-uszn", day)])
    assert day_slots(data, SAKS, day, martial_law=True, calendar=closed) == []
    assert day_slots(data, Resource("visa-main", "passport"), day, martial_law=True, calendar=closed)
    assert day_slots(data, SAKS, day + dt.timedelta(days=1), martial_law=True, calendar=closed)
    hotline_closed = WorkCalendar(holidays_are_days_off=False, closures=[(HOTLINE, day)])
    assert day_slots(data, hotline_resource(), day, martial_law=True, calendar=hotline_closed) == []


def test_unknown_resource_has_no_slots(data: BookingData) -> None:
    assert (
        day_slots(data, Resource("visa-main", "nothing"), D(2026, 12, 8), martial_law=True, calendar=MARTIAL)
        == []
    )
    assert (
        day_slots(data, Resource("nowhere", "social"), D(2026, 12, 8), martial_law=True, calendar=MARTIAL)
        == []
    )


# --- the held share -------------------------------------------------------------------------------------------


def _assert_spread(held_per_slot: list[int], total: int) -> None:
    half = len(held_per_slot) // 2
    # a slot is not split between halves, so the one in the middle may add its own count to either half
    limit = math.ceil(total / 2) + max(1, max(held_per_slot, default=0))
    assert sum(held_per_slot[:half]) <= limit and sum(held_per_slot[half:]) <= limit, held_per_slot
    # and not bunched anywhere: every stretch of k slots holds about k * total / N
    n = len(held_per_slot)
    for k in range(1, n + 1):
        for i in range(n - k + 1):
            assert abs(sum(held_per_slot[i : i + k]) - k * total / n) <= 1.0 + 1e-9


@pytest.mark.parametrize("slots", [1, 2, 7, 32, 44])
@pytest.mark.parametrize("capacity", [1, 2, 3, 10])
@pytest.mark.parametrize("share", [0.0, 0.05, 0.2, 0.5, 0.9, 1.0])
def test_held_counts_total_and_spread(slots: int, capacity: int, share: float) -> None:
    held = held_counts(slots, capacity, share)
    total = math.floor(share * slots * capacity + 0.5)
    assert sum(held) == total
    assert all(0 <= h <= capacity for h in held)
    _assert_spread(held, total)


def test_held_places_of_a_real_day(data: BookingData) -> None:
    for resource in (SAKS, Resource("visa-main", "civil-registry"), Resource("visa-main", "veterans")):
        slots = day_slots(data, resource, D(2026, 3, 31), martial_law=False, calendar=MARTIAL)
        places = sum(s.capacity for s in slots)
        total = math.floor(0.2 * places + 0.5)
        per_slot = [len(s.held) for s in slots]
        assert sum(per_slot) == total > 0
        _assert_spread(per_slot, total)
        for s in slots:  # the highest numbers are held, so general places are the low ones
            assert s.held == frozenset(range(s.capacity - len(s.held), s.capacity))
            assert not s.priority_only


def test_priority_only_office(data: BookingData) -> None:
    res = Resource("ya-veteran", "veterans")
    slots = day_slots(data, res, D(2026, 12, 8), martial_law=True, calendar=MARTIAL)
    assert slots and all(s.priority_only and s.held == frozenset(range(s.capacity)) for s in slots)
    slot = slots[0]
    long_after_release = slot.start - dt.timedelta(minutes=5)
    assert bookable_places(slot, set(), long_after_release, priority=False, release=RELEASE) == []
    assert bookable_places(slot, {1}, long_after_release, priority=True, release=RELEASE) == [0, 2]
    assert counts(slot, {1}, long_after_release, release=RELEASE) == (0, 2)


# --- places a citizen may take --------------------------------------------------------------------------------


def slot_at(start: dt.datetime, capacity: int = 4, held: frozenset[int] = frozenset({3})) -> Slot:
    utc = start.astimezone(UTC)
    return Slot(SAKS, utc, utc + dt.timedelta(minutes=15), capacity, held)


def test_general_places_first_then_held() -> None:
    start = kyiv(D(2026, 12, 8), "10:00")
    slot = slot_at(start, capacity=5, held=frozenset({2, 4}))
    early = start - 3 * DAY
    assert bookable_places(slot, set(), early, priority=False, release=RELEASE) == [0, 1, 3]
    assert bookable_places(slot, set(), early, priority=True, release=RELEASE) == [0, 1, 3, 2, 4]
    assert bookable_places(slot, {0, 1, 3}, early, priority=False, release=RELEASE) == []
    assert bookable_places(slot, {0, 1, 3}, early, priority=True, release=RELEASE) == [2, 4]
    assert bookable_places(slot, {0, 1, 3, 4}, early, priority=True, release=RELEASE) == [2]
    assert bookable_places(slot, {0, 1, 2, 3, 4}, early, priority=True, release=RELEASE) == []


def test_release_at_exactly_24_hours() -> None:
    start = kyiv(D(2026, 12, 8), "10:00")
    slot = slot_at(start)
    at_release = start - RELEASE
    assert bookable_places(
        slot, set(), at_release - dt.timedelta(microseconds=1), priority=False, release=RELEASE
    ) == [0, 1, 2]
    assert bookable_places(slot, set(), at_release, priority=False, release=RELEASE) == [0, 1, 2, 3]
    assert counts(slot, set(), at_release - dt.timedelta(seconds=1), release=RELEASE) == (3, 1)
    assert counts(slot, set(), at_release, release=RELEASE) == (4, 0)


def test_release_across_the_dst_change_counts_real_hours() -> None:
    start = kyiv(D(2026, 3, 29), "10:00")  # Sunday, UTC+3; 24 real hours before is 09:00 on Saturday (UTC+2)
    slot = slot_at(start)
    assert bookable_places(slot, set(), kyiv(D(2026, 3, 28), "09:00"), priority=False, release=RELEASE) == [
        0,
        1,
        2,
        3,
    ]
    assert bookable_places(slot, set(), kyiv(D(2026, 3, 28), "08:59"), priority=False, release=RELEASE) == [
        0,
        1,
        2,
    ]


def test_counts_agree_with_bookable_places(data: BookingData) -> None:
    rng = random.Random(10)
    slots = [
        s
        for res in (SAKS, Resource("visa-main", "civil-registry"), Resource("ya-veteran", "veterans"))
        for s in day_slots(data, res, D(2026, 12, 8), martial_law=True, calendar=MARTIAL)
    ]
    for slot in slots:
        for _ in range(5):
            taken = {p for p in range(slot.capacity) if rng.random() < 0.5}
            now = slot.start - dt.timedelta(hours=rng.choice([1, 23, 24, 25, 72]))
            free, priority_free = counts(slot, taken, now, release=RELEASE)
            anyone = bookable_places(slot, taken, now, priority=False, release=RELEASE)
            prio = bookable_places(slot, taken, now, priority=True, release=RELEASE)
            assert free == len(anyone) and free + priority_free == len(prio)
            assert free + priority_free <= slot.capacity - len(taken & set(range(slot.capacity)))
            assert set(anyone) <= set(prio) and not set(prio) & taken
            assert prio == sorted(p for p in prio if p not in slot.held) + sorted(
                p for p in prio if p in slot.held
            )


# --- lead time, horizon, month ----------------------------------------------------------------------------


def test_lead_time_edges() -> None:
    now = dt.datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert check_time(now + LEAD, now, lead=LEAD, horizon_days=14, tz=KYIV) is None
    assert (
        check_time(now + LEAD - dt.timedelta(seconds=1), now, lead=LEAD, horizon_days=14, tz=KYIV)
        == Refusal.TOO_SOON
    )
    assert check_time(now - DAY, now, lead=LEAD, horizon_days=14, tz=KYIV) == Refusal.TOO_SOON


def test_horizon_edges_in_kyiv_days() -> None:
    now = kyiv(D(2026, 12, 8), "23:30").astimezone(UTC)  # late evening: still the 8th in Kyiv (21:30 UTC)
    assert last_day(now, 14, KYIV) == D(2026, 12, 21)
    assert check_time(kyiv(D(2026, 12, 21), "23:59"), now, lead=LEAD, horizon_days=14, tz=KYIV) is None
    assert (
        check_time(kyiv(D(2026, 12, 22), "00:00"), now, lead=LEAD, horizon_days=14, tz=KYIV)
        == Refusal.TOO_FAR
    )
    after_midnight = kyiv(D(2026, 12, 9), "00:30")  # 22:30 UTC on the 8th, already the 9th in Kyiv
    assert (
        check_time(kyiv(D(2026, 12, 22), "08:00"), after_midnight, lead=LEAD, horizon_days=14, tz=KYIV)
        is None
    )


def test_horizon_over_the_year_end() -> None:
    now = kyiv(D(2026, 12, 25), "09:00")
    assert last_day(now, 14, KYIV) == D(2027, 1, 7)
    assert check_time(kyiv(D(2027, 1, 7), "15:00"), now, lead=LEAD, horizon_days=14, tz=KYIV) is None
    assert (
        check_time(kyiv(D(2027, 1, 8), "08:00"), now, lead=LEAD, horizon_days=14, tz=KYIV) == Refusal.TOO_FAR
    )


def test_availability_over_the_horizon(data: BookingData) -> None:
    now = kyiv(D(2026, 12, 7), "09:10").astimezone(UTC)  # a Monday
    found = availability(data, SAKS, now, {}, martial_law=True, calendar=MARTIAL, priority=False)
    days = sorted({s.start.astimezone(KYIV).date() for s, _ in found})
    assert days[0] == D(2026, 12, 7) and days[-1] == D(2026, 12, 18) and len(days) == 10
    assert found[0][0].start == kyiv(D(2026, 12, 7), "10:15").astimezone(UTC)  # 1 h lead, next whole slot
    full = {
        s.start: set(range(s.capacity)) for s, _ in found if s.start.astimezone(KYIV).date() == D(2026, 12, 7)
    }
    later = availability(data, SAKS, now, full, martial_law=True, calendar=MARTIAL, priority=False)
    assert later[0][0].start.astimezone(KYIV).date() == D(2026, 12, 8)


# --- purity ---------------------------------------------------------------------------------------------------


def test_no_clock_inside() -> None:
    source = inspect.getsource(rules_module)
    for call in (".now(", ".today(", "utcnow", "time.time(", "monotonic"):
        assert call not in source
    for fn in (bookable_places, counts, check_time, availability):
        assert "now" in inspect.signature(fn).parameters


# --- the data's cross-checks ----------------------------------------------------------------------------------


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(Path(str(resources.files("knowledge") / "data")), dst)
    return dst


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_shipped_booking_data_passes(kb: Knowledge) -> None:
    assert kb.booking is not None
    assert run_check() == []


def test_booking_problems_are_reported(data_copy: Path) -> None:
    def break_it(raw: dict[str, Any]) -> None:
        offices = {o["office"]: o for o in raw["offices"]}
        offices["saksahan-uszn"]["groups"][0]["services"].remove("municipal-nanny")
        offices["saksahan-uszn"]["schedules"] = offices["ya-veteran"]["schedules"]
        offices["ya-veteran"]["assumed"].remove("hours")
        main = offices["visa-main"]
        main["groups"][0]["services"].append("drs-passport-id-lost")  # also in the passport group
        main["groups"][0]["services"].append("no-such-service")
        main["groups"][1]["slot_minutes_by_service"] = {"drs-passport-id-lost": 30}
        del main["schedules"][1]
        raw["offices"].append(
            {
                "office": "nowhere",
                "groups": [{"id": "hotline", "windows": 1, "services": ["drs-name-change"]}],
                "assumed": [],
                "source": {"title": "x"},
            }
        )
        raw["hotline"]["hotline"] = "no-line"
        raw["not_bookable"].pop()  # pub-ubd-status: now neither bookable nor explained

    _edit(data_copy / "booking.yaml", break_it)
    text = "\n".join(run_check(data_copy))
    assert "office 'nowhere': unknown office" in text
    assert "group id 'hotline' is reserved" in text
    assert "names unknown service 'no-such-service'" in text
    assert "service 'drs-passport-id-lost' is in groups 'civil-registry' and 'passport'" in text
    assert "group 'passport' mixes slot lengths [20, 30]" in text
    assert "service 'municipal-nanny' is not bookable at 'saksahan-uszn'" in text
    assert "service 'pub-ubd-status' is not bookable at 'visa-main'" in text
    assert "office 'saksahan-uszn': contacts.yaml publishes this office's hours" in text
    assert "office 'ya-veteran': hours not in contacts.yaml must be listed as assumed" in text
    assert "office 'visa-main': no hours for the regime 'martial_law'" in text
    assert "hotline: unknown hotline 'no-line'" in text


def test_missing_hours_and_schema_errors(data_copy: Path) -> None:
    def no_hours(raw: dict[str, Any]) -> None:
        next(o for o in raw["offices"] if o["office"] == "ya-veteran")["schedules"] = []
        raw["priority_groups"][0]["label"] = "Ця назва кнопки занадто довга для телефона"

    _edit(data_copy / "booking.yaml", no_hours)
    problems = run_check(data_copy)
    assert any(p.startswith("booking.yaml: priority_groups.0.label") for p in problems), problems
    _edit(data_copy / "booking.yaml", lambda raw: raw["priority_groups"][0].update(label="УБД"))
    assert (
        "booking.yaml: office 'ya-veteran': contacts.yaml gives no hours, so `schedules` is required here"
        in run_check(data_copy)
    )


def test_booking_file_is_optional(data_copy: Path) -> None:
    from knowledge.loader import load_knowledge

    (data_copy / "booking.yaml").unlink()
    assert load_knowledge(data_copy).booking is None
    assert run_check(data_copy) == []


def test_loader_fills_published_hours(kb: Knowledge, data: BookingData) -> None:
    saks = data.office("saksahan-uszn")
    contact = next(o for o in kb.contacts.offices if o.id == "saksahan-uszn")
    assert saks is not None and saks.schedules == contact.schedules and saks.schedules


def test_memoised_grid_respects_closures_and_callers_cannot_corrupt_it(data: BookingData) -> None:
    day = D(2026, 12, 15)
    first = day_slots(data, SAKS, day, martial_law=True, calendar=MARTIAL)
    first.clear()
    closed = WorkCalendar(holidays_are_days_off=False, closures=[("saksahan-uszn", day)])
    assert day_slots(data, SAKS, day, martial_law=True, calendar=closed) == []
    again = day_slots(data, SAKS, day, martial_law=True, calendar=MARTIAL)
    assert len(again) == 32
    other = with_hours(data, "saksahan-uszn", [{"days": ["tue"], "open": {"start": "09:00", "end": "10:00"}}])
    assert len(day_slots(other, SAKS, day, martial_law=True, calendar=MARTIAL)) == 4
    assert len(day_slots(data, SAKS, day, martial_law=True, calendar=MARTIAL)) == 32
