"""Priority is claimed, then checked: at the visit staff confirm or refuse the claim
(`python -m bot booking mark CODE arrived --priority confirmed|refused`).

A refused claim takes the person's other upcoming priority bookings back to the general pool: each keeps its
time when a general place of its slot is free (its own place, if an ordinary citizen could hold it, else
another: the place key decides), otherwise it is cancelled and the citizen is offered the nearest general
times as buttons. Priority booking is then blocked for the person for 30 days (`uow.people.block`). Every
citizen concerned is told on their channel through the outbox, in the same unit of work. A confirmed claim
changes nothing here (the staff command records it). The citizen hears this rule before claiming
(texts.PRIORITY_RULE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.base import PREFIX
from dialogs.booking.rules import Slot, bookable_places, month_key
from dialogs.booking.service import BookingService
from dialogs.messages import Button, Reply
from dialogs.payloads import pack
from storage.booking import CANCELLED, Booking
from storage.messages import button_rows
from storage.uow import UnitOfWork

CONFIRMED, REFUSED = "confirmed", "refused"
DECISIONS = (CONFIRMED, REFUSED)
BLOCK = dt.timedelta(days=30)
NEAREST_SHOWN = 3


@dataclass(frozen=True)
class Refused:
    """What a refused claim changed: bookings kept as general ones, bookings cancelled, the block's end (None
    when the booking has no person: made before phones were verified), and how many citizens are told."""

    general: list[Booking]
    cancelled: list[Booking]
    blocked_until: dt.datetime | None
    notified: int


def general_places(
    slot: Slot, taken: set[int], own: int | None, now: dt.datetime, release: dt.timedelta
) -> list[int]:
    """The places of `slot` an ordinary citizen may hold now, the booking's own place (`own`) first when it is
    one of them (then the booking need not move)."""
    others = taken - {own} if own is not None else taken
    places = bookable_places(slot, others, now, priority=False, release=release)
    return sorted(places, key=lambda p: p != own)


async def refuse(
    service: BookingService, uow: UnitOfWork, booking: Booking, *, by: str, now: dt.datetime
) -> Refused:
    """The claim of `booking` was refused: the person's other upcoming priority bookings become general or are
    cancelled, the person is blocked for 30 days, and every citizen concerned is told (all in `uow`)."""
    general: list[Booking] = []
    cancelled: list[Booking] = []
    for other in await uow.bookings.priority_of(booking, now):
        assert other.start is not None
        found = await service.slot_at(uow, other.office, other.service, other.start)
        places = general_places(found[0], found[1], other.place, now, service.release) if found else []
        if places and await uow.bookings.to_general(other, places):
            general.append(other)
            continue
        await uow.bookings.cancel(other, now)
        # The Center cancelled it, not the citizen: the month's count goes back, so the times offered can be
        # booked (as for a closed day).
        await uow.bookings.refund(other, month_key(other.start, service.tz))
        await uow.reminders.cancel_for_booking(other.code)  # no reminder of a visit that will not happen
        for observe in service.observers:
            observe(uow, CANCELLED, other.kind)
        cancelled.append(other)
    until = None
    if booking.person is not None:
        until = now + BLOCK
        await uow.people.block(booking.person, until, by)
    notified = await _tell(service, uow, booking, general, cancelled, until, now)
    return Refused(general, cancelled, until, notified)


async def _tell(
    service: BookingService,
    uow: UnitOfWork,
    booking: Booking,
    general: Sequence[Booking],
    cancelled: Sequence[Booking],
    until: dt.datetime | None,
    now: dt.datetime,
) -> int:
    """One notice per citizen concerned (the visitor, and whoever holds the changed bookings: the same person
    may have booked on several channels)."""
    users = list(dict.fromkeys(b.user_id for b in (booking, *general, *cancelled) if b.user_id is not None))
    told = 0
    for user_id in users:
        kept = [b for b in general if b.user_id == user_id]
        gone = [b for b in cancelled if b.user_id == user_id]
        if until is None and not kept and not gone:
            continue  # nothing changed for this citizen
        user = await uow.users.by_id(user_id)
        if user is None:
            continue
        notice = await refusal_notice(service, uow, booking, kept, gone, until, now)
        await uow.outbox.add(user.channel, user.external_id, notice.text, button_rows(notice.buttons))
        told += 1
    return told


def _when(service: BookingService, moment: dt.datetime) -> tuple[str, str]:
    local = service.local(moment)
    return texts.day_text(local.date()), f"{local:%H:%M}"


async def refusal_notice(
    service: BookingService,
    uow: UnitOfWork,
    visit: Booking,
    kept: Sequence[Booking],
    gone: Sequence[Booking],
    until: dt.datetime | None,
    now: dt.datetime,
) -> Reply:
    """What a citizen is told: the claim was not confirmed, their standing, each booking changed, and for a
    cancelled one the nearest general times as buttons (a button books that time again after a
    confirmation)."""
    visited = texts.day_text(service.local(visit.start or now).date())
    lines = [texts.PRIORITY_REFUSED.format(day=visited)]
    if until is not None:
        lines.append(texts.PRIORITY_BLOCKED.format(until=f"{service.local(until):%d.%m.%Y}"))
    for booking in kept:
        assert booking.start is not None
        day, time = _when(service, booking.start)
        lines.append(texts.PRIORITY_KEPT.format(code=booking.code, day=day, time=time))
    rows: list[tuple[Button, ...]] = []
    for booking in gone:
        assert booking.start is not None
        day, time = _when(service, booking.start)
        lines.append(texts.PRIORITY_CANCELLED.format(code=booking.code, day=day, time=time))
        nearest = await service.nearest(
            uow,
            booking.office,
            booking.service,
            now=now,
            priority=False,
            after=booking.start,
            n=NEAREST_SHOWN,
        )
        for slot in nearest:
            local = service.local(slot.start)
            label = f"🕘 {texts.day_text(local.date())[:-5]} о {local:%H:%M}" + (
                f" · {booking.code}" if len(gone) > 1 else ""
            )
            rows.append((Button(label, pack(PREFIX, "at", booking.code, f"{local:%Y%m%d%H%M}")),))
        if not nearest:
            rows.append((Button(texts.BOOK, pack(PREFIX, "s", booking.service)),))
    if gone:
        lines += ["", texts.PRIORITY_AGAIN]
    lines += ["", texts.PRIORITY_QUESTIONS.format(phone=common.HOTLINE)]
    return Reply("\n".join(lines), tuple(rows))
