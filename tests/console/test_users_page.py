"""«Користувачі» (admins only): the list with role, disabled and locked; add, disable and a new password, each with
its audit line and the same rules as `python -m bot staff`; an admin cannot disable themself; a registrar gets
403; a form without the CSRF token is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from tests.console.conftest import PASSWORD
from tests.console.test_api import session, sign_in

NEW_PASSWORD = "інший довгий пароль"


@pytest.fixture()
async def client(console: Bot) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as c:
        yield c


async def _audit(console: Bot, action: str) -> list[tuple[str, str, Any, Any]]:
    async with console.uow_factory() as uow:
        return [(e.actor, e.target, e.before, e.after) for e in await uow.audit.page(action=action)]


async def test_a_registrar_may_not_and_a_form_needs_its_token(console: Bot, client: TestClient[Any, Any]) -> None:
    assert (await client.get("/staff/users", allow_redirects=False)).headers["Location"] == "/staff/login"
    assert await sign_in(client, "roman") == 303
    me = await session(client)
    assert (await client.get("/staff/users")).status == 403
    refused = await client.post("/staff/users/add", data={"csrf": me["csrf"], "login": "ivan", "role": "admin",
                                                          "password": PASSWORD})  # fmt: skip
    assert refused.status == 403
    await client.post("/staff/logout", data={"csrf": me["csrf"]})
    assert await sign_in(client, "anna") == 303
    forged = await client.post("/staff/users/add", data={"csrf": "forged", "login": "ivan", "role": "admin",
                                                         "password": PASSWORD})  # fmt: skip
    assert forged.status == 403
    async with console.uow_factory() as uow:
        assert await uow.staff.user("ivan") is None


async def test_an_admin_adds_sets_a_password_and_disables_with_audit_lines(
    console: Bot, client: TestClient[Any, Any]
) -> None:
    assert await sign_in(client, "anna") == 303
    me = await session(client)
    page = await (await client.get("/staff/users")).text()
    for login in ("anna", "roman", "oksana"):
        assert f"<td>{login}</td>" in page
    assert "реєстратор" in page and "Вимкнути roman" in page and "Вимкнути anna" not in page

    short = await client.post("/staff/users/add", data={"csrf": me["csrf"], "login": "ivan", "role": "operator",
                                                        "password": "short"})  # fmt: skip
    assert short.status == 422 and "щонайменше 10 символів" in await short.text()
    added = await client.post("/staff/users/add", data={"csrf": me["csrf"], "login": "Ivan", "role": "operator",
                                                        "password": PASSWORD})  # fmt: skip
    assert added.status == 200 and "Додано ivan" in await added.text()
    twice = await client.post("/staff/users/add", data={"csrf": me["csrf"], "login": "ivan", "role": "operator",
                                                        "password": PASSWORD})  # fmt: skip
    assert twice.status == 422
    assert await _audit(console, "staff.add") == [("anna", "staff:ivan", None, {"role": "operator"})] + [
        ("test", f"staff:{login}", None, {"role": role})
        for login, role in (("oksana", "operator"), ("roman", "registrar"), ("anna", "admin"))
    ]

    # ivan signs in elsewhere; a new password ends that session and the old password no longer opens one
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as ivan:
        assert await sign_in(ivan, "ivan") == 303
        assert (await ivan.get("/staff/api/session")).status == 200
        changed = await client.post("/staff/users/passwd", data={"csrf": me["csrf"], "login": "ivan",
                                                                 "password": NEW_PASSWORD})  # fmt: skip
        assert changed.status == 200 and "Пароль ivan змінено" in await changed.text()
        assert (await ivan.get("/staff/api/session")).status == 401
        assert await sign_in(ivan, "ivan") == 401
        assert await sign_in(ivan, "ivan", NEW_PASSWORD) == 303
        assert await _audit(console, "staff.passwd") == [("anna", "staff:ivan", None, None)]

        disabled = await client.post("/staff/users/disable", data={"csrf": me["csrf"], "login": "ivan"})
        assert disabled.status == 200 and "ivan вимкнено" in await disabled.text()
        assert (await ivan.get("/staff/api/session")).status == 401
        assert await sign_in(ivan, "ivan", NEW_PASSWORD) == 401
    assert await _audit(console, "staff.disable") == [("anna", "staff:ivan", {"disabled": False},
                                                       {"disabled": True})]  # fmt: skip
    page = await (await client.get("/staff/users")).text()
    assert "<td>ivan</td><td>оператор</td><td>вимкнено</td>" in page
    missing = await client.post("/staff/users/disable", data={"csrf": me["csrf"], "login": "nobody"})
    assert missing.status == 404


async def test_an_admin_cannot_disable_themself_and_a_lock_shows(console: Bot, client: TestClient[Any, Any]) -> None:
    for _ in range(5):
        assert await sign_in(client, "oksana", "not the password") in (401, 429)
    assert await sign_in(client, "anna") == 303
    me = await session(client)
    page = await (await client.get("/staff/users")).text()
    assert "<td>oksana</td><td>оператор</td><td>заблоковано на 15 хв</td>" in page
    own = await client.post("/staff/users/disable", data={"csrf": me["csrf"], "login": "anna"})
    assert own.status == 422 and "Себе вимкнути не можна" in await own.text()
    assert (await client.get("/staff/api/session")).status == 200
    assert await _audit(console, "staff.disable") == []
