"""`python -m bot reminders …`: the staff's view of the reminders (what is due, sent, cancelled, missed, failed).

It reads the reminders' storage and prints; no citizen identifiers, in JSON or plain text."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

from bot.staff.common import (
    OK,
    DatabaseCli,
    Usage,
    kyiv,
    list_parser,
    print_json,
)
from storage.reminders import Reminder
from storage.uow import UnitOfWork

PROG = "python -m bot reminders"
# What staff see: a row being sent right now is still «pending» (not sent yet).
SHOWN_STATUS = {"pending": "pending", "sending": "pending", "sent": "sent", "cancelled": "cancelled",
                "missed": "missed", "failed": "failed"}  # fmt: skip
STATUSES = ("pending", "sent", "cancelled", "missed", "failed")


def parser() -> argparse.ArgumentParser:
    return list_parser(
        PROG,
        "Staff commands of the reminders. Times are Kyiv local times.",
        "reminders by due time (all, or of one status)",
        STATUSES,
    )


def reminder_json(reminder: Reminder) -> dict[str, Any]:
    """A reminder as `reminders list --json` shows it (no citizen identifiers)."""
    return {
        "id": reminder.id,
        "kind": reminder.kind,
        "due_at": kyiv(reminder.due_at),
        "channel": reminder.channel,
        "status": SHOWN_STATUS.get(reminder.status, reminder.status),
        "booking": reminder.booking_code,
    }


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
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
            print_json(shown, out)
        else:
            for r in shown:
                about = f"  booking {r['booking']}" if r["booking"] else ""
                out.write(f"{r['due_at'][:16].replace('T', ' ')}  #{r['id']:<6}  {r['status']:<9}  "
                          f"{r['kind']:<11}  via {r['channel']}{about}\n")  # fmt: skip
            out.write(f"{len(shown)} reminder(s)\n")
        return OK
    raise Usage(f"unknown command {args.command!r}")  # argparse lets none through


cli = DatabaseCli(parser, execute)  # `python -m bot reminders ARGS`
run, main = cli.run, cli.main
