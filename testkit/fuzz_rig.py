"""Hostile-input generators (hypothesis strategies) and the real app they are thrown at, shared by the bounded fuzz
in the suite (tests/test_fuzz.py) and the 100,000-input benchmark (bench/fuzz.py).

The app is `bot.app.build` on a temporary SQLite file with all three channels on: the web chat and the Viber
webhook are reached over HTTP on loopback (a fake Viber REST API records what the bot sends), Telegram updates are
fed to the bot's real aiogram Dispatcher with a fake session. Every outcome says what came back and how long it
took; a logging handler collects every record that carries a traceback or is an error. The inputs are
testkit/fuzz_values.py (shared, and the web chat's) and testkit/fuzz_messengers.py (Viber, Telegram)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from testkit.clocks import test_clock
from testkit.fake_telegram import FakeSession
from testkit.fuzz_messengers import VIBER_TOKEN, ViberInput
from testkit.fuzz_values import WebInput
from testkit.viber.citizen import sign
from testkit.viber.fake_api import FakeViberApi

TELEGRAM_TOKEN = "4242:FUZZ"


class Errors(logging.Handler):
    """Every log record with a traceback or at ERROR and above."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@dataclass
class Outcome:
    target: str
    status: int  # HTTP status; for a Telegram update 200 (handled) or 0 (refused by aiogram's model)
    body: Any  # the parsed JSON answer, or None
    seconds: float
    raw: bytes = b""


@dataclass
class FuzzRig:
    bot: Bot
    api: FakeViberApi
    client: TestClient  # type: ignore[type-arg]
    session: FakeSession
    errors: Errors = field(default_factory=Errors)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (target, status) → inputs
    _probes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def start(
        cls, tmp_path: Path, kb: Knowledge | None = None, index: SearchIndex | None = None
    ) -> FuzzRig:
        api = FakeViberApi()
        api_url = await api.serve()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/fuzz.sqlite3",
            viber_auth_token=VIBER_TOKEN,
            viber_api_url=api_url,
            viber_send_timeout=2.0,
            telegram_bot_token=TELEGRAM_TOKEN,
            telegram_per_chat_rate=100_000,
            telegram_global_rate=100_000,
        )
        bot = await build(settings, kb=kb, index=index, clock=test_clock())
        assert bot.telegram is not None and bot.viber is not None
        session = FakeSession()
        bot.telegram.bot.session = session
        client = TestClient(TestServer(bot.http, host="127.0.0.1"))
        await client.start_server()
        rig = cls(bot, api, client, session)
        root = logging.getLogger()
        root.addHandler(rig.errors)
        return rig

    async def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        await self.client.close()
        await self.bot.close()
        await self.api.stop()

    async def settle(self) -> None:
        """Wait for what the Viber sender does in the background (no sleeping: it keeps its tasks)."""
        assert self.bot.viber is not None
        while tasks := list(self.bot.viber.sender._tasks):
            await asyncio.gather(*tasks, return_exceptions=True)

    async def web(self, item: WebInput) -> Outcome:
        headers = {} if item.content_type is None else {"Content-Type": item.content_type}
        start = time.perf_counter()
        resp = await self.client.post(
            "/api/chat", data=item.body, headers=headers, skip_auto_headers=["Content-Type"]
        )
        raw = await resp.read()
        self.statuses["web", resp.status] += 1
        return Outcome("web", resp.status, _json(raw), time.perf_counter() - start, raw)

    async def viber(self, item: ViberInput) -> Outcome:
        headers = {"Content-Type": "application/json"}
        if item.signature is not None:
            headers["X-Viber-Content-Signature"] = item.signature
        start = time.perf_counter()
        resp = await self.client.post("/viber/webhook", data=item.body, headers=headers)
        raw = await resp.read()
        await self.settle()
        self.statuses["viber", resp.status] += 1
        return Outcome("viber", resp.status, _json(raw), time.perf_counter() - start, raw)

    async def telegram(self, update: dict[str, Any]) -> Outcome:
        assert self.bot.telegram is not None
        tg = self.bot.telegram
        start = time.perf_counter()
        try:
            parsed = Update.model_validate(update, context={"bot": tg.bot})
            parsed.event_type  # noqa: B018 - an update of no known type: aiogram only warns and drops it
        except (ValidationError, ValueError, TypeError, OverflowError, UpdateTypeLookupError):
            self.statuses["telegram", 0] += 1
            return Outcome("telegram", 0, None, time.perf_counter() - start)  # aiogram refuses it before us
        await tg.dispatcher.feed_update(tg.bot, parsed)
        self.statuses["telegram", 200] += 1
        return Outcome("telegram", 200, None, time.perf_counter() - start)

    # --- «still answers a normal message» ---------------------------------------------------------------------

    async def web_answers(self) -> bool:
        session = f"probe-{next(self._probes)}"
        resp = await self.client.post("/api/chat", json={"session": session, "text": "прописка"})
        if resp.status != 200:
            return False
        return bool((await resp.json())["replies"])

    async def viber_answers(self) -> bool:
        user = f"probe-{next(self._probes)}=="
        event = {
            "event": "message",
            "timestamp": int(time.time() * 1000),
            "message_token": 10**15 + next(self._probes),
            "sender": {"id": user, "name": "Громадянин"},
            "message": {"type": "text", "text": "прописка"},
        }
        body = json.dumps(event).encode()
        headers = {"X-Viber-Content-Signature": sign(body, VIBER_TOKEN), "Content-Type": "application/json"}
        resp = await self.client.post("/viber/webhook", data=body, headers=headers)
        await self.settle()
        return resp.status == 200 and bool(self.api.to(user))

    async def telegram_answers(self) -> bool:
        chat = 7_000_000 + next(self._probes)
        before = len(self.session.sent())
        update = {
            "update_id": 10**12 + chat,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "прописка",
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "П"},
            },
        }
        await self.telegram(update)
        return any(int(m.chat_id) == chat for m in self.session.sent()[before:])


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def shape_problem(out: Outcome) -> str | None:
    """What is wrong with an answer, or None: never a 5xx; on the web and Viber always a JSON object —
    {"replies": [{"text", "buttons"}]} or {"error"} on the web, Viber's own shapes on its webhook."""
    if out.status >= 500:
        return f"{out.target}: HTTP {out.status}"
    if out.target == "telegram":
        return None
    body = out.body
    if not isinstance(body, dict):
        return f"{out.target}: HTTP {out.status} with a body that is not a JSON object: {out.raw[:120]!r}"
    if out.target == "web":
        if out.status == 200:
            replies = body.get("replies")
            if not isinstance(replies, list):
                return "web: 200 without a list of replies"
            for r in replies:
                if not (
                    isinstance(r, dict)
                    and isinstance(r.get("text"), str)
                    and isinstance(r.get("buttons"), list)
                ):
                    return f"web: a reply of a wrong shape: {r!r}"
                if not all(
                    isinstance(row, list)
                    and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in row)
                    for row in r["buttons"]
                ):
                    return f"web: buttons of a wrong shape: {r['buttons']!r}"
        elif not isinstance(body.get("error"), str):
            return f"web: HTTP {out.status} without an error message: {body!r}"
        return None
    if out.status == 200:
        if not ("status" in body or "text" in body or "type" in body):  # ok/ignored, or the welcome message
            return f"viber: 200 of a wrong shape: {body!r}"
    elif not isinstance(body.get("error"), str):
        return f"viber: HTTP {out.status} without an error message: {body!r}"
    return None


def traceback_lines(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()[:200]}"
        + (f" [{r.exc_info[0].__name__}]" if r.exc_info and r.exc_info[0] else "")
        for r in records
    ]


Target = Callable[[Any], Any]
