"""100,000 pending reminders: the bot's start-up time and resident memory against the same bot with none, and the
cost of one dispatcher tick (nothing due; 100 due).

Run: `.venv/bin/python -m bench.reminders_startup [--reminders 100000] [--runs 5]`.

Two SQLite databases are prepared: one with no reminders, one with `--reminders` pending ones (10 per citizen,
all kinds, due over the next months). Each start-up is a fresh process (`--child`) that does what `python -m bot`
does before it serves: `build()` (migrations, knowledge, search index, engine), start the housekeeping scheduler
and the outbox and reminders jobs, and wait for the reminders job's start-up run to finish (with nothing due, it
still asks the database). Reported per database: the median wall time of that, and the resident memory after it
(VmRSS, and the peak VmHWM, from /proc/self/status). The tick costs are measured in one process on the big
database: a tick with nothing due, and a tick with 100 due (rendered by the conversation's renderer, sent by an
instant fake sender, recorded as sent).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select, update

from dialogs.messages import Reply
from storage.clock import system_clock
from storage.models import User
from storage.reminders import Reminder

PER_CITIZEN = 10
KINDS = ("appointment", "ready", "deadline", "monthly")


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in kB."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def settings_for(url: str) -> Any:
    from bot.settings import Settings

    return Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]


async def seed(url: str, count: int) -> None:
    from bot.app import build
    from knowledge import load_knowledge

    kb = load_knowledge()
    service = next(s.id for s in kb.services.values() if s.term is not None)
    bot = await build(settings_for(url), kb=kb, clock=system_clock)
    try:
        users, reminders = cast(Table, User.__table__), cast(Table, Reminder.__table__)
        now = system_clock()
        citizens = max(1, count // PER_CITIZEN)
        async with bot.db.begin() as conn:
            await conn.execute(
                insert(users),
                [{"channel": "telegram", "external_id": str(10_000_000 + n), "language": "uk", "created_at": now,
                  "last_seen_at": now, "active": True} for n in range(citizens)],
            )  # fmt: skip
            ids = (await conn.execute(select(users.c.id).order_by(users.c.id))).scalars().all()
            rows = []
            for n in range(count):
                due = now + dt.timedelta(hours=1) + dt.timedelta(minutes=(n * 37) % (60 * 24 * 90))
                kind = KINDS[n % len(KINDS)]
                rows.append(
                    {"user_id": ids[n % len(ids)], "channel": "telegram", "kind": kind, "due_at": due,
                     "status": "pending", "service": service, "target_day": due.date(), "attempts": 0,
                     "booking_code": f"B{n:07d}" if kind == "appointment" else None, "created_at": now}
                )  # fmt: skip
            for start in range(0, len(rows), 10_000):
                await conn.execute(insert(reminders), rows[start : start + 10_000])
    finally:
        await bot.close()


async def child(url: str) -> dict[str, float]:
    """One start-up, as `python -m bot` does it, until the reminders job's first run has finished."""
    started = time.perf_counter()
    from bot.app import build
    from bot.maintenance import start_housekeeping
    from bot.outbox import senders, start_outbox
    from bot.reminders import Dispatcher, render_with, start_reminders

    settings = settings_for(url)
    bot = await build(settings, clock=system_clock)
    try:
        housekeeping = start_housekeeping(bot.uow_factory, settings.message_retention)
        channels = senders(bot.uow_factory, bot.telegram, bot.viber)
        start_outbox(housekeeping, bot.uow_factory, channels)
        assert bot.reminders is not None
        dispatcher = Dispatcher(
            bot.uow_factory, channels, render_with(bot.uow_factory, bot.reminders), single_process=True
        )
        first_run = asyncio.Event()
        tick = dispatcher.tick

        async def observed() -> Any:
            try:
                return await tick()
            finally:
                first_run.set()

        dispatcher.tick = observed  # type: ignore[method-assign]
        start_reminders(housekeeping, dispatcher)
        await first_run.wait()
        seconds = time.perf_counter() - started
        housekeeping.shutdown(wait=False)
    finally:
        await bot.close()
    return {"seconds": seconds, **memory()}


async def ticks(url: str, rounds: int) -> tuple[float, float]:
    """Median seconds of a tick with nothing due, and of a tick with 100 due."""
    from bot.app import build
    from bot.reminders import Dispatcher, render_with

    bot = await build(settings_for(url), clock=system_clock)
    try:
        assert bot.reminders is not None
        sent: list[str] = []

        async def instant(external_id: str, reply: Reply) -> bool:
            sent.append(external_id)
            return True

        d = Dispatcher(bot.uow_factory, {"telegram": instant}, render_with(bot.uow_factory, bot.reminders))
        await d.tick()  # warm
        idle = []
        for _ in range(rounds * 4):
            started = time.perf_counter()
            assert (await d.tick()).claimed == 0
            idle.append(time.perf_counter() - started)
        busy = []
        table = cast(Table, Reminder.__table__)
        for _ in range(rounds):
            async with bot.db.begin() as conn:
                soonest = select(table.c.id).where(table.c.status == "pending", table.c.kind != "appointment")
                ids = (await conn.execute(soonest.order_by(table.c.due_at).limit(100))).scalars().all()
                await conn.execute(
                    update(table).where(table.c.id.in_(ids)).values(due_at=system_clock() - dt.timedelta(seconds=1))
                )
            started = time.perf_counter()
            tally = await d.tick()
            busy.append(time.perf_counter() - started)
            assert tally.claimed == 100, tally
        return statistics.median(idle), statistics.median(busy)
    finally:
        await bot.close()


def run_child(url: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.reminders_startup", "--child", url],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return cast(dict[str, float], json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        urls = {
            "none": f"sqlite+aiosqlite:///{tmp}/none.sqlite3",
            f"{args.reminders:,}": f"sqlite+aiosqlite:///{tmp}/many.sqlite3",
        }
        asyncio.run(seed(urls["none"], 0))
        asyncio.run(seed(urls[f"{args.reminders:,}"], args.reminders))
        results: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
        for _ in range(args.runs):  # alternating, so drift on the machine hits both alike
            for name, url in urls.items():
                results[name].append(run_child(url))
        idle, busy = asyncio.run(ticks(urls[f"{args.reminders:,}"], args.runs))
    print("| pending reminders | start-up (median) | VmRSS after start (median) | VmHWM peak (median) |")
    print("|---:|---:|---:|---:|")
    med: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        med[name] = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "VmRSS", "VmHWM")}
        m = med[name]
        print(f"| {name} | {m['seconds']:.2f} s | {m['VmRSS'] / 1024:.1f} MB | {m['VmHWM'] / 1024:.1f} MB |")
    base, many = med["none"], med[f"{args.reminders:,}"]
    print(
        f"| difference | {many['seconds'] - base['seconds']:+.2f} s (goal ≤ +2 s) "
        f"| {(many['VmRSS'] - base['VmRSS']) / 1024:+.1f} MB (goal ≤ +30 MB) "
        f"| {(many['VmHWM'] - base['VmHWM']) / 1024:+.1f} MB |"
    )
    print()
    print(f"| one dispatcher tick, {args.reminders:,} pending | median |")
    print("|---|---:|")
    print(f"| nothing due | {idle * 1000:.2f} ms |")
    print(f"| 100 due (rendered, sent by an instant fake, recorded) | {busy * 1000:.1f} ms |")
    print(f"\n{args.runs} start-ups of each, alternating; each a fresh process.")


if __name__ == "__main__":
    main()
