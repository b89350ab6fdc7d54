"""A stand-in for `Engine.handle_in`: records what a channel passes in and answers from a script.

Channel tests use it to check how a channel renders replies the real conversation does not give yet (or gives
only deep in a flow), and exactly which `Incoming` a channel builds, without depending on the dialog itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from storage.uow import UnitOfWork

Script = Callable[[Incoming], list[Reply]]


class ScriptedEngine:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[Incoming] = []

    async def handle_in(self, uow: UnitOfWork, message: Incoming) -> list[Reply]:
        self.seen.append(message)
        return self.script(message)


def script_engine(monkeypatch: pytest.MonkeyPatch, engine: Engine, script: Script) -> ScriptedEngine:
    """Make the bot's engine answer from `script` (its locks and everything else stay the real ones)."""
    fake = ScriptedEngine(script)
    monkeypatch.setattr(engine, "handle_in", fake.handle_in)
    return fake
