"""Repositories: queries by domain meaning. They never commit; the unit of work does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, DialogState, MessageLog, ProcessedUpdate, User, utcnow

# Built once: constructing the statement cost more than running it on SQLite.
_USER_WITH_STATE = (
    select(User, DialogState)
    .outerjoin(DialogState, DialogState.user_id == User.id)
    .where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
)


class Users:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, channel: str, external_id: str) -> User | None:
        return (
            await self._s.execute(
                select(User).where(User.channel == channel, User.external_id == external_id)
            )
        ).scalar_one_or_none()

    async def get_or_create(self, channel: str, external_id: str) -> User:
        """The citizen, created on first contact; a concurrent first contact is resolved by the unique key."""
        user = await self.get(channel, external_id)
        if user is not None:
            return user
        try:
            async with self._s.begin_nested():
                user = User(channel=channel, external_id=external_id)
                self._s.add(user)
                await self._s.flush()
                # Created together: whoever loses the race on the user loses it on the state too.
                self._s.add(
                    DialogState(user_id=user.id, answers={}, history=[], misses=0, updated_at=utcnow())
                )
        except IntegrityError:
            user = await self.get(channel, external_id)
            assert user is not None
        return user

    async def with_state(self, channel: str, external_id: str) -> tuple[User, DialogState]:
        """The citizen and their dialog state in one round trip; both created on first contact."""
        row = (
            await self._s.execute(_USER_WITH_STATE, {"channel": channel, "external_id": external_id})
        ).first()
        if row is not None and row[1] is not None:
            return row[0], row[1]
        user = row[0] if row is not None else await self.get_or_create(channel, external_id)
        return user, await DialogStates(self._s).get(user.id)

    async def erase(self, user: User) -> None:
        """Delete the citizen and, by cascade, their dialog state and message log."""
        await self._s.execute(delete(MessageLog).where(MessageLog.user_id == user.id))
        await self._s.execute(delete(DialogState).where(DialogState.user_id == user.id))
        await self._s.delete(user)

    async def deactivate(self, channel: str, external_id: str) -> None:
        """The citizen blocked the bot or unsubscribed: send them nothing until they write again."""
        await self._s.execute(
            update(User).where(User.channel == channel, User.external_id == external_id).values(active=False)
        )


class DialogStates:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, user_id: int) -> DialogState:
        """The user's state, a fresh empty one if they have none."""
        state = await self._s.get(DialogState, user_id)
        if state is None:
            state = DialogState(user_id=user_id, answers={}, history=[], misses=0, updated_at=utcnow())
            self._s.add(state)
        return state


class MessageLogs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._pending: list[dict[str, object]] = []

    def add(self, user_id: int, direction: str, text: str) -> None:
        """Queue a log line; all of a unit of work's lines are written in one statement by `flush`."""
        self._pending.append(
            {"user_id": user_id, "direction": direction, "text": text, "created_at": utcnow()}
        )

    async def flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            await self._s.execute(insert(MessageLog), rows)

    async def recent(self, user_id: int, limit: int = 20) -> list[MessageLog]:
        await self.flush()
        rows = await self._s.execute(
            select(MessageLog)
            .where(MessageLog.user_id == user_id)
            .order_by(MessageLog.id.desc())
            .limit(limit)
        )
        return list(reversed(rows.scalars().all()))

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        """Delete messages logged before `cutoff`; returns how many."""
        result = await self._s.execute(delete(MessageLog).where(MessageLog.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


class ProcessedUpdates:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._pending: list[dict[str, object]] = []

    def mark(self, channel: str, key: str) -> None:
        """Record the delivery with the rest of the unit of work (written by `flush`). Should a duplicate
        racing in parallel commit first, the unique key fails this commit: the update is handled once."""
        self._pending.append({"channel": channel, "key": key, "created_at": utcnow()})

    async def flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            await self._s.execute(insert(ProcessedUpdate), rows)

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        result = await self._s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


# A later report never moves a delivery back: «seen» stays «seen» even if «delivered» arrives after it.
_STATUS_ORDER = {"sent": 0, "delivered": 1, "seen": 2, "failed": 3}


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(self, channel: str, message_token: str, status: str) -> None:
        """Remember the newest known status of a sent message, safely under racing reports."""
        rank = case(_STATUS_ORDER, value=Delivery.status, else_=0)
        # One conditional UPDATE: the database re-checks the condition after any concurrent writer.
        advance = (
            update(Delivery)
            .where(Delivery.channel == channel, Delivery.message_token == message_token)
            .where(rank <= _STATUS_ORDER.get(status, 0))
            .values(status=status, updated_at=utcnow())
        )
        if getattr(await self._s.execute(advance), "rowcount", 0):
            return
        exists = select(Delivery.id).where(
            Delivery.channel == channel, Delivery.message_token == message_token
        )
        if (await self._s.execute(exists)).first() is not None:
            return  # a newer status is already there
        try:
            async with self._s.begin_nested():
                self._s.add(
                    Delivery(channel=channel, message_token=message_token, status=status, updated_at=utcnow())
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
