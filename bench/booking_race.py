"""The 200-way race for one slot: N citizens confirm the same slot of capacity k at once.

Run: `.venv/bin/python -m bench.booking_race [--takes 200] [--capacity 3] [--no-postgres]`.
Every take is `Bookings.take` in its own unit of work, as a confirmation is. Outcomes must be exactly k booked,
N - k taken, no error, on SQLite (the bot's serialized factory; a plain connection pool; two OS processes) and,
when PostgreSQL is installed, on a throwaway server (in-process; two OS processes). Also: sequential takes of
distinct slots per second (the storage part of a confirmation). Prints a markdown table.

The race itself (shared with tests/storage/test_booking_race.py) is testkit/booking_race.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.booking import Booking
from storage.db import make_engine
from storage.migrate import upgrade
from testkit.booking_race import (
    CLOCK,
    OFFICE,
    SLOT,
    Tally,
    factory_for,
    make_users,
    names_for,
    race,
    race_in_processes,
    take_one,
)
from testkit.servers import pg_bin
from testkit.servers import throwaway_postgres as server


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """A PostgreSQL server on a free loopback port, as the tests start one; None when it is not installed."""
    try:
        pg_bin("initdb")
    except AssertionError:
        yield None
        return
    with server("viza-pg-bench-") as url:
        yield url


def _row(database: str, how: str, takes: int, capacity: int, tally: Tally) -> str:
    o = tally.outcomes
    exact = "yes" if o["booked"] == capacity and o["taken"] == takes - capacity and not o["error"] else "NO"
    return (
        f"| {database} | {how} | {takes} | {capacity} | {o['booked']} | {o['taken']} | {o['error']} | {exact} "
        f"| {tally.wall * 1000:,.0f} |"
    )


async def _rate(engine: AsyncEngine, prefix: str, n: int) -> float:
    """Sequential takes, each of its own slot, by distinct citizens: confirmations per second."""
    names = names_for(prefix, n)
    await make_users(engine, names)
    factory = factory_for(engine)
    started = time.perf_counter()
    for i, name in enumerate(names):
        result = await take_one(factory, name, start=SLOT + dt.timedelta(minutes=15 * (i + 1)))
        assert isinstance(result, Booking), result
    rate = n / (time.perf_counter() - started)
    await factory.close()
    return rate


async def _free_the_slot(engine: AsyncEngine) -> None:
    factory = factory_for(engine, serialize=False)
    async with factory() as uow:
        end = SLOT + dt.timedelta(minutes=1)
        for booking in await uow.bookings.listing(day_from=SLOT, day_to=end, office=OFFICE):
            await uow.bookings.cancel(booking, CLOCK())


async def _bench_database(url: str, database: str, takes: int, capacity: int, lines: list[str]) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    # The slot start differs per run, so the runs share the database without sharing a slot.
    for how, serialize in (("in-process, the bot's factory", None), ("in-process, connection pool", False)):
        if database == "PostgreSQL" and serialize is False:
            continue  # on PostgreSQL the bot's factory is the connection pool
        prefix = f"{how[:14].replace(' ', '')}{serialize}-"
        names = names_for(prefix, takes)
        await make_users(engine, names)
        factory = factory_for(engine, serialize=serialize)
        tally = await race(factory, names, capacity=capacity)
        await factory.close()
        lines.append(_row(database, how, takes, capacity, tally))
        await _free_the_slot(engine)  # the next run races for the same slot
    half = takes // 2
    prefixes = ("pa-", "pb-")
    for prefix in prefixes:
        await make_users(engine, names_for(prefix, half))
    await engine.dispose()
    tally = await asyncio.to_thread(race_in_processes, url, prefixes, half, capacity)
    lines.append(_row(database, f"2 processes × {half}", 2 * half, capacity, tally))
    engine = make_engine(url)
    rate = await _rate(engine, "rate-", 500)
    lines.append(
        f"| {database} | sequential takes of distinct slots | 500 | 1 | — | — | — | — | {rate:,.0f}/s |"
    )
    await engine.dispose()


async def main(takes: int, capacity: int, postgres: bool) -> None:
    lines = [
        "| database | how | takes | capacity | booked | taken | errors | exact | wall ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        await _bench_database(f"sqlite+aiosqlite:///{tmp}/race.sqlite3", "SQLite", takes, capacity, lines)
    if postgres:
        with throwaway_postgres() as url:
            if url is None:
                lines.append("| PostgreSQL | not installed | | | | | | | |")
            else:
                await _bench_database(url, "PostgreSQL", takes, capacity, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--takes", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.takes, args.capacity, not args.no_postgres))
