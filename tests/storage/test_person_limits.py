"""Limits per person (issue 20), on SQLite and PostgreSQL: the verified phone's person key, not the session, is
what counts. Two sessions (two citizen accounts, as two browser tabs or Telegram and the web would be) of one
person share 4 bookings a month, one active booking per service, one priority booking a day per service, one
active callback and one open home visit; raced in one process and in several OS processes; the month boundary is
Kyiv's; a citizen with no person books nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from storage.booking import Booking, TakeFailure
from storage.db import make_sessionmaker
from storage.people import PersonQuota
from testkit.booking_race import SLOT, person_of, take_one
from testkit.person_race import race_person
from tests.storage.test_booking_storage import Store, store  # noqa: F401  (fixture: SQLite and PostgreSQL)
from tests.storage.test_postgres import postgres_url  # noqa: F401  (fixture: a throwaway server per module)

QUARTER = dt.timedelta(minutes=15)
SHARED = person_of("the-person")  # one phone, verified in both sessions


async def _rows(s: Store) -> tuple[int, dict[str, int]]:
    async with make_sessionmaker(s.engine)() as session:
        booked = (
            await session.execute(select(func.count()).select_from(Booking).where(Booking.status == "booked"))
        ).scalar_one()
        counts = {p: c for p, c in await session.execute(select(PersonQuota.period, PersonQuota.count))}
        return booked, counts


async def test_two_sessions_of_one_person_share_the_monthly_four(store: Store) -> None:  # noqa: F811
    await store.users("tab-1", "tab-2", "stranger")
    results = []
    for i in range(6):  # alternately from each session, each a different service
        name = "tab-1" if i % 2 == 0 else "tab-2"
        start = SLOT + i * QUARTER
        results.append(
            await take_one(store.factory, name, start=start, service=f"s{i}", token=f"t{i}", person=SHARED)
        )
    assert [r if isinstance(r, TakeFailure) else "booked" for r in results] == ["booked"] * 4 + [
        TakeFailure.QUOTA
    ] * 2
    # Another person from the same kind of session is not affected.
    assert isinstance(await take_one(store.factory, "stranger", service="s9", start=SLOT), Booking)
    async with make_sessionmaker(store.engine)() as session:
        per_person = dict((await session.execute(select(PersonQuota.person, PersonQuota.count))).all())
    assert per_person == {SHARED: 4, person_of("stranger"): 1}


async def test_one_active_booking_per_service_per_person_across_sessions(store: Store) -> None:  # noqa: F811
    await store.users("tab-1", "tab-2")
    first = await take_one(store.factory, "tab-1", person=SHARED)
    assert isinstance(first, Booking) and first.person == SHARED
    assert await take_one(store.factory, "tab-2", start=SLOT + QUARTER, person=SHARED) == TakeFailure.ALREADY
    assert (await _rows(store))[1] == {"month:2026-12": 1}  # the refusal counted nothing


async def test_a_citizen_with_no_person_books_nothing_and_counts_nothing(store: Store) -> None:  # noqa: F811
    """Unverified (the verify room's gate stops them earlier): refused outright, not counted per session."""
    await store.users("anon")
    assert await take_one(store.factory, "anon", person=None) == TakeFailure.UNVERIFIED
    assert await _rows(store) == (0, {})


async def test_one_priority_booking_a_day_per_service(store: Store) -> None:  # noqa: F811
    await store.users("tab-1", "tab-2")
    day = SLOT.date()
    first = await take_one(store.factory, "tab-1", person=SHARED, priority=True, day=day)
    assert isinstance(first, Booking)
    async with (
        store.factory() as uow
    ):  # cancelled: the place returns, the day's priority booking stays counted
        found = await uow.bookings.by_code(first.code)
        assert found is not None
        await uow.bookings.cancel(found, uow.clock())
    again = await take_one(
        store.factory, "tab-2", person=SHARED, priority=True, day=day, start=SLOT + QUARTER, token="again"
    )
    assert again == TakeFailure.PRIORITY_DAY
    # A general place that day, or priority on another day, is fine.
    general = await take_one(
        store.factory, "tab-2", person=SHARED, day=day, start=SLOT + QUARTER, token="gen"
    )
    assert isinstance(general, Booking) and not general.priority
    async with store.factory() as uow:
        found = await uow.bookings.by_code(general.code)
        assert found is not None
        await uow.bookings.cancel(found, uow.clock())
    later = SLOT + dt.timedelta(days=1)
    other_day = await take_one(
        store.factory, "tab-1", person=SHARED, priority=True, day=later.date(), start=later, token="next"
    )
    assert isinstance(other_day, Booking)
    assert (await _rows(store))[1] == {
        "month:2026-12": 3,
        "priority:2026-12-07:passport-id": 1,
        "priority:2026-12-08:passport-id": 1,
    }


async def test_one_active_callback_and_one_open_visit_per_person(store: Store) -> None:  # noqa: F811
    await store.users("tab-1", "tab-2")
    users = {}
    async with store.factory() as uow:
        for name in ("tab-1", "tab-2"):
            users[name] = await uow.users.get("web", name)

    async def callback(name: str, start: dt.datetime, service: str) -> Booking | TakeFailure:
        async with store.factory() as uow:
            user = users[name]
            assert user is not None
            return await uow.bookings.take(
                user=user,
                person=SHARED,
                kind="callback",
                office="hotline",
                resource="hotline",
                service=service,
                start=start,
                places=[0],
                priority=False,
                priority_group=None,
                token=f"{name}-{service}",
                month="2026-12",
                monthly_limit=4,
                phone="+380670000000",
            )

    async def visit(name: str, service: str) -> Booking | TakeFailure:
        async with store.factory() as uow:
            user = users[name]
            assert user is not None
            return await uow.bookings.request(
                user=user,
                person=SHARED,
                office="mobile-admin",
                service=service,
                phone="+380670000000",
                address="вул. Тиха, 7",
                token=f"{name}-v-{service}",
            )

    assert isinstance(await callback("tab-1", SLOT, "hotline"), Booking)
    assert await callback("tab-2", SLOT + QUARTER, "other-topic") == TakeFailure.REQUEST
    assert isinstance(await visit("tab-2", "pension"), Booking)
    assert await visit("tab-1", "passport-id") == TakeFailure.REQUEST
    async with store.factory() as uow:
        named = await uow.bookings.open_request(SHARED, "callback")
        assert named is not None and named.start == SLOT


async def test_racing_sessions_of_one_person_in_one_process(store: Store) -> None:  # noqa: F811
    """Ten sessions of one person confirm ten slots of ten services at once: four are booked."""
    names = [f"tab-{i}" for i in range(10)]
    await store.users(*names)
    results = await asyncio.gather(
        *(
            take_one(
                store.factory, n, person=SHARED, start=SLOT + i * QUARTER, service=f"s{i}", token=f"t{i}"
            )
            for i, n in enumerate(names)
        ),
        return_exceptions=True,
    )
    assert Counter("booked" if isinstance(r, Booking) else str(r) for r in results) == {
        "booked": 4,
        "quota": 6,
    }
    assert await _rows(store) == (4, {"month:2026-12": 4})


# --- several OS processes ----------------------------------------------------------------------------------------


def _kyiv(day: int, month: int, year: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=2))).astimezone(
        dt.UTC
    )


async def _processes(s: Store, names: list[str], attempts: list[dict[str, object]]) -> Counter[str]:
    await s.users(*names)
    url = s.engine.url.render_as_string(hide_password=False)
    out = await asyncio.to_thread(race_person, url, names, SHARED, attempts)
    out.pop("_wall_ms")
    return out


async def test_three_processes_of_one_person_across_the_kyiv_month_boundary(store: Store) -> None:  # noqa: F811
    """At 23:30 on 31 December: three sessions of one person, each in its own process, fire 16 bookings at
    once, 8 on 31 December (22:00–23:45 Kyiv) and 8 on 1 January (00:00–01:45 Kyiv, still 31 December in UTC):
    4 count in December and 4 in January, by Kyiv's calendar; nothing else, no error."""
    december = [_kyiv(31, 12, 2026, 22, 0) + i * QUARTER for i in range(8)]
    january = [_kyiv(1, 1, 2027, 0, 0) + i * QUARTER for i in range(8)]
    assert all(s.month == 12 for s in january)  # in UTC they are still December: the count must not be
    attempts: list[dict[str, object]] = [
        {"start": s.isoformat(), "service": f"s{i}"} for i, s in enumerate([*december, *january])
    ]
    out = await _processes(store, ["p-1", "p-2", "p-3"], attempts)
    assert out["booked:2026-12"] == 4 and out["booked:2027-01"] == 4, out
    assert not [k for k in out if k.startswith("error")], out
    booked, counts = await _rows(store)
    assert booked == 8 and counts == {"month:2026-12": 4, "month:2027-01": 4}


async def test_processes_of_one_person_get_one_priority_place_and_one_callback(store: Store) -> None:  # noqa: F811
    """Four processes, each a session of one person, all at once: 6 priority bookings of one service on one day
    (one is booked), 5 callbacks (one), 3 home visits (one)."""
    day = SLOT
    attempts: list[dict[str, object]] = [
        *(
            {"start": (day + i * QUARTER).isoformat(), "service": "passport-id", "priority": True}
            for i in range(6)
        ),
        *(
            {"start": (day + i * QUARTER).isoformat(), "service": f"topic-{i}", "kind": "callback"}
            for i in range(5)
        ),
        *({"start": None, "service": f"visit-{i}", "kind": "visit"} for i in range(3)),
    ]
    out = await _processes(store, ["p-1", "p-2", "p-3", "p-4"], attempts)
    assert not [k for k in out if k.startswith("error")], out
    booked, counts = await _rows(store)
    assert booked == 2  # one priority office booking, one callback (the visit is «requested»)
    assert out["booked:2026-12"] == 2 and out["booked:request"] == 1, out
    assert counts["priority:2026-12-07:passport-id"] == 1 and counts["month:2026-12"] == 2


async def test_racing_requests_from_one_address_never_pass_its_cap(store: Store) -> None:  # noqa: F811
    """`People.allow` under 30 concurrent units of work (the script firing at once): exactly the cap passes
    (on PostgreSQL the address's advisory lock makes the count and the record one step)."""
    window = dt.timedelta(hours=1)

    async def one() -> bool:
        async with store.factory() as uow:
            return await uow.people.allow(uow.people.client("198.51.100.7"), "booking", 10, window)

    results = await asyncio.gather(*(one() for _ in range(30)))
    assert results.count(True) == 10
    async with store.factory() as uow:  # another address is not affected
        assert await uow.people.allow(uow.people.client("203.0.113.9"), "booking", 10, window)
