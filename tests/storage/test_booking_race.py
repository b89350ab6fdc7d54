"""Races: many citizens confirming the same slot at once, in one process and in two, on SQLite and PostgreSQL.
The database alone decides: exactly `capacity` bookings, everybody else told TAKEN, no exception."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from storage.booking import Booking, TakeFailure
from storage.db import make_sessionmaker
from storage.people import PersonQuota
from testkit.booking_race import (
    SLOT,
    Tally,
    factory_for,
    names_for,
    person_of,
    race,
    race_in_processes,
    take_one,
)
from tests.storage.test_booking_storage import Store, store  # noqa: F401  (fixture: SQLite and PostgreSQL)
from tests.storage.test_postgres import postgres_url  # noqa: F401  (fixture: a throwaway server per module)

CAPACITY = 3


async def _booked_places(s: Store) -> list[int]:
    async with make_sessionmaker(s.engine)() as session:
        rows = await session.execute(
            select(Booking.place).where(Booking.status == "booked").order_by(Booking.place)
        )
        return [place for place in rows.scalars() if place is not None]


def _exact(tally: Tally, takes: int, capacity: int) -> None:
    assert tally.errors == []
    assert dict(tally.outcomes) == {"booked": capacity, "taken": takes - capacity}
    assert sorted(tally.places) == list(range(capacity))


async def test_200_citizens_race_for_one_slot_in_one_process(store: Store) -> None:  # noqa: F811
    names = names_for("r", 200)
    await store.users(*names)
    _exact(await race(store.factory, names, capacity=CAPACITY), 200, CAPACITY)
    assert await _booked_places(store) == [0, 1, 2]
    if store.dialect == "sqlite":
        # Without the bot's in-process queue too: SQLite's write lock (BEGIN IMMEDIATE) and the key decide.
        # (On PostgreSQL the bot's factory is that plain pool already.)
        names = names_for("p", 200)
        await store.users(*names)
        pool = factory_for(store.engine, serialize=False)
        _exact(
            await race(pool, names, capacity=CAPACITY, start=SLOT + dt.timedelta(minutes=15)), 200, CAPACITY
        )
        assert await _booked_places(store) == [0, 0, 1, 1, 2, 2]


async def test_two_processes_race_for_one_slot(store: Store) -> None:  # noqa: F811
    """Two bot processes on the same database, 100 confirmations each, started together."""
    await store.users(*names_for("a-", 100), *names_for("b-", 100))
    url = store.engine.url.render_as_string(hide_password=False)
    await store.factory.close()
    await store.engine.dispose()
    tally = await asyncio.to_thread(race_in_processes, url, ["a-", "b-"], 100, CAPACITY)
    _exact(tally, 200, CAPACITY)
    assert await _booked_places(store) == [0, 1, 2]


async def test_one_citizen_racing_ten_slots_gets_the_monthly_limit(store: Store) -> None:  # noqa: F811
    await store.users("q")
    results = await asyncio.gather(
        *(
            take_one(
                store.factory, "q", start=SLOT + dt.timedelta(minutes=15 * i), service=f"s{i}", token=f"t{i}"
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )
    outcomes = Counter("booked" if isinstance(r, Booking) else str(r) for r in results)
    assert outcomes == {"booked": 4, "quota": 6}
    async with make_sessionmaker(store.engine)() as session:
        assert (await session.execute(select(PersonQuota.count))).scalar_one() == 4
        assert (await session.execute(select(func.count()).select_from(Booking))).scalar_one() == 4


async def test_taps_racing_on_one_confirmation_book_once(store: Store) -> None:  # noqa: F811
    await store.users("t")
    results = await asyncio.gather(
        *(take_one(store.factory, "t", token="same") for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.id for r in results if isinstance(r, Booking)}) == 1
    async with make_sessionmaker(store.engine)() as session:
        assert (await session.execute(select(PersonQuota.count))).scalar_one() == 1


async def test_racing_confirmations_of_one_service_leave_one_active(store: Store) -> None:  # noqa: F811
    await store.users("s")
    results = await asyncio.gather(
        *(
            take_one(store.factory, "s", token=f"t{i}", start=SLOT + dt.timedelta(minutes=15 * i))
            for i in range(8)
        ),
        return_exceptions=True,
    )
    outcomes = Counter("booked" if isinstance(r, Booking) else str(r) for r in results)
    assert outcomes == {"booked": 1, "already": 7}
    async with make_sessionmaker(store.engine)() as session:
        # The refused ones' increments were undone.
        assert (await session.execute(select(PersonQuota.count))).scalar_one() == 1


async def test_priority_citizens_never_share_a_held_place(store: Store) -> None:  # noqa: F811
    """Held places are ordinary place numbers: the same key protects them. A slot of 5 with place 4 held:
    40 priority citizens offered the held place first, and 40 others offered only the open places, all at once."""
    priority = names_for("v", 40)
    others = names_for("o", 40)
    await store.users(*priority, *others)
    held_only = await asyncio.gather(
        *(take_one(store.factory, n, places=[4], priority=True) for n in priority[:20]),
        return_exceptions=True,
    )
    assert Counter("booked" if isinstance(r, Booking) else str(r) for r in held_only) == {
        "booked": 1,
        "taken": 19,
    }
    # Now the held place again (cancelled first), mixed with everybody else.
    async with store.factory() as uow:
        winner = next(r for r in held_only if isinstance(r, Booking))
        found = await uow.bookings.by_code(winner.code)
        assert found is not None
        await uow.bookings.cancel(found, uow.clock())
    mixed = await asyncio.gather(
        *(take_one(store.factory, n, places=[4, 0, 1, 2, 3], priority=True) for n in priority[20:]),
        *(take_one(store.factory, n, places=[0, 1, 2, 3]) for n in others),
        return_exceptions=True,
    )
    booked = [r for r in mixed if isinstance(r, Booking)]
    assert not [r for r in mixed if isinstance(r, BaseException)]
    assert sorted(b.place or 0 for b in booked) == [0, 1, 2, 3, 4]
    assert [b.priority for b in booked if b.place == 4] == [True]
    assert await _booked_places(store) == [0, 1, 2, 3, 4]


async def test_a_closing_racing_confirmations_leaves_nothing_on_the_closed_day(store: Store) -> None:  # noqa: F811
    """Staff close a day while citizens confirm places on it: every booking of that day ends cancelled (taken
    before the closing) or is refused (after it); none stays booked."""
    names = names_for("c", 30)
    await store.users(*names)
    day = SLOT.date()
    start = dt.datetime.combine(day, dt.time(0), dt.UTC)

    async def confirm(name: str, i: int) -> Booking | TakeFailure:
        async with store.factory() as uow:
            user = await uow.users.get("web", name)
            assert user is not None
            return await uow.bookings.take(
                user=user,
                person=person_of(name),
                kind="office",
                office="visa-main",
                resource="passports",
                service="passport-id",
                start=SLOT + dt.timedelta(minutes=15 * (i % 10)),
                places=[0, 1, 2],
                priority=False,
                priority_group=None,
                token=f"t-{name}",
                month="2026-12",
                monthly_limit=4,
                day=day,
            )

    async def close() -> list[Booking]:
        await asyncio.sleep(0.005)
        async with store.factory() as uow:
            return await uow.bookings.close_day(
                "visa-main", day, "Ремонт", start, start + dt.timedelta(days=1)
            )

    results = await asyncio.gather(
        *(confirm(n, i) for i, n in enumerate(names)), close(), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert await _booked_places(store) == []
