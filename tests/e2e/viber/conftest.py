"""The real app with Viber on, a fake Viber REST API on loopback, signed callbacks posted in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.viber.citizen import ViberCitizen
from testkit.viber.fake_api import FakeViberApi

TOKEN = "4453b6ac1234567-test-viber-token"


@dataclass
class ViberRig:
    bot: Bot
    api: FakeViberApi
    client: TestClient  # type: ignore[type-arg]

    def citizen(self) -> ViberCitizen:
        return ViberCitizen(self.client, self.api, TOKEN)


@pytest.fixture()
async def viber(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[ViberRig]:
    api = FakeViberApi()
    api_url = await api.serve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/v.sqlite3",
        viber_auth_token=TOKEN,
        viber_api_url=api_url,
        viber_send_timeout=1.0,
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
            yield ViberRig(bot, api, client)
    finally:
        await bot.close()
        await api.stop()


@pytest.fixture()
def citizen(viber: ViberRig) -> ViberCitizen:
    return viber.citizen()
