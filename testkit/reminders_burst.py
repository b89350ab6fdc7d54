"""A burst of reminders falling due at once, sent by the real bot through the telegram-test-api emulator at the
real pacing (the Settings defaults: ≈1 message/s per chat, 30/s overall).

Shared by the benchmark (bench/reminders_burst.py: 10,000 at 30/s, about 5.5 minutes) and, small, the suite
(tests/reminders/test_dispatch.py).

`count` citizens (distinct Telegram chats) each have one «ready by» reminder due now. The bot is built as
`python -m bot` builds it (SQLite, its Telegram sender, the conversation's renderer) and the dispatcher runs as the
APScheduler job the bot starts (first run at once, then every 15 s). In front of the emulator a checking layer
(test code) plays Telegram's limits: a sendMessage beyond a token bucket of `rate`/s overall (a bucket of `rate`
messages, plus a slack of SLACK for network jitter) or of 1/s per chat (a bucket of 3) is answered with
429 `retry_after`, as Telegram does, and counted. Measured: the achieved rate (messages / seconds from the job's
start to the last message) against the configured one, the most messages in any 1-second window, duplicates
(chats that got more than one message) and 429s; and that every row ended `sent`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Table, insert, select

from bot.app import build
from bot.outbox import senders
from bot.reminders import Dispatcher, render_with, start_reminders
from bot.settings import Settings
from knowledge import Knowledge, load_knowledge
from storage.clock import ManualClock
from storage.models import User
from storage.reminders import SENT, Reminder
from testkit.net import free_port
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.emulator import start_emulator

SLACK = 3  # messages of tolerance over the overall bucket, for requests bunched on the way
FIRST_CHAT = 70_000_000

BURST_AT = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)  # Thursday 10:00 in Kyiv


class Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` per second."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.level, self.at = capacity, time.monotonic()

    def take(self) -> float:
        """0 if a message may go now, else the seconds until it may."""
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= 1:
            self.level -= 1
            return 0.0
        return (1 - self.level) / self.rate


class LimitingAdapter(EmulatorAdapter):
    """The e2e adapter, with Telegram's limits enforced and every delivered sendMessage recorded."""

    def __init__(self, emulator_url: str, rate: float) -> None:
        super().__init__(emulator_url)
        self.overall = Bucket(rate, rate + SLACK)
        self.chats: dict[str, Bucket] = {}
        self.delivered: list[tuple[float, str]] = []  # (monotonic time, chat id)
        self.too_many = 0

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() != "sendmessage":
            return await super().handle(request)
        chat = str((await request.post()).get("chat_id"))
        bucket = self.chats.setdefault(chat, Bucket(1.0, 3))
        wait = max(self.overall.take(), bucket.take())
        if wait > 0:
            self.too_many += 1
            retry = max(1, round(wait + 0.5))
            return web.json_response(
                {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry}",
                 "parameters": {"retry_after": retry}},
                status=429,
            )  # fmt: skip
        response = await super().handle(request)
        self.delivered.append((time.monotonic(), chat))
        return response


@dataclass
class Burst:
    count: int
    rate: float
    seconds: float
    achieved: float
    peak_second: int
    duplicates: int
    too_many: int
    sent_rows: int

    def markdown(self) -> str:
        return "\n".join(
            [
                "| reminders due at once | configured | achieved | of configured | max in any 1 s "
                "| duplicates | 429s | rows sent |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {self.count:,} | {self.rate:.0f}/s | {self.achieved:.1f}/s | {self.achieved / self.rate:.0%} "
                f"| {self.peak_second} | {self.duplicates} | {self.too_many} | {self.sent_rows:,} |",
                "",
                f"All {self.count:,} sent in {self.seconds:.1f} s.",
            ]
        )


def ready_service(kb: Knowledge) -> str:
    """A service whose «ready by» reminder the conversation can render (the first one with a term)."""
    for service in kb.services.values():
        if getattr(service, "term", None) is not None and service.offices:
            return service.id
    return next(iter(kb.services))


async def seed(bot_db: Any, count: int, service: str, due: dt.datetime) -> None:
    users, reminders = cast(Table, User.__table__), cast(Table, Reminder.__table__)
    async with bot_db.begin() as conn:
        await conn.execute(
            insert(users),
            [{"channel": "telegram", "external_id": str(FIRST_CHAT + n), "language": "uk", "created_at": due,
              "last_seen_at": due, "active": True} for n in range(count)],
        )  # fmt: skip
        ids = (await conn.execute(select(users.c.id).order_by(users.c.id))).scalars().all()
        await conn.execute(
            insert(reminders),
            [{"user_id": uid, "channel": "telegram", "kind": "ready", "due_at": due, "status": "pending",
              "service": service, "target_day": due.date(), "attempts": 0, "created_at": due} for uid in ids],
        )  # fmt: skip


async def burst(
    count: int, rate: float = 30.0, *, kb: Knowledge | None = None, timeout: float = 3600
) -> Burst:
    """Send `count` due reminders through the emulator at `rate`. The bot's clock stands at a working-day morning,
    so the night rule (no reminders 21:00–08:00 Kyiv) never holds the burst back, whenever this runs."""
    kb = kb or load_knowledge()
    clock = ManualClock(BURST_AT)
    proc, emulator = await start_emulator()
    adapter = LimitingAdapter(emulator, rate)
    runner = web.AppRunner(adapter.app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=f"sqlite+aiosqlite:///{Path(tmp)}/burst.sqlite3",
                telegram_bot_token="555:BURST",
                telegram_api_server=f"http://127.0.0.1:{port}",
                telegram_global_rate=rate,
            )  # fmt: skip  (per chat: the default 1/s)
            bot = await build(settings, kb=kb, clock=clock)
            try:
                assert bot.telegram is not None and bot.reminders is not None
                await seed(bot.db, count, ready_service(kb), clock() - dt.timedelta(seconds=1))
                dispatcher = Dispatcher(
                    bot.uow_factory, senders(bot.uow_factory, bot.telegram),
                    render_with(bot.uow_factory, bot.reminders), single_process=True,
                )  # fmt: skip
                scheduler.start()
                started = time.monotonic()
                start_reminders(scheduler, dispatcher)
                while len(adapter.delivered) < count and time.monotonic() - started < timeout:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)  # anything sent twice would arrive now
                scheduler.shutdown(wait=False)
                async with bot.uow_factory() as uow:
                    sent_rows = len(await uow.reminders.listing(SENT))
            finally:
                await bot.close()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await runner.cleanup()
        await adapter.close()
        proc.terminate()
        await proc.wait()
    times = [t for t, _ in adapter.delivered]
    seconds = (max(times) - started) if times else float("inf")
    per_chat = Counter(chat for _, chat in adapter.delivered)
    peak, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    return Burst(
        count=count,
        rate=rate,
        seconds=seconds,
        achieved=len(times) / seconds if times else 0.0,
        peak_second=peak,
        duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
        too_many=adapter.too_many,
        sent_rows=sent_rows,
    )
