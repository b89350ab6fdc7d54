"""Button payloads: short `prefix:arg:arg` strings (≤ 64 bytes), the same on every channel.

Telegram's CallbackData classes pack to this very format, so handlers can wrap each prefix in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SEP = ":"


class Action(StrEnum):
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
    REMIND = "h"  # the reminders room: h:my, h:r:<service>, h:rd:<service>:<yyyymmdd>, h:e:<situation>, …
    OPERATOR = (
        "o"  # the operator handoff: o asks for a person, o:end, o:q, o:p, o:wait, o:r:<ticket>:<1-5>, o:skip
    )
    QUEUE = "q"  # the booking room: q, q:my, q:s:<service>, q:d:<yyyymmdd>, q:t:<hhmm>, q:ok:<token>, …


@dataclass(frozen=True)
class Payload:
    action: Action
    args: tuple[str, ...] = ()

    def pack(self) -> str:
        return SEP.join((self.action.value, *self.args))


def parse(raw: str) -> Payload | None:
    """The payload, or None for anything that is not one of ours (old, forged, truncated)."""
    head, *args = raw.split(SEP)
    try:
        action = Action(head)
    except ValueError:
        return None
    if any(not a for a in args):
        return None
    return Payload(action, tuple(args))


def pack(action: Action, *args: str) -> str:
    return Payload(action, args).pack()
