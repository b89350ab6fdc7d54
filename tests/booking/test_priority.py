"""Priority is claimed, then checked, through the real engine: the rule is said before the claim; staff refuse
the claim at the visit (`python -m bot booking mark … --priority refused`); the citizen's other priority
booking that has no general place left is cancelled, the notice on their channel offers the nearest general
times, and pressing one books it again as an ordinary booking."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select, update

from bot import staff
from bot.app import Bot
from dialogs.booking import texts
from dialogs.booking.priority import BLOCK
from dialogs.booking.service import BookingService
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from knowledge import Knowledge
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from testkit.replies import payloads

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
VISIT, OTHER = (
    "idp-living-allowance",
    "municipal-nanny",
)  # both booked at saksahan-uszn (2 windows, a held share)
PHONE = "+380501234567"


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)



async def _press(engine: Engine, user: str, payload: str) -> list[Reply]:
    return await engine.handle(Incoming("web", user, payload=payload))


async def _verified(bot: Bot, user: str, phone: str = PHONE) -> None:
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("web", user), phone, "sms")


async def _book(engine: Engine, user: str, service: str, *, claim: str, at: str | None = None) -> list[Reply]:
    """Service → priority answer → a day → a time (or `at`, «yyyymmddhhmm») → confirmed."""
    replies = await _press(engine, user, f"q:s:{service}")
    replies = await _press(engine, user, f"q:p:{claim}")
    if at is not None:
        replies = await _press(engine, user, f"q:a:{at}")
    else:
        replies = await _press(engine, user, payloads(replies, "q:d:")[0])
        replies = await _press(engine, user, payloads(replies, "q:t:")[0])
    return await _press(engine, user, payloads(replies, "q:ok:")[0])


async def _bookings(bot: Bot) -> list[Booking]:
    async with bot.uow_factory() as uow:
        return list((await uow.session.execute(select(Booking).order_by(Booking.id))).scalars())


async def test_the_priority_step_says_the_rule_before_the_claim(bot: Bot) -> None:
    await _verified(bot, "asks")
    replies = await _press(bot.engine, "asks", f"q:s:{VISIT}")
    said = "\n".join(r.text for r in replies)
    assert texts.PRIORITY_RULE in said and "перевірять під час візиту" in said
    assert f"{BLOCK.days} днів" in texts.PRIORITY_RULE  # the rule says what the code does
    assert "q:p:combatant" in payloads(replies)


async def test_a_refused_claim_cancels_a_held_place_and_the_offered_time_books_it_again(
    bot: Bot, clock: ManualClock, kb: Knowledge
) -> None:
    engine = bot.engine
    await _verified(bot, "vet")
    await _verified(bot, "ordinary", "+380671234567")
    # The visit: Monday's first time, claimed as a combatant.
    assert "вас записано" in "\n".join(r.text for r in await _book(engine, "vet", VISIT, claim="combatant"))
    # Another priority booking on Wednesday, on a place held for priority citizens: the ordinary citizen took
    # the slot's general place first.
    service = BookingService(kb, martial_law=bot.settings.martial_law)
    async with bot.uow_factory() as uow:
        times = await service.times(uow, "saksahan-uszn", OTHER, dt.date(2026, 12, 9), now=NOW, priority=True)
    held = next(s for s in times if s.held)
    at = f"{service.local(held.start):%Y%m%d%H%M}"
    await _book(engine, "ordinary", OTHER, claim="no", at=at)
    await _book(engine, "vet", OTHER, claim="combatant", at=at)
    async with bot.uow_factory() as uow:  # the person of the verified phone (the booking gate records it too)
        await uow.session.execute(
            update(Booking)
            .where(Booking.priority.is_(True), Booking.person.is_(None))
            .values(person=uow.people.key(PHONE))
        )
    visit, _, other = await _bookings(bot)
    assert visit.priority and other.priority and other.place in held.held and other.start == held.start

    later = (visit.start or NOW) + dt.timedelta(minutes=10)
    clock.advance(later - clock())
    out, err = io.StringIO(), io.StringIO()
    code = await staff.run(
        ["mark", visit.code, "arrived", "--priority", "refused", "--by", "Ірина", "--json"],
        bot.settings, kb=kb, clock=ManualClock(later), out=out, err=err,
    )  # fmt: skip
    assert code == 0, err.getvalue()
    assert json.loads(out.getvalue())["cancelled"] == [other.code]

    async with bot.uow_factory() as uow:
        (notice,) = list((await uow.session.execute(select(Outbox))).scalars())
        assert await uow.people.blocked_until(uow.people.key(PHONE)) == later + BLOCK
    assert (notice.channel, notice.external_id) == ("web", "vet")
    assert other.code in notice.text and "скасовано" in notice.text
    offered = [b["payload"] for row in notice.buttons or [] for b in row]
    assert offered and all(p.startswith(f"q:at:{other.code}:") for p in offered)

    # The citizen presses the first time offered: the summary to confirm, then an ordinary booking.
    replies = await _press(engine, "vet", offered[0])
    assert "підтвердіть запис" in replies[0].text and "🎖" not in replies[0].text
    replies = await _press(engine, "vet", payloads(replies, "q:ok:")[0])
    assert "вас записано" in replies[0].text
    again = (await _bookings(bot))[-1]
    assert again.status == "booked" and not again.priority and again.service == OTHER
    assert again.start is not None
    assert f"{service.local(again.start):%Y%m%d%H%M}" == offered[0].rsplit(":", 1)[1]

    # Someone else's code, or a forged time, in that button: a stale button.
    stale = await _press(engine, "ordinary", offered[0])
    assert "неактуальна" in stale[0].text
    stale = await _press(engine, "vet", f"q:at:{other.code}:000101010000")
    assert "неактуальна" in stale[0].text
