"""The composition root: settings -> database -> knowledge -> engine -> channels, built once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from dialogs.booking.flow import BookingRoom
from dialogs.booking.service import BookingService
from dialogs.engine import Engine
from dialogs.paths import check_all
from dialogs.reminders.flow import ReminderRoom
from dialogs.reminders.service import ReminderService
from dialogs.rooms import Room
from dialogs.scenario import load_scenarios
from handlers.telegram.channel import TelegramChannel, build_telegram
from handlers.viber.channel import ViberChannel, build_viber
from handlers.web.routes import setup_web
from knowledge import Knowledge, load_knowledge
from knowledge.search import SearchIndex, build_index
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything the running bot holds; `close()` releases it."""

    settings: Settings
    db: AsyncEngine
    engine: Engine
    http: web.Application
    uow_factory: UnitOfWorkFactory
    telegram: TelegramChannel | None = None
    viber: ViberChannel | None = None
    reminders: ReminderService | None = None  # renders due reminders for the dispatcher

    async def close(self) -> None:
        try:
            if self.telegram:
                await self.telegram.close()
            if self.viber:
                await self.viber.close()
        finally:
            try:
                await self.uow_factory.close()  # writes the conversation lines still buffered
            finally:
                await self.db.dispose()


async def build(settings: Settings, *, kb: Knowledge | None = None, index: SearchIndex | None = None) -> Bot:
    """Build the whole object graph for these settings (tests use the same with other settings).

    `kb` and `index` may be passed in already built: they are immutable, and building them takes a second."""
    db = make_engine(settings.database_url)
    await upgrade(db)
    kb = kb or load_knowledge()
    index = index or build_index(kb)
    scenarios = load_scenarios()
    problems = check_all(scenarios, kb, paths=False)  # the paths are proved by `python -m dialogs check`
    if problems:
        raise RuntimeError("scenarios are invalid:\n" + "\n".join(problems))
    uow_factory = UnitOfWorkFactory(make_sessionmaker(db), serialize=db.dialect.name == "sqlite")
    holidays_off = settings.holidays_off()
    booking = (
        BookingService(kb, martial_law=settings.martial_law, holidays_are_days_off=holidays_off)
        if kb.booking is not None
        else None
    )
    reminders = ReminderService(kb, booking, holidays_are_days_off=holidays_off)
    # Each capability is a room of the engine; adding one adds a line here.
    rooms: list[Room] = [ReminderRoom(reminders, transfer_links=settings.transfer_links())]
    if booking is not None:
        rooms.append(BookingRoom(kb, booking, reminders))
    engine = Engine(
        kb,
        index,
        scenarios,
        uow_factory,
        martial_law=settings.martial_law,
        stale_after=settings.stale_session,
        rooms=rooms,
    )
    http = web.Application(client_max_size=256 * 1024)
    setup_web(http, engine, uow_factory)
    telegram = None
    if settings.telegram_bot_token and settings.telegram_enabled:
        secret = settings.telegram_webhook_secret
        telegram = build_telegram(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_server,
            engine,
            uow_factory,
            webhook_secret=secret.get_secret_value() if secret else None,
            per_chat_rate=settings.telegram_per_chat_rate,
            global_rate=settings.telegram_global_rate,
        )
        if settings.telegram_mode == "webhook":
            telegram.mount_webhook(http)
    viber = None
    if settings.viber_auth_token and settings.viber_enabled:
        viber = build_viber(
            settings.viber_auth_token.get_secret_value(),
            settings.viber_api_url,
            settings.viber_bot_name,
            engine,
            uow_factory,
            timeout=settings.viber_send_timeout,
        )
        viber.mount(http)
    return Bot(settings, db, engine, http, uow_factory, telegram, viber, reminders)
