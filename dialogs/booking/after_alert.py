"""What a citizen whose office appointment fell inside an air-raid alert is told after the all-clear: the booking
room's notice, queued in the outbox once per appointment (storage/alerts.py `told`).

The Center's rule is data (booking.yaml `after_alert`): by default the place stays the citizen's until the office
closes that day («прийдіть сьогодні до закриття без черги»); either way the nearest free times today and on the
next working day are offered as buttons that move the appointment (a priority citizen's on priority places), and
a button cancels it. The office's closing time is the end of its last slot that day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.base import PREFIX
from dialogs.booking.notices import office_name
from dialogs.booking.rules import Slot, day_slots
from dialogs.booking.service import BookingService
from dialogs.calendar import WorkCalendar
from dialogs.messages import Button, Reply
from dialogs.payloads import pack
from storage.alerts import AlertPeriod
from storage.booking import Booking
from storage.booking.models import BOOKED
from storage.messages import button_rows
from storage.uow import UnitOfWork

SHOWN_A_DAY = 2  # free times offered today, and on the next working day
ALL_CLEAR = "Повітряну тривогу скасовано. Ваш запис **{code}** на {start:%H:%M} припав на час тривоги."
KEPT = "Ваше місце за вами: {rule}. Сьогодні {office} приймає до {closes:%H:%M}."
DAY_OVER = "Сьогодні {office} вже не приймає, тож пропонуємо інший час."
CANCELLED = "Цей запис скасовано, щоб ви могли обрати інший час."
OR_MOVE = "Якщо зручніше, оберіть інший час — запис перенесеться:"
MOVE_TO = "Оберіть інший час — запис перенесеться:"
NOTHING_FREE = "Вільного часу найближчими днями, на жаль, немає. Підкажуть на безкоштовній гарячій лінії {phone}."
CANCEL_BUTTON = "❌ Скасувати запис"


@dataclass(frozen=True)
class Told:
    """The outcome for one alert: how many citizens were told, how many kept their place."""

    told: int
    kept: int


async def _calendar(service: BookingService, uow: UnitOfWork) -> WorkCalendar:
    return WorkCalendar(holidays_are_days_off=service.holidays_off, closures=await uow.bookings.closures())


async def closes_at(service: BookingService, uow: UnitOfWork, booking: Booking, day: dt.date) -> dt.datetime | None:
    """When the booking's office stops receiving for its service on `day` (None: it does not receive)."""
    resource = service.resource(booking.office, booking.service)
    if resource is None:
        return None
    slots = day_slots(service.data, resource, day, martial_law=service.martial_law,
                      calendar=await _calendar(service, uow))  # fmt: skip
    return max((s.end for s in slots), default=None)


async def offered(service: BookingService, uow: UnitOfWork, booking: Booking, now: dt.datetime) -> list[Slot]:
    """Up to SHOWN_A_DAY free times today and on the next day with any, on the citizen's kind of place."""
    today = service.local(now).date()
    found: list[Slot] = []
    for ahead in range(service.data.horizon_days):
        day = today + dt.timedelta(days=ahead)
        times = await service.times(uow, booking.office, booking.service, day, now=now, priority=booking.priority)
        times = [t for t in times if t.start != booking.start]
        found += times[:SHOWN_A_DAY]
        if ahead > 0 and times:  # today's times, then the first later day that has any
            break
    return found


def notice(
    service: BookingService, booking: Booking, closes: dt.datetime | None, kept: bool, times: list[Slot]
) -> Reply:
    assert booking.start is not None
    rule = service.data.after_alert
    office = office_name(service.kb, booking.office)
    lines = [ALL_CLEAR.format(code=booking.code, start=service.local(booking.start))]
    if kept and closes is not None:
        lines.append(KEPT.format(rule=rule.kept.rstrip("."), office=office, closes=service.local(closes)))
    elif not rule.keep_place:
        lines.append(CANCELLED)
    else:
        lines.append(DAY_OVER.format(office=office))
    rows: list[tuple[Button, ...]] = []
    if times:
        lines += ["", OR_MOVE if kept else MOVE_TO]
        for slot in times:
            local = service.local(slot.start)
            label = f"🕘 {texts.day_text(local.date())[:-5]} о {local:%H:%M}"
            rows.append((Button(label, pack(PREFIX, "at", booking.code, f"{local:%Y%m%d%H%M}")),))
    else:
        lines += ["", NOTHING_FREE.format(phone=common.HOTLINE)]
    if rule.keep_place:
        rows.append((Button(CANCEL_BUTTON, pack(PREFIX, "x", booking.code)),))
    return Reply("\n".join(lines), tuple(rows))


async def tell_after_alert(service: BookingService, uow: UnitOfWork, period: AlertPeriod, now: dt.datetime) -> Told:
    """Queue, in this unit of work, one notice to each citizen whose appointment fell inside `period` and who
    has not been told yet (once, whichever process gets there first)."""
    told = kept_count = 0
    for booking in await uow.alerts.untold(period.id):
        if not await uow.alerts.told(period.id, booking.id):
            continue  # another process told them
        if booking.user_id is None or booking.start is None or booking.status != BOOKED:
            continue  # erased, cancelled or already served meanwhile
        user = await uow.users.by_id(booking.user_id)
        if user is None or not user.active:
            continue
        closes = await closes_at(service, uow, booking, service.local(now).date())
        kept = service.data.after_alert.keep_place and closes is not None and now < closes
        if not service.data.after_alert.keep_place:
            await service.cancel(uow, user, booking.code, now)
        times = await offered(service, uow, booking, now)
        reply = notice(service, booking, closes, kept, times)
        await uow.outbox.add(user.channel, user.external_id, reply.text, button_rows(reply.buttons))
        told += 1
        kept_count += kept
    return Told(told, kept_count)
