"""A ticket flood against the real bot and the telegram-test-api emulator with Telegram's pace for the operator
group on (the bot paces itself at 20 a minute per group; the adapter answers 429 beyond 20 calls in any 60 s),
and what reaches people behind it: shared by tests/e2e/telegram/test_flood_e2e.py and `python -m bench.flood`.

The scenario (issue 20, «A ticket flood stalls everything behind it»):
1. a genuine Telegram citizen asks for an operator; the operator takes the ticket on the group's queue message
   (its topic opens with the context card);
2. `tickets` web sessions from as many addresses (X-Forwarded-For through a trusted proxy: a botnet, so the
   per-address cap does not stop it) each open a ticket, some writing a line while they wait; each request's
   time is recorded;
3. right after it: the staff close a day with a citizen's booking on it (→ `closure_s`, from the commit of the
   notice, which nothing kicks, to its arrival: the periodic run's path); then at once the operator answers the
   genuine citizen (→ `reply_s`, until it is in the citizen's chat) and another genuine citizen asks for an
   operator (→ `question_s`, until the group's queue message counts them);
4. the injected clock is moved to a reminder's due time (→ `reminder_s`, until it is in the citizen's chat).
Due times are the fake clock's; the latencies are real elapsed seconds. The bot runs its production jobs (the
outbox every 5 s with the kicker's lanes, the reminders every 5 s) in an APScheduler of its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import build
from bot.outbox import senders, start_outbox
from bot.reminders import Dispatcher, render_with, start_reminders
from bot.settings import Settings
from dialogs.booking.notices import close_day_and_notify
from dialogs.booking.service import BookingService, new_token
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.booking import Booking
from storage.clock import ManualClock
from testkit.people import phone_for
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import start_adapter
from testkit.telegram.operator import TelegramOperator, TopicMessage

GROUP = -1001234567890
OPERATOR, OPERATOR_NAME = 501, "Оксана"
MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # 11:00 in Kyiv: the hotline answers
TUESDAY = dt.date(2026, 12, 8)  # the day the staff close
OFFICE, SERVICE = "visa-main", "drs-passport-id-lost"
READY_SERVICE = "drs-birth-registration"  # a service with a term: a «ready by» reminder
REASON = "аварійне відключення електроенергії"
PATIENCE = 60.0  # seconds any one wait may take before the run gives up (a figure beyond 10 s fails anyway)
_tokens = itertools.count(700001)


@dataclass
class FloodFigures:
    tickets: int
    flood_s: float = 0.0  # the flood's requests, first to last answer
    request_ms: list[float] = field(default_factory=list)  # each flood request's time
    reply_s: float = 0.0  # an operator's reply to the genuine citizen, sent → in their chat
    closure_s: float = 0.0  # a closed day's notice, committed → in the citizen's chat
    question_s: float = 0.0  # a genuine citizen's «оператор» after the flood, sent → counted on the queue message
    reminder_s: float = 0.0  # a reminder, due (the clock moved) → in the citizen's chat
    group_calls_flood: int = 0  # calls into the operator group from the flood's start until it was answered
    group_calls: int = 0  # … from the flood's start to the end of the run
    topics: int = 0  # forum topics that exist at the end
    refused_429: int = 0  # the adapter's 429s for the group
    board: str = ""  # the queue message at the end


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> float:
    """Seconds until `check` holds (polled every 50 ms), from the call."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > PATIENCE:
            raise AssertionError(f"{what}: not within {PATIENCE} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def _texts(citizen: TelegramCitizen) -> list[str]:
    return [str(h["message"].get("text", "")) for h in await citizen.history()]


def _board(messages: list[TopicMessage]) -> TopicMessage | None:
    found = [m for m in messages if m.from_bot and m.thread_id is None and m.text.startswith("📋")]
    return found[-1] if found else None


async def run_flood(
    emulator_url: str, workdir: Path, kb: Knowledge, index: SearchIndex, *, tickets: int = 300,
    group_rate: float = 20.0, concurrency: int = 20, lines: int = 60,
) -> FloodFigures:  # fmt: skip
    figures = FloodFigures(tickets)
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    adapter.group_limit = (int(group_rate), 60.0)
    token = f"{next(_tokens)}:FLOOD-TOKEN"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{workdir}/flood.sqlite3",
        telegram_bot_token=token,
        telegram_api_server=adapter_url,
        telegram_group_rate=group_rate,
        operator_chat_id=GROUP,
        operator_ids=str(OPERATOR),
        trusted_proxies="127.0.0.1",
    )
    clock = ManualClock(MONDAY)
    bot = await build(settings, kb=kb, index=index, clock=clock)
    assert bot.telegram is not None and bot.reminders is not None and bot.kicker is not None
    polling = asyncio.create_task(bot.telegram.run_polling())
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    channels = senders(bot.uow_factory, bot.telegram, bot.viber)
    start_outbox(scheduler, bot.uow_factory, channels, kicker=bot.kicker)
    start_reminders(scheduler, Dispatcher(
        bot.uow_factory, channels, render_with(bot.uow_factory, bot.reminders),
        on_sent=bot.reminders.after_sent, single_process=True,
    ))  # fmt: skip
    scheduler.start()
    people = [TelegramCitizen(emulator_url, token, keyboards=adapter.keyboards) for _ in range(4)]
    genuine, closed, reminded, late = people
    operator = TelegramOperator(emulator_url, token, GROUP, OPERATOR, OPERATOR_NAME, adapter)
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as http:
            # 1. A genuine citizen in a conversation with an operator.
            for citizen in people:
                await citizen.send_text("/start")
            await genuine.send_text("хочу поговорити з оператором")
            await _until(
                lambda: _has_button(operator, "tk:take:1"), "the genuine ticket on the queue message"
            )
            await operator.press("tk:take:1")
            card = await operator.wait_for(lambda m: m.text.startswith("🎫 №1 ") and m.thread_id is not None,
                                           timeout=PATIENCE)  # fmt: skip
            topic = card.thread_id
            # Who the closure and the reminder are for.
            booking = BookingService(kb, martial_law=settings.martial_law,
                                     holidays_are_days_off=settings.holidays_off())  # fmt: skip
            async with bot.uow_factory() as uow:
                user = await uow.users.get("telegram", str(closed.user_id))
                assert user is not None
                await uow.people.verify(user, phone_for("telegram", user.external_id), "telegram")
                times = await booking.times(uow, OFFICE, SERVICE, TUESDAY, now=clock(), priority=False)
                booked = await booking.book(uow, user, office=OFFICE, service=SERVICE, start=times[0].start,
                                            priority_group=None, token=new_token(), now=clock())  # fmt: skip
                assert isinstance(booked, Booking), booked  # only a verified citizen books
                user = await uow.users.get("telegram", str(reminded.user_id))
                assert user is not None
                await bot.reminders.ready(uow, user, READY_SERVICE, MONDAY.date(), clock())
                (reminder,) = await uow.reminders.for_user(user.id)
                due = reminder.due_at

            # 2. The flood.
            calls = adapter.group_calls.setdefault((token, GROUP), [])
            started = time.monotonic()
            gate = asyncio.Semaphore(concurrency)

            async def one(i: int) -> None:
                headers = {"X-Forwarded-For": f"10.{i // 60000}.{i // 250 % 240}.{i % 250 + 1}"}
                async with gate:
                    t0 = time.monotonic()
                    resp = await http.post("/api/chat", json={"session": f"flood-{i}", "text": "оператор"},
                                           headers=headers)  # fmt: skip
                    body = await resp.json()
                    figures.request_ms.append((time.monotonic() - t0) * 1000)
                    assert "Ви в черзі" in body["replies"][0]["text"], body
                    if i < lines:
                        await http.post("/api/chat", json={"session": f"flood-{i}", "text": "терміново!!!"},
                                        headers=headers)  # fmt: skip

            await asyncio.gather(*(one(i) for i in range(tickets)))
            flood_end = time.monotonic()
            figures.flood_s = flood_end - started

            # 3. What is owed to people right after it, all at once.
            async def reply() -> None:
                before = len(await genuine.history())
                t0 = time.monotonic()
                await operator.send_text("Ваша заява вже в роботі.", topic)

                async def arrived() -> bool:
                    return any("Ваша заява вже в роботі." in t for t in (await _texts(genuine))[before:])

                await _until(arrived, "the operator's reply")
                figures.reply_s = time.monotonic() - t0

            async def closure() -> None:
                async with bot.uow_factory() as uow:
                    done = await close_day_and_notify(booking, uow, OFFICE, TUESDAY, REASON, clock())
                assert done.notified == 1
                figures.closure_s = await _until(
                    lambda: _any_text(closed, REASON), "the closed day's notice"
                )

            async def question() -> None:
                t0 = time.monotonic()
                await late.send_text("оператор")

                async def counted() -> bool:
                    board = _board(await operator.messages())
                    return board is not None and f"Черга до оператора: {tickets + 1}." in board.text

                await _until(counted, "the genuine question on the queue message")
                figures.question_s = time.monotonic() - t0

            await closure()  # alone: as from the staff command's own process, the periodic run finds it
            await asyncio.gather(reply(), question())
            figures.group_calls_flood = len([at for at, _ in calls if started <= at <= flood_end])

            # 4. A reminder falls due.
            before = len(await reminded.history())
            clock.now = due

            async def reminded_now() -> bool:
                return len(await reminded.history()) > before

            figures.reminder_s = await _until(reminded_now, "the reminder")
            figures.group_calls = len([at for at, _ in calls if at >= started])
            figures.topics = len([t for t in adapter.topics.get((token, GROUP), {}).values() if not t.deleted])
            figures.refused_429 = adapter.refused_429
            board = _board(await operator.messages())
            figures.board = board.text if board is not None else ""
    finally:
        scheduler.shutdown(wait=False)
        try:
            await bot.telegram.dispatcher.stop_polling()
        except RuntimeError:
            polling.cancel()
        await asyncio.wait_for(asyncio.gather(polling, return_exceptions=True), timeout=10)
        for client in [*people, operator]:
            await client.close()
        await bot.close()
        await adapter.close()
        await runner.cleanup()
    return figures


async def _has_button(operator: TelegramOperator, payload: str) -> bool:
    board = _board(await operator.messages())
    return board is not None and payload in [p for _, p in board.buttons]


async def _any_text(citizen: TelegramCitizen, needle: str) -> bool:
    return any(needle in t for t in await _texts(citizen))
