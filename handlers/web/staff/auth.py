"""Signing in and out of the console. The login form is guarded by a double-submit token (a cookie and a hidden
field) since there is no session yet; the lock and the slowing of an address are dialogs/console/accounts.py."""

from __future__ import annotations

import hmac
import secrets
from html import escape

from aiohttp import web

from dialogs.console import accounts, rules
from dialogs.console.accounts import Refused
from handlers.web.client import of_request
from handlers.web.staff.base import (
    COOKIE,
    PATH,
    api_session,
    console,
    csrf_ok,
    form,
    headers,
    html,
    json_ok,
    page,
    see_other,
    session,
)

LOGIN_COOKIE = "viza_staff_login"  # the login form's double-submit token
HOME = "/staff/offices"  # where a member of staff lands
LOCKED_UA = "Забагато невдалих спроб: вхід для цього користувача заблоковано на 15 хвилин."
SLOWED_UA = "Забагато невдалих спроб з вашої адреси. Спробуйте пізніше."
WRONG_UA = "Неправильний логін або пароль."


def _login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(24)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        '<div class="login"><h1>Вхід до консолі</h1>'
        f"{problem}"
        '<form method="post" action="/staff/login">'
        f'<input type="hidden" name="csrf" value="{token}">'
        '<label for="login">Логін</label>'
        '<input type="text" id="login" name="login" autocomplete="username" required autofocus>'
        '<label for="password">Пароль</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        '<button type="submit">Увійти</button></form></div>'
    )
    response = html(page("Вхід", body), status)
    response.set_cookie(LOGIN_COOKIE, token, path=PATH, httponly=True, samesite="Strict",
                        secure=console(request).secure, max_age=3600)  # fmt: skip
    return response


async def root(request: web.Request) -> web.StreamResponse:
    signed = await session(request)
    raise web.HTTPSeeOther(HOME if signed is not None else "/staff/login")


async def login_page(request: web.Request) -> web.StreamResponse:
    if await session(request) is not None:
        raise web.HTTPSeeOther(HOME)
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    found = console(request)
    fields = await form(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), fields.get("csrf", "").encode()):
        return _login_page(request, "Сторінка входу застаріла. Спробуйте ще раз.", 403)
    address = of_request(request, found.proxies)
    async with found.uows() as uow:
        result = await accounts.sign_in(uow, fields.get("login", "").strip().lower()[:64],
                                        fields.get("password", "")[: rules.MAX_PASSWORD], address)  # fmt: skip
    if result is Refused.LOCKED:
        return _login_page(request, LOCKED_UA, 429)
    if result is Refused.SLOWED:
        return _login_page(request, SLOWED_UA, 429)
    if isinstance(result, Refused):
        return _login_page(request, WRONG_UA, 401)
    response = see_other(HOME)
    response.set_cookie(COOKIE, result.token, path=PATH, httponly=True, samesite="Strict", secure=found.secure)
    response.del_cookie(LOGIN_COOKIE, path=PATH)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    signed = await session(request)
    fields = await form(request)
    if signed is not None:
        if not csrf_ok(signed, fields.get("csrf")):
            raise web.HTTPForbidden(text="CSRF token missing or wrong", headers=headers())
        async with console(request).uows() as uow:
            await accounts.sign_out(uow, signed.token)
    response = see_other("/staff/login")
    response.del_cookie(COOKIE, path=PATH)
    return response


async def api_me(request: web.Request) -> web.Response:
    signed = await api_session(request, None, change=False)
    if isinstance(signed, web.Response):
        return signed
    return json_ok({"login": signed.login, "role": signed.role, "csrf": signed.csrf})


def routes(app: web.Application) -> None:
    app.router.add_get("/staff", root)
    app.router.add_get("/staff/", root)
    app.router.add_get("/staff/login", login_page)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff/api/session", api_me)
