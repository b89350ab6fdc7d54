"""The web chat's JSON API through a real aiohttp server on loopback, as other tools use it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from tests.transcript import Seen, all_names, load, play


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


class WebChannel:
    """A citizen on the web chat: the same transcripts as on the engine, through HTTP and JSON."""

    def __init__(self, client: TestClient, session: str = "web-citizen") -> None:  # type: ignore[type-arg]
        self.client, self.session = client, session

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


@pytest.mark.parametrize("name", all_names())
async def test_transcripts_over_http(client: TestClient, name: str) -> None:  # type: ignore[type-arg]
    await play(WebChannel(client), load(name))


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
