"""`python -m bot audit [--since YYYY-MM-DD] [--json]`: what the Center's staff changed, who, when, before and
after (storage/audit.py; written by the staff commands that change data: `booking close-day`, `booking mark`,
a priority decision), newest first.

JSON: a list of {"at", "actor", "action", "target", "before", "after"}, `at` ISO 8601 with the Kyiv offset."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TextIO

from bot.staff.common import KYIV, OK, DatabaseCli, Parser, iso_date, kyiv, print_json
from storage.audit import AuditEntry
from storage.uow import UnitOfWork

PROG = "python -m bot audit"
LIMIT = 10_000  # entries shown at most (newest first)


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog=PROG, description="Staff actions: who changed what, when, before and after; newest first."
    )
    top.add_argument(
        "--since", type=iso_date, metavar="YYYY-MM-DD", help="from this Kyiv day on (default: all)"
    )
    top.add_argument("--json", action="store_true", help="print JSON")
    return top


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {"at": kyiv(entry.at), "actor": entry.actor, "action": entry.action, "target": entry.target,
            "before": entry.before, "after": entry.after}  # fmt: skip


def _compact(value: dict[str, Any] | None) -> str:
    return "-" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    """Run one parsed `audit` command."""
    since = None
    if args.since is not None:
        since = dt.datetime.combine(args.since, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)
    async with uows() as uow:
        entries = await uow.audit.entries(since=since, limit=LIMIT)
    shown = [entry_json(e) for e in entries]
    if args.json:
        print_json(shown, out)
    else:
        for e in shown:
            out.write(
                f"{str(e['at'])[:19].replace('T', ' ')}  {e['actor']:<16}  {e['action']:<18}  "
                f"{e['target']:<24}  "
                f"{_compact(e['before'])} → {_compact(e['after'])}\n"
            )
        out.write(f"{len(shown)} action(s)\n")
    return OK


cli = DatabaseCli(parser, execute)  # `python -m bot audit ARGS`
run, main = cli.run, cli.main
