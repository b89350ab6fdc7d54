"""Phone verification on the messengers, through the engine with the real rooms: the channel's own contact
verifies (Telegram passes a contact's number only when it is the sender's own, handlers/telegram/routers.py),
someone else's card or a typed number does not; giving up, the menu, and an already verified citizen."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Bot
from dialogs.messages import Incoming, Reply
from storage.db import make_sessionmaker
from storage.models import MessageLog
from storage.people import VerifiedPhone

SERVICE = "kartka-kryvorizhtsia"


async def _send(bot: Bot, user: str, channel: str = "telegram", **what: object) -> tuple[str, list[Reply]]:
    replies = await bot.engine.handle(Incoming(channel, user, **what))  # type: ignore[arg-type]
    return "\n".join(r.text for r in replies), replies


async def _phones(bot: Bot) -> list[tuple[str, str]]:
    async with make_sessionmaker(bot.db)() as s:
        return [(v.phone, v.how) for v in (await s.scalars(select(VerifiedPhone))).all()]


async def test_someone_elses_telegram_contact_does_not_verify(bot: Bot) -> None:
    text, replies = await _send(bot, "t1", payload=f"q:s:{SERVICE}")
    assert "реальна людина" in text and replies[-1].ask_contact
    text, replies = await _send(bot, "t1", contact_shared=True, phone=None)  # a card that is not the sender's
    assert "чужий контакт" in text and replies[-1].ask_contact and await _phones(bot) == []
    text, _ = await _send(bot, "t1", text="мій номер 067 123 45 67")
    assert "месенджер не підтверджує" in text and await _phones(bot) == []
    text, _ = await _send(bot, "t1", contact_shared=True, phone="380671234567")
    assert "✅ Номер +380 67 ••• •• 67 підтверджено." in text and "Чи належите ви" in text
    assert await _phones(bot) == [("380671234567", "telegram")]


async def test_a_viber_shared_phone_verifies_a_callback(bot: Bot) -> None:
    await _send(bot, "v1", "viber", payload="q:cb")
    text, _ = await _send(bot, "v1", "viber", contact_shared=True, phone="380501112233")
    assert "підтверджено" in text and "передзвонить вам у зручний час" in text
    assert await _phones(bot) == [("380501112233", "viber")]


async def test_typed_words_at_the_contact_step_are_not_logged(bot: Bot) -> None:
    await _send(bot, "t2", payload="q:v")
    await _send(bot, "t2", text="0671234567 це мій")
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s:
        lines = (await s.scalars(select(MessageLog.text))).all()
    assert not any("1234567" in line for line in lines) and "[особисті дані не збережено]" in lines


async def test_giving_up_or_the_menu_leaves_the_room(bot: Bot) -> None:
    await _send(bot, "t3", payload="q:cb")
    text, _ = await _send(bot, "t3", text="Скасувати")
    assert "номер не підтверджуємо" in text
    await _send(bot, "t3", payload="q:cb")
    text, _ = await _send(bot, "t3", text="меню")
    assert "Оберіть розділ" in text
    text, _ = await _send(bot, "t3", contact_shared=True, phone="380671234567")  # outside the room now
    assert "поки не потрібен" in text and await _phones(bot) == []


async def test_a_verified_citizen_is_not_asked_again(bot: Bot) -> None:
    await _send(bot, "t4", payload=f"q:s:{SERVICE}")
    await _send(bot, "t4", contact_shared=True, phone="380671234567")
    text, _ = await _send(bot, "t4", payload="q:cb")
    assert "реальна людина" not in text and "передзвонить вам у зручний час" in text
    text, _ = await _send(bot, "t4", payload="q:v")
    assert "реальна людина" not in text and "Мобільний адміністратор" in text


async def test_an_old_verify_button_outside_the_room_is_answered_kindly(bot: Bot) -> None:
    text, _ = await _send(bot, "t5", payload="pv:r")
    assert "неактуальна" in text
