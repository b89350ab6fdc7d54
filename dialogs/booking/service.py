"""Booking as a service the chat, the staff commands and the staff pages all call: the imperative shell
around the pure rules (dialogs.booking.rules) and the storage (storage.booking). `now` is always an argument.
What can be booked where and when is its base, dialogs/booking/places.py; this module books, moves, cancels
and closes days, within the per-person limits (storage) and the per-address caps (here)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence

from dialogs.booking.places import HOTLINE as HOTLINE
from dialogs.booking.places import Places
from dialogs.booking.rules import (
    Refusal,
    bookable_places,
    check_time,
    month_key,
)
from dialogs.events import VisitEvents
from knowledge.loader import Knowledge
from storage.booking import ACTIVE, ARRIVED, CANCELLED, Booking, TakeFailure, month_period, priority_period
from storage.models import User
from storage.uow import UnitOfWork

MADE = "made"

# Caps per web client address (`Incoming.origin`; messengers have none): how many of each a single address may
# create in a window. One address is often many people (a family, a library or school PC, a mobile operator's NAT
# for a whole district), each of whom is held by the per-person limits anyway (4 a month, one per service); the
# cap is for the script that verifies many phones and books from one machine (issue 20: hundreds of places a
# minute). 10 bookings an hour is two or three families at one PC, and a day of it is 240, not a day's 570 places.
ADDRESS_BOOKINGS = 10
ADDRESS_CALLBACKS = 5  # an hour: a callback is one call of the hotline's few operators
ADDRESS_VISITS = 3  # a day: the mobile administrator makes a handful of home visits a day for the whole city
ADDRESS_CAPS = {
    "booking": (ADDRESS_BOOKINGS, dt.timedelta(hours=1)),
    "callback": (ADDRESS_CALLBACKS, dt.timedelta(hours=1)),
    "visit": (ADDRESS_VISITS, dt.timedelta(days=1)),
}
# Told of bookings made and cancelled, in their unit of work (`event` MADE or CANCELLED, the booking's kind): the
# conversation, the staff commands and /forget all go through the service, so an observer sees every one.
BookingObserver = Callable[[UnitOfWork, str, str], None]


def new_token() -> str:
    """The idempotency key of one confirmation: a double tap books once."""
    return secrets.token_urlsafe(6)


class BookingService(Places):
    """Places (dialogs/booking/places.py), bookings, callbacks and home-visit requests over one unit of work at a
    time."""

    def __init__(
        self,
        kb: Knowledge,
        *,
        martial_law: bool,
        holidays_are_days_off: bool | None = None,
        observers: Sequence[BookingObserver] = (),
        visits: VisitEvents | None = None,
    ) -> None:
        super().__init__(kb, martial_law=martial_law, holidays_are_days_off=holidays_are_days_off)
        self.observers = list(observers)  # told of each booking made or cancelled (metrics count them)
        self.visits = visits  # told of a visit marked arrived (the survey room asks how it went)

    def _tell(self, uow: UnitOfWork, event: str, bookings: Sequence[Booking]) -> None:
        for booking in bookings:
            for observe in self.observers:
                observe(uow, event, booking.kind)

    # --- booking -------------------------------------------------------------------------------------

    async def book(
        self,
        uow: UnitOfWork,
        user: User,
        *,
        office: str,
        service: str,
        start: dt.datetime,
        priority_group: str | None,
        token: str,
        now: dt.datetime,
        phone: str | None = None,
        topic: str | None = None,
        origin: str | None = None,
        held: frozenset[str] = frozenset(),
    ) -> Booking | Refusal:
        """Take a place at `start`, or say why not. The database refuses a taken place; nothing here checks
        first and inserts after. Every limit counts for the person of the citizen's verified phone: with none,
        nothing is booked (UNVERIFIED). `origin`: the web client's address, capped per address (ADDRESS_CAPS).
        `held`: the counted periods of a booking being moved (not counted again)."""
        existing = await uow.bookings.by_token(user.id, token)
        if existing is not None:  # a double tap, or the same confirmation pressed again later
            return existing
        person = await uow.people.person(user)
        if person is None:
            return Refusal.UNVERIFIED
        resource = self.resource(office, service)
        if resource is None:
            return Refusal.CLOSED
        if (
            refusal := check_time(start, now, lead=self.lead, horizon_days=self.data.horizon_days, tz=self.tz)
        ) is not None:
            return refusal
        priority = priority_group is not None
        if self.priority_only(office) and not priority:
            return Refusal.PRIORITY_ONLY
        if priority and await uow.people.blocked_until(person) is not None:
            return Refusal.PRIORITY_BLOCKED
        day = (await self._days(uow, resource, [self.local(start).date()]))[self.local(start).date()]
        found = next(((s, t) for s, t in day if s.start == start), None)
        if found is None:  # not a slot of that day (any more): closed, or the hours changed
            return Refusal.CLOSED
        slot, taken = found
        places = bookable_places(slot, taken, now, priority=priority, release=self.release)
        if not places:
            return Refusal.TAKEN
        kind = "callback" if office == HOTLINE else "office"
        async with uow.savepoint() as savepoint:  # the address's record goes if nothing is booked
            if not await self._address_allows(uow, origin, "callback" if kind == "callback" else "booking"):
                return Refusal.ADDRESS
            result = await uow.bookings.take(
                user=user,
                person=person,
                kind=kind,
                office=office,
                resource=resource.group,
                service=service,
                start=start,
                places=places,
                priority=priority,
                priority_group=priority_group,
                token=token,
                month=month_key(start, self.tz),
                monthly_limit=self.data.monthly_limit,
                phone=phone,
                topic=topic,
                day=self.local(start).date(),  # a day closed by staff meanwhile refuses it (CLOSED)
                held=held,
            )
            if isinstance(result, TakeFailure):
                await savepoint.rollback()
        if isinstance(result, TakeFailure):
            return Refusal(result.value)
        self._tell(uow, MADE, [result])
        return result

    async def _address_allows(self, uow: UnitOfWork, origin: str | None, action: str) -> bool:
        """Whether the web client's address may create one more of `action` now (recorded if so)."""
        if origin is None:  # a messenger: no address; its account and the person's limits hold
            return True
        limit, window = ADDRESS_CAPS[action]
        return await uow.people.allow(uow.people.client(origin), action, limit, window)

    def held(self, booking: Booking) -> frozenset[str]:
        """The counted periods an active booking holds: its month, and its day's priority booking."""
        if booking.status not in ACTIVE or booking.start is None:
            return frozenset()
        periods = {month_period(month_key(booking.start, self.tz))}
        if booking.priority:
            periods.add(priority_period(self.local(booking.start).date(), booking.service))
        return frozenset(periods)

    async def reschedule(
        self,
        uow: UnitOfWork,
        user: User,
        old: Booking,
        *,
        start: dt.datetime,
        token: str,
        now: dt.datetime,
    ) -> Booking | Refusal:
        """Move a booking: the old place is given up only if the new one is taken, in one savepoint. A move
        counts nothing the old booking already counted (its month, its day's priority booking); a move into
        another month or onto another day counts there, as a booking of that month or day would."""
        was_active = old.status in ACTIVE
        held = self.held(old)
        async with uow.savepoint() as savepoint:
            await uow.bookings.cancel(old, now)
            result = await self.book(
                uow,
                user,
                office=old.office,
                service=old.service,
                start=start,
                priority_group=old.priority_group,
                token=token,
                now=now,
                phone=old.phone,
                topic=old.topic,
                held=held,
            )
            if not isinstance(result, Booking):
                await savepoint.rollback()
        if not isinstance(result, Booking):
            await uow.bookings.reload(old)  # the rolled-back cancel must not linger in the identity map
        elif was_active:  # the new one was told by `book`
            self._tell(uow, CANCELLED, [old])
        return result

    async def request_visit(
        self,
        uow: UnitOfWork,
        user: User,
        *,
        service: str,
        address: str,
        phone: str,
        token: str,
        now: dt.datetime,
        origin: str | None = None,
    ) -> Booking | Refusal:
        """A home visit of the mobile administrator: a request, not a slot; the Center calls to agree a date.
        One open request per person; none without a verified phone; capped per web address."""
        existing = await uow.bookings.by_token(user.id, token)
        if existing is not None:
            return existing
        person = await uow.people.person(user)
        if person is None:
            return Refusal.UNVERIFIED
        async with uow.savepoint() as savepoint:
            if not await self._address_allows(uow, origin, "visit"):
                return Refusal.ADDRESS
            result = await uow.bookings.request(
                user=user,
                person=person,
                kind="visit",
                office="mobile-admin",
                service=service,
                phone=phone,
                address=address,
                token=token,
            )
            if isinstance(result, TakeFailure):
                await savepoint.rollback()
        if isinstance(result, TakeFailure):
            return Refusal(result.value)
        self._tell(uow, MADE, [result])
        return result

    async def mine(self, uow: UnitOfWork, user: User, now: dt.datetime) -> list[Booking]:
        """The citizen's active bookings and requests, soonest first."""
        active = await uow.bookings.active_for(user.id)
        return sorted(
            (b for b in active if b.start is None or b.start >= now - dt.timedelta(hours=1)),
            key=lambda b: (b.start is None, b.start or now),
        )

    async def cancel(self, uow: UnitOfWork, user: User, code: str, now: dt.datetime) -> Booking | None:
        """Cancel the citizen's own booking by its code; None if it is not theirs or not active."""
        booking = await uow.bookings.by_code(code)
        if booking is None or booking.user_id != user.id or booking.status not in ("booked", "requested"):
            return None
        if booking.start is not None and booking.start <= now:  # over: staff mark it arrived or no-show
            return None
        await uow.bookings.cancel(booking, now)
        self._tell(uow, CANCELLED, [booking])
        return booking

    async def cancel_all(self, uow: UnitOfWork, user: User, now: dt.datetime) -> list[Booking]:
        """Every upcoming booking and request of the citizen (before /forget erases them)."""
        out = []
        for booking in await uow.bookings.active_for(user.id):
            if booking.start is None or booking.start > now:
                await uow.bookings.cancel(booking, now)
                out.append(booking)
        self._tell(uow, CANCELLED, out)
        return out

    # --- staff ---------------------------------------------------------------------------------------

    async def close_day(
        self, uow: UnitOfWork, office: str, day: dt.date, reason: str, now: dt.datetime
    ) -> list[Booking]:
        """Close an office for a day: no more bookings that day, and its bookings from `now` on are cancelled and
        returned (the caller tells each citizen). Earlier ones (closing today at noon: the morning's) stay, to be
        marked: those citizens have come or not, and a notice of a cancelled past visit would be nonsense."""
        start = dt.datetime.combine(day, dt.time(0), self.tz)
        end = start + dt.timedelta(days=1)
        closed = await uow.bookings.close_day(
            office, day, reason, max(start, now).astimezone(dt.UTC), end.astimezone(dt.UTC)
        )
        for booking in closed:  # the Center cancelled them: they do not count against the citizen's month
            if booking.start is not None:
                await uow.bookings.refund(booking, month_key(booking.start, self.tz))
        self._tell(uow, CANCELLED, closed)
        return closed

    async def mark(self, uow: UnitOfWork, code: str, status: str) -> Booking | None:
        booking = await uow.bookings.by_code(code)
        if booking is None:
            return None
        await uow.bookings.mark(booking, status)
        if status == ARRIVED and self.visits is not None:
            await self.visits.arrived(uow, booking, uow.clock())
        return booking
