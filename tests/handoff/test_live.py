"""The web chat's live connection (Server-Sent Events) through a real aiohttp server on loopback: an operator's
line written for a web citizen arrives on the open stream at once (no reload, no waiting for the poll), a
reconnecting page resumes after the last event it got (Last-Event-ID), and the history shows the line with the
role "operator"."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from dialogs.engine import Engine
from dialogs.handoff import texts
from dialogs.handoff.canned import CannedAnswers
from dialogs.handoff.desk import Desk, OperatorEvent
from dialogs.turns import Turns
from handlers.web import live as live_module
from handlers.web.live import setup_live
from handlers.web.routes import setup_web

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # Monday 11:00 in Kyiv: the hotline is open
SESSION = "live-citizen"
TOPIC = 900
ARRIVES_WITHIN = 1.0  # seconds; the stream's own poll is POLL (5 s), so only the wake-up can be this quick


@dataclass
class Setup:
    bot: Bot
    client: TestClient  # type: ignore[type-arg]
    desk: Desk


@pytest.fixture()
async def setup(bot: Bot) -> AsyncIterator[Setup]:
    assert bot.handoff is not None
    bot.handoff.enabled = True
    e = bot.engine
    engine = Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=lambda: NOW, rooms=list(e.rooms))
    app = web.Application()
    turns = Turns(engine, bot.uow_factory)
    hub = setup_live(app, turns)
    setup_web(app, turns)
    bot.handoff.live = hub.notify  # this app's hub, as the composition root hands its own at construction
    canned = CannedAnswers(e.kb, engine.views, martial_law=True)
    desk = Desk(bot.handoff, frozenset({"77"}), canned, canned.keys)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Setup(bot, client, desk)


async def _post(s: Setup, text: str) -> list[dict[str, Any]]:
    resp = await s.client.post("/api/chat", json={"session": SESSION, "text": text})
    assert resp.status == 200
    replies: list[dict[str, Any]] = (await resp.json())["replies"]
    return replies


async def _operator_says(s: Setup, text: str) -> None:
    async with s.bot.uow_factory() as uow:
        await s.desk.handle(uow, OperatorEvent("77", "Ірина", TOPIC, text=text), NOW)


async def _open_ticket(s: Setup) -> None:
    replies = await _post(s, "оператор")
    assert "Передаю розмову оператору" in replies[0]["text"]
    async with s.bot.uow_factory() as uow:
        user = await uow.users.get("web", SESSION)
        assert user is not None
        ticket = await uow.tickets.active_for(user.id)
        assert ticket is not None
        assert await uow.tickets.set_topic(ticket.id, TOPIC, was=None)


async def _event(resp: ClientResponse, timeout: float = ARRIVES_WITHIN) -> dict[str, str]:
    """The next event of the stream (comments and the retry line skipped)."""
    fields: dict[str, str] = {}
    async with asyncio.timeout(timeout):
        while True:
            raw = await resp.content.readline()
            assert raw, "the stream ended"
            line = raw.decode().rstrip("\n")
            if not line:
                if "data" in fields:
                    return fields
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value


async def _stream(s: Setup, **headers: str) -> ClientResponse:
    resp = await s.client.get("/api/chat/live", params={"session": SESSION}, headers=headers)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    return resp


async def test_an_operator_line_arrives_live_resumes_and_is_in_the_history(setup: Setup) -> None:
    s = setup
    await _open_ticket(s)
    resp = await _stream(s)
    try:
        await _operator_says(s, "Добрий день! Я Ірина, чим допомогти?")
        taken = await _event(resp)  # written by the take the line implies
        said = await _event(resp)
    finally:
        resp.close()
    assert taken["event"] == "message" and said["event"] == "message"
    first, second = json.loads(taken["data"]), json.loads(said["data"])
    assert (first["role"], first["text"]) == ("bot", texts.TAKEN.format(name="Ірина"))
    assert (second["role"], second["text"]) == (
        "operator",
        "👤 Оператор: Добрий день! Я Ірина, чим допомогти?",
    )
    assert second["buttons"] == [[{"text": texts.END, "payload": "o:end"}]]
    assert int(said["id"]) == second["id"] > int(taken["id"]) == first["id"]

    # The page went away; the operator wrote twice; the page comes back with the last id it got.
    await _operator_says(s, "Ви тут?")
    await _operator_says(s, "Напишіть, будь ласка, номер картки послуги")
    resp = await _stream(s, **{"Last-Event-ID": said["id"]})
    try:
        resumed = [json.loads((await _event(resp))["data"]) for _ in range(2)]
        with pytest.raises(TimeoutError):  # nothing older is sent again
            await _event(resp, timeout=0.3)
    finally:
        resp.close()
    assert [m["text"] for m in resumed] == [
        "👤 Оператор: Ви тут?",
        "👤 Оператор: Напишіть, будь ласка, номер картки послуги",
    ]

    resp = await s.client.get("/api/chat/history", params={"session": SESSION})
    data = await resp.json()
    operator = [m for m in data["messages"] if m["role"] == "operator"]
    assert [m["text"] for m in operator] == [
        "👤 Оператор: Добрий день! Я Ірина, чим допомогти?",
        "👤 Оператор: Ви тут?",
        "👤 Оператор: Напишіть, будь ласка, номер картки послуги",
    ]
    assert data["last_id"] == resumed[-1]["id"]
    # A page that loaded the history and opens the stream from its last_id gets nothing twice.
    resp = await s.client.get("/api/chat/live", params={"session": SESSION, "after": str(data["last_id"])})
    try:
        with pytest.raises(TimeoutError):
            await _event(resp, timeout=0.3)
        await _operator_says(s, "Ще одне")
        assert json.loads((await _event(resp))["data"])["text"] == "👤 Оператор: Ще одне"
    finally:
        resp.close()


async def test_the_citizen_s_own_lines_and_answers_are_not_streamed(setup: Setup) -> None:
    """The page shows its own request's replies itself: the stream carries only what came from elsewhere."""
    s = setup
    await _open_ticket(s)
    resp = await _stream(s)
    try:
        await _post(s, "Доброго дня, питання щодо субсидії")  # «Передано» is the answer to the request
        with pytest.raises(TimeoutError):
            await _event(resp, timeout=0.3)
    finally:
        resp.close()


async def test_another_session_s_line_does_not_wake_this_stream(setup: Setup) -> None:
    s = setup
    await _open_ticket(s)
    resp = await s.client.get("/api/chat/live", params={"session": "someone-else"})
    try:
        await _operator_says(s, "Це не для вас")
        with pytest.raises(TimeoutError):
            await _event(resp, timeout=0.3)
    finally:
        resp.close()


@pytest.mark.parametrize("query", [{}, {"session": ""}, {"session": "a b"}, {"session": "x" * 65}])
async def test_an_invalid_session_is_refused(setup: Setup, query: dict[str, str]) -> None:
    resp = await setup.client.get("/api/chat/live", params=query)
    assert resp.status == 400


async def test_a_garbage_last_event_id_starts_from_the_beginning(setup: Setup) -> None:
    s = setup
    await _open_ticket(s)
    await _operator_says(s, "Перше")
    resp = await _stream(s, **{"Last-Event-ID": "abc"})
    try:
        texts_seen = [json.loads((await _event(resp))["data"])["text"] for _ in range(2)]
    finally:
        resp.close()
    assert texts_seen[-1] == "👤 Оператор: Перше"


def test_the_poll_is_slower_than_what_the_live_test_demands() -> None:
    """Guards the meaning of ARRIVES_WITHIN: a line found by the periodic poll would not arrive this fast."""
    assert live_module.POLL > 2 * ARRIVES_WITHIN
