"""Routers: translate Telegram updates into engine calls and the engine's replies into sends.

They do not decide anything about the conversation; the engine does. The replies are sent after the unit of
work commits, so a failed send never rolls back the citizen's progress and no database lock waits on the network.
"""

from __future__ import annotations

import logging
import re

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from dialogs.messages import Attachment, Incoming
from dialogs.turns import Turn, Turns
from handlers.telegram.middleware import CHANNEL
from handlers.telegram.sender import TelegramSender

log = logging.getLogger(__name__)


def buttons_router() -> Router:
    router = Router(name="buttons")

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, turn: Turn, turns: Turns, sender: TelegramSender
    ) -> None:
        uow = turn.uow
        # Stop the spinner once the work is saved; a failed answer (too old, network) must not lose the press.
        uow.after_commit(query.answer)
        message = query.message
        chat_id = message.chat.id if message else query.from_user.id
        # The button's data is the engine's payload as it is; the engine kindly answers one it does not know
        # (an old button, a forged one), so nothing here parses it.
        replies = await turns.step(
            turn,
            Incoming(
                CHANNEL, str(query.from_user.id), payload=query.data or "", name=query.from_user.first_name
            ),
        )
        # The engine says when a reply stands in for the message whose button was pressed.
        if (
            message
            and not isinstance(message, InaccessibleMessage)
            and len(replies) == 1
            and replies[0].replace
        ):
            uow.after_commit(lambda: sender.edit_or_send(chat_id, message.message_id, replies[0]))
        else:
            uow.after_commit(lambda: sender.send_replies(chat_id, replies))

    return router


class PrivateChat(Filter):
    """Only one-to-one chats. A coroutine on purpose: aiogram runs a plain callable such as an `F` magic filter in
    a worker thread (`asyncio.to_thread`), a thread round trip on every message."""

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private"


def messages_router() -> Router:
    router = Router(name="messages")
    router.message.filter(PrivateChat())

    @router.message()
    async def on_message(message: Message, turn: Turn, turns: Turns, sender: TelegramSender) -> None:
        chat_id = message.chat.id
        await turns.step(turn, incoming(message), lambda replies: sender.send_replies(chat_id, replies))

    return router


def incoming(message: Message) -> Incoming:
    """A citizen's message for the engine. A shared contact passes its number on only when it is the sender's
    own (what the «share my number» button sends); someone else's card is a contact without a number.
    Photos, stickers, voice: no text, and the engine kindly asks for words."""
    user_id = str(message.from_user.id if message.from_user else message.chat.id)
    name = message.from_user.first_name if message.from_user else None
    contact = message.contact
    if contact is not None:
        own = message.from_user is not None and contact.user_id == message.from_user.id
        phone = re.sub(r"\D", "", contact.phone_number) if own else ""
        return Incoming(CHANNEL, user_id, contact_shared=True, phone=phone or None, name=name)
    return Incoming(
        CHANNEL,
        user_id,
        text=message.text or message.caption or "",
        attachment=attachment(message),
        name=name,
    )


def attachment(message: Message) -> Attachment | None:
    """A file, photo, voice… as something another chat can get: a copy of this very message."""
    kind = next((k for k in MEDIA if getattr(message, k, None)), None)
    if kind is None:
        return None
    name = message.document.file_name if message.document else None
    return Attachment(MEDIA[kind], origin=f"{message.chat.id}:{message.message_id}", name=name)


MEDIA = {  # the message field → the attachment's kind
    "photo": "photo",
    "document": "document",
    "video": "video",
    "voice": "voice",
    "audio": "audio",
    "video_note": "video",
    "sticker": "sticker",
    "animation": "video",
}
