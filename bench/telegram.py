"""Telegram throughput: the real bot vs a bare aiogram echo bot, in the same run.

Run: `.venv/bin/python -m bench.telegram [--messages N] [--updates N] [--rounds N] [--in-process-only]`
(after ./scripts/test.sh set things up).

1. Through the telegram-test-api emulator (with the test adapter in front, as in the e2e tests): citizens send
   N messages; messages/s until every reply has arrived. The real bot answers a search question («прописка»);
   the echo bot repeats the text. Pacing is raised so both measure processing, not Telegram's limits.
2. In-process: `Dispatcher.feed_update` of the real bot vs a bare echo handler on the same fake session, in
   alternating rounds; the median ratio of the rounds is reported. The update objects are built before the clock
   starts; both dispatchers re-bind them to their bot, as aiogram does for any update built without one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from aiogram import Bot as AiogramBot
from aiogram import Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Chat, Message, Update, User

from bot.app import build
from bot.settings import Settings
from storage.clock import system_clock
from testkit.fake_telegram import FakeSession
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.adapter_base import emulator_session
from testkit.telegram.emulator import start_adapter, start_emulator

QUESTION = "прописка"


def echo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def pump(emulator: str, adapter: EmulatorAdapter, token: str, n: int, users: int) -> float:
    """Send n messages from `users` citizens; seconds until the bot has sent n replies (counted in the adapter,
    so the measurement itself puts no load on the emulator)."""
    before = adapter.methods.count("sendMessage")
    async with emulator_session() as http:
        start = time.perf_counter()
        for i in range(n):
            uid = 5000 + i % users
            person = {"id": uid, "is_bot": False, "first_name": "Б"}
            msg = {"from": person, "chat": {"id": uid, "type": "private"}, "date": int(time.time()),
                   "text": QUESTION, "botToken": token}  # fmt: skip
            await http.post(f"{emulator}/sendMessage", json=msg)
        while adapter.methods.count("sendMessage") - before < n:
            await asyncio.sleep(0.005)
        return time.perf_counter() - start


async def through_emulator(n: int, users: int) -> tuple[float, float]:
    proc, emulator = await start_emulator()
    adapter, runner, url = await start_adapter(emulator)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("echo", "real"):
            token = f"{900 + len(results)}:BENCH"
            if kind == "echo":
                bot = AiogramBot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
                dp = echo_dispatcher()
            else:
                settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{Path(tmp)}/b.sqlite3",  # type: ignore[call-arg]
                                    telegram_bot_token=token, telegram_api_server=url,
                                    telegram_per_chat_rate=1000, telegram_global_rate=1000)  # fmt: skip
                real = await build(settings, clock=system_clock)
                assert real.telegram is not None
                bot, dp = real.telegram.bot, real.telegram.dispatcher
            task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
            seconds = await pump(emulator, adapter, token, n, users)
            results.append(n / seconds)
            await dp.stop_polling()
            await asyncio.gather(task, return_exceptions=True)
            await bot.session.close()
            if kind == "real":
                await real.close()
    await runner.cleanup()  # first: a request still in flight must not find the adapter's session closed
    await adapter.close()
    proc.terminate()
    await proc.wait()
    return results[0], results[1]


def update(i: int) -> Update:
    user = User(id=7000 + i % 50, is_bot=False, first_name="Б")
    chat = Chat(id=user.id, type="private")
    msg = Message(message_id=i, date=dt.datetime.now(dt.UTC), chat=chat, from_user=user, text=QUESTION)
    return Update(update_id=i, message=msg)


async def in_process(n: int, rounds: int = 5) -> tuple[float, float, float]:
    """Updates per second of the echo bot and of the real bot, and the median of the per-round ratios.

    The two run in alternating rounds of n updates, so a noisy minute of the machine hits both alike."""
    echo_rates, real_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        echo_bot = AiogramBot("1:ECHO", session=FakeSession())
        echo = echo_dispatcher()
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp}/p.sqlite3",  # type: ignore[call-arg]
                            telegram_bot_token="2:REAL", telegram_per_chat_rate=1e6, telegram_global_rate=1e6)  # fmt: skip
        real = await build(settings, clock=system_clock)
        assert real.telegram is not None
        real.telegram.bot.session = FakeSession()
        pairs = ((echo_bot, echo, echo_rates), (real.telegram.bot, real.telegram.dispatcher, real_rates))
        for bot, dp, _ in pairs:
            for i in range(20):  # warm-up
                await dp.feed_update(bot, update(10_000_000 + i))
        next_id = 1
        for _ in range(rounds):
            for bot, dp, rates in pairs:
                batch = [update(next_id + i) for i in range(n)]
                next_id += n
                start = time.perf_counter()
                for u in batch:
                    await dp.feed_update(bot, u)
                rates.append(n / (time.perf_counter() - start))
        await real.close()
    ratios = [r / e for e, r in zip(echo_rates, real_rates, strict=True)]
    return statistics.median(echo_rates), statistics.median(real_rates), statistics.median(ratios)


async def main(messages: int, updates: int, rounds: int) -> None:
    # In-process first: the emulator's teardown (a node process exiting) must not land in its rounds.
    echo_u, real_u, ratio = await in_process(updates // rounds, rounds)
    echo, real = await through_emulator(messages, users=20)
    print("| run | echo bot | real bot | ratio real/echo |\n|---|---|---|---|")
    print(
        f"| through the emulator, {messages} messages from 20 citizens (msg/s) "
        f"| {echo:.1f} | {real:.1f} | {real / echo:.2f} |"
    )
    print(
        f"| in-process feed_update, {updates} updates in {rounds} alternating rounds (updates/s, medians) "
        f"| {echo_u:.0f} | {real_u:.0f} | {ratio:.3f} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--in-process-only", action="store_true")
    args = parser.parse_args()
    if args.in_process_only:
        print(asyncio.run(in_process(args.updates // args.rounds, args.rounds)))
    else:
        asyncio.run(main(args.messages, args.updates, args.rounds))
