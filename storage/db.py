"""Engine and session factory for a DATABASE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for a SQLite file its folder is created and foreign keys are switched on.

    `hide_parameters`: an error message must never carry a citizen's words or phone into the logs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Sessions always commit or roll back themselves, so the pool need not roll back again on return.
        # `sqlite.dbapi()`: aiosqlite that runs on the event loop what cannot block (see storage/sqlite.py).
        engine = create_async_engine(
            url,
            module=sqlite.dbapi(),
            connect_args=sqlite.connect_args(),
            pool_reset_on_return=None,
            hide_parameters=True,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            # The driver's own transaction handling would let a SAVEPOINT's release commit on its own; we
            # emit BEGIN ourselves instead (SQLAlchemy's documented recipe for pysqlite/aiosqlite).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so an erased citizen leaves nothing in the file (with the
            # checkpoint that truncates the WAL after an erase, storage/sqlite.py). Costs writes only on deletes.
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(
                "PRAGMA wal_autocheckpoint=0"
            )  # checkpoints run off the event loop (storage/sqlite.py)
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            conn.connection.dbapi_connection.begin()  # BEGIN IMMEDIATE, sent with the first statement

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
