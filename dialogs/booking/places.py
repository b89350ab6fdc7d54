"""Where and when a service can be booked: the offices that take it, what it is booked on, the days and times
a citizen can book now, and every slot with its free places for staff. Reads only: booking itself is
dialogs/booking/service.py (BookingService is this and more)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dialogs import offices as board
from dialogs.booking.rules import (
    Resource,
    Slot,
    bookable_places,
    counts,
    day_slots,
    horizon,
    offices_for,
    resource_for,
)
from dialogs.calendar import WorkCalendar
from knowledge.booking_schema import BookingData
from knowledge.loader import Knowledge
from storage.uow import UnitOfWork

HOTLINE = "hotline"  # the resource group of hotline callbacks


@dataclass(frozen=True)
class SlotView:
    """A slot as staff see it: `free` any citizen may book now, `priority_free` further places only priority
    citizens may book now (free + priority_free ≤ capacity)."""

    start: dt.datetime
    capacity: int
    free: int
    priority_free: int


class Places:
    """The slots of a service's resource and their free places, over one unit of work at a time."""

    def __init__(
        self,
        kb: Knowledge,
        *,
        martial_law: bool,
        holidays_are_days_off: bool | None = None,
    ) -> None:
        if kb.booking is None:
            raise ValueError("knowledge/data/booking.yaml is missing")
        self.kb = kb
        self.base: BookingData = kb.booking
        self.tz = ZoneInfo(self.base.timezone)
        self.martial_law = martial_law
        # Under martial law Ukraine's public holidays are working days; a setting may say otherwise.
        self.holidays_off = (not martial_law) if holidays_are_days_off is None else holidays_are_days_off
        self.lead = dt.timedelta(minutes=self.base.lead_minutes)
        self.release = dt.timedelta(hours=self.base.release_hours)

    @property
    def data(self) -> BookingData:
        """booking.yaml with the offices' schedules as staff set them this turn (dialogs/offices.py)."""
        return board.effective(self.base)

    @data.setter
    def data(self, value: BookingData) -> None:
        self.base = value

    def offices(self, service: str) -> list[str]:
        """The offices where `service` can be booked (the card's offices) that take bookings today: a closed office
        or one without an address (dialogs/offices.py, set by staff) is never offered."""
        return [o for o in offices_for(self.data, self.kb, service) if board.bookable(o)]

    def resource(self, office: str, service: str) -> Resource | None:
        """What `service` is booked on at `office`; None where it cannot be booked (today: a closed office or one
        without an address has no places, so nothing is booked or offered there)."""
        if office == HOTLINE:
            return Resource(HOTLINE, HOTLINE)
        if not board.bookable(office):
            return None
        return resource_for(self.data, office, service)

    def gives_priority(self, office: str) -> bool:
        cfg = self.data.office(office)
        return cfg is not None and (cfg.priority_only or cfg.priority_share > 0)

    def priority_only(self, office: str) -> bool:
        cfg = self.data.office(office)
        return cfg is not None and cfg.priority_only

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    async def _calendar(self, uow: UnitOfWork) -> WorkCalendar:
        return WorkCalendar(holidays_are_days_off=self.holidays_off, closures=await uow.bookings.closures())

    async def _days(
        self, uow: UnitOfWork, resource: Resource, days: list[dt.date]
    ) -> dict[dt.date, list[tuple[Slot, set[int]]]]:
        """The slots of these days with the places taken in each: two queries whatever the number of days."""
        calendar = await self._calendar(uow)
        data = self.data
        grid = {
            d: day_slots(data, resource, d, martial_law=self.martial_law, calendar=calendar)
            for d in days
        }
        filled = [slots for slots in grid.values() if slots]
        if not filled:
            return {d: [] for d in days}
        taken = await uow.bookings.taken(
            resource.office, resource.group, filled[0][0].start, filled[-1][-1].start
        )
        none: set[int] = set()
        return {d: [(s, taken.get(s.start, none)) for s in slots] for d, slots in grid.items()}

    def _open(self, day: list[tuple[Slot, set[int]]], now: dt.datetime, priority: bool) -> list[Slot]:
        """The slots of a day this citizen can book now (the day is one of `_horizon`'s: `check_time`'s horizon
        holds for all its slots, so only the lead is checked slot by slot)."""
        earliest = now + self.lead
        return [
            slot
            for slot, taken in day
            if slot.start >= earliest
            and bookable_places(slot, taken, now, priority=priority, release=self.release)
        ]

    def _horizon(self, now: dt.datetime) -> list[dt.date]:
        """The local dates a citizen may book at `now`, today first (see `rules.check_time`)."""
        return horizon(now, self.data.horizon_days, self.tz)

    async def slots(
        self, uow: UnitOfWork, office: str, service: str, day: dt.date, *, now: dt.datetime
    ) -> list[SlotView]:
        """Every slot of a day with its free places (the staff view; also past and full slots)."""
        resource = self.resource(office, service)
        if resource is None:
            return []
        out = []
        for slot, taken in (await self._days(uow, resource, [day]))[day]:
            free, priority_free = counts(slot, taken, now, release=self.release)
            out.append(SlotView(self.local(slot.start), slot.capacity, free, priority_free))
        return out

    async def times(
        self, uow: UnitOfWork, office: str, service: str, day: dt.date, *, now: dt.datetime, priority: bool
    ) -> list[Slot]:
        """The slots of a day this citizen can book now (none on a day outside the horizon)."""
        resource = self.resource(office, service)
        if resource is None or day not in self._horizon(now):
            return []
        return self._open((await self._days(uow, resource, [day]))[day], now, priority)

    async def days(
        self, uow: UnitOfWork, office: str, service: str, *, now: dt.datetime, priority: bool, limit: int = 6
    ) -> list[dt.date]:
        """The next days (within the horizon) that have a place this citizen can book."""
        resource = self.resource(office, service)
        if resource is None:
            return []
        horizon = await self._days(uow, resource, self._horizon(now))
        found: list[dt.date] = []
        for d, day in horizon.items():
            if self._any_open(day, now, priority):
                found.append(d)
                if len(found) >= limit:
                    break
        return found

    def _any_open(self, day: list[tuple[Slot, set[int]]], now: dt.datetime, priority: bool) -> bool:
        """Whether a day of `_horizon` has a slot this citizen can book now (the first one found is enough)."""
        earliest = now + self.lead
        return any(
            slot.start >= earliest
            and bookable_places(slot, taken, now, priority=priority, release=self.release)
            for slot, taken in day
        )

    async def nearest(
        self,
        uow: UnitOfWork,
        office: str,
        service: str,
        *,
        now: dt.datetime,
        priority: bool,
        after: dt.datetime,
        n: int = 3,
    ) -> list[Slot]:
        """The nearest free times from about `after` on (what a refused citizen is offered instead)."""
        resource = self.resource(office, service)
        if resource is None:
            return []
        horizon = await self._days(uow, resource, self._horizon(now))
        found = [s for day in horizon.values() for s in self._open(day, now, priority)]
        return [s for s in found if s.start >= after - dt.timedelta(hours=12)][:n]

    async def slot_at(
        self, uow: UnitOfWork, office: str, service: str, start: dt.datetime
    ) -> tuple[Slot, set[int]] | None:
        """The slot starting at `start` with the places taken in it; None if it is no slot (any more)."""
        resource = self.resource(office, service)
        if resource is None:
            return None
        day = self.local(start).date()
        slots = (await self._days(uow, resource, [day]))[day]
        return next(((s, t) for s, t in slots if s.start == start), None)
