"""The outbox job: a queued notice goes out through the channel's sender once, is marked sent, is retried a few
times when the send fails and then given up; two dispatchers never send one row twice; web rows land in the
citizen's message log (the page's history)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.app import Bot
from bot.outbox import MAX_ATTEMPTS, RETRY_AFTER, Send, claim, dispatch, senders, start_outbox
from dialogs.messages import Reply
from dialogs.turns import Pipeline
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.outbox import Outbox, OutboxRepo
from storage.uow import UnitOfWorkFactory
from testkit.clocks import test_clock

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
BUTTONS = [[{"text": "📅 Записатися знову", "payload": "q:s:drs-passport-id-lost"}]]


class FakeSender:
    """Records what it was asked to send; answers `ok` (a list: one answer per call, the last one repeated)."""

    def __init__(self, *ok: bool) -> None:
        self.ok = list(ok) or [True]
        self.sent: list[tuple[str, Reply]] = []

    async def __call__(self, external_id: str, reply: Reply) -> bool:
        self.sent.append((external_id, reply))
        await asyncio.sleep(0.01)  # a real send takes a while: a racing dispatcher gets its chance
        return self.ok.pop(0) if len(self.ok) > 1 else self.ok[0]


@pytest.fixture()
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(f"sqlite+aiosqlite:///{tmp_path}/outbox.sqlite3")
    await upgrade(built)
    yield built
    await built.dispose()


@pytest.fixture()
def uows(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(engine), clock=ManualClock(NOW))


async def queue(uows: UnitOfWorkFactory, channel: str = "telegram", external_id: str = "42") -> int:
    async with uows() as uow:
        row = await uow.outbox.add(channel, external_id, "Ваш запис **K7M-4QX** скасовано.", BUTTONS)
        return row.id


async def row(uows: UnitOfWorkFactory, row_id: int) -> Outbox:
    async with uows() as uow:
        found = await uow.session.get(Outbox, row_id)
        assert found is not None
        return found


async def test_a_queued_notice_is_sent_once_and_marked_sent(uows: UnitOfWorkFactory) -> None:
    row_id = await queue(uows)
    fake = FakeSender()
    assert await dispatch(uows, {"telegram": fake}, NOW) == 1
    [(chat, reply)] = fake.sent
    assert chat == "42" and reply.text == "Ваш запис **K7M-4QX** скасовано."
    assert [[(b.text, b.payload) for b in r] for r in reply.buttons] == [
        [("📅 Записатися знову", "q:s:drs-passport-id-lost")]
    ]
    sent = await row(uows, row_id)
    assert sent.sent_at is not None and sent.attempts == 1
    assert await dispatch(uows, {"telegram": fake}, NOW + dt.timedelta(hours=1)) == 0
    assert len(fake.sent) == 1


async def test_two_dispatchers_never_send_one_row_twice(engine: AsyncEngine, tmp_path: Path) -> None:
    # Two bot processes: two engines (two connection pools) on one database, running at the same moment.
    other = make_engine(f"sqlite+aiosqlite:///{tmp_path}/outbox.sqlite3")
    try:
        first, second = (
            UnitOfWorkFactory(make_sessionmaker(engine), clock=test_clock()),
            UnitOfWorkFactory(make_sessionmaker(other), clock=test_clock()),
        )
        ids = [await queue(first, external_id=str(n)) for n in range(20)]
        a, b = FakeSender(), FakeSender()
        results = await asyncio.gather(
            *(dispatch(f, {"telegram": s}, NOW) for f, s in [(first, a), (second, b)] * 3)
        )
        assert sum(results) == 20
        assert sorted(chat for chat, _ in a.sent + b.sent) == sorted(str(n) for n in range(20))
        assert [(await row(first, i)).attempts for i in ids] == [1] * len(ids)
    finally:
        await other.dispose()


async def test_the_claim_is_a_conditional_update(
    uows: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dispatcher that read a row as due just before another one claimed it does not claim it too."""
    row_id = await queue(uows)
    async with uows() as uow:
        stale = await uow.outbox.due()  # read as due…
    assert [c.id for c in await claim(uows, {"telegram"}, NOW)] == [row_id]  # …claimed by the other process

    async def still_due(
        self: OutboxRepo, limit: int = 50, max_attempts: int = 5, *, channels: object = None
    ) -> list[Outbox]:
        return stale

    monkeypatch.setattr(OutboxRepo, "due", still_due)
    assert await claim(uows, {"telegram"}, NOW) == []


async def test_a_claimed_row_is_not_sent_again_after_a_crash(uows: UnitOfWorkFactory) -> None:
    """The side we err on: a process that claimed a row and died before sending never sends it, and nobody else
    does either (at most once)."""
    row_id = await queue(uows)
    assert [c.id for c in await claim(uows, {"telegram"}, NOW)] == [row_id]  # ... and the process dies here
    fake = FakeSender()
    assert await dispatch(uows, {"telegram": fake}, NOW + dt.timedelta(days=1)) == 0
    assert fake.sent == []


async def test_a_failed_send_is_retried_later_then_given_up(
    uows: UnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    row_id = await queue(uows)
    created = (await row(uows, row_id)).created_at
    fake = FakeSender(False)
    caplog.set_level(logging.INFO, logger="bot.outbox")
    assert await dispatch(uows, {"telegram": fake}, created) == 0
    failed = await row(uows, row_id)
    assert failed.sent_at is None and failed.attempts == 1
    assert await dispatch(uows, {"telegram": fake}, created + RETRY_AFTER / 2) == 0  # not yet: a pause first
    assert len(fake.sent) == 1
    for n in range(2, MAX_ATTEMPTS + 1):
        await dispatch(uows, {"telegram": fake}, created + RETRY_AFTER * (2 ** (n - 1) - 1))
        assert len(fake.sent) == n
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and given_up[0].levelno == logging.WARNING
    assert await dispatch(uows, {"telegram": fake}, created + dt.timedelta(days=2)) == 0
    assert len(fake.sent) == MAX_ATTEMPTS
    last = await row(uows, row_id)
    assert last.sent_at is None and last.attempts == MAX_ATTEMPTS


async def test_a_send_that_fails_once_is_delivered_on_the_retry(uows: UnitOfWorkFactory) -> None:
    row_id = await queue(uows)
    fake = FakeSender(False, True)
    assert await dispatch(uows, {"telegram": fake}, NOW) == 0
    assert await dispatch(uows, {"telegram": fake}, NOW + RETRY_AFTER + dt.timedelta(days=1)) == 1
    done = await row(uows, row_id)
    assert done.sent_at is not None and done.attempts == 2


async def test_a_row_of_a_channel_this_process_cannot_send_to_waits(uows: UnitOfWorkFactory) -> None:
    row_id = await queue(uows, channel="viber", external_id="v1")
    assert await dispatch(uows, {"telegram": FakeSender()}, NOW) == 0
    waiting = await row(uows, row_id)
    assert waiting.sent_at is None and waiting.attempts == 0


async def test_a_web_notice_becomes_a_bot_line_of_the_citizens_history(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        user = await uow.users.get_or_create("web", "session-1")
    row_id = await queue(uows, channel="web", external_id="session-1")
    gone = await queue(uows, channel="web", external_id="erased-session")  # nobody to show it to: done
    channels: dict[str, Send] = senders(uows)
    assert set(channels) == {"web"}
    assert await dispatch(uows, channels, NOW) == 2
    async with uows() as uow:
        [line] = await uow.messages.recent(user.id)
    assert line.direction == "sys" and "K7M-4QX" in line.text and line.buttons == BUTTONS
    assert (await row(uows, row_id)).sent_at is not None and (await row(uows, gone)).sent_at is not None


async def test_the_job_runs_in_the_housekeeping_scheduler(uows: UnitOfWorkFactory) -> None:
    row_id = await queue(uows)
    fake = FakeSender()
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    start_outbox(scheduler, uows, {"telegram": fake})
    assert {job.id for job in scheduler.get_jobs()} == {"outbox", "outbox-purge"}
    scheduler.start()
    try:
        for _ in range(200):
            if (await row(uows, row_id)).sent_at is not None:
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
    assert len(fake.sent) == 1 and (await row(uows, row_id)).sent_at is not None


async def test_sent_rows_are_purged_after_a_while(uows: UnitOfWorkFactory) -> None:
    old, fresh = await queue(uows), await queue(uows)
    await dispatch(uows, {"telegram": FakeSender()}, NOW)
    async with uows() as uow:
        await uow.outbox.sent(old, uows.clock() - outbox.KEEP_SENT - dt.timedelta(days=1))
    assert await outbox.purge_sent(uows) == 1
    async with uows() as uow:
        left = list((await uow.session.execute(select(Outbox.id))).scalars())
    assert left == [fresh]


class StuckGroup:
    """The operator group's sender held at Telegram's pace: every send waits until the test lets it go."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.started = asyncio.Event()
        self.sent: list[str] = []

    async def __call__(self, external_id: str, reply: Reply) -> bool:
        self.started.set()
        await self.go.wait()
        self.sent.append(reply.text)
        return True


async def test_the_kicker_never_holds_the_caller_and_the_group_never_holds_the_citizens(
    uows: UnitOfWorkFactory,
) -> None:
    group, citizen = StuckGroup(), FakeSender()
    kicker = outbox.Kicker(Pipeline(uows), {"operators": group, "telegram": citizen})
    for n in range(30):  # a flood of group lines (no ticket: nothing holds them)
        async with uows() as uow:
            await uow.outbox.add("operators", str(n), f"line {n}")
    await asyncio.wait_for(kicker(), timeout=0.05)  # the request that kicks returns at once
    await asyncio.wait_for(group.started.wait(), timeout=2)
    citizen_row = await queue(uows)  # an operator's reply to a citizen, queued behind the flood
    await asyncio.wait_for(kicker(), timeout=0.05)
    for _ in range(200):
        if citizen.sent:
            break
        await asyncio.sleep(0.01)
    assert [external for external, _ in citizen.sent] == ["42"] and group.sent == []  # the group still stuck
    assert (await row(uows, citizen_row)).sent_at is not None
    group.go.set()
    await asyncio.wait_for(kicker.settle(), timeout=5)
    assert group.sent == [f"line {n}" for n in range(30)]  # in order, all of them, a few at a time


async def test_each_lane_claims_only_its_own_channels(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        await uow.outbox.add("operators", "1", "для групи")
    citizen = await queue(uows)
    claimed = await claim(uows, {"telegram"}, NOW)
    assert [c.id for c in claimed] == [citizen]
    assert [c.text for c in await claim(uows, {"operators"}, NOW, batch=outbox.GROUP_BATCH)] == ["для групи"]
    assert outbox.lanes({"operators": FakeSender(), "telegram": FakeSender(), "web": FakeSender()})[1].keys() == {
        "operators"
    }


async def test_a_conversation_s_line_goes_before_bulk_notices(uows: UnitOfWorkFactory) -> None:
    notices = [await queue(uows, external_id=str(n)) for n in range(3)]  # a closed day's notices
    async with uows() as uow:
        line = (await uow.outbox.add("telegram", "77", "👤 Оператор: так, можна.", ticket_id=5)).id
    assert [c.id for c in await claim(uows, {"telegram"}, NOW)] == [line, *notices]


async def test_a_queued_line_waits_for_its_citizens_turn_on_the_bots_pipeline(bot: Bot) -> None:
    """The kicker's lanes go through the turns' pipeline (the same locks): a line for a citizen whose turn
    holds their lock is neither claimed nor sent until that turn is over."""
    assert bot.kicker is not None
    lanes = (bot.kicker.citizens, bot.kicker.group)
    assert all(lane.pipeline.locks is bot.turns.locks for lane in lanes)
    assert all(lane.pipeline.uows is bot.uow_factory for lane in lanes)
    fake = FakeSender()
    row_id = await queue(bot.uow_factory, "telegram", "4300")
    async with bot.turns.citizen("telegram", "4300"):  # as a turn holds it, from its start to its last send
        sending = asyncio.create_task(
            dispatch(bot.uow_factory, {"telegram": fake}, pipeline=bot.kicker.citizens.pipeline)
        )
        await asyncio.sleep(0.2)
        assert not sending.done() and fake.sent == []
        assert (await row(bot.uow_factory, row_id)).attempts == 0  # not even claimed
    assert await asyncio.wait_for(sending, timeout=5) == 1
    assert [external for external, _ in fake.sent] == ["4300"]


async def test_the_kicker_is_given_its_senders_once(bot: Bot, uows: UnitOfWorkFactory) -> None:
    """The one collaborator bound after construction (see `Kicker`): the bot's is bound to its channels'
    senders by the composition root, and only once; one not bound yet sends nothing, the row waits."""
    assert bot.kicker is not None and bot.kicker.connected
    assert set(bot.kicker.channels) == set(senders(bot.uow_factory, bot.telegram, bot.viber))
    with pytest.raises(RuntimeError):
        bot.kicker.connect({})
    late, fake = outbox.Kicker(Pipeline(uows)), FakeSender()
    row_id = await queue(uows)
    await late()
    await late.settle()
    assert (await row(uows, row_id)).sent_at is None and not late.connected
    late.connect({"telegram": fake})
    await late()
    await late.settle()
    assert (await row(uows, row_id)).sent_at is not None and len(fake.sent) == 1
