"""A hotline operator in the supergroup with forum topics, through the emulator's client API: writes and gives
commands in a topic, sends a photo or a file, presses the buttons of the bot's messages, reads a topic, and closes
or deletes a topic by hand."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testkit.telegram.adapter import SERVICE_FIELDS, EmulatorAdapter, Topic
from testkit.telegram.adapter_base import emulator_session
from testkit.transcript import Seen

QUIET = 0.35  # the bot is done when the bot's messages have not changed for this long
PATIENCE = 15.0  # and must have answered within this
SILENCE = 3.0  # when nothing changes at all, the bot is done this long after it fetched the update
MEDIA_FIELDS = (
    "photo",
    "document",
    "video",
    "video_note",
    "voice",
    "audio",
    "animation",
    "sticker",
    "contact",
    "location",
)


@dataclass
class TopicMessage:
    """One message in the group as an operator's client shows it."""

    message_id: int
    thread_id: int | None
    text: str  # the text, or a media message's caption
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    media: str | None = None  # "photo", "document", …
    file_id: str | None = None
    from_bot: bool = True
    sender_id: int | None = None  # a person's user id; None for the bot
    service: str | None = None  # "forum_topic_created", "forum_topic_closed", …
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @staticmethod
    def of(item: dict[str, Any]) -> TopicMessage:
        msg = item["message"]
        markup = msg.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = [
            (b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row
        ]
        media = next((f for f in MEDIA_FIELDS if msg.get(f)), None)
        file_obj = msg.get(media) if media else None
        if isinstance(file_obj, list):
            file_obj = file_obj[-1] if file_obj else None
        thread = msg.get("message_thread_id")
        from_bot = "chat_id" in msg  # the emulator keeps a bot message as its send's parameters
        return TopicMessage(
            message_id=int(item["messageId"]),
            thread_id=int(thread) if thread not in (None, "") else None,
            text=str(msg.get("text") or msg.get("caption") or ""),
            buttons=buttons,
            media=media,
            file_id=file_obj.get("file_id") if isinstance(file_obj, dict) else None,
            from_bot=from_bot,
            sender_id=None if from_bot else int(msg["from"]["id"]),
            service=next((f for f in SERVICE_FIELDS if f in msg), None),
            raw=msg,
        )


def _chat_of(message: dict[str, Any]) -> str:
    return str(message["chat_id"] if "chat_id" in message else message.get("chat", {}).get("id"))


class TelegramOperator:
    """Plays one operator in the group; `send_text`, `command`, `send_photo` and `press` return what the bot posted
    or changed in the group, once the bot has gone quiet (its messages to citizens included: `elsewhere`)."""

    _files = itertools.count(1)

    def __init__(
        self,
        emulator_url: str,
        token: str,
        chat_id: int,
        user_id: int,
        name: str,
        adapter: EmulatorAdapter,
    ) -> None:
        self.url = emulator_url.rstrip("/")
        self.token = token
        self.chat_id = chat_id
        self.user_id = user_id
        self.name = name
        self.adapter = adapter
        self.elsewhere: list[dict[str, Any]] = []  # the bot's messages to other chats during the last action
        self.session = emulator_session()

    def person(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.name, "language_code": "uk"}

    def _chat(self) -> dict[str, Any]:
        return self.adapter.group_chat(self.chat_id)

    async def _items(self) -> list[dict[str, Any]]:
        async with self.session.post(f"{self.url}/getUpdatesHistory", json={"token": self.token}) as resp:
            return list((await resp.json())["result"])

    async def messages(self) -> list[TopicMessage]:
        """Every message in the group, the bot's and people's, oldest first (edits applied, deletions gone)."""
        items = [
            i for i in await self._items() if "message" in i and _chat_of(i["message"]) == str(self.chat_id)
        ]
        return [TopicMessage.of(i) for i in sorted(items, key=lambda i: int(i["messageId"]))]

    async def topic(self, thread_id: int) -> list[TopicMessage]:
        """The messages in one topic, its service messages included, oldest first."""
        return [m for m in await self.messages() if m.thread_id == thread_id]

    def topics(self) -> dict[int, Topic]:
        """The adapter's record of this group's topics: thread id → name, closed, deleted."""
        return self.adapter.topics.get((self.token, self.chat_id), {})

    def _in_topic(self, thread_id: int | None) -> dict[str, Any]:
        """The fields Telegram gives a message in a topic; a message without a reply answers the topic's
        creation, so `reply_to_message` is that service message (as Telegram sends it)."""
        if thread_id is None:
            return {}
        fields: dict[str, Any] = {"message_thread_id": thread_id, "is_topic_message": True}
        topic = self.topics().get(thread_id)
        if topic is not None:
            created = {"name": topic.name, "icon_color": topic.icon_color}
            fields["reply_to_message"] = {"message_id": thread_id, "date": int(time.time()), "chat": self._chat(),
                                          "message_thread_id": thread_id, "is_topic_message": True,
                                          "forum_topic_created": created}  # fmt: skip
        return fields

    def _message(self, thread_id: int | None, **content: Any) -> dict[str, Any]:
        return {"from": self.person(), "chat": self._chat(), "date": int(time.time()),
                **self._in_topic(thread_id), **content}  # fmt: skip

    async def _act(self, route: str, body: dict[str, Any]) -> Seen:
        def bot_messages(items: list[dict[str, Any]]) -> dict[int, str]:
            return {i["messageId"]: json.dumps(i["message"], sort_keys=True)
                    for i in items if "message" in i and "chat_id" in i["message"]}  # fmt: skip

        items = await self._items()
        before, known = bot_messages(items), {i["updateId"] for i in items}
        async with self.session.post(f"{self.url}/{route}", json={**body, "botToken": self.token}) as resp:
            assert resp.status == 200, await resp.text()
        changed: list[int] = []
        last_change: float | None = None
        read_at: float | None = None
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            items = await self._items()
            now_messages = bot_messages(items)
            now = sorted(k for k, v in now_messages.items() if before.get(k) != v)
            ours = [i for i in items if i["updateId"] not in known and self._mine(i)]
            if read_at is None and ours and all(i["isRead"] for i in ours):
                read_at = time.monotonic()
            if now != changed:
                changed, last_change = now, time.monotonic()
                continue
            # Done once the bot's messages are quiet; when it says nothing, once it fetched the update long ago.
            since, wait = (last_change, QUIET) if last_change is not None else (read_at, SILENCE)
            if since is not None and time.monotonic() - since >= wait:
                break
        by_id = {i["messageId"]: i for i in items if "message" in i}
        group = [
            by_id[k] for k in changed if k in by_id and _chat_of(by_id[k]["message"]) == str(self.chat_id)
        ]
        self.elsewhere = [by_id[k]["message"] for k in changed if k in by_id and by_id[k] not in group]
        return self._seen([TopicMessage.of(i) for i in group])

    def _mine(self, item: dict[str, Any]) -> bool:
        """A person's update (not a bot message) sent by this operator."""
        update = item.get("callbackQuery") or item.get("message") or {}
        return "chat_id" not in update and (update.get("from") or {}).get("id") == self.user_id

    @staticmethod
    def _seen(messages: list[TopicMessage]) -> Seen:
        return Seen([m.text for m in messages], [b for m in messages for b in m.buttons])

    async def send_text(self, text: str, thread_id: int | None) -> Seen:
        """Write in a topic (None: the group's General topic)."""
        return await self._act("sendMessage", self._message(thread_id, text=text))

    async def command(self, text: str, thread_id: int | None) -> Seen:
        """Give a command in a topic, e.g. «/t 41-11»."""
        assert text.startswith("/"), text
        command = text.split(" ", 1)[0]
        entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return await self._act("sendCommand", self._message(thread_id, text=text, entities=entities))

    async def send_photo(self, thread_id: int | None, caption: str | None = None) -> Seen:
        """Send a photo into a topic; its bytes are known to the adapter, so the bot may download it."""
        n = next(self._files)
        file_id = f"operator-photo-{self.user_id}-{n}"
        self.adapter.files[file_id] = b"\x89PNG operator photo " + file_id.encode()
        photo = [{"file_id": file_id, "file_unique_id": f"op-{self.user_id}-{n}", "width": 800, "height": 600,
                  "file_size": len(self.adapter.files[file_id])}]  # fmt: skip
        extra = {"caption": caption} if caption else {}
        return await self._act("sendMessage", self._message(thread_id, photo=photo, **extra))

    async def send_document(self, thread_id: int | None, file_name: str = "бланк.pdf") -> Seen:
        n = next(self._files)
        file_id = f"operator-doc-{self.user_id}-{n}"
        self.adapter.files[file_id] = b"%PDF operator document " + file_id.encode()
        document = {"file_id": file_id, "file_unique_id": f"od-{self.user_id}-{n}", "file_name": file_name,
                    "mime_type": "application/pdf", "file_size": len(self.adapter.files[file_id])}  # fmt: skip
        return await self._act("sendMessage", self._message(thread_id, document=document))

    async def press(self, payload: str, thread_id: int | None = None, message_id: int | None = None) -> Seen:
        """Press the button with this callback data on the newest bot message in the group (or in that topic)
        that has it; `message_id` presses it on that message even if it no longer shows the button (a client
        that has not refreshed)."""
        group = [m for m in await self.messages() if m.from_bot]
        if message_id is not None:
            holder = next((m for m in group if m.message_id == message_id), None)
        else:
            holder = next(
                (
                    m
                    for m in reversed(group)
                    if (thread_id is None or m.thread_id == thread_id)
                    and any(p == payload for _, p in m.buttons)
                ),
                None,
            )
        assert holder is not None, f"no message in the group has the button {payload!r}"
        message: dict[str, Any] = {"message_id": holder.message_id, "date": int(time.time()), "chat": self._chat(),
                                   "text": holder.text}  # fmt: skip
        if holder.thread_id is not None:
            message.update(message_thread_id=holder.thread_id, is_topic_message=True)
        if "reply_markup" in holder.raw:
            message["reply_markup"] = holder.raw["reply_markup"]
        query = {"from": self.person(), "message": message, "data": payload, "date": int(time.time())}
        return await self._act("sendCallback", query)

    async def wait_for(
        self,
        match: str | Callable[[TopicMessage], bool],
        thread_id: int | None = None,
        timeout: float = PATIENCE,
    ) -> TopicMessage:
        """Wait until a message in the group (or that topic) contains this text or satisfies the predicate, e.g.
        a citizen's message relayed into the topic; the newest such message."""
        test = (lambda m: match in m.text) if isinstance(match, str) else match
        deadline = time.monotonic() + timeout
        while True:
            found = [
                m
                for m in await self.messages()
                if (thread_id is None or m.thread_id == thread_id) and test(m)
            ]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, f"nothing matched {match!r} in the group within {timeout} s"
            await asyncio.sleep(0.05)

    async def settle(self, quiet: float = QUIET, timeout: float = PATIENCE) -> list[TopicMessage]:
        """Wait until the group has not changed for `quiet` seconds (bounded); its messages then."""
        last = json.dumps([m.raw for m in await self.messages()], sort_keys=True, default=str)
        stable_since, deadline = time.monotonic(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = json.dumps([m.raw for m in await self.messages()], sort_keys=True, default=str)
            if now != last:
                last, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= quiet:
                break
        return await self.messages()

    async def close_topic(self, thread_id: int) -> None:
        """Close the topic by hand in the client: the bot gets the service message from this operator."""
        await self.adapter.close_topic_by_hand(self.token, self.chat_id, thread_id, self.person())

    async def reopen_topic(self, thread_id: int) -> None:
        await self.adapter.reopen_topic_by_hand(self.token, self.chat_id, thread_id, self.person())

    async def delete_topic(self, thread_id: int) -> None:
        """Delete the topic by hand: its messages are gone and the bot is not told."""
        await self.adapter.delete_topic(self.token, self.chat_id, thread_id)

    async def close(self) -> None:
        await self.session.close()
