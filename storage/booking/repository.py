"""The bookings repository: take a place (the keys of storage/booking/models.py decide), request a home visit,
cancel, list, close a day. Its state and cached reads are `cache.py`, the per-person limits `limits.py`, a
refused priority claim `priority.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from storage.booking.cache import CachedReads
from storage.booking.limits import REQUEST_KINDS, counted, refund_month
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
    normalize_code,
    violated,
)
from storage.booking.priority import priority_of, to_general
from storage.models import User


class _Refused(Exception):
    def __init__(self, why: TakeFailure | str) -> None:
        self.why = why


class Bookings(CachedReads):
    """The bookings repository; never commits (the unit of work does)."""

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
        counts = counted(
            month=month, monthly_limit=monthly_limit, priority=priority, day=day, service=service
        )
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
        """Give back a booking's place in the person's monthly count (see `limits.refund_month`)."""
        await refund_month(self._s, booking, month)

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

    async def lift_closures(self, office: str, reason: str, from_day: dt.date) -> list[dt.date]:
        """Reopen `office` on the days from `from_day` on that were closed for `reason` (what closing the office
        closed); the days reopened."""
        self._changed()
        rows = await self._s.execute(
            delete(Closure)
            .where(Closure.office == office, Closure.reason == reason, Closure.day >= from_day)
            .returning(Closure.day)
        )
        return sorted(rows.scalars())

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

    # --- a refused priority claim (storage/booking/priority.py) ----------------------------------------------

    async def priority_of(self, booking: Booking, after: dt.datetime) -> list[Booking]:
        """The person's other booked priority visits after `after`, soonest first (`priority.priority_of`)."""
        return await priority_of(self._s, booking, after)

    async def to_general(self, booking: Booking, places: Sequence[int]) -> bool:
        """The booking to the general queue at its time on a free place of `places` (`priority.to_general`)."""
        moved = await to_general(self._s, booking, places)
        if moved:
            self._changed()
        return moved
