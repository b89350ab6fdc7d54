"""The real bot in Telegram, as a citizen uses it: the same transcripts as on the engine and the web chat."""

from __future__ import annotations

import pytest

from testkit.telegram.adapter import commands_set
from testkit.telegram.citizen import TelegramCitizen
from testkit.transcript import all_names, load, play
from tests.e2e.telegram.conftest import TelegramRig


@pytest.mark.parametrize("name", all_names())
async def test_transcript_in_telegram(citizen: TelegramCitizen, name: str) -> None:
    await play(citizen, load(name))


async def test_commands_menu_in_ukrainian(rig: TelegramRig) -> None:
    commands = {c["command"]: c["description"] for c in commands_set(rig.adapter)}
    assert {"start", "menu", "help", "operator", "forget"} <= commands.keys()
    assert commands["forget"] == "Видалити мої дані"


async def test_start_shows_an_inline_keyboard_with_html(citizen: TelegramCitizen) -> None:
    seen = await citizen.send_text("/start")
    assert "Віза-бот" in seen.text
    assert ("📋 Послуги", "m:svc") in seen.buttons
    assert all(len(payload.encode()) <= 64 for _, payload in seen.buttons)


async def test_service_sections_are_edited_in_place(citizen: TelegramCitizen) -> None:
    await citizen.send_text("/start card_41-75")
    count = len(await citizen.history())
    seen = await citizen.press("v:municipal-nanny:term")
    assert "до 13 робочих днів" in seen.text
    assert len(await citizen.history()) == count  # the card message changed, no new message


async def test_checklist_is_html_with_bold_title(citizen: TelegramCitizen) -> None:
    await citizen.send_text("/start situation_new-subject-new-object")
    history = await citizen.history()
    texts = [m["message"]["text"] for m in history]
    assert any("<b>Ваш перелік: Новий суб" in t for t in texts)
    assert all(m["message"].get("parse_mode") == "HTML" for m in history)


async def test_photo_without_text_gets_a_kind_answer(citizen: TelegramCitizen) -> None:
    seen = await citizen.send_text("🙂")
    assert "лише текст" in seen.text
