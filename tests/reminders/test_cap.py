"""At most 20 pending reminders per citizen (issue 20: 40 sessions made 2,578 in 10 s): the 21st is refused
kindly with how to remove one, nothing is half-scheduled, and a booking's own reminders are never refused."""

from __future__ import annotations

import datetime as dt

from bot.app import Bot
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from dialogs.reminders.service import PENDING_LIMIT
from testkit.people import verify_citizen
from testkit.replies import payloads
from tests.reminders.conftest import NOW


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)



async def _press(engine: Engine, payload: str) -> list[Reply]:
    return await engine.handle(Incoming("telegram", "full", payload=payload))


async def _pending(bot: Bot) -> list[str]:
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", "full")
        return [r.kind for r in await uow.reminders.for_user(citizen.id)]


async def _fill(bot: Bot, n: int) -> None:
    """`n` pending «ready» reminders, as n taps of «Нагадати, коли буде готово» for n applications leave."""
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", "full")
        for i in range(n):
            uow.reminders.add(
                user_id=citizen.id,
                channel="telegram",
                kind="ready",
                due_at=NOW + dt.timedelta(days=10 + i),
                service="idp-living-allowance",
                target_day=(NOW + dt.timedelta(days=10 + i)).date(),
            )


async def test_the_twenty_first_reminder_is_refused_kindly_until_one_is_removed(
    bot: Bot, engine: Engine
) -> None:
    await _fill(bot, PENDING_LIMIT - 1)
    assert "нагадаю" in _text(await _press(engine, "h:rd:idp-living-allowance:20261228"))  # the 20th
    assert len(await _pending(bot)) == PENDING_LIMIT
    for payload in ("h:m:municipal-nanny", "h:rd:idp-living-allowance:20261221"):  # the 21st, two ways
        replies = await _press(engine, payload)
        assert "У вас уже 20 нагадувань" in _text(replies) and "Мої нагадування" in _text(replies)
        assert "h:my" in payloads(replies, "h:")
        assert len(await _pending(bot)) == PENDING_LIMIT  # nothing added
    listing = await _press(engine, "h:my")
    await _press(engine, payloads(listing, "h:x:")[0])  # remove one, as the refusal says
    assert "Щомісяця" in _text(await _press(engine, "h:m:municipal-nanny"))
    assert len(await _pending(bot)) == PENDING_LIMIT


async def test_a_life_events_deadlines_are_all_or_none(bot: Bot, engine: Engine) -> None:
    await _press(engine, "h:ed:birth:20261227")
    k = (await _pending(bot)).count("deadline")  # the reminders one life event schedules
    assert k >= 2
    await _press(engine, "h:xaa")
    await _fill(bot, PENDING_LIMIT - k + 1)  # room for all but one of them
    replies = await _press(engine, "h:ed:birth:20261227")
    assert "У вас уже 20 нагадувань" in _text(replies)
    assert (await _pending(bot)).count("deadline") == 0


async def test_a_bookings_own_reminders_are_kept_when_the_others_are_full(bot: Bot, engine: Engine) -> None:
    """Decided: an appointment is always reminded of (the per-person booking limits bound these)."""
    await verify_citizen(bot.uow_factory, "telegram", "full")
    await _fill(bot, PENDING_LIMIT)
    replies = await _press(engine, "q:s:kartka-kryvorizhtsia")
    replies = await _press(engine, "q:p:no")
    replies = await _press(engine, payloads(replies, "q:d:")[1])
    replies = await _press(engine, payloads(replies, "q:t:")[-1])
    replies = await _press(engine, payloads(replies, "q:ok:")[0])
    assert "вас записано" in _text(replies)
    assert (await _pending(bot)).count("appointment") == 2
