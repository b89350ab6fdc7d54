"""While an air-raid alert is on: the alert's line before every answer about the offices' hours and whereabouts
and before the booking steps about today (nothing else changes), and the appointments' reminders wait for the
all-clear, then say why they come late."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.alerts import Watch, holding
from bot.app import Bot
from bot.reminders import Dispatcher, render_with
from dialogs.alerts.banner import BANNER
from dialogs.alerts.rules import State
from dialogs.messages import Incoming, Reply
from dialogs.reminders import texts as reminder_texts
from storage.clock import ManualClock
from testkit.fake_alerts import SwitchedSource
from testkit.people import phone_for
from testkit.replies import payloads

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)



async def _say(
    bot: Bot, user: str, text: str | None = None, payload: str | None = None, channel: str = "web"
) -> list[Reply]:
    return await bot.engine.handle(Incoming(channel, user, text=text, payload=payload))


def _first(replies: list[Reply]) -> str:
    return replies[0].text if replies else ""



async def test_the_line_comes_before_answers_about_the_offices_and_today_only_during_the_alert(
    bot: Bot, clock: ManualClock
) -> None:
    source = SwitchedSource()
    assert bot.alerts is not None
    watch = Watch(source, bot.uow_factory, clock, seen=bot.alerts.clear)
    await watch.poll()
    assert BANNER not in _first(await _say(bot, "a", "до котрої ви працюєте"))
    source.on = True
    assert await watch.poll() is State.ACTIVE
    hours = _first(await _say(bot, "a", "до котрої ви працюєте"))
    assert hours.startswith(BANNER), hours
    assert _first(await _say(bot, "b", "де ви знаходитесь")).startswith(BANNER)
    assert BANNER not in _first(await _say(bot, "c", "які документи потрібні на паспорт"))
    # The booking: today's times carry the line, another day's do not.
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("web", "d"), phone_for("web", "d"), "sms")
    await _say(bot, "d", payload=f"q:s:{SERVICE}")
    await _say(bot, "d", payload="q:p:no")
    today = await _say(bot, "d", payload="q:d:20261204")
    assert _first(today).startswith(BANNER), _first(today)
    monday = await _say(bot, "d", payload="q:d:20261207")
    assert BANNER not in "\n".join(r.text for r in monday)
    # The all-clear: the line goes at once in this process.
    source.on = False
    clock.advance(dt.timedelta(minutes=1))
    await watch.poll()
    assert BANNER not in _first(await _say(bot, "a", "до котрої ви працюєте"))


async def test_an_appointment_reminder_waits_for_the_all_clear_and_says_why_it_is_late(
    bot: Bot, clock: ManualClock
) -> None:
    assert bot.alerts is not None and bot.reminders is not None
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("telegram", "e"), phone_for("telegram", "e"), "sms")
    await _say(bot, "e", payload=f"q:s:{SERVICE}", channel="telegram")
    await _say(bot, "e", payload="q:p:no", channel="telegram")
    replies = await _say(bot, "e", payload="q:a:202612071400", channel="telegram")
    assert "вас записано" in "\n".join(r.text for r in await _say(bot, "e", payload=payloads(replies, "q:ok:")[0], channel="telegram"))
    sent: list[tuple[str, str]] = []

    async def send(external_id: str, reply: Reply) -> bool:
        sent.append((external_id, reply.text))
        return True

    dispatcher = Dispatcher(bot.uow_factory, {"telegram": send}, render_with(bot.uow_factory, bot.reminders),
                            clock=clock, held=holding(bot.uow_factory, bot.alerts))  # fmt: skip
    source = SwitchedSource()
    watch = Watch(source, bot.uow_factory, clock, seen=bot.alerts.clear)
    clock.advance(dt.datetime(2026, 12, 7, 9, 50, tzinfo=dt.UTC) - clock())  # Monday 11:50 Kyiv
    await dispatcher.tick()  # the evening reminder (Sunday) went late: missed, the two-hour one says it
    before = list(sent)
    source.on = True
    await watch.poll()
    clock.advance(dt.timedelta(minutes=15))  # 12:05: the two-hour reminder is due, the siren is on
    await watch.poll()  # the poller asks every 30 s; a state nobody confirmed for 5 minutes is «unknown»
    await dispatcher.tick()
    assert sent == before
    async with bot.uow_factory() as uow:
        waiting = [r for r in await uow.reminders.listing("pending") if r.kind == "appointment"]
    assert len(waiting) == 1  # it is there, waiting
    source.on = False
    clock.advance(dt.timedelta(minutes=20))  # the all-clear at 12:25
    await watch.poll()
    await dispatcher.tick()
    late = sent[len(before):]
    assert len(late) == 1 and late[0][1].startswith(reminder_texts.LATE_FOR_ALERT), late
    assert "14:00" in late[0][1]
    await dispatcher.tick()
    assert len(sent) == len(before) + 1  # once
