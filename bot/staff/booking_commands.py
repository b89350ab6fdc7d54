"""What each `python -m bot booking …` command that needs the database does: check its arguments against the
booking data, call the booking room's service in one unit of work, print. Refusals raise Usage (exit status 2)
or NotFound (1); bot.staff.booking parses the arguments and turns refusals into exit statuses."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from bot.staff.booking_views import booking_json, booking_line
from bot.staff.common import OK, NotFound, Usage, actor, kyiv, print_json
from dialogs import offices
from dialogs.booking import desk
from dialogs.booking.notices import close_day_and_notify
from dialogs.booking.priority import Refused
from dialogs.booking.service import HOTLINE, BookingService
from storage.uow import UnitOfWork

Uows = Callable[[], UnitOfWork]
PRIORITY_ACTION = desk.PRIORITY_ACTION  # the audit log's action of a priority decision


def _office(service: BookingService, office: str, *, visits: bool = False) -> str:
    known = [o.office for o in service.data.offices] + [HOTLINE] + (["mobile-admin"] if visits else [])
    if office not in known:
        raise Usage(f"unknown office {office!r}: use one of {', '.join(known)}")
    return office


def _service(service: BookingService, given: str) -> str:
    found = service.kb.services.get(given) or service.kb.service_by_card(given)
    if found is None:
        raise Usage(
            f"unknown service {given!r}: use a service id (see `offices`) or a card number such as 41-11"
        )
    return found.id


def _day_bounds(service: BookingService, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), service.tz)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


async def slots(
    args: argparse.Namespace, uows: Uows, service: BookingService, now: dt.datetime, out: TextIO
) -> int:
    """`slots`: the slots of a day with their free and priority places."""
    office, service_id = _office(service, args.office), _service(service, args.service)
    if office != HOTLINE and not offices.bookable(office):
        raise Usage(f"{office} takes no bookings now: closed, or without an address, in the staff console")
    if service.resource(office, service_id) is None:
        booked_at = ", ".join(service.offices(service_id)) or "nowhere"
        raise Usage(f"service {service_id} is not booked at {office} (it is booked at: {booked_at})")
    async with uows() as uow:
        views = await service.slots(uow, office, service_id, args.date, now=now)
    rows = [
        {
            "start": v.start.isoformat(),
            "capacity": v.capacity,
            "free": v.free,
            "priority_free": v.priority_free,
        }
        for v in views
    ]
    if args.json:
        print_json(rows, out)
    elif not rows:
        out.write(f"{office} does not work on {args.date} (a day off, a holiday or a closure)\n")
    else:
        for v in views:
            out.write(f"{v.start:%H:%M}  free {v.free}  priority {v.priority_free}  of {v.capacity}\n")
    return OK


async def listing(
    args: argparse.Namespace, uows: Uows, service: BookingService, now: dt.datetime, out: TextIO
) -> int:
    """`list`: the bookings of a day, or every booking from today on with the open home-visit requests."""
    where = _office(service, args.office, visits=True) if args.office else None
    if args.date is not None:
        day_from, day_to = _day_bounds(service, args.date)
    else:
        day_from, day_to = _day_bounds(service, service.local(now).date())[0], None
    async with uows() as uow:
        # Without a date, the open home-visit requests too: they have no time until the Center calls.
        bookings = await uow.bookings.listing(
            day_from=day_from, day_to=day_to, office=where, with_requests=args.date is None
        )
    bookings = sorted(bookings, key=lambda b: (b.start is None, b.start or now, b.code))
    if args.json:
        print_json([booking_json(service, b) for b in bookings], out)
    else:
        for booking in bookings:
            out.write(booking_line(service, booking) + "\n")
        out.write(f"{len(bookings)} booking(s)\n")
    return OK


async def close_day(
    args: argparse.Namespace, uows: Uows, service: BookingService, now: dt.datetime, out: TextIO
) -> int:
    """`close-day`: close an office for a day; its bookings are cancelled and each citizen is told."""
    office = _office(service, args.office)
    reason = " ".join(args.reason.split())
    if not reason:
        raise Usage("--reason is empty: say why the office is closed (citizens are told)")
    if args.date < service.local(now).date():
        raise Usage(f"{args.date} is in the past")
    async with uows() as uow:
        if (office, args.date) in set(await uow.bookings.closures(office)):
            raise Usage(f"{office} is already closed on {args.date}")
        closed = await close_day_and_notify(service, uow, office, args.date, reason, now)
        codes = [b.code for b in closed.cancelled]
        await uow.audit.record(
            actor(args),
            "office.close-day",
            f"{office} {args.date.isoformat()}",
            before={"open": True},
            after={"open": False, "reason": reason, "cancelled": codes, "notified": closed.notified},
        )
    if args.json:
        print_json(
            {
                "office": office,
                "date": args.date.isoformat(),
                "cancelled": codes,
                "notified": closed.notified,
            },
            out,
        )
    else:
        out.write(
            f"{office} is closed on {args.date}. Cancelled {len(codes)} booking(s)"
            + (f": {', '.join(codes)}" if codes else "")
            + f"; {closed.notified} citizen(s) will be told on their channel.\n"
        )
    return OK


async def mark(
    args: argparse.Namespace, uows: Uows, service: BookingService, now: dt.datetime, out: TextIO
) -> int:
    """`mark`: a booked visit or callback whose time has come: the citizen arrived, or did not come; with
    `--priority`, the priority claim confirmed or refused (dialogs/booking/priority.py). Recorded in the audit
    log in the same transaction (dialogs/booking/desk.py, which the staff console's Today page calls too)."""
    try:
        async with uows() as uow:
            marked = await desk.mark(
                service, uow, args.code, args.status, args.priority, by=actor(args), now=now
            )
    except desk.MarkRefused as exc:
        raise (NotFound if exc.missing else Usage)(str(exc)) from None
    shown: dict[str, Any] = {"code": marked.code, "status": marked.status}
    if marked.decision is not None:
        shown["priority"] = marked.decision
    refused = marked.refused
    if refused is not None:
        shown |= {
            "general": [b.code for b in refused.general],
            "cancelled": [b.code for b in refused.cancelled],
            "blocked_until": kyiv(refused.blocked_until),
            "notified": refused.notified,
        }
    if args.json:
        print_json(shown, out)
    else:
        decision = marked.decision
        out.write(f"{marked.code}: {marked.status}" + (f", priority {decision}" if decision else "") + "\n")
        if refused is not None:
            out.write(_refused_line(refused))
    return OK


def _refused_line(refused: Refused) -> str:
    general, cancelled = [b.code for b in refused.general], [b.code for b in refused.cancelled]
    block = (
        f"priority booking blocked until {kyiv(refused.blocked_until)}"
        if refused.blocked_until is not None
        else "no verified phone behind the booking: nobody to block"
    )
    return (
        f"Other priority bookings: {len(general)} now general"
        + (f" ({', '.join(general)})" if general else "")
        + f", {len(cancelled)} cancelled" + (f" ({', '.join(cancelled)})" if cancelled else "")
        + f"; {block}; {refused.notified} citizen(s) will be told on their channel.\n"
    )  # fmt: skip


Command = Callable[[argparse.Namespace, Uows, BookingService, dt.datetime, TextIO], Awaitable[int]]
COMMANDS: dict[str, Command] = {"slots": slots, "list": listing, "close-day": close_day, "mark": mark}


async def execute(
    args: argparse.Namespace, uows: Uows, service: BookingService, now: dt.datetime, out: TextIO
) -> int:
    """Run one parsed command that needs the database; raises Usage or NotFound."""
    command = COMMANDS.get(args.command)
    if command is None:
        raise Usage(f"unknown command {args.command!r}")  # argparse lets none through
    async with uows() as uow:  # the offices as staff set them in the console: a closed one has no slots
        await offices.refresh(uow)
    return await command(args, uows, service, now, out)
