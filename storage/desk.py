"""The front desk's rows and queries for the staff console's Today and Callbacks pages.

- `walk_ins`: a citizen served without a booking (office, Kyiv day, service, a short note, the staff login);
  the statistics count them per office and day. No citizen identifier is stored.
- `request_marks`: what staff noted on a callback or a home-visit request (called, no answer, done, visit
  agreed for a date, a note); one row per booking, so the bookings table keeps its meaning (its `status` stays
  the booking's own). Deleted with the booking; its note is erased by /forget (`erase_notes`).
- Read-only queries over bookings and the audit log the pages need in bulk (a day's priority decisions in one
  query, the open and recent requests).
Never commits (the unit of work does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.audit import AuditEntry
from storage.booking import ACTIVE, Booking
from storage.clock import Clock
from storage.models import Base, UTCDateTime

REQUEST_KINDS = ("callback", "visit")
DONE = "done"  # a request staff marked done is no longer open


def _done(mark: RequestMark | None) -> bool:
    return mark is not None and mark.status == DONE


class WalkIn(Base):
    """A citizen served at an office without a booking."""

    __tablename__ = "walk_ins"
    __table_args__ = (Index("ix_walk_ins_office_day", "office", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    office: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date)  # the Kyiv day of the visit
    service: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    staff_login: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RequestMark(Base):
    """Staff's state of a callback or home-visit request: status, note, the agreed visit day."""

    __tablename__ = "request_marks"

    booking_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("bookings.id", ondelete="CASCADE"),
        primary_key=True,
    )
    status: Mapped[str] = mapped_column(String(16))  # called / no_answer / done / visit_agreed
    note: Mapped[str | None] = mapped_column(Text, default=None)
    visit_day: Mapped[dt.date | None] = mapped_column(Date, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class DayBooking(NamedTuple):
    """A booking as the Today page lists it: plain values, read without the ORM's per-object cost."""

    code: str
    start: dt.datetime | None
    service: str
    kind: str
    status: str
    priority: bool


class Desk:
    """Walk-ins, request marks and the console's bulk reads; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def add_walk_in(
        self, office: str, day: dt.date, service: str, note: str | None, login: str
    ) -> WalkIn:
        row = WalkIn(office=office, day=day, service=service, note=note, staff_login=login[:64],
                     created_at=self._clock())  # fmt: skip
        self._s.add(row)
        await self._s.flush()
        return row

    async def walk_ins(self, office: str, day: dt.date) -> list[WalkIn]:
        found = await self._s.scalars(
            select(WalkIn).where(WalkIn.office == office, WalkIn.day == day).order_by(WalkIn.id)
        )
        return list(found)

    async def walk_in_counts(self, day_from: dt.date, day_to: dt.date) -> dict[tuple[str, dt.date], int]:
        """(office, day) → walk-ins, days in [day_from, day_to] (what the statistics read)."""
        rows = await self._s.execute(
            select(WalkIn.office, WalkIn.day, func.count())
            .where(WalkIn.day >= day_from, WalkIn.day <= day_to)
            .group_by(WalkIn.office, WalkIn.day)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def day(self, office: str, start_from: dt.datetime, start_to: dt.datetime) -> list[DayBooking]:
        """The bookings of `office` starting in [start_from, start_to), cancelled ones too, by time."""
        rows = await self._s.execute(
            select(
                Booking.code, Booking.start, Booking.service, Booking.kind, Booking.status, Booking.priority
            )
            .where(Booking.office == office, Booking.start >= start_from, Booking.start < start_to)
            .order_by(Booking.start, Booking.id)
        )
        return [DayBooking(*row) for row in rows]

    async def decisions(self, action: str, codes: Sequence[str]) -> dict[str, str]:
        """code → the newest priority decision recorded under `action` in the audit log (one query)."""
        if not codes:
            return {}
        rows = await self._s.execute(
            select(AuditEntry.target, AuditEntry.after)
            .where(AuditEntry.action == action, AuditEntry.target.in_(list(codes)))
            .order_by(AuditEntry.id)
        )
        out: dict[str, str] = {}
        for target, after in rows:
            decision = (after or {}).get("decision")
            if isinstance(decision, str):
                out[target] = decision
        return out

    async def requests(self, since: dt.datetime) -> list[tuple[Booking, RequestMark | None]]:
        """Callbacks and home-visit requests still open (active, not marked done, not due before `since`) or
        recent (made, due or marked since `since`), with staff's mark; the open first, then the newest."""
        done = and_(RequestMark.status.is_not(None), RequestMark.status == DONE)
        due = or_(Booking.start.is_(None), Booking.start >= since)
        still_open = and_(Booking.status.in_(ACTIVE), ~done, due)
        recent = or_(Booking.created_at >= since, Booking.start >= since, RequestMark.updated_at >= since)
        rows = await self._s.execute(
            select(Booking, RequestMark)
            .outerjoin(RequestMark, RequestMark.booking_id == Booking.id)
            .where(Booking.kind.in_(REQUEST_KINDS), or_(still_open, recent))
            .order_by(Booking.created_at.desc(), Booking.id.desc())
        )
        found = [(row[0], row[1]) for row in rows]
        # Stable: the newest first within each.
        return sorted(found, key=lambda pair: pair[0].status not in ACTIVE or _done(pair[1]))

    async def request(self, code: str) -> tuple[Booking, RequestMark | None] | None:
        row = (
            await self._s.execute(
                select(Booking, RequestMark)
                .outerjoin(RequestMark, RequestMark.booking_id == Booking.id)
                .where(Booking.code == code, Booking.kind.in_(REQUEST_KINDS))
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def erase_notes(self, user_id: int) -> None:
        """/forget: staff's notes on the citizen's requests go (free text that may name them); the statuses
        stay."""
        mine = select(Booking.id).where(Booking.user_id == user_id).scalar_subquery()
        await self._s.execute(update(RequestMark).where(RequestMark.booking_id.in_(mine)).values(note=None))

    async def put_mark(self, mark: RequestMark) -> None:
        self._s.add(mark)
        await self._s.flush()
