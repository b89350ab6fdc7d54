"""Transcripts as data: a citizen says or presses, the bot's answer must contain ... — on any channel.

A channel adapter only needs `send_text(text)`, `press(payload)` and `verify()` (the citizen proves their phone
the channel's way when the verify room asks: Telegram's own contact, Viber's shared phone, the web's SMS code)
returning the replies as (text, [[(button text, payload)]]) pairs, so the same transcripts run on the engine, the web API,
Telegram and Viber. `EngineChannel` is such a channel on the engine itself. The transcripts are the suite's data
(tests/e2e/transcripts/*.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from testkit.net import ROOT
from testkit.people import phone_for

TRANSCRIPTS = ROOT / "tests" / "e2e" / "transcripts"


@dataclass
class Seen:
    """What the citizen sees after one turn."""

    texts: list[str]
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, payload)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class Channel(Protocol):
    async def send_text(self, text: str) -> Seen: ...
    async def press(self, payload: str) -> Seen: ...
    async def verify(self) -> Seen: ...


def load(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((TRANSCRIPTS / f"{name}.yaml").read_text(encoding="utf-8")))


def all_names() -> list[str]:
    return sorted(p.stem for p in TRANSCRIPTS.glob("*.yaml"))


def _norm(s: str) -> str:
    return s.replace("**", "").replace("<b>", "").replace("</b>", "")


async def play(channel: Channel, turns: list[dict[str, Any]]) -> None:
    """Run every turn; fail with the turn and what the bot said when an expectation does not hold."""
    seen = Seen([])
    for i, turn in enumerate(turns):
        if "say" in turn:
            seen = await channel.send_text(turn["say"])
        elif "press" in turn:
            label = turn["press"]
            match = [p for text, p in seen.buttons if label in text]
            assert match, f"turn {i}: no button «{label}» among {[t for t, _ in seen.buttons]}"
            seen = await channel.press(match[0])
        elif "payload" in turn:
            seen = await channel.press(turn["payload"])
        elif "verify" in turn:  # the verify room asked for the citizen's phone
            seen = await channel.verify()
        text = _norm(seen.text)
        for want in turn.get("expect", []):
            assert want in text, f"turn {i} ({turn}): «{want}» not in:\n{text}"
        for unwanted in turn.get("absent", []):
            assert unwanted not in text, f"turn {i} ({turn}): «{unwanted}» should not be in:\n{text}"
        labels = [t for t, _ in seen.buttons]
        for want in turn.get("buttons", []):
            assert any(want in t for t in labels), f"turn {i}: no button «{want}» in {labels}"


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

    async def verify(self) -> Seen:
        """The citizen shares their own contact, as a messenger's «share my number» button sends it."""
        phone = phone_for(self.channel, self.user)
        self.last = await self.engine.handle(Incoming(self.channel, self.user, contact_shared=True, phone=phone))
        return seen(self.last)
