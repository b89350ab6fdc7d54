"""The staff console's Today page with 500 bookings in one office-day, on SQLite, rendered through the real
aiohttp application over loopback, against baselines measured in the same run and alternating rounds: the same
page for an empty day of the same office, and the offices page.

Run: `.venv/bin/python -m bench.console_today [--rounds R] [--postgres]` (R ≥ 30). Goal (issue 21): the Today page with 500
bookings ≤ 100 ms p95. The 500 bookings are written straight into the table (the booking rules are not what is
measured): every 5 minutes from 08:00 to 17:55 with up to five places each, a fifth of them priority (a third of
those decided in the audit log), some arrived or no-show; the clock stands at 18:00 so every row offers its
one-click marks (the largest page). `measure(rounds)` is what `bench.console` calls.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import statistics
import tempfile
import time
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build
from bot.settings import Settings
from dialogs.booking.desk import PRIORITY_ACTION
from dialogs.console import accounts
from storage.booking import Booking
from storage.clock import ManualClock
from testkit.servers import throwaway_postgres

OFFICE = "visa-main"
SERVICE = "drs-birth-registration"
DAY = dt.date(2026, 12, 7)
KYIV_OFFSET = dt.timedelta(hours=2)  # December: EET
NOW = dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC) - KYIV_OFFSET  # 18:00 in Kyiv, after the last booking
BOOKINGS = 500
PASSWORD = "bench password 2026"


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _seed(uows: Any, n: int) -> None:
    async with uows() as uow:
        await accounts.add_user(uow, "bench", "registrar", PASSWORD, "bench")
        first = dt.datetime.combine(DAY, dt.time(8, 0), dt.UTC) - KYIV_OFFSET
        rows = []
        for i in range(n):
            priority = i % 5 == 0
            status = "arrived" if i % 7 == 0 else "no-show" if i % 11 == 0 else "booked"
            rows.append(Booking(
                code=f"B{i // 1000:02d}-{i % 1000:03d}", channel="web", kind="office", office=OFFICE,
                resource="civil", service=SERVICE, start=first + dt.timedelta(minutes=5 * (i % 120)), place=i // 120,
                priority=priority, priority_group="combatant" if priority else None, status=status,
                created_at=NOW - dt.timedelta(days=3),
            ))  # fmt: skip
        uow.session.add_all(rows)
        await uow.session.flush()
        for b in rows[::15]:  # every third priority booking decided
            await uow.audit.record("bench", PRIORITY_ACTION, b.code, before={"priority": True},
                                   after={"decision": "confirmed" if b.id % 2 else "refused"})  # fmt: skip


async def _sign_in(client: TestClient[Any, Any]) -> None:
    page = await (await client.get("/staff/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    answer = await client.post("/staff/login", data={"csrf": token[1], "login": "bench", "password": PASSWORD},
                               allow_redirects=False)  # fmt: skip
    if answer.status != 303:
        raise SystemExit(f"sign-in failed: {answer.status}")


async def _render(client: TestClient[Any, Any], path: str, samples: list[float], must: str) -> int:
    t0 = time.perf_counter()
    response = await client.get(path)
    text = await response.text()
    samples.append((time.perf_counter() - t0) * 1000)
    if response.status != 200 or must not in text:
        raise SystemExit(f"{path}: {response.status}, {must!r} not on the page")
    return len(text)


async def measure(rounds: int = 30, database_url: str | None = None) -> dict[str, Any]:
    """p50/p95 (ms) of the Today page with BOOKINGS bookings, of an empty day and of the offices page, each
    rendered `rounds` times in alternation after one warm-up render; on a fresh SQLite file unless
    `database_url` names an empty database (e.g. a throwaway PostgreSQL)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        bot = await build(settings, clock=ManualClock(NOW), import_offices=True)
        try:
            await _seed(bot.uow_factory, BOOKINGS)
            pages = {
                "today_500": (f"/staff/today?office={OFFICE}&day={DAY.isoformat()}", "B00-499"),
                "today_empty": (f"/staff/today?office={OFFICE}&day={(DAY + dt.timedelta(days=1)).isoformat()}",
                                "Записів на цей день немає"),
                "offices": ("/staff/offices", "Головний офіс"),
            }  # fmt: skip
            samples: dict[str, list[float]] = {name: [] for name in pages}
            sizes: dict[str, int] = {}
            async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
                await _sign_in(client)
                for name, (path, must) in pages.items():  # warm-up, not counted
                    sizes[name] = await _render(client, path, [], must)
                for _ in range(rounds):
                    for name, (path, must) in pages.items():
                        await _render(client, path, samples[name], must)
        finally:
            await bot.close()
    out: dict[str, Any] = {"bookings": BOOKINGS, "rounds": rounds, "database": url.split(":", 1)[0]}
    for name, taken in samples.items():
        out[name] = {"p50_ms": round(statistics.median(taken), 2), "p95_ms": round(_p(taken, 0.95), 2),
                     "bytes": sizes[name]}  # fmt: skip
    return out


def main(rounds: int, postgres: bool) -> None:
    if postgres:
        with throwaway_postgres() as url:
            found = asyncio.run(measure(rounds, url))
    else:
        found = asyncio.run(measure(rounds))
    print(f"Today page, {found['bookings']} bookings in one office-day, {found['database']}, "
          f"{found['rounds']} renders each\n")  # fmt: skip
    print("| page | p50 ms | p95 ms | bytes |\n|---|---|---|---|")
    for name, label in (("today_500", "Today, 500 bookings"), ("today_empty", "Today, empty day (baseline)"),
                        ("offices", "Offices (baseline)")):  # fmt: skip
        row = found[name]
        print(f"| {label} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['bytes']:,} |")
    verdict = "met" if found["today_500"]["p95_ms"] <= 100 else "NOT met"
    print(f"\ngoal ≤ 100 ms p95: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.rounds < 30:
        parser.error("--rounds is at least 30")
    main(args.rounds, args.postgres)
