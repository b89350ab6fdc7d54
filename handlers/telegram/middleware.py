"""One outer middleware on every update: the update takes a turn (dialogs/turns.py) — the sender's lock, a unit of
work, its update_id marked so a redelivered update is dropped whole at commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from dialogs.turns import Turns

CHANNEL = "telegram"


class TurnMiddleware(BaseMiddleware):
    """Opens the turn the handlers run in (`data["turn"]`, its unit of work `data["uow"]`)."""

    def __init__(self, turns: Turns) -> None:
        self._turns = turns

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        lock_key = str(user.id) if user else f"update-{event.update_id}"
        # No read first: the unique key refuses a redelivered update_id at commit, which then rolls back everything
        # this copy did and sends nothing (after-commit actions never run).
        async with self._turns.open(CHANNEL, lock_key, key=str(event.update_id)) as turn:
            data["turn"], data["uow"] = turn, turn.uow
            return await handler(event, data)
