"""Relay latency of the operator handoff through the telegram-test-api emulator, against the same run's ordinary
reply.

Run: `.venv/bin/python -m bench.handoff_relay [--rounds N]` (after ./scripts/test.sh set things up).

The real bot (long polling, SQLite, an operator group with topics) behind the test adapter. Each round, one after
the other (so nothing queues behind anything):
1. ordinary reply: a citizen not in a ticket asks «прописка»; the time until the bot sends its answer;
2. citizen → topic: a citizen an operator holds writes a line; the time until the bot posts it in the topic;
3. topic → citizen: the operator writes in the topic; the time until the bot sends it to the citizen.
Each time runs from the client's request to the emulator until the adapter receives the bot's call, so all three
include the same long-poll pick-up; what differs is what the bot does in between (the relays go through the
outbox: a row in the update's transaction, then a dispatch right after commit).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import build
from bot.settings import Settings
from testkit.net import free_port
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import start_emulator
from testkit.telegram.operator import TelegramOperator

GROUP = -1001234567890
OPERATOR = 501
MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # within the hotline's hours


class TimingAdapter(EmulatorAdapter):
    """The test adapter, noting when the bot sends something to a chat: (monotonic time, chat id, text)."""

    def __init__(self, emulator_url: str) -> None:
        super().__init__(emulator_url)
        self.sent: list[tuple[float, str, str]] = []
        self.app.middlewares.append(self.timed)

    @web.middleware
    async def timed(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.match_info.get("method", "").lower() in ("sendmessage", "copymessage"):
            params: dict[str, Any] = dict(await request.post())
            self.sent.append((time.monotonic(), str(params.get("chat_id")), str(params.get("text", ""))))
        response: web.StreamResponse = await handler(request)
        return response


async def _until(adapter: TimingAdapter, chat: str, marker: str, since: int, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for at, to, text in adapter.sent[since:]:
            if to == chat and marker in text:
                return at
        await asyncio.sleep(0.001)
    raise TimeoutError(f"{marker!r} never reached chat {chat}")


async def _timed(adapter: TimingAdapter, chat: str, marker: str, act: Any) -> float:
    since = len(adapter.sent)
    t0 = time.monotonic()
    task = asyncio.create_task(act)
    at = await _until(adapter, chat, marker, since)
    await task
    return (at - t0) * 1000


async def _say(client: TelegramCitizen | TelegramOperator, text: str, thread: int | None = None) -> None:
    """Post a message to the emulator as this client, without waiting for an answer (a held citizen gets none)."""
    if isinstance(client, TelegramOperator):
        body = client._message(thread, text=text)
    else:
        body = {"from": client._person(), "chat": client._chat(), "date": int(time.time()), "text": text}
    async with client.session.post(
        f"{client.url}/sendMessage", json={**body, "botToken": client.token}
    ) as resp:
        assert resp.status == 200


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(rounds: int) -> None:
    proc, emulator = await start_emulator()
    adapter = TimingAdapter(emulator)
    runner = web.AppRunner(adapter.app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    token = "424242:BENCH-RELAY"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'relay.sqlite3'}",
            telegram_bot_token=token,
            telegram_api_server=f"http://127.0.0.1:{port}",
            telegram_per_chat_rate=1000,
            telegram_global_rate=1000,
            telegram_group_rate=60000,  # the group's pace (20 a minute) is measured by `bench.flood --tickets`
            operator_chat_id=GROUP,
            operator_ids=str(OPERATOR),
            flood_burst=0,  # a benchmark sends faster than a person: flood control off
        )
        bot = await build(settings, clock=lambda: MONDAY)
        assert bot.telegram is not None
        polling = asyncio.create_task(bot.telegram.run_polling())
        asker = TelegramCitizen(emulator, token, 9001, keyboards=adapter.keyboards)
        held = TelegramCitizen(emulator, token, 9002, keyboards=adapter.keyboards)
        operator = TelegramOperator(emulator, token, GROUP, OPERATOR, "Оксана", adapter)
        try:
            await held.send_text("оператор")
            # «Взяти» on the group's queue message opens the ticket's topic (issue 20).
            await operator.wait_for(lambda m: m.thread_id is None and "tk:take:1" in [p for _, p in m.buttons])
            await operator.press("tk:take:1")
            card = await operator.wait_for(lambda m: m.text.startswith("🎫 №1 ") and m.thread_id is not None)
            topic = card.thread_id
            await operator.wait_for("Взяв(-ла)", topic)
            ordinary: list[float] = []
            to_topic: list[float] = []
            to_citizen: list[float] = []
            for i in range(rounds):
                ordinary.append(await _timed(adapter, "9001", "", _say(asker, "прописка")))
                await asyncio.sleep(0.05)
                line = f"питання {i}"
                to_topic.append(await _timed(adapter, str(GROUP), line, _say(held, line)))
                await asyncio.sleep(0.05)
                answer = f"відповідь {i}"
                to_citizen.append(await _timed(adapter, "9002", answer, _say(operator, answer, topic)))
                await asyncio.sleep(0.05)
        finally:
            await bot.telegram.dispatcher.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
            for client in (asker, held, operator):
                await client.close()
            await bot.close()
            await adapter.close()
            await runner.cleanup()
            proc.terminate()
            await proc.wait()
    print("| path | n | p50 ms | p99 ms |\n|---|---|---|---|")
    for name, samples in (
        ("ordinary reply (baseline)", ordinary),
        ("citizen → topic", to_topic),
        ("topic → citizen", to_citizen),
    ):
        print(f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | {_p(samples, 0.99):.1f} |")
    base = statistics.median(ordinary)
    print(
        f"\nrelay / ordinary reply (p50): citizen → topic {statistics.median(to_topic) / base:.2f}, "
        f"topic → citizen {statistics.median(to_citizen) / base:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rounds))
