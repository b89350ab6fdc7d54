"""A thin adapter in front of the telegram-test-api 4.2.1 emulator: what the bot sees is the real Bot API.

The stock emulator has gaps that make aiogram 3 fail (found when tried), mended here in test code so the bot
itself is never weakened:
- `getMe` lacks `is_bot` → added;
- callback-query updates lack `chat_instance` → added;
- `getUpdates` ignores `timeout` (busy polling) → long-polled here, bounded by the timeout;
- methods it does not know answer HTTP 500 → `setMyCommands`, `deleteMyCommands`, `sendChatAction`,
  `setChatMenuButton` answer `true` and are recorded for the tests;
- edits of a message that does not exist succeed silently → refused with 400, as Telegram does;
- methods that succeed with `result: null` (`answerCallbackQuery`, `editMessageText`, …) → `true`, as the API
  answers for them;
- it keeps each message's markup but not what a chat's client shows below the input field: the reply keyboard
  the bot last set (a `keyboard`, taken away by `remove_keyboard`, even when that message is deleted at once) →
  kept here per chat in `keyboards`, for the test citizen.
A citizen's contact needs no mending: the client route `/sendMessage` passes any message fields on, `contact`
included. Everything else is forwarded unchanged.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import ClientSession, web

MISSING_METHODS = {"setmycommands", "deletemycommands", "sendchataction", "setchatmenubutton"}
MAX_LONG_POLL = 2.0  # seconds; aiogram asks for more, the tests need the loop to stay lively


class EmulatorAdapter:
    def __init__(self, emulator_url: str) -> None:
        self.emulator_url = emulator_url.rstrip("/")
        self.calls: list[tuple[str, dict[str, Any]]] = []  # methods the emulator lacks, with their params
        self.methods: list[str] = []  # every bot method called, in order
        self.keyboards: dict[str, list[list[dict[str, Any]]]] = {}  # chat id → the reply keyboard it shows
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self._session: ClientSession | None = None

    async def _forward(self, token: str, method: str, body: bytes, content_type: str) -> dict[str, Any]:
        assert self._session is not None
        async with self._session.post(
            f"{self.emulator_url}/bot{token}/{method}", data=body, headers={"Content-Type": content_type}
        ) as resp:
            data: dict[str, Any] = await resp.json(content_type=None)
            return data

    async def handle(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = ClientSession()
        token, method = request.match_info["token"], request.match_info["method"]
        self.methods.append(method)
        body = await request.read()
        content_type = request.headers.get("Content-Type", "application/x-www-form-urlencoded")
        if method.lower() in MISSING_METHODS:
            self.calls.append((method, dict(await request.post()) if body else {}))
            return web.json_response({"ok": True, "result": True})
        if method.lower() == "getupdates":
            params = dict(await request.post()) if body else {}
            timeout = min(float(params.get("timeout", 0) or 0), MAX_LONG_POLL)
            deadline = time.monotonic() + timeout
            while True:
                data = await self._forward(token, method, body, content_type)
                if data.get("result") or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.02)
            for update in data.get("result") or []:
                if "callback_query" in update:
                    update["callback_query"].setdefault("chat_instance", "emulated-chat-instance")
            return web.json_response(data)
        if method.lower() in ("editmessagetext", "editmessagereplymarkup"):
            params = dict(await request.post()) if body else {}
            if not await self._message_exists(
                token, str(params.get("chat_id")), str(params.get("message_id"))
            ):
                # The emulator silently accepts edits of messages that do not exist; Telegram refuses them.
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
                    status=400,
                )
        data = await self._forward(token, method, body, content_type)
        if method.lower() == "sendmessage" and data.get("ok"):
            self._note_keyboard(dict(await request.post()) if body else {})
        if method.lower() == "getme" and data.get("ok"):
            data["result"].setdefault("is_bot", True)
        elif data.get("ok") and data.get("result") is None:
            data["result"] = True
        return web.json_response(data)

    def _note_keyboard(self, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if not markup:
            return
        markup = json.loads(markup) if isinstance(markup, str) else markup
        chat = str(params.get("chat_id"))
        if "keyboard" in markup:
            self.keyboards[chat] = markup["keyboard"]
        elif markup.get("remove_keyboard"):
            self.keyboards.pop(chat, None)

    async def _message_exists(self, token: str, chat_id: str, message_id: str) -> bool:
        assert self._session is not None
        async with self._session.post(
            f"{self.emulator_url}/getUpdatesHistory", json={"token": token}
        ) as resp:
            items = (await resp.json())["result"]
        return any(
            str(i.get("messageId")) == message_id and str(i["message"].get("chat_id")) == chat_id
            for i in items
            if "message" in i and "chat_id" in i["message"]
        )

    async def close(self) -> None:
        if self._session:
            await self._session.close()


def commands_set(adapter: EmulatorAdapter) -> list[dict[str, str]]:
    """The commands menu the bot set (from the recorded setMyCommands call)."""
    for method, params in adapter.calls:
        if method.lower() == "setmycommands":
            return list(json.loads(params["commands"]))
    return []
