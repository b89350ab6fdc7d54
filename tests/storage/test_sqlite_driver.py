"""storage/sqlite.py: SQLite statements run on the event loop unless they must wait, and then off it (on aiosqlite's
thread, through its public methods)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from storage import sqlite as sqlite_module
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWorkFactory
from testkit.clocks import test_clock


class Rig:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(f"sqlite+aiosqlite:///{path}")
        self.factory = UnitOfWorkFactory(make_sessionmaker(self.engine), clock=test_clock())
        self.statements: list[str] = []  # what SQLite really ran, in order
        self.off_loop: list[str] = []  # what of it ran on another thread than the event loop's

        @event.listens_for(self.engine.sync_engine, "connect", insert=True)
        def _trace(dbapi_conn: Any, _: Any) -> None:
            driver = dbapi_conn.driver_connection
            assert isinstance(driver, sqlite_module.LoopConnection)
            loop_thread = threading.get_ident()

            def trace(statement: str) -> None:
                self.statements.append(statement)
                if threading.get_ident() != loop_thread:
                    self.off_loop.append(statement)

            driver.sqlite.set_trace_callback(trace)

    @property
    def thread_calls(self) -> int:
        return len(self.off_loop)

    async def mark(self, key: str) -> None:
        async with self.factory() as uow:
            uow.updates.mark("test", key)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "d.sqlite3")
    await upgrade(r.engine)
    yield r
    await r.engine.dispose()


async def test_statements_run_on_the_loop_in_one_transaction(rig: Rig) -> None:
    await rig.mark("a")  # warm: the pool's connection is opened on the worker thread once
    rig.statements.clear()
    rig.off_loop.clear()
    async with rig.factory() as uow:
        await uow.session.execute(select(func.count()).select_from(ProcessedUpdate))
        uow.updates.mark("test", "b")
    assert rig.thread_calls == 0
    assert rig.statements[0] == "BEGIN IMMEDIATE"
    assert rig.statements[-1] == "COMMIT"
    assert sum(s.startswith("INSERT INTO processed_updates") for s in rig.statements) == 1
    with sqlite3.connect(rig.path) as other:  # committed for everyone
        assert other.execute("SELECT count(*) FROM processed_updates").fetchone() == (2,)


async def test_a_transaction_that_ran_nothing_sends_nothing(rig: Rig) -> None:
    await rig.mark("a")
    rig.statements.clear()
    async with rig.factory():
        pass
    async with make_sessionmaker(rig.engine)() as s, s.begin():
        pass
    assert rig.statements == []


async def test_the_first_statement_takes_the_write_lock(rig: Rig) -> None:
    """BEGIN IMMEDIATE: a transaction that read cannot later fail to write because another process wrote."""
    async with rig.factory() as uow:
        await uow.session.execute(text("SELECT 1"))
        other = sqlite3.connect(rig.path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


async def test_a_lock_held_by_another_process_is_waited_for_off_the_loop(rig: Rig) -> None:
    await rig.mark("a")
    other = sqlite3.connect(rig.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as another process writing for a while
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, other.commit)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    rig.off_loop.clear()
    started = loop.time()
    await rig.mark("b")  # refused as busy on the loop, so it waits on the worker thread
    waited = loop.time() - started
    beat.cancel()
    other.close()
    assert waited >= 0.4
    assert ticks >= 20  # the event loop kept running while the statement waited
    assert "BEGIN IMMEDIATE" in rig.off_loop  # the write lock was waited for on aiosqlite's thread
    with sqlite3.connect(rig.path) as check:
        assert check.execute("SELECT count(*) FROM processed_updates").fetchone() == (2,)


async def test_checkpoints_run_on_the_worker_thread(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_module, "CHECKPOINT_EVERY", 3)
    async with rig.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
    await rig.engine.dispose()  # a fresh connection counts its commits from 0
    rig.off_loop.clear()
    rig.statements.clear()
    for i in range(6):
        await rig.mark(str(i))
    assert rig.off_loop == ["PRAGMA wal_checkpoint(PASSIVE)"] * 2
    assert sum("wal_checkpoint" in s for s in rig.statements) == 2


async def test_driver_errors_keep_their_meaning(rig: Rig) -> None:
    from sqlalchemy.exc import IntegrityError

    await rig.mark("same")
    with pytest.raises(IntegrityError):
        await rig.mark("same")
    await rig.mark("next")  # the connection is usable after the failed transaction
    with sqlite3.connect(rig.path) as check:
        assert check.execute("SELECT count(*) FROM processed_updates").fetchone() == (2,)


async def test_results_can_be_read_in_parts(rig: Rig) -> None:
    async with rig.engine.connect() as conn:
        result = await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))
        assert result.fetchmany() == [(1,)]  # the cursor's arraysize, as DBAPI says
        assert result.fetchall() == [(2,)]
