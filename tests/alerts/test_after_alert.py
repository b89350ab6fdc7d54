"""After the all-clear, every citizen whose office appointment fell inside the alert is told once, on their
channel, with the Center's rule (keep the place until closing) and the nearest free times as buttons that move
the appointment; a priority citizen's times and move stay on priority places."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.alerts import Watch, all_clear
from bot.app import Bot
from dialogs.alerts.rules import State
from dialogs.booking.after_alert import notice, tell_after_alert
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from testkit.fake_alerts import SwitchedSource
from testkit.people import phone_for
from testkit.replies import payloads

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn (two windows, a held share)
MONDAY = "20261207"


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)




async def _press(engine: Engine, user: str, payload: str) -> list[Reply]:
    return await engine.handle(Incoming("web", user, payload=payload))


async def _book(bot: Bot, user: str, at: str, claim: str = "no") -> str:
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("web", user), phone_for("web", user), "sms")
    await _press(bot.engine, user, f"q:s:{SERVICE}")
    await _press(bot.engine, user, f"q:p:{claim}")
    replies = await _press(bot.engine, user, f"q:a:{at}")
    replies = await _press(bot.engine, user, payloads(replies, "q:ok:")[0])
    said = "\n".join(r.text for r in replies)
    assert "вас записано" in said, said
    async with bot.uow_factory() as uow:
        found = await uow.session.execute(select(Booking.code).where(Booking.status == "booked").order_by(
            Booking.id.desc()).limit(1))  # fmt: skip
        return str(found.scalar_one())


async def _outbox(bot: Bot) -> list[Outbox]:
    async with bot.uow_factory() as uow:
        return list((await uow.session.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def test_each_affected_citizen_is_told_once_and_a_button_moves_the_appointment(
    bot: Bot, clock: ManualClock
) -> None:
    first = await _book(bot, "first", f"{MONDAY}1000")
    vet = await _book(bot, "vet", f"{MONDAY}1030", claim="combatant")
    third = await _book(bot, "third", f"{MONDAY}1100")
    await _book(bot, "later", f"{MONDAY}1400")
    before = len(await _outbox(bot))
    source = SwitchedSource()
    watch = Watch(source, bot.uow_factory, clock, on_end=all_clear(bot))
    clock.advance(dt.datetime(2026, 12, 7, 7, 55, tzinfo=dt.UTC) - clock())  # Monday 09:55 Kyiv
    assert await watch.poll() is State.CALM
    source.on = True
    clock.advance(dt.timedelta(minutes=1))
    assert await watch.poll() is State.ACTIVE
    source.on = False
    clock.advance(dt.timedelta(minutes=90))  # the all-clear at 11:26
    assert await watch.poll() is State.CALM
    assert await watch.poll() is State.CALM
    rows = (await _outbox(bot))[before:]
    assert sorted(r.external_id for r in rows) == ["first", "third", "vet"]
    by = {r.external_id: r for r in rows}
    for user, code in (("first", first), ("vet", vet), ("third", third)):
        text = by[user].text
        assert "Повітряну тривогу скасовано" in text and code in text, text
        assert "Ваше місце за вами: прийдіть сьогодні до закриття без черги." in text, text
        buttons = [b["payload"] for row in by[user].buttons or [] for b in row]
        assert f"q:x:{code}" in buttons and any(p.startswith(f"q:at:{code}:") for p in buttons), buttons
    async with bot.uow_factory() as uow:
        periods = await uow.alerts.history()
        assert [p.affected for p in periods] == [3]
        again = await tell_after_alert(bot.booking, uow, periods[0], clock())  # type: ignore[arg-type]
    assert again.told == 0
    assert len(await _outbox(bot)) == before + 3  # told once, whoever asks again

    # The first citizen takes an offered time: a move of the same booking, confirmed.
    offered = [b["payload"] for row in by["first"].buttons or [] for b in row if b["payload"].startswith("q:at:")]
    replies = await _press(bot.engine, "first", offered[0])
    replies = await _press(bot.engine, "first", payloads(replies, "q:ok:")[0])
    assert "перенесено" in "\n".join(r.text for r in replies).lower()
    # The priority citizen's offered times include priority places and the move keeps priority.
    offered = [b["payload"] for row in by["vet"].buttons or [] for b in row if b["payload"].startswith("q:at:")]
    replies = await _press(bot.engine, "vet", offered[-1])
    replies = await _press(bot.engine, "vet", payloads(replies, "q:ok:")[0])
    async with bot.uow_factory() as uow:
        active = list((await uow.session.execute(select(Booking).where(Booking.status == "booked"))).scalars())
    mine = {b.code: b for b in active}
    assert first not in mine and vet not in mine and third in mine
    moved_vet = [b for b in active if b.priority_group == "combatant"]
    assert len(moved_vet) == 1 and moved_vet[0].priority
    # The statistics count the two moves as rebooked after the alert.
    async with bot.uow_factory() as uow:
        touching = await uow.alerts.touching(clock() - dt.timedelta(days=1), clock())
    assert [(a, t, r) for _, _, a, t, r in touching] == [(3, 3, 2)]


async def test_after_closing_the_place_is_not_kept_and_the_rule_can_cancel(bot: Bot, clock: ManualClock) -> None:
    code = await _book(bot, "late", f"{MONDAY}1600")
    assert bot.booking is not None
    async with bot.uow_factory() as uow:
        booking = (await uow.session.execute(select(Booking).where(Booking.code == code))).scalar_one()
    evening = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # 19:00 Kyiv: the office has closed
    said = notice(bot.booking, booking, evening - dt.timedelta(hours=2), kept=False, times=[]).text
    assert "вже не приймає" in said and "гарячій лінії" in said
    strict = bot.booking.data.model_copy(update={"after_alert": bot.booking.data.after_alert.model_copy(
        update={"keep_place": False})})  # fmt: skip
    bot.booking.data = strict
    reply = notice(bot.booking, booking, None, kept=False, times=[])
    assert "скасовано" in reply.text and not any(b.payload == f"q:x:{code}" for row in reply.buttons for b in row)
