"""A closed day's notice offers the nearest free times as buttons: pressing one books that time again (after a
confirmation) on the same kind of place — a priority citizen's stays priority — and at the office the notice
named when the booking's own office is closed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import Bot
from dialogs.booking.notices import close_day_and_notify
from dialogs.messages import Incoming, Reply
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from testkit.people import phone_for
from testkit.replies import payloads

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE, OFFICE = "idp-living-allowance", "saksahan-uszn"


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)



async def _press(bot: Bot, user: str, payload: str) -> list[Reply]:
    return await bot.engine.handle(Incoming("telegram", user, payload=payload))


async def _book(bot: Bot, user: str, at: str, claim: str) -> None:
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("telegram", user), phone_for("telegram", user), "sms")
    await _press(bot, user, f"q:s:{SERVICE}")
    await _press(bot, user, f"q:p:{claim}")
    replies = await _press(bot, user, f"q:a:{at}")
    assert "вас записано" in "\n".join(r.text for r in await _press(bot, user, payloads(replies, "q:ok:")[0]))


async def test_a_time_button_of_a_closure_notice_books_it_and_priority_stays(bot: Bot, clock: ManualClock) -> None:
    await _book(bot, "vet", "202612071000", "combatant")
    await _book(bot, "plain", "202612071030", "no")
    assert bot.booking is not None
    async with bot.uow_factory() as uow:
        closed = await close_day_and_notify(bot.booking, uow, OFFICE, dt.date(2026, 12, 7), "технічні роботи",
                                            clock())  # fmt: skip
    assert closed.notified == 2
    async with bot.uow_factory() as uow:
        notices = {n.external_id: n for n in (await uow.session.execute(select(Outbox))).scalars()}
    for user, group in (("vet", "combatant"), ("plain", None)):
        times = [b["payload"] for row in notices[user].buttons or [] for b in row if b["payload"].startswith("q:at:")]
        assert len(times) == 3, notices[user].buttons
        replies = await _press(bot, user, times[0])
        confirm = payloads(replies, "q:ok:")
        assert confirm, [r.text for r in replies]
        said = "\n".join(r.text for r in await _press(bot, user, confirm[0]))
        assert "вас записано" in said, said
        async with bot.uow_factory() as uow:
            user_id = (await uow.users.get_or_create("telegram", user)).id
            active = list((await uow.session.execute(
                select(Booking).where(Booking.user_id == user_id, Booking.status == "booked"))).scalars())  # fmt: skip
        assert len(active) == 1 and active[0].office == OFFICE
        assert active[0].priority_group == group and active[0].priority is (group is not None)
        assert active[0].start is not None and active[0].start.astimezone(bot.booking.tz).date() != dt.date(2026, 12, 7)
