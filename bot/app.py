"""The composition root: settings -> database -> knowledge -> engine -> channels, built once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import Metrics
from bot.outbox import Kicker, senders
from bot.settings import Settings
from bot.shared import RedisFlood, RedisLocks, RedisQuiet, RedisRate, SharedRedis
from bot.sms import TurboSms, gateway
from dialogs.alerts.banner import AlertBanner, AlertBoard
from dialogs.booking.flow import BUTTONS as BOOKING_BUTTONS
from dialogs.booking.flow import BookingRoom
from dialogs.booking.offices import first_import
from dialogs.booking.service import BookingService
from dialogs.care.flow import CareRoom
from dialogs.console import unanswered as console_unanswered
from dialogs.describe import Describer
from dialogs.engine import Engine
from dialogs.flood import FloodLimiter
from dialogs.handoff.canned import CannedAnswers
from dialogs.handoff.desk import Desk
from dialogs.handoff.flow import BUTTONS as HANDOFF_BUTTONS
from dialogs.handoff.flow import HandoffRoom
from dialogs.handoff.service import HandoffService, HandoffSettings
from dialogs.locks import KeyedLocks
from dialogs.paths import check_all
from dialogs.payloads import CORE
from dialogs.reminders.flow import ReminderRoom
from dialogs.reminders.service import ReminderService
from dialogs.rooms import Room
from dialogs.scenario import load_scenarios
from dialogs.survey.flow import SurveyRoom
from dialogs.survey.service import SurveyService
from dialogs.turns import Pipeline, Turns
from dialogs.verify.flow import VerifyRoom
from handlers.telegram.channel import TelegramChannel, build_telegram
from handlers.telegram.sender import GROUP_BURST, PER_CHAT_BURST, LocalRate, RateGate, global_burst
from handlers.viber.channel import ViberChannel, build_viber
from handlers.viber.sender import QuietLimit
from handlers.web.client import parse_proxies
from handlers.web.live import LiveHub, setup_live
from handlers.web.metrics import setup_metrics
from handlers.web.routes import setup_web
from handlers.web.staff import setup_staff
from knowledge import Knowledge, load_knowledge
from knowledge.search import SearchIndex, build_index
from knowledge.understand import build_understander
from storage.clock import Clock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

CLOSE_GRACE = 5.0  # seconds the outbox's lanes get to finish what is under way when the bot closes

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything the running bot holds; `close()` releases it."""

    settings: Settings
    db: AsyncEngine
    engine: Engine
    http: web.Application
    uow_factory: UnitOfWorkFactory
    turns: Turns  # the one way through for every channel's messages (dialogs/turns.py)
    telegram: TelegramChannel | None = None
    viber: ViberChannel | None = None
    reminders: ReminderService | None = None  # renders due reminders for the dispatcher
    handoff: HandoffService | None = None  # tickets for hotline operators (the sweep job calls it)
    kicker: Kicker | None = None  # sends queued lines at once (relays between citizens and operators)
    metrics: Metrics | None = None  # GET /metrics (bot/metrics.py)
    shared: SharedRedis | None = None  # REDIS_URL: what several processes share (bot/shared.py)
    sms: TurboSms | None = None  # SMS_TOKEN: the verify room's real SMS gateway (bot/sms.py)
    booking: BookingService | None = None  # office queue and callbacks (workers: the alerts' all-clear)
    alerts: AlertBoard | None = None  # the air-raid alert state as this process reads it (dialogs/alerts/)

    async def close(self) -> None:
        if self.kicker is not None:  # what is under way is given a moment, then cut (the rows say what went)
            try:
                await asyncio.wait_for(self.kicker.settle(), timeout=CLOSE_GRACE)
            except TimeoutError:
                self.kicker.cancel()
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
                if self.shared is not None:
                    await self.shared.close()
                if self.sms is not None:
                    await self.sms.close()


async def build(
    settings: Settings,
    *,
    kb: Knowledge | None = None,
    index: SearchIndex | None = None,
    clock: Clock,
    import_offices: bool = False,
) -> Bot:
    """Build the whole object graph for these settings (tests use the same with other settings).

    `kb` and `index` may be passed in already built: they are immutable, and building them takes a second.
    `clock` is the time of everything built here (tests pass a `ManualClock`; storage/clock.py).
    `import_offices`: at the first start, the offices' status comes from the knowledge into the database, where
    staff change it (dialogs/booking/offices.py); `python -m bot` does, tests that need it ask."""
    db = make_engine(settings.database_url)
    await upgrade(db)
    kb = kb or load_knowledge()
    index = index or build_index(kb)
    scenarios = load_scenarios()
    problems = check_all(scenarios, kb, paths=False)  # the paths are proved by `python -m dialogs check`
    if problems:
        raise RuntimeError("scenarios are invalid:\n" + "\n".join(problems))
    uow_factory = UnitOfWorkFactory(
        make_sessionmaker(db), serialize=db.dialect.name == "sqlite", clock=clock, secret=settings.person_secret()
    )
    holidays_off = settings.holidays_off()
    alert_board = AlertBoard(clock)  # the alert state the poller writes (bot/alerts.py), read at most every 5 s
    if import_offices:
        async with uow_factory() as uow:
            await first_import(uow, kb)
    metrics = Metrics(uow_factory)
    survey = SurveyService()  # the morning after a visit marked arrived: how was it? (sent as a reminder row)
    booking = (
        BookingService(
            kb, martial_law=settings.martial_law, holidays_are_days_off=holidays_off, observers=[metrics.booking],
            visits=survey,
        )
        if kb.booking is not None
        else None
    )
    reminders = ReminderService(
        kb,
        holidays_are_days_off=holidays_off,
        booking_buttons=BOOKING_BUTTONS if booking is not None else None,
        others=[survey],
    )
    # Each capability is a room of the engine; adding one adds a line here. The order is the order of their
    # buttons on the menu, a card and a checklist.
    rooms: list[Room] = []
    understander = build_understander(kb, index)  # the engine's, lent to the rooms that read questions
    async with uow_factory() as uow:  # the phrasings the Center attached (the console adds more while it runs)
        await console_unanswered.load(uow, understander)
    # Several processes (REDIS_URL) share flood control and each citizen's order; one keeps its own.
    shared = SharedRedis.from_url(settings.redis_url) if settings.redis_url else None
    # The one way through for everything done to a citizen (dialogs/turns.py): their lock, a unit of work,
    # sends after the commit; /metrics hears each turn and each worker's job. The workers take it; the
    # channels take its turns of the engine (below).
    pipeline = Pipeline(
        uow_factory, locks=RedisLocks(shared) if shared is not None else KeyedLocks(), observers=[metrics]
    )
    # The outbox's kicker and the web chat's live hub exist before the rooms that use them. The kicker's
    # senders are the one thing bound after construction (`Kicker.connect`, once): its docstring says why.
    kicker, hub = Kicker(pipeline), LiveHub()
    handoff = None
    # A verified phone before an office booking, a callback or a home visit (dialogs/verify/): lent to booking.
    sms = gateway(settings)
    verify = VerifyRoom(sms, transfer_links=settings.transfer_links())
    if booking is not None:
        rooms.append(BookingRoom(kb, booking, events=reminders, understander=understander, phones=verify))
    rooms.append(ReminderRoom(reminders, transfer_links=settings.transfer_links()))
    rooms.append(verify)
    rooms.append(SurveyRoom())
    if booking is not None:
        handoff = HandoffService(
            kb,
            martial_law=settings.martial_law,
            holidays_are_days_off=holidays_off,
            settings=HandoffSettings(wait_limit=settings.handoff_wait_limit, idle=settings.handoff_idle),
            enabled=settings.handoff_enabled,
            describe=Describer(kb, scenarios),
            booking=BOOKING_BUTTONS,
            payload_prefixes=CORE | {room.prefix for room in rooms} | {HandoffRoom.prefix},
            kick=kicker,
            live=hub.notify,
            group=settings.handoff_group or not settings.staff_inbox,  # the console's inbox alone: none
        )
        rooms.append(HandoffRoom(handoff))
    # People, not queries: complaints, thanks, distress, home visits; a person's buttons lent by the rooms above.
    if kb.care is not None:
        lent = (BOOKING_BUTTONS if booking else None, HANDOFF_BUTTONS if handoff else None)
        rooms.append(CareRoom(kb, understander, booking=lent[0], handoff=lent[1]))
    flood = FloodLimiter(settings.flood_rate, settings.flood_burst)
    engine = Engine(
        kb,
        index,
        scenarios,
        uow_factory,
        martial_law=settings.martial_law,
        stale_after=settings.stale_session,
        understander=understander,
        rooms=rooms,
        flood=RedisFlood(shared, flood) if shared is not None else flood,
        # An air-raid alert's line before the answers about the offices and today's booking steps.
        contexts=[AlertBanner(alert_board, day_rooms=(BookingRoom.name,))],
    )
    desk = None
    if handoff is not None:
        canned = CannedAnswers(kb, engine.views, martial_law=settings.martial_law)
        desk = Desk(handoff, settings.operators(), canned, canned.keys)
    http = web.Application(client_max_size=256 * 1024)
    turns = pipeline.turns(engine)  # every channel's messages: the pipeline's locks, units of work, observers
    setup_live(http, turns, hub)
    proxies = parse_proxies(settings.trusted_proxies)
    setup_web(http, turns, frame_ancestors=settings.web_frame_ancestors.split(), proxies=proxies)
    secure = (settings.public_url or "").lower().startswith("https://")
    setup_staff(http, uow_factory, booking, kb, proxies=proxies, secure=secure, handoff=handoff, desk=desk,
                understander=understander)  # /staff/
    setup_metrics(http, metrics)
    telegram = None
    if settings.telegram_bot_token and settings.telegram_enabled:
        secret = settings.telegram_webhook_secret
        telegram = build_telegram(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_server,
            turns,
            webhook_secret=secret.get_secret_value() if secret else None,
            per_chat_rate=settings.telegram_per_chat_rate,
            global_rate=settings.telegram_global_rate,
            group_rate=settings.telegram_group_rate,
            operators=(settings.operator_chat_id, desk)
            if desk is not None and settings.handoff_enabled and settings.operator_chat_id is not None
            else None,
            gates=None if shared is None else _telegram_gates(shared, settings),
            group_gate=None if shared is None else _group_gate(shared, settings),
            note=metrics.sender_note("telegram"),  # sends and 429s for /metrics
        )
        if settings.telegram_mode == "webhook":
            telegram.mount_webhook(http)
    viber = None
    if settings.viber_auth_token and settings.viber_enabled:
        quiet = QuietLimit()  # Viber's 100 an hour per quiet citizen, this process's count (Redis shares it)
        viber = build_viber(
            settings.viber_auth_token.get_secret_value(),
            settings.viber_api_url,
            settings.viber_bot_name,
            turns,
            lambda: engine.views.main_menu()[0],
            timeout=settings.viber_send_timeout,
            quiet_limit=quiet,
            shared_quiet=RedisQuiet(shared, alone=quiet) if shared is not None else None,
            note=metrics.sender_note("viber"),
        )
        viber.mount(http)
    board = telegram.board.refresh if telegram is not None and telegram.board is not None else None
    kicker.connect(senders(uow_factory, telegram, viber), board=board)
    return Bot(
        settings, db, engine, http, uow_factory, turns, telegram, viber, reminders, handoff, kicker, metrics, shared,
        sms if isinstance(sms, TurboSms) else None, booking, alert_board,
    )


def _group_gate(shared: SharedRedis, settings: Settings) -> RateGate:
    """The operator group's pace (a minute's rate) shared by every process, so two processes stay at 20 a minute."""
    rate = settings.telegram_group_rate / 60
    return RedisRate(shared, "tg-group", rate, GROUP_BURST, LocalRate(rate, GROUP_BURST, max_keys=100))


def _telegram_gates(shared: SharedRedis, settings: Settings) -> tuple[RateGate, RateGate]:
    """Telegram's overall and per-chat pacing shared by every process (each with its own as the fallback)."""
    overall, burst = settings.telegram_global_rate, global_burst(settings.telegram_global_rate)
    per_chat, chat_burst = settings.telegram_per_chat_rate, PER_CHAT_BURST
    return (
        RedisRate(shared, "tg-all", overall, burst, LocalRate(overall, burst, max_keys=1)),
        RedisRate(shared, "tg-chat", per_chat, chat_burst, LocalRate(per_chat, chat_burst)),
    )
