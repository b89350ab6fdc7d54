"""Flood control and the cost of one message, measured in one run; and, with `--tickets N`, a ticket flood
against the operator queue (only that part runs then).

Run: `.venv/bin/python -m bench.flood [--others 60] [--flood 500] [--window 6]` (after `./scripts/test.sh` has
set up .venv); `.venv/bin/python -m bench.flood --tickets 300 [--group-rate 20]` for the ticket flood.

1. Other citizens' step latency while one citizen floods. `--others` citizens walk «Народження дитини» and ask
   questions, reading each answer for 1–2 s before the next message (as people do: the limiter never meets them),
   for `--window` seconds; a second in, one citizen sends `--flood` messages at once (concurrent calls of `Engine.handle`, the web API's call: button presses, questions and 500-character
   gibberish). Three rounds on the same bot and database: nobody flooding (the floor), the flood with the limiter
   off (FLOOD_BURST=0, as before), the flood with the default limiter. Figures: the others' p50/p99/max step, and
   how many of the flood's messages were processed, got the notice, were dropped.
3. (`--tickets N`) A ticket flood through the telegram-test-api emulator with Telegram's pace for the operator
   group on (testkit/telegram/flood.py): N web tickets from N addresses, then an operator's reply to a genuine
   citizen, a closed day's notice, a genuine question and a reminder — how long each took to arrive after it was
   due, how long the flood's requests took, and what the flood cost the operator group.
2. The cost of one 500-character gibberish message: `Understander.understand` (intents and search) and a whole
   engine step, each text new (every cache misses), with the budgets of knowledge/search.py and understand.py as
   they were (16 guessed lemmas, 12 + 12 typo lookups, parts of hyphenated words unbounded) and as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.flood import NOTICE, FloodLimiter
from dialogs.messages import Incoming
from knowledge import load_knowledge, search, understand
from knowledge.search import build_index
from storage.clock import system_clock
from testkit.telegram.emulator import start_emulator
from testkit.telegram.flood import run_flood

WALK = [
    ("text", "/start"),
    ("payload", "s:birth"),
    ("payload", "a:birth:q1:married_diff"),
    ("payload", "a:birth:q2:yes"),
    ("payload", "a:birth:q3:no"),
    ("payload", "a:birth:q4:yes"),
    ("text", "прописка дитини"),
    ("text", "скільки коштує паспорт"),
]
LETTERS = "абвгдеєжзиіїйклмнопрстуфхцчшщьюя"


def gibberish(rnd: random.Random, n: int = 500) -> str:
    """`n` characters of random Cyrillic «words» of 3–9 letters, now and then hyphenated."""
    text = ""
    while len(text) < n:
        text += "".join(rnd.choice(LETTERS) for _ in range(rnd.randint(3, 9))) + rnd.choice("    -")
    return text[:n]


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, samples: Sequence[float], extra: str = "") -> str:
    return (
        f"| {name} | {len(samples)} | {statistics.median(samples):.2f} | {pct(samples, 0.99):.2f} | "
        f"{max(samples):.2f} |{extra}"
    )


def incoming(user: str, kind: str, value: str) -> Incoming:
    return Incoming("web", user, text=value) if kind == "text" else Incoming("web", user, payload=value)


async def other_citizens(
    bot: Bot, tag: str, count: int, stop: asyncio.Event, samples: list[tuple[float, float]], seed: int
) -> None:
    """Citizens who read the answer before they press or type again (1–2 s), as people do."""
    rnd = random.Random(seed)

    async def walk(i: int) -> None:
        await asyncio.sleep(rnd.uniform(0, 1.5))  # they do not all start at once
        step = 0
        while not stop.is_set():
            kind, value = WALK[step % len(WALK)]
            t0 = time.perf_counter()
            await bot.engine.handle(incoming(f"{tag}-{i}", kind, value))
            samples.append((t0, (time.perf_counter() - t0) * 1000))
            step += 1
            await asyncio.sleep(rnd.uniform(1.0, 2.0))

    await asyncio.gather(*(walk(i) for i in range(count)))


async def flood_round(
    bot: Bot, tag: str, others: int, flood: int, seed: int, window: float
) -> tuple[list[float], list[float], str]:
    """The others' step latencies over `window` seconds (or until the flood is over, if later), and those of
    the steps that began while the flood was being answered."""
    rnd = random.Random(seed)
    samples: list[tuple[float, float]] = []
    during = (0.0, 0.0)
    stop = asyncio.Event()
    walkers = asyncio.create_task(other_citizens(bot, tag, others, stop, samples, seed))
    outcome = ""
    started = time.perf_counter()
    if flood:
        await asyncio.sleep(1.0)  # the others are under way
        moves = [("payload", "m"), ("text", "скільки коштує паспорт"), ("payload", "s:birth")]
        messages = [
            incoming(f"{tag}-flooder", *(("text", gibberish(rnd)) if i % 4 == 3 else moves[i % 3]))
            for i in range(flood)
        ]
        t0 = time.perf_counter()
        replies = await asyncio.gather(*(bot.engine.handle(m) for m in messages))
        wall = time.perf_counter() - t0
        during = (t0, t0 + wall)
        notices = sum(1 for r in replies if len(r) == 1 and r[0].text == NOTICE)
        dropped = sum(1 for r in replies if not r)
        outcome = (
            f" {flood - notices - dropped} processed, {notices} notice, {dropped} dropped; "
            f"all {flood} answered in {wall * 1000:.0f} ms |"
        )
    await asyncio.sleep(max(0.5, window - (time.perf_counter() - started)))
    stop.set()
    await walkers
    overlapping = [ms for start, ms in samples if during[0] <= start <= during[1]]
    return [ms for _, ms in samples], overlapping, outcome


@contextmanager
def budgets(guesses: int, fuzzy_understand: int, fuzzy_search: int, tokens: int) -> Iterator[None]:
    """The work bounds of knowledge/understand.py and search.py set to these values for a while."""
    changes = (
        (
            vars(understand),
            {"MAX_GUESSES": guesses, "MAX_FUZZY": fuzzy_understand, "MAX_QUERY_TOKENS": tokens},
        ),
        (vars(search), {"MAX_GUESSES": guesses, "MAX_FUZZY_WORDS": fuzzy_search}),
    )
    saved = [(names, {k: names[k] for k in values}) for names, values in changes]
    for names, values in changes:
        names.update(values)
    try:
        yield
    finally:
        for names, values in saved:
            names.update(values)


async def message_cost(bot: Bot, count: int) -> None:
    print("\n| one message, each new | messages | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    reader = bot.engine.understander
    rounds = (
        ("as they were (16 guesses, 12 + 12 typo lookups, all parts)", (16, 12, 12, 10_000)),
        (
            "as they are",
            (search.MAX_GUESSES, understand.MAX_FUZZY, search.MAX_FUZZY_WORDS, search.MAX_QUERY_TOKENS),
        ),
    )
    for seed, (label, limits) in enumerate(rounds):
        rnd = random.Random(100 + seed)
        with budgets(*limits):
            read, step = [], []
            for i in range(count):
                text = gibberish(rnd)
                t0 = time.perf_counter()
                reader.understand(text)
                read.append((time.perf_counter() - t0) * 1000)
                user = f"cost-{seed}-{i}"
                if i % 2:  # half of them at a question of a dialog, half at the menu
                    await bot.engine.handle(Incoming("web", user, payload="s:birth"))
                t0 = time.perf_counter()
                await bot.engine.handle(Incoming("web", user, text=gibberish(rnd)))
                step.append((time.perf_counter() - t0) * 1000)
        print(row(f"500-char gibberish, understand (intents + search), budgets {label}", read))
        print(row(f"500-char gibberish, whole engine step, budgets {label}", step))
    questions = [value for kind, value in WALK if kind == "text" and not value.startswith("/")]
    normal = []
    for i in range(count):
        t0 = time.perf_counter()
        await bot.engine.handle(Incoming("web", f"cost-q-{i}", text=questions[i % len(questions)]))
        normal.append((time.perf_counter() - t0) * 1000)
    print(row("a short question, whole engine step (reference)", normal))


async def main(others: int, flood: int, cost: int, window: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", _env_file=None)
        bot = await build(settings, clock=system_clock)
        try:
            bot.engine.flood = FloodLimiter(burst=0)
            await flood_round(bot, "warm", others, 0, 0, 2.0)  # caches, the held connection
            print(
                f"| {others} other citizens' steps | steps | p50 ms | p99 ms | max ms | the flood of {flood} |\n"
                "|---|---|---|---|---|---|"
            )
            rows = []
            for seed, (label, limiter, n) in enumerate(
                (
                    ("nobody flooding", FloodLimiter(burst=0), 0),
                    ("one citizen floods, limiter off (before)", FloodLimiter(burst=0), flood),
                    (
                        f"one citizen floods, limiter on (after: burst {settings.flood_burst}, "
                        f"{settings.flood_rate:g}/s)",
                        FloodLimiter(settings.flood_rate, settings.flood_burst),
                        flood,
                    ),
                )
            ):
                bot.engine.flood = limiter
                samples, overlapping, outcome = await flood_round(bot, f"r{seed}", others, n, seed, window)
                print(row(f"{label}: the whole {window:g} s", samples, outcome or " — |"))
                if overlapping:
                    rows.append(row(f"{label}: steps begun while the flood was answered", overlapping, " |"))
            print("\n".join(rows))
            bot.engine.flood = FloodLimiter(burst=0)
            await message_cost(bot, cost)
        finally:
            await bot.close()


async def tickets(count: int, group_rate: float) -> None:
    kb = load_knowledge()
    index = build_index(kb)
    proc, url = await start_emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            f = await run_flood(url, Path(tmp), kb, index, tickets=count, group_rate=group_rate)
    finally:
        proc.terminate()
        await proc.wait()
    ms = f.request_ms
    print(f"| {count} web tickets from {count} addresses, operator group paced at {group_rate:g}/min | figure |")
    print("|---|---|")
    print(f"| the flood's requests: all answered in | {f.flood_s:.1f} s |")
    print(f"| one flood request: p50 / p99 / max | {statistics.median(ms):.0f} / {pct(ms, 0.99):.0f} / "
          f"{max(ms):.0f} ms |")  # fmt: skip
    print(f"| an operator's reply to a genuine citizen: sent → in their chat | {f.reply_s:.2f} s |")
    print(f"| a closed day's notice: committed → in the citizen's chat | {f.closure_s:.2f} s |")
    print(f"| a genuine question after the flood: sent → counted on the queue message | {f.question_s:.2f} s |")
    print(f"| a reminder: due → in the citizen's chat | {f.reminder_s:.2f} s |")
    print(f"| calls into the operator group while the flood was answered | {f.group_calls_flood} |")
    print(f"| calls into the operator group, flood to the end of the run | {f.group_calls} |")
    print(f"| forum topics at the end (the genuine ticket's) | {f.topics} |")
    print(f"| 429s from the emulated group limit | {f.refused_429} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--others", type=int, default=60)
    parser.add_argument("--window", type=float, default=6.0, help="seconds of each round")
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--cost", type=int, default=200, help="gibberish messages timed per round")
    parser.add_argument("--tickets", type=int, default=0, help="run the ticket flood with this many tickets")
    parser.add_argument("--group-rate", type=float, default=20.0, help="the operator group's messages a minute")
    args = parser.parse_args()
    if args.tickets:
        asyncio.run(tickets(args.tickets, args.group_rate))
    else:
        asyncio.run(main(args.others, args.flood, args.cost, args.window))
