"""Corpus conversations (tests/conversations/) through Telegram: the real bot against the emulator makes of every
message what the engine makes of it, and answers every typed turn."""

from __future__ import annotations

import pytest

from bot.app import Bot
from knowledge import Knowledge
from storage.clock import ManualClock
from testkit.conversation import Voice, corpus_clock, differences, engine_voice, run_conversation, sample
from testkit.corpus import PARTS, Conversation, load
from testkit.telegram.citizen import TelegramCitizen
from tests.e2e.telegram.conftest import TelegramRig

# Typed conversations only: a first press needs a message of the bot's to press on in Telegram.
SAMPLE = sample([c for part in PARTS for c in load(part)], 5, presses=False)


@pytest.fixture()
def clock() -> ManualClock:
    """The corpus's Monday morning (testkit/conversation.py), not the suite's Friday."""
    return corpus_clock()


@pytest.mark.parametrize("conversation", SAMPLE, ids=[c.id for c in SAMPLE])
async def test_a_corpus_conversation_in_telegram(
    rig: TelegramRig, bot: Bot, kb: Knowledge, conversation: Conversation
) -> None:
    citizen: TelegramCitizen = rig.citizen()
    try:
        on_engine = await run_conversation(bot, conversation, engine_voice(bot), kb)
        voice = Voice(citizen, "telegram", str(citizen.user_id))
        on_telegram = await run_conversation(rig.bot, conversation, voice, kb)
    finally:
        await citizen.close()
    assert len(on_telegram) == len(conversation.typed)
    assert not differences(on_engine, on_telegram)
