"""SQLite on the event loop where it cannot block, through public APIs only (the embedded default).

Why not SQLAlchemy's stock aiosqlite path: it sends every sqlite3 call to aiosqlite's worker thread, several
thread round trips per statement, each costing more than SQLite's own work on one of our statements; measured on
the dialog, booking and Telegram benchmarks it was over the 1.3x we accept (the figures: docs/BENCHMARKS.md,
«SQLite — SQLAlchemy's stock driver or ours»).

So `LoopConnection` is an aiosqlite connection (aiosqlite's public class, made the way `aiosqlite.connect` makes it)
whose cursor, commit and rollback call sqlite3 directly on the loop. It is given to SQLAlchemy's own aiosqlite
dialect through `create_async_engine(async_creator=...)`; SQLAlchemy's adapter, pool and SQL are used as they are.
What could block the loop goes to aiosqlite's thread through aiosqlite's public methods instead:
- Waiting for another process's write lock. Our own transactions never wait on each other: the unit-of-work
  factory runs them one at a time, and every transaction starts with BEGIN IMMEDIATE (which also rules out
  SQLITE_BUSY_SNAPSHOT, the deadlock no busy timeout can resolve). On the loop the busy timeout is 0; a statement
  refused as busy (in practice the BEGIN IMMEDIATE that goes with a transaction's first statement) is run again on
  the thread, which waits up to BUSY_TIMEOUT_MS.
- Checkpoints, the only step that fsyncs with `synchronous=NORMAL`: automatic checkpoints are off, and every
  CHECKPOINT_EVERY commits one is done, passively, on the thread; after a commit that erased a citizen, the unit of
  work runs one that truncates the WAL (`truncate_wal`).
Nothing here touches a private attribute of aiosqlite or SQLAlchemy (SQLAlchemy's adapter reads aiosqlite's own
state of the connection, which the base class keeps as it always does). tests/storage/test_sqlite_driver.py pins
what runs on the loop and what on the thread, through SQLAlchemy's engine as the bot uses it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncConnection

BUSY_TIMEOUT_MS = 30_000  # how long a statement waits, on the worker thread, for another process's lock
CHECKPOINT_EVERY = 256  # commits between two passive checkpoints

# `session.info` key: the transaction erased a citizen, so once it commits the WAL is truncated (`truncate_wal`).
SCRUB_AFTER_COMMIT = "scrub_after_commit"

# What one statement brings back: description, rowcount, lastrowid, rows.
_Outcome = tuple[Any, int, int | None, list[Any]]


def _is_busy(error: Exception) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


def _statement(
    conn: sqlite3.Connection, begin: bool, many: bool, operation: str, parameters: Any
) -> _Outcome:
    if begin and not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")
    cursor = conn.cursor()
    try:
        if many:
            try:
                cursor.executemany(operation, parameters)
            except sqlite3.OperationalError as error:
                if _is_busy(error):  # some rows may have gone in: running the batch again would repeat them
                    raise sqlite3.OperationalError(f"{error} (during a batch; not retried)") from error
                raise
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements, commits and rollbacks run on the event loop unless they must
    wait for another process's lock. Its own attributes are name-mangled (`__x`), so they never meet aiosqlite's.
    """

    def __init__(self, database: str) -> None:
        self.__database = database
        self.__sqlite: sqlite3.Connection | None = None
        self.__commits = 0
        self.__begin = False  # BEGIN IMMEDIATE goes with the next statement
        super().__init__(self.__open, iter_chunk_size=64)  # as aiosqlite.connect does

    def __open(self) -> sqlite3.Connection:
        # On aiosqlite's thread, when the connection is awaited. No busy wait on the loop; used from the loop's
        # thread too; no transaction handling of the driver's own (we emit BEGIN IMMEDIATE, storage/db.py).
        self.__sqlite = sqlite3.connect(
            self.__database, timeout=0, check_same_thread=False, isolation_level=None
        )
        return self.__sqlite

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection underneath (made by this class; for tests that trace statements)."""
        assert self.__sqlite is not None, "the connection is not open"
        return self.__sqlite

    def cursor(self) -> Cursor:  # type: ignore[override]  # aiosqlite's is an awaitable context manager too
        return Cursor(self)

    def begin_with_next_statement(self) -> None:
        """Start a transaction (BEGIN IMMEDIATE) with the next statement, in the same call; a transaction that
        runs nothing costs nothing (storage/db.py calls this from SQLAlchemy's `begin` event)."""
        self.__begin = True

    async def run(self, many: bool, operation: str, parameters: Any) -> _Outcome:
        """One statement: at once on the loop; on aiosqlite's thread if another process holds the lock."""
        conn = self.sqlite
        begin, self.__begin = self.__begin, False
        try:
            return _statement(conn, begin, many, operation, parameters)
        except sqlite3.OperationalError as error:
            if many or not _is_busy(error):
                self.__begin = begin and not conn.in_transaction  # the BEGIN itself failed: still to come
                raise
        return await self._patiently(begin, operation, parameters)

    async def _patiently(self, begin: bool, operation: str, parameters: Any) -> _Outcome:
        """On aiosqlite's thread (its public methods): the statement, allowed to wait for another process's lock."""
        await self.execute_fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            if begin and not self.in_transaction:
                await self.execute_fetchall("BEGIN IMMEDIATE")
            async with self.execute(operation, parameters) as cursor:
                rows = list(await cursor.fetchall()) if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            await self.execute_fetchall("PRAGMA busy_timeout = 0")

    async def commit(self) -> None:
        """Commit on the loop (with synchronous=NORMAL a WAL commit does not fsync); every CHECKPOINT_EVERY
        commits a passive checkpoint on the thread."""
        self.__begin = False
        if self.__sqlite is None or not self.__sqlite.in_transaction:
            return  # nothing ran: nothing to commit
        self.__sqlite.commit()
        self.__commits += 1
        if self.__commits % CHECKPOINT_EVERY == 0:
            await self.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    async def rollback(self) -> None:
        self.__begin = False
        if self.__sqlite is not None and self.__sqlite.in_transaction:
            self.__sqlite.rollback()

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the database (PRAGMA data_version);
        our own commits leave it as it is. On the loop: it reads a counter, nothing that could wait."""
        row = self.sqlite.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    async def close(self) -> None:
        self.__sqlite = None
        await super().close()


class Cursor:
    """A DBAPI-like cursor of `LoopConnection`, as SQLAlchemy's aiosqlite adapter drives one: its statement is one
    call on the loop, and its rows are held here."""

    def __init__(self, connection: LoopConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, operation: str, parameters: Any = None) -> Cursor:
        self._take(await self._connection.run(False, operation, parameters))
        return self

    async def executemany(self, operation: str, seq_of_parameters: Any) -> Cursor:
        self._take(await self._connection.run(True, operation, seq_of_parameters))
        return self

    def _take(self, outcome: _Outcome) -> None:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = self.arraysize if size is None else size
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def close(self) -> None:
        self._rows = []

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None


async def truncate_wal(conn: AsyncConnection) -> None:
    """Copy every page of the WAL into the database file and empty the WAL (a checkpoint that truncates it), on
    aiosqlite's thread; `conn` is between transactions.

    After an erase: with `secure_delete` on (storage/db.py) the deleted rows are zeros in the pages written; the
    checkpoint copies those pages into the database file and empties the WAL, whose older frames would still hold
    the rows as they were. The database files then hold no trace of them."""
    await (await driver_of(conn)).execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")


async def driver_of(conn: AsyncConnection) -> LoopConnection:
    """The `LoopConnection` under a connection of an engine made by storage.db.make_engine."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, LoopConnection), "a SQLite engine made by storage.db.make_engine"
    return driver
