"""`python -m bot alerts status [--json]` and `python -m bot alerts history [--since YYYY-MM-DD] [--json]`:
whether an air-raid alert is on now as the bot sees it, and the alerts it saw with the appointments each
affected (bot/alerts.py, storage/alerts.py).

status JSON: {"state": "active"|"calm"|"unknown", "since", "source_ok", "checked_at"}; a state the poller has
not confirmed for 5 minutes is «unknown». history JSON: [{"start", "end", "affected", "hours"}], times ISO 8601
with the Kyiv offset, `end` null while the alert goes on."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TextIO

from bot.staff.common import KYIV, OK, DatabaseCli, Parser, iso_date, kyiv, print_json
from dialogs.alerts.rules import current
from storage.uow import UnitOfWork

PROG = "python -m bot alerts"


def parser() -> argparse.ArgumentParser:
    top = Parser(prog=PROG, description="Air-raid alerts as the bot sees them.")
    sub = top.add_subparsers(dest="command", required=True)
    status = sub.add_parser("status", help="the state now")
    status.add_argument("--json", action="store_true", help="print JSON")
    history = sub.add_parser("history", help="the alerts seen, with the appointments each affected")
    history.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="from this Kyiv day on")
    history.add_argument("--json", action="store_true", help="print JSON")
    return top


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    async with uows() as uow:
        now = uow.clock()
        if args.command == "status":
            found = await uow.alerts.status()
            state = current(found.state if found else None, found.checked_at if found else None, now)
            shown = {
                "state": state.value,
                "since": kyiv(found.since) if found else None,
                "source_ok": bool(found and found.source_ok and state.value == found.state),
                "checked_at": kyiv(found.checked_at) if found else None,
            }
            if args.json:
                print_json(shown, out)
            else:
                out.write(f"{shown['state']} since {shown['since'] or '-'} (source ok: {shown['source_ok']}, "
                          f"checked {shown['checked_at'] or 'never'})\n")  # fmt: skip
            return OK
        since = None
        if args.since is not None:
            since = dt.datetime.combine(args.since, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)
        periods = await uow.alerts.history(since)
    listed = [
        {
            "start": kyiv(p.started_at),
            "end": kyiv(p.ended_at),
            "affected": p.affected,
            "hours": round(((p.ended_at or now) - p.started_at).total_seconds() / 3600, 2),
        }
        for p in periods
    ]
    if args.json:
        print_json(listed, out)
    else:
        for p in listed:
            out.write(f"{str(p['start'])[:16].replace('T', ' ')} – {str(p['end'] or 'now')[:16].replace('T', ' ')}"
                      f"  {p['hours']:>6} h  {p['affected']} appointment(s)\n")  # fmt: skip
        out.write(f"{len(listed)} alert(s)\n")
    return OK


cli = DatabaseCli(parser, execute)  # `python -m bot alerts ARGS`
run, main = cli.run, cli.main
