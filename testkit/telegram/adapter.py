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
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from testkit.telegram.adapter_base import GROUP_TITLE, SERVICE_FIELDS, WRITES, ApiError, Json, Topic
from testkit.telegram.files import Files

MISSING_METHODS = {"setmycommands", "deletemycommands", "sendchataction", "setchatmenubutton"}
MAX_LONG_POLL = 2.0  # seconds; aiogram asks for more, the tests need the loop to stay lively

__all__ = ["GROUP_TITLE", "SERVICE_FIELDS", "EmulatorAdapter", "Topic", "commands_set"]


class EmulatorAdapter(Files):
    """The adapter: its state and plumbing (adapter_base.py), groups and topics (forum.py), copies, media and files
    (files.py); here the routing of every call."""

    def __init__(self, emulator_url: str) -> None:
        super().__init__(emulator_url)
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


def commands_set(adapter: EmulatorAdapter) -> list[dict[str, str]]:
    """The commands menu the bot set (from the recorded setMyCommands call)."""
    for method, params in adapter.calls:
        if method.lower() == "setmycommands":
            return list(json.loads(params["commands"]))
    return []
