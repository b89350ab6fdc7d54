"""SQLite through aiosqlite, without a thread round trip for work that cannot block.

aiosqlite runs every sqlite3 call on a worker thread, and SQLAlchemy's adapter makes four such calls per statement
(open a cursor, execute, fetch, close). Each is a round trip between the event loop and that thread: a queue put,
a futex wake, a self-pipe write, an epoll wake-up. On the two-core machines we run on, one round trip costs
150-300 µs of wall time and most of it is CPU of the loop thread, while SQLite itself spends 20-50 µs on one of our
statements (docs/BENCHMARKS.md). Round trips were most of a dialog step.

What may block the loop, when SQLite runs on it? Only two things, and both go to aiosqlite's thread instead:
- Waiting for another process's write lock. Our own transactions never wait on each other: the unit-of-work
  factory runs them one at a time, and every transaction starts with BEGIN IMMEDIATE (which also rules out
  SQLITE_BUSY_SNAPSHOT, the deadlock no busy timeout can resolve). On the loop the busy timeout is 0; a statement
  refused as busy is run again on the thread, which waits up to BUSY_TIMEOUT.
- Checkpoints, the only step that fsyncs with `synchronous=NORMAL`: automatic checkpoints are off, and every
  CHECKPOINT_EVERY commits one is done, passively, on the thread; after a commit that erased a citizen, one that
  truncates the WAL (`Connection.scrub_after_commit`).

So a statement runs right away on the loop, as one call with its rows; BEGIN travels with the transaction's first
statement, and a transaction that ran nothing costs nothing. SQLAlchemy's stock aiosqlite dialect, pool and SQL
are used as they are: this module only provides the dialect's `module` (see `dbapi`). It relies on two internals of
aiosqlite 0.22, `Connection._execute` (queue a callable for the worker thread) and `Connection._conn`, as
SQLAlchemy's own adapter does; tests/storage/test_sqlite_driver.py pins the behaviour.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

BUSY_TIMEOUT_MS = 30_000  # how long a statement waits, on the worker thread, for another process's lock
CHECKPOINT_EVERY = 256  # commits between two passive checkpoints

T = TypeVar("T")

# What one statement brings back: description, rowcount, lastrowid, rows.
_Outcome = tuple[Any, int, int | None, list[Any]]


def connect_args() -> dict[str, Any]:
    """sqlite3.connect arguments this module needs: no busy wait on the loop; used from the loop's thread too."""
    return {"timeout": 0, "check_same_thread": False}


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


def _commit(conn: sqlite3.Connection, checkpoint: str | None) -> None:
    conn.commit()
    if checkpoint:
        conn.execute(f"PRAGMA wal_checkpoint({checkpoint})").close()


def _patiently(fn: Callable[..., T], conn: sqlite3.Connection, *args: Any) -> T:
    """On the worker thread: `fn` allowed to wait for other processes' locks."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").close()
    try:
        return fn(conn, *args)
    finally:
        conn.execute("PRAGMA busy_timeout = 0").close()


def _is_busy(error: Exception) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


class Connection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter, running statements on the loop when they cannot block."""

    __slots__ = ("_commits", "begin_pending", "scrub_pending")

    def __init__(self, dbapi: Any, connection: Any) -> None:  # an aiosqlite.Connection
        super().__init__(dbapi, connection)
        self.begin_pending = False
        self.scrub_pending = False  # the transaction erased a citizen: see `scrub_after_commit`
        self._commits = 0

    def scrub_after_commit(self) -> None:
        """The transaction erases personal data: once it commits, a checkpoint that truncates the WAL runs (on the
        worker thread). With `secure_delete` on (storage/db.py) the deleted rows are zeros in the pages written;
        the checkpoint copies those pages into the database file and empties the WAL, whose older frames would
        still hold the rows as they were. The database files then hold no trace of them."""
        self.scrub_pending = True

    def run(self, fn: Callable[..., T], *args: Any, on_thread: bool = False) -> T:
        """`fn(sqlite3_connection, *args)`: at once on the loop; on the worker thread when it has to wait for a
        lock (or `on_thread`). Called from SQLAlchemy's greenlet, as every DBAPI method of an async adapter is."""
        try:
            return await_(self._run(fn, args, on_thread))
        except Exception as error:
            self._handle_exception(error)

    async def _run(self, fn: Callable[..., T], args: tuple[Any, ...], on_thread: bool) -> T:
        driver = self._connection
        if not on_thread and not self._execute_mutex.locked():
            try:
                return fn(driver._conn, *args)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
        async with self._execute_mutex:
            result: T = await driver._execute(lambda: _patiently(fn, driver._conn, *args))
            return result

    def cursor(self, server_side: bool = False) -> Cursor:
        return Cursor(self)  # server-side cursors are not offered: every result is read whole

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the database (PRAGMA data_version);
        our own commits leave it as it is."""
        row = self._connection._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def begin(self) -> None:
        """Start a transaction with the next statement (see the module's docstring)."""
        self.begin_pending = True

    def commit(self) -> None:
        if self.begin_pending:  # nothing ran: there is nothing to commit
            self.begin_pending = False
            return
        self._commits += 1
        checkpoint = "PASSIVE" if self._commits % CHECKPOINT_EVERY == 0 else None
        if self.scrub_pending:
            self.scrub_pending, checkpoint = False, "TRUNCATE"
        self.run(_commit, checkpoint, on_thread=checkpoint is not None)

    def rollback(self) -> None:
        self.scrub_pending = False  # nothing was erased
        if self.begin_pending:
            self.begin_pending = False
            return
        if self._connection._connection is not None:
            self.run(sqlite3.Connection.rollback)


class Cursor(AsyncAdapt_dbapi_cursor):
    """A DBAPI cursor whose statement is one call; its rows are held here, so closing costs nothing."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Connection) -> None:  # no driver cursor to open
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._statement(False, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._statement(True, operation, seq_of_parameters)

    def _statement(self, many: bool, operation: str, parameters: Any) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, Connection)
        begin, adapt.begin_pending = adapt.begin_pending, False
        try:
            outcome = adapt.run(_statement, begin, many, operation, parameters)
        except BaseException:
            # If the BEGIN itself did not happen, the transaction still starts with the next statement.
            driver = adapt._connection._connection  # None once the connection is closed
            adapt.begin_pending = begin and driver is not None and not driver.in_transaction
            raise
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class DBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The `module` for SQLAlchemy's aiosqlite dialect."""

    def connect(self, *arg: Any, **kw: Any) -> Connection:
        stock = super().connect(*arg, **kw)
        return Connection(self, stock._connection)


def dbapi() -> DBAPI:
    return DBAPI(aiosqlite, sqlite3)
