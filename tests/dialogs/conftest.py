"""The real object graph (bot.app.build) on a fresh SQLite file per test, driven like a channel."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.outcome import Outcome
from testkit.transcript import EngineChannel


@pytest.fixture()
def citizen(bot: Bot) -> EngineChannel:
    return EngineChannel(bot.engine)


class Heard:
    """An engine observer that keeps what each message turned out to be (dialogs/outcome.py)."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def understood(self, channel: str, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture()
def heard(bot: Bot) -> Heard:
    found = Heard()
    bot.engine.observers.append(found)
    return found
