"""Button payloads: short `prefix:arg:arg` strings (≤ 64 bytes), the same on every channel.

The engine owns the core prefixes below; each room declares its own prefix (a plain string, checked against these
when the engine is built, `Rooms` in dialogs/rooms.py), so adding a room adds no member here.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum

SEP = ":"


class Action(StrEnum):
    """The engine's own prefixes."""

    MENU = "m"  # main menu, or a menu section: m:sit, m:svc, m:svc:<group>, m:contacts
    SITUATION = "s"  # start a life situation: s:<scenario>
    ANSWER = "a"  # answer a question: a:<scenario>:<step>:<value>
    NEXT = "n"  # continue after an info step: n:<scenario>:<step>
    BACK = "b"  # one step back
    RESTART = "r"  # restart the current scenario
    SERVICE = "v"  # a service card: v:<service>[:<section>]
    RESUME = "c"  # continue the current scenario where it stopped
    FORGET = "f"  # erase my data: f asks, f:yes erases, f:no keeps
    WORDING = "w"  # the exact wording of the documents of the checklist on screen


CORE: frozenset[str] = frozenset(a.value for a in Action)


@dataclass(frozen=True)
class Payload:
    prefix: str  # a core Action or a room's prefix
    args: tuple[str, ...] = ()

    def pack(self) -> str:
        return SEP.join((self.prefix, *self.args))


def parse(raw: str, prefixes: Container[str] = CORE) -> Payload | None:
    """The payload, or None for anything that is not one of ours (old, forged, truncated, an unknown prefix)."""
    head, *args = raw.split(SEP)
    if head not in prefixes or any(not a for a in args):
        return None
    return Payload(head, tuple(args))


def pack(prefix: str, *args: str) -> str:
    return Payload(prefix, args).pack()
