"""Air-raid alerts as the bot saw them: the current state (one row, written by the process that polls the
source, read by every process) and each alert's period with the appointments it affected.

Never commits (the unit of work does)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from storage.booking import Booking
from storage.booking.models import CANCELLED
from storage.clock import Clock
from storage.models import Base, UTCDateTime

STATUS_ROW = 1


class AlertStatus(Base):
    """The state the source adds up to now (dialogs/alerts/rules.py): «active», «calm» or «unknown»."""

    __tablename__ = "alert_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(timezone=True))
    source_ok: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertPeriod(Base):
    """One alert: from the first «active» to the first «calm» after it (an «unknown» between keeps it open)."""

    __tablename__ = "alert_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    affected: Mapped[int] = mapped_column(Integer, default=0)  # office appointments inside it (set at its end)


class AlertBooking(Base):
    """An appointment an alert fell on, and whether its citizen has been told what now (once)."""

    __tablename__ = "alert_bookings"
    __table_args__ = (UniqueConstraint("period_id", "booking_id", name="uq_alert_bookings_period_booking"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("alert_periods.id", ondelete="CASCADE"))
    booking_id: Mapped[int] = mapped_column(Integer)
    told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)


@dataclass(frozen=True)
class Status:
    state: str
    since: dt.datetime | None
    checked_at: dt.datetime | None
    source_ok: bool


class Alerts:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def status(self) -> Status | None:
        row = await self._s.get(AlertStatus, STATUS_ROW)
        if row is None:
            return None
        return Status(row.state, row.since, row.checked_at, row.source_ok)

    async def put_status(self, state: str, since: dt.datetime | None, source_ok: bool) -> None:
        row = await self._s.get(AlertStatus, STATUS_ROW)
        now = self._clock()
        if row is None:
            self._s.add(AlertStatus(id=STATUS_ROW, state=state, since=since, checked_at=now, source_ok=source_ok))
        else:
            row.state, row.since, row.checked_at, row.source_ok = state, since, now, source_ok
        await self._s.flush()

    async def open_period(self) -> AlertPeriod | None:
        return (
            await self._s.execute(
                select(AlertPeriod).where(AlertPeriod.ended_at.is_(None)).order_by(AlertPeriod.id).limit(1)
            )
        ).scalar_one_or_none()

    async def begin(self, at: dt.datetime) -> AlertPeriod:
        """The open period, or a new one from `at`."""
        period = await self.open_period()
        if period is None:
            period = AlertPeriod(started_at=at)
            self._s.add(period)
            await self._s.flush()
        return period

    async def end(self, at: dt.datetime) -> AlertPeriod | None:
        """Close the open period at `at` and note the office appointments inside it; None if none was open."""
        period = await self.open_period()
        if period is None:
            return None
        period.ended_at = at
        inside = (
            await self._s.execute(
                select(Booking.id).where(
                    Booking.kind == "office",
                    Booking.start >= period.started_at,
                    Booking.start < at,
                    Booking.status != CANCELLED,
                )
            )
        ).scalars().all()
        for booking_id in inside:
            self._s.add(AlertBooking(period_id=period.id, booking_id=booking_id))
        period.affected = len(inside)
        await self._s.flush()
        return period

    async def untold(self, period_id: int) -> list[Booking]:
        """The period's appointments whose citizens have not been told yet, in time order."""
        return list(
            (
                await self._s.execute(
                    select(Booking)
                    .join(AlertBooking, AlertBooking.booking_id == Booking.id)
                    .where(AlertBooking.period_id == period_id, AlertBooking.told_at.is_(None))
                    .order_by(Booking.start, Booking.id)
                )
            ).scalars()
        )

    async def told(self, period_id: int, booking_id: int) -> bool:
        """Mark a citizen told, once: False if someone else did it first."""
        done = await self._s.execute(
            update(AlertBooking)
            .where(
                AlertBooking.period_id == period_id,
                AlertBooking.booking_id == booking_id,
                AlertBooking.told_at.is_(None),
            )
            .values(told_at=self._clock())
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def during(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether an alert was on at some moment between `start` and `end`."""
        found = await self._s.execute(
            select(AlertPeriod.id)
            .where(AlertPeriod.started_at <= end)
            .where((AlertPeriod.ended_at.is_(None)) | (AlertPeriod.ended_at >= start))
            .limit(1)
        )
        return found.first() is not None

    async def touching(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime | None, int, int, int]]:
        """The alerts on at some moment in [start, end): (start, end, appointments inside, citizens told,
        appointments rebooked: moved after the all-clear — cancelled, and a booking of the same citizen and
        service made after the alert's end)."""
        told = (
            select(func.count())
            .where(AlertBooking.period_id == AlertPeriod.id, AlertBooking.told_at.is_not(None))
            .scalar_subquery()
        )
        old, new = aliased(Booking), aliased(Booking)
        again = (
            select(new.id)
            .where(new.user_id == old.user_id, new.service == old.service)
            .where(new.status != CANCELLED, new.created_at >= AlertPeriod.ended_at)
            .exists()
        )
        rebooked = (
            select(func.count())
            .select_from(AlertBooking)
            .join(old, old.id == AlertBooking.booking_id)
            .where(AlertBooking.period_id == AlertPeriod.id, old.status == CANCELLED, again)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            select(AlertPeriod.started_at, AlertPeriod.ended_at, AlertPeriod.affected, told, rebooked)
            .where(AlertPeriod.started_at < end)
            .where((AlertPeriod.ended_at.is_(None)) | (AlertPeriod.ended_at > start))
            .order_by(AlertPeriod.started_at)
        )
        return [(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows]

    async def history(self, since: dt.datetime | None = None) -> list[AlertPeriod]:
        query = select(AlertPeriod).order_by(AlertPeriod.started_at)
        if since is not None:
            query = query.where(func.coalesce(AlertPeriod.ended_at, AlertPeriod.started_at) >= since)
        return list((await self._s.execute(query)).scalars())
