"""The Center's staff: console users, their sessions, and the offices' status as staff set it.

- `StaffUser`: a login with a role (admin, registrar, operator), an argon2id password hash, failed logins and
  the lock they earn (rules in dialogs/console/rules.py).
- `StaffSession`: a signed-in browser. Its token is random (secrets) and only its SHA-256 is stored, so a leaked
  table opens no session; revoked at logout, by `staff disable` and `staff passwd`, or when idle too long.
- `OfficeState`: an office's status (open, closed or unconfirmed), note, address, hours and booking schedule
  (hours per regime, breaks, window groups) as the Center says today; the first start imports them from knowledge/data/booking.yaml, and the booking and the bot's answers
  read them at every turn (dialogs/offices.py).

Never commits (the unit of work does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock, system_clock
from storage.models import Base, UTCDateTime

DIGEST_CHARS = 64  # hex SHA-256 of a session token


def token_digest(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password: Mapped[str] = mapped_column(String(255))  # the argon2id hash (PHC string)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[int] = mapped_column(Integer, default=0)  # failed logins in a row
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    digest: Mapped[str] = mapped_column(String(DIGEST_CHARS), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class OfficeState(Base):
    __tablename__ = "office_states"

    office: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # open | closed | unconfirmed
    note: Mapped[str | None] = mapped_column(Text, default=None)  # why closed, where to go instead
    address: Mapped[str | None] = mapped_column(String(200), default=None)
    hours: Mapped[str | None] = mapped_column(Text, default=None)  # the hours as citizens are told them
    # The booking's configuration of the office in booking.yaml's shape (`schedules`, `groups`,
    # `priority_share`; knowledge/booking_schema.py BookableOffice), imported from it at the first start; None:
    # the data's own stands.
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class Staff:
    """Staff users and sessions; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def user(self, login: str) -> StaffUser | None:
        return await self._s.scalar(select(StaffUser).where(StaffUser.login == login))

    async def users(self) -> list[StaffUser]:
        """Every staff user, by login."""
        return list((await self._s.scalars(select(StaffUser).order_by(StaffUser.login))).all())

    async def user_by_id(self, user_id: int) -> StaffUser | None:
        return await self._s.get(StaffUser, user_id)

    async def add(self, login: str, role: str, password_hash: str) -> StaffUser:
        user = StaffUser(login=login, role=role, password=password_hash, disabled=False, failed=0,
                         created_at=self._clock())  # fmt: skip
        self._s.add(user)
        await self._s.flush()
        return user

    async def open_session(self, user: StaffUser, token: str, csrf: str) -> StaffSession:
        now = self._clock()
        row = StaffSession(digest=token_digest(token), user_id=user.id, csrf=csrf, created_at=now, seen_at=now,
                           revoked=False)  # fmt: skip
        self._s.add(row)
        await self._s.flush()
        return row

    async def session(self, token: str) -> StaffSession | None:
        return await self._s.get(StaffSession, token_digest(token))

    async def revoke(self, token: str) -> None:
        await self._s.execute(
            update(StaffSession).where(StaffSession.digest == token_digest(token)).values(revoked=True)
        )

    async def revoke_all(self, user: StaffUser) -> None:
        await self._s.execute(update(StaffSession).where(StaffSession.user_id == user.id).values(revoked=True))


# office, status, note, address, hours, schedule (canonical JSON text: hashable and immutable)
OfficeRow = tuple[str, str, str | None, str | None, str | None, str | None]


def schedule_text(schedule: dict[str, Any] | None) -> str | None:
    """An office's schedule as canonical JSON text (keys sorted), or None."""
    return None if schedule is None else json.dumps(schedule, sort_keys=True, ensure_ascii=False)


class OfficeCache:
    """The offices' state as last read (`Offices.snapshot`), so a turn need not query it: every message reads it
    and staff change it a few times a day. It is emptied by this process's writes (`Offices.put`), by another
    connection's commit on SQLite (the unit-of-work factory checks data_version), and read again after `TTL` of
    the clock, which bounds how late another process (PostgreSQL) sees a change."""

    TTL = dt.timedelta(seconds=2)

    def __init__(self) -> None:
        self.rows: tuple[OfficeRow, ...] | None = None
        self.at: dt.datetime | None = None

    def clear(self) -> None:
        self.rows, self.at = None, None


class Offices:
    """The offices' status as staff set it; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock, cache: OfficeCache | None = None) -> None:
        self._s = session
        self._clock = clock
        self._cache = cache

    async def snapshot(self) -> tuple[OfficeRow, ...]:
        """Every office's state as plain values, from the cache while it is fresh."""
        cache, now = self._cache, self._clock()
        fresh = cache is not None and cache.at is not None and cache.at <= now < cache.at + OfficeCache.TTL
        if cache is not None and cache.rows is not None and fresh:
            return cache.rows
        rows = tuple((r.office, r.status, r.note, r.address, r.hours, schedule_text(r.schedule))
                     for r in await self.all())  # fmt: skip
        if cache is not None:
            cache.rows, cache.at = rows, now
        return rows

    async def all(self) -> list[OfficeState]:
        return list((await self._s.scalars(select(OfficeState).order_by(OfficeState.office))).all())

    async def get(self, office: str) -> OfficeState | None:
        return await self._s.get(OfficeState, office)

    async def put(self, row: OfficeState) -> OfficeState:
        self._s.add(row)
        await self._s.flush()
        if self._cache is not None:
            self._cache.clear()
        return row
