"""What a serialized (SQLite) unit-of-work factory keeps between units of work: citizens, and log lines."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from bot import maintenance
from bot.app import Bot
from dialogs.messages import Incoming
from storage.db import make_sessionmaker
from storage.handoff import Ticket
from storage.messages import LogBuffer
from storage.models import MessageLog, User
from storage.uow import UnitOfWorkFactory
from testkit.clocks import TEST_NOW


def _trace(bot: Bot) -> list[str]:
    """Statements SQLite runs on the bot's connections from now on."""
    statements: list[str] = []

    @event.listens_for(bot.db.sync_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    return statements


async def _logged(bot: Bot) -> int:
    async with make_sessionmaker(bot.db)() as s:
        return int((await s.execute(select(func.count()).select_from(MessageLog))).scalar_one())


async def test_a_known_citizen_is_found_without_a_query(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "c", text="/start"))
    statements = _trace(bot)
    await bot.engine.handle(Incoming("web", "c", payload="s:birth"))
    assert not any("FROM users" in s for s in statements)
    async with bot.uow_factory() as uow:  # and the state it changed is the one in the database
        _, state = await uow.users.with_state("web", "c")
        assert state.scenario == "birth"
    fresh = UnitOfWorkFactory(make_sessionmaker(bot.db), clock=bot.uow_factory.clock)
    async with fresh() as uow:
        _, state = await uow.users.with_state("web", "c")
        assert state.scenario == "birth"


async def test_a_rolled_back_unit_of_work_leaves_nothing_in_the_cache(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "r", text="/start"))
    with pytest.raises(RuntimeError):
        async with bot.uow_factory() as uow:
            _, state = await uow.users.with_state("web", "r")
            state.scenario, state.step = "birth", "q1"
            raise RuntimeError("the handler failed")
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("web", "r")
        assert state.scenario is None


async def test_a_duplicate_update_leaves_nothing_in_the_cache(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "d", text="/start"))
    async with bot.uow_factory() as uow:
        uow.updates.mark("web", "42")
    with pytest.raises(IntegrityError):  # the same update again: refused at commit
        async with bot.uow_factory() as uow:
            uow.updates.mark("web", "42")
            _, state = await uow.users.with_state("web", "d")
            state.scenario = "birth"
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("web", "d")
        assert state.scenario is None


async def test_deactivated_and_erased_citizens_leave_the_cache(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "x", text="/start"))
    async with bot.uow_factory() as uow:
        await uow.users.deactivate("web", "x")
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "x")
        assert user.active is False
    await bot.engine.handle(Incoming("web", "x", payload="s:birth"))
    await bot.engine.handle(Incoming("web", "x", payload="f:yes"))
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("web", "x")
        assert state.scenario is None  # a new citizen, not the erased one


async def test_log_lines_are_written_in_batches_and_none_is_lost(bot: Bot) -> None:
    assert bot.uow_factory.log_buffer is not None
    await bot.engine.handle(Incoming("web", "l", text="паспорт"))
    assert await _logged(bot) == 0  # waiting for a batch
    async with bot.uow_factory() as uow:  # but the operator's view of the conversation has them
        user, _ = await uow.users.with_state("web", "l")
        assert [m.direction for m in await uow.messages.recent(user.id)] == ["in", "out"]
    assert await _logged(bot) == 2
    for i in range(LogBuffer.BATCH // 2 + 1):
        await bot.engine.handle(Incoming("web", "l", text=f"паспорт {i}"))
    assert await _logged(bot) >= 2 + LogBuffer.BATCH  # a full batch went with a dialog step
    await bot.uow_factory.write_log()
    assert await _logged(bot) == 2 + 2 * (LogBuffer.BATCH // 2 + 1)


async def test_buffered_lines_of_an_erased_citizen_are_not_written(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "stays", text="паспорт"))
    await bot.engine.handle(Incoming("web", "gone", text="мій паспорт КВ123456"))
    await bot.engine.handle(Incoming("web", "gone", payload="f:yes"))
    await bot.engine.handle(Incoming("web", "new", text="/start"))  # SQLite may give it the erased one's id
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s:
        texts = (await s.execute(select(MessageLog.text))).scalars().all()
    assert len(texts) == 4 and not any("КВ123456" in t for t in texts)


async def test_a_line_whose_citizen_is_gone_does_not_block_the_batch(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "a", text="паспорт"))
    assert bot.uow_factory.log_buffer is not None
    bot.uow_factory.log_buffer.extend(
        [{"user_id": 999_999, "direction": "in", "text": "x", "created_at": None}]
    )
    await bot.uow_factory.write_log()
    assert await _logged(bot) == 2
    assert len(bot.uow_factory.log_buffer) == 0


async def test_lines_of_a_failed_batch_go_back_to_the_buffer(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "b", text="паспорт"))
    assert bot.uow_factory.log_buffer is not None
    with pytest.raises(RuntimeError):
        async with bot.uow_factory() as uow:
            await uow.messages.flush(everything=True)
            raise RuntimeError("rolled back after writing")
    assert len(bot.uow_factory.log_buffer) == 2
    await bot.uow_factory.close()
    assert await _logged(bot) == 2


async def test_housekeeping_writes_the_buffer_when_traffic_is_low(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "LOG_WRITE_EVERY", dt.timedelta(seconds=0.2))
    await bot.engine.handle(Incoming("web", "h", text="паспорт"))
    scheduler = maintenance.start_housekeeping(bot.uow_factory, dt.timedelta(days=30))
    try:
        for _ in range(60):
            if await _logged(bot) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert await _logged(bot) == 2


async def test_an_unwritable_line_costs_only_itself(bot: Bot) -> None:
    """Other citizens' lines ride along with a dialog step; one that the database refuses must not fail it."""
    await bot.engine.handle(Incoming("web", "ok", text="паспорт"))
    assert bot.uow_factory.log_buffer is not None
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "ok")
    bad = {"user_id": user.id, "direction": "in", "text": None, "created_at": TEST_NOW}  # NOT NULL refuses it
    bot.uow_factory.log_buffer.extend([bad])
    for i in range(
        LogBuffer.BATCH
    ):  # enough for a step to take the batch with it (several citizens: no flood)
        replies = await bot.engine.handle(Incoming("web", f"ok-{i % 8}", text=f"паспорт {i}"))
        assert replies
    await bot.uow_factory.write_log()
    assert await _logged(bot) == 2 + 2 * LogBuffer.BATCH
    assert len(bot.uow_factory.log_buffer) == 0


async def test_text_that_is_not_utf8_is_logged_readably(bot: Bot) -> None:
    replies = await bot.engine.handle(Incoming("web", "s", text="\ud800 паспорт"))  # a lone surrogate
    assert replies
    await bot.engine.handle(Incoming("web", "t", text="паспорт"))
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "s")
        assert (await uow.messages.recent(user.id))[0].text == "? паспорт"


async def test_a_hand_edit_of_the_database_is_seen_at_once(bot: Bot) -> None:
    """Another connection's commit (an administrator, another tool) empties the citizen cache."""
    await bot.engine.handle(Incoming("web", "h", text="/start"))
    now = bot.uow_factory.clock()
    async with make_sessionmaker(bot.db)() as s, s.begin():
        user_id = (await s.execute(select(User.id))).scalar_one()
        s.add(Ticket(user_id=user_id, channel="web", status="open", mode="live", created_at=now,
                     last_activity_at=now, citizen_lines=1))  # fmt: skip
        await s.execute(update(User).values(active=False))  # as if the citizen had blocked the bot
    assert await bot.engine.handle(Incoming("web", "h", text="паспорт")) == []  # an operator holds them
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(User.active))).scalar_one()  # the edit was seen: they wrote again


async def test_reading_the_log_twice_writes_each_line_once(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "a", text="паспорт"))
    await bot.engine.handle(Incoming("web", "b", text="паспорт"))
    async with bot.uow_factory() as uow:
        a, _ = await uow.users.with_state("web", "a")
        b, _ = await uow.users.with_state("web", "b")
        await uow.messages.recent(a.id)
        await uow.messages.recent(b.id)  # e.g. an operator's view of two citizens
    assert await _logged(bot) == 4


async def test_an_erase_that_rolls_back_keeps_the_lines(bot: Bot) -> None:
    await bot.engine.handle(Incoming("web", "keep", text="паспорт"))
    with pytest.raises(RuntimeError):
        async with bot.uow_factory() as uow:
            user, _ = await uow.users.with_state("web", "keep")
            await uow.users.erase(user)
            raise RuntimeError("the erase did not happen")
    await bot.uow_factory.write_log()
    assert await _logged(bot) == 2


async def test_who_is_held_is_read_once_and_follows_every_change(bot: Bot) -> None:
    """The hold cache (storage.handoff.HoldCache): a citizen's message costs no ticket query once it is loaded,
    and it follows a ticket opened, taken and closed in other units of work, a rolled-back one, and a hand edit."""
    assert bot.uow_factory.hold_cache is not None
    await bot.engine.handle(Incoming("web", "h", text="/start"))
    statements: list[str] = []
    event.listen(bot.db.sync_engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))

    async def held() -> bool:
        async with bot.uow_factory() as uow:
            user = await uow.users.get("web", "h")
            assert user is not None
            return await uow.tickets.holding(user.id)

    assert not await held()
    statements.clear()
    assert not await held()
    assert not any("tickets" in s for s in statements)  # cached: no query
    now = bot.uow_factory.clock()
    async with bot.uow_factory() as uow:
        user = await uow.users.get("web", "h")
        assert user is not None
        ticket = await uow.tickets.open(user, mode="live", priority_group=None, subject=None, name=None, now=now)
        assert ticket is not None
    assert await held()  # a live ticket waiting for an operator holds
    async with bot.uow_factory() as uow:
        assert await uow.tickets.to_question(ticket.id, now)
    assert not await held()  # a question left for later does not
    async with bot.uow_factory() as uow:
        assert await uow.tickets.take(ticket.id, "501", "Оксана", now)
    assert await held()  # an operator has it open
    with pytest.raises(RuntimeError):
        async with bot.uow_factory() as uow:
            assert await uow.tickets.close(ticket.id, "done", now)
            assert not await uow.tickets.holding(ticket.user_id or 0)
            raise RuntimeError("rolled back")
    assert await held()  # the close never happened
    async with make_sessionmaker(bot.db)() as s, s.begin():  # another connection closes it
        await s.execute(update(Ticket).values(status="closed", closed_at=now))
    assert not await held()
