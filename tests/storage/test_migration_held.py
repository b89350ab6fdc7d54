"""Migration 0009: «held by an operator» moves from users to the tickets, and nobody held is let go by it."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy import Connection, column, insert, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import UTCDateTime
from testkit.clocks import TEST_NOW
from tests.storage.test_postgres import postgres_url  # noqa: F401  (fixture: a throwaway server per module)

OLD_USERS = table(  # as revision 0008 had them
    "users",
    column("id"),
    column("channel"),
    column("external_id"),
    column("language"),
    column("created_at", UTCDateTime()),
    column("last_seen_at", UTCDateTime()),
    column("active"),
    column("held_by_operator"),
)
TICKETS = table(
    "tickets",
    column("user_id"),
    column("channel"),
    column("status"),
    column("mode"),
    column("priority"),
    column("created_at", UTCDateTime()),
    column("last_activity_at", UTCDateTime()),
    column("citizen_lines"),
)
# (held before, the active ticket's status and mode) → the mode after the upgrade, held after a downgrade
CITIZENS = {
    1: (True, "waiting", "live", "live", True),  # waits in the queue
    2: (True, "waiting", "question", "live", True),  # held by hand with a question: stays held
    3: (False, "waiting", "question", "question", False),  # a question left for later
    4: (True, "open", "question", "question", True),  # an operator answers it
    5: (False, None, None, None, False),  # never asked for a person
}


async def _url(tmp_path: Path, request: pytest.FixtureRequest, dialect: str) -> str:
    if dialect == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/held.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    base = url.rsplit("/", 1)[0]
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    name = f"held_{uuid.uuid4().hex[:12]}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{base}/{name}"


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_the_held_fact_moves_to_the_tickets_and_back(
    tmp_path: Path, request: pytest.FixtureRequest, dialect: str
) -> None:
    engine = make_engine(await _url(tmp_path, request, dialect))
    try:
        await upgrade(engine, "0008")
        now = TEST_NOW - dt.timedelta(minutes=5)
        async with engine.begin() as conn:
            for uid, (held, status, mode, _, _) in CITIZENS.items():
                await conn.execute(insert(OLD_USERS).values(
                    id=uid, channel="web", external_id=f"c{uid}", language="uk", created_at=now,
                    last_seen_at=now, active=True, held_by_operator=held,
                ))  # fmt: skip
                if status is not None:
                    await conn.execute(insert(TICKETS).values(
                        user_id=uid, channel="web", status=status, mode=mode, priority=False, created_at=now,
                        last_activity_at=now, citizen_lines=1,
                    ))  # fmt: skip
            await conn.execute(
                text("INSERT INTO dialog_states (user_id, scenario, step, answers, history, misses, updated_at) "
                     "VALUES (1, 'birth', 'q1', '{}', '[]', 0, :now)"),
                {"now": now.replace(tzinfo=None) if dialect == "sqlite" else now},
            )  # fmt: skip
        await upgrade(engine)
        async with engine.connect() as conn:
            states = (await conn.execute(text("SELECT user_id, scenario FROM dialog_states"))).all()
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("users")})
            modes = dict((await conn.execute(select(TICKETS.c.user_id, TICKETS.c.mode))).all())
        assert "held_by_operator" not in columns
        assert [tuple(row) for row in states] == [(1, "birth")]  # the citizens' other rows are untouched
        assert modes == {uid: after for uid, (_, _, _, after, _) in CITIZENS.items() if after is not None}

        await _downgrade(engine, "0008")
        async with engine.connect() as conn:
            held = dict((await conn.execute(text("SELECT id, held_by_operator FROM users"))).all())
        assert {uid: bool(h) for uid, h in held.items()} == {uid: c[4] for uid, c in CITIZENS.items()}
    finally:
        await engine.dispose()
