"""The Today page and its API through the real aiohttp application: the day's bookings in time order with the
priority state, one-click marks (the same booking change and audit records as `booking mark`), roles and CSRF,
walk-ins stored and audited, and closing the rest of the day: later bookings cancelled and their citizens told,
earlier ones kept to be marked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import Bot
from dialogs.booking.service import new_token
from storage.booking import Booking
from storage.clock import ManualClock
from storage.desk import WalkIn
from storage.outbox import Outbox
from tests.console.test_api import SERVICE, _service, client, session, sign_in

__all__ = ["client"]  # the fixture, used by name

MONDAY = dt.date(2026, 12, 7)
OFFICE = "visa-main"


async def book_day(console: Bot, who: str, day: dt.date, nth: int, *, priority: bool = False) -> Booking:
    """A verified web citizen books SERVICE at the main office: the nth time of `day` open to them."""
    service = _service(console)
    async with console.uow_factory() as uow:
        user = await uow.users.get_or_create("web", who)
        await uow.people.verify(user, "+38067" + f"{abs(hash(who)) % 10_000_000:07d}", "sms")
        now = uow.clock()
        times = await service.times(uow, OFFICE, SERVICE, day, now=now, priority=priority)
        if priority:
            times = [t for t in times if t.held]
        result = await service.book(uow, user, office=OFFICE, service=SERVICE, start=times[nth].start,
                                    priority_group="combatant" if priority else None, token=new_token(), now=now)  # fmt: skip
    assert isinstance(result, Booking), result
    return result


def at(clock: ManualClock, moment: dt.datetime) -> None:
    clock.advance(moment - clock())


async def row(console: Bot, code: str) -> Booking:
    async with console.uow_factory() as uow:
        found = await uow.bookings.by_code(code)
    assert found is not None
    return found


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


async def test_the_day_in_time_order_and_a_one_click_mark(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    late = await book_day(console, "late", MONDAY, 5)
    early = await book_day(console, "early", MONDAY, 0)
    assert late.start is not None and early.start is not None
    at(clock, early.start + dt.timedelta(minutes=5))
    assert await sign_in(client, "roman") == 303
    text = await (await client.get("/staff/today")).text()  # today in Kyiv, the first office by default
    assert "Сьогодні: Головний офіс" in text and "07.12.2026" in text
    assert text.index(early.code) < text.index(late.code)  # by time, whatever the order of booking
    assert text.count("ще не час") == 1  # the later one cannot be marked yet (as `booking mark` says)
    assert 'aria-current="page"' in text and ">Сьогодні</a>" in text

    page = await client.post("/staff/today/mark", data={"csrf": csrf_of(text), "code": early.code, "act": "arrived",
                                                        "office": OFFICE, "day": MONDAY.isoformat()})  # fmt: skip
    assert page.status == 200 and f"{early.code}: прийшов" in await page.text()
    assert (await row(console, early.code)).status == "arrived"
    assert (await row(console, late.code)).status == "booked"
    async with console.uow_factory() as uow:
        (entry, *_) = await uow.audit.entries()
    assert (entry.actor, entry.action, entry.target) == ("roman", "booking.mark", early.code)
    assert entry.before == {"status": "booked"} and entry.after == {"status": "arrived"}

    refused = await client.post("/staff/today/mark", data={"csrf": csrf_of(text), "code": late.code,
                                                           "act": "no_show", "office": OFFICE})  # fmt: skip
    assert refused.status == 422 and "mark it then" in await refused.text()
    assert (await row(console, late.code)).status == "booked"


async def test_an_operator_may_not_see_today_nor_mark(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    booked = await book_day(console, "citizen", MONDAY, 0)
    assert booked.start is not None
    at(clock, booked.start)
    assert await sign_in(client, "oksana") == 303
    me = await session(client)
    assert (await client.get("/staff/today")).status == 403
    form = await client.post("/staff/today/mark", data={"csrf": me["csrf"], "code": booked.code, "act": "arrived"})
    assert form.status == 403
    api = await client.post(f"/staff/api/bookings/{booked.code}/mark", json={"mark": "arrived"},
                            headers={"X-CSRF-Token": me["csrf"]})  # fmt: skip
    assert api.status == 403 and "operator" in (await api.json())["error"]
    assert (await client.get("/staff/api/today")).status == 403
    assert "/staff/today" not in await (await client.get("/staff/offices")).text()  # not in the operator's nav
    assert (await row(console, booked.code)).status == "booked"


async def test_marks_without_the_csrf_token_are_refused(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    booked = await book_day(console, "citizen", MONDAY, 0)
    assert booked.start is not None
    at(clock, booked.start)
    assert (await client.post(f"/staff/api/bookings/{booked.code}/mark", json={"mark": "arrived"})).status == 401
    assert await sign_in(client, "roman") == 303
    form = await client.post("/staff/today/mark", data={"csrf": "forged", "code": booked.code, "act": "arrived"})
    assert form.status == 403
    api = await client.post(f"/staff/api/bookings/{booked.code}/mark", json={"mark": "arrived"})
    assert api.status == 403 and "X-CSRF-Token" in (await api.json())["error"]
    assert (await row(console, booked.code)).status == "booked"


async def test_the_api_lists_the_day_and_decides_a_priority_claim(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    claimed = await book_day(console, "veteran", MONDAY, 0, priority=True)
    plain = await book_day(console, "plain", MONDAY, 0)
    assert claimed.start is not None and plain.start is not None
    at(clock, max(claimed.start, plain.start) + dt.timedelta(minutes=1))
    assert await sign_in(client, "roman") == 303
    headers = {"X-CSRF-Token": (await session(client))["csrf"]}
    for query, field in (("day=07.12.2026", "day"), ("office=nowhere", "office")):
        bad = await client.get(f"/staff/api/today?{query}")
        assert bad.status == 422 and (await bad.json())["field"] == field
    listed = await (await client.get(f"/staff/api/today?office={OFFICE}&day=2026-12-07")).json()
    by_code = {b["code"]: b for b in listed["bookings"]}
    assert by_code[claimed.code]["priority"] == "claimed" and by_code[plain.code]["priority"] is None
    starts = [b["start"] for b in listed["bookings"]]
    assert starts == sorted(starts) and listed["day"] == "2026-12-07"

    url = f"/staff/api/bookings/{claimed.code}/mark"
    for body, field in (({"mark": "came"}, "mark"), ({"mark": "no_show", "priority": "confirmed"}, "priority"),
                        ({"mark": "arrived", "priority": "maybe"}, "priority"), ({"when": 1}, "when")):  # fmt: skip
        bad = await client.post(url, json=body, headers=headers)
        assert bad.status == 422 and (await bad.json())["field"] == field, body
    not_priority = await client.post(f"/staff/api/bookings/{plain.code}/mark",
                                     json={"mark": "arrived", "priority": "confirmed"}, headers=headers)  # fmt: skip
    assert not_priority.status == 422 and (await not_priority.json())["field"] == "priority"
    missing = await client.post("/staff/api/bookings/ZZZ-ZZZ/mark", json={"mark": "arrived"}, headers=headers)
    assert missing.status == 404 and (await missing.json())["field"] == "code"

    done = await client.post(url, json={"mark": "arrived", "priority": "confirmed"}, headers=headers)
    assert done.status == 200
    assert await done.json() == {"code": claimed.code, "status": "arrived", "priority": "confirmed"}
    async with console.uow_factory() as uow:
        entries = await uow.audit.entries()
    assert [(e.action, e.target, e.actor) for e in entries[:2]] == [
        ("booking.priority", claimed.code, "roman"), ("booking.mark", claimed.code, "roman")]  # fmt: skip
    assert entries[0].after == {"decision": "confirmed"}
    again = await client.post(url, json={"mark": "arrived", "priority": "refused"}, headers=headers)
    assert again.status == 422 and "already confirmed by roman" in (await again.json())["error"]
    listed = await (await client.get(f"/staff/api/today?office={OFFICE}")).json()
    assert {b["code"]: b["priority"] for b in listed["bookings"]}[claimed.code] == "confirmed"
    text = await (await client.get("/staff/today")).text()
    assert "підтверджено" in text


async def test_a_walk_in_is_stored_counted_and_audited(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    at(clock, dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC))
    assert await sign_in(client, "roman") == 303
    text = await (await client.get("/staff/today")).text()
    assert "Прийнято без запису цього дня: 0" in text
    fields = {"csrf": csrf_of(text), "office": OFFICE, "day": "2026-12-07", "service": SERVICE,
              "note": "  довідка   без черги "}  # fmt: skip
    added = await client.post("/staff/today/walk-in", data=fields)
    assert added.status == 200 and "Прийнято без запису цього дня: 1" in await added.text()
    bad = await client.post("/staff/today/walk-in", data={**fields, "service": "no-such-service"})
    assert bad.status == 422
    future = await client.post("/staff/today/walk-in", data={**fields, "day": "2026-12-08"})
    assert future.status == 422
    async with console.uow_factory() as uow:
        rows = list(await uow.session.scalars(select(WalkIn)))
        (entry, *_) = await uow.audit.entries()
    assert [(w.office, w.day, w.service, w.note, w.staff_login) for w in rows] == [
        (OFFICE, MONDAY, SERVICE, "довідка без черги", "roman")]  # fmt: skip
    assert rows[0].created_at == clock()
    assert (entry.action, entry.target, entry.actor) == ("walk-in.add", f"{OFFICE} 2026-12-07", "roman")
    listed = await (await client.get(f"/staff/api/today?office={OFFICE}&day=2026-12-07")).json()
    assert [w["service"] for w in listed["walk_ins"]] == [SERVICE]


async def test_closing_the_rest_of_the_day_tells_the_later_citizens_and_keeps_the_earlier(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    early = await book_day(console, "early", MONDAY, 0)
    late = await book_day(console, "late", MONDAY, 3)
    assert early.start is not None and late.start is not None
    at(clock, early.start + dt.timedelta(minutes=10))
    assert await sign_in(client, "roman") == 303
    text = await (await client.get("/staff/today")).text()
    assert "Закрити решту дня" in text
    reason = "Відключення світла"
    empty = await client.post("/staff/today/close", data={"csrf": csrf_of(text), "office": OFFICE, "reason": " "})
    assert empty.status == 422 and (await row(console, late.code)).status == "booked"
    closed = await client.post("/staff/today/close", data={"csrf": csrf_of(text), "office": OFFICE, "reason": reason})
    shown = await closed.text()
    assert closed.status == 200 and "Скасовано записів: 1" in shown and late.code in shown
    assert "найближчим вільним часом: 1" in shown
    assert (await row(console, late.code)).status == "cancelled"
    assert (await row(console, early.code)).status == "booked"  # already due: staff mark it
    async with console.uow_factory() as uow:
        told = list(await uow.session.scalars(select(Outbox).where(Outbox.external_id == "late")))
        untold = list(await uow.session.scalars(select(Outbox).where(Outbox.external_id == "early")))
        (entry, *_) = await uow.audit.entries()
        offered = await _service(console).times(uow, OFFICE, SERVICE, MONDAY, now=clock(), priority=False)
    assert len(told) == 1 and reason in told[0].text and late.code in told[0].text and untold == []
    assert (entry.action, entry.target, entry.actor) == ("office.close-rest", f"{OFFICE} 2026-12-07", "roman")
    assert entry.after is not None and entry.after["cancelled"] == [late.code] and entry.after["notified"] == 1
    assert offered == []  # nothing more is booked there today
    assert "Закрити решту дня</h2>" not in await (await client.get("/staff/today")).text()
    again = await client.post("/staff/today/close", data={"csrf": csrf_of(text), "office": OFFICE, "reason": reason})
    assert again.status == 422


async def test_a_refused_claim_from_the_page_blocks_priority_as_the_command_does(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    claimed = await book_day(console, "veteran", MONDAY, 0, priority=True)
    assert claimed.start is not None
    at(clock, claimed.start + dt.timedelta(minutes=2))
    assert await sign_in(client, "roman") == 303
    text = await (await client.get("/staff/today")).text()
    refused = await client.post("/staff/today/mark", data={"csrf": csrf_of(text), "code": claimed.code,
                                                           "act": "arrived:refused", "office": OFFICE})  # fmt: skip
    shown = await refused.text()
    assert refused.status == 200 and f"{claimed.code}: прийшов, пільгу відхилено" in shown
    async with console.uow_factory() as uow:
        entries = await uow.audit.entries()
        user = await uow.users.get("web", "veteran")
        assert user is not None
        person = await uow.people.person(user)
        assert person is not None
        blocked = await uow.people.blocked_until(person)
    assert (entries[0].action, entries[0].after) == ("booking.priority", {
        "decision": "refused", "general": [], "cancelled": [], "blocked_until": entries[0].after["blocked_until"]})  # fmt: skip
    assert blocked is not None and blocked > clock()
    assert (await row(console, claimed.code)).status == "arrived"
    assert 'class="prio-refused">відхилено' in await (await client.get("/staff/today")).text()
