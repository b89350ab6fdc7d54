"""`python -m bot unanswered --since YYYY-MM-DD [--until YYYY-MM-DD] [--json]`: what citizens asked that the bot
could not answer (and typed answers a step could not read), grouped by similar text, most frequent first.
`… unanswered --phrasings`: the phrasings attached in the console (JSON), for `python -m knowledge check`.

The rows carry no citizen identifiers and their text is masked as the message log is (dialogs/redact.py); the
grouping is `dialogs.console.similar`. A group shows its most common wording, channel and context (the step or the
thing in focus where it was said), each the most frequent of the group's (of equal ones, the latest)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import Any, TextIO

from bot.staff.common import KYIV, OK, DatabaseCli, Parser, Usage, iso_date, kyiv, print_json
from dialogs.console.similar import Group, group
from storage.uow import UnitOfWork

PROG = "python -m bot unanswered"
SHOWN = 90  # characters of a group's text in the plain-text view (JSON has it whole)


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog=PROG,
        description="Questions the bot could not answer and typed answers it re-asked, grouped by similar text, "
        "most frequent first. Days are Kyiv days, both ends included.",
    )
    top.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="from this day on (required)")
    top.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help="up to this day (default: today)")
    top.add_argument("--json", action="store_true", help="print JSON")
    top.add_argument("--phrasings", action="store_true",
                     help="instead: print the phrasings attached in the console as JSON, for "
                     "`python -m knowledge check --phrasings FILE`")  # fmt: skip
    return top


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)


def group_json(g: Group) -> dict[str, Any]:
    """A group as `unanswered --json` shows it."""
    return {"text": g.text, "count": g.count, "last_seen": kyiv(g.last_seen), "channel": g.channel,
            "context": g.context}  # fmt: skip


def _line(g: dict[str, Any]) -> str:
    text = " ".join(str(g["text"]).split())
    text = text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
    return f"{g['count']:>5}  {str(g['last_seen'])[:16].replace('T', ' ')}  {g['channel']:<8}  " \
           f"{(g['context'] or '-'):<28}  {text}\n"  # fmt: skip


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    """Run one parsed `unanswered` command."""
    if args.phrasings:
        async with uows() as uow:
            attached = await uow.phrasings.attached()
        print_json([{"text": p.text, "target": p.target, "author": p.author, "at": kyiv(p.created_at)}
                    for p in attached], out)  # fmt: skip
        return OK
    if args.since is None:
        raise Usage(f"{PROG}: --since is required")
    async with uows() as uow:
        until = args.until or uow.clock().astimezone(KYIV).date()
        if until < args.since:
            raise Usage(f"{PROG}: --until {until} is before --since {args.since}")
        asked = await uow.unanswered.between(_midnight(args.since), _midnight(until + dt.timedelta(days=1)))
    shown = [group_json(g) for g in group(asked)]
    if args.json:
        print_json(shown, out)
    else:
        out.write(f"{'count':>5}  {'last seen':<16}  {'channel':<8}  {'context':<28}  text\n")
        for g in shown:
            out.write(_line(g))
        out.write(f"{len(shown)} group(s) of {len(asked)} message(s), {args.since} – {until}\n")
    return OK


cli = DatabaseCli(parser, execute)  # `python -m bot unanswered ARGS`
run, main = cli.run, cli.main
