"""Growth: a dialog step on a database of 1,000,000 citizens and 10,000,000 message-log lines against an empty one.

Run: `.venv/bin/python -m bench.growth [--citizens N] [--lines N] [--rounds N] [--per-round N] [--postgres]`
(defaults: the issue's sizes, SQLite only; `--postgres` also measures a throwaway PostgreSQL server, see
testkit/servers.py, with `--pg-citizens`/`--pg-lines` for its fill).

Both databases live in a temporary folder, outside the repository, and are deleted at the end.

The big database is filled in SQL (`INSERT … SELECT` over a recursive CTE on SQLite, `generate_series` on
PostgreSQL), with the indexes in place as they grow in service (not built afterwards, which would pack them
tighter than a live database's). What is filled, so that it looks like the steady state of the retentions
(bot/settings.py, bot/maintenance.py):
- citizens `1..N`, in the order they were last seen, uniformly over the citizen retention plus one day (the
  daily expiry then has one day's worth to erase); 60 % Telegram, 25 % Viber, 15 % web sessions, the web ones
  only within the web session retention plus a day; ids in random order in the (channel, external_id) index;
  two thirds with a finished «Народження дитини» dialog state, a third with an empty one;
- message-log lines uniformly over the message retention plus one hour (the hourly purge then has one hour's
  worth to delete), each belonging to a citizen last seen shortly after it; texts and buttons are the lines of a
  real walk (the bot's own replies: a checklist, menus with their buttons), in turn.
Bookings, reminders and tickets stay empty.

Then, in alternating rounds on both databases in the same process (the order swapped every round): new citizens
walk bench.dialog_step's WALK (Telegram-like random ids), and existing citizens walk it too (on the big database
citizens of the fill, chosen at random; on the empty one citizens of earlier rounds; the citizen cache is emptied
before each such batch, so their first step reads them from the database as after a restart). Last, on the big
database: the hourly purge and the daily expiry (with one hour's and one day's worth due, then again with nothing
due: the retention scan alone), with the longest stall of the event loop while each runs (SQLite runs on the
loop, storage/sqlite.py). The fill is bench/growth_fill.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.dialog_step import WALK
from bench.growth_fill import Shape, fill_postgres, fill_sqlite
from bot.app import Bot, build
from bot.maintenance import expire_citizens, purge_expired
from bot.settings import Settings
from dialogs.messages import Incoming
from knowledge import load_knowledge
from knowledge.search import build_index
from storage.clock import system_clock
from storage.db import make_engine
from storage.migrate import upgrade

# --- measuring ------------------------------------------------------------------------------------------------


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), percentile(ordered, 0.99)


async def walk(bot: Bot, channel: str, external_id: str, samples: list[float]) -> None:
    for move in WALK:
        message = (
            Incoming(channel, external_id, payload=move)
            if ":" in move and not move.startswith("/")
            else Incoming(channel, external_id, text=move)
        )
        t0 = time.perf_counter_ns()
        replies = await bot.engine.handle(message)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        assert replies, f"no reply to {move!r}"


class Stalls:
    """The longest time the event loop could not run a 1 ms ticker, while something else ran on it."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, (time.perf_counter() - t0 - 0.001) * 1000)

    async def __aenter__(self) -> Stalls:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        await asyncio.sleep(0.005)  # the ticker wakes up once more and notes the stall that just ended
        self._task.cancel()


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any, float]:
    async with Stalls() as stalls:
        t0 = time.perf_counter()
        result = await fn()
        elapsed = (time.perf_counter() - t0) * 1000
    return elapsed, result, stalls.longest


def size_of(path: str) -> int:
    return sum(os.path.getsize(f) for f in (path, path + "-wal") if os.path.exists(f))


async def template_of(
    bot: Bot, read: Callable[[str], Awaitable[list[tuple[Any, ...]]]]
) -> tuple[list[tuple[str, str, str | None]], tuple[Any, ...]]:
    """The lines and final dialog state of one real walk on `bot` (citizen «template»)."""
    await walk(bot, "telegram", "template", [])
    await bot.uow_factory.write_log()
    lines = await read(
        "SELECT direction, text, CAST(buttons AS TEXT) FROM message_log WHERE user_id = "
        "(SELECT id FROM users WHERE external_id = 'template') ORDER BY id"
    )
    states = await read(
        "SELECT scenario, step, CAST(answers AS TEXT), CAST(history AS TEXT), misses FROM dialog_states WHERE "
        "user_id = (SELECT id FROM users WHERE external_id = 'template')"
    )
    return [(str(d), str(t), None if b is None or b == "null" else str(b)) for d, t, b in lines], tuple(
        states[0]
    )


async def compare(
    label: str, empty: Bot, big: Bot, existing_big: list[tuple[str, str]], rounds: int, per_round: int
) -> dict[tuple[str, str], list[float]]:
    """Alternating rounds; returns samples by (database, kind)."""
    samples: dict[tuple[str, str], list[float]] = {
        (db, kind): [] for db in ("empty", "big") for kind in ("new", "existing")
    }
    rngs = {
        "empty": random.Random(7),
        "big": random.Random(7),
    }  # the same new ids, in the same order, on both
    # Each returning citizen walks once (a walk again at once would meet flood control): on the big database
    # citizens of the fill, on the empty one the new citizens of this and earlier rounds, in turn.
    returning = {"big": list(existing_big), "empty": []}
    random.Random(13).shuffle(returning["big"])
    for r in range(rounds):
        order = [("empty", empty), ("big", big)] if r % 2 == 0 else [("big", big), ("empty", empty)]
        for name, bot in order:
            rng = rngs[name]
            for _ in range(per_round):
                external = str(rng.randrange(5_000_000_000, 9_000_000_000))
                await walk(bot, "telegram", external, samples[(name, "new")])
                if name == "empty":
                    returning["empty"].append(("telegram", external))
            if bot.uow_factory.citizens is not None:
                bot.uow_factory.citizens.clear()  # returning citizens are read from the database
            for _ in range(per_round):
                channel, external = returning[name].pop(0)
                await walk(bot, channel, external, samples[(name, "existing")])
        print(f"  [{label}] round {r + 1}/{rounds} done", flush=True)
    return samples


def print_steps(label: str, samples: dict[tuple[str, str], list[float]]) -> None:
    base50, base99 = percentiles(samples[("empty", "new")])
    print(f"\n{label}: dialog step, ms (ratio to the empty database, new citizens)")
    print(
        "| database | citizens | steps | mean ms | p50 ms | p90 ms | p99 ms | p50 ratio | p99 ratio |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for (db, kind), values in samples.items():
        ordered = sorted(values)
        p50, p99 = percentiles(values)
        print(
            f"| {db} | {kind} | {len(values)} | {statistics.fmean(values):.3f} | {p50:.3f} | "
            f"{percentile(ordered, 0.9):.3f} | {p99:.3f} | {p50 / base50:.2f}x | {p99 / base99:.2f}x |"
        )
    for kind in ("new", "existing"):
        e50, e99 = percentiles(samples[("empty", kind)])
        b50, b99 = percentiles(samples[("big", kind)])
        mean = statistics.fmean(samples[("big", kind)]) / statistics.fmean(samples[("empty", kind)])
        print(
            f"{label} {kind} citizens, big / empty: p50 {b50 / e50:.2f}x, p99 {b99 / e99:.2f}x, "
            f"mean {mean:.2f}x (goal <= 1.2x)"
        )


async def maintenance(label: str, bot: Bot, settings: Settings) -> None:
    print(f"\n{label}: housekeeping on the big database")
    print("| job | due | done | ms | longest loop stall ms |\n|---|---|---|---|---|")
    for due in ("one hour's / one day's worth", "nothing (the scan alone)"):
        ms, (lines, _keys), stall = await timed(
            lambda: purge_expired(bot.uow_factory, settings.message_retention)
        )
        print(f"| hourly purge of the message log | {due} | {lines} lines | {ms:,.0f} | {stall:,.0f} |")
        ms, erased, stall = await timed(
            lambda: expire_citizens(
                bot.uow_factory, settings.citizen_retention, settings.web_session_retention
            )
        )
        print(f"| daily expiry of citizens | {due} | {erased} citizens | {ms:,.0f} | {stall:,.0f} |")


async def run_sqlite(args: argparse.Namespace, tmp: Path) -> None:
    def settings_of(name: str) -> Settings:
        return Settings(database_url=f"sqlite+aiosqlite:///{tmp}/{name}.sqlite3", _env_file=None)  # type: ignore[call-arg]

    kb = load_knowledge()
    index = build_index(kb)
    empty = await build(settings_of("empty"), kb=kb, index=index, clock=system_clock)

    async def read_empty(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"{tmp}/empty.sqlite3") as con:
            return list(con.execute(sql))

    template, state = await template_of(empty, read_empty)
    big_settings = settings_of("big")
    engine = make_engine(big_settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    shape = Shape(big_settings, args.citizens, args.lines, system_clock().timestamp())
    path = f"{tmp}/big.sqlite3"
    t0 = time.perf_counter()
    fill_sqlite(path, shape, template, state)
    fill = time.perf_counter() - t0
    size = size_of(path)
    with sqlite3.connect(path) as con:
        pages = (
            dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")) if has_dbstat(con) else {}
        )
        existing = list(
            con.execute(f"SELECT channel, external_id FROM users WHERE id IN ({returning_ids(args)})")
        )
    print(f"\nSQLite fill: {args.citizens:,} citizens, {args.lines:,} message-log lines in {fill:,.0f} s")
    print(f"database file: {size / 1e9:.2f} GB; {size / args.citizens:,.0f} bytes per citizen all told")
    if pages:
        citizen = sum(
            v
            for k, v in pages.items()
            if k in ("users", "uq_users_channel", "dialog_states", "sqlite_autoindex_users_1")
        )
        log_bytes = sum(v for k, v in pages.items() if k.startswith(("message_log", "ix_message_log")))
        print(f"  users + their indexes + dialog states: {citizen / args.citizens:,.0f} bytes per citizen")
        print(f"  message log + its indexes: {log_bytes / max(1, args.lines):,.0f} bytes per line")
        for name, bytes_ in sorted(pages.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {name}: {bytes_ / 1e6:,.0f} MB")
    big = await build(big_settings, kb=kb, index=index, clock=system_clock)
    await walk(big, "telegram", "warm-up", [])
    samples = await compare("SQLite", empty, big, existing, args.rounds, args.per_round)
    print_steps("SQLite", samples)
    await maintenance("SQLite", big, big_settings)
    await empty.close()
    await big.close()


def returning_ids(args: argparse.Namespace, citizens: int | None = None) -> str:
    """Ids of filled citizens who come back during the measurement, at random (as an SQL list)."""
    population = range(1, (citizens or args.citizens) + 1)
    chosen = random.Random(11).sample(population, min(len(population), args.rounds * args.per_round))
    return ", ".join(map(str, chosen))


def has_dbstat(con: sqlite3.Connection) -> bool:
    try:
        con.execute("SELECT 1 FROM dbstat LIMIT 1")
    except sqlite3.OperationalError:
        return False
    return True


async def run_postgres(args: argparse.Namespace) -> None:
    from testkit.servers import throwaway_postgres

    with ExitStack() as stack:
        empty_url = stack.enter_context(throwaway_postgres("viza-growth-empty-"))
        big_url = stack.enter_context(throwaway_postgres("viza-growth-big-"))
        kb = load_knowledge()
        index = build_index(kb)
        empty_settings = Settings(database_url=empty_url, _env_file=None)  # type: ignore[call-arg]
        big_settings = Settings(database_url=big_url, _env_file=None)  # type: ignore[call-arg]
        empty = await build(empty_settings, kb=kb, index=index, clock=system_clock)

        async def read_empty(sql: str) -> list[tuple[Any, ...]]:
            async with empty.db.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(sql))).all()]

        template, state = await template_of(empty, read_empty)
        engine = make_engine(big_url)
        await upgrade(engine)
        await engine.dispose()
        shape = Shape(big_settings, args.pg_citizens, args.pg_lines, system_clock().timestamp())
        t0 = time.perf_counter()
        await fill_postgres(big_url, shape, template, state)
        fill = time.perf_counter() - t0
        big = await build(big_settings, kb=kb, index=index, clock=system_clock)
        async with big.db.connect() as conn:
            size = (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
            rows = (
                await conn.execute(
                    text(
                        "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
                        "('users', 'dialog_states', 'message_log')"
                    )
                )
            ).all()
            chosen = f"SELECT channel, external_id FROM users WHERE id IN ({returning_ids(args, args.pg_citizens)})"
            existing = [(c, e) for c, e in (await conn.execute(text(chosen))).all()]
        sizes: dict[str, int] = {str(name): int(total) for name, total in rows}
        print(f"\nPostgreSQL fill: {args.pg_citizens:,} citizens, {args.pg_lines:,} lines in {fill:,.0f} s")
        print(f"database: {size / 1e9:.2f} GB; {size / args.pg_citizens:,.0f} bytes per citizen all told")
        print(
            f"  users + dialog states with indexes: {(sizes['users'] + sizes['dialog_states']) / args.pg_citizens:,.0f} bytes per citizen"
        )
        print(
            f"  message log with indexes and TOAST: {sizes['message_log'] / max(1, args.pg_lines):,.0f} bytes per line"
        )
        await walk(big, "telegram", "warm-up", [])
        samples = await compare("PostgreSQL", empty, big, existing, args.rounds, args.per_round)
        print_steps("PostgreSQL", samples)
        await maintenance("PostgreSQL", big, big_settings)
        await empty.close()
        await big.close()


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="viza-growth-") as tmp:
        if not args.skip_sqlite:
            await run_sqlite(args, Path(tmp))
    if args.postgres:
        await run_postgres(args)
    print(f"\nwall time: {time.perf_counter() - started:,.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--per-round", type=int, default=50, help="citizens of each kind per round and database"
    )
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL server")
    parser.add_argument("--pg-citizens", type=int, default=1_000_000)
    parser.add_argument("--pg-lines", type=int, default=10_000_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    asyncio.run(main(parser.parse_args()))
