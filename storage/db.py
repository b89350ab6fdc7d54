"""Engine and session factory for a DATABASE_URL."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite

log = logging.getLogger(__name__)
PRIVATE = 0o600  # the database file and its -wal and -shm: the bot's user only (phones, names, addresses)
SIDE_FILES = ("-wal", "-shm", "-journal")


def private_file(database: str) -> None:
    """A SQLite database file readable by the bot's user only. A new one is created 0600 before SQLite opens
    it (SQLite gives its -wal and -shm the main file's mode), in a folder created 0700; an existing one whose
    mode lets others in is tightened to 0600, with its side files, and said in one log line."""
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))  # an empty file is a database
        return
    except FileExistsError:
        pass
    loose = []
    for file in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(PRIVATE)
                loose.append(f"{file.name} {mode:04o}")
        except FileNotFoundError:
            continue
    if loose:
        log.warning("database files were readable by others; now %04o: %s", PRIVATE, ", ".join(loose))


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for a SQLite file its folder is created and foreign keys are switched on.

    `hide_parameters`: an error message must never carry a citizen's words or phone into the logs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database != ":memory:":
            private_file(database)

        async def connect() -> sqlite.LoopConnection:
            connection = sqlite.LoopConnection(database)
            await connection  # opened on aiosqlite's thread, as aiosqlite.connect's connection is
            return connection

        # SQLAlchemy's aiosqlite dialect on our aiosqlite connection, which runs on the event loop what cannot
        # block (storage/sqlite.py). Sessions always commit or roll back themselves, so the pool need not roll
        # back again on return.
        engine = create_async_engine(
            url, async_creator=connect, pool_reset_on_return=None, hide_parameters=True
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so an erased citizen leaves nothing in the file (with the
            # checkpoint that truncates the WAL after an erase, storage/uow.py). Costs writes only on deletes.
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints run off the event loop (storage/sqlite.py).
            cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # The driver leaves transactions to us (isolation_level=None, as SQLAlchemy's documented recipe for
            # SQLite has it). BEGIN IMMEDIATE takes the write lock first, so a transaction that read cannot later
            # fail to write because another connection wrote (SQLITE_BUSY_SNAPSHOT, which no busy timeout
            # resolves); it is sent with the transaction's first statement, in the same call (storage/sqlite.py).
            conn.connection.driver_connection.begin_with_next_statement()

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
