"""The real app with Viber on, a fake Viber REST API on loopback, signed callbacks posted in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.viber.citizen import ViberCitizen
from testkit.viber.fake_api import FakeViberApi
from testkit.viber.rig import viber_app

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
    async with viber_app(tmp_path, kb, index, clock, TOKEN) as (bot, api, client):
        yield ViberRig(bot, api, client)


@pytest.fixture()
def citizen(viber: ViberRig) -> ViberCitizen:
    return viber.citizen()
