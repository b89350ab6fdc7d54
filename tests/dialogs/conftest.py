"""The real object graph (bot.app.build) on a fresh SQLite file per test, driven like a channel."""

from __future__ import annotations

import pytest

from bot.app import Bot
from testkit.transcript import EngineChannel


@pytest.fixture()
def citizen(bot: Bot) -> EngineChannel:
    return EngineChannel(bot.engine)
