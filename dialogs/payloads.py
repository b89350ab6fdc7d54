"""Button payloads: short `prefix:arg:arg` strings (≤ 64 bytes), the same on every channel.

The engine owns the core prefixes below; each room declares its own prefix (a plain string, checked against these
when the engine is built, `Rooms` in dialogs/rooms.py), so adding a room adds no member here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

SEP = ":"
# The years a date or time in a payload may name. A button carries a day of the booking horizon or of a
# reminder's near future; anything else is forged or garbled, and a year near the ends of Python's range
# (0001, 9999) would overflow when moved across a time zone (issue 20: «q:a:000101010000» raised
# OverflowError).
FIRST_YEAR, LAST_YEAR = 2000, 2199


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


def payload_date(raw: str) -> dt.date | None:
    """A payload's day, «yyyymmdd», or None: not 8 ASCII digits, not a calendar date, or a year outside
    FIRST_YEAR..LAST_YEAR (the caller answers None as it answers any stale button)."""
    if not re.fullmatch(r"[0-9]{8}", raw) or not FIRST_YEAR <= int(raw[:4]) <= LAST_YEAR:
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def payload_id(raw: str) -> int | None:
    """A payload's row id or small number: 1 to 18 ASCII digits (so it fits a 64-bit column), or None. Not
    `str.isdigit`, which takes «²» and other digits `int` refuses."""
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None


def payload_time(raw: str) -> dt.time | None:
    """A payload's wall time, «hhmm», or None."""
    if not re.fullmatch(r"[0-9]{4}", raw):
        return None
    try:
        return dt.time(int(raw[:2]), int(raw[2:]))
    except ValueError:
        return None


def payload_moment(raw: str, tz: ZoneInfo) -> dt.datetime | None:
    """A payload's local moment in `tz`, «yyyymmddhhmm», as an aware UTC datetime, or None (as
    `payload_date`)."""
    if len(raw) != 12:
        return None
    day, wall = payload_date(raw[:8]), payload_time(raw[8:])
    if day is None or wall is None:
        return None
    return dt.datetime.combine(day, wall, tz).astimezone(dt.UTC)
