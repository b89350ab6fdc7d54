"""The Callbacks and home visits page and its API through the real aiohttp application: phones masked until
«Показати номер» (a CSRF-checked POST, audited as phone.view without the number), staff's statuses with their
note and agreed visit date, each change audited before → after, roles and validation."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import Bot
from dialogs.booking.service import HOTLINE, new_token
from storage.booking import Booking
from storage.clock import ManualClock
from tests.console.test_api import SERVICE, _service, client, session, sign_in
from tests.console.test_today import csrf_of

__all__ = ["client"]  # the fixture, used by name

CALLBACK_PHONE = "+380671234567"
VISIT_PHONE = "+380509876543"


async def requests(console: Bot) -> tuple[Booking, Booking]:
    """A hotline callback on Monday and a home-visit request, by two verified web citizens."""
    service = _service(console)
    async with console.uow_factory() as uow:
        now = uow.clock()
        caller = await uow.users.get_or_create("web", "caller")
        await uow.people.verify(caller, CALLBACK_PHONE, "sms")
        times = await service.times(uow, HOTLINE, SERVICE, dt.date(2026, 12, 7), now=now, priority=False)
        callback = await service.book(uow, caller, office=HOTLINE, service=SERVICE, start=times[0].start,
                                      priority_group=None, token=new_token(), now=now, phone=CALLBACK_PHONE,
                                      topic="Питання про довідку")  # fmt: skip
        home = await uow.users.get_or_create("web", "at-home")
        await uow.people.verify(home, VISIT_PHONE, "sms")
        visit = await service.request_visit(uow, home, service=SERVICE, address="вул. Тиха, 7", phone=VISIT_PHONE,
                                            token=new_token(), now=now)  # fmt: skip
    assert isinstance(callback, Booking) and isinstance(visit, Booking), (callback, visit)
    return callback, visit


async def test_phones_are_masked_and_a_view_is_audited(client: TestClient[Any, Any], console: Bot) -> None:
    callback, visit = await requests(console)
    assert await sign_in(client, "oksana") == 303  # an operator works the callbacks too
    text = await (await client.get("/staff/callbacks")).text()
    assert callback.code in text and visit.code in text and "Питання про довідку" in text
    assert CALLBACK_PHONE not in text and "0671234567" not in text and "••••••••••67" in text
    assert "вул. Тиха" not in text
    listed = await (await client.get("/staff/api/callbacks")).json()
    assert CALLBACK_PHONE not in json.dumps(listed) and VISIT_PHONE not in json.dumps(listed)
    assert {r["code"]: r["kind"] for r in listed["requests"]} == {callback.code: "callback", visit.code: "visit"}

    forged = await client.post(f"/staff/callbacks/{visit.code}/phone", data={"csrf": "forged"})
    assert forged.status == 403
    shown = await client.post(f"/staff/callbacks/{visit.code}/phone", data={"csrf": csrf_of(text)})
    page = await shown.text()
    assert shown.status == 200 and VISIT_PHONE in page and "вул. Тиха, 7" in page and CALLBACK_PHONE not in page
    async with console.uow_factory() as uow:
        entries = await uow.audit.entries()
    views = [e for e in entries if e.action == "phone.view"]
    assert [(e.actor, e.target) for e in views] == [("oksana", visit.code)]  # the forged post recorded nothing
    assert VISIT_PHONE not in json.dumps([views[0].before, views[0].after]) and "9876543" not in str(views[0].after)

    me = await session(client)
    assert (await client.post(f"/staff/api/callbacks/{callback.code}/phone")).status == 403  # no CSRF header
    api = await client.post(f"/staff/api/callbacks/{callback.code}/phone", headers={"X-CSRF-Token": me["csrf"]})
    assert api.status == 200 and (await api.json())["phone"] == CALLBACK_PHONE
    missing = await client.post("/staff/api/callbacks/ZZZ-ZZZ/phone", headers={"X-CSRF-Token": me["csrf"]})
    assert missing.status == 404
    async with console.uow_factory() as uow:
        views = [e for e in await uow.audit.entries() if e.action == "phone.view"]
    assert [(e.actor, e.target) for e in views] == [("oksana", callback.code), ("oksana", visit.code)]


async def test_statuses_are_stored_and_each_change_audited(client: TestClient[Any, Any], console: Bot) -> None:
    callback, visit = await requests(console)
    assert await sign_in(client, "roman") == 303
    text = await (await client.get("/staff/callbacks")).text()
    token = csrf_of(text)
    no_day = await client.post(f"/staff/callbacks/{visit.code}", data={"csrf": token, "status": "visit_agreed",
                                                                      "note": "", "visit_day": ""})  # fmt: skip
    assert no_day.status == 422
    agreed = await client.post(f"/staff/callbacks/{visit.code}", data={
        "csrf": token, "status": "visit_agreed", "note": "Під'їзд 2", "visit_day": "2026-12-09"})  # fmt: skip
    page = await agreed.text()
    assert agreed.status == 200 and "виїзд узгоджено на 09.12.2026" in page and "Під&#x27;їзд 2" in page

    headers = {"X-CSRF-Token": (await session(client))["csrf"]}
    url = f"/staff/api/callbacks/{callback.code}"
    for body, field in (({"status": "lost"}, "status"), ({"status": "done", "visit_day": "2026-12-09"}, "visit_day"),
                        ({"status": "visit_agreed", "visit_day": "2026-12-09"}, "status"),  # a callback
                        ({"status": "done", "phone": "1"}, "phone")):  # fmt: skip
        bad = await client.post(url, json=body, headers=headers)
        assert bad.status == 422 and (await bad.json())["field"] == field, body
    assert (await client.post(url, json={"status": "no_answer"})).status == 403  # no CSRF header
    first = await client.post(url, json={"status": "no_answer"}, headers=headers)
    assert first.status == 200 and (await first.json())["mark"]["status"] == "no_answer"
    second = await client.post(url, json={"status": "done", "note": "Пояснили"}, headers=headers)
    assert second.status == 200

    async with console.uow_factory() as uow:
        marks = [(e.target, e.actor, e.before, e.after) for e in await uow.audit.entries()
                 if e.action == "request.mark"]  # fmt: skip
    assert marks == [  # the note as whether there is one: free text the log does not keep
        (callback.code, "roman", {"status": "no_answer", "note": False, "visit_day": None},
         {"status": "done", "note": True, "visit_day": None}),
        (callback.code, "roman", None, {"status": "no_answer", "note": False, "visit_day": None}),
        (visit.code, "roman", None, {"status": "visit_agreed", "note": True, "visit_day": "2026-12-09"}),
    ]  # fmt: skip
    listed = {r["code"]: r for r in (await (await client.get("/staff/api/callbacks")).json())["requests"]}
    assert listed[callback.code]["mark"]["status"] == "done" and listed[callback.code]["status"] == "booked"
    assert listed[visit.code]["mark"]["visit_day"] == "2026-12-09" and listed[visit.code]["mark"]["note"] == "Під'їзд 2"
    async with console.uow_factory() as uow:  # the bookings keep their own status
        row = await uow.bookings.by_code(visit.code)
    assert row is not None and row.status == "requested"

    async with console.uow_factory() as uow:  # /forget: the citizen's data goes, staff's note on it too
        user = await uow.users.get("web", "at-home")
        assert user is not None
        await uow.users.erase(user)
    listed = {r["code"]: r for r in (await (await client.get("/staff/api/callbacks")).json())["requests"]}
    assert listed[visit.code]["mark"]["note"] is None and listed[visit.code]["mark"]["status"] == "visit_agreed"
    assert listed[callback.code]["mark"]["note"] == "Пояснили"


async def test_callbacks_need_a_session(client: TestClient[Any, Any], console: Bot) -> None:
    callback, _ = await requests(console)
    assert (await client.get("/staff/api/callbacks")).status == 401
    assert (await client.post(f"/staff/api/callbacks/{callback.code}/phone")).status == 401
    assert (await client.get("/staff/callbacks", allow_redirects=False)).status == 303
    assert await sign_in(client, "roman") == 303
    page = await (await client.get("/staff/callbacks")).text()
    assert re.search(r'href="/staff/callbacks" aria-current="page"', page) and callback.code in page


async def test_done_and_long_past_requests_leave_the_list(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    callback, visit = await requests(console)
    clock.advance(dt.timedelta(days=20))  # the callback was due long ago; the visit request still waits
    assert await sign_in(client, "roman") == 303
    listed = [r["code"] for r in (await (await client.get("/staff/api/callbacks")).json())["requests"]]
    assert listed == [visit.code]
    headers = {"X-CSRF-Token": (await session(client))["csrf"]}
    done = await client.post(f"/staff/api/callbacks/{visit.code}", json={"status": "done"}, headers=headers)
    assert done.status == 200
    listed = [r["code"] for r in (await (await client.get("/staff/api/callbacks")).json())["requests"]]
    assert listed == [visit.code]  # marked done today: still among the recent ones
    clock.advance(dt.timedelta(days=15))
    assert await sign_in(client, "roman") == 303  # the session is long idle
    assert (await (await client.get("/staff/api/callbacks")).json())["requests"] == []
    assert callback.code not in await (await client.get("/staff/callbacks")).text()
