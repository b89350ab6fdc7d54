"""Reminders: a row per message promised to a citizen at a time (an appointment, a «ready by» date, a legal
deadline, a monthly duty). The row is the truth: citizens list and cancel it, statistics count it, and the
dispatcher (bot/reminders.py) sends it; no scheduler job exists per reminder.

Life of a row: `pending` → claimed (`sending`, with a lease) → `sent` | `missed` (no longer makes sense) |
`cancelled` (by the citizen, a cancelled booking, a blocked bot) | `failed` (given up after MAX_ATTEMPTS), or back
to `pending` after a failed try, not before `lease_until` (the retry pause).

Claiming is atomic, so two dispatchers never hold one row: on PostgreSQL `SELECT id … FOR UPDATE SKIP LOCKED`
(a row another process is claiming is skipped, not waited for) then `UPDATE … WHERE id IN (…) AND <still
claimable> RETURNING …` in the same transaction; on SQLite one `UPDATE … WHERE id IN (SELECT id … LIMIT n) AND
<still claimable> RETURNING …` (SQLite has one writer at a time, and one bot process owns the file). A `sending` row whose lease expired is claimable again:
its process died (see bot/reminders.py for what that means for the citizen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from storage.clock import Clock, system_clock
from storage.models import Base, User, UTCDateTime

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
CANCELLED = "cancelled"
MISSED = "missed"
FAILED = "failed"
STATUSES = (PENDING, SENDING, SENT, CANCELLED, MISSED, FAILED)
OPEN = (PENDING, SENDING)  # may still go out

APPOINTMENT = "appointment"
READY = "ready"
DEADLINE = "deadline"
MONTHLY = "monthly"
SURVEY = "survey"  # the morning after a visit: how was it? (dialogs/survey/, sent by the same dispatcher)
KINDS = (APPOINTMENT, READY, DEADLINE, MONTHLY, SURVEY)

MAX_ATTEMPTS = 5  # tries (claims) before a reminder is given up as `failed`


class Reminder(Base):
    """One message promised to a citizen at `due_at`; rendered at send time from `kind`, `text_key` and the
    fields it is about."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_user_id", "user_id"),
        Index("ix_reminders_booking_code", "booking_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # appointment / ready / deadline / monthly / survey
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    booking_code: Mapped[str | None] = mapped_column(String(12), default=None)
    service: Mapped[str | None] = mapped_column(String(40), default=None)
    situation: Mapped[str | None] = mapped_column(String(40), default=None)
    deadline: Mapped[str | None] = mapped_column(String(40), default=None)
    target_day: Mapped[dt.date | None] = mapped_column(Date, default=None)  # the day the reminder is about
    text_key: Mapped[str | None] = mapped_column(String(24), default=None)  # what to say (the renderer's key)
    # While `sending`: the claim holds until then. While `pending` after a failed try: not before then.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class Reminders:
    """The reminders repository; never commits (the unit of work does).

    The state changes are conditional UPDATEs by id: they change a row only from the state the caller saw, so a
    late outcome (a dispatcher whose lease ran out, a cancel racing a send) never overwrites a newer one. Each
    returns whether it changed the row, and mirrors the change on the object it was given."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    def add(self, **fields: Any) -> Reminder:
        """A new pending reminder (user_id, channel, kind, due_at required); written with the unit of work."""
        if fields.get("kind") not in KINDS:
            raise ValueError(f"unknown reminder kind {fields.get('kind')!r}")
        due = fields.get("due_at")
        if not isinstance(due, dt.datetime) or due.tzinfo is None:
            raise ValueError("due_at must be a timezone-aware datetime")
        fields.setdefault("status", PENDING)
        fields.setdefault("attempts", 0)
        fields.setdefault("created_at", self._clock())
        reminder = Reminder(**fields)
        self._s.add(reminder)
        return reminder

    async def get(self, reminder_id: int) -> Reminder | None:
        return await self._s.get(Reminder, reminder_id)

    @staticmethod
    def _claimable(now: dt.datetime, max_attempts: int) -> ColumnElement[bool]:
        return or_(
            and_(
                Reminder.status == PENDING,
                Reminder.due_at <= now,
                or_(Reminder.lease_until.is_(None), Reminder.lease_until <= now),
            ),
            and_(Reminder.status == SENDING, Reminder.lease_until <= now, Reminder.attempts < max_attempts),
        )

    async def claim_due(
        self,
        now: dt.datetime,
        limit: int,
        lease: dt.timedelta,
        *,
        channels: Collection[str] | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        held: Collection[str] = (),
    ) -> list[Reminder]:
        """Atomically make up to `limit` due rows `sending` for `lease` (attempts + 1), soonest first: pending rows
        due by `now` (past their retry pause), and `sending` rows whose lease expired (their dispatcher died).
        A `sending` row whose lease expired after `max_attempts` claims is given up (`failed`): a reminder that
        kills its dispatcher is not retried for ever. `channels`: only rows this process can send; `held`: kinds
        that wait now (an air-raid alert holds the appointments' reminders)."""
        await self._s.execute(
            update(Reminder)
            .where(Reminder.status == SENDING, Reminder.lease_until <= now, Reminder.attempts >= max_attempts)
            .values(status=FAILED, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        claimable = self._claimable(now, max_attempts)
        if channels is not None:
            claimable = and_(claimable, Reminder.channel.in_(list(channels)))
        if held:
            claimable = and_(claimable, Reminder.kind.not_in(list(held)))
        pick = select(Reminder.id).where(claimable).order_by(Reminder.due_at, Reminder.id).limit(limit)
        if self._dialect() == "postgresql":
            # Two statements: the rows are locked first (rows another claim holds are skipped), then changed. As one
            # `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` the planner may rescan the subquery
            # once per row (a nested-loop semi-join), and each rescan locks n more: one claim took them all.
            ids = list((await self._s.execute(pick.with_for_update(skip_locked=True))).scalars())
            if not ids:
                return []
            chosen: Any = ids
        else:
            chosen = pick.scalar_subquery()  # one statement; SQLite evaluates the subquery once
        result = await self._s.execute(
            update(Reminder)
            .where(Reminder.id.in_(chosen), claimable)
            .values(status=SENDING, lease_until=now + lease, attempts=Reminder.attempts + 1)
            .returning(Reminder)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return sorted(result.scalars().all(), key=lambda r: (r.due_at, r.id))

    async def _change(self, r: Reminder, where: ColumnElement[bool], **values: Any) -> bool:
        result = await self._s.execute(
            update(Reminder)
            .where(Reminder.id == r.id, where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return False
        for key, value in values.items():
            # The row is written already: the object only learns the values (no second UPDATE at a flush).
            set_committed_value(r, key, value)
        return True

    def _held(self, r: Reminder) -> ColumnElement[bool]:
        """Still ours: `sending` with the attempt count of our claim (a reclaim would have raised it)."""
        return and_(Reminder.status == SENDING, Reminder.attempts == r.attempts)

    async def done(self, r: Reminder, now: dt.datetime) -> bool:
        """Sent."""
        return await self._change(r, self._held(r), status=SENT, sent_at=now, lease_until=None)

    async def failed(
        self, r: Reminder, now: dt.datetime, final: bool, retry_at: dt.datetime | None = None
    ) -> bool:
        """A try failed: given up (`final`), or pending again, not before `retry_at` (default: now)."""
        if final:
            return await self._change(r, self._held(r), status=FAILED, lease_until=None)
        return await self._change(r, self._held(r), status=PENDING, lease_until=retry_at or now)

    async def release_all_sending(self) -> int:
        """Every row left `sending` is pending again, its lease gone (only where no other process may be sending:
        SQLite); returns how many."""
        result = await self._s.execute(
            update(Reminder)
            .where(Reminder.status == SENDING)
            .values(status=PENDING, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def release(self, r: Reminder) -> bool:
        """Give a claimed row back untried (its lease was about to run out): pending, the claim not counted."""
        return await self._change(
            r, self._held(r), status=PENDING, lease_until=None, attempts=max(r.attempts - 1, 0)
        )

    async def missed(self, r: Reminder) -> bool:
        """No longer makes sense (an appointment reminder after the appointment): recorded, never sent."""
        return await self._change(r, Reminder.status.in_(OPEN), status=MISSED, lease_until=None)

    async def cancel(self, r: Reminder) -> bool:
        """The citizen (or the booking it is about) cancelled it; a row already sent stays sent."""
        return await self._change(r, Reminder.status.in_(OPEN), status=CANCELLED, lease_until=None)

    async def _cancel_where(self, where: ColumnElement[bool]) -> int:
        result = await self._s.execute(
            update(Reminder)
            .where(where, Reminder.status.in_(OPEN))
            .values(status=CANCELLED, lease_until=None)
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(result)

    async def for_user(self, user_id: int) -> list[Reminder]:
        """The citizen's pending reminders (those being sent right now included), soonest first."""
        rows = await self._s.execute(
            select(Reminder)
            .where(Reminder.user_id == user_id, Reminder.status.in_(OPEN))
            .order_by(Reminder.due_at, Reminder.id)
        )
        return list(rows.scalars())

    async def cancel_for_booking(self, code: str) -> int:
        """A booking was cancelled or moved (or its day closed): its reminders go."""
        return await self._cancel_where(Reminder.booking_code == code)

    async def cancel_all(self, user_id: int) -> int:
        """«Вимкнути всі»."""
        return await self._cancel_where(Reminder.user_id == user_id)

    async def cancel_user_channel(self, channel: str, external_id: str) -> int:
        """The citizen blocked the bot (Telegram 403) or unsubscribed (Viber): nothing more goes out to them."""
        users = select(User.id).where(User.channel == channel, User.external_id == external_id)
        return await self._cancel_where(Reminder.user_id.in_(users.scalar_subquery()))

    async def listing(self, status: str | None = None) -> list[Reminder]:
        """Every reminder (or those of one status), by due time — the staff command's view."""
        query = select(Reminder).order_by(Reminder.due_at, Reminder.id)
        if status is not None:
            query = query.where(Reminder.status == status)
        return list((await self._s.execute(query)).scalars())

    async def erase(self, user_id: int) -> int:
        """/forget: the citizen's reminders go, whatever their state."""
        result = await self._s.execute(delete(Reminder).where(Reminder.user_id == user_id))
        return _rowcount(result)

    async def purge_finished_before(self, cutoff: dt.datetime) -> int:
        """Finished reminders (sent, cancelled, missed, failed) due before `cutoff`: they tell what a citizen
        went through (a birth, a death), so they are kept no longer than the conversation."""
        result = await self._s.execute(
            delete(Reminder).where(
                Reminder.status.in_((SENT, CANCELLED, MISSED, FAILED)), Reminder.due_at < cutoff
            )
        )
        return _rowcount(result)
