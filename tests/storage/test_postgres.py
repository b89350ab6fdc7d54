"""The same storage and dialogs on a real PostgreSQL server, with only DATABASE_URL changed."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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
from tests.dialogs.conftest import EngineChannel
from tests.e2e.telegram.conftest import free_port
from tests.transcript import load, play


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, "PostgreSQL is not installed: ./scripts/test.sh installs Debian's postgresql package"
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and the server refuse to run as root; the Debian package's `postgres` user runs them.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "viza-pg-") -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port (the tests' and the benchmarks'), stopped after."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")

    def run(args: list[str]) -> None:
        subprocess.run(_as_postgres(args), check=True, capture_output=True, timeout=120)

    run([_pg_bin("initdb"), "-D", str(data), "--auth=trust", "--username=postgres", "--encoding=UTF8"])
    port = free_port()
    options = f"-p {port} -h 127.0.0.1 -k {sock} -c fsync=off"
    run([_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(base / "log"), "start"])
    try:
        run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "viza"])
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/viza"
    finally:
        run([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


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
