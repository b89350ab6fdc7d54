"""`python -m bot handoff …`: the tickets of the operator handoff, as figures for the statistics.

It reads the tickets' storage and prints. JSON carries no citizen identifiers; a rating's comment (free text,
masked like the message log) appears only in the plain-text view."""

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
from storage.handoff import STATUSES, Ticket
from storage.uow import UnitOfWork

PROG = "python -m bot handoff"


def parser() -> argparse.ArgumentParser:
    return list_parser(
        PROG,
        "Staff commands of the operator handoff. Times are Kyiv times.",
        "tickets, oldest first (all, or of one status)",
        STATUSES,
    )


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as `handoff list --json` shows it: figures for the statistics, no citizen identifiers."""
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "created_at": kyiv(ticket.created_at),
        "taken_at": kyiv(ticket.taken_at),
        "closed_at": kyiv(ticket.closed_at),
        "operator": ticket.operator_name,
        "rating": ticket.rating,
        "mode": ticket.mode,
        "close_reason": ticket.close_reason,
    }


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    """Run one parsed handoff command."""
    if args.command == "list":
        async with uows() as uow:
            rows = [t for t in await uow.tickets.all() if args.status in (None, t.status)]
        shown = [ticket_json(t) for t in rows]
        comments = {t.id: t.comment for t in rows}  # free text: only in the plain-text staff view
        if args.json:
            print_json(shown, out)
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


cli = DatabaseCli(parser, execute)  # `python -m bot handoff ARGS`
run, main = cli.run, cli.main
