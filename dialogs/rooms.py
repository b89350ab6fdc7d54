"""A capability of its own (booking, reminders, the operator handoff) plugs into the engine as a room.

A room declares everything the engine and the views route or show for it: its payload prefix, its typed commands
and intents, its buttons on the main menu, on a service card and under a checklist, and the citizen while
`DialogState.scenario` is its name. The engine asks the registry (`Rooms`) and names no room; adding one is its
package plus one line of wiring in bot/app.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from dialogs.messages import MAX_PAYLOAD_BYTES, Button, Incoming, Reply
from dialogs.outcome import Kind, Outcome
from dialogs.payloads import CORE, Payload, parse
from knowledge.schema import LifeSituation, Service
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.models import DialogState, User
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = tuple[Button, ...]
M = TypeVar("M", bound="DataclassInstance")
PREFIX_SHAPE = re.compile(r"[a-z]{1,2}")  # short, so a payload's arguments keep most of the 64 bytes


@dataclass
class Turn:
    """One incoming message as a room sees it."""

    uow: UnitOfWork
    user: User
    state: DialogState
    message: Incoming
    now: dt.datetime
    outcome: Outcome | None = None  # what was made of the message (dialogs/outcome.py); the last note wins
    # A payload to press for the citizen next, in this same turn (a room that finished what another room asked of
    # it hands the turn back, e.g. a phone verified → the booking goes on). One hop: the next one's is ignored.
    then: str | None = None

    def note(self, kind: Kind, target: str = "") -> None:
        """Say what this message turned out to be (a typed answer taken, a re-ask, an intent, …)."""
        self.outcome = Outcome(kind, target)


class RoomState(Generic[M]):
    """A room's own place in the dialog state, typed. While `DialogState.scenario` is the room's name its step is
    `state.step` and its choices are a dataclass of short strings, kept in `state.answers` (the engine clears them
    when the citizen leaves, and never reads them)."""

    def __init__(self, name: str, model: type[M]) -> None:
        self.name, self.model = name, model
        self._fields = {f.name for f in fields(model)}

    def load(self, state: DialogState) -> M:
        """The room's choices (the model's defaults while the citizen is elsewhere)."""
        if state.scenario != self.name:
            return self.model()
        return self.model(**{k: v for k, v in state.answers.items() if k in self._fields})

    def save(self, state: DialogState, choices: M, step: str | None = None) -> None:
        """Keep the choices (empty ones are left out) and go to `step`, the citizen inside the room."""
        if state.scenario != self.name:
            state.scenario, state.history = self.name, []
        state.answers = {k: v for k, v in asdict(choices).items() if v}
        if step is not None:
            state.step = step

    def leave(self, state: DialogState) -> None:
        """Out of the room (nothing happens if the citizen is elsewhere)."""
        if state.scenario == self.name:
            state.scenario, state.step, state.answers, state.history = None, None, {}, []


class Room(Protocol):
    prefix: str  # the payload prefix it owns («q»): every button of its own starts with it
    name: str  # DialogState.scenario while the citizen is inside it
    intents: frozenset[Intent]  # typed intents it answers
    # A room that holds takes every message of a citizen it holds before the engine (`holding`).
    holds: bool

    @property
    def commands(self) -> Mapping[str, tuple[str, ...]]:
        """Typed commands («/my») and the arguments of the button each stands for."""
        ...

    def menu_rows(self) -> Sequence[Row]:
        """Its rows on the main menu (none: it is reached otherwise)."""
        ...

    def card_rows(self, service: Service) -> Sequence[Row]:
        """Its rows on a service's card, under «my checklist»."""
        ...

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> Sequence[Row]:
        """Its rows under a personal checklist: what the citizen may do next with these services."""
        ...

    def lost_rows(self) -> Sequence[Row]:
        """Its rows when the bot did not understand the citizen twice in a row (a person can take it from there)."""
        ...

    async def holding(self, turn: Turn) -> bool:
        """Whether it holds this citizen now (asked only of a room that `holds`)."""
        ...

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        """A press of one of its buttons (an unknown or stale one is answered kindly, never raised)."""
        ...

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        """A typed wish it owns («хочу записатися»), with the service the words name, if one is clear."""
        ...

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        """Typed text while the citizen is inside it (or held by it); None lets the engine read it as usual."""
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



class QuietRoom:
    """What a room that adds nothing to the views does by default: no buttons on the menu, cards, checklists or
    the «lost» rows, no commands, no deep links, holds nobody, keeps nothing to release on /forget, and nothing
    typed in it is personal. A room inherits it and writes only what it does (dialogs/care/, dialogs/verify/…)."""

    holds = False
    intents: frozenset[Intent] = frozenset()

    @property
    def commands(self) -> Mapping[str, tuple[str, ...]]:
        return {}

    def menu_rows(self) -> Sequence[Row]:
        return ()

    def card_rows(self, service: Service) -> Sequence[Row]:
        return ()

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> Sequence[Row]:
        return ()

    def lost_rows(self) -> Sequence[Row]:
        return ()

    async def holding(self, turn: Turn) -> bool:
        return False

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply] | None:
        return None

    async def forget(self, turn: Turn) -> None:
        return None

    def personal(self, state: DialogState) -> bool:
        return False

class Rooms:
    """The rooms of one engine, checked once: what routes to which, and what each adds to the views."""

    def __init__(self, rooms: Sequence[Room] = ()) -> None:
        self._all = tuple(rooms)
        self.by_prefix: dict[str, Room] = {}
        self.by_name: dict[str, Room] = {}
        self.by_intent: dict[Intent, Room] = {}
        self.by_command: dict[str, tuple[Room, tuple[str, ...]]] = {}
        for room in self._all:
            self._add(room)
        self.prefixes = CORE | self.by_prefix.keys()
        holders = [room for room in self._all if room.holds]
        if len(holders) > 1:
            raise ValueError("at most one room may hold citizens")
        self.holder: Room | None = holders[0] if holders else None

    def _add(self, room: Room) -> None:
        prefix = room.prefix
        if not PREFIX_SHAPE.fullmatch(prefix) or len(prefix.encode()) >= MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"room {room.name!r}: the payload prefix {prefix!r} is not one or two letters a-z"
            )
        if prefix in CORE:
            raise ValueError(f"room {room.name!r}: the payload prefix {prefix!r} is the engine's own")
        if prefix in self.by_prefix:
            raise ValueError(f"room {room.name!r}: the payload prefix {prefix!r} is taken")
        if room.name in self.by_name:
            raise ValueError(f"room {room.name!r}: the name is taken")
        if taken := room.intents & self.by_intent.keys():
            raise ValueError(f"room {room.name!r}: intents {sorted(taken)} are taken")
        if taken_words := room.commands.keys() & self.by_command.keys():
            raise ValueError(f"room {room.name!r}: commands {sorted(taken_words)} are taken")
        self.by_prefix[prefix] = room
        self.by_name[room.name] = room
        self.by_intent.update(dict.fromkeys(room.intents, room))
        self.by_command.update({word: (room, args) for word, args in room.commands.items()})

    def __iter__(self) -> Iterator[Room]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def parse(self, raw: str) -> Payload | None:
        """A payload with a core prefix or a room's, or None (old, forged, not ours)."""
        return parse(raw, self.prefixes)

    def of_state(self, state: DialogState) -> Room | None:
        """The room the citizen is inside, if any."""
        return self.by_name.get(state.scenario or "")

    def menu_rows(self) -> list[Row]:
        return [row for room in self._all for row in room.menu_rows()]

    def card_rows(self, service: Service) -> list[Row]:
        return [row for room in self._all for row in room.card_rows(service)]

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> list[Row]:
        return [row for room in self._all for row in room.checklist_rows(situation, services)]

    def lost_rows(self) -> list[Row]:
        return [row for room in self._all for row in room.lost_rows()]
