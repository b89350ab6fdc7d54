"""Booking through the engine, in-process on SQLite, against the same run's ordinary dialog step.

Run: `.venv/bin/python -m bench.booking_step [--citizens N] [--rounds R]`. Each citizen says /start (as in the
baseline's walk) and books an appointment by buttons, as in the chat: service → «not a priority citizen» → the
first day → the first time → confirm. Only a citizen with a verified phone books (issue 20): each citizen's phone
is seeded as the verify room leaves it (`testkit.people.verify_citizen`), outside the timed steps, since a citizen
verifies once and then books many times. The
baseline is the dialog step of `bench.dialog_step` (a walk through «Народження дитини»), measured in alternating
rounds with the booking so a noisy minute hits both alike. Goals (issue 10): ≥ 300 confirmed bookings per second,
and a booking step ≤ 1.5 × a dialog step.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

from bench.dialog_step import WALK
from bot.app import build
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from storage.clock import system_clock
from storage.uow import UowFactory
from testkit.people import verify_citizen

SERVICE = "kartka-kryvorizhtsia"


def _payloads(replies: list[Reply], prefix: str) -> list[str]:
    return [
        b.payload
        for r in replies
        for row in r.buttons
        for b in row
        if b.payload and b.payload.startswith(prefix)
    ]


async def book(
    engine: Engine, uows: UowFactory, user: str, steps: list[float], confirms: list[float]
) -> bool:
    """One citizen's booking walk; every step's time goes to `steps`, the confirmation's also to `confirms`.
    Like the baseline's walk it opens with /start (the citizen's first message creates them); the citizen's
    phone is verified after it, untimed."""
    t0 = time.perf_counter()
    await engine.handle(Incoming("bench", user, text="/start"))
    steps.append((time.perf_counter() - t0) * 1000)
    await verify_citizen(uows, "bench", user)
    payload = f"q:s:{SERVICE}"
    for prefix in ("q:p:no", "q:d:", "q:t:", "q:ok:", None):
        t0 = time.perf_counter()
        replies = await engine.handle(Incoming("bench", user, payload=payload))
        elapsed = (time.perf_counter() - t0) * 1000
        steps.append(elapsed)
        if payload.startswith("q:ok:"):
            confirms.append(elapsed)
            return any("вас записано" in r.text for r in replies)
        found = _payloads(replies, prefix or "")
        if prefix == "q:p:no" and not found:  # an office without priority places asks nothing
            found = _payloads(replies, "q:d:")
            prefix = "q:d:"
        if not found:
            return False
        payload = found[0]
    return False


async def dialog(engine: Engine, user: str, steps: list[float]) -> None:
    for move in WALK:
        t0 = time.perf_counter()
        if ":" in move and not move.startswith("/"):
            await engine.handle(Incoming("bench", user, payload=move))
        else:
            await engine.handle(Incoming("bench", user, text=move))
        steps.append((time.perf_counter() - t0) * 1000)


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(citizens: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bot = await build(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", _env_file=None), clock=system_clock)  # type: ignore[call-arg]
        engine = bot.engine
        await dialog(engine, "warm", [])
        booking_steps: list[float] = []
        confirms: list[float] = []
        dialog_steps: list[float] = []
        booked = 0
        booking_wall = 0.0
        per_round = citizens // rounds
        for r in range(rounds):
            t0 = time.perf_counter()
            for i in range(per_round):
                booked += await book(engine, bot.uow_factory, f"b{r}-{i}", booking_steps, confirms)
            booking_wall += time.perf_counter() - t0
            for i in range(per_round):
                await dialog(engine, f"d{r}-{i}", dialog_steps)
        await bot.close()
    if not confirms:
        raise SystemExit(f"no citizen reached the confirmation: booked {booked}/{citizens}")
    ratio = statistics.median(booking_steps) / statistics.median(dialog_steps)
    print("| run | steps | p50 ms | p99 ms |\n|---|---|---|---|")
    print(
        f"| dialog step (baseline) | {len(dialog_steps)} | {statistics.median(dialog_steps):.3f} | {_p(dialog_steps, 0.99):.3f} |"
    )
    print(
        f"| booking step (any of the six) | {len(booking_steps)} | {statistics.median(booking_steps):.3f} | {_p(booking_steps, 0.99):.3f} |"
    )
    print(
        f"| booking confirmation | {len(confirms)} | {statistics.median(confirms):.3f} | {_p(confirms, 0.99):.3f} |"
    )
    print(
        f"\nbooked {booked}/{citizens}; confirmed bookings per second of confirmation steps: "
        f"{len(confirms) / (sum(confirms) / 1000):,.0f}; whole walks per second: {booked / booking_wall:,.0f}; "
        f"booking step / dialog step (p50): {ratio:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.citizens, args.rounds))
