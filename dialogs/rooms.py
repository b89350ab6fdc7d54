"""A capability of its own (booking; later reminders and operators) plugs into the engine as a room.

The engine owns the menus, the scenarios and the reading of typed text; a room owns its payload prefix, the
intents it answers, and the citizen while `DialogState.scenario` is its name. Adding a room is one line of
wiring in bot/app.py, not a branch in the engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from dialogs.messages import Incoming, Reply
from dialogs.payloads import Action
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.models import DialogState, User
from storage.uow import UnitOfWork


@dataclass
class Turn:
    """One incoming message as a room sees it."""

    uow: UnitOfWork
    user: User
    state: DialogState
    message: Incoming
    now: dt.datetime


class Room(Protocol):
    action: Action  # the payload prefix it owns
    name: str  # DialogState.scenario while the citizen is inside it
    intents: frozenset[Intent]  # typed intents it answers
    # While `User.held_by_operator` is set, every message goes to the room that holds (its `text` sees the
    # payload in `turn.message`; None lets the engine route the message as usual).
    holds: bool

    @property
    def commands(self) -> dict[str, tuple[str, ...]]:
        """Typed commands («/my») and the arguments of the button each stands for."""
        ...

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        """A press of one of its buttons (an unknown or stale one is answered kindly, never raised)."""
        ...

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        """A typed wish it owns («хочу записатися»), with the service the words name, if one is clear."""
        ...

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        """Typed text while the citizen is inside it; None lets the engine read it as usual."""
        ...

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply] | None:
        """`/start <arg>` from a link or QR code the room made; None when the argument is not its own."""
        ...

    async def forget(self, turn: Turn) -> None:
        """The citizen asked to be forgotten: release what the room holds for them (before their data goes)."""
        ...

    def personal(self, state: DialogState) -> bool:
        """Whether the citizen's next typed text is personal data (a phone, an address): never logged."""
        ...
