"""The booking conversation through the real engine and database, with an injected clock: double taps, the
many-citizens race for one place, rescheduling, forged and stale buttons, limits, closures, personal data."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from bot.app import Bot
from dialogs.booking.flow import BookingRoom
from dialogs.booking.rules import bookable_places, day_slots
from dialogs.booking.service import BookingService
from dialogs.calendar import WorkCalendar
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from storage.booking import Booking
from storage.clock import ManualClock
from storage.db import make_sessionmaker
from storage.models import MessageLog
from testkit.people import verify_citizen

# Friday 4 December 2026, 09:00 in Kyiv: the next working days are in view, none a holiday.
NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn (2 windows, a share held for priority citizens)


@pytest.fixture()
def clock() -> ManualClock:
    """Overrides the shared clock: the `bot` fixture and this module's engine run on it."""
    return ManualClock(NOW)


@pytest.fixture()
def engine(bot: Bot, clock: ManualClock) -> Engine:
    e = bot.engine
    service = BookingService(e.kb, martial_law=True)
    return Engine(
        e.kb, e.index, e.scenarios, bot.uow_factory, clock=clock, rooms=[BookingRoom(e.kb, service)]
    )


def _buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [(b.text, b.payload or "") for r in replies for row in r.buttons for b in row]


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def _press(engine: Engine, user: str, payload: str) -> list[Reply]:
    """A press of a citizen whose phone is verified (seeded: this module is not about verifying)."""
    await verify_citizen(engine._uow, "web", user)
    return await engine.handle(Incoming("web", user, payload=payload))


async def _to_confirm(engine: Engine, user: str, *, day: str | None = None, time: str | None = None) -> str:
    """Walk to the summary; the payload of «Підтвердити»."""
    replies = await _press(engine, user, f"q:s:{SERVICE}")
    if any(p == "q:p:no" for _, p in _buttons(replies)):
        replies = await _press(engine, user, "q:p:no")
    days = [p for _, p in _buttons(replies) if p.startswith("q:d:")]
    replies = await _press(engine, user, day or days[0])
    times = [p for _, p in _buttons(replies) if p.startswith("q:t:")]
    replies = await _press(engine, user, time or times[0])
    return next(p for _, p in _buttons(replies) if p.startswith("q:ok:"))


async def _count(bot: Bot, status: str = "booked") -> int:
    async with make_sessionmaker(bot.db)() as s:
        return int(
            (
                await s.execute(select(func.count()).select_from(Booking).where(Booking.status == status))
            ).scalar_one()
        )


async def test_a_double_tap_books_once(bot: Bot, engine: Engine) -> None:
    ok = await _to_confirm(engine, "tap")
    first, second = await asyncio.gather(_press(engine, "tap", ok), _press(engine, "tap", ok))
    codes = {m.group(1) for r in (first, second) if (m := re.search(r"Код запису: \*\*(\S+)\*\*", _text(r)))}
    assert len(codes) == 1 and await _count(bot) == 1
    later = await _press(engine, "tap", ok)  # the same button days later: the same booking, not a new one
    assert codes.pop() in _text(later) and await _count(bot) == 1


async def test_many_citizens_confirming_one_place_get_exactly_its_places(bot: Bot, engine: Engine) -> None:
    """Every citizen reaches the summary of the very same slot (the first free one), then all confirm at once."""
    summaries = [await _to_confirm(engine, f"c{i}") for i in range(200)]
    results = await asyncio.gather(*(_press(engine, f"c{i}", ok) for i, ok in enumerate(summaries)))
    booked = [r for r in results if "вас записано" in _text(r)]
    # the places of that slot an ordinary citizen may take now (the held ones are for priority citizens)
    room = next(iter(engine.rooms))
    assert isinstance(room, BookingRoom)
    resource = room.booking.resource("saksahan-uszn", SERVICE)
    assert resource is not None
    async with bot.uow_factory() as uow:
        days = await room.booking.days(uow, "saksahan-uszn", SERVICE, now=NOW, priority=False)
    calendar = WorkCalendar(holidays_are_days_off=False)
    slots = day_slots(room.booking.data, resource, days[0], martial_law=True, calendar=calendar)
    first = next(
        s for s in slots if bookable_places(s, set(), NOW, priority=False, release=room.booking.release)
    )
    expected = len(bookable_places(first, set(), NOW, priority=False, release=room.booking.release))
    assert len(booked) == expected == await _count(bot)
    for r in results:
        if r not in booked:
            assert "щойно зайняли" in _text(r) and "Найближчий вільний час" in _text(r)
            assert any(p.startswith("q:a:") for _, p in _buttons(r))


async def test_rescheduling_keeps_the_old_booking_until_the_new_one_is_confirmed(
    bot: Bot, engine: Engine
) -> None:
    await _press(engine, "mv", await _to_confirm(engine, "mv"))
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "mv")
        (old,) = await uow.bookings.active_for(user.id)
    replies = await _press(engine, "mv", f"q:r:{old.code}")
    days = [p for _, p in _buttons(replies) if p.startswith("q:d:")]
    replies = await _press(engine, "mv", days[1])
    times = [p for _, p in _buttons(replies) if p.startswith("q:t:")]
    replies = await _press(engine, "mv", times[-1])
    assert await _count(bot) == 1  # not yet confirmed: the old booking stands
    ok = next(p for _, p in _buttons(replies) if p.startswith("q:ok:"))
    assert "перенесено" in _text(await _press(engine, "mv", ok))
    async with bot.uow_factory() as uow:
        (new,) = await uow.bookings.active_for(user.id)
        again = await uow.bookings.by_code(old.code)
    assert new.code != old.code and again is not None and again.status == "cancelled" and again.place is None


@pytest.mark.parametrize(
    "payload",
    [
        "q:t:0930",
        "q:d:20261399",
        "q:a:999999999999",
        "q:ok:forged",
        "q:p:admiral",
        "q:o:nowhere",
        "q:zz:1:2",
        "q:xx:ZZZ-ZZZ",
    ],
)
async def test_forged_and_stale_booking_buttons_are_answered_kindly(
    bot: Bot, engine: Engine, payload: str
) -> None:
    replies = await _press(engine, "forger", payload)
    assert replies and ("неактуальна" in _text(replies) or "немає" in _text(replies))
    assert await _count(bot) == 0


async def test_someone_elses_booking_cannot_be_cancelled(bot: Bot, engine: Engine) -> None:
    await _press(engine, "owner", await _to_confirm(engine, "owner"))
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "owner")
        (booking,) = await uow.bookings.active_for(user.id)
    replies = await _press(engine, "thief", f"q:xx:{booking.code}")
    assert "немає" in _text(replies) and await _count(bot) == 1


async def test_a_confirmation_after_forget_books_nothing(bot: Bot, engine: Engine) -> None:
    ok = await _to_confirm(engine, "gone")
    await _press(engine, "gone", "f:yes")
    replies = await _press(engine, "gone", ok)
    assert "неактуальна" in _text(replies) and await _count(bot) == 0


async def test_the_monthly_limit_counts_cancelled_bookings(bot: Bot, engine: Engine) -> None:
    for _ in range(4):
        await _press(engine, "q4", await _to_confirm(engine, "q4"))
        async with bot.uow_factory() as uow:
            user, _ = await uow.users.with_state("web", "q4")
            (b,) = await uow.bookings.active_for(user.id)
        await _press(engine, "q4", f"q:xx:{b.code}")
    replies = await _press(engine, "q4", await _to_confirm(engine, "q4"))
    assert "не більше 4 разів на місяць" in _text(replies)


async def test_a_time_within_the_lead_time_is_neither_offered_nor_booked(
    engine: Engine, clock: ManualClock
) -> None:
    clock.now = dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)  # Monday 08:30 Kyiv
    ok = await _to_confirm(engine, "soon")
    assert ok
    replies = await _press(engine, "soon", f"q:s:{SERVICE}")
    replies = await _press(engine, "soon", "q:p:no")
    replies = await _press(engine, "soon", "q:d:20261207")
    times = [t for t, _ in _buttons(replies) if t.startswith("🕘")]
    assert times and all(t >= "🕘 09:30" for t in times)
    replies = await _press(engine, "soon", "q:a:202612070900")
    assert "не пізніше ніж за годину" in _text(
        await _press(engine, "soon", next(p for _, p in _buttons(replies) if p.startswith("q:ok:")))
    )


async def test_a_closed_day_refuses_and_offers_other_times(bot: Bot, engine: Engine) -> None:
    ok = await _to_confirm(engine, "late", day="q:d:20261207")
    room = next(iter(engine.rooms))
    assert isinstance(room, BookingRoom)
    async with bot.uow_factory() as uow:
        await room.booking.close_day(uow, "saksahan-uszn", dt.date(2026, 12, 7), "ремонт", NOW)
    replies = await _press(engine, "late", ok)
    assert "цього часу вже немає" in _text(replies) and await _count(bot) == 0
    assert not any("07.12" in t for t, _ in _buttons(replies))


async def test_a_typed_address_and_the_verified_phone_are_never_logged(bot: Bot, engine: Engine) -> None:
    await verify_citizen(bot.uow_factory, "web", "visit", "380677654321")
    await _press(engine, "visit", f"v:{SERVICE}")
    await _press(engine, "visit", "q:v")
    await _press(engine, "visit", "q:vy")
    replies = await engine.handle(Incoming("web", "visit", text="вул. Тиха, 7, кв. 3"))
    # no phone step: the Center calls the verified number, shown masked (the message log keeps replies)
    assert "Заявку прийнято" in _text(replies) and "+380 67 ••• •• 21" in _text(replies)
    await bot.uow_factory.write_log()
    async with make_sessionmaker(bot.db)() as s:
        lines = (await s.execute(select(MessageLog.text))).scalars().all()
    assert not any("Тиха" in line or "765" in line for line in lines)
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "visit")
        (request,) = await uow.bookings.active_for(user.id)
    assert request.phone == "+380677654321" and request.address == "вул. Тиха, 7, кв. 3"
    await _press(engine, "visit", "f:yes")  # /forget: the request stays for the Center's counts, anonymous
    async with bot.uow_factory() as uow:
        kept = await uow.bookings.by_code(request.code)
    assert kept is not None and kept.phone is None and kept.address is None and kept.user_id is None


async def _booked_code(bot: Bot, user: str) -> str:
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("web", user)
        (booking,) = await uow.bookings.active_for(citizen.id)
        return booking.code


async def test_an_old_confirmation_of_a_cancelled_booking_says_so(bot: Bot, engine: Engine) -> None:
    ok = await _to_confirm(engine, "old")
    await _press(engine, "old", ok)
    code = await _booked_code(bot, "old")
    await _press(engine, "old", f"q:xx:{code}")
    replies = await _press(engine, "old", ok)
    assert "уже скасовано або перенесено" in _text(replies) and "вас записано" not in _text(replies)


@pytest.mark.parametrize(
    "moment",
    [
        "202612052300",  # Saturday night: no office hours
        "202612071230",  # the break
        "202612070803",  # not a slot start
        "202612251000",  # past the 14-day horizon
    ],
)
async def test_a_forged_time_is_never_booked(bot: Bot, engine: Engine, moment: str) -> None:
    await _to_confirm(engine, "forge")
    replies = await _press(engine, "forge", f"q:a:{moment}")
    ok = [p for _, p in _buttons(replies) if p.startswith("q:ok:")]
    if ok:
        replies = await _press(engine, "forge", ok[0])
    assert "вас записано" not in _text(replies) and await _count(bot) == 0


async def test_a_held_place_is_not_given_to_an_ordinary_citizen_before_its_release(
    bot: Bot, engine: Engine
) -> None:
    """Fill every ordinary place of a slot; the held one stays for a priority citizen."""
    room = next(iter(engine.rooms))
    assert isinstance(room, BookingRoom)
    resource = room.booking.resource("saksahan-uszn", SERVICE)
    assert resource is not None
    calendar = WorkCalendar(holidays_are_days_off=False)
    slots = day_slots(room.booking.data, resource, dt.date(2026, 12, 9), martial_law=True, calendar=calendar)
    held = next(s for s in slots if s.held)
    moment = f"{held.start.astimezone(room.booking.tz):%Y%m%d%H%M}"
    ordinary = len(bookable_places(held, set(), NOW, priority=False, release=room.booking.release))
    for i in range(ordinary + 1):
        await _to_confirm(engine, f"o{i}")
        replies = await _press(engine, f"o{i}", f"q:a:{moment}")
        await _press(engine, f"o{i}", next(p for _, p in _buttons(replies) if p.startswith("q:ok:")))
    assert await _count(bot) == ordinary  # the last ordinary citizen was refused
    await _press(engine, "vet", f"q:s:{SERVICE}")
    await _press(engine, "vet", "q:p:combatant")
    replies = await _press(engine, "vet", f"q:a:{moment}")
    replies = await _press(engine, "vet", next(p for _, p in _buttons(replies) if p.startswith("q:ok:")))
    assert "вас записано" in _text(replies) and await _count(bot) == ordinary + 1


async def test_forget_cancels_upcoming_bookings_and_frees_their_places(bot: Bot, engine: Engine) -> None:
    await _press(engine, "leaver", await _to_confirm(engine, "leaver"))
    await _press(engine, "leaver", "f:yes")
    assert await _count(bot) == 0 and await _count(bot, "cancelled") == 1
    async with make_sessionmaker(bot.db)() as s:
        row = (await s.execute(select(Booking))).scalar_one()
    assert row.user_id is None and row.place is None


async def test_a_closed_day_gives_the_monthly_count_back(bot: Bot, engine: Engine) -> None:
    room = next(iter(engine.rooms))
    assert isinstance(room, BookingRoom)
    for _ in range(4):
        await _press(engine, "fourth", await _to_confirm(engine, "fourth", day="q:d:20261207"))
        code = await _booked_code(bot, "fourth")
        async with bot.uow_factory() as uow:
            await room.booking.close_day(uow, "saksahan-uszn", dt.date(2026, 12, 7), "ремонт", NOW)
        async with bot.uow_factory() as uow:
            booking = await uow.bookings.by_code(code)
        assert booking is not None and booking.status == "cancelled"
        async with bot.uow_factory() as uow:  # reopen the day for the next round (staff closures are rows)
            await uow.session.execute(__import__("sqlalchemy").text("DELETE FROM closures"))
    replies = await _press(engine, "fourth", await _to_confirm(engine, "fourth"))
    assert "вас записано" in _text(replies)


async def test_a_past_booking_cannot_be_cancelled_by_the_citizen(
    bot: Bot, engine: Engine, clock: ManualClock
) -> None:
    await _press(engine, "past", await _to_confirm(engine, "past"))
    code = await _booked_code(bot, "past")
    clock.now = NOW + dt.timedelta(days=20)
    replies = await _press(engine, "past", f"q:xx:{code}")
    assert "немає" in _text(replies) and await _count(bot) == 1


async def test_every_time_of_a_long_tuesday_is_reachable(bot: Bot, clock: ManualClock) -> None:
    """Normal regime: Tuesday 08:00–20:00 has more times than one keyboard shows; the pages reach them all."""
    e = bot.engine
    service = BookingService(e.kb, martial_law=False)
    engine = Engine(
        e.kb,
        e.index,
        e.scenarios,
        bot.uow_factory,
        clock=clock,
        martial_law=False,
        rooms=[BookingRoom(e.kb, service)],
    )
    await _press(engine, "tue", f"q:s:{SERVICE}")
    await _press(engine, "tue", "q:p:no")
    replies = await _press(engine, "tue", "q:d:20261208")
    seen: list[str] = []
    for _ in range(5):
        seen += [t for t, _ in _buttons(replies) if t.startswith("🕘")]
        later = [p for _, p in _buttons(replies) if p.startswith("q:dl:")]
        if not later:
            break
        replies = await _press(engine, "tue", later[0])
    assert "🕘 19:45" in seen and len(seen) == len(set(seen))


async def test_a_callback_goes_only_to_the_verified_number(bot: Bot, engine: Engine) -> None:
    """Once a phone is verified the callback asks for no number: a contact shared at the consent is not taken,
    the «yes» books the call to the verified number."""
    await verify_citizen(bot.uow_factory, "web", "cb", "380501234567")
    await _press(engine, "cb", "q:cb")
    replies = await _press(
        engine, "cb", next(p for _, p in _buttons(await _press(engine, "cb", "q:cb")) if p.startswith("q:d:"))
    )
    replies = await _press(engine, "cb", next(p for _, p in _buttons(replies) if p.startswith("q:t:")))
    assert "підтверджений номер" in _text(replies)
    await engine.handle(Incoming("web", "cb", contact_shared=True, phone="4915112345678"))
    replies = await _press(engine, "cb", "q:cy")
    assert "Передзвонимо на +380 50 ••• •• 67" in _text(replies)
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(Booking.phone))).scalars().all() == ["+380501234567"]


async def test_an_unverified_citizen_is_not_booked_without_a_way_to_verify(bot: Bot, engine: Engine) -> None:
    """This engine has no verify room: an office booking, a callback and a home visit are refused kindly."""
    for payload in (f"q:s:{SERVICE}", "q:cb", "q:v"):
        replies = await engine.handle(Incoming("web", "anon", payload=payload))
        assert "лише з підтвердженим номером" in _text(replies) and "0 800 500 459" in _text(replies)
        assert not any(p.startswith(("q:d:", "q:o:", "q:p:", "q:vy")) for _, p in _buttons(replies))


async def test_a_callbacks_phone_is_forgotten_once_the_call_is_over(bot: Bot, engine: Engine) -> None:
    from bot.maintenance import purge_expired

    await verify_citizen(bot.uow_factory, "web", "ph", "380671112233")
    replies = await _press(engine, "ph", "q:cb")
    replies = await _press(engine, "ph", next(p for _, p in _buttons(replies) if p.startswith("q:d:")))
    replies = await _press(engine, "ph", next(p for _, p in _buttons(replies) if p.startswith("q:t:")))
    assert "Код заявки" in _text(await _press(engine, "ph", "q:cy"))
    async with make_sessionmaker(bot.db)() as s:
        row = (await s.execute(select(Booking))).scalar_one()
    assert row.phone == "+380671112233"
    await purge_expired(bot.uow_factory, dt.timedelta(days=30))  # the call (in the future) is not over yet
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(Booking.phone))).scalar_one() == "+380671112233"
        await s.execute(
            __import__("sqlalchemy").update(Booking).values(start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        )
        await s.commit()
    await purge_expired(bot.uow_factory, dt.timedelta(days=30))
    async with make_sessionmaker(bot.db)() as s:
        assert (await s.execute(select(Booking.phone))).scalar_one() is None


async def test_days_and_times_stay_within_the_horizon(bot: Bot, engine: Engine) -> None:
    """Every day offered, page after page, is within the 14 days counting today (4–17 December); a forged day
    after them shows no times."""
    replies = await _press(engine, "far", f"q:s:{SERVICE}")
    replies = await _press(engine, "far", "q:p:no")
    offered: list[str] = []
    while True:
        offered += [p.removeprefix("q:d:") for _, p in _buttons(replies) if p.startswith("q:d:")]
        later = [p for _, p in _buttons(replies) if p.startswith("q:dp:")]
        if not later:
            break
        replies = await _press(engine, "far", later[0])
    assert offered and max(offered) == "20261217" and min(offered) >= "20261204"
    for day in ("20261218", "20261225"):
        replies = await _press(engine, "far", f"q:d:{day}")
        assert not [p for _, p in _buttons(replies) if p.startswith("q:t:")]
