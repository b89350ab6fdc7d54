"""Viber and booking: the share-phone button, and the number of a shared contact, through signed webhooks."""

from __future__ import annotations

import pytest
from viberbot.api.messages import ContactMessage
from viberbot.api.messages.data_types.contact import Contact

from dialogs.messages import Button, Incoming, Reply
from dialogs.payloads import Action, pack
from handlers.viber.render import render
from handlers.viber.webhook import contact_incoming
from tests.e2e.viber.conftest import ViberRig
from tests.handlers.fake_engine import script_engine

ASK = Reply(
    "Щоб оператор передзвонив, надішліть свій номер телефону.",
    ((Button("⬅️ Назад", pack(Action.BACK)),),),
    ask_contact=True,
)
SHARE = {"ActionType": "share-phone", "Text": "📱 Надіслати мій номер", "ActionBody": "phone"}


def test_a_reply_asking_for_the_phone_starts_with_the_share_phone_button() -> None:
    (message,) = render(ASK)
    share, back, menu = message.keyboard["Buttons"]
    assert share.items() >= SHARE.items() and share["Columns"] == 6
    assert back["ActionType"] == "reply" and back["ActionBody"] == "b" and menu["ActionBody"] == "m"
    (plain,) = render(Reply("Привіт", ASK.buttons))
    assert all(b["ActionType"] == "reply" for b in plain.keyboard["Buttons"])


def test_every_message_asks_for_api_version_3(viber: ViberRig) -> None:
    (message,) = render(ASK)
    assert viber.bot.viber is not None
    body = viber.bot.viber.sender.payload(message, receiver="u")
    assert body["min_api_version"] == 3 and body["keyboard"]["Buttons"][0]["ActionType"] == "share-phone"


@pytest.mark.parametrize(
    ("number", "phone"),
    [("+380670000002", "380670000002"), ("+38 (067) 000-00-02", "380670000002"), ("", None)],
)
def test_a_contact_becomes_its_number_in_digits(number: str, phone: str | None) -> None:
    message = ContactMessage(contact=Contact(name="Марія", phone_number=number))
    assert contact_incoming("u1", message) == Incoming("viber", "u1", contact_shared=True, phone=phone)


async def test_share_phone_button_sends_the_number_to_the_engine(
    viber: ViberRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = script_engine(
        monkeypatch, viber.bot.engine, lambda m: [Reply(f"Дякуємо: {m.phone}")] if m.contact_shared else [ASK]
    )
    citizen = viber.citizen()
    seen = await citizen.send_text("передзвоніть мені")
    assert ("📱 Надіслати мій номер", "phone") in seen.buttons
    seen = await citizen.press("phone")  # Viber's client sends a contact, never the text «phone»
    assert seen.text == "Дякуємо: 380670000002"
    assert not any(b["ActionType"] == "share-phone" for b in citizen.keyboard())  # the next keyboard drops it
    await citizen.send_contact("+380 67 000 00 09")
    assert [(m.text, m.contact_shared, m.phone) for m in fake.seen] == [
        ("передзвоніть мені", False, None), (None, True, "380670000002"), (None, True, "380670000009")
    ]  # fmt: skip


async def test_a_booking_in_viber_verifies_the_phone_by_the_share_phone_button(viber: ViberRig) -> None:
    """Through signed webhooks and the real engine: the booking asks for the phone first, a typed number does
    not verify, the share-phone button does, and the booking goes on to its confirmation."""
    citizen = viber.citizen()
    seen = await citizen.press("q:s:kartka-kryvorizhtsia")
    assert "Щоб місце отримала реальна людина" in seen.text and ("📱 Надіслати мій номер", "phone") in seen.buttons
    seen = await citizen.send_text("067 000 00 02")
    assert "Набраний номер месенджер не підтверджує" in seen.text
    seen = await citizen.press("phone")  # Viber's client sends the citizen's own number as a contact
    assert "підтверджено" in seen.text and "Чи належите ви до однієї з цих категорій" in seen.text
    async with viber.bot.uow_factory() as uow:
        user = await uow.users.get("viber", citizen.user)
        found = await uow.people.verified(user) if user is not None else None
    assert found is not None and (found.phone, found.how) == ("380670000002", "viber")
    seen = await citizen.press("q:p:no")
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:d:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:t:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:ok:")))
    assert "вас записано" in seen.text and "Код запису" in seen.text
