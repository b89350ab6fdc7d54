"""The real object graph (bot.app.build) on a fresh SQLite file per test, driven like a channel."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from tests.transcript import Seen


def seen(replies: list[Reply]) -> Seen:
    return Seen(
        [r.text for r in replies],
        [(b.text, b.payload or "") for r in replies for row in r.buttons for b in row],
    )


class EngineChannel:
    """A citizen talking to the engine directly (the collecting output channel of the tests)."""

    def __init__(self, engine: Engine, user: str = "citizen-1", channel: str = "test") -> None:
        self.engine, self.user, self.channel = engine, user, channel
        self.last: list[Reply] = []

    async def send_text(self, text: str) -> Seen:
        self.last = await self.engine.handle(Incoming(self.channel, self.user, text=text))
        return seen(self.last)

    async def press(self, payload: str) -> Seen:
        self.last = await self.engine.handle(Incoming(self.channel, self.user, payload=payload))
        return seen(self.last)


@pytest.fixture()
def citizen(bot: Bot) -> EngineChannel:
    return EngineChannel(bot.engine)
