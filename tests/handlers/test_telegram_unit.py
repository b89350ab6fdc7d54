"""Telegram handlers through Dispatcher.feed_update with a fake session: fast, no network at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.render import MAX_PART
from handlers.telegram.render import render, to_html
from handlers.telegram.sender import TelegramSender
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.db import make_sessionmaker
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWorkFactory
from testkit.clocks import TEST_NOW, test_clock
from testkit.fake_telegram import FakeSession

USER = User(id=42, is_bot=False, first_name="Марія")
# A webhook request as Telegram sends it to a bot whose TELEGRAM_WEBHOOK_SECRET is «s3cret».
SECRET_OK = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"}
CHAT = Chat(id=42, type="private")


def message_update(update_id: int, text: str) -> Update:
    msg = Message(message_id=update_id, date=TEST_NOW, chat=CHAT, from_user=USER, text=text)
    return Update(update_id=update_id, message=msg)


def button_update(update_id: int, data: str, message_id: int = 1) -> Update:
    origin = Message(message_id=message_id, date=TEST_NOW, chat=CHAT, text="…")
    query = CallbackQuery(id=str(update_id), from_user=USER, chat_instance="ci", message=origin, data=data)
    return Update(update_id=update_id, callback_query=query)


async def _tg_bot(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, **extra: object
) -> tuple[Bot, FakeSession]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/u.sqlite3",
        telegram_bot_token="42:UNIT", telegram_per_chat_rate=1000, **extra,
    )  # fmt: skip
    bot = await build(settings, kb=kb, index=index, clock=test_clock())
    assert bot.telegram is not None
    session = FakeSession()
    bot.telegram.bot.session = session
    return bot, session


@pytest.fixture()
async def tg(tmp_path: Path, kb: Knowledge, index: SearchIndex) -> AsyncIterator[tuple[Bot, FakeSession]]:
    bot, session = await _tg_bot(tmp_path, kb, index)
    yield bot, session
    await bot.close()


async def feed(bot: Bot, update: Update) -> None:
    assert bot.telegram is not None
    await bot.telegram.dispatcher.feed_update(bot.telegram.bot, update)


async def test_start_sends_html_with_inline_keyboard(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, message_update(1, "/start"))
    (sent,) = session.sent()
    assert sent.parse_mode == "HTML" and "Віза-бот" in sent.text
    data = [b.callback_data for row in sent.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "m:svc" in data and "s:ya-veteran" in data


async def test_same_update_twice_is_handled_once(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, message_update(7, "паспорт"))
    await feed(bot, message_update(7, "паспорт"))
    assert len(session.sent()) == 1


async def test_button_is_answered_then_replied(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, button_update(2, "s:birth"))
    assert isinstance(session.calls[0], AnswerCallbackQuery)
    assert any("шлюбі" in m.text for m in session.sent())


async def test_navigation_edits_in_place(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, button_update(3, "v:municipal-nanny:term", message_id=55))
    edits = [c for c in session.calls if isinstance(c, EditMessageText)]
    assert len(edits) == 1 and edits[0].message_id == 55 and "13 робочих днів" in edits[0].text
    assert session.sent() == []


async def test_forged_button_gets_a_kind_answer(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, button_update(4, "x" * 64))
    assert "Не вдалося розпізнати цю кнопку" in session.sent()[0].text


async def test_429_is_waited_out_and_retried(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    session.fail_next = [
        TelegramRetryAfter(SendMessage(chat_id=42, text="x"), "Too Many Requests", retry_after=0)
    ]
    await feed(bot, message_update(5, "/help"))
    sends = [c for c in session.calls if isinstance(c, SendMessage)]
    assert len(sends) == 2  # the refused one and the retry


async def test_blocked_user_is_marked_inactive_and_nothing_raises(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    session.fail_next = [
        TelegramForbiddenError(SendMessage(chat_id=42, text="x"), "Forbidden: bot was blocked by the user")
    ]
    await feed(bot, message_update(6, "/start"))
    async with UnitOfWorkFactory(make_sessionmaker(bot.db), clock=bot.uow_factory.clock)() as uow:
        user = await uow.users.get("telegram", "42")
        assert user is not None and user.active is False


async def test_an_unexpected_send_error_never_crashes_a_handler(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    session.fail_next = [RuntimeError("boom")]
    await feed(bot, message_update(8, "/start"))  # must not raise
    await feed(bot, message_update(9, "/start"))
    assert len(session.sent()) == 2


async def test_per_chat_pacing_spreads_a_burst() -> None:
    session = FakeSession()
    from aiogram import Bot as AiogramBot

    sender = TelegramSender(AiogramBot("1:X", session=session), _noop, per_chat_rate=20, per_chat_burst=2)
    start = time.monotonic()
    await asyncio.gather(*(sender.send_text(1, f"m{i}") for i in range(6)))
    # 2 go at once, the other 4 wait their turn at 20/s: at least 0.2 s, whatever the machine.
    assert time.monotonic() - start >= 0.18
    assert len(session.sent()) == 6


async def test_a_group_is_paced_per_minute_and_never_holds_a_citizens_chat() -> None:
    session = FakeSession()
    from aiogram import Bot as AiogramBot

    # 600 a minute into a group (10/s), 3 at once; a citizen's chat keeps its own pace.
    sender = TelegramSender(AiogramBot("1:X", session=session), _noop, per_chat_rate=100, group_rate=600)
    start = time.monotonic()
    group = asyncio.gather(*(sender.send_text(-100123, f"g{i}") for i in range(8)))
    await asyncio.sleep(0.01)
    assert await sender.send_text(42, "to a citizen")
    citizen_done = time.monotonic() - start
    await group
    # 3 at once, the other 5 at 10/s: at least 0.5 s; the citizen's message did not wait for them.
    assert time.monotonic() - start >= 0.45 and citizen_done < 0.2
    assert len(session.sent()) == 9


async def _noop(_: int) -> None:
    return None


def test_every_engine_payload_is_its_buttons_callback_data_as_it_is(bot: Bot) -> None:
    payloads = {pack(Action.MENU), pack(Action.MENU, "sit"), pack(Action.BACK), pack(Action.RESTART),
                pack(Action.RESUME), pack(Action.FORGET), pack(Action.FORGET, "yes")}  # fmt: skip
    for sc in bot.engine.scenarios.values():
        payloads.add(pack(Action.SITUATION, sc.id))
        for step in sc.steps:
            payloads.add(pack(Action.NEXT, sc.id, step.id))
            if step.question:
                payloads |= {
                    pack(Action.ANSWER, sc.id, step.id, o.value)
                    for o in bot.engine.kb.questions[step.question].options
                }
    for service in bot.engine.kb.services:
        payloads |= {pack(Action.SERVICE, service), pack(Action.SERVICE, service, "docs")}
    ordered = sorted(payloads)
    (message,) = render(Reply("x", tuple((Button(p, p),) for p in ordered)))
    assert isinstance(message.keyboard, InlineKeyboardMarkup)
    assert [b.callback_data for (b,) in message.keyboard.inline_keyboard] == ordered
    assert all(len(p.encode()) <= 64 for p in ordered)  # Telegram's callback_data limit


def test_long_replies_are_split_under_4096_and_escaped() -> None:
    text = "**Заголовок** <script>&" + ("рядок документів\n" * 600)
    parts = render(Reply(text))
    assert len(parts) > 1 and all(len(p.text) <= 4096 for p in parts)
    assert parts[0].text.startswith("<b>Заголовок</b> &lt;script&gt;&amp;")
    assert to_html("a < b") == "a &lt; b" and MAX_PART < 4096


async def test_webhook_refuses_requests_without_the_secret(
    tmp_path: Path, kb: Knowledge, index: SearchIndex
) -> None:
    bot, session = await _tg_bot(
        tmp_path, kb, index, telegram_mode="webhook", telegram_webhook_secret="s3cret"
    )
    update = message_update(11, "/start").model_dump_json(exclude_none=True)
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        resp = await client.post(
            "/telegram/webhook", data=update, headers={"Content-Type": "application/json"}
        )
        assert resp.status == 401
        wrong = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "nope"}
        assert (await client.post("/telegram/webhook", data=update, headers=wrong)).status == 401
        assert session.sent() == []
        assert (await client.post("/telegram/webhook", data=update, headers=SECRET_OK)).status == 200
    assert any("Віза-бот" in m.text for m in session.sent())
    await bot.close()


class SlowSession(FakeSession):
    """Telegram's API taking its time: each message takes `delay` seconds to send."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:
        if isinstance(method, SendMessage):
            await asyncio.sleep(self.delay)
        return await super().make_request(bot, method, timeout)


async def test_the_webhook_answers_telegram_only_once_the_update_is_saved_and_answered(
    tmp_path: Path, kb: Knowledge, index: SearchIndex
) -> None:
    """A 200 tells Telegram the update is delivered for good: a process killed after it must lose nothing. So the
    update is saved and its replies sent before the 200 (aiogram's default answers first and works after)."""
    bot, _ = await _tg_bot(tmp_path, kb, index, telegram_mode="webhook", telegram_webhook_secret="s3cret")
    assert bot.telegram is not None
    session = SlowSession(0.3)
    bot.telegram.bot.session = session
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        update = message_update(12, "паспорт").model_dump_json(exclude_none=True)
        assert (await client.post("/telegram/webhook", data=update, headers=SECRET_OK)).status == 200
        assert len(session.sent()) == 1  # sent before the 200, not after
        async with make_sessionmaker(bot.db)() as db:  # and saved before the 200
            keys = (
                await db.scalars(select(ProcessedUpdate.key).where(ProcessedUpdate.channel == "telegram"))
            ).all()
        assert keys == ["12"]
    await bot.close()


async def test_a_slow_telegram_api_never_holds_the_webhook_past_its_bound(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 200 waits for the replies only so long: a request held past nginx's proxy_read_timeout would count as
    the process failing. The update is saved by then, and the reply still goes out."""
    monkeypatch.setattr("handlers.telegram.channel.WEBHOOK_ANSWER_WITHIN", 0.5)
    bot, _ = await _tg_bot(tmp_path, kb, index, telegram_mode="webhook", telegram_webhook_secret="s3cret")
    assert bot.telegram is not None
    session = SlowSession(2)  # Telegram's API hanging
    bot.telegram.bot.session = session
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        update = message_update(14, "паспорт").model_dump_json(exclude_none=True)
        started = time.monotonic()
        assert (await client.post("/telegram/webhook", data=update, headers=SECRET_OK)).status == 200
        assert time.monotonic() - started < 1.5
        async with make_sessionmaker(bot.db)() as db:
            keys = (await db.scalars(select(ProcessedUpdate.key))).all()
        assert keys == ["14"]  # saved before the 200
        for _ in range(60):  # and the reply still goes out, after it
            if session.sent():
                break
            await asyncio.sleep(0.1)
        assert len(session.sent()) == 1
    await bot.close()


async def test_a_webhook_update_whose_handling_fails_is_not_acknowledged_and_comes_again(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database failing mid-update: Telegram gets a 500 and sends the update again, which is then handled
    (not dropped as «seen»: nothing of the failed attempt was kept)."""
    bot, session = await _tg_bot(
        tmp_path, kb, index, telegram_mode="webhook", telegram_webhook_secret="s3cret"
    )
    real = bot.engine.handle_in
    failures = [OperationalError("UPDATE dialog_states", {}, Exception("database is locked"))]

    async def flaky(uow: Any, incoming: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real(uow, incoming)

    monkeypatch.setattr(bot.engine, "handle_in", flaky)
    update = message_update(13, "паспорт").model_dump_json(exclude_none=True)
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        assert (await client.post("/telegram/webhook", data=update, headers=SECRET_OK)).status == 500
        assert session.sent() == []
        assert (await client.post("/telegram/webhook", data=update, headers=SECRET_OK)).status == 200
        assert len(session.sent()) == 1
    await bot.close()


def test_webhook_mode_without_a_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(_env_file=None, telegram_bot_token="1:X", telegram_mode="webhook")  # type: ignore[call-arg]


async def test_a_failed_callback_answer_does_not_lose_the_press(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    session.fail_next = [TelegramBadRequest(AnswerCallbackQuery(callback_query_id="1"), "query is too old")]
    await feed(bot, button_update(21, "s:birth"))
    assert any("шлюбі" in m.text for m in session.sent())  # the reply still went out
    async with UnitOfWorkFactory(make_sessionmaker(bot.db), clock=bot.uow_factory.clock)() as uow:
        _, state = await uow.users.with_state("telegram", "42")
        assert state.scenario == "birth"  # and the step was saved


async def test_a_card_opened_from_a_checklist_is_a_new_message(tg: tuple[Bot, FakeSession]) -> None:
    bot, session = tg
    await feed(bot, button_update(22, "v:municipal-nanny", message_id=70))
    assert not [c for c in session.calls if isinstance(c, EditMessageText)]
    assert "Муніципальна няня" in session.sent()[0].text or "муніципальна няня" in session.sent()[0].text


async def test_only_private_chats_are_answered_and_no_filter_needs_a_thread(
    tg: tuple[Bot, FakeSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram runs a plain (non-async) filter or handler in a worker thread; ours are all coroutines."""
    import aiogram.dispatcher.event.handler as aiogram_handler

    def no_thread(*_: object, **__: object) -> None:
        raise AssertionError("a filter or handler ran in a worker thread")

    monkeypatch.setattr(aiogram_handler.asyncio, "to_thread", no_thread)
    bot, session = tg
    group = Chat(id=-100, type="supergroup")
    msg = Message(message_id=1, date=TEST_NOW, chat=group, from_user=USER, text="паспорт")
    await feed(bot, Update(update_id=31, message=msg))
    assert session.sent() == []
    await feed(bot, message_update(32, "паспорт"))
    assert len(session.sent()) == 1
