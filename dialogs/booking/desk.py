"""The front desk's actions on bookings, shared by `python -m bot booking mark` and the staff console's Today
page so both make the same service calls and the same audit records: a visit or callback marked arrived or
no-show, with the priority claim confirmed or refused (dialogs/booking/priority.py); the rest of a day closed
from a time on, its citizens told (notices.py); the day's bookings of an office with their priority
decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dialogs.booking.notices import Closed, notify_cancelled
from dialogs.booking.priority import DECISIONS, REFUSED, Refused, refuse
from dialogs.booking.service import BookingService
from storage.booking import ARRIVED, NO_SHOW
from storage.desk import DayBooking
from storage.uow import UnitOfWork

PRIORITY_ACTION = "booking.priority"  # the audit log's action of a priority decision
MARK_ACTION = "booking.mark"
MARKS = (ARRIVED, NO_SHOW)
CLAIMED = "claimed"  # a priority booking nobody has decided on yet


class MarkRefused(Exception):
    """Why a mark is refused; `missing` when there is no such booking or it cannot be marked at all; `field`
    the input at fault («mark» or «priority»)."""

    def __init__(self, message: str, *, missing: bool = False, field: str = "mark") -> None:
        super().__init__(message)
        self.missing = missing
        self.field = field


@dataclass(frozen=True)
class Marked:
    code: str
    status: str
    decision: str | None
    refused: Refused | None


def kyiv(service: BookingService, moment: dt.datetime | None) -> str | None:
    """A moment as ISO 8601 with the office's offset, as the audit log keeps it (None stays None)."""
    return None if moment is None else service.local(moment).isoformat()


async def mark(
    service: BookingService, uow: UnitOfWork, code: str, status: str, decision: str | None, *, by: str,
    now: dt.datetime,
) -> Marked:  # fmt: skip
    """Mark a booked visit or callback whose time has come, audited in `uow` as `by`; with `decision`, its
    priority claim confirmed or refused (a refusal moves the person's other priority bookings and blocks
    them).
    MarkRefused says why not."""
    if status not in MARKS:
        raise MarkRefused(f"a mark is one of {', '.join(MARKS)}")
    if decision is not None and decision not in DECISIONS:
        raise MarkRefused(f"a priority decision is one of {', '.join(DECISIONS)}", field="priority")
    if decision is not None and status != ARRIVED:
        raise MarkRefused("--priority goes with `arrived`: the document is checked when the citizen comes",
                          field="priority")  # fmt: skip
    found = await uow.bookings.by_code(code)
    if found is None:
        raise MarkRefused(f"no booking with code {code.strip()}", missing=True)
    if found.status in ("cancelled", "requested"):
        raise MarkRefused(
            f"booking {found.code} is {found.status}: only a booked visit or callback can be marked",
            missing=True,
        )
    if found.start is not None and found.start > now:  # not yet: the citizen may still come
        raise MarkRefused(
            f"booking {found.code} starts at {service.local(found.start):%Y-%m-%d %H:%M}: mark it then"
        )
    if decision is not None and not found.priority:
        raise MarkRefused(f"booking {found.code} was not booked as priority: mark it without --priority",
                          field="priority")  # fmt: skip
    if decision is not None and (done := await uow.audit.last(PRIORITY_ACTION, found.code)) is not None:
        raise MarkRefused(
            f"the priority claim of {found.code} was already {(done.after or {}).get('decision')} by "
            f"{done.actor} at {kyiv(service, done.at)}",
            field="priority",
        )
    before = found.status
    marked = await service.mark(uow, found.code, status)
    assert marked is not None
    await uow.audit.record(
        by, MARK_ACTION, marked.code, before={"status": before}, after={"status": marked.status}
    )
    refused = None
    if decision is not None:
        claim = {"priority": True, "group": marked.priority_group}
        after: dict[str, Any] = {"decision": decision}
        if decision == REFUSED:
            refused = await refuse(service, uow, marked, by=by, now=now)
            after |= {
                "general": [b.code for b in refused.general],
                "cancelled": [b.code for b in refused.cancelled],
                "blocked_until": kyiv(service, refused.blocked_until),
            }
        await uow.audit.record(by, PRIORITY_ACTION, marked.code, before=claim, after=after)
    return Marked(marked.code, marked.status, decision, refused)


async def close_rest_of_day(
    service: BookingService, uow: UnitOfWork, office: str, reason: str, *, by: str, now: dt.datetime
) -> Closed:
    """Close `office` from `now` to the end of its local day: no more bookings that day, the active bookings
    from now on cancelled (not counted against the citizens' months) and each citizen told with the nearest
    free times; the bookings earlier that day stay, to be marked. Audited as `office.close-rest`."""
    day = service.local(now).date()
    cancelled = await service.close_day(uow, office, day, reason, now)
    notified = await notify_cancelled(service, uow, cancelled, reason, now)
    await uow.audit.record(by, "office.close-rest", f"{office} {day.isoformat()}",
                           before={"open": True, "from": kyiv(service, now)},
                           after={"open": False, "reason": reason, "cancelled": [b.code for b in cancelled],
                                  "notified": notified})  # fmt: skip
    return Closed(cancelled, notified)


@dataclass(frozen=True)
class DayRow:
    booking: DayBooking
    priority: str | None  # None, CLAIMED, or the decision (confirmed / refused)


async def day_rows(service: BookingService, uow: UnitOfWork, office: str, day: dt.date) -> list[DayRow]:
    """The bookings of `office` starting on its local `day`, by time, cancelled ones included (staff see what
    was cancelled), each with its priority state; two queries whatever their number."""
    start = dt.datetime.combine(day, dt.time(0), service.tz)
    end = start + dt.timedelta(days=1)
    found = await uow.desk.day(office, start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    decided = await uow.desk.decisions(PRIORITY_ACTION, [b.code for b in found if b.priority])
    return [DayRow(b, (decided.get(b.code, CLAIMED) if b.priority else None)) for b in found]
