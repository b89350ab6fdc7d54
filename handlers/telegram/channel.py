"""The Telegram channel assembled: Bot with its API server, Dispatcher with workflow data, sender, modes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from dialogs.handoff.desk import Desk
from dialogs.turns import Turns
from handlers.telegram.middleware import CHANNEL, TurnMiddleware
from handlers.telegram.operators import QueueBoard, TopicPoster, operators_router
from handlers.telegram.routers import buttons_router, messages_router
from handlers.telegram.sender import RateGate, TelegramSender

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
# Seconds a webhook request may take before Telegram gets its 200 and the rest goes on in the background: well
# under nginx's proxy_read_timeout (30 s, deploy/nginx/viza-bot.conf) and Telegram's own patience (about 60 s).
WEBHOOK_ANSWER_WITHIN = 10.0
COMMANDS = [
    BotCommand(command="start", description="Почати спочатку"),
    BotCommand(command="menu", description="Головне меню"),
    BotCommand(command="help", description="Як користуватися ботом"),
    BotCommand(command="my", description="Мої записи на прийом"),
    BotCommand(command="reminders", description="Мої нагадування"),
    BotCommand(command="operator", description="Зв'язатися з людиною"),
    BotCommand(command="forget", description="Видалити мої дані"),
]


@dataclass
class TelegramChannel:
    bot: Bot
    dispatcher: Dispatcher
    sender: TelegramSender
    webhook_secret: str | None = None
    topics: TopicPoster | None = None  # the operator group's poster, when one is configured
    board: QueueBoard | None = None  # the operator group's queue message, when one is configured

    async def set_commands(self) -> None:
        """The commands menu with Ukrainian descriptions; a failure here must not stop the bot."""
        try:
            await self.bot.set_my_commands(COMMANDS)
        except Exception:
            log.exception("could not set the Telegram commands menu")

    async def run_polling(self) -> None:
        """Long polling until cancelled."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dispatcher.start_polling(
            self.bot, handle_signals=False, allowed_updates=self.dispatcher.resolve_used_update_types()
        )

    def mount_webhook(self, app: web.Application) -> None:
        """POST /telegram/webhook on the bot's HTTP server; requests without the secret header get 401.

        Telegram gets its 200 only once the update is handled: saved, and its replies sent. aiogram's default
        answers at once and handles the update in a task, so a process killed in between lost an update Telegram
        thought delivered. Now Telegram redelivers it (to any process; the update_id is deduplicated), and an
        update whose handling failed gets a 500 and comes again. Sending is bounded: an update still busy after
        WEBHOOK_ANSWER_WITHIN seconds (Telegram's API slow or answering 429, the sender retrying) gets its 200
        then and finishes in the background (aiogram's `_timeout` of `feed_webhook_update`, which has no public
        equivalent: aiogram is pinned and tests/handlers/test_library_internals.py checks it), so a slow Telegram
        never holds a request past nginx's proxy_read_timeout, which would take the process out of the upstream.
        A step is saved in milliseconds, long before that."""
        SimpleRequestHandler(
            dispatcher=self.dispatcher,
            bot=self.bot,
            secret_token=self.webhook_secret,
            handle_in_background=False,
            _timeout=WEBHOOK_ANSWER_WITHIN,
        ).register(app, path=WEBHOOK_PATH)

    async def set_webhook(self, public_url: str) -> None:
        await self.bot.set_webhook(
            public_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=self.webhook_secret,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    async def close(self) -> None:
        with_timeout = asyncio.wait_for(self.bot.session.close(), timeout=5)
        await with_timeout


def build_telegram(
    token: str,
    api_server: str,
    turns: Turns,
    *,
    webhook_secret: str | None = None,
    per_chat_rate: float = 1.0,
    global_rate: float = 30.0,
    group_rate: float = 20.0,
    operators: tuple[int, Desk] | None = None,
    gates: tuple[RateGate, RateGate] | None = None,
    group_gate: RateGate | None = None,
    note: Callable[[str], None] | None = None,
) -> TelegramChannel:
    """Wire the channel once; long-lived services go into the Dispatcher as workflow data. `gates`: the overall
    and per-chat pacing shared with other processes (bot/shared.py), `group_gate` a group's; by default this
    process's own."""
    uow_factory = turns.uows
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_server.rstrip("/")))
    bot = Bot(token, session=session)

    async def on_blocked(chat_id: int) -> None:
        async with uow_factory() as uow:
            await uow.users.deactivate(CHANNEL, str(chat_id))

    global_gate, chat_gate = gates or (None, None)
    sender = TelegramSender(
        bot,
        on_blocked,
        per_chat_rate=per_chat_rate,
        global_rate=global_rate,
        group_rate=group_rate,
        global_gate=global_gate,
        chat_gate=chat_gate,
        group_gate=group_gate,
        note=note,
    )
    # The dialog state lives in our database (the engine's), so aiogram's FSM would be dead weight on every update.
    dispatcher = Dispatcher(turns=turns, sender=sender, disable_fsm=True)
    dispatcher.update.outer_middleware(TurnMiddleware(turns))
    topics = board = None
    if operators is not None:  # the operator group's updates first: its buttons are not the citizens'
        chat_id, desk = operators
        topics = TopicPoster(sender, chat_id, uow_factory, desk.handoff)
        board = QueueBoard(sender, chat_id, uow_factory, desk.handoff)
        dispatcher.include_router(operators_router(chat_id, desk, topics, uow_factory.clock))
    # Order matters only between these two, and they filter on different update types.
    dispatcher.include_routers(buttons_router(), messages_router())
    return TelegramChannel(bot, dispatcher, sender, webhook_secret, topics, board)
