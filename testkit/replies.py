"""Reading the engine's replies in tests: the payloads of their buttons."""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.messages import Reply


def payloads(replies: Iterable[Reply], start: str = "") -> list[str]:
    """The payloads of the replies' buttons that start with `start`, in order (link buttons have none)."""
    return [
        b.payload for r in replies for row in r.buttons for b in row if b.payload and b.payload.startswith(start)
    ]
