"""Hostile input at scale: the suite's fuzz generators (testkit/fuzz_values.py, testkit/fuzz_messengers.py) thrown
at the real app, N inputs split evenly over the three doors — `POST /api/chat`, the Viber webhook, Telegram
updates through the bot's Dispatcher.

Run: `.venv/bin/python -m bench.fuzz [--inputs 100000] [--seed S]` (after ./scripts/test.sh set things up).

Prints, per door: statuses by code (Telegram: 200 handled by the bot, 0 refused by aiogram's own model, as
Telegram never sends such an update), any 5xx (goal 0), log records with a traceback or at ERROR (goal 0), the
slowest reply, and whether the app still answered a normal message (checked every 1,000 inputs and at the end)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from testkit.fuzz_messengers import telegram_inputs, viber_inputs
from testkit.fuzz_rig import FuzzRig, Outcome, shape_problem
from testkit.fuzz_values import web_inputs

PROBE_EVERY = 1000


@dataclass
class Figures:
    door: str
    inputs: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    shape_problems: list[str] = field(default_factory=list)
    tracebacks: Counter[str] = field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")
    probes_failed: int = 0
    probes: int = 0
    seconds: float = 0.0

    def note(self, out: Outcome, item: Any, errors: list[logging.LogRecord]) -> None:
        self.inputs += 1
        self.statuses[out.status] += 1
        if out.status >= 500:
            self.server_errors.append(repr(item)[:160])
        elif (problem := shape_problem(out)) is not None:
            self.shape_problems.append(problem[:160])
        for r in errors:
            kind = r.exc_info[0].__name__ if r.exc_info and r.exc_info[0] else "error"
            self.tracebacks[f"{r.name}: {r.getMessage()[:90]} [{kind}]"] += 1
        if out.seconds > self.slowest[0]:
            self.slowest = (out.seconds, repr(item)[:100])


async def _probe(rig: FuzzRig, door: str) -> bool:
    check: dict[str, Callable[[], Coroutine[Any, Any, bool]]] = {
        "web": rig.web_answers,
        "viber": rig.viber_answers,
        "telegram": rig.telegram_answers,
    }
    return await check[door]()


def run_door(runner: asyncio.Runner, rig: FuzzRig, door: str, n: int, rng_seed: int) -> Figures:
    figures = Figures(door)
    strategy: st.SearchStrategy[Any] = {
        "web": web_inputs,
        "viber": viber_inputs,
        "telegram": telegram_inputs,
    }[door]
    sends: dict[str, Callable[[Any], Coroutine[Any, Any, Outcome]]] = {
        "web": rig.web,
        "viber": rig.viber,
        "telegram": rig.telegram,
    }
    send = sends[door]

    @seed(rng_seed)
    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(item: Any) -> None:
        rig.errors.records.clear()
        out = runner.run(send(item))
        figures.note(out, item, rig.errors.records)
        if figures.inputs % PROBE_EVERY == 0:
            figures.probes += 1
            figures.probes_failed += not runner.run(_probe(rig, door))

    start = time.perf_counter()
    one()
    figures.probes += 1
    figures.probes_failed += not runner.run(_probe(rig, door))
    figures.seconds = time.perf_counter() - start
    return figures


def report(f: Figures) -> None:
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(f.statuses.items()))
    print(f"\n== {f.door}: {f.inputs} inputs in {f.seconds:.0f} s ({f.inputs / max(f.seconds, 1e-9):.0f}/s)")
    print(f"statuses: {codes}")
    print(f"5xx: {len(f.server_errors)} (goal 0)")
    for example in f.server_errors[:5]:
        print(f"  e.g. {example}")
    print(f"tracebacks / errors logged: {sum(f.tracebacks.values())} (goal 0)")
    for line, count in f.tracebacks.most_common(5):
        print(f"  {count} × {line}")
    print(f"answers of a wrong shape: {len(f.shape_problems)}")
    for problem in f.shape_problems[:3]:
        print(f"  e.g. {problem}")
    print(f"slowest reply: {f.slowest[0] * 1000:.1f} ms for {f.slowest[1]}")
    print(f"a normal message answered afterwards: {f.probes - f.probes_failed}/{f.probes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inputs", type=int, default=100_000, help="inputs in all, split over the three doors"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--doors", default="web,viber,telegram")
    args = parser.parse_args()
    doors = [d.strip() for d in args.doors.split(",") if d.strip()]
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())  # the rig's handler counts; nothing is printed
    with tempfile.TemporaryDirectory() as tmp, asyncio.Runner() as runner:
        rig = runner.run(FuzzRig.start(Path(tmp)))
        try:
            for i, door in enumerate(doors):
                per_door = args.inputs // len(doors) + (1 if i < args.inputs % len(doors) else 0)
                report(run_door(runner, rig, door, per_door, args.seed + i))
        finally:
            runner.run(rig.close())


if __name__ == "__main__":
    main()
