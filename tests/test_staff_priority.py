"""`python -m bot booking mark CODE arrived --priority confirmed|refused` and the staff audit log
(`python -m bot audit`): a refused claim takes the person's other upcoming priority bookings back to the
general pool (kept on a general place of their slot when one is free, else cancelled with the nearest general
times offered), blocks priority for 30 days and tells every citizen concerned through the outbox; every staff
change is recorded with who, what, when, before and after. On a database prepared through the booking
service, on a ManualClock."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.staff import audit_run
from dialogs.booking.priority import BLOCK
from dialogs.booking.rules import Slot
from dialogs.booking.service import new_token
from knowledge import Knowledge
from storage.booking import Booking
from storage.booking.limits import month_period
from storage.clock import ManualClock
from storage.outbox import Outbox
from testkit.people import phone_for
from tests.test_staff_cli import DAY, KYIV, NOW, OFFICE, SERVICE, Db, cli
from tests.test_staff_cli import db as db  # the same fixture: a fresh database and the booking service

EXCHANGE = "drs-passport-id-exchange"  # the same windows as SERVICE (a person has one booking per service)
RESIDENCE = "pub-residence-registration"
CIVIL = "drs-birth-registration"
BUSINESS = "pub-fop-registration"
COMBATANT = "combatant"
PHONE = "+380671112233"
WED, THU = dt.date(2026, 12, 9), dt.date(2026, 12, 10)


async def held_slot(db: Db, service: str, day: dt.date, n: int = 0) -> Slot:
    """The n-th slot of the day (at the main office) that holds a place for priority citizens."""
    async with db.uows() as uow:
        times = await db.service.times(uow, OFFICE, service, day, now=NOW, priority=True)
    return [s for s in times if s.held][n]


async def book_at(
    db: Db, channel: str, external_id: str, service: str, start: dt.datetime, *, priority: bool = False,
    person: str | None = None, legacy: bool = False,
) -> Booking:  # fmt: skip
    """Book as the citizen (verified first if they are not: only verified citizens book); `person` replaces the
    booking's person afterwards, `legacy` makes it a booking from before phones were verified (no person)."""
    async with db.uows() as uow:
        user = await uow.users.get_or_create(channel, external_id)
        if await uow.people.verified(user) is None:
            await uow.people.verify(user, phone_for(channel, external_id), "sms")
        result = await db.service.book(
            uow,
            user,
            office=OFFICE,
            service=service,
            start=start,
            priority_group=COMBATANT if priority else None,
            token=new_token(),
            now=NOW,
        )
        assert isinstance(result, Booking), result
        if person is not None or legacy:  # the person of the citizen's verified phone (storage/people.py)
            await uow.session.execute(update(Booking).where(Booking.id == result.id).values(person=person))
        return result


async def verified(db: Db, channel: str, external_id: str) -> str:
    async with db.uows() as uow:
        user = await uow.users.get_or_create(channel, external_id)
        return (await uow.people.verify(user, PHONE, "telegram" if channel == "telegram" else "sms")).person


async def rows(db: Db) -> dict[str, Booking]:
    async with db.uows() as uow:
        return {b.code: b for b in (await uow.session.execute(select(Booking))).scalars()}


async def notices(db: Db) -> list[Outbox]:
    async with db.uows() as uow:
        return list((await uow.session.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def audit(db: Db, *argv: str) -> list[dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    code = await audit_run([*argv, "--json"], db.settings, clock=ManualClock(NOW), out=out, err=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def after(booking: Booking) -> dt.datetime:
    assert booking.start is not None
    return booking.start + dt.timedelta(minutes=5)


async def test_a_refused_claim_makes_the_persons_other_priority_bookings_general_and_blocks_priority(
    db: Db, kb: Knowledge
) -> None:
    person = await verified(db, "web", "p-web")
    assert await verified(db, "telegram", "p-tg") == person  # the same phone: the same person
    first = (await held_slot(db, SERVICE, DAY)).start
    visit = await book_at(db, "web", "p-web", SERVICE, first, priority=True, person=person)
    # A: on a held place (the general one was taken when it booked, given back since): it moves there.
    s1 = await held_slot(db, EXCHANGE, WED)
    blocker = await book_at(db, "web", "x-gen", EXCHANGE, s1.start)
    a = await book_at(db, "web", "p-web", EXCHANGE, s1.start, priority=True, person=person)
    assert a.place in s1.held
    async with db.uows() as uow:
        await uow.bookings.cancel((await uow.bookings.by_code(blocker.code)), NOW)  # type: ignore[arg-type]
    # B: on a held place whose general places stay taken, booked on another channel: cancelled.
    s2 = await held_slot(db, RESIDENCE, THU)
    await book_at(db, "viber", "y-gen", RESIDENCE, s2.start)
    b = await book_at(db, "telegram", "p-tg", RESIDENCE, s2.start, priority=True, person=person)
    assert b.place in s2.held
    # C: a priority booking that took a general place (general places go first): kept where it is.
    c = await book_at(
        db, "web", "p-web", CIVIL, (await held_slot(db, CIVIL, WED)).start, priority=True, person=person
    )
    # Untouched: the person's ordinary booking (made by another session: the person's four bookings of the month
    # are used above, so it is given the person afterwards), and another person's priority booking.
    d = await book_at(db, "web", "p-web2", BUSINESS, (await held_slot(db, BUSINESS, WED)).start, person=person)
    elsewhere = (await held_slot(db, EXCHANGE, WED, 1)).start
    e = await book_at(db, "web", "q-web", EXCHANGE, elsewhere, priority=True, person="another-person")
    before = await rows(db)

    code, out, err = await cli(
        db,
        kb,
        "mark",
        visit.code,
        "arrived",
        "--priority",
        "refused",
        "--by",
        "Олена К.",
        "--json",
        now=after(visit),
    )
    assert code == 0, err
    shown = json.loads(out)
    until = after(visit) + BLOCK
    assert shown == {
        "code": visit.code, "status": "arrived", "priority": "refused",
        "general": [a.code, c.code] if a.start <= c.start else [c.code, a.code],  # type: ignore[operator]
        "cancelled": [b.code], "blocked_until": until.astimezone(KYIV).isoformat(), "notified": 2,
    }  # fmt: skip

    now_rows = await rows(db)
    assert now_rows[visit.code].status == "arrived"
    assert (now_rows[a.code].status, now_rows[a.code].priority, now_rows[a.code].priority_group) == (
        "booked",
        False,
        None,
    )
    assert (
        now_rows[a.code].start == a.start and now_rows[a.code].place not in s1.held
    )  # same time, general place
    assert now_rows[b.code].status == "cancelled" and now_rows[b.code].place is None
    async with db.uows() as uow:  # the Center cancelled it: the month's count is given back
        # the person's four of December (the visit, A, B, C) less B
        assert await uow.people.counted(person, month_period("2026-12")) == 3
    assert now_rows[c.code].place == before[c.code].place and not now_rows[c.code].priority
    for untouched in (d, e):
        was, now_ = before[untouched.code], now_rows[untouched.code]
        assert (now_.status, now_.place, now_.priority) == (was.status, was.place, was.priority)

    async with db.uows() as uow:
        assert await uow.people.blocked_until(person) == until  # in force (db's clock is NOW)

    told = await notices(db)
    assert sorted((n.channel, n.external_id) for n in told) == [("telegram", "p-tg"), ("web", "p-web")]
    web = next(n for n in told if n.channel == "web")
    tg = next(n for n in told if n.channel == "telegram")
    blocked_to = f"{until.astimezone(KYIV):%d.%m.%Y}"
    assert "не підтвердили" in web.text and blocked_to in web.text
    assert a.code in web.text and c.code in web.text and "залишається" in web.text and b.code not in web.text
    assert b.code in tg.text and "скасовано" in tg.text and blocked_to in tg.text
    offered = [button["payload"] for row in tg.buttons or [] for button in row]
    assert offered and all(p.startswith(f"q:at:{b.code}:") for p in offered)
    assert not web.buttons

    entries = await audit(db)
    assert [(x["action"], x["target"], x["actor"]) for x in entries] == [
        ("booking.priority", visit.code, "Олена К."),
        ("booking.mark", visit.code, "Олена К."),
    ]
    assert entries[1]["before"] == {"status": "booked"} and entries[1]["after"] == {"status": "arrived"}
    assert entries[0]["before"] == {"priority": True, "group": COMBATANT}
    assert entries[0]["after"]["decision"] == "refused" and entries[0]["after"]["cancelled"] == [b.code]
    assert entries[0]["at"] == after(visit).astimezone(KYIV).isoformat()

    again, _, err = await cli(
        db, kb, "mark", visit.code, "arrived", "--priority", "confirmed", now=after(visit)
    )
    assert again == 2 and "already refused by Олена К." in err


async def test_a_confirmed_claim_is_recorded_and_changes_nothing_else(db: Db, kb: Knowledge) -> None:
    person = await verified(db, "web", "c-web")
    visit = await book_at(
        db, "web", "c-web", SERVICE, (await held_slot(db, SERVICE, DAY)).start, priority=True, person=person
    )
    other = await book_at(
        db,
        "web",
        "c-web",
        RESIDENCE,
        (await held_slot(db, RESIDENCE, WED)).start,
        priority=True,
        person=person,
    )
    before = await rows(db)
    code, out, err = await cli(
        db, kb, "mark", visit.code, "arrived", "--priority", "confirmed", now=after(visit)
    )
    assert code == 0, err
    assert out.strip() == f"{visit.code}: arrived, priority confirmed"
    now_rows = await rows(db)
    assert (now_rows[other.code].priority, now_rows[other.code].place) == (True, before[other.code].place)
    assert await notices(db) == []
    async with db.uows() as uow:
        assert await uow.people.blocked_until(person) is None
    (decided, marked) = await audit(db)
    assert decided["action"] == "booking.priority" and decided["after"] == {"decision": "confirmed"}
    assert marked["action"] == "booking.mark"


async def test_priority_goes_with_arrived_and_a_priority_booking(db: Db, kb: Knowledge) -> None:
    plain = await book_at(db, "web", "n-web", SERVICE, (await held_slot(db, SERVICE, DAY)).start)
    code, _, err = await cli(db, kb, "mark", plain.code, "arrived", "--priority", "refused", now=after(plain))
    assert code == 2 and "was not booked as priority" in err
    code, _, err = await cli(db, kb, "mark", plain.code, "no-show", "--priority", "refused", now=after(plain))
    assert code == 2 and "--priority goes with `arrived`" in err
    code, _, err = await cli(db, kb, "mark", plain.code, "arrived", "--priority", "maybe", now=after(plain))
    assert code == 2 and "invalid choice" in err
    assert await audit(db) == [] and (await rows(db))[plain.code].status == "booked"  # nothing half-done


async def test_without_a_person_the_citizens_own_bookings_go_back_and_nobody_is_blocked(
    db: Db, kb: Knowledge
) -> None:
    """A booking made before phones were verified has no person: the same citizen's other priority bookings
    are taken back; there is no person to block."""
    visit = await book_at(
        db, "viber", "old-v", SERVICE, (await held_slot(db, SERVICE, DAY)).start, priority=True, legacy=True
    )
    mine = await book_at(
        db, "viber", "old-v", RESIDENCE, (await held_slot(db, RESIDENCE, WED)).start, priority=True, legacy=True
    )
    theirs = await book_at(
        db,
        "viber",
        "someone",
        RESIDENCE,
        (await held_slot(db, RESIDENCE, WED, 1)).start,
        priority=True,
        legacy=True,
    )
    code, out, err = await cli(
        db, kb, "mark", visit.code, "arrived", "--priority", "refused", now=after(visit)
    )
    assert code == 0, err
    assert "1 now general" in out and "nobody to block" in out and "1 citizen(s) will be told" in out
    now_rows = await rows(db)
    assert not now_rows[mine.code].priority and now_rows[theirs.code].priority
    (told,) = await notices(db)
    assert (told.channel, told.external_id) == ("viber", "old-v") and mine.code in told.text
    assert "недоступний" not in told.text  # no block to speak of


async def test_at_a_priority_only_office_the_other_booking_is_cancelled_and_booking_again_is_offered(
    db: Db, kb: Knowledge
) -> None:
    person = await verified(db, "telegram", "vet")
    visit = await book_at(
        db,
        "telegram",
        "vet",
        SERVICE,
        (await held_slot(db, SERVICE, DAY)).start,
        priority=True,
        person=person,
    )
    veterans = "pub-war-disability-status"
    async with db.uows() as uow:
        user = await uow.users.get_or_create("telegram", "vet")
        (slot, *_) = await db.service.times(uow, "ya-veteran", veterans, WED, now=NOW, priority=True)
        there = await db.service.book(
            uow,
            user,
            office="ya-veteran",
            service=veterans,
            start=slot.start,
            priority_group=COMBATANT,
            token=new_token(),
            now=NOW,
        )
        assert isinstance(there, Booking)
        await uow.session.execute(update(Booking).where(Booking.id == there.id).values(person=person))
    code, _, err = await cli(
        db, kb, "mark", visit.code, "arrived", "--priority", "refused", now=after(visit)
    )
    assert code == 0, err
    assert (await rows(db))[there.code].status == "cancelled"
    (told,) = await notices(db)
    assert there.code in told.text and "скасовано" in told.text
    assert told.buttons == [
        [{"text": "📅 Записатися", "payload": f"q:s:{veterans}"}]
    ]  # no general times there


async def test_close_day_is_recorded_with_the_os_user_and_audit_lists_it(
    db: Db, kb: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "clerk")
    booking = await book_at(db, "web", "cd-web", SERVICE, (await held_slot(db, SERVICE, DAY)).start)
    code, _, err = await cli(
        db, kb, "close-day", "--office", OFFICE, "--date", DAY.isoformat(), "--reason", "технічні роботи"
    )
    assert code == 0, err
    (entry,) = await audit(db)
    assert entry == {
        "at": NOW.astimezone(KYIV).isoformat(), "actor": "clerk", "action": "office.close-day",
        "target": f"{OFFICE} {DAY.isoformat()}", "before": {"open": True},
        "after": {"open": False, "reason": "технічні роботи", "cancelled": [booking.code], "notified": 1},
    }  # fmt: skip
    assert await audit(db, "--since", NOW.astimezone(KYIV).date().isoformat()) == [entry]
    assert await audit(db, "--since", (NOW + dt.timedelta(days=1)).astimezone(KYIV).date().isoformat()) == []
    out, err_ = io.StringIO(), io.StringIO()
    assert await audit_run([], db.settings, clock=ManualClock(NOW), out=out, err=err_) == 0
    assert (
        "clerk" in out.getvalue() and "office.close-day" in out.getvalue() and "1 action(s)" in out.getvalue()
    )
    bad = io.StringIO()
    assert (
        await audit_run(
            ["--since", "03.12.2026"], db.settings, clock=ManualClock(NOW), out=io.StringIO(), err=bad
        )
        == 2
        and "YYYY-MM-DD" in bad.getvalue()
    )
