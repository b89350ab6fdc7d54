"""The per-person limits of booking: which counters (storage/people.py) a booking counts against, and how many
each allows. A limit is a counter row per person and period; the names of the periods live here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.booking.models import NO_LIMIT, Booking, TakeFailure
from storage.people import PersonQuota

PRIORITY_PER_DAY = 1  # priority bookings a person may make for one service on one working day
REQUEST_KINDS = ("callback", "visit")  # one active of each per person (PERSON_REQUEST_KEY)


def month_period(month: str) -> str:
    """The person's monthly count («month:2026-12»; `month` is the Kyiv month of the visit)."""
    return f"month:{month}"


def priority_period(day: dt.date, service: str) -> str:
    """The person's priority bookings for a service on a local day («priority:2026-12-07:passport-id»)."""
    return f"priority:{day.isoformat()}:{service}"


def counted(
    *, month: str, monthly_limit: int, priority: bool, day: dt.date | None, service: str
) -> list[tuple[str, int, TakeFailure]]:
    """The counters a new booking takes a unit of: (period, limit, the refusal when it is reached)."""
    counts: list[tuple[str, int, TakeFailure]] = []
    if monthly_limit != NO_LIMIT:  # NO_LIMIT: not counted (a request without a time, unless asked)
        counts.append((month_period(month), monthly_limit, TakeFailure.QUOTA))
    if priority and day is not None:
        counts.append((priority_period(day, service), PRIORITY_PER_DAY, TakeFailure.PRIORITY_DAY))
    return counts


async def refund_month(session: AsyncSession, booking: Booking, month: str) -> None:
    """Give back a booking's place in the person's monthly count (the Center, not the citizen, cancelled it).
    Its priority booking of that day stays counted: the day is closed anyway."""
    if booking.person is None:
        return
    await session.execute(
        update(PersonQuota)
        .where(
            PersonQuota.person == booking.person,
            PersonQuota.period == month_period(month),
            PersonQuota.count > 0,
        )
        .values(count=PersonQuota.count - 1)
    )
