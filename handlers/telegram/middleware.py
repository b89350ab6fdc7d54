"""One outer middleware on every update: a unit of work, and each update_id handled once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import IntegrityError

from dialogs.engine import Engine
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
CHANNEL = "telegram"


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens the unit of work handlers use (`data["uow"]`), one citizen's updates one at a time;
    a redelivered update_id is skipped."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        engine: Engine = data["engine"]
        key = f"{CHANNEL}:{user.id if user else 'update-' + str(event.update_id)}"
        try:
            async with engine.locks.hold(key), self._uow() as uow:
                # No read first: the unique key refuses a redelivered update_id at commit, which then rolls
                # back everything this copy did and sends nothing (after-commit actions never run).
                uow.updates.mark(CHANNEL, str(event.update_id))
                data["uow"] = uow
                return await handler(event, data)
        except IntegrityError:
            log.info("update %s was handled before; this copy is dropped", event.update_id)
            return None
