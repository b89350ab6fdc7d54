"""The operators' supergroup with forum topics in the emulator's adapter (see testkit/telegram/adapter.py): a
group's chat as Telegram describes it, topics created, edited, closed, reopened and deleted (by the bot, or by an
operator by hand), messages stored in a topic."""

from __future__ import annotations

import time

from testkit.telegram.adapter_base import (
    GROUP_TITLE,
    ICON_COLORS,
    THREAD_NOT_FOUND,
    AdapterBase,
    ApiError,
    Json,
    Topic,
)


class Forum(AdapterBase):
    """Groups and topics."""

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
