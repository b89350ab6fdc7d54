"""Corpus conversations as transcripts through the channels: the web chat's JSON API, Viber's signed webhooks
and Telegram's emulator make of every message what the engine makes of it (the same outcome, the same place in
the dialog, the same verdict), and every typed turn is answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.conversation import Voice, differences, engine_voice, run_conversation, sample, web_voice
from testkit.corpus import PARTS, Conversation, load
from testkit.viber.citizen import ViberCitizen
from testkit.viber.fake_api import FakeViberApi

VIBER_TOKEN = "4453b6ac1234567-corpus-viber-token"


def _corpus() -> list[Conversation]:
    return [c for part in PARTS for c in load(part)]


WEB_SAMPLE = sample(_corpus(), 10)
VIBER_SAMPLE = sample(_corpus(), 6)


async def _same_as_engine(bot: Bot, on: Bot, kb: Knowledge, conversation: Conversation, voice: Voice) -> None:
    """The conversation on `bot`'s engine and, through a channel, on `on` (its own database, so the two citizens
    never take each other's places)."""
    on_engine = await run_conversation(bot, conversation, engine_voice(bot), kb)
    on_channel = await run_conversation(on, conversation, voice, kb)
    assert len(on_channel) == len(conversation.typed)
    assert not differences(on_engine, on_channel)


@pytest.fixture()
async def web_bot(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[tuple[Bot, TestClient]]:  # type: ignore[type-arg]
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/corpus-web.sqlite3")  # type: ignore[call-arg]
    bot = await build(settings, kb=kb, index=index, clock=clock)
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
            yield bot, client
    finally:
        await bot.close()


@pytest.mark.parametrize("conversation", WEB_SAMPLE, ids=[c.id for c in WEB_SAMPLE])
async def test_a_corpus_conversation_over_the_web_api(
    bot: Bot,
    kb: Knowledge,
    web_bot: tuple[Bot, TestClient],  # type: ignore[type-arg]
    conversation: Conversation,
) -> None:
    on, client = web_bot
    await _same_as_engine(bot, on, kb, conversation, web_voice(client))


@pytest.fixture()
async def viber_bot(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[tuple[Bot, TestClient, FakeViberApi]]:  # type: ignore[type-arg]
    api = FakeViberApi()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/corpus-viber.sqlite3",
        viber_auth_token=VIBER_TOKEN,
        viber_api_url=await api.serve(),
        viber_send_timeout=1.0,
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
            yield bot, client, api
    finally:
        await bot.close()
        await api.stop()


@pytest.mark.parametrize("conversation", VIBER_SAMPLE, ids=[c.id for c in VIBER_SAMPLE])
async def test_a_corpus_conversation_through_viber_webhooks(
    bot: Bot,
    viber_bot: tuple[Bot, TestClient, FakeViberApi],  # type: ignore[type-arg]
    kb: Knowledge,
    conversation: Conversation,
) -> None:
    on, client, api = viber_bot
    citizen = ViberCitizen(client, api, VIBER_TOKEN)
    await _same_as_engine(bot, on, kb, conversation, Voice(citizen, "viber", citizen.user))
