"""The offices' state is read by every turn from the factory's cache (storage/staff.py `OfficeCache`): a change
this process writes is seen at once, another process's change within the cache's TTL of the clock, and a turn
costs no query while nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.staff import OfficeCache, OfficeState
from storage.uow import UnitOfWorkFactory

NOW = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)


@pytest.fixture()
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(f"sqlite+aiosqlite:///{tmp_path}/offices.sqlite3")
    await upgrade(built)
    yield built
    await built.dispose()


async def _status(uows: UnitOfWorkFactory) -> dict[str, str]:
    async with uows() as uow:
        return {row[0]: row[1] for row in await uow.offices.snapshot()}


async def _put(uows: UnitOfWorkFactory, status: str) -> None:
    async with uows() as uow:
        row = await uow.offices.get("visa-main") or OfficeState(office="visa-main", address="пл. 1")
        row.status, row.note = status, "пошкоджено" if status == "closed" else None
        row.updated_at, row.updated_by = uow.clock(), "registrar"
        await uow.offices.put(row)


async def test_own_changes_at_once_others_within_the_ttl(engine: AsyncEngine) -> None:
    clock = ManualClock(NOW)
    here = UnitOfWorkFactory(make_sessionmaker(engine), clock=clock)
    there = UnitOfWorkFactory(make_sessionmaker(engine), clock=clock)  # another process's
    await _put(here, "open")
    assert await _status(here) == {"visa-main": "open"} == await _status(there)
    await _put(here, "closed")
    assert await _status(here) == {"visa-main": "closed"}  # this process wrote it: seen at once
    assert await _status(there) == {"visa-main": "open"}  # the other still has what it read
    clock.advance(OfficeCache.TTL)
    assert await _status(there) == {"visa-main": "closed"}


async def test_a_fresh_cache_costs_no_query(engine: AsyncEngine) -> None:
    uows = UnitOfWorkFactory(make_sessionmaker(engine), clock=ManualClock(NOW))
    await _put(uows, "open")
    await _status(uows)
    statements: list[str] = []
    listener = lambda *args: statements.append(str(args[2]))  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        for _ in range(3):
            assert await _status(uows) == {"visa-main": "open"}
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "office_states" in s]


async def test_a_turns_board_is_made_once_per_snapshot_and_anew_after_a_change(engine: AsyncEngine) -> None:
    """dialogs/offices.py `refresh` keeps the board it made of the last snapshot: the same snapshot (the cache
    unchanged) gives the same board, a change gives a board of the new state."""
    from dialogs import offices

    uows = UnitOfWorkFactory(make_sessionmaker(engine), clock=ManualClock(NOW))

    async def board() -> tuple[object, str | None]:
        async with uows() as uow:
            await offices.refresh(uow)
        found = offices.view("visa-main")  # an object of the board this turn took
        return found, found.status if found else None

    await _put(uows, "open")
    first, status = await board()
    assert status == "open"
    again, status = await board()
    assert again is first and status == "open"  # the cache unchanged: the same board, nothing made anew
    await _put(uows, "closed")
    changed, status = await board()
    assert changed is not first and status == "closed"
