"""A unit of work makes its less used repositories on first use (storage/uow.py): the same one all through the
unit of work, on its session, and a fresh one on the new session should the unit of work be entered again."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.staff import OfficeState
from storage.uow import UnitOfWorkFactory

NOW = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)


@pytest.fixture()
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(f"sqlite+aiosqlite:///{tmp_path}/lazy.sqlite3")
    await upgrade(built)
    yield built
    await built.dispose()


@pytest.mark.parametrize("serialize", [False, True])
async def test_a_repository_is_made_once_per_entry_on_that_entrys_session(
    engine: AsyncEngine, serialize: bool
) -> None:
    uows = UnitOfWorkFactory(make_sessionmaker(engine), clock=ManualClock(NOW), serialize=serialize)
    uow = uows()
    try:
        async with uow:
            first = uow.offices
            assert uow.offices is first  # one repository all through the unit of work
            assert not await uow.offices.snapshot()
        async with uow:  # entered again: a new session, so a new repository on it
            assert uow.offices is not first
            await uow.offices.put(OfficeState(office="visa-main", address="пл. 1", status="closed",
                                              updated_at=NOW, updated_by="registrar"))  # fmt: skip
        async with uows() as other:
            assert [row[:2] for row in await other.offices.snapshot()] == [("visa-main", "closed")]
    finally:
        await uows.close()
