"""Viber callbacks a client never sends, signed as Viber signs: no traceback, no 5xx, one log line; callbacks
without a message_token are neither merged nor stored under a personal id; typed text that looks like a button is
text unless the keyboard on the citizen's screen has that button.

The webhook is mounted on a bare aiohttp app (the real engine, storage and sender; a fake Viber API on loopback),
so these tests are about the webhook alone, not the web middlewares in front of it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import Bot
from dialogs import texts
from dialogs.reading import MAX_TEXT
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from storage.db import make_sessionmaker
from storage.models import MessageLog, ProcessedUpdate, User
from testkit.clocks import TEST_NOW
from testkit.viber.citizen import ViberCitizen, sign
from testkit.viber.fake_api import FakeViberApi
from testkit.viber.rig import viber_app

TOKEN = "hostile-viber-token-0123456789"


@dataclass
class Rig:
    bot: Bot
    api: FakeViberApi
    client: TestClient  # type: ignore[type-arg]

    async def post(self, event: Any) -> Any:
        return await self.raw(
            json.dumps(event).encode()
        )  # ASCII escapes: a lone surrogate survives as «\ud800»

    async def raw(self, body: bytes) -> Any:
        headers = {"X-Viber-Content-Signature": sign(body, TOKEN), "Content-Type": "application/json"}
        return await self.client.post("/viber/webhook", data=io.BytesIO(body), headers=headers)

    async def count(self, model: type) -> int:
        await self.bot.uow_factory.write_log()
        async with make_sessionmaker(self.bot.db)() as s:
            return int((await s.execute(select(func.count()).select_from(model))).scalar_one())

    async def logged_in(self, user: str) -> list[str]:
        """The citizen's lines in the message log (a pressed button is logged as «[payload]»)."""
        await self.bot.uow_factory.write_log()
        async with make_sessionmaker(self.bot.db)() as s:
            rows = await s.execute(
                select(MessageLog.text)
                .join(User, User.id == MessageLog.user_id)
                .where(User.external_id == user, MessageLog.direction == "in")
                .order_by(MessageLog.id)
            )
            return list(rows.scalars())


class EchoingCitizen(ViberCitizen):
    """A citizen whose client echoes the tracking data of the last message it got, as Viber's clients do."""

    def tracking(self) -> str | None:
        messages = self.api.to(self.user)
        return messages[-1].get("tracking_data") if messages else None

    def message_event(self, message: dict[str, Any], token: int | None = None) -> dict[str, Any]:
        if (tracking := self.tracking()) is not None:
            message = {**message, "tracking_data": tracking}
        return super().message_event(message, token)


def _viber_only(bot: Bot) -> web.Application:
    """Only the Viber webhook, as the hostile shapes reach it."""
    assert bot.viber is not None
    app = web.Application()
    bot.viber.mount(app)
    return app


@pytest.fixture()
async def rig(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[Rig]:
    async with viber_app(tmp_path, kb, index, clock, TOKEN, app=_viber_only) as (bot, api, client):
        yield Rig(bot, api, client)


def _message(sender: Any, message: Any, token: Any = 1001) -> dict[str, Any]:
    return {"event": "message", "timestamp": 1700000000000, "message_token": token, "sender": sender,
            "message": message}  # fmt: skip


USER = {"id": "hostile-user-1==", "name": "Громадянин"}
TEXT = {"type": "text", "text": "прописка"}

SHAPES: dict[str, Any] = {
    "sender id is an object": _message({"id": {"x": 1}, "name": "x"}, TEXT),
    "sender id is a number": _message({"id": 5}, TEXT),
    "sender id is empty": _message({"id": ""}, TEXT),
    "sender id is too long": _message({"id": "u" * 65}, TEXT),
    "sender id has a lone surrogate": _message({"id": "user-\ud800"}, TEXT),
    "sender missing": {k: v for k, v in _message(USER, TEXT).items() if k != "sender"},
    "sender is a string": _message("someone", TEXT),
    "text is a number": _message(USER, {"type": "text", "text": 5}),
    "text is a list": _message(USER, {"type": "text", "text": ["a"]}),
    "text is null": _message(USER, {"type": "text", "text": None}),
    "message is a string": _message(USER, "hi"),
    "message has no type": _message(USER, {"text": "hi"}),
    "contact is a string": _message(USER, {"type": "contact", "contact": "067"}),
    "message_token is an object": _message(USER, TEXT, token={"x": 1}),
    "message_token is huge": _message(USER, TEXT, token=10**30),
    "subscribed user id is an object": {
        "event": "subscribed",
        "timestamp": 1,
        "message_token": 2,
        "user": {"id": {"x": 1}},
    },
    "conversation context is an object": {
        "event": "conversation_started",
        "timestamp": 1,
        "message_token": 3,
        "user": USER,
        "context": {"a": 1},
    },
    "unsubscribed user_id is a list": {"event": "unsubscribed", "timestamp": 1, "user_id": ["x"]},
    "delivered user_id missing": {"event": "delivered", "timestamp": 1, "message_token": 4},
    "event is a list": {"event": ["message"]},
    "event missing": {"timestamp": 1},
    "timestamp missing": {k: v for k, v in _message(USER, TEXT).items() if k != "timestamp"},
    "timestamp is a string of words": {**_message(USER, TEXT), "timestamp": "вчора"},
    "top level is a list": [1, 2, 3],
    "top level is a string": "message",
    "unknown event": {"event": "client_status", "timestamp": 1},
}


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("case", list(SHAPES))
async def test_a_callback_of_a_wrong_shape_gets_200_and_one_line(
    rig: Rig, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resp = await rig.post(SHAPES[case])
    assert resp.status == 200  # Viber retries anything else, and a retry would fail alike
    assert (await resp.json())["status"] == "ignored"
    assert not _tracebacks(caplog)
    lines = [r for r in caplog.records if r.name == "handlers.viber.webhook"]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "hostile-user" not in lines[0].getMessage()
    await asyncio.sleep(0.05)
    assert rig.api.sent == [] and await rig.count(User) == 0


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000 + b"]" * 1000, b'{"event": "message", "message_token": ' + b"7" * 5000 + b"}", b"\xff\xfe{"],
    ids=["nested 1000 deep", "5000-digit integer", "not utf-8"],
)
async def test_a_body_that_is_not_json_gets_400_and_no_traceback(
    rig: Rig, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    resp = await rig.raw(body)
    assert resp.status == 400
    assert not _tracebacks(caplog)


async def test_huge_text_and_a_lone_surrogate_are_handled(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    huge = _message(USER, {"type": "text", "text": "прописка " + "я" * 100_000}, token=11)  # 600 kB escaped
    surrogate = _message(USER, {"type": "text", "text": "прописка \ud800"}, token=12)
    for event in (huge, surrogate):
        resp = await rig.post(event)
        assert resp.status == 200 and (await resp.json())["status"] == "ok"
    assert not _tracebacks(caplog)
    logged = await rig.logged_in(USER["id"])
    assert len(logged) == 2 and len(logged[0]) <= MAX_TEXT and logged[1] == "прописка ?"
    too_big = _message(USER, {"type": "text", "text": "я" * 200_000}, token=13)  # over aiohttp's 1 MiB
    assert (await rig.post(too_big)).status == 413
    assert not _tracebacks(caplog)


async def test_callbacks_without_a_token_from_two_citizens_are_both_handled(rig: Rig) -> None:
    """Both once shared the key «None», and the second citizen was silently dropped."""
    stamp = int(TEST_NOW.timestamp() * 1000)  # any fixed moment: the two callbacks only share it
    for user in ("first-user==", "second-user=="):
        event = _message({"id": user, "name": "Громадянин"}, {"type": "text", "text": "/start"}, token=None)
        resp = await rig.post({**event, "timestamp": stamp})
        assert resp.status == 200
    await asyncio.sleep(0.2)
    assert await rig.count(User) == 2
    assert rig.api.to("first-user==") and rig.api.to("second-user==")


async def test_a_tokenless_callback_redelivered_is_handled_once_under_a_key_with_no_id(rig: Rig) -> None:
    user = "tokenless-user=="
    event = _message({"id": user}, {"type": "text", "text": "прописка"}, token=None)
    for _ in range(3):
        assert (await rig.post(event)).status == 200
    another = {**event, "timestamp": event["timestamp"] + 1}  # a new message with the same words
    assert (await rig.post(another)).status == 200
    assert await rig.logged_in(user) == ["прописка", "прописка"]
    subscribed = {"event": "subscribed", "timestamp": 5, "user": {"id": user, "name": "Громадянин"}}
    for _ in range(2):
        assert (await rig.post(subscribed)).status == 200
    async with make_sessionmaker(rig.bot.db)() as s:
        keys = list((await s.execute(select(ProcessedUpdate.key))).scalars())
    assert len(keys) == 3 and not any(user in key or "tokenless" in key for key in keys)


async def test_a_message_without_a_token_field_is_handled_like_a_null_token(rig: Rig) -> None:
    event = {k: v for k, v in _message({"id": "no-field=="}, TEXT).items() if k != "message_token"}
    for _ in range(2):  # a redelivery: handled once
        assert (await rig.post(event)).status == 200
    assert (await rig.post({**event, "timestamp": event["timestamp"] + 1})).status == 200
    assert await rig.logged_in("no-field==") == ["прописка", "прописка"]


async def test_typed_text_shaped_like_a_button_is_text(rig: Rig) -> None:
    citizen = EchoingCitizen(rig.client, rig.api, TOKEN)
    await citizen.send_text("/start")
    assert citizen.tracking() is not None  # every keyboard carries its buttons as tracking data
    await citizen.send_text("f:yes")  # typed: no «erase my data» button on the screen
    await citizen.send_text("q:ok:abc")
    logged = await rig.logged_in(citizen.user)
    assert logged[1:] == ["f:yes", "q:ok:abc"]  # read as text, not «[f:yes]»
    assert await rig.count(User) == 1
    assert not any(texts.FORGOTTEN in m.get("text", "") for m in rig.api.to(citizen.user))


async def test_a_pressed_button_is_a_button(rig: Rig) -> None:
    citizen = EchoingCitizen(rig.client, rig.api, TOKEN)
    await citizen.send_text("/start")
    menu = next(b["ActionBody"] for b in citizen.keyboard() if b["ActionBody"] != "m")
    await citizen.press(menu)
    await citizen.send_text("/forget")
    assert any(b["ActionBody"] == "f:yes" for b in citizen.keyboard())
    seen = await citizen.press("f:yes")  # now on the screen: pressing it erases
    assert texts.FORGOTTEN in seen.text
    assert await rig.count(User) == 0


async def test_without_our_tracking_data_the_old_rule_stays(rig: Rig) -> None:
    """A keyboard sent before tracking data existed: its buttons, even ones that no longer parse, are buttons."""
    citizen = ViberCitizen(rig.client, rig.api, TOKEN)  # sends no tracking data
    await citizen.send_text("/start")
    await citizen.send_text("m")
    await citizen.send_text("zz:top")
    await citizen.send_text("прописка")
    assert (await rig.logged_in(citizen.user))[1:] == ["[m]", "[zz:top]", "прописка"]


def test_tracking_data_fits_vibers_limit_for_the_largest_keyboard() -> None:
    from dialogs.messages import Button, Reply
    from handlers.viber.render import render
    from handlers.viber.webhook import MAX_TRACKING, offered

    payload = "v:" + "ї" * 31  # 64 bytes, the most a payload may be
    reply = Reply("текст", tuple((Button(f"{i}", f"{payload[:-2]}{i:02d}"),) for i in range(40)))
    (message,) = render(reply)
    assert message.tracking_data is not None and len(message.tracking_data) <= MAX_TRACKING
    bodies = offered(message.tracking_data)
    assert bodies is not None and len(bodies) == 24 and "m" in bodies
