"""A web chat continued in a messenger: a one-time token that carries the citizen's bookings and reminders."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.booking import Booking
from storage.clock import system_clock
from storage.models import Base, User, UTCDateTime
from storage.reminders import Reminder

TOKEN_AGE = dt.timedelta(hours=24)  # a link left unused longer than this no longer works


class Transfer(Base):
    """A one-time link from a web chat session to a messenger."""

    __tablename__ = "transfers"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class Transfers:
    """Repository; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(self, user_id: int, now: dt.datetime) -> str:
        token = secrets.token_urlsafe(16)  # 128 random bits; fits Telegram's 64-character start parameter
        self._s.add(Transfer(token=token, user_id=user_id, created_at=now))
        await self._s.flush()
        return token

    async def take(self, token: str, now: dt.datetime) -> int | None:
        """The web citizen the token belongs to, once: the row is deleted by the same statement that finds it."""
        row = (await self._s.execute(select(Transfer).where(Transfer.token == token))).scalar_one_or_none()
        if row is None:
            return None
        gone = await self._s.execute(delete(Transfer).where(Transfer.token == token))
        if not getattr(gone, "rowcount", 0) or row.created_at < now - TOKEN_AGE:
            return None
        return row.user_id

    async def purge_before(self, cutoff: dt.datetime) -> int:
        """Links never used: they stop working after TOKEN_AGE, so their rows go."""
        result = await self._s.execute(delete(Transfer).where(Transfer.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    async def move(self, from_user: int, to: User) -> tuple[int, int]:
        """Hand the web citizen's upcoming bookings and pending reminders to their messenger self. A booking of a
        service the messenger citizen already has booked stays behind (one active booking per service)."""
        moved = 0
        active = await self._s.execute(
            select(Booking).where(Booking.user_id == from_user, Booking.status.in_(("booked", "requested")))
        )
        for booking in list(active.scalars()):
            try:
                async with self._s.begin_nested():
                    booking.user_id, booking.channel = to.id, to.channel
                    await self._s.flush()
                moved += 1
            except IntegrityError:
                await self._s.refresh(booking)
        reminders = await self._s.execute(
            update(Reminder)
            .where(Reminder.user_id == from_user, Reminder.status == "pending")
            .values(user_id=to.id, channel=to.channel)
        )
        return moved, int(getattr(reminders, "rowcount", 0) or 0)
