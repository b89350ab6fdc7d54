"""One-time codes sent by SMS to verify a web citizen's phone (the conversation: dialogs/verify/).

A code is stored only as a keyed digest (`digest`), never as itself; the number it was sent to waits in the row
until the code is entered right (then it becomes the citizen's `VerifiedPhone`) and goes with the row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock
from storage.models import Base, UTCDateTime
from storage.people import KEY_CHARS

OPEN, USED, FAILED, EXPIRED = "open", "used", "failed", "expired"
KEEP = dt.timedelta(days=1)  # a code's row is kept this long (the daily count per number), its number not


class PhoneCode(Base):
    """A code sent to a number for one citizen."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person: Mapped[str] = mapped_column(String(KEY_CHARS), index=True)  # the number's person: codes a day
    client: Mapped[str | None] = mapped_column(
        String(KEY_CHARS), default=None
    )  # the address it was asked from
    phone: Mapped[str] = mapped_column(String(32))  # personal: the number being verified; goes with the row
    digest: Mapped[str] = mapped_column(String(64))  # a keyed hash of the code
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default=OPEN)


class PhoneCodes:
    """The SMS codes of web citizens: issued, tried, used; never commits, never holds a code in the clear."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def issue(
        self, user_id: int, person: str, client: str | None, phone: str, digest: str, ttl: dt.timedelta
    ) -> PhoneCode:
        """A new code for the citizen; their earlier open codes stop working."""
        now = self._clock()
        await self._s.execute(
            update(PhoneCode)
            .where(PhoneCode.user_id == user_id, PhoneCode.state == OPEN)
            .values(state=EXPIRED, phone="")
        )
        row = PhoneCode(
            user_id=user_id, person=person, client=client, phone=phone, digest=digest, sent_at=now,
            expires_at=now + ttl,
        )  # fmt: skip
        self._s.add(row)
        await self._s.flush()
        return row

    async def latest(self, user_id: int) -> PhoneCode | None:
        """The citizen's last code, whatever its state."""
        found = await self._s.execute(
            select(PhoneCode).where(PhoneCode.user_id == user_id).order_by(PhoneCode.id.desc()).limit(1)
        )
        return found.scalar_one_or_none()

    async def sent_since(self, person: str, since: dt.datetime) -> int:
        """How many codes went to the person's number since `since` (every citizen's sessions together)."""
        count = await self._s.scalar(
            select(func.count()).select_from(PhoneCode).where(PhoneCode.person == person, PhoneCode.sent_at > since)
        )
        return int(count or 0)

    async def close(self, row: PhoneCode, state: str) -> None:
        """Used, failed or expired: the number goes with it (the row stays a day, for the daily count)."""
        row.state, row.phone = state, ""
        await self._s.flush()

    async def purge_before(self, cutoff: dt.datetime) -> int:
        gone = await self._s.execute(delete(PhoneCode).where(PhoneCode.sent_at < cutoff))
        return int(getattr(gone, "rowcount", 0) or 0)
