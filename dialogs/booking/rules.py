"""Pure booking rules: where a service is booked, the slots of a day, which places a citizen may take now, and
why a time is refused. No database and no clock: `now` is always an argument, so every rule is tested alone.

A *resource* is a group of windows of an office (or the hotline) serving the same services; a *slot* is a stretch
of its hours; a *place* is one window (or operator) for one slot, numbered 0..capacity-1. Storage keys bookings
by (office, resource, start, place), so a place can be taken once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from dialogs.calendar import WorkCalendar
from knowledge.booking_schema import BookingData
from knowledge.loader import Knowledge
from knowledge.schema import Regime, Schedule, TimeRange, Weekday

HOTLINE = "hotline"  # the group (and office) of hotline callbacks: Resource(HOTLINE, HOTLINE)
FALLBACK_OFFICE = "visa-main"  # where a service whose card names no office is booked
UTC = dt.UTC
_WEEKDAYS = list(Weekday)  # mon..sun, in date.weekday() order


@dataclass(frozen=True)
class Resource:
    office: str
    group: str  # WindowGroup.id, or "hotline"


@dataclass(frozen=True)
class Slot:
    resource: Resource
    start: dt.datetime  # aware, UTC; built from Kyiv local times (DST-safe)
    end: dt.datetime
    capacity: int  # windows (or hotline operators)
    held: frozenset[int]  # place numbers (0..capacity-1) held for priority citizens
    priority_only: bool = (
        False  # an office for priority citizens only: every place is held, and never released
    )


class Refusal(StrEnum):
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    CLOSED = "closed"
    TAKEN = "taken"
    QUOTA = "quota"
    ALREADY = "already"
    PRIORITY_ONLY = "priority_only"
    UNVERIFIED = "unverified"  # no verified phone: limits count per person, so no person, no booking
    PRIORITY_DAY = "priority_day"  # one priority booking a working day per service per person
    REQUEST = "request"  # one active callback and one open home-visit request per person
    PRIORITY_BLOCKED = "priority_blocked"  # staff refused a claim: no priority until the block ends
    ADDRESS = "address"  # the web client's address made too many of these lately


# --- where ----------------------------------------------------------------------------------------------------


def hotline_resource() -> Resource:
    """The hotline as a resource of its own (closures for it use the office id "hotline")."""
    return Resource(HOTLINE, HOTLINE)


def resource_for(data: BookingData, office: str, service: str) -> Resource | None:
    """The window group of `office` that serves `service`, or None when the office does not book it."""
    cfg = data.office(office)
    if cfg is None:
        return None
    group = next((g for g in cfg.groups if service in g.services), None)
    return None if group is None else Resource(office, group.id)


def offices_for(data: BookingData, kb: Knowledge, service: str) -> list[str]:
    """The offices where `service` can be booked: those its card names first (in the card's order), then the
    others that serve it (e.g. «Я-Ветеран»), in the data's order. A card that names no office puts the main office
    first. Empty for an unknown or not bookable service."""
    card = kb.services.get(service)
    if card is None:
        return []
    serving = [o.office for o in data.offices if resource_for(data, o.office, service) is not None]
    first = [o for o in (card.offices or [FALLBACK_OFFICE]) if o in serving]
    return first + [o for o in serving if o not in first]


# --- when -----------------------------------------------------------------------------------------------------


def _schedule(data: BookingData, resource: Resource, martial_law: bool) -> tuple[list[Schedule], int, int]:
    """(schedules, slot minutes, capacity) of a resource; capacity 0 when the resource is unknown."""
    if resource.group == HOTLINE:
        hot = data.hotline
        return hot.schedules, hot.slot_minutes, hot.operators
    cfg = data.office(resource.office)
    group = None if cfg is None else next((g for g in cfg.groups if g.id == resource.group), None)
    if cfg is None or group is None:
        return [], 15, 0
    return cfg.schedules, group.minutes, group.windows


def _open_ranges(schedules: list[Schedule], day: dt.date, martial_law: bool) -> list[tuple[dt.time, dt.time]]:
    """The day's opening hours of the regime in force, minus breaks, as local (start, end) ranges."""
    regime = Regime.MARTIAL_LAW if martial_law else Regime.NORMAL
    schedule = next((s for s in schedules if s.regime == regime), None)
    weekday = _WEEKDAYS[day.weekday()]
    hours = None if schedule is None else next((h for h in schedule.hours if weekday in h.days), None)
    if hours is None:
        return []
    ranges = [(hours.open.start, hours.open.end)]
    for pause in sorted(hours.breaks, key=lambda b: b.start):
        ranges = [piece for r in ranges for piece in _minus(r, pause)]
    return ranges


def _minus(r: tuple[dt.time, dt.time], pause: TimeRange) -> list[tuple[dt.time, dt.time]]:
    start, end = r
    if pause.end <= start or pause.start >= end:
        return [r]
    return [p for p in ((start, pause.start), (pause.end, end)) if p[0] < p[1]]


def held_counts(slots: int, places_per_slot: int, share: float) -> list[int]:
    """How many places of each of `slots` slots to hold so that round(share × all places) are held, spread
    evenly over the day (Bresenham: each slot holds ⌊n/N⌋ or ⌈n/N⌉, the extra ones at even intervals)."""
    if slots == 0:
        return []
    total = int(share * slots * places_per_slot + 0.5)  # round half up, as people count
    total = min(total, slots * places_per_slot)
    # centre each step: slot i holds the places whose ideal positions (k + 0.5) * N / n fall into it
    return [((i + 1) * total + slots // 2) // slots - (i * total + slots // 2) // slots for i in range(slots)]


def day_slots(
    data: BookingData, resource: Resource, day: dt.date, *, martial_law: bool, calendar: WorkCalendar
) -> list[Slot]:
    """The slots of `day`: the office's hours of the regime in force minus breaks, cut into slots of the group's
    length (a remainder shorter than a slot is not offered). None on a closed day (a holiday that is a day off, or
    a staff closure) or a day without hours (a weekend in the schedule). Local wall times in `data.timezone`,
    returned in UTC, so DST days keep their hours. Places held for priority citizens are spread over the day."""
    if calendar.is_closed(day, resource.office):
        return []
    return list(_day_grid(data, resource, day, martial_law))


_GRIDS: dict[tuple[int, Resource, dt.date, bool], tuple[BookingData, tuple[Slot, ...]]] = {}
_GRIDS_MAX = 4096


def _day_grid(data: BookingData, resource: Resource, day: dt.date, martial_law: bool) -> tuple[Slot, ...]:
    """The slots of a day that is not closed. A pure function of its arguments (the data is frozen), so it is
    memoised: the chat asks for the same days again and again. The entry keeps `data` alive, so its id is not
    reused while the entry exists."""
    key = (id(data), resource, day, martial_law)
    hit = _GRIDS.get(key)
    if hit is not None and hit[0] is data:
        return hit[1]
    grid = _build_grid(data, resource, day, martial_law)
    if len(_GRIDS) >= _GRIDS_MAX:
        _GRIDS.clear()
    _GRIDS[key] = (data, grid)
    return grid


def clear_cache() -> None:
    """Forget memoised slot grids (for benchmarks of the cold path)."""
    _GRIDS.clear()


def _build_grid(data: BookingData, resource: Resource, day: dt.date, martial_law: bool) -> tuple[Slot, ...]:
    schedules, minutes, capacity = _schedule(data, resource, martial_law)
    if capacity == 0:
        return ()
    tz = ZoneInfo(data.timezone)
    step = dt.timedelta(minutes=minutes)
    bounds: list[tuple[dt.datetime, dt.datetime]] = []
    # the day's one UTC offset (fast), or None on the two days a year the clocks change (then each slot alone)
    offset = _day_offset(day, tz)
    for open_at, close_at in _open_ranges(schedules, day, martial_law):
        local = dt.datetime.combine(day, open_at)
        close = dt.datetime.combine(day, close_at)
        while local + step <= close:
            start = _to_utc(local, tz) if offset is None else (local - offset).replace(tzinfo=UTC)
            if start is not None:  # a wall time the clocks skip (spring forward) is not offered
                bounds.append((start, start + step))  # a slot lasts its length in real time, DST or not
            local += step
    cfg = data.office(resource.office) if resource.group != HOTLINE else None
    priority_only = cfg is not None and cfg.priority_only
    share = 0.0 if cfg is None else cfg.priority_share
    held_sets = [frozenset(range(capacity - h, capacity)) for h in range(capacity + 1)]
    holds = held_counts(len(bounds), capacity, share)
    return tuple(
        Slot(
            resource=resource,
            start=start,
            end=end,
            capacity=capacity,
            held=held_sets[capacity if priority_only else hold],
            priority_only=priority_only,
        )
        for (start, end), hold in zip(bounds, holds, strict=True)
    )


def _day_offset(day: dt.date, tz: ZoneInfo) -> dt.timedelta | None:
    first = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).utcoffset()
    last = dt.datetime.combine(day, dt.time(23, 59), tzinfo=tz).utcoffset()
    return first if first == last else None


def _to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """A naive wall time in `tz` as UTC; None when the clocks skip it (spring forward). An hour the clocks
    repeat (fall back) is taken at its first occurrence."""
    moment = local.replace(tzinfo=tz).astimezone(UTC)
    return moment if moment.astimezone(tz).replace(tzinfo=None) == local else None


# --- places ---------------------------------------------------------------------------------------------------


def _released(slot: Slot, now: dt.datetime, release: dt.timedelta) -> bool:
    """Held places open to everyone `release` before the slot (never at a priority-only office)."""
    return not slot.priority_only and now >= slot.start - release


def bookable_places(
    slot: Slot, taken: set[int] | frozenset[int], now: dt.datetime, *, priority: bool, release: dt.timedelta
) -> list[int]:
    """The place numbers this citizen may take now, in the order to try them: general places first (lowest
    number first), then held ones, so priority citizens do not use up the held pool while general places are
    free. A held place is for priority citizens, or for anyone once now >= slot.start - release; at a
    priority-only office nothing is bookable for others."""
    if slot.priority_only and not priority:
        return []
    general = [p for p in range(slot.capacity) if p not in slot.held and p not in taken]
    if not priority and not _released(slot, now, release):
        return general
    return general + sorted(p for p in slot.held if p not in taken)


def counts(
    slot: Slot, taken: set[int] | frozenset[int], now: dt.datetime, *, release: dt.timedelta
) -> tuple[int, int]:
    """(free, priority_free): places any citizen may book now, and the further places only priority citizens
    may book now; free + priority_free <= capacity."""
    free = len(bookable_places(slot, taken, now, priority=False, release=release))
    return free, len(bookable_places(slot, taken, now, priority=True, release=release)) - free


def check_time(
    start: dt.datetime, now: dt.datetime, *, lead: dt.timedelta, horizon_days: int, tz: ZoneInfo
) -> Refusal | None:
    """Why `start` cannot be booked at `now`, or None: sooner than `lead` (exactly `lead` is fine), or after the
    horizon — `horizon_days` calendar days in `tz` counting today (14: today and the next 13 days)."""
    if start < now + lead:
        return Refusal.TOO_SOON
    if start.astimezone(tz).date() > last_day(now, horizon_days, tz):
        return Refusal.TOO_FAR
    return None


def last_day(now: dt.datetime, horizon_days: int, tz: ZoneInfo) -> dt.date:
    """The last local date a citizen may book at `now` (see `check_time`)."""
    return now.astimezone(tz).date() + dt.timedelta(days=horizon_days - 1)


def horizon(now: dt.datetime, horizon_days: int, tz: ZoneInfo) -> list[dt.date]:
    """The local dates within the horizon, today first."""
    today = now.astimezone(tz).date()
    return [today + dt.timedelta(days=i) for i in range(horizon_days)]


def month_key(start: dt.datetime, tz: ZoneInfo) -> str:
    """The calendar month (local time) a booking counts in, e.g. "2026-12"."""
    return start.astimezone(tz).strftime("%Y-%m")


def availability(
    data: BookingData,
    resource: Resource,
    now: dt.datetime,
    taken: Mapping[dt.datetime, set[int]],
    *,
    martial_law: bool,
    calendar: WorkCalendar,
    priority: bool,
) -> list[tuple[Slot, list[int]]]:
    """Every slot over the horizon this citizen can book now, with its places in the order to try them
    (`taken`: the taken places by slot start, as storage returns them)."""
    tz = ZoneInfo(data.timezone)
    earliest = now + dt.timedelta(
        minutes=data.lead_minutes
    )  # `check_time`'s lead; the days are in the horizon
    release = dt.timedelta(hours=data.release_hours)
    out: list[tuple[Slot, list[int]]] = []
    for day in horizon(now, data.horizon_days, tz):
        for slot in day_slots(data, resource, day, martial_law=martial_law, calendar=calendar):
            if slot.start < earliest:
                continue
            places = bookable_places(
                slot, taken.get(slot.start, set()), now, priority=priority, release=release
            )
            if places:
                out.append((slot, places))
    return out
