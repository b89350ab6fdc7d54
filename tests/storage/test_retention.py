"""Retention: citizens nobody has heard from for long are erased as /forget erases them (web sessions sooner),
unless a booking, a reminder or a ticket is still ahead of them, or an operator holds the conversation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from bot.app import Bot
from bot.maintenance import (
    CITIZEN_RETENTION,
    WEB_SESSION_RETENTION,
    expire_citizens,
    start_housekeeping,
)
from dialogs.messages import Incoming
from storage.booking import BOOKED, Booking
from storage.db import make_sessionmaker
from storage.handoff import Ticket
from storage.models import DialogState, MessageLog, User
from storage.reminders import Reminder
from testkit.clocks import TEST_NOW

NOW = TEST_NOW
DAY = dt.timedelta(days=1)


async def _citizen(bot: Bot, channel: str, external_id: str, days_ago: int) -> int:
    await bot.engine.handle(Incoming(channel, external_id, text=f"прописка {external_id}"))
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s, s.begin():
        await s.execute(
            update(User)
            .where(User.channel == channel, User.external_id == external_id)
            .values(last_seen_at=NOW - days_ago * DAY)
        )
        user_id = (
            await s.execute(select(User.id).where(User.channel == channel, User.external_id == external_id))
        ).scalar_one()
    return int(user_id)


async def _left(bot: Bot) -> set[str]:
    async with make_sessionmaker(bot.db)() as s:
        return set((await s.execute(select(User.external_id))).scalars())


async def _booking(bot: Bot, user_id: int, start: dt.datetime | None, code: str) -> None:
    async with make_sessionmaker(bot.db)() as s, s.begin():
        s.add(
            Booking(code=code, user_id=user_id, channel="telegram", kind="office", office="o", resource="r",
                    service="passport", start=start, place=1, status=BOOKED, phone="+380670000000",
                    created_at=NOW)
        )  # fmt: skip


async def test_citizens_and_web_sessions_past_their_retention_are_erased(bot: Bot) -> None:
    await _citizen(bot, "telegram", "old-tg", 181)
    await _citizen(bot, "viber", "old-viber", 400)
    await _citizen(bot, "telegram", "recent-tg", 179)
    await _citizen(bot, "web", "old-web", 31)
    await _citizen(bot, "web", "recent-web", 29)
    erased = await expire_citizens(bot.uow_factory, CITIZEN_RETENTION, WEB_SESSION_RETENTION, now=NOW)
    assert erased == 3
    assert await _left(bot) == {"recent-tg", "recent-web"}
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(func.count()).select_from(DialogState))).scalar_one() == 2
        lines = list((await s.execute(select(MessageLog.text))).scalars())
    assert lines and not any("old-" in line for line in lines)


async def test_what_is_still_ahead_keeps_a_citizen(bot: Bot) -> None:
    booked = await _citizen(bot, "telegram", "booked", 200)
    await _booking(bot, booked, NOW + 3 * DAY, "AAA-111")
    visit = await _citizen(bot, "telegram", "visit", 200)
    await _booking(bot, visit, None, "BBB-222")  # a home visit not yet scheduled
    past = await _citizen(bot, "telegram", "past", 200)
    await _booking(bot, past, NOW - 20 * DAY, "CCC-333")
    reminded = await _citizen(bot, "viber", "reminded", 200)
    async with make_sessionmaker(bot.db)() as s, s.begin():
        s.add(
            Reminder(user_id=reminded, channel="viber", kind="monthly", due_at=NOW + 10 * DAY, created_at=NOW)
        )
    held = await _citizen(bot, "web", "held", 60)
    async with make_sessionmaker(bot.db)() as s, s.begin():  # an operator holds the conversation
        s.add(Ticket(user_id=held, channel="web", status="open", mode="live", created_at=NOW,
                     last_activity_at=NOW, citizen_lines=1))  # fmt: skip

    assert await expire_citizens(bot.uow_factory, now=NOW) == 1
    assert await _left(bot) == {"booked", "visit", "reminded", "held"}
    async with make_sessionmaker(bot.db)() as s:
        kept = (await s.execute(select(Booking).where(Booking.code == "CCC-333"))).scalar_one()
    assert kept.user_id is None and kept.phone is None  # the past visit stays as an anonymous count


async def test_many_are_erased_in_batches(bot: Bot) -> None:
    for i in range(5):
        await _citizen(bot, "web", f"batch-{i}", 90)
    assert await expire_citizens(bot.uow_factory, now=NOW, batch=2) == 5
    assert await _left(bot) == set()


async def test_an_erased_citizen_who_writes_again_starts_afresh(bot: Bot) -> None:
    await _citizen(bot, "telegram", "returns", 365)
    await expire_citizens(bot.uow_factory, now=NOW)
    replies = await bot.engine.handle(Incoming("telegram", "returns", text="/start"))
    assert replies and await _left(bot) == {"returns"}


async def test_housekeeping_runs_it_daily(bot: Bot) -> None:
    scheduler = start_housekeeping(bot.uow_factory, dt.timedelta(days=30), 90 * DAY, 7 * DAY)
    try:
        job = scheduler.get_job("expire-citizens")
        assert job is not None and job.trigger.interval == DAY
        assert list(job.args)[1:] == [90 * DAY, 7 * DAY]
    finally:
        scheduler.shutdown(wait=False)
