"""The offices' status as staff set it in the console: the first import from the knowledge, the listing, and a
change (validated by rules.office_patch) that is in force at the next turn, audited before → after with the
staff login, and that, when it stops an office taking bookings, closes the days its upcoming bookings fall on
and tells those citizens the nearest free times (dialogs/booking/notices.py `close_day_and_notify`).

The office's booking schedule (hours per regime, breaks, window groups, slot length, priority share) is
imported from booking.yaml too and changed the same way (dialogs/console/schedule.py validates it); a change
that leaves upcoming bookings outside the hours or the windows cancels exactly those and tells their citizens
the nearest free times under the new schedule (`notify_cancelled`), in the change's unit of work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dialogs import offices as board
from dialogs.booking.notices import Closed, close_day_and_notify, notify_cancelled, office_name
from dialogs.booking.rules import month_key
from dialogs.booking.service import BookingService
from dialogs.console import rules
from dialogs.console.schedule import schedule_patch
from dialogs.offices import OfficeView
from knowledge.booking_schema import BookableOffice
from knowledge.loader import Knowledge
from storage.booking import ACTIVE, CANCELLED, Booking
from storage.staff import OfficeState, schedule_text
from storage.uow import UnitOfWork

IMPORTER = "import"  # the audit log's actor of the first import
NO_ADDRESS_REASON = "офіс тимчасово не приймає відвідувачів за цією адресою"
RESCHEDULED_REASON = "офіс змінив графік роботи, і цей час до нього більше не входить"


async def first_import(uow: UnitOfWork, kb: Knowledge) -> int:
    """At the first start (no office has a state yet): every bookable office of booking.yaml with the address of
    contacts.yaml, open unless the data says otherwise. The number of offices imported (0: done before)."""
    if kb.booking is None:
        return 0
    if existing := await uow.offices.all():
        await _import_schedules(uow, kb, existing)
        return 0
    now = uow.clock()
    for cfg in kb.booking.offices:
        contact = next((o for o in kb.contacts.offices if o.id == cfg.office), None)
        address = contact.address if contact is not None else None
        note = " ".join(cfg.closed_note.split()) if cfg.closed_note else None
        row = OfficeState(office=cfg.office, status=cfg.status, note=note, address=address, hours=None,
                          schedule=board.schedule_of(cfg), updated_at=now, updated_by=IMPORTER)  # fmt: skip
        await uow.offices.put(row)
        await uow.audit.record(IMPORTER, "office.import", f"office:{cfg.office}",
                               after={"status": cfg.status, "note": note, "address": address,
                                      "schedule": row.schedule})  # fmt: skip
    return len(kb.booking.offices)


async def _import_schedules(uow: UnitOfWork, kb: Knowledge, rows: list[OfficeState]) -> None:
    """Offices imported before schedules were staff's (migration 0021) get booking.yaml's."""
    assert kb.booking is not None
    for row in rows:
        cfg = kb.booking.office(row.office)
        if row.schedule is None and cfg is not None:
            row.schedule = board.schedule_of(cfg)
            await uow.offices.put(row)
            await uow.audit.record(IMPORTER, "office.import", f"office:{row.office}", after={"schedule": row.schedule})


def _view(row: OfficeState) -> OfficeView:
    return OfficeView(row.office, row.status, row.note, row.address, row.hours, schedule_text(row.schedule))


def configured(service: BookingService, row: OfficeState) -> BookableOffice | None:
    """The office's booking configuration as staff set it (booking.yaml's where they never did)."""
    base = service.base.office(row.office)
    if base is None or row.schedule is None:
        return base
    return board.configure(base, row.schedule)


async def upcoming(uow: UnitOfWork, office: str) -> list[Booking]:
    """The office's active bookings from now on, by time."""
    found = await uow.bookings.listing(day_from=uow.clock(), day_to=None, office=office)
    return [b for b in found if b.status in ACTIVE]


async def listing(uow: UnitOfWork, kb: Knowledge) -> list[dict[str, Any]]:
    out = []
    for row in await uow.offices.all():
        view = _view(row)
        out.append({"id": row.office, "name": office_name(kb, row.office), **view.json(), "schedule": row.schedule,
                    "bookable": view.bookable, "upcoming": len(await upcoming(uow, row.office)),
                    "updated_at": row.updated_at.isoformat(), "updated_by": row.updated_by})  # fmt: skip
    return out


@dataclass(frozen=True)
class Changed:
    office: OfficeView
    affected: list[Booking]  # the bookings cancelled because the office stopped taking them or its hours changed
    notified: int
    schedule: dict[str, Any] | None = None


async def _outside(service: BookingService, uow: UnitOfWork, office: str) -> list[Booking]:
    """The office's upcoming bookings that fit no place of this turn's schedule: their time is no slot any more,
    their window group changed, or their window is gone."""
    out = []
    for booking in await upcoming(uow, office):
        if booking.start is None or booking.kind == "callback":
            continue
        resource = service.resource(office, booking.service)
        found = None if resource is None else await service.slot_at(uow, office, booking.service, booking.start)
        if resource is None or resource.group != booking.resource or found is None \
                or (booking.place or 0) >= found[0].capacity:  # fmt: skip
            out.append(booking)
    return out


async def _reschedule(
    service: BookingService, uow: UnitOfWork, office: str, actor: str, now: dt.datetime
) -> tuple[list[Booking], int]:
    """Cancel the bookings the new schedule leaves out (not counted against the citizens' month) and queue a
    notice to each with the nearest free times."""
    cancelled = await _outside(service, uow, office)
    for booking in cancelled:
        await uow.bookings.cancel(booking, now)
        assert booking.start is not None
        await uow.bookings.refund(booking, month_key(booking.start, service.tz))
    service._tell(uow, CANCELLED, cancelled)
    notified = await notify_cancelled(service, uow, cancelled, RESCHEDULED_REASON, now, rescheduled=True)
    if cancelled:
        await uow.audit.record(actor, "office.reschedule-cancel", f"office:{office}",
                               after={"cancelled": [b.code for b in cancelled], "notified": notified})  # fmt: skip
    return cancelled, notified


async def change(
    uow: UnitOfWork, service: BookingService, office: str, body: object, actor: str
) -> Changed | None:
    """Apply a PATCH (rules.Invalid names a bad field); None for an unknown office."""
    row = await uow.offices.get(office)
    if row is None:
        return None
    before = _view(row)
    after = rules.office_patch(body, before)
    schedule_before = row.schedule
    if isinstance(body, dict) and "schedule" in body:
        current = configured(service, row)
        if current is None:
            raise rules.Invalid("schedule", "booking.yaml does not book this office")
        row.schedule = board.schedule_of(schedule_patch(body["schedule"], current, service.kb.services))
        after = OfficeView(after.office, after.status, after.note, after.address, after.hours,
                           schedule_text(row.schedule))  # fmt: skip
    now = uow.clock()
    row.status, row.note, row.address, row.hours = after.status, after.note, after.address, after.hours
    row.updated_at, row.updated_by = now, actor[:64]
    await uow.offices.put(row)
    rescheduled = after.schedule != before.schedule
    await uow.audit.record(actor, "office.change", f"office:{office}",
                           before={**before.json(), **({"schedule": schedule_before} if rescheduled else {})},
                           after={**after.json(), **({"schedule": row.schedule} if rescheduled else {})})  # fmt: skip
    affected: list[Booking] = []
    notified = 0
    if rescheduled and after.bookable:
        board.use({**(await board.load(uow)), office: after})  # this turn books by the new schedule
        affected, notified = await _reschedule(service, uow, office, actor, now)
    elif before.bookable and not after.bookable:
        board.use({**(await board.load(uow)), office: after})  # this turn sees it closed: no times offered there
        # Unconfirmed without a note: citizens are told the office is being confirmed (and the hotline).
        unconfirmed = after.status == board.UNCONFIRMED
        reason = after.note or (board.CONFIRMING if unconfirmed else NO_ADDRESS_REASON)
        days = sorted({service.local(b.start).date() for b in await upcoming(uow, office) if b.start is not None})
        for day in days:
            closed: Closed = await close_day_and_notify(service, uow, office, day, reason, now)
            affected += closed.cancelled
            notified += closed.notified
        if days:
            await uow.audit.record(actor, "office.close-days", f"office:{office}",
                                   after={"days": [d.isoformat() for d in days], "cancelled": len(affected)})  # fmt: skip
    elif after.bookable and not before.bookable:
        # Reopened: the days closing it closed (with its reason) take bookings again.
        was = before.note or (board.CONFIRMING if before.status == board.UNCONFIRMED else NO_ADDRESS_REASON)
        days = await uow.bookings.lift_closures(office, was, service.local(now).date())
        if days:
            await uow.audit.record(actor, "office.reopen-days", f"office:{office}",
                                   after={"days": [d.isoformat() for d in days]})  # fmt: skip
    return Changed(after, affected, notified, row.schedule)

