"""A refused priority claim (dialogs/booking/priority.py) in storage: the person's other priority visits, and a
booking moved to the general queue at its own time when a place of its slot is free. The repository's
`priority_of` and `to_general` are these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.booking.models import BOOKED, PLACE_KEY, Booking, violated


async def priority_of(session: AsyncSession, booking: Booking, after: dt.datetime) -> list[Booking]:
    """The other booked priority visits of the same person (of the same citizen when the booking has no
    person: made before phones were verified) that start after `after`, soonest first."""
    if booking.person is not None:
        who: ColumnElement[bool] = Booking.person == booking.person
    elif booking.user_id is not None:
        who = Booking.user_id == booking.user_id
    else:
        return []
    rows = await session.execute(
        select(Booking)
        .where(
            who,
            Booking.id != booking.id,
            Booking.priority.is_(True),
            Booking.status == BOOKED,
            Booking.start > after,
        )
        .order_by(Booking.start, Booking.id)
    )
    return list(rows.scalars())


async def to_general(session: AsyncSession, booking: Booking, places: Sequence[int]) -> bool:
    """The booking keeps its time without priority, on the first of `places` (of its slot) still free:
    each tried in its own savepoint, the place key decides. False, and nothing changed, when none is
    free."""
    for place in places:
        try:
            async with session.begin_nested():
                await session.execute(
                    update(Booking)
                    .where(Booking.id == booking.id)
                    .values(place=place, priority=False, priority_group=None)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError as error:
            if violated(error) == PLACE_KEY:
                continue  # somebody holds it: the next one
            raise
        await session.refresh(booking)
        return True
    return False
