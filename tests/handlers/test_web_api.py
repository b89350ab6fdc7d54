"""The web chat's JSON API through a real aiohttp server on loopback, as other tools use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.maintenance import purge_expired
from dialogs.messages import Incoming
from handlers.web.routes import HISTORY_LINES
from storage.clock import ManualClock
from testkit.fake_sms import FakeTurboSms
from testkit.people import phone_for
from testkit.transcript import Seen, all_names, load, play


@pytest.fixture()
def bot(sms_bot: Bot) -> Bot:
    """This module's bot verifies web phones by SMS through the fake TurboSMS (tests/conftest.py)."""
    return sms_bot


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


class WebChannel:
    """A citizen on the web chat: the same transcripts as on the engine, through HTTP and JSON."""

    def __init__(
        self,
        client: TestClient,  # type: ignore[type-arg]
        session: str = "web-citizen",
        sms: FakeTurboSms | None = None,
    ) -> None:
        self.client, self.session, self.sms = client, session, sms

    async def _post(self, body: dict[str, str]) -> Seen:
        resp = await self.client.post("/api/chat", json={"session": self.session, **body})
        assert resp.status == 200
        data = await resp.json()
        replies = data["replies"]
        return Seen(
            [r["text"] for r in replies],
            [(b["text"], b.get("payload", "")) for r in replies for row in r["buttons"] for b in row],
        )

    async def send_text(self, text: str) -> Seen:
        return await self._post({"text": text})

    async def press(self, payload: str) -> Seen:
        return await self._post({"payload": payload})

    async def verify(self) -> Seen:
        """Type a mobile number, then the code the SMS brought (the fake TurboSMS recorded it)."""
        assert self.sms is not None, "this web citizen has no SMS"
        phone = phone_for("web", self.session)
        sent = await self.send_text(phone)
        assert "Надіслали SMS" in sent.text, sent.text
        return await self.send_text(self.sms.last_code(phone))


@pytest.mark.parametrize("name", all_names())
async def test_transcripts_over_http(
    client: TestClient, fake_sms: FakeTurboSms, name: str  # type: ignore[type-arg]
) -> None:
    await play(WebChannel(client, sms=fake_sms), load(name))


async def test_healthz_and_page(client: TestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get("/healthz")).status == 200
    page = await client.get("/")
    assert page.status == 200 and "text/html" in page.headers["Content-Type"]
    assert "Віза-бот" in await page.text()


async def test_reply_shape(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", json={"session": "s1", "text": "/start"})
    data = await resp.json()
    assert set(data) == {"replies"}
    reply = data["replies"][0]
    assert isinstance(reply["text"], str) and "**" not in reply["text"]
    assert all(isinstance(row, list) and {"text", "payload"} <= row[0].keys() for row in reply["buttons"])


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"text": "hi"}',
        b'{"session": "", "text": "hi"}',
        b'{"session": 5}',
        ('{"session": "' + "x" * 65 + '"}').encode(),
        b'{"session": "s", "text": 5}',
        "\udcff".encode("utf-8", "surrogatepass"),
    ],
)
async def test_bad_requests_are_400_json(client: TestClient, body: bytes) -> None:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_huge_text_is_answered_kindly(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", json={"session": "s2", "text": "паспорт " * 1250})
    assert resp.status == 200
    texts = [r["text"] for r in (await resp.json())["replies"]]
    assert any("дуже довге" in t for t in texts)


async def test_sessions_are_separate(client: TestClient) -> None:  # type: ignore[type-arg]
    await client.post("/api/chat", json={"session": "a", "payload": "s:birth"})
    resp = await client.post("/api/chat", json={"session": "b", "payload": "a:birth:q1:not_married"})
    texts = [r["text"] for r in (await resp.json())["replies"]]
    assert "обоє батьків" not in "\n".join(texts)  # b never started the scenario: a stale button for b


# --- history: a reloaded page shows the conversation again ---------------------------------------------------------


async def _post(client: TestClient, session: str, **body: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", json={"session": session, **body})
    assert resp.status == 200
    replies: list[dict[str, Any]] = (await resp.json())["replies"]
    return replies


async def _history(client: TestClient, session: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.get("/api/chat/history", params={"session": session})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert set(data) == {"messages", "last_id"} and isinstance(data["last_id"], int)
    messages: list[dict[str, Any]] = data["messages"]
    return messages


def _label(replies: list[dict[str, Any]], payload: str) -> str:
    return next(
        b["text"] for r in replies for row in r["buttons"] for b in row if b.get("payload") == payload
    )


async def test_history_replays_the_conversation(client: TestClient) -> None:  # type: ignore[type-arg]
    session = "w-3f1c2a9e-history"
    start = await _post(client, session, text="/start")
    pressed = start[-1]["buttons"][0][0]  # the first menu button
    menu = await _post(client, session, payload=pressed["payload"])
    situation = next(
        b for r in menu for row in r["buttons"] for b in row if b.get("payload", "").startswith("s:")
    )
    question = await _post(client, session, payload=situation["payload"])
    typed = await _post(client, session, text="прописка 067 123 45 67")

    expected = [
        *({"role": "bot", **r} for r in start),
        {"role": "citizen", "text": pressed["text"], "buttons": []},
        *({"role": "bot", **r} for r in menu),
        {"role": "citizen", "text": _label(menu, situation["payload"]), "buttons": []},
        *({"role": "bot", **r} for r in question),
        {"role": "citizen", "text": "прописка [телефон]", "buttons": []},  # masked in the log, as it is kept
        *({"role": "bot", **r} for r in typed),
    ]
    history = await _history(client, session)
    assert history == [{k: m[k] for k in ("role", "text", "buttons")} for m in expected]
    assert not any(m["text"].startswith("[") for m in history)  # never a raw payload
    assert "/start" not in [m["text"] for m in history]  # the page sent it silently


async def test_history_of_an_unknown_session_is_empty_and_creates_nobody(
    client: TestClient,  # type: ignore[type-arg]
    bot: Bot,
) -> None:
    assert await _history(client, "w-never-seen") == []
    async with bot.uow_factory() as uow:
        assert await uow.users.get("web", "w-never-seen") is None


async def test_history_is_only_the_web_channels(client: TestClient, bot: Bot) -> None:  # type: ignore[type-arg]
    await bot.engine.handle(Incoming("telegram", "424242", text="паспорт"))
    assert await _history(client, "424242") == []  # a Telegram chat id opens nothing


async def test_a_pressed_button_whose_message_is_gone_is_left_out(client: TestClient) -> None:  # type: ignore[type-arg]
    await _post(client, "w-stale", payload="m")  # no earlier bot message offered it
    history = await _history(client, "w-stale")
    assert [m["role"] for m in history][:1] == ["bot"]
    assert all(m["role"] == "bot" for m in history)


async def test_history_is_bounded(client: TestClient) -> None:  # type: ignore[type-arg]
    for i in range(HISTORY_LINES // 2 + 5):
        await _post(client, "w-long", text=f"питання {i}")
    history = await _history(client, "w-long")
    assert 0 < len(history) <= HISTORY_LINES
    assert history[-2]["text"] == f"питання {HISTORY_LINES // 2 + 4}"


async def test_history_is_purged_with_the_log(client: TestClient, bot: Bot, clock: ManualClock) -> None:  # type: ignore[type-arg]
    await _post(client, "w-old", text="паспорт")
    assert await _history(client, "w-old")
    await bot.uow_factory.write_log()
    clock.advance(dt.timedelta(seconds=1))
    await purge_expired(bot.uow_factory, dt.timedelta(0))
    assert await _history(client, "w-old") == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?session=",
        "?session=" + "x" * 65,
        "?session=a%20b",
        "?session=a%0A",
        "?session=a/b",
        "?session=%D1%96%0A",
    ],
)
async def test_history_refuses_an_invalid_session(client: TestClient, query: str) -> None:  # type: ignore[type-arg]
    resp = await client.get("/api/chat/history" + query)
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_a_trailing_newline_is_not_a_session(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", json={"session": "abc\n", "text": "паспорт"})
    assert resp.status == 400
    resp = await client.post("/api/chat", json={"session": "x" * 64, "text": "паспорт"})
    assert resp.status == 200


async def test_favicon(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in ("/favicon.svg", "/favicon.ico"):
        resp = await client.get(path)
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("image/svg+xml")
        assert "<svg" in await resp.text()
    page = await (await client.get("/")).text()
    assert 'rel="icon"' in page and 'lang="uk"' in page


async def test_the_turn_knows_the_client_address_only_through_a_trusted_proxy(bot: Bot) -> None:
    """Per-address caps need the client's address: the peer's, or X-Forwarded-For when the peer is a trusted
    proxy (TRUSTED_PROXIES); a header from anybody else is ignored."""
    from aiohttp import web

    from handlers.web.client import parse_proxies
    from handlers.web.routes import TURNS_KEY, setup_web

    seen: list[str | None] = []
    turns = bot.http[TURNS_KEY]
    take = turns.take

    async def spy(message: Incoming) -> Any:
        seen.append(message.origin)
        return await take(message)

    turns.take = spy  # type: ignore[method-assign]
    body = {"session": "addr-1", "text": "привіт"}
    for proxies in ((), parse_proxies("127.0.0.1")):
        app = web.Application()
        setup_web(app, turns, proxies=proxies)
        async with TestClient(TestServer(app, host="127.0.0.1")) as c:
            await c.post("/api/chat", json=body, headers={"X-Forwarded-For": "203.0.113.5"})
    assert seen == ["127.0.0.1", "203.0.113.5"]
