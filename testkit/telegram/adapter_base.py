"""What the Telegram emulator's adapter (testkit/telegram/adapter.py) holds, and how it talks to the emulator:
forwarding a call, the emulator's own routes, errors as Telegram words them, a request's fields and files,
Telegram's pace for a group (429 with retry_after), the reply keyboards shown."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

GROUP_TITLE = "Оператори гарячої лінії"
ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)  # the six Telegram allows
# What a copy carries over from the original message; `parse_mode` keeps a bot message's markup readable.
CONTENT_FIELDS = ("text", "entities", "parse_mode", "caption", "caption_entities", "photo", "document",
                  "video", "video_note", "audio", "voice", "animation", "sticker", "contact", "location")  # fmt: skip
SERVICE_FIELDS = ("forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened")
THREAD_NOT_FOUND = "Bad Request: message thread not found"
# Calls that write into a chat: what Telegram's per-group limit counts.
WRITES = {"sendmessage", "editmessagetext", "editmessagereplymarkup", "createforumtopic", "copymessage",
          "sendphoto", "senddocument", "closeforumtopic", "deleteforumtopic", "editforumtopic"}  # fmt: skip

Json = dict[str, Any]
# The emulator (node's http server) closes a keep-alive connection idle for 5 s; aiohttp keeps one for 15 s by
# default, and a request sent on a connection node is closing fails with «Server disconnected».
EMULATOR_KEEPALIVE_S = 2.0


def emulator_session(*, limit: int = 100, timeout: ClientTimeout | None = None) -> ClientSession:
    """A client session for talking to the emulator that never reuses a connection node may be closing."""
    connector = TCPConnector(limit=limit, keepalive_timeout=EMULATOR_KEEPALIVE_S)
    return ClientSession(connector=connector, timeout=timeout or ClientTimeout(total=300))


class ApiError(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


@dataclass
class Topic:
    """One forum topic as the adapter keeps it."""

    thread_id: int
    name: str
    icon_color: int
    closed: bool = False
    deleted: bool = False


class AdapterBase:
    """The adapter's state and its plumbing."""

    def __init__(self, emulator_url: str) -> None:
        self.emulator_url = emulator_url.rstrip("/")
        self.calls: list[tuple[str, dict[str, Any]]] = []  # methods the emulator lacks, with their params
        self.methods: list[str] = []  # every bot method called, in order
        self.keyboards: dict[str, list[list[dict[str, Any]]]] = {}  # chat id → the reply keyboard it shows
        self.topics: dict[tuple[str, int], dict[int, Topic]] = {}  # (token, chat id) → thread id → topic
        self.group_titles: dict[int, str] = {}  # a group's title; GROUP_TITLE when not set
        self.files: dict[str, bytes] = {}  # file_id → the bytes uploaded (or put by a test)
        self.refuse_closed_topics = True
        self.group_limit: tuple[int, float] | None = None  # (calls, seconds) into one group; None: no limit
        self.group_calls: dict[tuple[str, int], list[tuple[float, str]]] = {}  # (token, chat) → (time, method)
        self.refused_429 = 0
        self._file_ids = itertools.count(1)
        self._session: ClientSession | None = None

    # ---- plumbing ----

    @property
    def session(self) -> ClientSession:
        if self._session is None:
            self._session = emulator_session()
        return self._session

    async def _forward(self, token: str, method: str, body: bytes, content_type: str) -> dict[str, Any]:
        async with self.session.post(
            f"{self.emulator_url}/bot{token}/{method}", data=body, headers={"Content-Type": content_type}
        ) as resp:
            data: dict[str, Any] = await resp.json(content_type=None)
            return data

    async def _emulator(self, route: str, payload: Json) -> Json:
        async with self.session.post(f"{self.emulator_url}/{route}", json=payload) as resp:
            data: Json = await resp.json(content_type=None)
        if not data.get("ok"):
            raise ApiError(str(data.get("description", "emulator refused")), int(data.get("error_code", 500)))
        return data

    @staticmethod
    def _error(error: ApiError) -> web.Response:
        body = {"ok": False, "error_code": error.code, "description": error.description}
        return web.json_response(body, status=error.code)

    @staticmethod
    async def _params(request: web.Request) -> tuple[Json, dict[str, tuple[str, bytes]]]:
        """A request's fields, and its uploaded files (field name → file name, bytes)."""
        if request.content_type == "application/json":
            return dict(await request.json()), {}
        params: Json = {}
        files: dict[str, tuple[str, bytes]] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                params[key] = value
        return params, files

    def _group_pace(self, token: str, name: str, chat_id: object) -> web.Response | None:
        """Record a call that writes into a group; a 429 when it is beyond `group_limit`."""
        try:
            chat = int(str(chat_id))
        except ValueError:
            return None
        if name not in WRITES or chat >= 0:
            return None
        calls = self.group_calls.setdefault((token, chat), [])
        now = time.monotonic()
        if self.group_limit is not None:
            limit, window = self.group_limit
            recent = [at for at, _ in calls if at > now - window]
            if len(recent) >= limit:
                self.refused_429 += 1
                retry = max(1, int(recent[-limit] + window - now + 0.999))
                body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry}",
                        "parameters": {"retry_after": retry}}  # fmt: skip
                return web.json_response(body, status=429)
        calls.append((now, name))
        return None

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

    async def history(self, token: str) -> list[Json]:
        """Everything the emulator holds for this bot, bot and user messages, oldest first."""
        data = await self._emulator("getUpdatesHistory", {"token": token})
        return list(data["result"])

    async def _message_exists(self, token: str, chat_id: str, message_id: str) -> bool:
        return any(
            str(i.get("messageId")) == message_id and str(i["message"].get("chat_id")) == chat_id
            for i in await self.history(token)
            if "message" in i and "chat_id" in i["message"]
        )

    async def _find(self, token: str, chat_id: int, message_id: int) -> Json | None:
        for item in await self.history(token):
            message = item.get("message")
            if message is None or str(item.get("messageId")) != str(message_id):
                continue
            chat = message["chat"]["id"] if "chat" in message else message.get("chat_id")
            if str(chat) == str(chat_id):
                return dict(message)
        return None

    async def close(self) -> None:
        if self._session:
            await self._session.close()
