"""Deliveries: the keys of updates already handled (a redelivery is dropped at commit) and the delivery status of
what was sent. Repositories never commit."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.models import Delivery, ProcessedUpdate

_INSERT_UPDATES = insert(cast(Table, ProcessedUpdate.__table__))


class ProcessedUpdates:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock
        self._pending: list[dict[str, object]] = []

    def mark(self, channel: str, key: str) -> None:
        """Record the delivery with the rest of the unit of work (written by `flush`). Should a duplicate
        racing in parallel commit first, the unique key fails this commit: the update is handled once."""
        self._pending.append({"channel": channel, "key": key, "created_at": self._clock()})

    async def flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            await self._s.execute(_INSERT_UPDATES, rows)

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        result = await self._s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


# A later report never moves a delivery back: «seen» stays «seen» even if «delivered» arrives after it.
_STATUS_ORDER = {"sent": 0, "delivered": 1, "seen": 2, "failed": 3}


class Deliveries:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def record(self, channel: str, message_token: str, status: str) -> None:
        """Remember the newest known status of a sent message, safely under racing reports."""
        rank = case(_STATUS_ORDER, value=Delivery.status, else_=0)
        now = self._clock()
        # One conditional UPDATE: the database re-checks the condition after any concurrent writer.
        advance = (
            update(Delivery)
            .where(Delivery.channel == channel, Delivery.message_token == message_token)
            .where(rank <= _STATUS_ORDER.get(status, 0))
            .values(status=status, updated_at=now)
        )
        if getattr(await self._s.execute(advance), "rowcount", 0):
            return
        present = select(Delivery.id).where(
            Delivery.channel == channel, Delivery.message_token == message_token
        )
        if (await self._s.execute(present)).first() is not None:
            # The row was committed by another report after our UPDATE looked: advance it if ours is newer.
            await self._s.execute(advance)
            return
        try:
            async with self._s.begin_nested():
                self._s.add(
                    Delivery(channel=channel, message_token=message_token, status=status, updated_at=now)
                )
        except IntegrityError:  # another report inserted it first: advance theirs if ours is newer
            await self._s.execute(advance)

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        result = await self._s.execute(delete(Delivery).where(Delivery.updated_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    async def status(self, channel: str, message_token: str) -> str | None:
        found = await self._s.execute(
            select(Delivery.status).where(
                Delivery.channel == channel, Delivery.message_token == message_token
            )
        )
        return found.scalar_one_or_none()
