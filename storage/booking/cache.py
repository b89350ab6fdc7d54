"""What a bookings repository holds (its session, clock and the SQLite mode's cache) and the two reads the
cache serves: the places taken in a span of slots and the closed days. The cache only saves reads: a place is
still taken by the unique key, never by what is cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.booking.models import Booking, Closure, new_code
from storage.clock import Clock
from storage.people import People


class BookingCache:
    """SQLite mode (one process owns the file): the places taken and the closed days, as last read, so that a
    booking step need not query them again. It only saves reads: a place is still taken by the unique key, never
    by what is cached. It is emptied by every write of this process to bookings or closures, by a rollback, and
    whenever another connection has committed (the unit-of-work factory checks SQLite's data_version)."""

    SIZE = 512

    def __init__(self) -> None:
        self.taken: dict[tuple[str, str, dt.datetime, dt.datetime], dict[dt.datetime, set[int]]] = {}
        self.closures: list[tuple[str, dt.date]] | None = None

    def clear(self) -> None:
        self.taken.clear()
        self.closures = None


class CachedReads:
    """The state of the bookings repository and its cached reads; never commits (the unit of work does)."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        codes: Callable[[], str] = new_code,
        cache: BookingCache | None = None,
    ) -> None:
        self._s = session
        self._clock = clock
        self._codes = codes
        self._cache = cache
        self._people = People(session, clock)  # only its counters: they need no key

    def _changed(self) -> None:
        """Many places or a closure changed: what is cached goes."""
        if self._cache is not None:
            self._cache.clear()

    def _noted(self, booking: Booking, *, taken: bool) -> None:
        """One place taken or given back by this process: the cached sets that cover its slot follow."""
        if self._cache is None or booking.start is None or booking.place is None:
            return
        for (office, resource, start_from, start_to), held in self._cache.taken.items():
            if (office, resource) == (
                booking.office,
                booking.resource,
            ) and start_from <= booking.start <= start_to:
                places = held.setdefault(booking.start, set())
                if taken:
                    places.add(booking.place)
                else:
                    places.discard(booking.place)

    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    async def taken(
        self, office: str, resource: str, start_from: dt.datetime, start_to: dt.datetime
    ) -> dict[dt.datetime, set[int]]:
        """The places held in slots starting from `start_from` to `start_to`, both included, by slot start."""
        key = (office, resource, start_from, start_to)
        if self._cache is not None and key in self._cache.taken:
            return self._cache.taken[key]
        rows = await self._s.execute(
            select(Booking.start, Booking.place).where(
                Booking.office == office,
                Booking.resource == resource,
                Booking.start >= start_from,
                Booking.start <= start_to,
                Booking.place.is_not(None),
            )
        )
        held: dict[dt.datetime, set[int]] = {}
        for start, place in rows:
            if start is not None and place is not None:
                held.setdefault(start, set()).add(place)
        if self._cache is not None:
            if len(self._cache.taken) >= BookingCache.SIZE:
                self._cache.taken.clear()
            self._cache.taken[key] = held
        return held

    async def closures(self, office: str | None = None) -> list[tuple[str, dt.date]]:
        if office is None and self._cache is not None and self._cache.closures is not None:
            return self._cache.closures
        query = select(Closure.office, Closure.day).order_by(Closure.day, Closure.office)
        if office is not None:
            query = query.where(Closure.office == office)
        found = [(row.office, row.day) for row in await self._s.execute(query)]
        if office is None and self._cache is not None:
            self._cache.closures = found
        return found
