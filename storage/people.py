"""Real people behind the sessions: verified phones, the limits that count per person, and per client address.

A citizen has an identity level (`Level`): an anonymous web session < a messenger account < a verified phone. A
phone is verified by Telegram's own contact (the contact's user id is the sender's), Viber's shared phone, or on the
web a one-time code sent by SMS (`PhoneCode`, storage/codes.py). Everything that a script could multiply by opening
sessions counts per *person*: the keyed hash of the verified phone (`person_key`), the same on every channel and in
every session, so the limits follow the real person and the database keeps no phone where a count will do.

- `VerifiedPhone`: a citizen's verified number (personal: erased by /forget and with the citizen) and its person key.
- `PersonQuota`: counters per person and period («month:2026-12», «priority:2026-12-07:<service>»), one atomic
  conditional upsert each, so racing processes never count past the limit.
- `PriorityBlock`: a person whose priority claim staff refused may not claim priority until `until`.
- `ClientAction`: what an address did (web only; the address kept as a keyed hash, for a day), for per-address caps.

Never commits (the unit of work does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from enum import IntEnum
from typing import Any, cast

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock, system_clock
from storage.models import Base, User, UTCDateTime

# The development key: fine for a local run; production sets PERSON_KEY_SECRET (bot/settings.py), and changing it
# starts every per-person count afresh.
DEV_SECRET = b"viza-bot development key: set PERSON_KEY_SECRET"
KEY_CHARS = 32  # hex characters of a person or client key (128 bits)
HOW = ("telegram", "viber", "sms", "dev")  # how a phone was verified; «dev»: the development SMS mode
CLIENT_KEEP = dt.timedelta(days=1)  # per-address records are kept this long
QUOTA_KEEP_DAYS = 62  # quota periods older than this are purged (the month before last)


class Level(IntEnum):
    """How much we know that a citizen is one real person."""

    ANONYMOUS = 0  # a web chat session: the client picks its id
    ACCOUNT = 1  # a Telegram or Viber account
    VERIFIED = 2  # a verified phone number


def digits(phone: str) -> str:
    """A number's digits, a Ukrainian one in the international form 380XXXXXXXXX."""
    only = re.sub(r"\D", "", phone)
    if len(only) == 10 and only.startswith("0"):
        return "38" + only
    return only


def person_key(phone: str, secret: bytes = DEV_SECRET) -> str:
    """The person a phone number stands for: a keyed hash, so counts need no number and a leaked table gives none."""
    return hmac.new(secret, b"phone:" + digits(phone).encode(), hashlib.sha256).hexdigest()[:KEY_CHARS]


def client_key(address: str, secret: bytes = DEV_SECRET) -> str:
    """A client address (an IP) as stored: a keyed hash."""
    return hmac.new(secret, b"client:" + address.encode(), hashlib.sha256).hexdigest()[:KEY_CHARS]


class VerifiedPhone(Base):
    """A citizen's phone number, proven theirs. One per citizen; verifying another number replaces it."""

    __tablename__ = "verified_phones"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    person: Mapped[str] = mapped_column(String(KEY_CHARS), index=True)
    phone: Mapped[str] = mapped_column(String(32))  # personal: digits only; erased by /forget
    how: Mapped[str] = mapped_column(String(16))  # one of HOW
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class PersonQuota(Base):
    """How many times a person did something counted in a period («month:2026-12»)."""

    __tablename__ = "person_quota"

    person: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    period: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class PriorityBlock(Base):
    """Staff refused this person's priority claim: no priority booking until `until`."""

    __tablename__ = "priority_blocks"

    person: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)
    by: Mapped[str] = mapped_column(String(64))  # the staff member who refused the claim


class ClientAction(Base):
    """One limited action from a web client address (booking, ticket, callback, visit, sms)."""

    __tablename__ = "client_actions"
    __table_args__ = (Index("ix_client_actions_client_action_at", "client", "action", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client: Mapped[str] = mapped_column(String(KEY_CHARS))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


_QUOTA = cast(Table, PersonQuota.__table__)


class People:
    """Verified phones, per-person counters and blocks, per-address records; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock, secret: bytes = DEV_SECRET) -> None:
        self._s = session
        self._clock = clock
        self._secret = secret
        # The verified phones found in this unit of work. The session's identity map holds rows weakly: held
        # here, a second ask (a booking's confirmation asks twice) is answered by `get` from it, with no query.
        self._found: dict[int, VerifiedPhone] = {}

    # --- identity -------------------------------------------------------------------------------------------

    def key(self, phone: str) -> str:
        return person_key(phone, self._secret)

    def client(self, address: str) -> str:
        return client_key(address, self._secret)

    async def verified(self, user: User) -> VerifiedPhone | None:
        found = await self._s.get(VerifiedPhone, user.id)
        if found is not None:
            self._found[user.id] = found
        return found

    async def person(self, user: User) -> str | None:
        """The person key of the citizen's verified phone, or None."""
        found = await self.verified(user)
        return found.person if found is not None else None

    def level(self, user: User, verified: VerifiedPhone | None) -> Level:
        if verified is not None:
            return Level.VERIFIED
        return Level.ANONYMOUS if user.channel == "web" else Level.ACCOUNT

    async def verify(self, user: User, phone: str, how: str) -> VerifiedPhone:
        """Record the citizen's proven number (replacing an earlier one)."""
        if how not in HOW:
            raise ValueError(f"unknown verification {how!r}")
        number = digits(phone)
        row = await self._s.get(VerifiedPhone, user.id)
        if row is None:
            row = VerifiedPhone(user_id=user.id)
            self._s.add(row)
        row.person, row.phone, row.how, row.verified_at = self.key(number), number, how, self._clock()
        await self._s.flush()
        return row

    async def forget(self, user_id: int) -> None:
        """/forget: the number goes (the person's counts stay: they hold no number, and a forgotten citizen must
        not get a fresh quota by asking to be forgotten)."""
        await self._s.execute(delete(VerifiedPhone).where(VerifiedPhone.user_id == user_id))

    # --- per-person counters --------------------------------------------------------------------------------

    async def count_up(self, person: str, period: str, limit: int) -> bool:
        """Add one to the person's count for `period` if it is under `limit`; False (nothing changed) if not.
        One statement: concurrent callers never count past the limit."""
        if limit <= 0:
            return False
        insert = postgresql.insert if self._s.get_bind().dialect.name == "postgresql" else sqlite.insert
        now = self._clock()
        statement: Any = (
            insert(_QUOTA)
            .values(person=person, period=period, count=1, updated_at=now)
            .on_conflict_do_update(
                index_elements=[_QUOTA.c.person, _QUOTA.c.period],
                set_={"count": _QUOTA.c["count"] + 1, "updated_at": now},
                where=_QUOTA.c["count"] < limit,
            )
        )
        result = await self._s.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def counted(self, person: str, period: str) -> int:
        found = await self._s.get(PersonQuota, (person, period))
        return found.count if found is not None else 0

    # --- priority blocks ------------------------------------------------------------------------------------

    async def blocked_until(self, person: str) -> dt.datetime | None:
        """The end of the person's priority block, if one is in force."""
        found = await self._s.get(PriorityBlock, person)
        return found.until if found is not None and found.until > self._clock() else None

    async def block(self, person: str, until: dt.datetime, by: str) -> None:
        row = await self._s.get(PriorityBlock, person)
        if row is None:
            row = PriorityBlock(person=person)
            self._s.add(row)
        row.until, row.since, row.by = until, self._clock(), by
        await self._s.flush()

    # --- per-address caps (web) -----------------------------------------------------------------------------

    async def allow(self, client: str, action: str, limit: int, window: dt.timedelta) -> bool:
        """Record one `action` from a client key if it did fewer than `limit` in the last `window`. On PostgreSQL
        the (client, action) pair is locked for the transaction first: racing requests from one address (a
        script's) are counted one after another, never all under the limit at once. SQLite serializes writers."""
        now = self._clock()
        if self._s.get_bind().dialect.name == "postgresql":
            await self._s.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{client}:{action}"))))
        done = await self._s.scalar(
            select(func.count())
            .select_from(ClientAction)
            .where(
                ClientAction.client == client, ClientAction.action == action, ClientAction.at > now - window
            )
        )
        if (done or 0) >= limit:
            return False
        self._s.add(ClientAction(client=client, action=action, at=now))
        await self._s.flush()
        return True

    async def done(self, client: str, action: str, window: dt.timedelta) -> int:
        """How many `action`s the client key did in the last `window` (nothing recorded)."""
        since = self._clock() - window
        found = await self._s.scalar(
            select(func.count())
            .select_from(ClientAction)
            .where(ClientAction.client == client, ClientAction.action == action, ClientAction.at > since)
        )
        return found or 0

    async def purge(self) -> int:
        """Housekeeping: per-address records after a day, quota rows after two months."""
        now = self._clock()
        gone = await self._s.execute(delete(ClientAction).where(ClientAction.at < now - CLIENT_KEEP))
        old = await self._s.execute(
            delete(PersonQuota).where(PersonQuota.updated_at < now - dt.timedelta(days=QUOTA_KEEP_DAYS))
        )
        return int(getattr(gone, "rowcount", 0) or 0) + int(getattr(old, "rowcount", 0) or 0)
