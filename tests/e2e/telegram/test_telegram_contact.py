"""Telegram and booking, in the emulator: the contact keyboard comes and goes, a shared contact's number."""

from __future__ import annotations

import pytest

from dialogs.messages import Button, Incoming, Reply
from dialogs.payloads import Action, pack
from handlers.telegram.render import SHARE_PHONE as SHARE_PHONE_LABEL
from handlers.telegram.sender import REMOVER_TEXT
from testkit.telegram.citizen import SHARE_PHONE, TelegramCitizen
from tests.e2e.telegram.conftest import TelegramRig
from tests.handlers.fake_engine import script_engine

NAV = ((Button("⬅️ Назад", pack(Action.BACK)),),)


def _answer(m: Incoming) -> list[Reply]:
    if m.contact_shared:
        return [Reply(f"Дякуємо: {m.phone}", NAV)]
    if m.text == "Скасувати":
        return [Reply("Добре, номер не потрібен.")]
    return [Reply("Надішліть свій номер телефону.", NAV, ask_contact=True)]


async def test_share_my_number_then_the_keyboard_goes(
    rig: TelegramRig, citizen: TelegramCitizen, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = script_engine(monkeypatch, rig.bot.engine, _answer)
    seen = await citizen.send_text("передзвоніть мені")
    assert ("📱 Надіслати мій номер", SHARE_PHONE) in seen.buttons and ("⬅️ Назад", "b") in seen.buttons
    keyboard = citizen.reply_keyboard()
    assert keyboard is not None and keyboard[0][0]["request_contact"] is True
    seen = await citizen.press(SHARE_PHONE)
    assert "Дякуємо: 380670000001" in seen.text and ("⬅️ Назад", "b") in seen.buttons
    assert citizen.reply_keyboard() is None  # taken away by a message deleted at once
    assert not any(m["message"].get("text") == REMOVER_TEXT for m in await citizen.history())
    assert "deleteMessage" in rig.adapter.methods
    await citizen.send_contact("+380670000009", own=False)
    assert [(m.contact_shared, m.phone) for m in fake.seen[1:]] == [(True, "380670000001"), (True, None)]


async def test_cancel_on_the_reply_keyboard_is_typed_text(
    rig: TelegramRig, citizen: TelegramCitizen, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = script_engine(monkeypatch, rig.bot.engine, _answer)
    await citizen.send_text("передзвоніть мені")
    seen = await citizen.press("Скасувати")
    assert "номер не потрібен" in seen.text
    assert fake.seen[-1] == Incoming("telegram", str(citizen.user_id), text="Скасувати", name="Громадянин")
    assert citizen.reply_keyboard() is None  # removed with the answer itself: it has no buttons


async def test_a_contact_outside_booking_is_thanked_and_not_kept(citizen: TelegramCitizen) -> None:
    seen = await citizen.send_contact()
    assert "не зберігаємо" in seen.text


async def _verified(rig: TelegramRig, user_id: int) -> tuple[str, str] | None:
    async with rig.bot.uow_factory() as uow:
        user = await uow.users.get("telegram", str(user_id))
        found = await uow.people.verified(user) if user is not None else None
        return (found.phone, found.how) if found is not None else None


async def test_a_booking_in_telegram_verifies_the_phone_by_the_share_button(
    rig: TelegramRig, citizen: TelegramCitizen
) -> None:
    """The real engine: the booking asks for the phone first (the share button), someone else's contact and a
    typed number do not verify, the citizen's own contact does, and the booking goes on to its confirmation."""
    seen = await citizen.press("q:s:kartka-kryvorizhtsia")
    assert "Щоб місце отримала реальна людина" in seen.text and (SHARE_PHONE_LABEL, SHARE_PHONE) in seen.buttons
    seen = await citizen.send_contact("+380670000009", own=False)
    assert "чужий контакт" in seen.text and await _verified(rig, citizen.user_id) is None
    seen = await citizen.send_text("067 000 00 09")
    assert "Набраний номер месенджер не підтверджує" in seen.text and await _verified(rig, citizen.user_id) is None
    seen = await citizen.press(SHARE_PHONE)  # the citizen's own contact
    assert "підтверджено" in seen.text and "Чи належите ви до однієї з цих категорій" in seen.text
    assert await _verified(rig, citizen.user_id) == ("380670000001", "telegram")
    assert citizen.reply_keyboard() is None  # the share keyboard went with the answer
    seen = await citizen.press("q:p:no")
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:d:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:t:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:ok:")))
    assert "вас записано" in seen.text and "Код запису" in seen.text


async def test_giving_up_the_phone_in_telegram_books_nothing(rig: TelegramRig, citizen: TelegramCitizen) -> None:
    await citizen.press("q:cb")
    seen = await citizen.press("Скасувати")  # the reply keyboard's button arrives as the typed word
    assert "номер не підтверджуємо" in seen.text and "0 800 500 459" in seen.text
    assert citizen.reply_keyboard() is None and await _verified(rig, citizen.user_id) is None
