"""The staff console under /staff/: the login page, the offices page and the JSON API the pages and the Center's
IT use. Translation only: who may do what, the login lock and the offices' rules are dialogs/console/.

Pages are server-rendered HTML in Ukrainian with one stylesheet of this server and no script; forms carry the
session's CSRF token in a hidden field, the API wants it in `X-CSRF-Token`. The session cookie is HttpOnly,
SameSite=Strict, limited to /staff/ and Secure when PUBLIC_URL is https. The login form is guarded by a
double-submit token (a cookie and a hidden field) since there is no session yet."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from dialogs.booking import offices
from dialogs.booking.service import BookingService
from dialogs.console import accounts, rules
from dialogs.console.accounts import Refused, Signed
from handlers.web.client import Network, of_request
from knowledge.loader import Knowledge
from storage.booking import Booking
from storage.uow import UnitOfWork

COOKIE = "viza_staff"
LOGIN_COOKIE = "viza_staff_login"  # the login form's double-submit token
PATH = "/staff/"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM = 16 * 1024
# The console's own policy: its stylesheet only, no script at all, never framed.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")  # fmt: skip
_CSS = resources.files("handlers.web") / "static" / "staff.css"
_dumps = partial(json.dumps, ensure_ascii=False)
STATUS_UA = {"open": "працює", "closed": "зачинено"}
LOCKED_UA = "Забагато невдалих спроб: вхід для цього користувача заблоковано на 15 хвилин."
SLOWED_UA = "Забагато невдалих спроб з вашої адреси. Спробуйте пізніше."
CURRENT = ' aria-current="page"'
WRONG_UA = "Неправильний логін або пароль."


@dataclass(frozen=True)
class Console:
    uows: Callable[[], UnitOfWork]
    booking: BookingService | None
    kb: Knowledge
    proxies: tuple[Network, ...]
    secure: bool


CONSOLE_KEY = web.AppKey("staff_console", Console)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE_KEY]


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={**_headers(), "Location": location})


def _api_error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, dumps=_dumps, headers=_headers())


async def _session(request: web.Request) -> Signed | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with _console(request).uows() as uow:
        return await accounts.session_of(uow, token)


def _csrf_ok(signed: Signed, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(signed.csrf.encode(), given.encode())


# --- HTML ---------------------------------------------------------------------------------------------------------


def _page(title: str, body: str, signed: Signed | None = None, current: str = "") -> str:
    header = ""
    if signed is not None:
        links = "".join(
            f'<li><a href="{path}"{CURRENT if path == current else ""}>{escape(label)}</a></li>'
            for path, label in rules.nav(signed.role)
        )
        header = (
            '<header><strong>ЦНАП «Віза» — консоль</strong>'
            f'<nav aria-label="Розділи"><ul>{links}</ul></nav>'
            f'<form class="who" method="post" action="/staff/logout"><span>{escape(signed.login)} '
            f"({escape(signed.role)})</span> "
            f'<input type="hidden" name="csrf" value="{escape(signed.csrf)}">'
            '<button type="submit">Вийти</button></form></header>'
        )
    return (
        '<!doctype html><html lang="uk"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} — консоль ЦНАП «Віза»</title>'
        '<link rel="stylesheet" href="/staff/static/staff.css"></head>'
        f"<body>{header}<main>{body}</main></body></html>"
    )


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=_headers())


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
    response = _html(_page("Вхід", body), status)
    response.set_cookie(LOGIN_COOKIE, token, path=PATH, httponly=True, samesite="Strict",
                        secure=_console(request).secure, max_age=3600)  # fmt: skip
    return response


def _office_form(office: dict[str, Any], csrf: str, editable: bool) -> str:
    oid = escape(office["id"])
    status = office["status"]
    lines = [
        f'<section class="office" aria-labelledby="h-{oid}"><h2 id="h-{oid}">{escape(office["name"])}</h2>',
        f'<p>Стан: <span class="status-{escape(status)}">{STATUS_UA.get(status, status)}</span>'
        + ("" if office["bookable"] else " — запис не приймається")
        + f'. Майбутніх записів: {office["upcoming"]}.</p>',
    ]
    if not editable:
        lines.append(f'<p>Адреса: {escape(office["address"] or "не вказано")}</p>')
        lines.append(f'<p>Графік: {escape(office["hours"] or "як у довіднику")}</p>')
        if office["note"]:
            lines.append(f'<p>Примітка: {escape(office["note"])}</p>')
        return "".join(lines) + "</section>"
    options = "".join(
        f'<option value="{v}"{" selected" if v == status else ""}>{label}</option>' for v, label in STATUS_UA.items()
    )
    lines.append(
        f'<form method="post" action="/staff/offices/{oid}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label for="status-{oid}">Стан</label><select id="status-{oid}" name="status">{options}</select>'
        f'<label for="address-{oid}">Адреса</label>'
        f'<input type="text" id="address-{oid}" name="address" value="{escape(office["address"] or "")}">'
        f'<label for="hours-{oid}">Графік для громадян (порожньо — як у довіднику)</label>'
        f'<textarea id="hours-{oid}" name="hours">{escape(office["hours"] or "")}</textarea>'
        f'<label for="note-{oid}">Примітка (для зачиненого офісу — чому і де приймають натомість)</label>'
        f'<textarea id="note-{oid}" name="note">{escape(office["note"] or "")}</textarea>'
        '<button type="submit">Зберегти</button></form></section>'
    )
    return "".join(lines)


def _affected_html(console: Console, changed: offices.Changed) -> str:
    if not changed.affected:
        return '<p class="notice" role="status">Зміни збережено.</p>'
    rows = "".join(
        f"<tr><td>{escape(b.code)}</td><td>{escape(_local(console, b))}</td><td>{escape(b.service)}</td></tr>"
        for b in changed.affected
    )
    return (
        '<div class="notice" role="status"><p>Зміни збережено. Скасовано записів: '
        f"{len(changed.affected)}; громадянам надіслано повідомлення з найближчим вільним часом: "
        f"{changed.notified}.</p><table><caption>Скасовані записи</caption>"
        "<thead><tr><th>Код</th><th>Час</th><th>Послуга</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _local(console: Console, booking: Booking) -> str:
    if booking.start is None or console.booking is None:
        return ""
    return console.booking.local(booking.start).strftime("%d.%m.%Y %H:%M")


async def _offices_page(request: web.Request, signed: Signed, notice: str = "", status: int = 200) -> web.Response:
    console = _console(request)
    async with console.uows() as uow:
        found = await offices.listing(uow, console.kb)
    editable = rules.may(signed.role, "offices.edit")
    body = "<h1>Офіси</h1>" + notice + "".join(_office_form(o, signed.csrf, editable) for o in found)
    return _html(_page("Офіси", body, signed, "/staff/offices"), status)


# --- routes ---------------------------------------------------------------------------------------------------------


async def root(request: web.Request) -> web.StreamResponse:
    signed = await _session(request)
    raise web.HTTPSeeOther("/staff/offices" if signed is not None else "/staff/login")


async def login_page(request: web.Request) -> web.StreamResponse:
    if await _session(request) is not None:
        raise web.HTTPSeeOther("/staff/offices")
    return _login_page(request)


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_type != "application/x-www-form-urlencoded" or (request.content_length or 0) > MAX_FORM:
        raise web.HTTPBadRequest(text="send the form", headers=_headers())
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def login(request: web.Request) -> web.StreamResponse:
    console = _console(request)
    form = await _form(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), form.get("csrf", "").encode()):
        return _login_page(request, "Сторінка входу застаріла. Спробуйте ще раз.", 403)
    address = of_request(request, console.proxies)
    async with console.uows() as uow:
        result = await accounts.sign_in(uow, form.get("login", "").strip().lower()[:64],
                                        form.get("password", "")[: rules.MAX_PASSWORD], address)  # fmt: skip
    if result is Refused.LOCKED:
        return _login_page(request, LOCKED_UA, 429)
    if result is Refused.SLOWED:
        return _login_page(request, SLOWED_UA, 429)
    if isinstance(result, Refused):
        return _login_page(request, WRONG_UA, 401)
    response = _see_other("/staff/offices")
    response.set_cookie(COOKIE, result.token, path=PATH, httponly=True, samesite="Strict", secure=console.secure)
    response.del_cookie(LOGIN_COOKIE, path=PATH)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    signed = await _session(request)
    form = await _form(request)
    if signed is not None:
        if not _csrf_ok(signed, form.get("csrf")):
            raise web.HTTPForbidden(text="CSRF token missing or wrong", headers=_headers())
        async with _console(request).uows() as uow:
            await accounts.sign_out(uow, signed.token)
    response = _see_other("/staff/login")
    response.del_cookie(COOKIE, path=PATH)
    return response


async def offices_page(request: web.Request) -> web.StreamResponse:
    signed = await _session(request)
    if signed is None:
        raise web.HTTPSeeOther("/staff/login")
    if not rules.may(signed.role, "offices.view"):
        raise web.HTTPForbidden(text="not for your role", headers=_headers())
    return await _offices_page(request, signed)


async def office_form(request: web.Request) -> web.StreamResponse:
    signed = await _session(request)
    if signed is None:
        raise web.HTTPSeeOther("/staff/login")
    form = await _form(request)
    if not _csrf_ok(signed, form.get("csrf")):
        raise web.HTTPForbidden(text="CSRF token missing or wrong", headers=_headers())
    if not rules.may(signed.role, "offices.edit"):
        raise web.HTTPForbidden(text="not for your role", headers=_headers())
    body = {f: form[f] for f in rules.OFFICE_FIELDS if f in form}
    try:
        changed = await _change(request, signed, body)
    except rules.Invalid as exc:
        return await _offices_page(request, signed, f'<p class="error" role="alert">{escape(str(exc))}</p>', 422)
    if changed is None:
        raise web.HTTPNotFound(headers=_headers())
    return await _offices_page(request, signed, _affected_html(_console(request), changed))


async def _change(request: web.Request, signed: Signed, body: object) -> offices.Changed | None:
    console = _console(request)
    if console.booking is None:
        raise web.HTTPServiceUnavailable(text="booking is not configured", headers=_headers())
    async with console.uows() as uow:
        return await offices.change(uow, console.booking, request.match_info["office"], body, signed.login)


async def stylesheet(_: web.Request) -> web.Response:
    return web.Response(text=_CSS.read_text(encoding="utf-8"), content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip


# --- JSON API -------------------------------------------------------------------------------------------------------


async def _api_session(request: web.Request, permission: str | None, change: bool) -> Signed | web.Response:
    signed = await _session(request)
    if signed is None:
        return _api_error(401, "sign in first (POST /staff/login)")
    if change and not _csrf_ok(signed, request.headers.get(CSRF_HEADER)):
        return _api_error(403, f"the {CSRF_HEADER} header is missing or wrong (GET /staff/api/session)")
    if permission is not None and not rules.may(signed.role, permission):
        return _api_error(403, f"the role {signed.role} may not do this")
    return signed


async def api_session(request: web.Request) -> web.Response:
    signed = await _api_session(request, None, change=False)
    if isinstance(signed, web.Response):
        return signed
    return web.json_response({"login": signed.login, "role": signed.role, "csrf": signed.csrf}, dumps=_dumps,
                             headers=_headers())  # fmt: skip


async def api_offices(request: web.Request) -> web.Response:
    signed = await _api_session(request, "offices.view", change=False)
    if isinstance(signed, web.Response):
        return signed
    console = _console(request)
    async with console.uows() as uow:
        found = await offices.listing(uow, console.kb)
    return web.json_response({"offices": found}, dumps=_dumps, headers=_headers())


async def api_office_patch(request: web.Request) -> web.Response:
    signed = await _api_session(request, "offices.edit", change=True)
    if isinstance(signed, web.Response):
        return signed
    if request.content_type != "application/json":
        return _api_error(415, "send JSON with Content-Type: application/json")
    try:
        body = json.loads((await request.read()).decode("utf-8"))
    except (ValueError, RecursionError):
        return _api_error(422, "invalid JSON", "body")
    try:
        changed = await _change(request, signed, body)
    except rules.Invalid as exc:
        return _api_error(422, str(exc), exc.field)
    if changed is None:
        return _api_error(404, "no such office", "id")
    console = _console(request)
    affected = [{"code": b.code, "start": b.start.isoformat() if b.start else None, "service": b.service}
                for b in changed.affected]  # fmt: skip
    return web.json_response(
        {"office": {"id": changed.office.office, **changed.office.json(), "bookable": changed.office.bookable},
         "affected": affected, "notified": changed.notified, "time_zone": str(console.booking.tz)
         if console.booking else None},
        dumps=_dumps, headers=_headers(),
    )  # fmt: skip


def setup_staff(
    app: web.Application,
    uows: Callable[[], UnitOfWork],
    booking: BookingService | None,
    kb: Knowledge,
    *,
    proxies: Sequence[Network] = (),
    secure: bool = False,
) -> None:
    """Mount the staff console under /staff/."""
    app[CONSOLE_KEY] = Console(uows, booking, kb, tuple(proxies), secure)
    app.router.add_get("/staff", root)
    app.router.add_get("/staff/", root)
    app.router.add_get("/staff/login", login_page)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff/offices", offices_page)
    app.router.add_post("/staff/offices/{office}", office_form)
    app.router.add_get("/staff/static/staff.css", stylesheet)
    app.router.add_get("/staff/api/session", api_session)
    app.router.add_get("/staff/api/offices", api_offices)
    app.router.add_patch("/staff/api/offices/{office}", api_office_patch)
