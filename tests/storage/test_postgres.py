"""The same storage and dialogs on a real PostgreSQL server, with only DATABASE_URL changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.messages import Incoming
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from storage.db import make_sessionmaker
from storage.models import Base, User
from testkit.servers import throwaway_postgres
from testkit.transcript import EngineChannel, load, play


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port, stopped after the module."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture()
async def pg_bot(postgres_url: str, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[Bot]:
    bot = await build(Settings(_env_file=None, database_url=postgres_url), kb=kb, index=index, clock=clock)  # type: ignore[call-arg]
    yield bot
    await bot.close()


async def test_migrations_match_the_models_on_postgres(pg_bot: Bot) -> None:
    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with pg_bot.db.connect() as conn:
        assert await conn.run_sync(diff) == []


@pytest.mark.parametrize("name", ["birth", "ya-veteran", "bad-input", "forget"])
async def test_transcripts_on_postgres(pg_bot: Bot, name: str) -> None:
    await play(EngineChannel(pg_bot.engine, user=f"pg-{name}"), load(name))


async def test_concurrent_first_contacts_on_postgres(pg_bot: Bot) -> None:
    """No in-process queue on PostgreSQL: the unique key alone leaves one user with one state."""

    async def first_contact() -> int:
        async with pg_bot.uow_factory() as uow:
            user, _ = await uow.users.with_state("web", "pg-race")
            return user.id

    assert len(set(await asyncio.gather(*(first_contact() for _ in range(8))))) == 1
    async with make_sessionmaker(pg_bot.db)() as s:
        where = User.external_id == "pg-race"
        assert (await s.execute(select(func.count()).select_from(User).where(where))).scalar_one() == 1


async def test_a_double_tap_is_taken_once_on_postgres(pg_bot: Bot) -> None:
    """Here only the engine's per-citizen lock keeps two quick taps from both being accepted."""
    await pg_bot.engine.handle(Incoming("web", "pg-tap", payload="s:birth"))
    tap = Incoming("web", "pg-tap", payload="a:birth:q1:not_married")
    results = await asyncio.gather(*(pg_bot.engine.handle(tap) for _ in range(4)))
    accepted = [r for r in results if not any("неактуальна" in x.text for x in r)]
    assert len(accepted) == 1


async def test_a_redelivered_update_is_refused_at_commit(pg_bot: Bot) -> None:
    async with pg_bot.uow_factory() as uow:
        uow.updates.mark("telegram", "pg-777")
    with pytest.raises(IntegrityError):
        async with pg_bot.uow_factory() as uow:
            uow.updates.mark("telegram", "pg-777")


async def test_racing_delivery_reports_keep_the_newest_status(pg_bot: Bot) -> None:
    async def report(status: str) -> None:
        async with pg_bot.uow_factory() as uow:
            await uow.deliveries.record("viber", "pg-token", status)

    await asyncio.gather(report("sent"), report("seen"), report("delivered"))
    async with pg_bot.uow_factory() as uow:
        assert await uow.deliveries.status("viber", "pg-token") == "seen"
