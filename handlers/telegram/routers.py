"""Routers: translate Telegram updates into engine calls and the engine's replies into sends.

They do not decide anything about the conversation; the engine does. The replies are sent after the unit of
work commits, so a failed send never rolls back the citizen's progress and no database lock waits on the network.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from dialogs.payloads import Action, parse
from handlers.telegram.middleware import CHANNEL
from handlers.telegram.sender import TelegramSender
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Buttons that move within menus and cards read better edited in place than as a new message.
_NAVIGATION = {Action.MENU, Action.SERVICE}


def _in_place(payload: str | None, replies: list[Reply]) -> bool:
    parsed = parse(payload) if payload else None
    return parsed is not None and parsed.action in _NAVIGATION and bool(parsed.args) and len(replies) == 1


def buttons_router() -> Router:
    router = Router(name="buttons")

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, uow: UnitOfWork, engine: Engine, sender: TelegramSender
    ) -> None:
        await query.answer()  # stop the spinner at once
        message = query.message
        chat_id = message.chat.id if message else query.from_user.id
        replies = await engine.handle_in(
            uow, Incoming(CHANNEL, str(query.from_user.id), payload=query.data or "")
        )
        if message and not isinstance(message, InaccessibleMessage) and _in_place(query.data, replies):
            uow.after_commit(lambda: sender.edit_or_send(chat_id, message.message_id, replies[0]))
        else:
            uow.after_commit(lambda: sender.send_replies(chat_id, replies))

    return router


def messages_router() -> Router:
    router = Router(name="messages")
    router.message.filter(F.chat.type == "private")

    @router.message()
    async def on_message(message: Message, uow: UnitOfWork, engine: Engine, sender: TelegramSender) -> None:
        # Photos, stickers, voice: no text, and the engine kindly asks for words.
        text = message.text or message.caption or ""
        user_id = message.from_user.id if message.from_user else message.chat.id
        replies = await engine.handle_in(uow, Incoming(CHANNEL, str(user_id), text=text))
        uow.after_commit(lambda: sender.send_replies(message.chat.id, replies))

    return router
