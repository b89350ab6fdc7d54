"""What a citizen is told when staff close a day: the booking room's own notice, queued in the outbox.

Staff close an office for a day (`python -m bot booking close-day`, later the staff web console); every citizen
whose booking fell on that day gets, on their channel, the reason, the nearest free times and a button to book
again. The texts and the button's payload belong to the booking room, so they live here, not in the command."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs import offices
from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.base import PREFIX
from dialogs.booking.rules import Slot
from dialogs.booking.service import HOTLINE, BookingService
from dialogs.messages import Button, Reply
from dialogs.payloads import pack
from knowledge.loader import Knowledge
from storage.booking import Booking
from storage.messages import button_rows
from storage.uow import UnitOfWork

NEAREST_SHOWN = 3
REBOOK = "📅 Записатися знову"
HOTLINE_NAME = "гаряча лінія"
ON_WEEKDAY = ("понеділок", "вівторок", "середу", "четвер", "п'ятницю", "суботу", "неділю")  # «у понеділок»
ON_DAY = "у {weekday}, {date:%d.%m.%Y},"
CALLBACK_CLOSED = "Вибачте, {on_day} гаряча лінія не зможе передзвонити. Причина: {reason}."
CALLBACK_CANCELLED = "Ваше замовлення дзвінка **{code}** на {start:%H:%M} скасовано."
OFFICE_CLOSED = "Вибачте, {on_day} {office} не працюватиме. Причина: {reason}."
OFFICE_RESCHEDULED = "Вибачте, {office} змінив графік роботи: {on_day} о {start:%H:%M} прийому не буде."
OFFICE_CANCELLED = "Ваш запис **{code}** на {start:%H:%M} цього дня скасовано."
NEAREST_TIME = "• {day} о {start:%H:%M}"
NEAREST_AT = "Найближчий вільний час — {office}:"
REBOOK_BELOW = "Записатися знову можна кнопкою нижче."
PICK_BELOW = "Оберіть час кнопкою нижче — або інший день."
OTHER_TIME = "📅 Інший день чи час"
NOTHING_NEAR = (
    "Найближчими днями вільного часу, на жаль, немає. Підкажуть на безкоштовній гарячій лінії {phone}."
)


@dataclass(frozen=True)
class Closed:
    """The outcome of closing a day: the bookings cancelled, and how many citizens get a notice."""

    cancelled: list[Booking]
    notified: int


def office_name(kb: Knowledge, office: str) -> str:
    """An office as citizens know it: its short name («гаряча лінія» for callbacks)."""
    if office == HOTLINE:
        return HOTLINE_NAME
    found = next((o for o in kb.contacts.offices if o.id == office), None)
    if found is None:
        return office
    return found.short_name or found.name


def closure_notice(
    service: BookingService,
    booking: Booking,
    reason: str,
    nearest: Sequence[Slot],
    at: str | None = None,
    rescheduled: bool = False,
) -> Reply:
    """What a citizen whose booking fell on a closed day is told, with the button to book again. `at`: the
    office the nearest times are at, when not the booking's own (that one is closed for good). `rescheduled`:
    the office works that day but its new hours or windows leave this time out (staff changed the schedule)."""
    assert booking.start is not None
    start = service.local(booking.start)
    on_day = ON_DAY.format(weekday=ON_WEEKDAY[start.weekday()], date=start)
    reason = reason.strip().rstrip(".")
    if booking.kind == "callback":
        lines = [
            CALLBACK_CLOSED.format(on_day=on_day, reason=reason),
            CALLBACK_CANCELLED.format(code=booking.code, start=start),
        ]
    else:
        office = office_name(service.kb, booking.office)
        first = (OFFICE_RESCHEDULED.format(office=office, on_day=on_day, start=start) if rescheduled
                 else OFFICE_CLOSED.format(on_day=on_day, office=office, reason=reason))  # fmt: skip
        lines = [first, OFFICE_CANCELLED.format(code=booking.code, start=start)]
    rows: list[tuple[Button, ...]] = []
    if nearest:
        elsewhere = at is not None and at != booking.office
        lines += ["", NEAREST_AT.format(office=office_name(service.kb, at or "")) if elsewhere else texts.NEAREST]
        for slot in nearest:
            local = service.local(slot.start)
            lines.append(NEAREST_TIME.format(day=texts.day_text(local.date()), start=local))
            if booking.kind == "office":  # a time of the list books it (the same service; at `at`)
                where = (at,) if elsewhere and at else ()
                label = f"🕘 {texts.day_text(local.date())[:-5]} о {local:%H:%M}"
                rows.append((Button(label, pack(PREFIX, "at", booking.code, f"{local:%Y%m%d%H%M}", *where)),))
        lines += ["", REBOOK_BELOW if booking.kind != "office" else PICK_BELOW]
    else:
        lines += ["", NOTHING_NEAR.format(phone=common.HOTLINE)]
    # A callback is booked again as a callback; an office visit, for the same service.
    again = ("cb",) if booking.kind == "callback" else ("s", booking.service)
    rows.append((Button(REBOOK if not rows else OTHER_TIME, pack(PREFIX, *again)),))
    return Reply("\n".join(lines), tuple(rows))


async def close_day_and_notify(
    service: BookingService, uow: UnitOfWork, office: str, day: dt.date, reason: str, now: dt.datetime
) -> Closed:
    """Close `office` on `day` and queue, in the same unit of work, a notice to every citizen whose booking was
    cancelled: on their channel, with the nearest free times and a button to book again. Either all of it is
    committed or none (a crash never leaves a closed day whose citizens are not told)."""
    cancelled = await service.close_day(uow, office, day, reason, now)
    return Closed(cancelled, await notify_cancelled(service, uow, cancelled, reason, now))


async def notify_cancelled(
    service: BookingService,
    uow: UnitOfWork,
    cancelled: Sequence[Booking],
    reason: str,
    now: dt.datetime,
    rescheduled: bool = False,
) -> int:
    """Queue the closure notice to each citizen whose booking staff cancelled (no reminder of it is left);
    the number of citizens told."""
    nearest: dict[tuple[str, str, bool], list[Slot]] = {}  # the same answer for every booking of one kind
    notified = 0
    for booking in cancelled:
        await uow.reminders.cancel_for_booking(booking.code)  # no reminder of a visit that will not happen
        if booking.user_id is None or booking.start is None:  # the citizen erased their data
            continue
        user = await uow.users.by_id(booking.user_id)
        if user is None:
            continue
        # An office closed by staff (dialogs/offices.py) has no times: the nearest are at the next office that
        # serves the service.
        at = booking.office
        if at != HOTLINE and not offices.bookable(at):
            at = next(iter(service.offices(booking.service)), at)
        resource = service.resource(at, booking.service)
        key = (at, resource.group if resource else booking.service, booking.priority)
        if key not in nearest:
            nearest[key] = await service.nearest(
                uow, at, booking.service, now=now, priority=booking.priority, after=booking.start, n=NEAREST_SHOWN,
            )  # fmt: skip
        notice = closure_notice(service, booking, reason, nearest[key], at, rescheduled)
        await uow.outbox.add(user.channel, user.external_id, notice.text, button_rows(notice.buttons))
        notified += 1
    return notified
