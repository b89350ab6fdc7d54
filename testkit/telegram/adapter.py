"""A thin adapter in front of the telegram-test-api 4.2.1 emulator: what the bot sees is the real Bot API.

The stock emulator has gaps that make aiogram 3 fail (found when tried), mended here in test code so the bot
itself is never weakened:
- `getMe` lacks `is_bot` → added;
- callback-query updates lack `chat_instance` → added;
- `getUpdates` ignores `timeout` (busy polling) → long-polled here, bounded by the timeout (a poll still waiting
  when the test closes the adapter answers empty instead of failing on the closed session);
- methods it does not know answer HTTP 500 → `setMyCommands`, `deleteMyCommands`, `sendChatAction`,
  `setChatMenuButton` answer `true` and are recorded for the tests;
- edits of a message that does not exist succeed silently → refused with 400, as Telegram does;
- `deleteMessage` deletes the first entry with that chat and id, and a callback query is stored with the id of
  the message that follows it → asked again until the message itself is gone; a missing one → 400;
- methods that succeed with `result: null` (`answerCallbackQuery`, `editMessageText`, …) → `true`, as the API
  answers for them;
- it keeps each message's markup but not what a chat's client shows below the input field: the reply keyboard
  the bot last set (a `keyboard`, taken away by `remove_keyboard`, even when that message is deleted at once) →
  kept here per chat in `keyboards`, for the test citizen.
The operators' supergroup with forum topics (any negative chat id):
- forum topics do not exist → `createForumTopic` (the thread id is the id of its `forum_topic_created` service
  message, as in Telegram), `editForumTopic`, `closeForumTopic`, `reopenForumTopic`, `deleteForumTopic` are served
  here per bot token and chat (`topics[(token, chat_id)] → {thread_id: Topic}`), each leaving its service message
  in the topic; closing a closed topic or reopening an open one → 400 `TOPIC_NOT_MODIFIED`. Deleting a topic
  deletes its messages, so later edits of them are refused;
- a topic's life by hand, as operators change it in their client: `delete_topic` (no update, as in Telegram),
  `close_topic_by_hand` / `reopen_topic_by_hand` (the bot gets the service message from the operator);
- sends ignore `message_thread_id` → a send, copy or media into a thread that does not exist or was deleted
  answers 400 `message thread not found`, into a closed one 400 `TOPIC_CLOSED` (the strict side: an admin bot
  may be let through by Telegram; `refuse_closed_topics = False` allows it); the thread id is stored as a number;
- bot messages come back from a private chat → in a group the result has the supergroup chat (`type`, `title`,
  `is_forum`) and, in a topic, `message_thread_id` and `is_topic_message`;
- `copyMessage`, `sendPhoto`, `sendDocument`, `getFile` answer 500 → served here: the copy or the media is stored
  through the emulator's bot `sendMessage` route with the content fields (`text`, `caption`, `photo`,
  `document`, …), so every chat's history stays readable in one place; a photo or document is a URL, a known
  `file_id` (one the history or `files` holds; an unknown one is refused) or an upload, which gets a new
  `file_id`; `getFile` and `/file/bot<token>/<path>` give its bytes (a placeholder when none were uploaded).
A citizen's contact, photo or document needs no mending: the client route `/sendMessage` passes any message
fields on, `contact` included; so do an operator's group messages and callbacks (the supergroup `chat`,
`message_thread_id`, `is_topic_message`, a service field such as `forum_topic_closed`), checked by the tests.
Telegram's pace for a group, when asked (`group_limit = (20, 60.0)`: at most 20 calls that write into one group
in any 60 s): a call beyond it answers 429 with `retry_after`, as Telegram does; every call that writes into a
group is recorded in `group_calls` (time, method) for the tests' and benchmarks' counts.
Everything else is forwarded unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

MISSING_METHODS = {"setmycommands", "deletemycommands", "sendchataction", "setchatmenubutton"}
MAX_LONG_POLL = 2.0  # seconds; aiogram asks for more, the tests need the loop to stay lively
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


class EmulatorAdapter:
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
        self._own: dict[str, Callable[[str, Json], Awaitable[Any]]] = {
            "createforumtopic": self._create_topic,
            "editforumtopic": self._edit_topic,
            "closeforumtopic": self._close_topic,
            "reopenforumtopic": self._reopen_topic,
            "deleteforumtopic": self._delete_topic,
            "copymessage": self._copy_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "getfile": self._get_file,
            "deletemessage": self._delete_message,
        }
        self.app = web.Application()
        self.app.router.add_route("GET", "/file/bot{token}/{path:.+}", self.download)
        self.app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self._session: ClientSession | None = None

    # ---- plumbing ----

    @property
    def session(self) -> ClientSession:
        if self._session is None:
            self._session = ClientSession()
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

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.methods.append(method)
        name = method.lower()
        if name in WRITES and not request.content_type.startswith("multipart/"):
            fields = (
                dict(await request.json()) if request.content_type == "application/json" else dict(await request.post())
            )
            refused = self._group_pace(token, name, fields.get("chat_id", ""))
            if refused is not None:
                return refused
        if name in self._own:
            params, files = await self._params(request)
            params["_files"] = files
            try:
                result = await self._own[name](token, params)
            except ApiError as error:
                return self._error(error)
            return web.json_response({"ok": True, "result": result})
        body = await request.read()
        content_type = request.headers.get("Content-Type", "application/x-www-form-urlencoded")
        if name in MISSING_METHODS:
            self.calls.append((method, dict(await request.post()) if body else {}))
            return web.json_response({"ok": True, "result": True})
        if name == "getupdates":
            params = dict(await request.post()) if body else {}
            timeout = min(float(params.get("timeout", 0) or 0), MAX_LONG_POLL)
            deadline = time.monotonic() + timeout
            while True:
                if self._session is not None and self._session.closed:  # a long poll outliving the test
                    return web.json_response({"ok": True, "result": []})
                data = await self._forward(token, method, body, content_type)
                if data.get("result") or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.02)
            for update in data.get("result") or []:
                if "callback_query" in update:
                    update["callback_query"].setdefault("chat_instance", "emulated-chat-instance")
            return web.json_response(data)
        if name in ("editmessagetext", "editmessagereplymarkup"):
            params = dict(await request.post()) if body else {}
            if not await self._message_exists(
                token, str(params.get("chat_id")), str(params.get("message_id"))
            ):
                # The emulator silently accepts edits of messages that do not exist; Telegram refuses them.
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
                    status=400,
                )
        if name == "sendmessage":
            params = dict(await request.post()) if body else {}
            if params.get("message_thread_id"):
                try:
                    chat, thread = self._target(token, params)
                    message = await self._store(token, chat, thread, {**params, "chat_id": chat})
                except ApiError as error:
                    return self._error(error)
                self._note_keyboard(params)
                return web.json_response({"ok": True, "result": message})
        data = await self._forward(token, method, body, content_type)
        if name == "sendmessage" and data.get("ok"):
            self._note_keyboard(dict(await request.post()) if body else {})
            data["result"] = self._mend_message(data["result"], None)
        if name == "getme" and data.get("ok"):
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

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    # ---- groups and topics ----

    def group_title(self, chat_id: int) -> str:
        return self.group_titles.get(chat_id, GROUP_TITLE)

    def group_chat(self, chat_id: int) -> Json:
        """The supergroup as Telegram describes it in a message."""
        return {"id": chat_id, "type": "supergroup", "title": self.group_title(chat_id), "is_forum": True}

    def _mend_message(self, message: Json, thread: int | None) -> Json:
        """A stored bot message as Telegram returns it: a group's chat, the topic's thread."""
        chat_id = int(message["chat"]["id"])
        if chat_id < 0:
            message["chat"] = self.group_chat(chat_id)
        if thread is not None:
            message["message_thread_id"], message["is_topic_message"] = thread, True
        else:
            message.pop("message_thread_id", None)
        return message

    @staticmethod
    def _chat_id(params: Json) -> int:
        try:
            return int(params.get("chat_id", ""))
        except ValueError:
            raise ApiError("Bad Request: chat not found") from None

    def _topic(self, token: str, chat: int, thread: int) -> Topic:
        topic = self.topics.get((token, chat), {}).get(thread)
        if topic is None or topic.deleted:
            raise ApiError(THREAD_NOT_FOUND)
        return topic

    def _target(self, token: str, params: Json) -> tuple[int, int | None]:
        """The chat and thread a send goes to; refused as Telegram refuses a missing or closed thread."""
        chat = self._chat_id(params)
        raw = params.get("message_thread_id")
        if not raw:
            return chat, None
        thread = int(raw)
        topic = self._topic(token, chat, thread)
        if topic.closed and self.refuse_closed_topics:
            raise ApiError("Bad Request: TOPIC_CLOSED")
        return chat, thread

    async def _store(self, token: str, chat: int, thread: int | None, fields: Json) -> Json:
        """Store a bot message through the emulator's own route (so histories hold it) and return it mended."""
        fields = {k: v for k, v in fields.items() if not k.startswith("_") and k != "message_thread_id"}
        body = {**fields, "chat_id": chat}
        if thread is not None:
            body["message_thread_id"] = thread
        data = await self._emulator(f"bot{token}/sendMessage", body)
        return self._mend_message(dict(data["result"]), thread)

    async def _service(self, token: str, chat: int, thread: int, field: str, value: Json) -> None:
        await self._store(token, chat, thread, {field: value})

    async def _create_topic(self, token: str, params: Json) -> Json:
        chat = self._chat_id(params)
        if chat >= 0:
            raise ApiError("Bad Request: the chat is not a forum")
        name = str(params.get("name") or "")
        if not name or len(name) > 128:
            raise ApiError("Bad Request: TOPIC_TITLE_INVALID" if name else "Bad Request: TOPIC_TITLE_EMPTY")
        color = int(params.get("icon_color") or ICON_COLORS[0])
        if color not in ICON_COLORS:
            raise ApiError("Bad Request: TOPIC_ICON_COLOR_INVALID")
        created = {"name": name, "icon_color": color}
        service = await self._store(token, chat, None, {"forum_topic_created": created})
        thread = int(service["message_id"])
        # The service message opens its own thread: give it the thread id it made (the route merges fields).
        await self._emulator(
            f"bot{token}/editMessageText",
            {"chat_id": chat, "message_id": thread, "message_thread_id": thread},
        )
        self.topics.setdefault((token, chat), {})[thread] = Topic(thread, name, color)
        return {"message_thread_id": thread, "name": name, "icon_color": color}

    def _managed(self, token: str, params: Json) -> tuple[int, Topic]:
        chat = self._chat_id(params)
        try:
            return chat, self._topic(token, chat, int(params.get("message_thread_id") or 0))
        except ApiError:
            raise ApiError("Bad Request: TOPIC_ID_INVALID") from None

    async def _edit_topic(self, token: str, params: Json) -> bool:
        chat, topic = self._managed(token, params)
        edited: Json = {}
        if params.get("name"):
            topic.name = edited["name"] = str(params["name"])
        if "icon_custom_emoji_id" in params:
            edited["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        if not edited:
            raise ApiError("Bad Request: TOPIC_NOT_MODIFIED")
        await self._service(token, chat, topic.thread_id, "forum_topic_edited", edited)
        return True

    async def _close_topic(self, token: str, params: Json) -> bool:
        chat, topic = self._managed(token, params)
        if topic.closed:
            raise ApiError("Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = True
        await self._service(token, chat, topic.thread_id, "forum_topic_closed", {})
        return True

    async def _reopen_topic(self, token: str, params: Json) -> bool:
        chat, topic = self._managed(token, params)
        if not topic.closed:
            raise ApiError("Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = False
        await self._service(token, chat, topic.thread_id, "forum_topic_reopened", {})
        return True

    async def _delete_topic(self, token: str, params: Json) -> bool:
        chat, topic = self._managed(token, params)
        await self.delete_topic(token, chat, topic.thread_id)
        return True

    async def _delete_message(self, token: str, params: Json) -> bool:
        """The emulator deletes the first entry with that chat and id, and a callback query shares the id of the
        message that follows it: so it is asked again until the message itself is gone."""
        chat, message_id = self._chat_id(params), int(params.get("message_id") or 0)
        if await self._find(token, chat, message_id) is None:
            raise ApiError("Bad Request: message to delete not found")
        while await self._find(token, chat, message_id) is not None:
            await self._emulator(f"bot{token}/deleteMessage", {"chat_id": chat, "message_id": message_id})
        return True

    # ---- what operators do by hand ----

    async def delete_topic(self, token: str, chat_id: int, thread_id: int) -> None:
        """An operator deletes the topic: it and every message in it are gone; the bot is not told."""
        self._topic(token, chat_id, thread_id).deleted = True
        for item in await self.history(token):
            message = item.get("message") or {}
            in_chat = str(message.get("chat_id", (message.get("chat") or {}).get("id"))) == str(chat_id)
            if in_chat and str(message.get("message_thread_id")) == str(thread_id):
                params = {"chat_id": chat_id, "message_id": item["messageId"]}
                await self._delete_message(token, params)

    async def close_topic_by_hand(self, token: str, chat_id: int, thread_id: int, operator: Json) -> None:
        """An operator closes the topic; the bot gets the service message, from that operator."""
        topic = self._topic(token, chat_id, thread_id)
        topic.closed = True
        await self._by_hand(token, chat_id, thread_id, operator, "forum_topic_closed")

    async def reopen_topic_by_hand(self, token: str, chat_id: int, thread_id: int, operator: Json) -> None:
        topic = self._topic(token, chat_id, thread_id)
        topic.closed = False
        await self._by_hand(token, chat_id, thread_id, operator, "forum_topic_reopened")

    async def _by_hand(self, token: str, chat_id: int, thread_id: int, operator: Json, field: str) -> None:
        message = {"from": operator, "chat": self.group_chat(chat_id), "date": int(time.time()),
                   "message_thread_id": thread_id, "is_topic_message": True, field: {}}  # fmt: skip
        await self._emulator("sendMessage", {**message, "botToken": token})

    # ---- copies, media, files ----

    async def _find(self, token: str, chat_id: int, message_id: int) -> Json | None:
        for item in await self.history(token):
            message = item.get("message")
            if message is None or str(item.get("messageId")) != str(message_id):
                continue
            chat = message["chat"]["id"] if "chat" in message else message.get("chat_id")
            if str(chat) == str(chat_id):
                return dict(message)
        return None

    async def _copy_message(self, token: str, params: Json) -> Json:
        chat, thread = self._target(token, params)
        source = await self._find(token, int(params.get("from_chat_id", 0)), int(params.get("message_id", 0)))
        if source is None:
            raise ApiError("Bad Request: message to copy not found")
        content = {k: source[k] for k in CONTENT_FIELDS if k in source}
        if not content or any(k in source for k in SERVICE_FIELDS):
            raise ApiError("Bad Request: message can't be copied")
        for key in ("caption", "parse_mode", "caption_entities"):
            if key in params:
                content[key] = params[key]
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        message = await self._store(token, chat, thread, content)
        return {"message_id": message["message_id"]}

    def _new_file(self, data: bytes | None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"emulated-file-{n}", f"emulated-unique-{n}"
        if data is not None:
            self.files[file_id] = data
        return file_id, unique

    async def _known_file(self, token: str, file_id: str, field: str) -> Json | None:
        """The photo sizes or document that carries this file_id in any stored message."""
        for item in await self.history(token):
            value = (item.get("message") or {}).get(field)
            for obj in value if isinstance(value, list) else [value] if value else []:
                if isinstance(obj, dict) and obj.get("file_id") == file_id:
                    return dict(obj)
        return None

    async def _media(self, token: str, params: Json, field: str) -> tuple[Json, bytes | None]:
        """The photo size or document a send names: an upload, a URL, or a file_id the bot has seen."""
        raw = str(params.get(field) or "")
        files: dict[str, tuple[str, bytes]] = params["_files"]
        name, data = "file", None
        if raw.startswith("attach://") and raw[len("attach://") :] in files:
            name, data = files[raw[len("attach://") :]]
        elif field in files:
            name, data = files[field]
        elif raw.startswith(("http://", "https://")):
            name = raw.rsplit("/", 1)[-1] or "file"
        elif raw and (known := await self._known_file(token, raw, field)):
            return known, None
        elif raw in self.files:  # put by a test
            data = self.files[raw]
            return self._file_object(field, raw, f"unique-{raw}", name, len(data)), data
        elif raw:
            raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError(f"Bad Request: there is no {field} in the request")
        file_id, unique = self._new_file(data)
        return self._file_object(field, file_id, unique, name, len(data) if data is not None else 1024), data

    @staticmethod
    def _file_object(field: str, file_id: str, unique: str, name: str, size: int) -> Json:
        """A PhotoSize for a photo, a Document otherwise."""
        if field == "photo":
            return {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": 640,
                "height": 480,
                "file_size": size,
            }
        return {"file_id": file_id, "file_unique_id": unique, "file_name": name,
                "mime_type": "application/octet-stream", "file_size": size}  # fmt: skip

    async def _send_media(self, token: str, params: Json, field: str) -> Json:
        chat, thread = self._target(token, params)
        media, _ = await self._media(token, params, field)
        content: Json = {field: [media] if field == "photo" else media}
        for key in ("caption", "parse_mode", "caption_entities", "reply_markup"):
            if params.get(key):
                content[key] = params[key]
        return await self._store(token, chat, thread, content)

    async def _send_photo(self, token: str, params: Json) -> Json:
        return await self._send_media(token, params, "photo")

    async def _send_document(self, token: str, params: Json) -> Json:
        return await self._send_media(token, params, "document")

    async def _get_file(self, token: str, params: Json) -> Json:
        file_id = str(params.get("file_id") or "")
        known = None
        for field in ("photo", "document", "voice", "video", "audio"):
            if known := await self._known_file(token, file_id, field):
                break
        if known is None and file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        data = self.file_bytes(file_id)
        unique = (known or {}).get("file_unique_id", file_id)
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data),
            "file_path": f"files/{file_id}",
        }

    def file_bytes(self, file_id: str) -> bytes:
        """A file's bytes: what was uploaded or put in `files`, else a placeholder that names the file."""
        data = self.files.get(file_id)
        return data if data is not None else b"emulated file " + hashlib.sha256(file_id.encode()).digest()

    async def download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if not path.startswith("files/"):
            raise web.HTTPNotFound()
        return web.Response(body=self.file_bytes(path[len("files/") :]))


def commands_set(adapter: EmulatorAdapter) -> list[dict[str, str]]:
    """The commands menu the bot set (from the recorded setMyCommands call)."""
    for method, params in adapter.calls:
        if method.lower() == "setmycommands":
            return list(json.loads(params["commands"]))
    return []
