"""The staff console's statistics page for a year of a busy Center, through the real app, on SQLite and
PostgreSQL.

Run: `.venv/bin/python -m bench.console` (defaults: 300,000 consultations, 50,000 office bookings, 30 rounds;
`--no-postgres` skips the throwaway PostgreSQL of testkit/servers.py). Goal (issue 21): ≤ 300 ms p95.
The year and the timing are testkit/console_year.py (its test runs it at a tiny size); each round GETs
/staff/stats for the whole year as a signed-in admin, interleaved with the baseline, the offices page.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile

from testkit.console_year import measure_year, p95
from testkit.servers import throwaway_postgres


def report(label: str, found: dict[str, object]) -> None:
    fill = found.pop("fill_s")
    for name, values in found.items():
        assert isinstance(values, list)
        print(f"| {label} | {name} | {len(values)} | {statistics.median(values):.1f} | {p95(values):.1f} |"
              f" {fill:.0f} s |")  # fmt: skip


async def main(n_consultations: int, n_bookings: int, rounds: int, postgres: bool) -> None:
    print(f"{n_consultations:,} consultations, {n_bookings:,} office bookings (+10 % callbacks, "
          f"+1 % home visits, {n_bookings // 3:,} tickets), {rounds} rounds")  # fmt: skip
    print("| database | page | rounds | p50 ms | p95 ms | fill |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/console.sqlite3"
        report("sqlite", await measure_year(url, n_consultations, n_bookings, rounds))
    if postgres:
        with throwaway_postgres("viza-bench-console-") as url:
            report("postgresql", await measure_year(url, n_consultations, n_bookings, rounds))
    # --- The Today page (bench/console_today.py, another helper's part of issue 21): the lead wires it here. ---
    with contextlib.suppress(ImportError):
        from bench.console_today import measure as today  # type: ignore[import-not-found, unused-ignore]

        print("today page (500 bookings):", await today(rounds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The statistics page for a year, on SQLite and PostgreSQL.")
    parser.add_argument("--consultations", type=int, default=300_000)
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.consultations, args.bookings, args.rounds, not args.no_postgres))
