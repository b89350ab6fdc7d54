"""The staff's audit log: who did what, to what, when, and what it was before and after.

Every action of the Center's staff that changes what citizens get (a closed day, a booking marked, a priority claim
confirmed or refused, and later the console's changes) writes one row in the same transaction as the change itself,
so a change is never recorded without having happened, nor happens unrecorded. `python -m bot audit --json` reads it.
Never commits (the unit of work does).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock
from storage.models import Base, UTCDateTime


class AuditEntry(Base):
    """One staff action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # the OS user, `--by NAME`, or a console login
    action: Mapped[str] = mapped_column(String(48))  # e.g. «booking.mark», «office.close-day»
    target: Mapped[str] = mapped_column(String(120))  # what it was done to: a booking code, an office and day
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)


class Audit:
    """Writes and reads the audit log; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=self._clock(),
            actor=actor[:64],
            action=action[:48],
            target=target[:120],
            before=before,
            after=after,
        )
        self._s.add(entry)
        await self._s.flush()
        return entry

    async def entries(self, since: dt.datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The newest first."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        return list((await self._s.scalars(query)).all())

    async def page(
        self, *, actor: str | None = None, action: str | None = None, offset: int = 0, limit: int = 50
    ) -> list[AuditEntry]:
        """One page of the log, newest first, of one actor and/or one action (exact)."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
        if actor:
            query = query.where(AuditEntry.actor == actor[:64])
        if action:
            query = query.where(AuditEntry.action == action[:48])
        return list((await self._s.scalars(query)).all())

    async def actions(self) -> list[str]:
        """The actions the log holds, for a filter's choices."""
        return list((await self._s.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))).all())

    async def last(self, action: str, target: str) -> AuditEntry | None:
        """The newest entry of `action` on `target` (e.g. whether a priority claim was decided already)."""
        found = await self._s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.target == target[:120])
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        return found.first()
