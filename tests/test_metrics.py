"""`GET /metrics` (bot/metrics.py, handlers/web/metrics.py) and LOG_FORMAT=json (bot/logs.py): Prometheus' text
format, counters that move where the bot works (messages, latency, sends, 429s, reminders, bookings), the ticket
queue read from the database at a bounded cost, and no personal data in either output."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from bot.app import Bot
from bot.logs import JsonFormatter, formatter
from bot.metrics import TICKETS_EVERY, Metrics
from bot.reminders import Dispatcher
from bot.settings import Settings
from dialogs.booking.flow import BookingRoom
from dialogs.engine import Engine
from dialogs.messages import Reply
from handlers.viber.sender import ViberSender
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from storage.handoff import LIVE
from storage.reminders import Reminder
from tests.booking.test_flow import NOW as BOOKING_NOW
from tests.booking.test_flow import _press, _to_confirm
from tests.handlers.test_telegram_unit import _tg_bot, feed, message_update

SESSION = "metrics-7f3a9c2e-session"  # a web chat's session id: the only key to that citizen's conversation
PHONE = "0671234567"
TEXT = f"Мій номер {PHONE}, Іваненко Петро, вул. Шевченка 5"
Client = TestClient[web.Request, web.Application]


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[Client]:
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition by (name, labels); parsing it proves the format."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(body: str, name: str, **labels: str) -> float:
    return samples(body)[(name, frozenset(labels.items()))]


def registry_value(bot: Bot, name: str, **labels: str) -> float:
    assert bot.metrics is not None
    found = bot.metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def scrape(client: Client) -> str:
    resp = await client.get("/metrics")
    assert resp.status == 200
    return await resp.text()


async def test_metrics_answers_in_prometheus_text_format(client: Client) -> None:
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    body = await resp.text()
    names = {name for name, _ in samples(body)}
    for wanted in (
        "viza_messages_in_total",
        "viza_reply_seconds_bucket",
        "viza_reply_seconds_count",
        "viza_sends_total",
        "viza_telegram_retry_after_total",
        "viza_reminders_due_total",
        "viza_reminders_sent_total",
        "viza_tickets",
        "process_resident_memory_bytes",
    ):
        assert wanted in names, wanted
    assert value(body, "viza_messages_in_total", channel="web") == 0


async def test_a_web_message_moves_the_counters_and_leaves_no_personal_data(client: Client) -> None:
    for n in (1, 2):
        resp = await client.post("/api/chat", json={"session": SESSION, "text": TEXT})
        assert resp.status == 200
        body = await scrape(client)
        assert value(body, "viza_messages_in_total", channel="web") == n
        assert value(body, "viza_reply_seconds_count", channel="web") == n
        assert value(body, "viza_reply_seconds_sum", channel="web") > 0
        assert value(body, "viza_reply_seconds_bucket", channel="web", le="+Inf") == n
    assert value(body, "viza_messages_in_total", channel="telegram") == 0
    for personal in (SESSION, "7f3a9c2e", PHONE, "123 45 67", "Іваненко", "Шевченка", "Мій номер"):
        assert personal not in body, personal
    # Only the fixed label values appear: no label could carry an id or a text.
    labels = {v for (_, pairs) in samples(body) for _, v in pairs}
    assert all(re.fullmatch(r"[\w.+-]*", v) for v in labels), labels


async def test_the_ticket_queue_is_read_from_the_database_at_a_bounded_cost(bot: Bot, client: Client) -> None:
    now = bot.uow_factory.clock()
    async with bot.uow_factory() as uow:
        tickets = []
        for i in range(3):
            user = await uow.users.get_or_create("telegram", f"10{i}")
            await uow.session.flush()
            t = await uow.tickets.open(
                user, mode=LIVE, priority_group=None, subject=None, name="Оксана Коваленко", now=now
            )
            assert t is not None
            tickets.append(t)
        assert await uow.tickets.take(tickets[0].id, "777", "Оператор Марина", now)
    body = await scrape(client)
    assert value(body, "viza_tickets", status="waiting") == 2
    assert value(body, "viza_tickets", status="open") == 1
    assert "Оксана" not in body and "Марина" not in body
    # The operator's id is digits, which a process gauge may contain by chance: look for it in the labels only.
    labels = {v for (_, pairs) in samples(body) for _, v in pairs}
    assert not any("777" in v for v in labels), labels

    # The database is asked at most once per TICKETS_EVERY, however often the scraper comes.
    clock = [100.0]
    metrics = Metrics(bot.uow_factory, process=False, timer=lambda: clock[0])
    await metrics.render()
    async with bot.uow_factory() as uow:
        user = await uow.users.get_or_create("viber", "v-new")
        await uow.session.flush()
        await uow.tickets.open(user, mode=LIVE, priority_group=None, subject=None, name=None, now=now)
    clock[0] += TICKETS_EVERY / 2
    body = (await metrics.render())[0].decode()
    assert value(body, "viza_tickets", status="waiting") == 2  # the last reading, no query
    clock[0] += TICKETS_EVERY
    body = (await metrics.render())[0].decode()
    assert value(body, "viza_tickets", status="waiting") == 3


async def test_telegram_sends_failures_and_429s_are_counted(
    tmp_path: Path, kb: Knowledge, index: SearchIndex
) -> None:
    bot, session = await _tg_bot(tmp_path, kb, index)
    try:
        session.fail_next = [
            TelegramRetryAfter(SendMessage(chat_id=42, text="x"), "Too Many Requests", retry_after=0)
        ]
        await feed(bot, message_update(1, "/help"))
        assert registry_value(bot, "viza_telegram_retry_after_total") == 1
        assert registry_value(bot, "viza_sends_total", channel="telegram", outcome="ok") == 1
        assert registry_value(bot, "viza_messages_in_total", channel="telegram") == 1
        session.fail_next = [TelegramForbiddenError(SendMessage(chat_id=42, text="x"), "Forbidden: blocked")]
        await feed(bot, message_update(2, "/help"))
        assert registry_value(bot, "viza_sends_total", channel="telegram", outcome="failed") == 1
        assert registry_value(bot, "viza_sends_total", channel="telegram", outcome="ok") == 1
    finally:
        await bot.close()


async def test_bookings_are_counted_once_each_and_after_commit(bot: Bot) -> None:
    assert bot.metrics is not None
    room = next(r for r in bot.engine.rooms if isinstance(r, BookingRoom))
    e = bot.engine
    engine = Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=ManualClock(BOOKING_NOW), rooms=[room])
    ok = await _to_confirm(engine, "b1")
    await _press(engine, "b1", ok)
    await _press(engine, "b1", ok)  # a double tap: the same booking, not a second one
    made = registry_value(bot, "viza_bookings_total", event="made", kind="office")
    assert made == 1
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "b1")
        (booking,) = await uow.bookings.active_for(user.id)
    async with bot.uow_factory() as uow:  # the same confirmation reaching the service again
        assert booking.start is not None and booking.token is not None
        again = await room.booking.book(
            uow, user, office=booking.office, service=booking.service, start=booking.start,
            priority_group=booking.priority_group, token=booking.token, now=BOOKING_NOW,
        )  # fmt: skip
        assert getattr(again, "id", None) == booking.id
    assert registry_value(bot, "viza_bookings_total", event="made", kind="office") == 1
    await _press(engine, "b1", f"q:xx:{booking.code}")
    await _press(engine, "b1", f"q:xx:{booking.code}")  # already cancelled: nothing more
    assert registry_value(bot, "viza_bookings_total", event="cancelled", kind="office") == 1
    with pytest.raises(RuntimeError):  # a booking whose unit of work rolls back never happened
        async with bot.uow_factory() as uow:
            user, _ = await uow.users.with_state("web", "b1")
            assert booking.start is not None
            made_now = await room.booking.book(
                uow, user, office=booking.office, service=booking.service, start=booking.start,
                priority_group=booking.priority_group, token="rolled-back", now=BOOKING_NOW,
            )  # fmt: skip
            assert getattr(made_now, "id", None) is not None
            raise RuntimeError("the unit of work fails after the booking")
    assert registry_value(bot, "viza_bookings_total", event="made", kind="office") == 1


async def test_viber_sends_are_counted_by_outcome() -> None:
    answers: list[dict[str, object]] = [{"status": 0, "message_token": 1}, {"status": 6}]

    async def post(method: str, body: dict[str, object]) -> dict[str, object]:
        return answers.pop(0)

    async def on_result(user: str, token: str | None, status: int) -> None:
        return None

    metrics = Metrics(process=False)
    sender = ViberSender("http://127.0.0.1:9/pa", "token", "Віза-бот", on_result)
    sender.note = metrics.sender_note("viber")
    sender._post = post  # type: ignore[method-assign]
    assert await sender.send_replies("viber-user", [Reply("Перше")])
    assert not await sender.send_replies("viber-user", [Reply("Друге")])  # «not subscribed»
    get = metrics.registry.get_sample_value
    assert get("viza_sends_total", {"channel": "viber", "outcome": "ok"}) == 1
    assert get("viza_sends_total", {"channel": "viber", "outcome": "failed"}) == 1


async def test_reminders_due_and_sent_are_counted(bot: Bot) -> None:
    now = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv: not the quiet hours
    async with bot.uow_factory() as uow:
        user = await uow.users.get_or_create("telegram", "42")
        await uow.session.flush()
        for _ in range(3):
            uow.reminders.add(user_id=user.id, channel="telegram", kind="ready", due_at=now)
        uow.reminders.add(
            user_id=user.id, channel="telegram", kind="ready", due_at=now + dt.timedelta(days=1)
        )

    delivered: list[str] = []

    async def send(external_id: str, reply: Reply) -> bool:
        delivered.append(external_id)
        return len(delivered) != 2  # the second one fails and waits for a retry

    def render(_: Reminder) -> Reply:
        return Reply("Нагадування")

    metrics = Metrics(process=False)
    dispatcher = Dispatcher(
        bot.uow_factory, {"telegram": send}, render, clock=lambda: now, observers=[metrics.reminders]
    )
    await dispatcher.tick()
    assert metrics.registry.get_sample_value("viza_reminders_due_total") == 3
    assert metrics.registry.get_sample_value("viza_reminders_sent_total") == 2


def test_log_format_setting() -> None:
    assert Settings(_env_file=None, log_format="json").log_format == "json"
    with pytest.raises(ValidationError):
        Settings(_env_file=None, log_format="xml")


async def test_json_log_lines_parse_and_carry_no_message_text(client: Client) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        await client.post("/api/chat", json={"session": SESSION, "text": TEXT})
        await client.post("/api/chat", json={"session": SESSION + "\n", "text": TEXT})  # refused: a log line
        await client.post("/api/chat", data=TEXT.encode(), headers={"Content-Type": "text/plain"})  # refused
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("bot.test").exception("something failed for a citizen")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
        dt.datetime.fromisoformat(record["time"])
    assert any(r["logger"] == "bot.test" and "RuntimeError: boom" in r["exception"] for r in records)
    assert sum("refused" in r["message"] for r in records) >= 2
    text = out.getvalue()
    for personal in (SESSION, PHONE, "Іваненко", "Шевченка", "Мій номер"):
        assert personal not in text, personal


def test_json_formatter_keeps_ukrainian_readable_and_one_line() -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "рядок\nдругий %d", (2,), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["message"] == "рядок\nдругий 2" and "рядок" in line
    assert not formatter("text").format(record).startswith("{")


def test_each_bot_has_its_own_registry() -> None:
    a, b = Metrics(process=False), Metrics(process=False)
    a.message("web", 0.01)
    assert a.registry.get_sample_value("viza_messages_in_total", {"channel": "web"}) == 1
    assert b.registry.get_sample_value("viza_messages_in_total", {"channel": "web"}) == 0
    a.message("forged-channel-name", 0.01)  # label values stay a fixed set
    assert a.registry.get_sample_value("viza_messages_in_total", {"channel": "other"}) == 1
