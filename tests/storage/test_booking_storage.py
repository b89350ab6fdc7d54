"""Booking storage on SQLite and PostgreSQL: places, the active-booking rule, idempotent confirmation, the monthly
quota, /forget, listings, closed days, the outbox, and migration 0005 on an older database."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import column, delete, func, insert, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.booking import (
    ACTIVE_KEY,
    CODE_ALPHABET,
    PLACE_KEY,
    Booking,
    Bookings,
    TakeFailure,
    new_code,
    normalize_code,
    violated,
)
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import User, UTCDateTime
from storage.outbox import Outbox
from storage.people import PersonQuota
from storage.uow import UnitOfWorkFactory
from testkit.booking_race import (
    MONTH,
    OFFICE,
    RESOURCE,
    SERVICE,
    SLOT,
    factory_for,
    make_users,
    person_of,
    take_one,
)
from testkit.clocks import TEST_NOW
from tests.storage.test_postgres import postgres_url  # noqa: F401  (fixture: a throwaway server per module)

# users as revision 0004 had them (held_by_operator went to the tickets in 0009)
OLD_USERS = table(
    "users",
    column("channel"),
    column("external_id"),
    column("language"),
    column("created_at", UTCDateTime()),
    column("last_seen_at", UTCDateTime()),
    column("active"),
    column("held_by_operator"),
)

DAY = SLOT.date()
QUARTER = dt.timedelta(minutes=15)


@dataclass
class Store:
    engine: AsyncEngine
    factory: UnitOfWorkFactory  # as the bot makes it: serialized on SQLite, a plain pool on PostgreSQL
    dialect: str

    async def users(self, *names: str) -> None:
        await make_users(self.engine, names)

    async def scalar(self, query: object) -> object:
        async with make_sessionmaker(self.engine)() as s:
            return (await s.execute(query)).scalar_one()  # type: ignore[call-overload]


async def _database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/booking.sqlite3"
    server: str = request.getfixturevalue("postgres_url")
    name = f"b_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh database at the newest schema, on each dialect."""
    engine = make_engine(await _database(request, tmp_path))
    await upgrade(engine)
    factory = factory_for(engine)
    yield Store(engine, factory, engine.dialect.name)
    await factory.close()
    await engine.dispose()


async def _user(store: Store, name: str) -> User:
    async with store.factory() as uow:
        user = await uow.users.get("web", name)
        assert user is not None
        return user


def _slots(n: int) -> Iterator[dt.datetime]:
    return (SLOT + i * QUARTER for i in range(n))


# --- places -----------------------------------------------------------------------------------------------------


async def test_places_are_taken_in_order_refused_when_gone_and_returned_on_cancel(store: Store) -> None:
    await store.users("a", "b", "c")
    a = await take_one(store.factory, "a", capacity=2)
    b = await take_one(store.factory, "b", capacity=2)
    c = await take_one(store.factory, "c", capacity=2)
    assert isinstance(a, Booking) and isinstance(b, Booking)
    assert (a.place, b.place, c) == (0, 1, TakeFailure.TAKEN)
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{3}}-[{CODE_ALPHABET}]{{3}}", a.code) and a.code != b.code
    assert (a.status, a.kind, a.start, a.channel) == ("booked", "office", SLOT, "web")
    async with store.factory() as uow:
        assert await uow.bookings.taken(OFFICE, RESOURCE, SLOT, SLOT) == {SLOT: {0, 1}}
        assert await uow.bookings.taken(OFFICE, RESOURCE, SLOT + QUARTER, SLOT + 4 * QUARTER) == {}
        mine = await uow.bookings.by_code(a.code.lower().replace("-", " "))  # as a citizen might type it
        assert mine is not None and mine.id == a.id
        await uow.bookings.cancel(mine, TEST_NOW)
    async with store.factory() as uow:
        gone = await uow.bookings.by_code(a.code)
        assert gone is not None and (gone.status, gone.place) == ("cancelled", None)
        assert gone.cancelled_at is not None
        assert await uow.bookings.taken(OFFICE, RESOURCE, SLOT, SLOT) == {SLOT: {1}}
    c = await take_one(store.factory, "c", capacity=2)
    assert isinstance(c, Booking) and c.place == 0  # the cancelled place came back


async def test_the_place_key_refuses_a_second_booking_of_a_place_whatever_the_code_does(store: Store) -> None:
    await store.users("a", "b")
    assert isinstance(await take_one(store.factory, "a", places=[2]), Booking)
    with pytest.raises(IntegrityError) as caught:
        async with store.factory() as uow:
            b = await uow.users.get("web", "b")
            assert b is not None
            uow.session.add(
                Booking(
                    code="ZZZ-ZZZ",
                    user_id=b.id,
                    channel="web",
                    kind="office",
                    office=OFFICE,
                    resource=RESOURCE,
                    service="other",
                    start=SLOT,
                    place=2,
                    status="booked",
                    created_at=uow.clock(),
                )
            )
    assert violated(caught.value) == PLACE_KEY


async def test_a_code_collision_draws_again(store: Store) -> None:
    await store.users("a", "b")
    draws = iter(["K7M-4QX", "K7M-4QX", "K7M-4QX", "P2R-8ZT"])
    async with store.factory() as uow:
        bookings = Bookings(uow.session, uow.clock, codes=lambda: next(draws))
        for name, place in (("a", 0), ("b", 1)):
            user = await uow.users.get("web", name)
            assert user is not None
            await bookings.take(
                user=user,
                person=person_of(name),
                kind="office",
                office=OFFICE,
                resource=RESOURCE,
                service=SERVICE,
                start=SLOT,
                places=[place],
                priority=False,
                priority_group=None,
                token=f"t-{name}",
                month=MONTH,
                monthly_limit=4,
            )
    async with store.factory() as uow:
        found = await uow.bookings.listing(day_from=None, day_to=None, office=OFFICE)
        assert sorted(b.code for b in found) == ["K7M-4QX", "P2R-8ZT"]
        assert [b.place for b in found] == [0, 1]


def test_codes_are_unambiguous_and_normalized() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990
    assert not set("".join(codes)) & set("0O1I")
    assert normalize_code(" k7m 4qx ") == normalize_code("K7M–4QX") == "K7M-4QX"


# --- one active booking per service, a double tap -----------------------------------------------------------------


async def test_one_active_booking_per_service(store: Store) -> None:
    await store.users("a")
    first = await take_one(store.factory, "a", token="one")
    assert isinstance(first, Booking)
    assert await take_one(store.factory, "a", start=SLOT + QUARTER, token="two") == TakeFailure.ALREADY
    other = await take_one(store.factory, "a", start=SLOT + QUARTER, token="three", service="other-service")
    assert isinstance(other, Booking)
    async with store.factory() as uow:
        assert [b.id for b in await uow.bookings.active_for(first.user_id or 0)] == [first.id, other.id]
        booking = await uow.bookings.by_code(first.code)
        assert booking is not None
        await uow.bookings.cancel(booking, TEST_NOW)
    again = await take_one(store.factory, "a", start=SLOT + 2 * QUARTER, token="four")
    assert isinstance(again, Booking) and again.id != first.id
    # The partial unique index itself, past the repository's quick check.
    with pytest.raises(IntegrityError) as caught:
        async with store.factory() as uow:
            uow.session.add(
                Booking(
                    code="ZZZ-ZZZ",
                    user_id=again.user_id,
                    channel="web",
                    kind="office",
                    office=OFFICE,
                    resource=RESOURCE,
                    service=SERVICE,
                    start=SLOT + 5 * QUARTER,
                    place=0,
                    status="booked",
                    created_at=uow.clock(),
                )
            )
    assert violated(caught.value) == ACTIVE_KEY
    # Arrived and no-show bookings are not active: the citizen may book the service again.
    async with store.factory() as uow:
        booking = await uow.bookings.by_code(again.code)
        assert booking is not None
        await uow.bookings.mark(booking, "arrived")
    assert isinstance(await take_one(store.factory, "a", start=SLOT + 6 * QUARTER, token="five"), Booking)


async def test_a_double_tap_books_once_and_counts_once(store: Store) -> None:
    await store.users("a")
    first = await take_one(store.factory, "a", token="tap")
    second = await take_one(store.factory, "a", token="tap", start=SLOT + QUARTER)
    assert isinstance(first, Booking) and isinstance(second, Booking)
    assert second.id == first.id and second.start == SLOT
    async with store.factory() as uow:
        assert (await uow.bookings.by_token(first.user_id or 0, "tap")) is not None
        assert await uow.bookings.by_token(first.user_id or 0, "other") is None
    assert await store.scalar(select(PersonQuota.count)) == 1
    assert await store.scalar(select(func.count()).select_from(Booking)) == 1


async def test_a_home_visit_is_a_request_without_a_place(store: Store) -> None:
    await store.users("a")
    user = await _user(store, "a")
    async with store.factory() as uow:
        visit = await uow.bookings.request(
            user=user,
            person=person_of("a"),
            office="mobile-admin",
            service=SERVICE,
            phone="+380671234567",
            address="вул. Тестова, 1",
            token="v1",
        )
        assert isinstance(visit, Booking)
        assert (visit.kind, visit.status, visit.start, visit.place) == ("visit", "requested", None, None)
        assert visit.person == person_of("a")
        # One open home-visit request per person (issue 20), whatever the service.
        again = await uow.bookings.request(
            user=user, person=person_of("a"), office="mobile-admin", service="other", phone=None, address=None,
            token="v2",
        )
        assert again == TakeFailure.REQUEST
        assert [b.id for b in await uow.bookings.active_for(user.id)] == [visit.id]
    assert await store.scalar(select(func.count()).select_from(PersonQuota)) == 0  # not counted unless asked


# --- the monthly quota ----------------------------------------------------------------------------------------------


async def test_four_bookings_a_month_cancelled_ones_included(store: Store) -> None:
    await store.users("a", "b")
    made = []
    for i, start in enumerate(_slots(4)):
        result = await take_one(store.factory, "a", start=start, service=f"s{i}", token=f"t{i}")
        assert isinstance(result, Booking)
        made.append(result)
    assert (
        await take_one(store.factory, "a", start=SLOT + 4 * QUARTER, service="s4", token="t4")
        == TakeFailure.QUOTA
    )
    async with store.factory() as uow:
        booking = await uow.bookings.by_code(made[0].code)
        assert booking is not None
        await uow.bookings.cancel(booking, TEST_NOW)
    # Cancelled, yet counted: the fifth is still refused.
    assert (
        await take_one(store.factory, "a", start=SLOT + 4 * QUARTER, service="s4", token="t5")
        == TakeFailure.QUOTA
    )
    # Another citizen, and another month, are counted apart.
    assert isinstance(await take_one(store.factory, "b", service="s0"), Booking)
    user = await _user(store, "a")
    async with store.factory() as uow:
        next_month = await uow.bookings.take(
            user=user,
            person=person_of("a"),
            kind="office",
            office=OFFICE,
            resource=RESOURCE,
            service="s4",
            start=dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC),
            places=[0],
            priority=False,
            priority_group=None,
            token="t6",
            month="2027-01",
            monthly_limit=4,
        )
        assert isinstance(next_month, Booking)
    counts = await _quota(store)
    assert counts == {("a", "2026-12"): 4, ("a", "2027-01"): 1, ("b", "2026-12"): 1}


async def test_a_refused_take_does_not_count(store: Store) -> None:
    await store.users("a", "b")
    assert isinstance(await take_one(store.factory, "a", capacity=1), Booking)
    for i in range(6):  # more refusals than the limit
        assert await take_one(store.factory, "b", capacity=1, token=f"t{i}") == TakeFailure.TAKEN
    assert await _quota(store) == {("a", "2026-12"): 1}
    assert isinstance(await take_one(store.factory, "b", start=SLOT + QUARTER, capacity=1), Booking)


async def _quota(store: Store) -> dict[tuple[str, str], int]:
    """The monthly counts by citizen name (the race's citizens: `person_of(name)`) and month."""
    async with make_sessionmaker(store.engine)() as s:
        names = {person_of(name): name for name in (await s.execute(select(User.external_id))).scalars()}
        rows = await s.execute(select(PersonQuota.person, PersonQuota.period, PersonQuota.count))
        return {
            (names[person], period.removeprefix("month:")): count
            for person, period, count in rows
            if period.startswith("month:")
        }


# --- /forget --------------------------------------------------------------------------------------------------------


async def test_forget_keeps_an_anonymous_booking(store: Store) -> None:
    await store.users("a", "b")
    user = await _user(store, "a")
    async with store.factory() as uow:
        booking = await uow.bookings.take(
            user=user,
            person=person_of("a"),
            kind="callback",
            office="hotline",
            resource="hotline",
            service=SERVICE,
            start=SLOT,
            places=[0],
            priority=True,
            priority_group="combatant",
            token="cb",
            month=MONTH,
            monthly_limit=4,
            phone="+380671234567",
            topic="Паспорт дитини",
        )
        assert isinstance(booking, Booking)
        await uow.outbox.add("web", "a", "Ваш запис скасовано")
        await uow.outbox.add("web", "b", "Ваш запис скасовано")
    async with store.factory() as uow:
        found = await uow.users.get("web", "a")
        assert found is not None
        await uow.users.erase(found)
    async with make_sessionmaker(store.engine)() as s:
        row = (await s.execute(select(Booking))).scalar_one()
        assert (row.user_id, row.phone, row.address, row.topic, row.token) == (None, None, None, None, None)
        # What stays is anonymous: counted for the Center's statistics, and the place stays held.
        assert (row.kind, row.service, row.status, row.place, row.priority, row.code) == (
            "callback",
            SERVICE,
            "booked",
            0,
            True,
            booking.code,
        )
        # The person's count stays: being forgotten gives no fresh quota (it holds no number).
        assert (await s.execute(select(PersonQuota.count))).scalar_one() == 1
        assert list((await s.execute(select(Outbox.external_id))).scalars()) == ["b"]
        assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == 1


async def test_the_foreign_keys_let_a_deleted_citizen_go(store: Store) -> None:
    """Even a citizen deleted by hand (not through `Users.erase`) leaves an anonymous booking: the foreign keys are
    enforced on both dialects (SQLite: `PRAGMA foreign_keys=ON` on every connection, storage/db.py)."""
    await store.users("a")
    assert isinstance(await take_one(store.factory, "a"), Booking)
    async with make_sessionmaker(store.engine)() as s, s.begin():
        await s.execute(delete(User))
    assert await store.scalar(select(func.count()).select_from(Booking).where(Booking.user_id.is_(None))) == 1
    assert await store.scalar(select(PersonQuota.count)) == 1  # the person's, not the account's


# --- staff: listing, closing a day ------------------------------------------------------------------------------------


async def test_listing_filters_by_day_and_office(store: Store) -> None:
    await store.users("a", "b", "c", "d")
    next_day = SLOT + dt.timedelta(days=1)
    assert isinstance(await take_one(store.factory, "a", start=SLOT + QUARTER), Booking)
    assert isinstance(await take_one(store.factory, "b", start=SLOT), Booking)
    assert isinstance(await take_one(store.factory, "c", start=next_day), Booking)
    user = await _user(store, "d")
    async with store.factory() as uow:
        elsewhere = await uow.bookings.take(
            user=user,
            person=person_of("d"),
            kind="office",
            office="saksahan-uszn",
            resource="all",
            service=SERVICE,
            start=SLOT,
            places=[0],
            priority=False,
            priority_group=None,
            token="x",
            month=MONTH,
            monthly_limit=4,
        )
        assert isinstance(elsewhere, Booking)
        visit = await uow.bookings.request(
            user=user,
            person=person_of("d"),
            office="mobile-admin",
            service="other",
            phone="+380671234567",
            address="вул. Тестова, 1",
            token="v",
        )
        assert isinstance(visit, Booking)
    day_start = dt.datetime.combine(DAY, dt.time(0), dt.UTC)
    day_end = day_start + dt.timedelta(days=1)

    async def names(**kw: object) -> list[tuple[str, str]]:
        async with store.factory() as uow:
            found = await uow.bookings.listing(**kw)  # type: ignore[arg-type]
            ids = {u.id: u.external_id for u in (await uow.session.execute(select(User))).scalars()}
            return [(ids[b.user_id or 0], b.office) for b in found]

    assert await names(day_from=day_start, day_to=day_end, office=OFFICE) == [("b", OFFICE), ("a", OFFICE)]
    assert await names(day_from=day_start, day_to=day_end, office=None) == [
        ("b", OFFICE),
        ("d", "saksahan-uszn"),
        ("a", OFFICE),
    ]
    assert await names(day_from=day_end, day_to=None, office=None) == [("c", OFFICE)]
    assert await names(day_from=None, day_to=None, office=OFFICE) == [
        ("b", OFFICE),
        ("a", OFFICE),
        ("c", OFFICE),
    ]
    assert (await names(day_from=day_end, day_to=None, office=None, with_requests=True))[-1] == (
        "d",
        "mobile-admin",
    )
    assert await names(day_from=None, day_to=None, office=None, kind="visit", with_requests=True) == [
        ("d", "mobile-admin")
    ]


async def test_closing_a_day_cancels_and_returns_its_bookings(store: Store) -> None:
    await store.users("a", "b", "c", "d", "e")
    today = [await take_one(store.factory, n, start=s) for n, s in (("a", SLOT), ("b", SLOT + 8 * QUARTER))]
    tomorrow = await take_one(store.factory, "c", start=SLOT + dt.timedelta(days=1))
    assert all(isinstance(b, Booking) for b in [*today, tomorrow])
    day_start = dt.datetime.combine(DAY, dt.time(0), dt.UTC)
    async with store.factory() as uow:
        closed = await uow.bookings.close_day(
            OFFICE, DAY, "Ремонт", day_start, day_start + dt.timedelta(days=1)
        )
        assert [b.code for b in closed] == [b.code for b in today if isinstance(b, Booking)]
        assert {(b.status, b.place) for b in closed} == {("cancelled", None)}
        # Each citizen is to be told: their channel and user stay on the cancelled booking.
        assert {b.channel for b in closed} == {"web"} and all(b.user_id for b in closed)
    async with store.factory() as uow:
        assert await uow.bookings.closures() == [(OFFICE, DAY)]
        assert await uow.bookings.closures("saksahan-uszn") == []
        assert await uow.bookings.taken(OFFICE, RESOURCE, day_start, day_start + dt.timedelta(days=2)) == {
            SLOT + dt.timedelta(days=1): {0}
        }
        # Closing again is harmless: nothing left to cancel, one closure.
        assert (
            await uow.bookings.close_day(OFFICE, DAY, "Ще раз", day_start, day_start + dt.timedelta(days=1))
            == []
        )
    async with store.factory() as uow:
        assert await uow.bookings.closures(OFFICE) == [(OFFICE, DAY)]
        # A confirmation that comes after the closing, for that day, is refused and not counted.
        user = await uow.users.get("web", "d")
        assert user is not None
        late = await uow.bookings.take(
            user=user,
            person=person_of("d"),
            kind="office",
            office=OFFICE,
            resource=RESOURCE,
            service=SERVICE,
            start=SLOT + QUARTER,
            places=[0],
            priority=False,
            priority_group=None,
            token="late",
            month=MONTH,
            monthly_limit=4,
            day=DAY,
        )
        assert late == TakeFailure.CLOSED
    assert await _quota(store) == {("a", MONTH): 1, ("b", MONTH): 1, ("c", MONTH): 1}


# --- outbox ---------------------------------------------------------------------------------------------------------


async def test_outbox_gives_due_messages_in_order_until_sent_or_given_up(store: Store) -> None:
    buttons = [[{"text": "Записатися знову", "payload": "q"}]]
    async with store.factory() as uow:
        ids = [
            (await uow.outbox.add("telegram", str(i), f"Повідомлення {i}", buttons if i == 0 else None)).id
            for i in range(3)
        ]
    async with store.factory() as uow:
        due = await uow.outbox.due(2)
        assert [m.id for m in due] == ids[:2]
        assert (due[0].buttons, due[1].buttons, due[0].attempts, due[0].sent_at) == (buttons, None, 0, None)
        await uow.outbox.sent(ids[0], TEST_NOW)
        for _ in range(3):
            await uow.outbox.failed(ids[1])
    async with store.factory() as uow:
        assert [m.id for m in await uow.outbox.due(10, max_attempts=3)] == [ids[2]]
        assert [m.id for m in await uow.outbox.due(10)] == ids[1:]
        assert await uow.outbox.purge_sent_before(TEST_NOW + dt.timedelta(seconds=1)) == 1
        assert [m.id for m in await uow.outbox.due(10)] == ids[1:]


# --- migration 0005 ---------------------------------------------------------------------------------------------------


async def test_migration_0005_upgrades_a_0004_database(store: Store) -> None:
    """On a database at 0004 with a citizen in it (a fresh one, not the fixture's), 0005 adds the booking tables
    with their keys; downgrading removes them again."""
    url = store.engine.url.render_as_string(hide_password=False)
    if store.dialect == "sqlite":
        url = url.replace("booking.sqlite3", "old.sqlite3")
    else:
        base = url.rsplit("/", 1)
        conn = await asyncpg.connect(base[0].replace("postgresql+asyncpg", "postgresql") + "/postgres")
        name = f"old_{uuid.uuid4().hex[:12]}"
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        url = f"{base[0]}/{name}"
    engine = make_engine(url)
    await upgrade(engine, "0004")
    now = TEST_NOW
    async with engine.begin() as conn:
        await conn.execute(
            insert(OLD_USERS).values(
                channel="web",
                external_id="old",
                language="uk",
                created_at=now,
                last_seen_at=now,
                active=True,
                held_by_operator=False,
            )
        )
    await upgrade(engine)
    factory = factory_for(engine)
    assert isinstance(await take_one(factory, "old"), Booking)
    assert await take_one(factory, "old", token="again", start=SLOT + QUARTER) == TakeFailure.ALREADY
    await factory.close()
    async with engine.connect() as conn:
        if store.dialect == "sqlite":
            index = "SELECT sql FROM sqlite_master WHERE name = 'uq_bookings_active_service'"
        else:
            index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_bookings_active_service'"
        definition = (await conn.execute(text(index))).scalar_one()
        assert "UNIQUE" in definition.upper() and "WHERE" in definition.upper() and "booked" in definition

    def downgrade(sync_conn: object) -> None:
        from alembic import command

        from storage.migrate import alembic_config

        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        command.downgrade(cfg, "0004")

    async with engine.begin() as conn:
        await conn.run_sync(downgrade)
    async with engine.connect() as conn:
        if store.dialect == "sqlite":
            tables = "SELECT count(*) FROM sqlite_master WHERE name IN ('bookings', 'booking_quota', 'closures', 'outbox')"
        else:
            tables = "SELECT count(*) FROM pg_tables WHERE tablename IN ('bookings', 'booking_quota', 'closures', 'outbox')"
        assert (await conn.execute(text(tables))).scalar_one() == 0
        assert (await conn.execute(text("SELECT external_id FROM users"))).scalar_one() == "old"
    await engine.dispose()
