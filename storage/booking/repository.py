"""The bookings repository: take a place (the keys of storage/booking/models.py decide), request a home visit,
cancel, list, close a day; and the SQLite mode's cache of what is taken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.booking.models import (
    ACTIVE,
    ACTIVE_KEY,
    BOOKED,
    CANCELLED,
    CODE_KEY,
    CODE_TRIES,
    KINDS,
    NO_LIMIT,
    PERSON_REQUEST_KEY,
    PERSON_SERVICE_KEY,
    PLACE_KEY,
    REQUESTED,
    STATUSES,
    TOKEN_KEY,
    Booking,
    BookingQuota,
    Closure,
    TakeFailure,
    new_code,
    normalize_code,
    violated,
)
from storage.clock import Clock
from storage.models import User
from storage.people import People, PersonQuota


class _Refused(Exception):
    def __init__(self, why: TakeFailure | str) -> None:
        self.why = why


PRIORITY_PER_DAY = 1  # priority bookings a person may make for one service on one working day
REQUEST_KINDS = ("callback", "visit")  # one active of each per person (PERSON_REQUEST_KEY)


def month_period(month: str) -> str:
    """The person's monthly count («month:2026-12»; `month` is the Kyiv month of the visit)."""
    return f"month:{month}"


def priority_period(day: dt.date, service: str) -> str:
    """The person's priority bookings for a service on a local day («priority:2026-12-07:passport-id»)."""
    return f"priority:{day.isoformat()}:{service}"


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


class Bookings:
    """The bookings repository; never commits (the unit of work does)."""

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

    async def take(
        self,
        *,
        user: User,
        person: str | None,
        kind: str,
        office: str,
        resource: str,
        service: str,
        start: dt.datetime | None,
        places: Sequence[int],
        priority: bool,
        priority_group: str | None,
        token: str,
        month: str,
        monthly_limit: int,
        phone: str | None = None,
        address: str | None = None,
        topic: str | None = None,
        day: dt.date | None = None,
        held: Collection[str] = (),
    ) -> Booking | TakeFailure:
        """Book the first free place of `places` (in that order), or say why not.

        Every limit counts for `person` (the keyed hash of the citizen's verified phone, storage/people.py): the
        month's bookings (`monthly_limit`, unless NO_LIMIT), one priority booking a day per service (when
        `priority` and `day` are given), one active booking per service, one active callback and one open home
        visit (the unique keys). With no person nothing is booked (UNVERIFIED): a limit per session would count
        what the client picks. `held`: the periods the booking being moved already counts, not counted again.

        `start=None` is a home visit request: no place, status «requested». `day`, when given, is the office's
        local date of `start`: a booking that races a staff member closing that day is then refused (CLOSED)
        instead of landing on the closed day (`close_day` locks the table on PostgreSQL for that)."""
        if kind not in KINDS:
            raise ValueError(f"unknown booking kind {kind!r}")
        if start is not None and not places:
            return TakeFailure.TAKEN
        # The fast answers; the constraints below still decide when taps race.
        whose = (
            Booking.user_id == user.id
            if person is None
            else or_(Booking.user_id == user.id, Booking.person == person)
        )
        same = Booking.service == service
        if kind in REQUEST_KINDS:
            same = or_(same, Booking.kind == kind)
        mine = await self._s.execute(
            select(Booking).where(
                or_(
                    and_(Booking.user_id == user.id, Booking.token == token),
                    and_(Booking.status.in_(ACTIVE), whose, same),
                )
            )
        )
        found = list(mine.scalars())
        for mine_ in found:
            if mine_.token == token and mine_.user_id == user.id:
                return mine_
        if person is None:
            return TakeFailure.UNVERIFIED
        if any(b.kind == kind for b in found if kind in REQUEST_KINDS):
            return TakeFailure.REQUEST
        if found:
            return TakeFailure.ALREADY
        counts: list[tuple[str, int, TakeFailure]] = []
        if monthly_limit != NO_LIMIT:  # NO_LIMIT: not counted (a request without a time, unless asked)
            counts.append((month_period(month), monthly_limit, TakeFailure.QUOTA))
        if priority and day is not None:
            counts.append((priority_period(day, service), PRIORITY_PER_DAY, TakeFailure.PRIORITY_DAY))
        try:
            async with self._s.begin_nested():  # everything below is undone together on a refusal
                for period, limit, why in counts:
                    if period not in held and not await self._people.count_up(person, period, limit):
                        raise _Refused(why)
                fields: dict[str, Any] = {
                    "user_id": user.id,
                    "person": person,
                    "channel": user.channel,
                    "kind": kind,
                    "office": office,
                    "resource": resource,
                    "service": service,
                    "start": start,
                    "priority": priority,
                    "priority_group": priority_group,
                    "status": REQUESTED if start is None else BOOKED,
                    "phone": phone,
                    "address": address,
                    "topic": topic,
                    "token": token,
                    "created_at": self._clock(),
                }
                booking = await self._insert(fields, [None] if start is None else list(places))
                if booking is None:
                    raise _Refused(TakeFailure.TAKEN)
                if day is not None and await self._closed(office, day):
                    raise _Refused(TakeFailure.CLOSED)
                return booking
        except _Refused as refused:
            if refused.why == TOKEN_KEY:  # the same tap, confirmed by a racing request first
                again = await self._s.execute(
                    select(Booking).where(Booking.user_id == user.id, Booking.token == token)
                )
                return again.scalar_one()
            return TakeFailure(refused.why)

    async def open_request(self, person: str, kind: str) -> Booking | None:
        """The person's active callback or open home-visit request (`kind`), to name it in a refusal."""
        found = await self._s.execute(
            select(Booking)
            .where(Booking.person == person, Booking.kind == kind, Booking.status.in_(ACTIVE))
            .order_by(Booking.id)
            .limit(1)
        )
        return found.scalar_one_or_none()

    async def by_token(self, user_id: int, token: str) -> Booking | None:
        """The booking a confirmation with this token made (a double tap, or the same button pressed later)."""
        found = await self._s.execute(
            select(Booking).where(Booking.user_id == user_id, Booking.token == token)
        )
        return found.scalar_one_or_none()

    async def request(
        self,
        *,
        user: User,
        person: str | None,
        kind: str = "visit",
        office: str,
        service: str,
        phone: str | None,
        address: str | None,
        token: str,
        topic: str | None = None,
        resource: str = "visit",
        month: str | None = None,
        monthly_limit: int | None = None,
    ) -> Booking | TakeFailure:
        """A request without a time (the mobile administrator's home visit): status «requested», no place.
        One open request of a kind per person (REQUEST) and one active booking per service (ALREADY); counted in
        the month's quota only when `month` and `monthly_limit` are given."""
        return await self.take(
            user=user,
            person=person,
            kind=kind,
            office=office,
            resource=resource,
            service=service,
            start=None,
            places=[],
            priority=False,
            priority_group=None,
            token=token,
            month=month or "",
            monthly_limit=monthly_limit if month is not None and monthly_limit is not None else NO_LIMIT,
            phone=phone,
            address=address,
            topic=topic,
        )

    async def _insert(self, fields: dict[str, Any], places: list[int | None]) -> Booking | None:
        """INSERT with each place in turn, each in its own savepoint; None when the key refused all of them."""
        for place in places:
            for _ in range(CODE_TRIES):
                booking = Booking(code=self._codes(), place=place, **fields)
                try:
                    async with self._s.begin_nested():
                        self._s.add(booking)
                        await self._s.flush()
                    self._noted(booking, taken=True)
                    return booking
                except IntegrityError as error:
                    which = violated(error)
                    if which == CODE_KEY:
                        continue  # another booking has this code: draw again
                    if which == PLACE_KEY:
                        break  # somebody holds this place: the next one
                    if which in (ACTIVE_KEY, PERSON_SERVICE_KEY):
                        raise _Refused(TakeFailure.ALREADY) from None
                    if which == PERSON_REQUEST_KEY:
                        raise _Refused(TakeFailure.REQUEST) from None
                    if which == TOKEN_KEY:
                        raise _Refused(TOKEN_KEY) from None
                    raise
            else:
                raise RuntimeError("no unused booking code after several draws")
        return None

    async def _closed(self, office: str, day: dt.date) -> bool:
        found = await self._s.execute(select(Closure.id).where(Closure.office == office, Closure.day == day))
        return found.first() is not None

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

    async def reload(self, booking: Booking) -> None:
        """Read the booking again (after a rolled-back savepoint, so an undone change does not linger)."""
        await self._s.refresh(booking)

    async def by_code(self, code: str) -> Booking | None:
        found = await self._s.execute(select(Booking).where(Booking.code == normalize_code(code)))
        return found.scalar_one_or_none()

    async def active_for(self, user_id: int) -> list[Booking]:
        """The citizen's booked and requested bookings, soonest first (requests without a time last)."""
        rows = await self._s.execute(
            select(Booking)
            .where(Booking.user_id == user_id, Booking.status.in_(ACTIVE))
            .order_by(case((Booking.start.is_(None), 1), else_=0), Booking.start, Booking.id)
        )
        return list(rows.scalars())

    async def cancel(self, booking: Booking, now: dt.datetime) -> None:
        """Cancelled: the place returns to the pool (place NULL); the month's count stays. A phone or an address
        was given only for this booking, so it goes too."""
        self._noted(booking, taken=False)
        booking.status, booking.place, booking.cancelled_at = CANCELLED, None, now
        booking.phone = booking.address = None
        await self._s.flush()

    async def refund(self, booking: Booking, month: str) -> None:
        """Give back a booking's place in the person's monthly count (the Center, not the citizen, cancelled it).
        Its priority booking of that day stays counted: the day is closed anyway."""
        if booking.person is None:
            return
        await self._s.execute(
            update(PersonQuota)
            .where(
                PersonQuota.person == booking.person,
                PersonQuota.period == month_period(month),
                PersonQuota.count > 0,
            )
            .values(count=PersonQuota.count - 1)
        )

    async def forget_past_phones(self, before: dt.datetime) -> int:
        """Phones and addresses of callbacks and visits that are over: they were given only for them."""
        result = await self._s.execute(
            update(Booking)
            .where(Booking.phone.is_not(None), Booking.start.is_not(None), Booking.start < before)
            .values(phone=None, address=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark(self, booking: Booking, status: str) -> None:
        """Staff's mark: arrived or no-show (the place stays used); any status of STATUSES is accepted."""
        if status not in STATUSES:
            raise ValueError(f"unknown booking status {status!r}")
        if status == CANCELLED:
            await self.cancel(booking, self._clock())
            return
        booking.status = status
        await self._s.flush()

    async def listing(
        self,
        *,
        day_from: dt.datetime | None,
        day_to: dt.datetime | None,
        office: str | None,
        kind: str | None = None,
        with_requests: bool = False,
    ) -> list[Booking]:
        """Bookings starting in [day_from, day_to) (either bound optional), of one office or all, by time.
        `with_requests` adds the open home-visit requests, which have no time."""
        timed: list[ColumnElement[bool]] = [Booking.start.is_not(None)]
        if day_from is not None:
            timed.append(Booking.start >= day_from)
        if day_to is not None:
            timed.append(Booking.start < day_to)
        where = and_(*timed)
        if with_requests:
            where = or_(where, and_(Booking.start.is_(None), Booking.status == REQUESTED))
        query = select(Booking).where(where)
        if office is not None:
            query = query.where(Booking.office == office)
        if kind is not None:
            query = query.where(Booking.kind == kind)
        rows = await self._s.execute(
            query.order_by(case((Booking.start.is_(None), 1), else_=0), Booking.start, Booking.id)
        )
        return list(rows.scalars())

    async def erase_personal(self, user_id: int) -> None:
        """/forget: the bookings stay as anonymous counts (no citizen, phone, address, topic, token); the
        account's old monthly rows go. The person's counts stay (`People.forget`): being forgotten must not give
        a fresh quota, and they hold no number."""
        await self._s.execute(
            update(Booking)
            .where(Booking.user_id == user_id)
            .values(user_id=None, phone=None, address=None, topic=None, token=None)
        )
        await self._s.execute(delete(BookingQuota).where(BookingQuota.user_id == user_id))

    async def close_day(
        self, office: str, day: dt.date, reason: str, start_from: dt.datetime, start_to: dt.datetime
    ) -> list[Booking]:
        """Close `day` at `office` ([start_from, start_to) is that day in UTC) and cancel its active bookings;
        returns them, to tell each citizen. Closing a closed day again cancels what is left and keeps the
        first reason."""
        self._changed()
        if self._dialect() == "postgresql":
            # Until this commits, no booking can be inserted or changed; a take that inserted first is waited
            # for, so it is seen and cancelled here, and a take that comes after sees the closure (`take(day=)`).
            await self._s.execute(text("LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE"))
        try:
            async with self._s.begin_nested():
                self._s.add(Closure(office=office, day=day, reason=reason, created_at=self._clock()))
                await self._s.flush()
        except IntegrityError:
            pass  # closed already
        rows = await self._s.execute(
            select(Booking)
            .where(
                Booking.office == office,
                Booking.start >= start_from,
                Booking.start < start_to,
                Booking.status.in_(ACTIVE),
            )
            .order_by(Booking.start, Booking.id)
        )
        cancelled = list(rows.scalars())
        now = self._clock()
        for booking in cancelled:
            booking.status, booking.place, booking.cancelled_at = CANCELLED, None, now
            booking.phone = booking.address = None
        await self._s.flush()
        return cancelled

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

    # --- a refused priority claim (dialogs/booking/priority.py) ---------------------------------------------

    async def priority_of(self, booking: Booking, after: dt.datetime) -> list[Booking]:
        """The other booked priority visits of the same person (of the same citizen when the booking has no
        person: made before phones were verified) that start after `after`, soonest first."""
        if booking.person is not None:
            who: ColumnElement[bool] = Booking.person == booking.person
        elif booking.user_id is not None:
            who = Booking.user_id == booking.user_id
        else:
            return []
        rows = await self._s.execute(
            select(Booking)
            .where(
                who,
                Booking.id != booking.id,
                Booking.priority.is_(True),
                Booking.status == BOOKED,
                Booking.start > after,
            )
            .order_by(Booking.start, Booking.id)
        )
        return list(rows.scalars())

    async def to_general(self, booking: Booking, places: Sequence[int]) -> bool:
        """The booking keeps its time without priority, on the first of `places` (of its slot) still free:
        each tried in its own savepoint, the place key decides. False, and nothing changed, when none is
        free."""
        for place in places:
            try:
                async with self._s.begin_nested():
                    await self._s.execute(
                        update(Booking)
                        .where(Booking.id == booking.id)
                        .values(place=place, priority=False, priority_group=None)
                        .execution_options(synchronize_session=False)
                    )
            except IntegrityError as error:
                if violated(error) == PLACE_KEY:
                    continue  # somebody holds it: the next one
                raise
            self._changed()
            await self._s.refresh(booking)
            return True
        return False
