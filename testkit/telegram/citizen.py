"""A citizen in Telegram, through the emulator's client API: types, presses inline and reply-keyboard buttons,
shares their phone, reads the chat."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from testkit.telegram.adapter_base import emulator_session
from testkit.transcript import Seen

QUIET = 0.35  # the bot is done when the chat has not changed for this long
PATIENCE = 15.0  # and must have answered within this
SILENCE = 3.0  # when the chat does not change at all, the bot is done this long after it fetched the update
SHARE_PHONE = "phone"  # what `Seen` lists as the payload of a reply keyboard's «share my number» button
PHONE = "+380670000001"  # the test citizen's own number


class TelegramCitizen:
    """Plays one private chat with the bot; `send_text` and `press` return what appeared or changed."""

    _ids = itertools.count(1000)
    _files = itertools.count(1)

    def __init__(
        self,
        emulator_url: str,
        token: str,
        user_id: int | None = None,
        keyboards: dict[str, list[list[dict[str, Any]]]] | None = None,
    ) -> None:
        self.url = emulator_url.rstrip("/")
        self.token = token
        self.user_id = user_id or next(self._ids)
        self.phone = PHONE
        # The adapter's record of what each chat shows below its input field: chat id → reply keyboard.
        self._keyboards = keyboards if keyboards is not None else {}
        self.session = emulator_session()

    def reply_keyboard(self) -> list[list[dict[str, Any]]] | None:
        """The reply keyboard the bot set for this chat and has not taken away (None: the letters keyboard)."""
        return self._keyboards.get(str(self.user_id))

    def _person(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Громадянин", "language_code": "uk"}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": "Громадянин"}

    async def history(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat, oldest first, as the emulator stores them (edits applied)."""
        async with self.session.post(f"{self.url}/getUpdatesHistory", json={"token": self.token}) as resp:
            items = (await resp.json())["result"]
        return [
            i
            for i in items
            if "message" in i
            and "chat_id" in i["message"]
            and str(i["message"]["chat_id"]) == str(self.user_id)
        ]

    async def _items(self) -> list[dict[str, Any]]:
        async with self.session.post(f"{self.url}/getUpdatesHistory", json={"token": self.token}) as resp:
            return list((await resp.json())["result"])

    def _mine(self, item: dict[str, Any]) -> bool:
        """This citizen's own update (a message or a button press), not a bot message."""
        update = item.get("callbackQuery") or item.get("message") or {}
        return "chat_id" not in update and (update.get("from") or {}).get("id") == self.user_id

    async def _act(self, route: str, body: dict[str, Any]) -> Seen:
        """What the bot changed in the chat, once it has been quiet for QUIET; when it changes nothing (a held
        citizen's line goes to the operators in silence), SILENCE after the bot fetched the update."""
        before = {m["messageId"]: json.dumps(m["message"], sort_keys=True) for m in await self.history()}
        known = {i["updateId"] for i in await self._items()}
        async with self.session.post(f"{self.url}/{route}", json={**body, "botToken": self.token}) as resp:
            assert resp.status == 200, await resp.text()
        changed: list[dict[str, Any]] = []
        last_change, read_at, deadline = None, None, time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = [
                m
                for m in await self.history()
                if before.get(m["messageId"]) != json.dumps(m["message"], sort_keys=True)
            ]
            if read_at is None:
                ours = [i for i in await self._items() if i["updateId"] not in known and self._mine(i)]
                if ours and all(i.get("isRead") for i in ours):
                    read_at = time.monotonic()
            if len(now) != len(changed) or now != changed:
                changed, last_change = now, time.monotonic()
                continue
            # Done once the chat is quiet; when the bot says nothing, once it fetched the update long ago.
            since, wait = (last_change, QUIET) if last_change is not None else (read_at, SILENCE)
            if since is not None and time.monotonic() - since >= wait:
                break
        return self._seen(changed)

    @staticmethod
    def _seen(messages: list[dict[str, Any]]) -> Seen:
        texts, buttons = [], []
        for m in messages:
            msg = m["message"]
            texts.append(msg.get("text", ""))
            markup = msg.get("reply_markup") or {}
            if isinstance(markup, str):
                markup = json.loads(markup)
            for row in markup.get("inline_keyboard", []):
                buttons += [(b["text"], b.get("callback_data", "")) for b in row]
            for row in markup.get("keyboard", []):  # a reply button sends its text, or the citizen's contact
                buttons += [(b["text"], SHARE_PHONE if b.get("request_contact") else b["text"]) for b in row]
        return Seen(texts, buttons)

    async def send_text(self, text: str) -> Seen:
        message = {"from": self._person(), "chat": self._chat(), "date": int(time.time()), "text": text}
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
            return await self._act("sendCommand", message)
        return await self._act("sendMessage", message)

    async def send_contact(self, phone: str | None = None, *, own: bool = True) -> Seen:
        """Share a contact: by default the citizen's own number, as the «share my number» button sends it;
        `own=False` sends someone else's card from the address book."""
        contact = {"phone_number": phone or self.phone, "first_name": "Громадянин" if own else "Сусідка",
                   "user_id": self.user_id if own else self.user_id + 1_000_000}  # fmt: skip
        message = {"from": self._person(), "chat": self._chat(), "date": int(time.time()), "contact": contact}
        return await self._act("sendMessage", message)

    async def verify(self) -> Seen:
        """Prove the phone as the verify room asks: the «share my number» button sends the citizen's own."""
        return await self.send_contact()

    async def send_photo(self, caption: str | None = None) -> Seen:
        """Send a photo (one size, a file_id of its own), with a caption if given."""
        n = next(self._files)
        photo = [{"file_id": f"citizen-photo-{self.user_id}-{n}", "file_unique_id": f"cp-{self.user_id}-{n}",
                  "width": 1280, "height": 960, "file_size": 120_000}]  # fmt: skip
        message = {"from": self._person(), "chat": self._chat(), "date": int(time.time()), "photo": photo}
        if caption:
            message["caption"] = caption
        return await self._act("sendMessage", message)

    async def send_document(
        self, file_name: str = "довідка.pdf", mime_type: str = "application/pdf", caption: str | None = None
    ) -> Seen:
        """Send a file as a document, with a caption if given."""
        n = next(self._files)
        document = {"file_id": f"citizen-doc-{self.user_id}-{n}", "file_unique_id": f"cd-{self.user_id}-{n}",
                    "file_name": file_name, "mime_type": mime_type, "file_size": 48_000}  # fmt: skip
        message = {
            "from": self._person(),
            "chat": self._chat(),
            "date": int(time.time()),
            "document": document,
        }
        if caption:
            message["caption"] = caption
        return await self._act("sendMessage", message)

    async def press(self, payload: str) -> Seen:
        """Press the button with this callback data on the newest message that has it (or the newest message).
        A reply keyboard's button is pressed by its `Seen` payload: its text, or `SHARE_PHONE`."""
        keyboard = [b for row in self.reply_keyboard() or [] for b in row]
        if payload == SHARE_PHONE and any(b.get("request_contact") for b in keyboard):
            return await self.send_contact()
        if any(b["text"] == payload and not b.get("request_contact") for b in keyboard):
            return await self.send_text(payload)
        history = await self.history()
        holder = next(
            (
                m
                for m in reversed(history)
                if payload in json.dumps(m["message"].get("reply_markup") or {}, ensure_ascii=False)
            ),
            None,
        )
        holder = holder or (history[-1] if history else None)
        message = {"message_id": holder["messageId"] if holder else 1, "date": int(time.time()), "chat": self._chat(),
                   "text": holder["message"].get("text", "") if holder else ""}  # fmt: skip
        query = {"from": self._person(), "message": message, "data": payload, "date": int(time.time())}
        return await self._act("sendCallback", query)

    async def close(self) -> None:
        await self.session.close()
