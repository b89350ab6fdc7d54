"""The real bot (python -m bot's object graph, long polling) against the telegram-test-api emulator on loopback."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import emulator, start_adapter
from testkit.telegram.operator import TelegramOperator

_tokens = itertools.count(100001)


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """One emulator process for the session (each test uses its own bot token, so chats never mix)."""
    with emulator() as url:
        yield url


@dataclass
class TelegramRig:
    bot: Bot
    adapter: EmulatorAdapter
    emulator_url: str
    token: str

    def citizen(self) -> TelegramCitizen:
        return TelegramCitizen(self.emulator_url, self.token, keyboards=self.adapter.keyboards)


@pytest.fixture()
async def rig(
    emulator_url: str, tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[TelegramRig]:
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    token = f"{next(_tokens)}:TEST-TOKEN"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/tg.sqlite3",
        telegram_bot_token=token,
        telegram_api_server=adapter_url,
        telegram_per_chat_rate=50,  # pacing has its own unit tests; transcripts need not wait for it
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    assert bot.telegram is not None
    await bot.telegram.set_commands()
    polling = asyncio.create_task(bot.telegram.run_polling())
    try:
        yield TelegramRig(bot, adapter, emulator_url, token)
    finally:
        try:
            await bot.telegram.dispatcher.stop_polling()
        except RuntimeError:  # the test ended before polling started
            polling.cancel()
        await asyncio.wait_for(asyncio.gather(polling, return_exceptions=True), timeout=10)
        await bot.close()
        await adapter.close()
        await runner.cleanup()


@pytest.fixture()
async def citizen(rig: TelegramRig) -> AsyncIterator[TelegramCitizen]:
    c = rig.citizen()
    yield c
    await c.close()


OPERATOR_CHAT_ID = -1001234567890  # the operators' supergroup with forum topics


@pytest.fixture()
async def make_operator(rig: TelegramRig) -> AsyncIterator[Callable[..., TelegramOperator]]:
    """Operators in the group of `rig`'s bot: `make_operator(user_id=…, name=…)`; closed at the end."""
    made: list[TelegramOperator] = []

    def make(user_id: int = 501, name: str = "Оксана", chat_id: int = OPERATOR_CHAT_ID) -> TelegramOperator:
        made.append(TelegramOperator(rig.emulator_url, rig.token, chat_id, user_id, name, rig.adapter))
        return made[-1]

    yield make
    for operator in made:
        await operator.close()
