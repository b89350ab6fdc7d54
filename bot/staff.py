"""`python -m bot booking …`: the Center's staff commands over the booking service.

The logic is BookingService's (dialogs.booking.service); this module parses arguments, prints, and queues the
notices of a closed day (`close_day_and_notify`, which a staff web page can call as it is). It imports no
messenger SDK and no handler, so a command starts, answers and ends in about a second, also while the bot runs
on the same database (`bot/__main__.py` hands `booking` over before it imports the bot itself).

Exit status: 0 done, 1 not found (an unknown booking code), 2 bad arguments or settings (one line on stderr)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO
from zoneinfo import ZoneInfo

from bot.settings import ConfigError, Settings, load_settings
from dialogs.booking.rules import Slot
from dialogs.booking.service import HOTLINE, BookingService
from dialogs.booking.texts import day_text
from knowledge import Knowledge, load_knowledge
from storage.booking import Booking
from storage.clock import Clock, system_clock
from storage.db import make_engine, make_sessionmaker
from storage.handoff import STATUSES as TICKET_STATUSES
from storage.handoff import Ticket
from storage.migrate import upgrade
from storage.reminders import Reminder
from storage.uow import UnitOfWork, UnitOfWorkFactory

OK, NOT_FOUND, USAGE = 0, 1, 2
MARKS = ("arrived", "no-show")
PROG = "python -m bot booking"
HOTLINE_PHONE = "0 800 500 459"
REBOOK = "📅 Записатися знову"
NEAREST_SHOWN = 3
KYIV = ZoneInfo("Europe/Kyiv")
ON_WEEKDAY = ("понеділок", "вівторок", "середу", "четвер", "п'ятницю", "суботу", "неділю")  # «у понеділок»


class Usage(Exception):
    """A wrong argument: one line that says what to write instead (exit status 2)."""


class NotFound(Exception):
    """What the command names does not exist (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of argparse's usage block
        raise Usage(f"{self.prog}: {message} (see {self.prog} --help)")


def _date(text: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: use YYYY-MM-DD, e.g. 2026-12-07") from None


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog=PROG, description="Staff commands of the booking (e-queue). Times are Kyiv local times."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    offices = sub.add_parser("offices", help="offices, their services and windows")
    offices.add_argument("--json", action="store_true", help="print JSON")
    slots = sub.add_parser("slots", help="the slots of a day with their free places")
    slots.add_argument("--office", required=True, help="office id (see `offices`), or `hotline`")
    slots.add_argument("--service", required=True, help="service id, or a card number such as 41-11")
    slots.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
    slots.add_argument("--json", action="store_true", help="print JSON")
    listing = sub.add_parser("list", help="bookings of a day (without --date: every booking from today on)")
    listing.add_argument("--date", type=_date, help="YYYY-MM-DD")
    listing.add_argument("--office", help="office id, `hotline` or `mobile-admin`")
    listing.add_argument("--json", action="store_true", help="print JSON (without phones)")
    close = sub.add_parser(
        "close-day", help="close an office for a day: cancel its bookings, tell the citizens"
    )
    close.add_argument("--office", required=True, help="office id, or `hotline`")
    close.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
    close.add_argument("--reason", required=True, help="what citizens are told, e.g. «технічні роботи»")
    close.add_argument("--json", action="store_true", help="print JSON")
    mark = sub.add_parser("mark", help="mark a booking: the citizen arrived, or did not come")
    mark.add_argument("code", help="the booking's code, e.g. K7M-4QX")
    mark.add_argument("status", choices=MARKS)
    mark.add_argument("--json", action="store_true", help="print JSON")
    return top


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments, or Usage."""
    return parser().parse_args(list(argv))


# --- what the commands do (also for a staff web page) -------------------------------------------------------


@dataclass(frozen=True)
class Closed:
    """The outcome of closing a day: the bookings cancelled, and how many citizens get a notice."""

    cancelled: list[Booking]
    notified: int


def office_name(kb: Knowledge, office: str) -> str:
    if office == HOTLINE:
        return "гаряча лінія"
    found = next((o for o in kb.contacts.offices if o.id == office), None)
    if found is None:
        return office
    return found.short_name or found.name


def closure_notice(
    service: BookingService, booking: Booking, reason: str, nearest: Sequence[Slot]
) -> tuple[str, list[list[dict[str, str]]]]:
    """What a citizen whose booking fell on a closed day is told (Ukrainian), with the button to book again."""
    assert booking.start is not None
    start = service.local(booking.start)
    on_day = f"у {ON_WEEKDAY[start.weekday()]}, {start:%d.%m.%Y},"
    reason = reason.strip().rstrip(".")
    if booking.kind == "callback":
        lines = [
            f"Вибачте, {on_day} гаряча лінія не зможе передзвонити. Причина: {reason}.",
            f"Ваше замовлення дзвінка **{booking.code}** на {start:%H:%M} скасовано.",
        ]
    else:
        lines = [
            f"Вибачте, {on_day} {office_name(service.kb, booking.office)} не працюватиме. Причина: {reason}.",
            f"Ваш запис **{booking.code}** на {start:%H:%M} цього дня скасовано.",
        ]
    if nearest:
        lines += ["", "Найближчий вільний час:"]
        lines += [
            f"• {day_text(service.local(s.start).date())} о {service.local(s.start):%H:%M}" for s in nearest
        ]
        lines += ["", "Записатися знову можна кнопкою нижче."]
    else:
        lines += [
            "",
            "Найближчими днями вільного часу, на жаль, немає. Підкажуть на безкоштовній гарячій лінії "
            f"{HOTLINE_PHONE}.",
        ]
    # A callback is booked again as a callback; an office visit, for the same service.
    payload = "q:cb" if booking.kind == "callback" else f"q:s:{booking.service}"
    return "\n".join(lines), [[{"text": REBOOK, "payload": payload}]]


async def close_day_and_notify(
    service: BookingService, uow: UnitOfWork, office: str, day: dt.date, reason: str, now: dt.datetime
) -> Closed:
    """Close `office` on `day` and queue, in the same unit of work, a notice to every citizen whose booking was
    cancelled: on their channel, with the nearest free times and a button to book again. Either all of it is
    committed or none (a crash never leaves a closed day whose citizens are not told)."""
    cancelled = await service.close_day(uow, office, day, reason, now)
    nearest: dict[tuple[str, str, bool], list[Slot]] = {}  # the same answer for every booking of one kind
    notified = 0
    for booking in cancelled:
        await uow.reminders.cancel_for_booking(booking.code)  # no reminder of a visit that will not happen
        if booking.user_id is None or booking.start is None:  # the citizen erased their data
            continue
        user = await uow.users.by_id(booking.user_id)
        if user is None:
            continue
        resource = service.resource(booking.office, booking.service)
        key = (booking.office, resource.group if resource else booking.service, booking.priority)
        if key not in nearest:
            nearest[key] = await service.nearest(
                uow, booking.office, booking.service, now=now, priority=booking.priority,
                after=booking.start, n=NEAREST_SHOWN,
            )  # fmt: skip
        text, buttons = closure_notice(service, booking, reason, nearest[key])
        await uow.outbox.add(user.channel, user.external_id, text, buttons)
        notified += 1
    return Closed(cancelled, notified)


# --- printing ------------------------------------------------------------------------------------------------


def _json(value: object, out: TextIO) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _service_title(kb: Knowledge, service: str) -> str:
    found = kb.services.get(service)
    return found.short_title if found else service


def offices_json(service: BookingService) -> list[dict[str, Any]]:
    kb, data = service.kb, service.data
    out: list[dict[str, Any]] = []
    for cfg in data.offices:
        office = next((o for o in kb.contacts.offices if o.id == cfg.office), None)
        out.append(
            {
                "id": cfg.office,
                "kind": "office",
                "name": office.name if office else cfg.office,
                "short_name": office_name(kb, cfg.office),
                "address": office.address if office else None,
                "priority_share": cfg.priority_share,
                "priority_only": cfg.priority_only,
                "assumed": list(cfg.assumed),
                "groups": [
                    {
                        "id": group.id,
                        "windows": group.windows,
                        "slot_minutes": group.minutes,
                        "services": [
                            {
                                "id": s,
                                "card": kb.services[s].card if s in kb.services else None,
                                "title": _service_title(kb, s),
                            }
                            for s in group.services
                        ],
                    }
                    for group in cfg.groups
                ],
            }
        )
    hotline = data.hotline
    line = next((h for h in kb.contacts.hotlines if h.id == hotline.hotline), None)
    out.append(
        {
            "id": HOTLINE,
            "kind": "hotline",
            "name": line.name if line else hotline.hotline,
            "short_name": office_name(kb, HOTLINE),
            "address": None,
            "phone": line.phone if line else None,
            "priority_share": 0.0,
            "priority_only": False,
            "assumed": list(hotline.assumed),
            # Callbacks take any service: the operators are the windows.
            "groups": [
                {
                    "id": HOTLINE,
                    "windows": hotline.operators,
                    "slot_minutes": hotline.slot_minutes,
                    "services": [],
                }
            ],
        }
    )
    return out


def booking_json(service: BookingService, booking: Booking) -> dict[str, Any]:
    """A booking as `list --json` shows it: no phone, no address, no topic."""
    return {
        "code": booking.code,
        "start": service.local(booking.start).isoformat() if booking.start else None,
        "office": booking.office,
        "service": booking.service,
        "kind": booking.kind,
        "status": booking.status,
        "priority": bool(booking.priority),
        "channel": booking.channel,
    }


def booking_line(service: BookingService, booking: Booking) -> str:
    """A booking as the plain-text staff view shows it; a callback's or visit's phone on the line below."""
    when = f"{service.local(booking.start):%Y-%m-%d %H:%M}" if booking.start else "(no date yet)   "
    mark = f"  ★ {booking.priority_group or 'priority'}" if booking.priority else ""
    line = (
        f"{when}  {booking.code:<8}  {booking.status:<9}  {booking.kind:<8}  {booking.office:<14}  "
        f"{_service_title(service.kb, booking.service)} [{booking.service}]  via {booking.channel}{mark}"
    )
    if booking.kind in ("callback", "visit") and booking.status in ("booked", "requested"):
        details = [f"phone {booking.phone or '—'}"]
        if booking.address:
            details.append(f"address: {booking.address}")
        if booking.topic:
            details.append(f"topic: {booking.topic}")
        line += "\n" + " " * 18 + "; ".join(details)
    return line


# --- the commands ----------------------------------------------------------------------------------------------


def print_offices(service: BookingService, as_json: bool, out: TextIO) -> int:
    offices = offices_json(service)
    if as_json:
        _json(offices, out)
        return OK
    for office in offices:
        address = f", {office['address']}" if office["address"] else ""
        out.write(f"{office['id']}: {office['name']}{address}\n")
        for group in office["groups"]:
            services = ", ".join(s["id"] for s in group["services"]) or "any service"
            out.write(f"  {group['id']}: {group['windows']} × {group['slot_minutes']} min — {services}\n")
    return OK


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


async def execute(
    args: argparse.Namespace,
    uows: Callable[[], UnitOfWork],
    service: BookingService,
    now: dt.datetime,
    out: TextIO,
) -> int:
    """Run one parsed command that needs the database; raises Usage or NotFound."""
    if args.command == "slots":
        office, service_id = _office(service, args.office), _service(service, args.service)
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
            _json(rows, out)
        elif not rows:
            out.write(f"{office} does not work on {args.date} (a day off, a holiday or a closure)\n")
        else:
            for v in views:
                out.write(f"{v.start:%H:%M}  free {v.free}  priority {v.priority_free}  of {v.capacity}\n")
        return OK

    if args.command == "list":
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
            _json([booking_json(service, b) for b in bookings], out)
        else:
            for booking in bookings:
                out.write(booking_line(service, booking) + "\n")
            out.write(f"{len(bookings)} booking(s)\n")
        return OK

    if args.command == "close-day":
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
        if args.json:
            _json(
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

    if args.command == "mark":
        async with uows() as uow:
            found = await uow.bookings.by_code(args.code)
            if found is None:
                raise NotFound(f"no booking with code {args.code.strip()}")
            if found.status in ("cancelled", "requested"):
                raise NotFound(
                    f"booking {found.code} is {found.status}: only a booked visit or callback can be marked"
                )
            if found.start is not None and found.start > now:  # not yet: the citizen may still come
                raise Usage(
                    f"booking {found.code} starts at {service.local(found.start):%Y-%m-%d %H:%M}: mark it then"
                )
            marked = await service.mark(uow, found.code, args.status)
            assert marked is not None
            code, status = marked.code, marked.status
        if args.json:
            _json({"code": code, "status": status}, out)
        else:
            out.write(f"{code}: {status}\n")
        return OK

    raise Usage(f"unknown command {args.command!r}")  # argparse lets none through


async def _with_database(
    settings: Settings,
    check_database: Callable[[str], Awaitable[None]] | None,
    work: Callable[[UnitOfWorkFactory], Awaitable[int]],
    clock: Clock = system_clock,
) -> int:
    """Open the database of DATABASE_URL (migrated: a fresh one gets its tables), run `work`, close it."""
    if check_database is not None:
        await check_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)  # nothing to do while the bot runs
        return await work(UnitOfWorkFactory(make_sessionmaker(engine), clock=clock))
    finally:
        await engine.dispose()


async def _answered(command: Callable[[], Awaitable[int]], err: TextIO) -> int:
    """A command's exit status, with its refusal as one line on stderr."""
    try:
        return await command()
    except Usage as exc:
        err.write(f"{exc}\n")
        return USAGE
    except NotFound as exc:
        err.write(f"{exc}\n")
        return NOT_FOUND
    except ConfigError as exc:
        err.write("".join(f"{line}\n" for line in exc.lines))
        return USAGE


async def run(
    argv: Sequence[str],
    settings: Settings,
    *,
    kb: Knowledge | None = None,
    clock: Clock = system_clock,
    out: TextIO | None = None,
    err: TextIO | None = None,
    check_database: Callable[[str], Awaitable[None]] | None = None,
) -> int:
    """Parse and run one staff command; the exit status. `clock`, `kb` are given by tests."""
    out, err = out or sys.stdout, err or sys.stderr

    async def command() -> int:
        args = parse(argv)
        service = BookingService(
            kb or load_knowledge(),
            martial_law=settings.martial_law,
            holidays_are_days_off=settings.public_holidays_off,
        )
        if args.command == "offices":  # needs no database
            return print_offices(service, args.json, out)
        return await _with_database(
            settings, check_database, lambda uows: execute(args, uows, service, uows.clock(), out), clock
        )

    return await _answered(command, err)


def _main(
    argv: Sequence[str],
    check: Callable[[Sequence[str]], object],
    runner: Callable[[Settings], Coroutine[Any, Any, int]],
) -> int:
    """Settings from the environment, then one command (`check` parses first: --help needs no settings)."""
    try:
        check(argv)
        settings = load_settings()
    except Usage as exc:
        print(exc, file=sys.stderr)
        return USAGE
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return USAGE
    try:
        return asyncio.run(runner(settings))
    except BrokenPipeError:  # `… | head`: the reader has gone, which is no error of the command
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so that the interpreter's final flush is quiet
        return OK


def main(argv: Sequence[str], *, check_database: Callable[[str], Awaitable[None]] | None = None) -> int:
    """`python -m bot booking ARGS`."""
    return _main(argv, parse, lambda settings: run(argv, settings, check_database=check_database))


# --- `python -m bot reminders …` --------------------------------------------------------------------------------

REMINDERS_PROG = "python -m bot reminders"
# What staff see: a row being sent right now is still «pending» (not sent yet).
SHOWN_STATUS = {"pending": "pending", "sending": "pending", "sent": "sent", "cancelled": "cancelled",
                "missed": "missed", "failed": "failed"}  # fmt: skip
REMINDER_STATUSES = ("pending", "sent", "cancelled", "missed", "failed")


def reminders_parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog=REMINDERS_PROG, description="Staff commands of the reminders. Times are Kyiv local times."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = sub.add_parser("list", help="reminders by due time (all, or of one status)")
    listing.add_argument("--status", choices=REMINDER_STATUSES, help="only this status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    return top


def reminder_json(reminder: Reminder) -> dict[str, Any]:
    """A reminder as `reminders list --json` shows it (no citizen identifiers)."""
    return {
        "id": reminder.id,
        "kind": reminder.kind,
        "due_at": reminder.due_at.astimezone(KYIV).isoformat(),
        "channel": reminder.channel,
        "status": SHOWN_STATUS.get(reminder.status, reminder.status),
        "booking": reminder.booking_code,
    }


async def reminders_execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    """Run one parsed reminders command."""
    if args.command == "list":
        async with uows() as uow:
            if args.status == "pending":
                rows = await uow.reminders.listing("pending") + await uow.reminders.listing("sending")
                rows.sort(key=lambda r: (r.due_at, r.id))
            else:
                rows = await uow.reminders.listing(args.status)
        shown = [reminder_json(r) for r in rows]
        if args.json:
            _json(shown, out)
        else:
            for r in shown:
                about = f"  booking {r['booking']}" if r["booking"] else ""
                out.write(f"{r['due_at'][:16].replace('T', ' ')}  #{r['id']:<6}  {r['status']:<9}  "
                          f"{r['kind']:<11}  via {r['channel']}{about}\n")  # fmt: skip
            out.write(f"{len(shown)} reminder(s)\n")
        return OK
    raise Usage(f"unknown command {args.command!r}")  # argparse lets none through


Execute = Callable[[argparse.Namespace, Callable[[], UnitOfWork], TextIO], Awaitable[int]]
CheckDatabase = Callable[[str], Awaitable[None]]


async def _database_command(
    parser: Callable[[], argparse.ArgumentParser],
    execute: Execute,
    argv: Sequence[str],
    settings: Settings,
    *,
    out: TextIO | None,
    err: TextIO | None,
    check_database: CheckDatabase | None,
) -> int:
    """Parse and run one staff command that reads the database; the exit status."""
    out_, err_ = out or sys.stdout, err or sys.stderr

    async def command() -> int:
        args = parser().parse_args(list(argv))
        return await _with_database(settings, check_database, lambda uows: execute(args, uows, out_))

    return await _answered(command, err_)


def _database_main(
    parser: Callable[[], argparse.ArgumentParser],
    execute: Execute,
    argv: Sequence[str],
    check_database: CheckDatabase | None,
) -> int:
    return _main(
        argv,
        lambda a: parser().parse_args(list(a)),
        lambda settings: _database_command(
            parser, execute, argv, settings, out=None, err=None, check_database=check_database
        ),
    )


async def reminders_run(
    argv: Sequence[str],
    settings: Settings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    check_database: CheckDatabase | None = None,
) -> int:
    """Parse and run one reminders staff command; the exit status."""
    return await _database_command(
        reminders_parser, reminders_execute, argv, settings, out=out, err=err, check_database=check_database
    )


def reminders_main(argv: Sequence[str], *, check_database: CheckDatabase | None = None) -> int:
    """`python -m bot reminders ARGS`."""
    return _database_main(reminders_parser, reminders_execute, argv, check_database)


# --- `python -m bot handoff …` ----------------------------------------------------------------------------------

HANDOFF_PROG = "python -m bot handoff"


def handoff_parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog=HANDOFF_PROG, description="Staff commands of the operator handoff. Times are Kyiv times."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = sub.add_parser("list", help="tickets, oldest first (all, or of one status)")
    listing.add_argument("--status", choices=TICKET_STATUSES, help="only this status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    return top


def _kyiv(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(KYIV).isoformat() if moment is not None else None


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as `handoff list --json` shows it: figures for the statistics, no citizen identifiers."""
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "created_at": _kyiv(ticket.created_at),
        "taken_at": _kyiv(ticket.taken_at),
        "closed_at": _kyiv(ticket.closed_at),
        "operator": ticket.operator_name,
        "rating": ticket.rating,
        "mode": ticket.mode,
        "close_reason": ticket.close_reason,
    }


async def handoff_execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    if args.command == "list":
        async with uows() as uow:
            rows = [t for t in await uow.tickets.all() if args.status in (None, t.status)]
        shown = [ticket_json(t) for t in rows]
        comments = {t.id: t.comment for t in rows}  # free text: only in the plain-text staff view
        if args.json:
            _json(shown, out)
        else:
            for t in shown:
                created = str(t["created_at"])[:16].replace("T", " ")
                who = f"  {t['operator']}" if t["operator"] else ""
                rated = f"  rated {t['rating']}/5" if t["rating"] else ""
                rated += f"  «{comments[t['id']]}»" if comments.get(t["id"]) else ""
                out.write(f"{created}  #{t['id']:<5}  {t['status']:<7}  {t['channel']:<8}  "
                          f"{'priority  ' if t['priority'] else ''}{t['mode']}{who}{rated}\n")  # fmt: skip
            out.write(f"{len(shown)} ticket(s)\n")
        return OK
    raise Usage(f"unknown command {args.command!r}")


async def handoff_run(
    argv: Sequence[str],
    settings: Settings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    check_database: CheckDatabase | None = None,
) -> int:
    """Parse and run one handoff staff command; the exit status."""
    return await _database_command(
        handoff_parser, handoff_execute, argv, settings, out=out, err=err, check_database=check_database
    )


def handoff_main(argv: Sequence[str], *, check_database: CheckDatabase | None = None) -> int:
    """`python -m bot handoff ARGS`."""
    return _database_main(handoff_parser, handoff_execute, argv, check_database)


__all__ = [
    "Closed",
    "close_day_and_notify",
    "closure_notice",
    "execute",
    "handoff_main",
    "handoff_run",
    "main",
    "parse",
    "reminders_main",
    "reminders_run",
    "run",
]
