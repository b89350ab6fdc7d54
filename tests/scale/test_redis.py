"""Several bot processes sharing Redis (bot/shared.py): pacing, Viber's hourly count, flood control and each
citizen's order hold for all of them together, and a Redis outage leaves each process answering on its own.

Two "processes" are two objects built by `bot.app.build` (or two senders), each with its own Redis client; the
database is a throwaway PostgreSQL where the engines share it. Rates are measured on real time over ≤ 3 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot as AiogramBot
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from redis.asyncio import Redis

from bot.app import Bot, build
from bot.settings import Settings
from bot.shared import RedisFlood, RedisLocks, RedisQuiet, SharedRedis
from dialogs.flood import NOTICE, FloodLimiter, Verdict
from dialogs.messages import Incoming, Reply
from handlers.viber.render import render as viber_render
from handlers.viber.sender import QuietLimit, ViberSender
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.uow import UnitOfWork
from testkit.clocks import test_clock
from testkit.fake_telegram import FakeSession
from testkit.net import free_port
from testkit.servers import throwaway_postgres, throwaway_redis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with throwaway_redis() as (url, _, _):
        yield url


@pytest.fixture(autouse=True)
async def _empty_redis(redis_url: str) -> None:
    """Each test starts on an empty Redis (the bots' keys have one prefix)."""
    client = Redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres("viza-scale-pg-") as url:
        yield url


def settings(database_url: str, redis_url: str | None, **extra: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, redis_url=redis_url, **extra)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def processes(
    n: int, kb: Knowledge, index: SearchIndex, database_url: str, redis_url: str | None, **extra: Any
) -> AsyncIterator[list[Bot]]:
    """`n` bots built as `n` processes would build them (each its own Redis client), closed after."""
    bots = [
        await build(settings(database_url, redis_url, **extra), kb=kb, index=index, clock=test_clock())
        for _ in range(n)
    ]
    try:
        yield bots
    finally:
        for bot in bots:
            await bot.close()


# --- Telegram pacing -------------------------------------------------------------------------------------------


class TimedSession(FakeSession):
    """Telegram as the fake answers it, noting when each message arrived."""

    def __init__(self, stamps: list[float]) -> None:
        super().__init__()
        self.stamps = stamps

    async def make_request(
        self, bot: AiogramBot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.stamps.append(time.monotonic())
        return await super().make_request(bot, method, timeout)


def peak(stamps: list[float], window: float = 1.0) -> int:
    """The most messages within any `window` seconds."""
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps[i:] if t - start < window) for i, start in enumerate(stamps))


async def blast(bots: list[Bot], chats: Callable[[int], int], per_bot: int) -> list[float]:
    """Every bot sends `per_bot` messages at once (message i to chat `chats(i)`); when each arrived."""
    stamps: list[float] = []
    for bot in bots:
        assert bot.telegram is not None
        bot.telegram.bot.session = TimedSession(stamps)

    async def one(bot: Bot, i: int) -> None:
        assert bot.telegram is not None
        assert await bot.telegram.sender.send_text(chats(i), f"повідомлення {i}")

    await asyncio.gather(*(one(bot, i) for bot in bots for i in range(per_bot)))
    assert len(stamps) == per_bot * len(bots)
    return stamps


def rate(stamps: list[float], burst: float) -> float:
    """Messages a second after the first burst: what pacing lets through."""
    return (len(stamps) - burst) / (max(stamps) - min(stamps))


async def test_two_processes_share_telegrams_overall_rate(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, redis_url: str
) -> None:
    """30/s overall (bursts of 3) for both together; each chat its own, so only the overall rate counts."""
    tg = {"telegram_bot_token": "42:SCALE", "telegram_per_chat_rate": 1000, "telegram_global_rate": 30}
    per_bot = 30
    async with processes(2, kb, index, f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3", redis_url, **tg) as bots:
        shared = await blast(bots, lambda i: 1000 + i, per_bot)
    # The same two processes without Redis: each keeps its own 30/s, so together they go twice as fast.
    async with processes(2, kb, index, f"sqlite+aiosqlite:///{tmp_path}/b.sqlite3", None, **tg) as bots:
        alone = await blast(bots, lambda i: 1000 + i, per_bot)
    shared_rate, alone_rate = rate(shared, 3), rate(alone, 3)
    print(f"overall: shared {shared_rate:.1f}/s (peak {peak(shared)} in 1 s), apart {alone_rate:.1f}/s")
    assert shared_rate <= 30 * 1.05 and peak(shared) <= 30 + 3 + 2  # + 2: timer jitter bunches a few
    assert shared_rate >= 30 * 0.8  # and the shared limit is not much slower than asked
    assert alone_rate >= 30 * 1.6 and peak(alone) > 30 + 3


async def test_two_processes_share_one_chats_pace(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, redis_url: str
) -> None:
    tg = {"telegram_bot_token": "42:SCALE", "telegram_per_chat_rate": 10, "telegram_global_rate": 1000}
    per_bot = 10
    async with processes(2, kb, index, f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3", redis_url, **tg) as bots:
        shared = await blast(bots, lambda i: 777, per_bot)
    async with processes(2, kb, index, f"sqlite+aiosqlite:///{tmp_path}/b.sqlite3", None, **tg) as bots:
        alone = await blast(bots, lambda i: 777, per_bot)
    shared_rate, alone_rate = rate(shared, 3), rate(alone, 3)
    print(f"one chat: shared {shared_rate:.1f}/s, apart {alone_rate:.1f}/s")
    assert shared_rate <= 10 * 1.05
    assert shared_rate >= 10 * 0.8
    assert alone_rate >= 10 * 1.6


# --- Viber's hourly count --------------------------------------------------------------------------------------


def viber_sender(url: str, alone: QuietLimit | None = None) -> tuple[ViberSender, SharedRedis]:
    async def on_result(user: str, token: str | None, status: int) -> None:
        return None

    shared = SharedRedis.from_url(url)
    sender = ViberSender("http://127.0.0.1:9/pa", "token", "Віза-бот", on_result)
    sender.shared_quiet = RedisQuiet(shared, limit=5, alone=alone)

    async def post(method: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"status": 0, "message_token": 1}  # Viber accepted it

    sender._post = post  # type: ignore[method-assign]
    return sender, shared


async def test_two_processes_share_vibers_hourly_count(redis_url: str) -> None:
    (a, ra), (b, rb) = viber_sender(redis_url), viber_sender(redis_url)
    (message,) = viber_render(Reply("Нагадування"))
    try:
        sent = [await (a if i % 2 else b).send("quiet-user", message) for i in range(10)]
        assert sent == [True] * 5 + [False] * 5  # five an hour for both together
        assert await a.send("another-user", message)  # per user
        await b.heard_from("quiet-user")  # the citizen wrote (to the other process)
        assert [await a.send("quiet-user", message) for _ in range(6)] == [True] * 5 + [False]
    finally:
        await ra.close()
        await rb.close()


# --- flood control and each citizen's order across two engines on PostgreSQL ----------------------------------


def answered(replies: list[Reply]) -> str:
    if not replies:
        return "dropped"
    return "notice" if [r.text for r in replies] == [NOTICE] else "processed"


async def test_a_citizen_flooding_two_processes_is_limited_once(
    kb: Knowledge, index: SearchIndex, postgres_url: str, redis_url: str
) -> None:
    flood = {"flood_burst": 5, "flood_rate": 0.05}
    async with processes(2, kb, index, postgres_url, redis_url, **flood) as bots:
        outcomes = [
            answered(await bots[i % 2].engine.handle(Incoming("web", "flooder", text="/start")))
            for i in range(12)
        ]
        assert outcomes == ["processed"] * 5 + ["notice"] + ["dropped"] * 6
        # Another citizen is served by both.
        assert answered(await bots[0].engine.handle(Incoming("web", "calm", text="/start"))) == "processed"
        assert answered(await bots[1].engine.handle(Incoming("web", "calm", text="/start"))) == "processed"
        # Each process counts what it refused itself (metrics); the episode is one.
        floods = [bot.engine.flood for bot in bots]
        assert all(isinstance(f, RedisFlood) for f in floods)
        alone = [f._alone for f in floods if isinstance(f, RedisFlood)]
        assert sum(a.episodes for a in alone) == 1 and sum(a.refused for a in alone) == 7


async def test_flood_rules_are_the_same_in_redis(redis_url: str) -> None:
    """`f:yes` still gets through a refused citizen's flood once per gap, and other channels are separate."""
    shared = SharedRedis.from_url(redis_url)
    gate = RedisFlood(shared, FloodLimiter(0.05, 2))
    try:
        got = [await gate.verdict("telegram", "u") for _ in range(4)]
        assert got == [Verdict.PROCESS, Verdict.PROCESS, Verdict.NOTICE, Verdict.DROP]
        assert await gate.verdict("telegram", "u", forget=True) is Verdict.PROCESS
        assert await gate.verdict("telegram", "u", forget=True) is Verdict.DROP  # not twice within the gap
        assert await gate.verdict("viber", "u") is Verdict.PROCESS
    finally:
        await shared.close()


def timed(bot: Bot, spans: list[tuple[str, float, float]], tag: str) -> None:
    """Note when each step of this bot's engine ran; each step takes 0.3 s."""
    inner = bot.engine.handle_in

    async def handle_in(uow: UnitOfWork, message: Incoming) -> list[Reply]:
        start = time.monotonic()
        await asyncio.sleep(0.3)
        try:
            return await inner(uow, message)
        finally:
            spans.append((tag + message.user_id, start, time.monotonic()))

    bot.engine.handle_in = handle_in  # type: ignore[method-assign]


def overlap(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


async def test_one_citizens_messages_to_two_processes_are_taken_one_after_the_other(
    kb: Knowledge, index: SearchIndex, postgres_url: str, redis_url: str
) -> None:
    async with processes(2, kb, index, postgres_url, redis_url) as bots:
        spans: list[tuple[str, float, float]] = []
        timed(bots[0], spans, "a:")
        timed(bots[1], spans, "b:")
        await asyncio.gather(
            bots[0].turns.take(Incoming("web", "one", text="/start")),
            bots[1].turns.take(Incoming("web", "one", text="/help")),
            bots[1].turns.take(Incoming("web", "other", text="/start")),
        )
        by = {tag: (tag, start, end) for tag, start, end in spans}
        assert not overlap(by["a:one"], by["b:one"]), spans  # one citizen: one step at a time
        assert overlap(by["a:one"], by["b:other"]) or overlap(by["b:one"], by["b:other"]), spans  # others run
        assert all(len(bot.turns.locks) == 0 for bot in bots)  # nothing left behind


async def test_a_double_tap_on_two_processes_is_taken_once(
    kb: Knowledge, index: SearchIndex, postgres_url: str, redis_url: str
) -> None:
    """Without the shared lock two processes both take the tap in most tries (both read the state before either
    commits); five citizens make that failure certain enough."""
    async with processes(2, kb, index, postgres_url, redis_url) as bots:
        for citizen in (f"tap-{k}" for k in range(5)):
            await bots[0].turns.take(Incoming("web", citizen, payload="s:birth"))
            tap = Incoming("web", citizen, payload="a:birth:q1:not_married")
            results = await asyncio.gather(*(bots[i % 2].turns.take(tap) for i in range(4)))
            accepted = [r for r in results if not any("неактуальна" in x.text for x in r or [])]
            assert len(accepted) == 1, citizen


async def test_a_dead_holders_lock_expires_and_a_live_holder_keeps_it_however_long_its_step(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A process killed while holding a citizen's lock holds them up only until the lock's timeout. A live step
    longer than the timeout keeps its lock (renewed), so another process's step of that citizen still waits."""
    dead, alive, other = (SharedRedis.from_url(redis_url) for _ in range(3))
    try:
        orphan = dead.client.lock(dead.key("lock", "web:victim"), timeout=0.4, thread_local=False)
        assert await orphan.acquire()  # and never released: its process died
        started = time.monotonic()
        spans: list[tuple[str, float, float]] = []

        holding = asyncio.Event()

        async def step(locks: RedisLocks, tag: str, seconds: float) -> None:
            async with locks.hold("web:victim"):
                begun = time.monotonic()
                holding.set()
                await asyncio.sleep(seconds)
                spans.append((tag, begun, time.monotonic()))

        first = asyncio.create_task(step(RedisLocks(alive, timeout=0.3, wait=5), "long", 1.0))  # > 3 timeouts
        await asyncio.wait_for(holding.wait(), timeout=5)  # the orphan has expired and the long step holds it
        await step(RedisLocks(other, timeout=0.3, wait=5), "next", 0.01)
        await first
        long_step, next_step = sorted(spans, key=lambda s: s[1])
        assert long_step[0] == "long" and 0.3 <= long_step[1] - started < 1.0, (
            spans
        )  # waited for the orphan only
        assert not overlap(long_step, next_step), spans  # the renewed lock kept the other process waiting
        assert not [r for r in caplog.records if r.name == "bot.shared"]  # no «outlived its lock»
    finally:
        for shared in (dead, alive, other):
            await shared.close()


async def test_a_step_never_waits_for_its_locks_renewal_even_one_that_ignores_cancellation(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Found under load (bench/load.py): a renewal cancelled while its Redis call was in flight swallowed the
    cancellation (asyncio.wait_for inside the client), renewed the lock forever, and its step, awaiting it, never
    ended; other steps of that citizen waited 30 s. Here the renewal's call ignores cancellation outright."""
    from redis.asyncio.lock import Lock

    real = Lock.reacquire

    async def deaf(self: Lock) -> bool:
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # a cancellation swallowed
        return await real(self)

    monkeypatch.setattr(Lock, "reacquire", deaf)
    shared = SharedRedis.from_url(redis_url)
    try:
        locks = RedisLocks(shared, timeout=0.3, wait=5)

        async def step() -> None:
            async with locks.hold("web:deaf"):
                await asyncio.sleep(0.15)  # ends while the first renewal (at 0.1 s) is in flight

        started = time.monotonic()
        await asyncio.wait_for(step(), timeout=2)
        assert time.monotonic() - started < 0.5
        await asyncio.sleep(0.8)  # the renewal's next turn would have come
        assert not await shared.client.exists(shared.key("lock", "web:deaf"))  # released, not renewed
        async with RedisLocks(shared, timeout=0.3, wait=0.2).hold("web:deaf"):
            pass  # free at once
        assert not [r for r in caplog.records if r.name == "bot.shared"]
    finally:
        await shared.close()


async def test_more_calls_at_once_than_connections_wait_for_one_and_never_read_as_redis_down(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Found under load (bench/load.py, 500 citizens): redis-py's default pool refuses a call when all its
    connections are busy, which read as «Redis is unavailable» and dropped the shared order for 5 s."""
    shared = SharedRedis.from_url(redis_url, max_connections=4)
    try:
        locks = RedisLocks(shared, timeout=1, wait=5)

        async def step(i: int) -> None:
            async with locks.hold(f"web:many-{i}"):
                await asyncio.sleep(0.01)

        await asyncio.gather(*(step(i) for i in range(60)))
        assert not shared.down
        assert not [r.getMessage() for r in caplog.records if r.name == "bot.shared"]
    finally:
        await shared.close()


async def test_a_lock_lost_mid_step_is_said_once_and_the_step_ends_well(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis losing the key while a step runs (a restart without persistence, an eviction): one warning, from the
    release; the renewal stops quietly."""
    shared = SharedRedis.from_url(redis_url)
    try:
        async with RedisLocks(shared, timeout=0.3, wait=5).hold("web:lost"):
            await shared.client.delete(shared.key("lock", "web:lost"))
            await asyncio.sleep(0.35)  # past a renewal's turn
        assert [r.getMessage() for r in caplog.records if r.name == "bot.shared"] == [
            "a citizen's step outlived its lock (0.3 s)"
        ]
    finally:
        await shared.close()


async def test_a_pool_busy_for_a_moment_decides_that_call_alone_and_keeps_redis_shared(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The pool's only connection is busy past TIMEOUT: that one call is this process's own, and the next one
    asks Redis again (Redis was never unavailable)."""
    shared = SharedRedis.from_url(redis_url, max_connections=1)
    try:
        pool = shared.client.connection_pool
        taken = await pool.get_connection()  # another call holds the only connection

        async def alone() -> str:
            return "alone"

        async def ask() -> str:
            await shared.client.ping()
            return "redis"

        assert await shared.run(ask, alone) == "alone"
        assert not shared.down
        await pool.release(taken)
        assert await shared.run(ask, alone) == "redis"
        assert not [r.getMessage() for r in caplog.records if r.name == "bot.shared"]
    finally:
        await shared.close()


# --- Redis unavailable -----------------------------------------------------------------------------------------


async def test_without_redis_the_bot_answers_alone_with_one_log_line(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens at REDIS_URL: every message is answered, pacing is the process's own, one warning."""
    caplog.set_level(logging.INFO)
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    tg = {"telegram_bot_token": "42:SCALE", "telegram_per_chat_rate": 1000, "telegram_global_rate": 20}
    started = time.monotonic()
    async with processes(1, kb, index, f"sqlite+aiosqlite:///{tmp_path}/d.sqlite3", nowhere, **tg) as (bot,):
        stamps = await blast([bot], lambda i: 2000 + i, 30)  # thirty sends find Redis missing at once
        for text in ("/start", "паспорт", "/help", "дякую"):
            replies = await bot.engine.handle(Incoming("web", "citizen", text=text))
            assert answered(replies) == "processed"
    elapsed = time.monotonic() - started
    lines = [r for r in caplog.records if r.name == "bot.shared"]
    assert [r.levelname for r in lines] == ["WARNING"], [r.getMessage() for r in lines]
    assert "unavailable" in lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere
    fallback = rate(stamps, 2)
    print(f"redis down: 30 messages at {fallback:.1f}/s (limit 20/s), whole test {elapsed:.1f} s")
    assert fallback <= 20 * 1.05  # the process's own limit still holds


async def test_redis_briefly_down_then_back(caplog: pytest.LogCaptureFixture) -> None:
    """A Redis that stops and comes back: decisions go on alone meanwhile, then are shared again."""
    caplog.set_level(logging.INFO, logger="bot.shared")
    with throwaway_redis() as (url, stop, start):
        shared = SharedRedis.from_url(url, retry_after=0.2)
        gate = RedisFlood(shared, FloodLimiter(0.05, 3))
        try:
            assert await gate.verdict("web", "u") is Verdict.PROCESS  # shared: one token taken in Redis
            stop()
            got = [
                await gate.verdict("web", "u") for _ in range(5)
            ]  # the process's own bucket, full at first
            assert got == [Verdict.PROCESS] * 3 + [Verdict.NOTICE, Verdict.DROP]
            start()
            await asyncio.sleep(0.25)
            # Redis decides again: it kept nothing over its restart, so a full bucket there, where the
            # process's own would have dropped the message.
            got = [await gate.verdict("web", "u") for _ in range(4)]
            assert got == [Verdict.PROCESS] * 3 + [Verdict.NOTICE]
        finally:
            await shared.close()
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.shared"]
    assert len(messages) == 2 and "unavailable" in messages[0] and "again" in messages[1], messages
