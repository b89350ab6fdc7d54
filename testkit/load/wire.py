"""The messengers' side of the load harness (testkit/load): what the bot sends each citizen (an inbox fed by the
Telegram emulator's adapter and the fake Viber API), Telegram's webhook delivery with its retries (the relay),
and one phase's figures (the tally)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, web

from testkit.telegram.adapter import EmulatorAdapter
from testkit.viber.fake_api import FakeViberApi

SECRET = "load-bench-secret"
VIBER_TOKEN = "load-bench-viber-token"
TELEGRAM_CONNECTIONS = 40  # Telegram's default for a webhook's simultaneous connections


@dataclass
class Msg:
    at: float
    text: str
    buttons: list[tuple[str, str]]  # (label, payload): callback_data on Telegram, ActionBody on Viber
    tracking: str | None = None


class Inbox:
    """What the bot sent each chat, in order, with a wake-up for whoever waits on it."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Msg]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self.waiting: set[str] = set()  # chats whose citizen is in a step
        self.late = 0

    def add(self, chat: str, msg: Msg) -> None:
        self.messages.setdefault(chat, []).append(msg)
        if chat not in self.waiting:
            self.late += 1  # arrived while its citizen was not waiting: after the reply was taken as whole
        self.event(chat).set()

    def event(self, chat: str) -> asyncio.Event:
        return self._events.setdefault(chat, asyncio.Event())

    def count(self, chat: str) -> int:
        return len(self.messages.get(chat, []))

    def since(self, chat: str, start: int) -> list[Msg]:
        return self.messages.get(chat, [])[start:]


class LoadAdapter(EmulatorAdapter):
    """The test adapter, telling the inbox what the bot sends or edits in a private chat."""

    def __init__(self, emulator_url: str, inbox: Inbox) -> None:
        super().__init__(emulator_url)
        self.inbox = inbox
        self.app.middlewares.append(self.note)

    async def _message_exists(self, token: str, chat_id: str, message_id: str) -> bool:
        """Every edit is taken: the adapter's check reads the emulator's whole history, which grows with the load
        (thousands of messages) and made each edit cost more than the bot's step. Citizens here press buttons of
        the newest message, which exists."""
        return True

    @web.middleware
    async def note(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if request.match_info.get("method", "").lower() in ("sendmessage", "editmessagetext"):
            params: dict[str, Any] = dict(await request.post())
            chat = str(params.get("chat_id"))
            if not chat.startswith("-"):
                markup = params.get("reply_markup") or "{}"
                markup = json.loads(markup) if isinstance(markup, str) else markup
                buttons = [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
                           for b in row]  # fmt: skip
                self.inbox.add(chat, Msg(time.monotonic(), str(params.get("text", "")), buttons))
        return response


class LoadViberApi(FakeViberApi):
    """The fake Viber API, telling the inbox what the bot sends each citizen."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        buttons = [
            (b.get("Text", ""), b.get("ActionBody", ""))
            for b in (body.get("keyboard") or {}).get("Buttons", [])
        ]
        self.inbox.add(str(body.get("receiver")), Msg(time.monotonic(), body.get("text", ""), buttons,
                                                      body.get("tracking_data")))  # fmt: skip
        return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self._tokens)})


@dataclass
class Tally:
    """One phase's figures."""

    latencies: list[float] = field(default_factory=list)  # ms per step
    errors: Counter[str] = field(default_factory=Counter)
    resent: Counter[str] = field(default_factory=Counter)  # deliveries sent again after a failure, by channel
    acked_updates: dict[str, set[str]] = field(default_factory=lambda: {"telegram": set(), "viber": set()})
    codes: set[str] = field(default_factory=set)  # booking codes shown to citizens
    reminded: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) told «нагадаю»
    questions: set[tuple[str, str]] = field(
        default_factory=set
    )  # (channel, id) whose ticket was acknowledged
    walks_done: int = 0
    steps: int = 0
    in_flight_at_kill: Counter[str] = field(default_factory=Counter)
    waiting_at_kill: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) in a step at the kill
    resent_ids: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) with a delivery sent again
    lost_ids: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) whose saved step got no reply
    samples: dict[str, str] = field(default_factory=dict)  # an example of each error


class NoReply(Exception):
    pass


class ReplyLost(NoReply):
    """The step was acknowledged (so saved), and its reply never came."""


class Relay:
    """Telegram's webhook delivery, between the emulator and nginx (see the module's docstring)."""

    def __init__(self, target: str, tally: Tally, waiters: dict[str, asyncio.Future[float]]) -> None:
        self.target, self.tally, self.waiters = target, tally, waiters
        # Telegram opens at most setWebhook's max_connections (40 by default) to a bot at once; the rest wait.
        self.connections = asyncio.Semaphore(TELEGRAM_CONNECTIONS)
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/telegram/webhook", self.deliver)
        self.http: ClientSession | None = None

    async def deliver(self, request: web.Request) -> web.Response:
        update = await request.json()
        update["update_id"] = next(self._ids)
        if "callback_query" in update:
            update["callback_query"].setdefault("chat_instance", "load-bench")
            chat = str(update["callback_query"]["from"]["id"])
        else:
            chat = str(update["message"]["chat"]["id"])
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert self.http is not None
        deadline, pause = time.monotonic() + 60, 0.05
        while True:
            try:
                async with self.connections, self.http.post(self.target, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        self.tally.acked_updates["telegram"].add(str(update["update_id"]))
                        waiter = self.waiters.pop(chat, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(time.monotonic())
                        return web.json_response({"ok": True})
                    why = f"http {resp.status}"
            except (TimeoutError, ClientError) as exc:
                why = type(exc).__name__
            self.tally.resent["telegram"] += 1
            self.tally.resent_ids.add(("telegram", chat))
            if time.monotonic() > deadline:
                self.tally.errors["telegram update never acknowledged"] += 1
                self.tally.samples.setdefault("telegram update never acknowledged", why)
                return web.json_response({"ok": True})  # the emulator must not see a failure: it would crash
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

