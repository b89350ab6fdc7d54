"""The staff console through the real aiohttp application: sign-in, the session API, 401/403/422, CSRF refusal,
the login lock, the idle timeout, and a registrar closing an office: its upcoming bookings are cancelled, their
citizens told, and the web chat no longer offers it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Bot
from dialogs.booking.base import PREFIX
from dialogs.booking.service import new_token
from dialogs.console import accounts
from dialogs.payloads import pack
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from tests.console.conftest import PASSWORD

SERVICE = "drs-birth-registration"  # booked at the main office only


@pytest.fixture()
async def client(console: Bot) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as c:
        yield c


async def sign_in(client: TestClient[Any, Any], login: str, password: str = PASSWORD) -> int:
    page = await (await client.get("/staff/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    response = await client.post(
        "/staff/login", data={"csrf": token[1], "login": login, "password": password}, allow_redirects=False
    )
    return response.status


async def session(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/staff/api/session")
    assert response.status == 200
    return dict(await response.json())


async def test_sign_in_session_and_the_cookie(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/staff/api/session")).status == 401
    assert (await client.get("/staff/offices", allow_redirects=False)).headers["Location"] == "/staff/login"
    page = await client.get("/staff/login")
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert "Вхід до консолі" in await page.text()
    assert await sign_in(client, "roman", "wrong password!") == 401
    assert (await client.get("/staff/api/session")).status == 401
    page = await (await client.get("/staff/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    response = await client.post("/staff/login", data={"csrf": token[1], "login": "roman", "password": PASSWORD},
                                 allow_redirects=False)  # fmt: skip
    assert response.status == 303 and response.headers["Location"] == "/staff/offices"
    cookie = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("viza_staff="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff/" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is not https here
    me = await session(client)
    assert me["login"] == "roman" and me["role"] == "registrar" and len(me["csrf"]) >= 32
    offices_page = await (await client.get("/staff/offices")).text()
    assert "Головний офіс" in offices_page and 'name="csrf"' in offices_page
    logout = await client.post("/staff/logout", data={"csrf": me["csrf"]}, allow_redirects=False)
    assert logout.status == 303
    assert (await client.get("/staff/api/session")).status == 401


async def test_login_form_without_its_token_is_refused(client: TestClient[Any, Any]) -> None:
    response = await client.post("/staff/login", data={"csrf": "forged", "login": "roman", "password": PASSWORD})
    assert response.status == 403
    assert (await client.get("/staff/api/session")).status == 401


async def test_roles_csrf_and_validation_on_the_api(client: TestClient[Any, Any], console: Bot) -> None:
    assert (await client.patch("/staff/api/offices/visa-main", json={"status": "open"})).status == 401
    assert await sign_in(client, "oksana") == 303
    me = await session(client)
    listed = await client.get("/staff/api/offices")
    assert listed.status == 200
    found = {o["id"]: o for o in (await listed.json())["offices"]}
    assert found["visa-main"]["status"] == "open" and found["visa-main"]["address"] == "пл. Молодіжна, 1"
    veteran = found["ya-veteran"]
    assert veteran["status"] == "unconfirmed" and not veteran["bookable"]  # the data says so
    refused = await client.patch("/staff/api/offices/visa-main", json={"hours": "пн–пт"},
                                 headers={"X-CSRF-Token": me["csrf"]})  # fmt: skip
    assert refused.status == 403  # an operator may not change offices

    client.session.cookie_jar.clear()
    assert await sign_in(client, "roman") == 303
    me = await session(client)
    no_csrf = await client.patch("/staff/api/offices/visa-main", json={"hours": "пн–пт"})
    assert no_csrf.status == 403 and "X-CSRF-Token" in (await no_csrf.json())["error"]
    forged = ("y" if me["csrf"].startswith("x") else "x") + me["csrf"][1:]  # always differs from the real one
    wrong = await client.patch("/staff/api/offices/visa-main", json={"hours": "пн–пт"},
                               headers={"X-CSRF-Token": forged})  # fmt: skip
    assert wrong.status == 403
    headers = {"X-CSRF-Token": me["csrf"]}
    for body, field in [({"status": "gone"}, "status"), ({"status": "closed"}, "note"), ({"floor": 2}, "floor")]:
        bad = await client.patch("/staff/api/offices/visa-main", json=body, headers=headers)
        assert bad.status == 422 and (await bad.json())["field"] == field
    assert (await client.patch("/staff/api/offices/nowhere", json={"hours": "x"}, headers=headers)).status == 404
    ok = await client.patch("/staff/api/offices/visa-main", json={"hours": "Пн–пт 08:00–17:00"}, headers=headers)
    assert ok.status == 200 and (await ok.json())["office"]["hours"] == "Пн–пт 08:00–17:00"
    async with console.uow_factory() as uow:
        (entry, *_) = await uow.audit.entries()
    assert (entry.actor, entry.action, entry.target) == ("roman", "office.change", "office:visa-main")
    assert entry.before is not None and entry.before["hours"] is None
    assert entry.after is not None and entry.after["hours"] == "Пн–пт 08:00–17:00"


async def test_five_failures_lock_the_login_for_15_minutes(
    client: TestClient[Any, Any], console: Bot, clock: ManualClock
) -> None:
    statuses = [await sign_in(client, "anna", f"wrong password {n}") for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert await sign_in(client, "anna") == 429  # the right password too, while locked
    assert await sign_in(client, "roman") == 303  # another login from the same address is not locked
    clock.advance(dt.timedelta(minutes=15))
    client.session.cookie_jar.clear()
    assert await sign_in(client, "anna") == 303
    async with console.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.entries()]
    assert "staff.locked" in actions


async def test_an_address_with_many_failures_is_slowed(client: TestClient[Any, Any], clock: ManualClock) -> None:
    for n in range(20):  # spread over logins that exist and do not, so no login lock is reached
        assert await sign_in(client, f"guess{n % 7}", "nope nope nope") == 401
    assert await sign_in(client, "anna") == 429  # even the right password, from this address, for a while
    clock.advance(dt.timedelta(minutes=16))
    assert await sign_in(client, "anna") == 303


async def test_idle_session_ends_after_8_hours(client: TestClient[Any, Any], clock: ManualClock) -> None:
    assert await sign_in(client, "anna") == 303
    clock.advance(dt.timedelta(hours=7))
    await session(client)  # used: the idle time starts again
    clock.advance(dt.timedelta(hours=7, minutes=59))
    await session(client)
    clock.advance(dt.timedelta(hours=8))
    assert (await client.get("/staff/api/session")).status == 401


async def test_disabled_or_new_password_ends_sessions(client: TestClient[Any, Any], console: Bot) -> None:
    assert await sign_in(client, "anna") == 303
    async with console.uow_factory() as uow:
        await accounts.set_password(uow, "anna", "новий довгий пароль", "test")
    assert (await client.get("/staff/api/session")).status == 401
    assert await sign_in(client, "anna", "новий довгий пароль") == 303
    async with console.uow_factory() as uow:
        await accounts.disable(uow, "anna", "test")
    assert (await client.get("/staff/api/session")).status == 401
    assert await sign_in(client, "anna", "новий довгий пароль") == 401


async def book(console: Bot, session_id: str, day: dt.date) -> Booking:
    """A verified web citizen books SERVICE at the main office on `day` (the first free time)."""
    service = _service(console)
    async with console.uow_factory() as uow:
        user = await uow.users.get_or_create("web", session_id)
        await uow.people.verify(user, "+38067111" + f"{abs(hash(session_id)) % 10000:04d}", "sms")
        now = uow.clock()
        times = await service.times(uow, "visa-main", SERVICE, day, now=now, priority=False)
        result = await service.book(uow, user, office="visa-main", service=SERVICE, start=times[0].start,
                                    priority_group=None, token=new_token(), now=now)  # fmt: skip
    assert isinstance(result, Booking), result
    return result


def _service(console: Bot) -> Any:
    from handlers.web.staff.base import CONSOLE_KEY

    return console.http[CONSOLE_KEY].booking


async def chat(client: TestClient[Any, Any], session_id: str, payload: str) -> list[dict[str, Any]]:
    response = await client.post("/api/chat", json={"session": session_id, "payload": payload})
    assert response.status == 200
    return list((await response.json())["replies"])


async def test_closing_an_office_cancels_its_bookings_tells_the_citizens_and_stops_offering_it(
    client: TestClient[Any, Any], console: Bot
) -> None:
    day = dt.date(2026, 12, 8)
    booked = await book(console, "booked-citizen", day)
    async with console.uow_factory() as uow:  # a citizen about to book, verified
        user = await uow.users.get_or_create("web", "next-citizen")
        await uow.people.verify(user, "+380671119999", "sms")
    before = await chat(client, "next-citizen", pack(PREFIX, "s", SERVICE))
    assert any("q:p:" in str(r["buttons"]) for r in before)  # offered: the priority question comes next

    assert await sign_in(client, "roman") == 303
    me = await session(client)
    note = "Будівлю пошкоджено; приймаємо в інших офісах"
    closed = await client.patch("/staff/api/offices/visa-main", json={"status": "closed", "note": note},
                                headers={"X-CSRF-Token": me["csrf"]})  # fmt: skip
    assert closed.status == 200
    result = await closed.json()
    assert [a["code"] for a in result["affected"]] == [booked.code] and result["notified"] == 1
    async with console.uow_factory() as uow:
        row = await uow.bookings.by_code(booked.code)
        notices = list(await uow.session.scalars(select(Outbox).where(Outbox.external_id == "booked-citizen")))
    assert row is not None and row.status == "cancelled"
    assert any(note.rstrip(".") in n.text and booked.code in n.text for n in notices)

    after = await chat(client, "next-citizen", pack(PREFIX, "s", SERVICE))
    assert "q:p:" not in str(after) and "поки неможливо" in after[0]["text"]
    confirm_page = await (await client.get("/staff/offices")).text()
    assert "зачинено" in confirm_page
    # Reopened: the day the closing closed takes bookings again (the closure is lifted and audited).
    reopened = await client.patch("/staff/api/offices/visa-main", json={"status": "open"},
                                  headers={"X-CSRF-Token": me["csrf"]})  # fmt: skip
    assert reopened.status == 200
    service = _service(console)
    async with console.uow_factory() as uow:
        assert ("visa-main", day) not in await uow.bookings.closures("visa-main")
        assert await service.times(uow, "visa-main", SERVICE, day, now=uow.clock(), priority=False)
        lifted = await uow.audit.last("office.reopen-days", "office:visa-main")
    assert lifted is not None and lifted.after == {"days": [day.isoformat()]}
