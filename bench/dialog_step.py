"""One dialog step (engine + database) per second and p99, in-process, against baselines in the same run.

Run: `.venv/bin/python -m bench.dialog_step [--steps N]` (after `./scripts/test.sh` has set up .venv).
Each simulated citizen walks «Народження дитини» to the checklist by buttons, then asks a free-text question.
Baselines: a no-op coroutine (the floor of the loop), and a bare unit of work that loads the user and
commits (the database floor) on the same SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

from bot.app import build
from bot.settings import Settings
from dialogs.messages import Incoming
from storage.clock import system_clock

WALK = [
    "/start",
    "s:birth",
    "a:birth:q1:married_diff",  # different surnames ask who comes (one surname skips it)
    "a:birth:q2:yes",
    "a:birth:q3:no",
    "a:birth:q4:yes",
    "прописка дитини",
]


def report(name: str, samples: list[float], wall: float) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"| {name} | {len(samples)} | {len(samples) / wall:,.0f} | {statistics.median(samples):.3f} | {p99:.3f} |"


async def measure(step: Callable[[int], Awaitable[object]], n: int) -> tuple[list[float], float]:
    samples = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter_ns()
        await step(i)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples, time.perf_counter() - start


async def main(steps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bot = await build(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", _env_file=None), clock=system_clock)  # type: ignore[call-arg]
        engine = bot.engine

        async def dialog(i: int) -> object:
            user, turn = divmod(i, len(WALK))
            move = WALK[turn]
            if ":" in move and not move.startswith("/"):
                return await engine.handle(Incoming("bench", f"u{user}", payload=move))
            return await engine.handle(Incoming("bench", f"u{user}", text=move))

        async def noop(_: int) -> object:
            return None

        uow_factory = engine._uow

        async def bare_uow(i: int) -> object:
            async with uow_factory() as uow:
                return await uow.users.get_or_create("bench-uow", f"u{i % 50}")

        await measure(dialog, len(WALK) * 5)  # warm-up: caches, connection pool
        print("| run | steps | steps/s | p50 ms | p99 ms |\n|---|---|---|---|---|")
        for name, fn in (
            ("no-op coroutine", noop),
            ("bare unit of work (load user, commit)", bare_uow),
            ("dialog step (engine + database)", dialog),
        ):
            samples, wall = await measure(fn, steps)
            print(report(name, samples, wall))
        await bot.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    asyncio.run(main(parser.parse_args().steps))
