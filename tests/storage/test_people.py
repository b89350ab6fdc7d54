"""Real people behind sessions (storage/people.py): a verified phone is one person on every channel; per-person
counts never pass their limit; a refused priority claim blocks for a while; per-address caps count in a window;
/forget takes the number but not the counts; the client address trusts X-Forwarded-For only from a proxy."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.web.client import client_address, parse_proxies
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.people import Level, digits, person_key
from storage.uow import UnitOfWorkFactory

NOW = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)  # 23:30 on New Year's Eve in Kyiv


@pytest.fixture()
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(f"sqlite+aiosqlite:///{tmp_path}/people.sqlite3")
    await upgrade(built)
    yield built
    await built.dispose()


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture()
def uows(engine: AsyncEngine, clock: ManualClock) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(engine), clock=clock, secret=b"test key")


def test_one_number_is_one_person_however_written() -> None:
    assert digits("+38 (067) 123-45-67") == digits("0671234567") == "380671234567"
    assert person_key("0671234567", b"k") == person_key("+380 67 123 45 67", b"k")
    assert person_key("0671234567", b"k") != person_key("0671234568", b"k")
    assert person_key("0671234567", b"k") != person_key("0671234567", b"other key")


async def test_a_phone_verified_on_two_channels_is_one_person(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        web = await uow.users.get_or_create("web", "session-1")
        telegram = await uow.users.get_or_create("telegram", "42")
        assert uow.people.level(web, await uow.people.verified(web)) is Level.ANONYMOUS
        assert uow.people.level(telegram, None) is Level.ACCOUNT
        await uow.people.verify(web, "+380671234567", "sms")
        await uow.people.verify(telegram, "0671234567", "telegram")
        assert await uow.people.person(web) == await uow.people.person(telegram) is not None
        assert uow.people.level(web, await uow.people.verified(web)) is Level.VERIFIED
        with pytest.raises(ValueError, match="unknown"):
            await uow.people.verify(web, "0671234567", "guess")


async def test_counts_stop_at_the_limit_and_survive_forget(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        user = await uow.users.get_or_create("telegram", "42")
        person = (await uow.people.verify(user, "0671234567", "telegram")).person
        taken = [await uow.people.count_up(person, "month:2026-12", 4) for _ in range(6)]
        assert taken == [True] * 4 + [False] * 2
        assert await uow.people.count_up(person, "month:2027-01", 4)  # a new month counts afresh
        assert not await uow.people.count_up(person, "month:2027-02", 0)
        await uow.users.erase(user)
    async with uows() as uow:
        again = await uow.users.get_or_create("telegram", "42")
        assert await uow.people.verified(again) is None  # the number went with /forget
        assert await uow.people.counted(person, "month:2026-12") == 4  # the count did not


async def test_a_priority_block_ends_on_its_day(uows: UnitOfWorkFactory, clock: ManualClock) -> None:
    async with uows() as uow:
        await uow.people.block("p1", NOW + dt.timedelta(days=30), "registrar")
        assert await uow.people.blocked_until("p1") == NOW + dt.timedelta(days=30)
        assert await uow.people.blocked_until("p2") is None
    clock.advance(dt.timedelta(days=30, seconds=1))
    async with uows() as uow:
        assert await uow.people.blocked_until("p1") is None


async def test_an_address_cap_counts_in_its_window(uows: UnitOfWorkFactory, clock: ManualClock) -> None:
    hour = dt.timedelta(hours=1)
    async with uows() as uow:
        key = uow.people.client("203.0.113.7")
        assert key != uow.people.client("203.0.113.8") and "203" not in key
        assert [await uow.people.allow(key, "sms", 3, hour) for _ in range(4)] == [True, True, True, False]
        assert await uow.people.allow(key, "booking", 3, hour)  # another action has its own count
    clock.advance(hour + dt.timedelta(seconds=1))
    async with uows() as uow:
        assert await uow.people.allow(key, "sms", 3, hour)
    clock.advance(dt.timedelta(days=1))
    async with uows() as uow:
        assert await uow.people.purge() >= 1


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    proxies = parse_proxies("127.0.0.1, 10.0.0.0/8 ::1")
    assert client_address("198.51.100.9", "1.2.3.4", proxies) == "198.51.100.9"  # a script writing the header
    assert client_address("127.0.0.1", "203.0.113.5", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.5, 10.0.0.3", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "not an address", proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", None, proxies) == "127.0.0.1"
    assert client_address(None, None, ()) == "unknown"
    with pytest.raises(ValueError, match="nonsense"):
        parse_proxies("127.0.0.1 nonsense")


async def test_a_verified_phone_is_read_once_per_unit_of_work_and_an_erase_still_shows(
    uows: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    """The repository holds the row it found, so asking again in the same unit of work costs no query; the
    citizen's erase in that unit of work still leaves them unverified, and the next unit of work reads anew."""
    async with uows() as uow:
        user = await uow.users.get_or_create("telegram", "42")
        await uow.people.verify(user, "0671234567", "telegram")
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with uows() as uow:
            user = await uow.users.get_or_create("telegram", "42")
            statements.clear()
            first = await uow.people.person(user)
            gc.collect()  # the session's identity map holds its rows weakly
            assert await uow.people.person(user) == first is not None
            assert len([s for s in statements if "verified_phones" in s]) == 1
            await uow.users.erase(user)
            assert await uow.people.verified(user) is None
        async with uows() as uow:
            user = await uow.users.get_or_create("telegram", "42")
            assert await uow.people.verified(user) is None
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
