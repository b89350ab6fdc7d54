"""`python -m bot booking …`: the Center's staff commands over the booking room's service.

The logic is the booking room's (dialogs.booking.service; dialogs.booking.notices tells the citizens of a closed
day), the same code the chat and a later staff web console call. This module parses the arguments and turns
refusals into exit statuses; bot.staff.booking_commands runs each command, bot.staff.booking_views prints. It
imports no messenger SDK and no handler, so a command starts, answers and ends in about a second, also while
the bot runs on the same database (`bot/__main__.py` hands `booking` over before it imports the bot itself).

Exit status: 0 done, 1 not found (an unknown booking code), 2 bad arguments or settings (one line on stderr)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.settings import Settings
from bot.staff.booking_commands import execute
from bot.staff.booking_views import print_offices
from bot.staff.common import CheckDatabase, Parser, answered, iso_date, main_of, with_database
from dialogs.booking.priority import DECISIONS
from dialogs.booking.service import BookingService
from dialogs.survey.service import SurveyService
from knowledge import Knowledge, load_knowledge
from storage.clock import Clock, system_clock

MARKS = ("arrived", "no-show")
BY_HELP = "who does it, for the audit log (default: the OS user)"
PROG = "python -m bot booking"


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog=PROG, description="Staff commands of the booking (e-queue). Times are Kyiv local times."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    offices = sub.add_parser("offices", help="offices, their services and windows")
    offices.add_argument("--json", action="store_true", help="print JSON")
    slots = sub.add_parser("slots", help="the slots of a day with their free places")
    slots.add_argument("--office", required=True, help="office id (see `offices`), or `hotline`")
    slots.add_argument("--service", required=True, help="service id, or a card number such as 41-11")
    slots.add_argument("--date", required=True, type=iso_date, help="YYYY-MM-DD")
    slots.add_argument("--json", action="store_true", help="print JSON")
    listing = sub.add_parser("list", help="bookings of a day (without --date: every booking from today on)")
    listing.add_argument("--date", type=iso_date, help="YYYY-MM-DD")
    listing.add_argument("--office", help="office id, `hotline` or `mobile-admin`")
    listing.add_argument("--json", action="store_true", help="print JSON (without phones)")
    close = sub.add_parser(
        "close-day", help="close an office for a day: cancel its bookings, tell the citizens"
    )
    close.add_argument("--office", required=True, help="office id, or `hotline`")
    close.add_argument("--date", required=True, type=iso_date, help="YYYY-MM-DD")
    close.add_argument("--reason", required=True, help="what citizens are told, e.g. «технічні роботи»")
    close.add_argument("--by", metavar="NAME", help=BY_HELP)
    close.add_argument("--json", action="store_true", help="print JSON")
    mark = sub.add_parser("mark", help="mark a booking: the citizen arrived, or did not come")
    mark.add_argument("code", help="the booking's code, e.g. K7M-4QX")
    mark.add_argument("status", choices=MARKS)
    mark.add_argument(
        "--priority",
        choices=DECISIONS,
        help="with `arrived`: the priority claim's document was checked; `refused` makes the person's other "
        "priority bookings general and blocks priority booking for 30 days",
    )
    mark.add_argument("--by", metavar="NAME", help=BY_HELP)
    mark.add_argument("--json", action="store_true", help="print JSON")
    return top


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments, or Usage."""
    return parser().parse_args(list(argv))


async def run(
    argv: Sequence[str],
    settings: Settings,
    *,
    kb: Knowledge | None = None,
    clock: Clock = system_clock,
    out: TextIO | None = None,
    err: TextIO | None = None,
    check_database: CheckDatabase | None = None,
) -> int:
    """Parse and run one staff command; the exit status. `clock`, `kb` are given by tests."""
    out_, err_ = out or sys.stdout, err or sys.stderr

    async def command() -> int:
        args = parse(argv)
        service = BookingService(
            kb or load_knowledge(),
            martial_law=settings.martial_law,
            holidays_are_days_off=settings.public_holidays_off,
            visits=SurveyService(),  # `mark … arrived` schedules the survey the morning after
        )
        if args.command == "offices":  # needs no database
            return print_offices(service, args.json, out_)
        return await with_database(
            settings, check_database, lambda uows: execute(args, uows, service, uows.clock(), out_), clock
        )

    return await answered(command, err_)


def main(
    argv: Sequence[str], *, clock: Clock = system_clock, check_database: CheckDatabase | None = None
) -> int:
    """`python -m bot booking ARGS`."""
    return main_of(
        argv, parse, lambda settings: run(argv, settings, clock=clock, check_database=check_database)
    )
