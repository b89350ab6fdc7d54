"""The offices' status as staff set it in the console: the first import from the knowledge, the listing, and a
change (validated by rules.office_patch) that is in force at the next turn, audited before → after with the
staff login, and that, when it stops an office taking bookings, closes the days its upcoming bookings fall on
and tells those citizens the nearest free times (dialogs/booking/notices.py `close_day_and_notify`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs import offices as board
from dialogs.booking.notices import Closed, close_day_and_notify, office_name
from dialogs.booking.service import BookingService
from dialogs.console import rules
from dialogs.offices import OfficeView
from knowledge.loader import Knowledge
from storage.booking import ACTIVE, Booking
from storage.staff import OfficeState
from storage.uow import UnitOfWork

IMPORTER = "import"  # the audit log's actor of the first import
NO_ADDRESS_REASON = "офіс тимчасово не приймає відвідувачів за цією адресою"


async def first_import(uow: UnitOfWork, kb: Knowledge) -> int:
    """At the first start (no office has a state yet): every bookable office of booking.yaml with the address of
    contacts.yaml, open unless the data says otherwise. The number of offices imported (0: done before)."""
    if kb.booking is None or await uow.offices.all():
        return 0
    now = uow.clock()
    for cfg in kb.booking.offices:
        contact = next((o for o in kb.contacts.offices if o.id == cfg.office), None)
        address = contact.address if contact is not None else None
        note = " ".join(cfg.closed_note.split()) if cfg.closed_note else None
        row = OfficeState(office=cfg.office, status=cfg.status, note=note, address=address, hours=None,
                          updated_at=now, updated_by=IMPORTER)  # fmt: skip
        await uow.offices.put(row)
        await uow.audit.record(IMPORTER, "office.import", f"office:{cfg.office}",
                               after={"status": cfg.status, "note": note, "address": address})  # fmt: skip
    return len(kb.booking.offices)


def _view(row: OfficeState) -> OfficeView:
    return OfficeView(row.office, row.status, row.note, row.address, row.hours)


async def upcoming(uow: UnitOfWork, office: str) -> list[Booking]:
    """The office's active bookings from now on, by time."""
    found = await uow.bookings.listing(day_from=uow.clock(), day_to=None, office=office)
    return [b for b in found if b.status in ACTIVE]


async def listing(uow: UnitOfWork, kb: Knowledge) -> list[dict[str, Any]]:
    out = []
    for row in await uow.offices.all():
        view = _view(row)
        out.append({"id": row.office, "name": office_name(kb, row.office), **view.json(),
                    "bookable": view.bookable, "upcoming": len(await upcoming(uow, row.office)),
                    "updated_at": row.updated_at.isoformat(), "updated_by": row.updated_by})  # fmt: skip
    return out


@dataclass(frozen=True)
class Changed:
    office: OfficeView
    affected: list[Booking]  # the bookings cancelled because the office stopped taking them
    notified: int


async def change(
    uow: UnitOfWork, service: BookingService, office: str, body: object, actor: str
) -> Changed | None:
    """Apply a PATCH (rules.Invalid names a bad field); None for an unknown office."""
    row = await uow.offices.get(office)
    if row is None:
        return None
    before = _view(row)
    after = rules.office_patch(body, before)
    now = uow.clock()
    row.status, row.note, row.address, row.hours = after.status, after.note, after.address, after.hours
    row.updated_at, row.updated_by = now, actor[:64]
    await uow.offices.put(row)
    await uow.audit.record(actor, "office.change", f"office:{office}", before=before.json(), after=after.json())
    affected: list[Booking] = []
    notified = 0
    if before.bookable and not after.bookable:
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
    return Changed(after, affected, notified)

