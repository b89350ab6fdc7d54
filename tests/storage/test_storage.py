"""Storage: migrations match the models, state survives a restart, retention purges the log."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, insert, select, update

from bot.app import Bot, build
from bot.maintenance import purge_expired, start_housekeeping
from dialogs.messages import Incoming
from dialogs.reading import MAX_TEXT
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Base, DialogState, MessageLog, User
from storage.uow import UnitOfWorkFactory
from testkit.clocks import TEST_NOW
from tests.conftest import make_settings


async def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3")
    await upgrade(engine)

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    await engine.dispose()


async def test_dialog_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path)
    first = await build(settings, clock=clock)
    await first.engine.handle(Incoming("web", "u", payload="s:birth"))
    await first.engine.handle(Incoming("web", "u", payload="a:birth:q1:married_diff"))
    await first.close()  # the process stops mid-dialog

    second = await build(settings, clock=clock)
    replies = await second.engine.handle(Incoming("web", "u", payload="a:birth:q2:yes"))
    await second.close()
    assert "місце проживання дитини" in replies[0].text


async def test_a_day_old_dialog_restarts_politely(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "u", payload="s:birth"))
    await bot.uow_factory.write_log()  # the edits below are made by hand, behind the bot's back
    sessionmaker = make_sessionmaker(bot.db)
    async with sessionmaker() as s, s.begin():
        await s.execute(update(DialogState).values(updated_at=TEST_NOW - dt.timedelta(days=2)))
    replies = await bot.engine.handle(Incoming("web", "u", payload="a:birth:q1:not_married"))
    assert "давно не спілкувалися" in replies[0].text
    assert "обоє батьків" not in "\n".join(r.text for r in replies)


async def test_message_log_is_purged_after_retention(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "u", text="паспорт"))
    async with bot.uow_factory() as w:
        user = await w.users.get("web", "u")
        assert user is not None
        assert len(await w.messages.recent(user.id)) == 2  # the question and the answer
        assert await w.messages.purge_older_than(TEST_NOW + dt.timedelta(seconds=1)) == 2


async def test_concurrent_first_contacts_create_one_user(bot: Bot) -> None:
    """Separate units of work, not through the engine's per-citizen lock: the unique key and SQLite's
    in-process queue must still leave one user with one dialog state."""

    async def first_contact() -> int:
        async with bot.uow_factory() as uow:
            user, _ = await uow.users.with_state("web", "same")
            return user.id

    ids = await asyncio.gather(*(first_contact() for _ in range(5)))
    assert len(set(ids)) == 1
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == 1
        assert (await s.execute(select(func.count()).select_from(DialogState))).scalar_one() == 1


async def test_a_rolled_back_first_contact_leaves_nothing(bot: Bot) -> None:
    with pytest.raises(RuntimeError):
        async with bot.uow_factory() as uow:
            await uow.users.with_state("web", "ghost")
            raise RuntimeError("the handler failed")
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == 0


async def test_errors_never_carry_citizen_words(bot: Bot) -> None:
    with pytest.raises(Exception) as caught:
        async with bot.uow_factory() as uow:
            await uow.session.execute(  # no such user: the foreign key refuses
                insert(MessageLog).values(user_id=999_999, direction="in", text="мій паспорт КВ123456")
            )
    assert "КВ123456" not in str(caught.value)


async def test_a_long_message_is_logged_bounded(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "long", text="прописка " * 2000))
    async with bot.uow_factory() as w:
        user = await w.users.get("web", "long")
        assert user is not None
        logged = (await w.messages.recent(user.id))[0].text
    assert (
        len(logged) <= MAX_TEXT < 18_000
    )  # what the reader reads (4,000 characters), never the whole message


async def test_an_old_dialog_still_answers_a_typed_question(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "back", payload="s:birth"))
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s, s.begin():
        await s.execute(update(DialogState).values(updated_at=TEST_NOW - dt.timedelta(days=2)))
    replies = await bot.engine.handle(Incoming("web", "back", text="загубив паспорт"))
    assert "давно не спілкувалися" in replies[0].text
    assert any("Втрата документів" in r.text for r in replies)  # the typed question is answered


async def test_a_scenario_removed_by_an_update_does_not_break_back(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "old", payload="s:birth"))
    await bot.engine.handle(Incoming("web", "old", payload="a:birth:q1:not_married"))
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s, s.begin():
        await s.execute(update(DialogState).values(scenario="retired-scenario"))
    for payload in ("b", "c", "r", "a:retired-scenario:q2:yes"):
        replies = await bot.engine.handle(Incoming("web", "old", payload=payload))
        assert replies and replies[-1].buttons  # a menu or a step, never an error


async def test_datetimes_are_timezone_aware(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "tz", text="/start"))
    async with UnitOfWorkFactory(make_sessionmaker(bot.db), clock=bot.uow_factory.clock)() as w:
        user = await w.users.get("web", "tz")
        assert user is not None and user.created_at.tzinfo is not None


async def test_forget_erases_the_citizen(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "gone", text="мій телефон +380 97 123 45 67, прописка"))
    await bot.engine.handle(Incoming("web", "gone", payload="f:yes"))
    async with UnitOfWorkFactory(make_sessionmaker(bot.db), clock=bot.uow_factory.clock)() as w:
        assert await w.users.get("web", "gone") is None
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(func.count()).select_from(DialogState))).scalar_one() == 0


async def test_phone_numbers_are_not_logged(bot: Bot) -> None:
    await bot.engine.handle(
        Incoming("web", "p", text="передзвоніть на 097-82-88-145 або +380 (67) 123 45 67")
    )
    async with bot.uow_factory() as w:
        user = await w.users.get("web", "p")
        assert user is not None
        logged = (await w.messages.recent(user.id))[0].text
    assert "145" not in logged and "45 67" not in logged
    assert logged.count("[телефон]") == 2


async def test_housekeeping_purges_only_what_is_past_retention(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "old", text="паспорт"))
    await bot.uow_factory.write_log()
    sessionmaker = make_sessionmaker(bot.db)
    async with sessionmaker() as s, s.begin():
        await s.execute(update(MessageLog).values(created_at=TEST_NOW - dt.timedelta(days=40)))
    await bot.engine.handle(Incoming("web", "new", text="паспорт"))
    await bot.uow_factory.write_log()
    purged, _ = await purge_expired(bot.uow_factory, dt.timedelta(days=30))
    assert purged == 2  # the old question and answer; the new ones stay
    async with sessionmaker() as s:
        assert (await s.execute(select(func.count()).select_from(MessageLog))).scalar_one() == 2


async def test_housekeeping_runs_on_its_schedule_at_start(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "old", text="паспорт"))
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s, s.begin():
        await s.execute(update(MessageLog).values(created_at=TEST_NOW - dt.timedelta(days=40)))
    scheduler = start_housekeeping(bot.uow_factory, dt.timedelta(days=30))
    try:
        for _ in range(50):
            await asyncio.sleep(0.05)
            async with make_sessionmaker(bot.db)() as s:
                if (await s.execute(select(func.count()).select_from(MessageLog))).scalar_one() == 0:
                    break
        else:
            raise AssertionError("the purge job did not run")
        assert scheduler.get_job("purge-expired") is not None
    finally:
        scheduler.shutdown(wait=False)
