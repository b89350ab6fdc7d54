"""Tests that catch one-line bugs planted by hand in the channel senders, the Viber webhook and the web API
(issue 13, «tests that can fail»). Each test names the bug it is for; each was seen failing with it planted.

No real waiting: asyncio.sleep is replaced by a recorder and the Viber hourly limit gets a fixed clock."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot as AiogramBot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetMe, SendMessage
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from dialogs.messages import MAX_PAYLOAD_BYTES, Reply
from handlers.telegram.sender import MAX_ATTEMPTS, TelegramSender
from handlers.viber.sender import QuietLimit, ViberSender
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.fake_telegram import FakeSession
from testkit.viber.citizen import sign
from testkit.viber.fake_api import FakeViberApi
from testkit.viber.rig import viber_app
from tests.handlers.test_telegram_unit import _tg_bot, feed, message_update

_real_sleep = asyncio.sleep


@pytest.fixture()
def slept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every duration anything awaited with asyncio.sleep; nothing really waits."""
    durations: list[float] = []

    async def record(delay: float, result: Any = None) -> Any:
        durations.append(delay)
        return await _real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", record)
    yield durations


async def _never(_: int) -> None:
    return None


def _sender(session: FakeSession) -> TelegramSender:
    return TelegramSender(
        AiogramBot("1:PLANTED", session=session), _never, per_chat_rate=1000, per_chat_burst=100
    )


def _retry_after(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(SendMessage(chat_id=42, text="x"), "Too Many Requests", retry_after=seconds)


# --- Telegram 429 (planted: retry_after not waited) -------------------------------------------------------------


async def test_a_429_waits_exactly_what_telegram_asks_then_retries(slept: list[float]) -> None:
    session = FakeSession()
    session.fail_next = [_retry_after(7)]
    assert await _sender(session).send_text(42, "привіт") is True
    assert slept == [7]  # Telegram said 7 s: neither less (another 429) nor a guess of our own
    assert len(session.sent()) == 2


async def test_429s_in_a_row_are_each_waited_and_the_attempts_are_bounded(slept: list[float]) -> None:
    session = FakeSession()
    session.fail_next = [_retry_after(3 + i) for i in range(MAX_ATTEMPTS)]
    assert await _sender(session).send_text(42, "привіт") is False
    assert slept == [3 + i for i in range(MAX_ATTEMPTS)]
    assert len(session.sent()) == MAX_ATTEMPTS


async def test_other_api_calls_wait_out_a_429_too(slept: list[float]) -> None:
    session = FakeSession()
    session.fail_next = [_retry_after(11)]
    sender = _sender(session)
    assert await sender.call(42, lambda: sender.bot.send_message(42, "x")) is not None
    assert slept == [11]


# --- Telegram send errors (planted: the sender raises instead of returning False) -------------------------------


def _bad_request() -> Exception:
    return TelegramBadRequest(SendMessage(chat_id=42, text="x"), "Bad Request: can't parse entities")


def _forbidden() -> Exception:
    return TelegramForbiddenError(SendMessage(chat_id=42, text="x"), "Forbidden: bot was blocked by the user")


def _network() -> Exception:
    return TelegramNetworkError(GetMe(), "connection reset")


def _server() -> Exception:
    return TelegramServerError(GetMe(), "Bad Gateway")


FAILURES: dict[str, Callable[[], list[Exception]]] = {
    "unexpected error": lambda: [RuntimeError("boom")],
    "bad request": lambda: [_bad_request()],
    "blocked": lambda: [_forbidden()],
    "network down every attempt": lambda: [_network() for _ in range(MAX_ATTEMPTS)],
    "server error every attempt": lambda: [_server() for _ in range(MAX_ATTEMPTS)],
    "429 every attempt": lambda: [_retry_after(1) for _ in range(MAX_ATTEMPTS)],
}


@pytest.mark.parametrize("case", list(FAILURES))
async def test_a_failed_send_returns_false_and_never_raises(case: str, slept: list[float]) -> None:
    session = FakeSession()
    session.fail_next = FAILURES[case]()
    sender = _sender(session)
    assert await sender.send_text(42, "привіт") is False
    session.fail_next = FAILURES[case]()
    assert await sender.send_replies(42, [Reply("привіт")]) is False
    session.fail_next = FAILURES[case]()
    await sender.edit_or_send(42, 1, Reply("привіт"))  # the edit fails, then a send is tried: no exception


async def test_a_failed_send_in_a_handler_is_logged_by_the_sender_alone(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, caplog: pytest.LogCaptureFixture
) -> None:
    """After the commit the handler swallows what a sender raises; so that a raising sender still shows, the one
    error record must be the sender's own (its «unexpected error»), not the after-commit safety net's."""
    bot, session = await _tg_bot(tmp_path, kb, index)
    try:
        session.fail_next = [RuntimeError("boom")]
        caplog.set_level(logging.INFO)
        await feed(bot, message_update(1, "/start"))
        errors = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert [r.name for r in errors] == ["handlers.telegram.sender"], [
            (r.name, r.getMessage()) for r in errors
        ]
    finally:
        await bot.close()


# --- Viber: a reply resets the 100-per-hour count (planted: heard_from no longer resets / no longer called) -----


def test_the_quiet_limit_counts_and_a_reply_starts_it_again() -> None:
    quiet = QuietLimit(limit=3, window=3600, clock=lambda: 1000.0)
    assert [quiet.allow("u") for _ in range(4)] == [True, True, True, False]
    assert quiet.allow("other")  # per user
    quiet.heard_from("u")
    assert [quiet.allow("u") for _ in range(4)] == [True, True, True, False]


def test_the_quiet_limit_forgets_sends_older_than_an_hour() -> None:
    now = [0.0]
    quiet = QuietLimit(limit=2, window=3600, clock=lambda: now[0])
    assert quiet.allow("u") and quiet.allow("u") and not quiet.allow("u")
    now[0] = 3599.0
    assert not quiet.allow("u")
    now[0] = 3600.0
    assert quiet.allow("u")


VIBER_TOKEN = "planted-viber-token-0123456789"


@dataclass
class ViberRig:
    bot: Bot
    api: FakeViberApi
    client: TestClient  # type: ignore[type-arg]

    @property
    def sender(self) -> ViberSender:
        assert self.bot.viber is not None
        return self.bot.viber.sender

    async def post(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {"X-Viber-Content-Signature": sign(body, VIBER_TOKEN), "Content-Type": "application/json"}
        resp = await self.client.post("/viber/webhook", data=body, headers=headers)
        assert resp.status == 200, await resp.text()
        await self.sent()

    async def sent(self) -> None:
        """Wait for the background sends (no sleeping: the sender keeps its tasks)."""
        while tasks := list(self.sender._tasks):
            await asyncio.gather(*tasks)


def _text(user: str, text: str, token: int | None, stamp: int = 1_700_000_000_000) -> dict[str, Any]:
    return {
        "event": "message",
        "timestamp": stamp,
        "message_token": token,
        "sender": {"id": user, "name": "Громадянин"},
        "message": {"type": "text", "text": text},
    }


@pytest.fixture()
async def viber(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[ViberRig]:
    async with viber_app(tmp_path, kb, index, clock, VIBER_TOKEN) as (bot, api, client):
        yield ViberRig(bot, api, client)


async def test_a_citizens_message_lets_the_bot_answer_after_a_quiet_hours_hundred(viber: ViberRig) -> None:
    user = "quiet-user=="
    viber.sender.quiet = QuietLimit(limit=5, window=3600, clock=lambda: 1000.0)  # the clock never moves
    for _ in range(5):  # reminders and notices sent while the citizen said nothing fill the hour's count
        assert viber.sender.quiet.allow(user)
    assert not viber.sender.quiet.allow(user)
    await viber.post(_text(user, "/start", token=1))
    assert viber.api.to(user), "the citizen wrote, so the count starts again and the answer goes out"


# --- Viber dedup (planted: keyed by the timestamp instead of the message_token) ---------------------------------


async def test_two_citizens_writing_in_the_same_millisecond_are_both_answered(viber: ViberRig) -> None:
    await viber.post(_text("same-ms-1==", "/start", token=101))
    await viber.post(_text("same-ms-2==", "/start", token=102))
    assert viber.api.to("same-ms-1==") and viber.api.to("same-ms-2==")


async def test_two_messages_of_one_citizen_with_one_timestamp_are_both_answered(viber: ViberRig) -> None:
    user = "fast-typist=="
    await viber.post(_text(user, "/start", token=201))
    started = len(viber.api.to(user))
    await viber.post(_text(user, "контакти", token=202))  # the same millisecond, another message
    answered = len(viber.api.to(user))
    assert answered > started
    await viber.post(_text(user, "контакти", token=202))  # Viber redelivers the same message: dropped
    await viber.post(_text(user, "контакти", token=202, stamp=1_700_000_009_999))  # even later: dropped
    assert len(viber.api.to(user)) == answered


# --- the web API's payload limit (planted: the 64-byte check removed) -------------------------------------------


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


async def test_a_payload_over_64_bytes_is_refused_with_400(
    client: TestClient,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert MAX_PAYLOAD_BYTES == 64  # Telegram's callback_data limit: the same string on every channel
    for payload in ("m:" + "x" * 63, "v:" + "ї" * 32):  # 65 and 66 bytes
        resp = await client.post("/api/chat", json={"session": "payload-limit", "payload": payload})
        assert resp.status == 400
        assert "64 bytes" in (await resp.json())["error"]
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_payload_of_exactly_64_bytes_is_taken(client: TestClient) -> None:  # type: ignore[type-arg]
    payload = "v:" + "ї" * 31  # 64 bytes, the most a payload may be
    resp = await client.post("/api/chat", json={"session": "payload-limit", "payload": payload})
    assert resp.status == 200
    assert (await resp.json())["replies"]
