"""Reminders get what booking and the handoff got (issue 13): forged and replayed buttons, another citizen's
reminder, and the buttons of a conversation erased by /forget. Each is answered kindly and changes nothing."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.engine import Engine
from testkit.replies import payloads as _payloads
from tests.reminders.test_flow import _pending, _press, _text


async def test_another_citizens_reminder_cannot_be_cancelled(bot: Bot, engine: Engine) -> None:
    await _press(engine, "owner", "h:rd:idp-living-allowance:20261228")
    (cancel,) = _payloads(await _press(engine, "owner", "h:my"), "h:x:")
    replies = await _press(engine, "stranger", cancel)  # the owner's button, pressed by someone else
    assert "вже немає" in _text(replies)
    assert [kind for kind, _ in await _pending(bot, "owner")] == ["ready"]


@pytest.mark.parametrize(
    "forged",
    [
        "h:rd:idp-living-allowance:20991231",  # a submission date in the future
        "h:rd:idp-living-allowance:20260231",  # no such day
        "h:rd:no-such-service:20261228",
        "h:ed:birth:20991231",
        "h:ed:no-such-situation:20261227",
        "h:m:no-such-service",
        "h:x:abc",
        "h:x:-1",
        "h:x:١٢",  # Arabic-Indic digits: isdigit() but not ours
    ],
)
async def test_a_forged_button_schedules_nothing_and_gets_an_answer(
    bot: Bot, engine: Engine, forged: str
) -> None:
    replies = await _press(engine, "forger", forged)
    assert replies and _text(replies).strip()  # a kind answer, never silence
    assert await _pending(bot, "forger") == []


async def test_buttons_of_an_erased_conversation_bring_nothing_back(bot: Bot, engine: Engine) -> None:
    await _press(engine, "gone", "h:rd:idp-living-allowance:20261228")
    await _press(engine, "gone", "h:ed:birth:20261227")
    listed = await _press(engine, "gone", "h:my")
    cancel_one = _payloads(listed, "h:x:")[0]
    assert await _pending(bot, "gone")
    await _press(engine, "gone", "f:yes")  # /forget, confirmed
    assert await _pending(bot, "gone") == []
    for old in (cancel_one, "h:xaa", "h:my"):  # the old messages' buttons, pressed after the erase
        replies = await _press(engine, "gone", old)
        assert replies and _text(replies).strip()
    assert await _pending(bot, "gone") == []
    # a replayed «cancel all» or «mine» re-creates nothing of the erased citizen
    replies = await _press(engine, "gone", "h:my")
    assert "Зареєструвати народження" not in _text(replies)
