"""An office whose status the Center must confirm (issue 22): the bot says plainly that the information is
being confirmed and gives the hotline, and offers no booking there, as at a closed office; the data marks the
damaged main office and «Я-Ветеран» so (knowledge/data/booking.yaml, with the evidence of 22.12.2025)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import Bot
from dialogs import offices
from dialogs.booking.offices import change, first_import
from dialogs.booking.service import BookingService, new_token
from dialogs.console import rules
from dialogs.messages import Incoming, Reply
from dialogs.texts import HOTLINE
from handlers.web.staff.offices import STATUS_UA
from knowledge.loader import Knowledge
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from storage.staff import OfficeState
from testkit.people import verify_citizen

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # Monday 10:00 in Kyiv
FAMILY = "👶 Народження і сім'я"
BIRTH = "drs-birth-registration"  # its card names no office: booked at the main office only


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


async def _say(bot: Bot, user: str, *, text: str | None = None, payload: str | None = None) -> list[Reply]:
    await verify_citizen(bot.engine._uow, "web", user)
    return await bot.engine.handle(Incoming("web", user, text=text, payload=payload))


def _button(replies: list[Reply], text: str) -> str:
    found = [b.payload for r in replies for row in r.buttons for b in row if b.text == text and b.payload]
    assert found, [[b.text for b in row] for r in replies for row in r.buttons]
    return found[0]


async def _family_services(bot: Bot, user: str) -> list[str]:
    """The services offered for booking in the «Народження і сім'я» group, by their buttons."""
    groups = await _say(bot, user, text="записатися на прийом")
    listed = await _say(bot, user, payload=_button(groups, FAMILY))
    return [b.text for r in listed for row in r.buttons for b in row]


def test_the_data_marks_the_damaged_offices_unconfirmed(kb: Knowledge) -> None:
    assert kb.booking is not None
    status = {o.office: o.status for o in kb.booking.offices}
    assert status == {"visa-main": "unconfirmed", "saksahan-uszn": "open", "ya-veteran": "unconfirmed"}


def test_the_hotline_said_is_the_knowledge_s_cited_hotline(kb: Knowledge) -> None:
    visa = next(h for h in kb.contacts.hotlines if h.id == "visa")
    assert visa.phone == HOTLINE and visa.source.title  # contacts.yaml, with its source (the 2023 report)
    assert HOTLINE in offices.CONFIRMING and HOTLINE in offices.CONFIRMING_HOURS


async def test_an_unconfirmed_office_says_so_with_the_hotline_and_is_not_booked(
    bot: Bot, kb: Knowledge
) -> None:
    async with bot.uow_factory() as uow:
        assert await first_import(uow, kb) == 3
    hours = "\n".join(r.text for r in await _say(bot, "u1", text="коли працює головний офіс"))
    assert "Головний офіс" in hours and "зараз уточнюють" in hours and HOTLINE in hours
    assert "08:00" not in hours and "орієнтовний" not in hours  # no assumed hours told as if they held
    where = "\n".join(r.text for r in await _say(bot, "u1", text="де ви знаходитесь"))
    assert offices.CONFIRMING in where
    birth = bot.engine.kb.services[BIRTH].short_title
    assert birth not in await _family_services(bot, "u1")  # booking is not offered at the unconfirmed office

    async with bot.uow_factory() as uow:  # the Center confirms the main office: booking is offered again
        row = await uow.offices.get("visa-main")
        assert isinstance(row, OfficeState) and row.status == "unconfirmed"
        assert row.address == "пл. Молодіжна, 1"
        row.status = "open"
        await uow.offices.put(row)
    assert birth in await _family_services(bot, "u2")
    hours = "\n".join(r.text for r in await _say(bot, "u2", text="коли працює головний офіс"))
    assert "зараз уточнюють" not in hours and "08:00" in hours


def test_staff_may_set_an_office_unconfirmed_without_a_note() -> None:
    current = offices.OfficeView("visa-main", "open", None, "пл. Молодіжна, 1", None)
    after = rules.office_patch({"status": "unconfirmed"}, current)
    assert after.status == "unconfirmed" and not after.bookable and current.bookable
    assert STATUS_UA["unconfirmed"] == "уточнюється"
    with pytest.raises(rules.Invalid):
        rules.office_patch({"status": "maybe"}, current)


async def test_setting_an_office_unconfirmed_cancels_its_bookings_and_says_why(
    bot: Bot, kb: Knowledge
) -> None:
    """As closing does (dialogs/booking/offices.py): the citizen is told the office is being confirmed."""
    service = BookingService(kb, martial_law=True)
    async with bot.uow_factory() as uow:
        await first_import(uow, kb)
        row = await uow.offices.get("visa-main")
        assert row is not None
        row.status = "open"  # confirmed, then booked
        await uow.offices.put(row)
    async with bot.uow_factory() as uow:
        user = await uow.users.get_or_create("web", "booked")
        await uow.people.verify(user, "+380671112233", "sms")
        now = uow.clock()
        times = await service.times(uow, "visa-main", BIRTH, dt.date(2026, 12, 8), now=now, priority=False)
        booked = await service.book(uow, user, office="visa-main", service=BIRTH, start=times[0].start,
                                    priority_group=None, token=new_token(), now=now)  # fmt: skip
    assert isinstance(booked, Booking)
    async with bot.uow_factory() as uow:
        changed = await change(uow, service, "visa-main", {"status": "unconfirmed"}, "roman")
    assert changed is not None and [b.code for b in changed.affected] == [booked.code]
    assert changed.notified == 1 and not changed.office.bookable
    async with bot.uow_factory() as uow:
        notices = list(await uow.session.scalars(select(Outbox).where(Outbox.external_id == "booked")))
    assert any(offices.CONFIRMING in n.text and booked.code in n.text for n in notices)


async def test_closing_an_office_at_noon_keeps_the_morning_s_bookings_to_be_marked(
    bot: Bot, kb: Knowledge, clock: ManualClock
) -> None:
    """Closing today cancels (and tells) only the bookings still ahead; a morning visit stays, to be marked:
    that citizen came or did not, and a notice of a cancelled past visit would be nonsense."""
    service = BookingService(kb, martial_law=True)
    async with bot.uow_factory() as uow:
        await first_import(uow, kb)
        row = await uow.offices.get("visa-main")
        assert row is not None
        row.status = "open"
        await uow.offices.put(row)
    booked: list[Booking] = []
    for user_id, pick in (("morning", 0), ("afternoon", -1)):  # today's first and last free times
        async with bot.uow_factory() as uow:
            user = await uow.users.get_or_create("web", user_id)
            await uow.people.verify(user, f"+38067111223{len(booked)}", "sms")
            times = await service.times(uow, "visa-main", BIRTH, NOW.date(), now=NOW, priority=False)
            made = await service.book(uow, user, office="visa-main", service=BIRTH, start=times[pick].start,
                                      priority_group=None, token=new_token(), now=NOW)  # fmt: skip
        assert isinstance(made, Booking)
        booked.append(made)
    morning, afternoon = booked
    clock.advance(morning.start - NOW + dt.timedelta(hours=1))  # an hour after the morning visit
    async with bot.uow_factory() as uow:
        changed = await change(uow, service, "visa-main", {"status": "closed", "note": "Ремонт"}, "roman")
    assert changed is not None and [b.code for b in changed.affected] == [afternoon.code]
    assert changed.notified == 1
    async with bot.uow_factory() as uow:
        status = {b.code: b.status for b in await uow.session.scalars(select(Booking))}
        told = {n.external_id for n in await uow.session.scalars(select(Outbox)) if "Ремонт" in n.text}
    assert status[morning.code] == "booked" and status[afternoon.code] == "cancelled"
    assert told == {"afternoon"}
