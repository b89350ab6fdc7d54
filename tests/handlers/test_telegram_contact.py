"""Telegram and booking: every `q` payload as a button's callback_data, the contact keyboard, shared contacts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot as AiogramBot
from aiogram.methods import DeleteMessage, EditMessageText
from aiogram.types import (
    Chat,
    Contact,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from sqlalchemy import select

from bot.app import Bot
from dialogs.messages import Button, Incoming, Reply
from dialogs.payloads import Action, pack
from handlers.telegram.render import CANCEL, SHARE_PHONE, render
from handlers.telegram.routers import incoming
from handlers.telegram.sender import REMOVER_TEXT, TelegramSender
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.db import make_sessionmaker
from storage.models import MessageLog
from testkit.clocks import TEST_NOW
from testkit.fake_telegram import FakeSession
from tests.handlers.fake_engine import script_engine
from tests.handlers.test_telegram_unit import _tg_bot, button_update, feed, message_update

USER = User(id=42, is_bot=False, first_name="Марія")
CHAT = Chat(id=42, type="private")
ASK = Reply("Щоб оператор передзвонив, надішліть свій номер телефону.", ask_contact=True)
NAV = ((Button("⬅️ Назад", pack(Action.BACK)), Button("🏠 Меню", pack(Action.MENU))),)


# --- payloads ----------------------------------------------------------------------------------------------------

QUEUE_PAYLOADS = (
    "q", "q:my", "q:cb", "q:v", "q:y", "q:s:passport-id-card", "q:o:visa-main", "q:p:combatant", "q:d:20261205",
    "q:t:0930", "q:cb:0930", "q:ok:" + "a1B2" * 8, "q:x:K7M-4QX", "q:xx:K7M-4QX", "q:r:K7M-4QX",
    "q:s:41-11:visa-main",
)  # fmt: skip


@pytest.mark.parametrize("payload", QUEUE_PAYLOADS)
def test_every_booking_payload_is_the_buttons_callback_data_as_it_is(payload: str) -> None:
    (message,) = render(Reply("x", ((Button("b", payload),),)))
    assert isinstance(message.keyboard, InlineKeyboardMarkup)
    assert message.keyboard.inline_keyboard[0][0].callback_data == payload


def test_a_payload_telegram_would_refuse_never_becomes_a_button() -> None:
    Button("b", "v:" + "ї" * 31)  # 64 bytes, the most Telegram's callback_data holds
    with pytest.raises(ValueError, match="1 to 64 bytes"):
        Button("b", "q:ok:" + "a" * 60)
    with pytest.raises(ValueError, match="1 to 64 bytes"):
        Button("b", "")  # an empty callback_data is refused by Telegram too
    with pytest.raises(ValueError, match="url"):
        Button("b", url="")


# --- rendering -----------------------------------------------------------------------------------------------------


def _contact_keyboard(markup: object) -> ReplyKeyboardMarkup:
    assert isinstance(markup, ReplyKeyboardMarkup)
    (share,), (cancel,) = markup.keyboard
    assert share.text == SHARE_PHONE and share.request_contact is True
    assert cancel.text == CANCEL == "Скасувати" and not cancel.request_contact
    assert markup.one_time_keyboard is True and markup.resize_keyboard is True
    return markup


def test_a_reply_asking_for_the_phone_carries_the_contact_keyboard() -> None:
    (message,) = render(ASK)
    _contact_keyboard(message.keyboard)
    assert "надішліть свій номер" in message.text


def test_inline_buttons_stay_on_the_text_and_the_contact_keyboard_follows_on_a_hint() -> None:
    text, hint = render(Reply(ASK.text, NAV, ask_contact=True))
    assert isinstance(text.keyboard, InlineKeyboardMarkup) and "надішліть" in text.text
    _contact_keyboard(hint.keyboard)
    assert "кнопкою" in hint.text


def test_an_ordinary_reply_has_no_reply_keyboard() -> None:
    (message,) = render(Reply("Привіт", NAV))
    assert isinstance(message.keyboard, InlineKeyboardMarkup)


# --- the sender: the keyboard comes, and goes once ----------------------------------------------------------------


async def _noop(_: int) -> None:
    return None


@pytest.fixture()
def sender() -> tuple[TelegramSender, FakeSession]:
    session = FakeSession()
    return TelegramSender(AiogramBot("1:X", session=session), _noop, per_chat_rate=1000), session


async def test_the_next_reply_removes_the_contact_keyboard_once(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    await tg.send_replies(42, [ASK])
    _contact_keyboard(session.sent()[-1].reply_markup)
    await tg.send_replies(42, [Reply("Дякуємо, номер отримано.")])
    assert isinstance(session.sent()[-1].reply_markup, ReplyKeyboardRemove)
    await tg.send_replies(42, [Reply("Ще щось?")])
    assert session.sent()[-1].reply_markup is None
    assert len(session.sent()) == 3  # no extra messages


async def test_the_keyboard_goes_with_a_long_replys_first_part(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    await tg.send_replies(42, [ASK])
    await tg.send_replies(42, [Reply("рядок документів\n" * 400, NAV)])
    first, *_, last = session.sent()[1:]
    assert isinstance(first.reply_markup, ReplyKeyboardRemove) and isinstance(
        last.reply_markup, InlineKeyboardMarkup
    )
    assert not [c for c in session.calls if isinstance(c, DeleteMessage)]


async def test_a_reply_with_inline_buttons_removes_the_keyboard_with_a_deleted_message(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    await tg.send_replies(42, [ASK])
    await tg.send_replies(42, [Reply("Дякуємо! Що далі?", NAV)])
    remover, reply = session.sent()[1:]
    assert remover.text == REMOVER_TEXT and isinstance(remover.reply_markup, ReplyKeyboardRemove)
    assert remover.disable_notification is True
    (delete,) = [c for c in session.calls if isinstance(c, DeleteMessage)]
    assert delete.chat_id == 42 and delete.message_id == 2  # the remover, not the question
    assert isinstance(reply.reply_markup, InlineKeyboardMarkup)
    await tg.send_replies(42, [Reply("Далі", NAV)])
    assert len(session.sent()) == 4  # removed once only


async def test_a_turn_that_asks_for_the_phone_keeps_its_keyboard(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    await tg.send_replies(42, [ASK, Reply("Або напишіть номер, наприклад 067 123 45 67.")])
    assert isinstance(session.sent()[0].reply_markup, ReplyKeyboardMarkup)
    assert session.sent()[1].reply_markup is None


async def test_no_edit_in_place_while_the_keyboard_comes_or_goes(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    await tg.edit_or_send(42, 7, Reply(ASK.text, NAV, ask_contact=True, replace=True))
    assert not [c for c in session.calls if isinstance(c, EditMessageText)]
    _contact_keyboard(session.sent()[-1].reply_markup)
    await tg.edit_or_send(42, 7, Reply("Назад до вибору часу", NAV, replace=True))
    assert not [c for c in session.calls if isinstance(c, EditMessageText)]
    assert any(isinstance(m.reply_markup, ReplyKeyboardRemove) for m in session.sent())
    await tg.edit_or_send(42, 7, Reply("Інший час", NAV, replace=True))
    assert len([c for c in session.calls if isinstance(c, EditMessageText)]) == 1  # back to editing


async def test_the_keyboard_stays_marked_when_its_message_failed(
    sender: tuple[TelegramSender, FakeSession],
) -> None:
    tg, session = sender
    session.fail_next = [RuntimeError("boom")]
    await tg.send_replies(42, [ASK])  # not delivered: nothing to remove later
    await tg.send_replies(42, [Reply("Привіт")])
    assert session.sent()[-1].reply_markup is None


# --- incoming contacts ---------------------------------------------------------------------------------------------


def contact_message(update_id: int, phone: str, owner: int | None) -> Message:
    contact = Contact(phone_number=phone, first_name="Марія", user_id=owner)
    return Message(
        message_id=update_id, date=TEST_NOW, chat=CHAT, from_user=USER, contact=contact
    )


def test_own_contact_passes_its_number_in_digits() -> None:
    got = incoming(contact_message(1, "+380 (67) 000-00-01", owner=42))
    assert got == Incoming("telegram", "42", contact_shared=True, phone="380670000001", name="Марія")


@pytest.mark.parametrize("owner", [43, None])
def test_someone_elses_contact_has_no_number(owner: int | None) -> None:
    got = incoming(contact_message(1, "+380670000009", owner=owner))
    assert got.contact_shared is True and got.phone is None and got.text is None


def test_typed_cancel_is_plain_text() -> None:
    msg = Message(message_id=1, date=TEST_NOW, chat=CHAT, from_user=USER, text=CANCEL)
    assert incoming(msg) == Incoming("telegram", "42", text="Скасувати", name="Марія")


@pytest.fixture()
async def tg(tmp_path: Path, kb: Knowledge, index: SearchIndex) -> AsyncIterator[tuple[Bot, FakeSession]]:
    bot, session = await _tg_bot(tmp_path, kb, index)
    yield bot, session
    await bot.close()


async def test_contact_updates_reach_the_engine_with_the_right_phone(
    tg: tuple[Bot, FakeSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, session = tg
    fake = script_engine(monkeypatch, bot.engine, lambda m: [Reply("Дякуємо")] if m.contact_shared else [ASK])
    await feed(bot, message_update(1, "хочу щоб передзвонили"))
    _contact_keyboard(session.sent()[-1].reply_markup)
    await feed(bot, Update(update_id=2, message=contact_message(2, "380670000001", owner=42)))
    assert isinstance(session.sent()[-1].reply_markup, ReplyKeyboardRemove)
    await feed(bot, Update(update_id=3, message=contact_message(3, "380670000009", owner=77)))
    await feed(bot, button_update(4, "q:cb:0930"))
    assert [(m.contact_shared, m.phone) for m in fake.seen] == [
        (False, None), (True, "380670000001"), (True, None), (False, None)
    ]  # fmt: skip
    assert fake.seen[-1].payload == "q:cb:0930"


async def test_a_shared_number_never_reaches_the_message_log(tg: tuple[Bot, FakeSession]) -> None:
    bot, _ = tg
    await feed(bot, Update(update_id=5, message=contact_message(5, "+380670000001", owner=42)))
    await bot.uow_factory.write_log()  # message-log lines are written in batches
    async with make_sessionmaker(bot.db)() as s:
        logged = list((await s.execute(select(MessageLog.text))).scalars())
    assert "[контакт не збережено]" in logged
    assert not any("0670000001" in t or "67 000" in t for t in logged)
