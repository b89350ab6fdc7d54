"""What every page of the staff console shares: the console's collaborators, the session and CSRF checks, the page
frame with its nav, and the JSON API's errors. Each page is a module of this package with a `routes(app)`.

Pages are server-rendered HTML in Ukrainian with this server's stylesheet; forms carry the session's CSRF token in
a hidden field, the API wants it in `X-CSRF-Token`. The session cookie is HttpOnly, SameSite=Strict, limited to
/staff/ and Secure when PUBLIC_URL is https."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from dialogs.booking.service import BookingService
from dialogs.console import accounts, rules
from dialogs.console.accounts import Signed
from dialogs.handoff.desk import Desk
from dialogs.handoff.service import HandoffService
from handlers.web.client import Network
from knowledge.loader import Knowledge
from knowledge.understand import Understander
from storage.uow import UnitOfWork

COOKIE = "viza_staff"
PATH = "/staff/"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM = 16 * 1024
# The console's own policy: this server's stylesheet and scripts only, never framed.
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")  # fmt: skip
_CSS = resources.files("handlers.web") / "static" / "staff.css"
dumps = partial(json.dumps, ensure_ascii=False)
CURRENT = ' aria-current="page"'


@dataclass(frozen=True)
class Console:
    """The collaborators the pages use; `booking`, `handoff` and `understander` are None when the bot runs
    without them."""

    uows: Callable[[], UnitOfWork]
    booking: BookingService | None
    kb: Knowledge
    proxies: tuple[Network, ...]
    secure: bool
    handoff: HandoffService | None = None
    desk: Desk | None = None  # what operators do to tickets (the inbox acts through it)
    understander: Understander | None = None  # the engine's: attached phrasings go live in it (unanswered.py)


CONSOLE_KEY = web.AppKey("staff_console", Console)


def console(request: web.Request) -> Console:
    return request.app[CONSOLE_KEY]


def headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={**headers(), "Location": location})


def api_error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, dumps=dumps, headers=headers())


def json_ok(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps, headers=headers())


async def session(request: web.Request) -> Signed | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with console(request).uows() as uow:
        return await accounts.session_of(uow, token)


def csrf_ok(signed: Signed, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(signed.csrf.encode(), given.encode())


async def form(request: web.Request) -> dict[str, str]:
    if request.content_type != "application/x-www-form-urlencoded" or (request.content_length or 0) > MAX_FORM:
        raise web.HTTPBadRequest(text="send the form", headers=headers())
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def viewer(request: web.Request, permission: str) -> Signed:
    """The signed-in member of staff who may see this page; else to the login page, or 403."""
    signed = await session(request)
    if signed is None:
        raise web.HTTPSeeOther("/staff/login")
    if not rules.may(signed.role, permission):
        raise web.HTTPForbidden(text="not for your role", headers=headers())
    return signed


async def changer(request: web.Request, permission: str) -> tuple[Signed, dict[str, str]]:
    """The member of staff posting a form that changes something, and the form: CSRF checked first."""
    signed = await session(request)
    if signed is None:
        raise web.HTTPSeeOther("/staff/login")
    fields = await form(request)
    if not csrf_ok(signed, fields.get("csrf")):
        raise web.HTTPForbidden(text="CSRF token missing or wrong", headers=headers())
    if not rules.may(signed.role, permission):
        raise web.HTTPForbidden(text="not for your role", headers=headers())
    return signed, fields


async def api_session(request: web.Request, permission: str | None, change: bool) -> Signed | web.Response:
    """The API's caller, or the response that refuses it: 401 without a session, 403 without CSRF or role."""
    signed = await session(request)
    if signed is None:
        return api_error(401, "sign in first (POST /staff/login)")
    if change and not csrf_ok(signed, request.headers.get(CSRF_HEADER)):
        return api_error(403, f"the {CSRF_HEADER} header is missing or wrong (GET /staff/api/session)")
    if permission is not None and not rules.may(signed.role, permission):
        return api_error(403, f"the role {signed.role} may not do this")
    return signed


async def api_change(request: web.Request, permission: str) -> tuple[Signed, object] | web.Response:
    """The caller and the JSON body of an API change, or the response that refuses it (401, 403 without CSRF or
    role, 415, 422 for bad JSON)."""
    signed = await api_session(request, permission, change=True)
    if isinstance(signed, web.Response):
        return signed
    body = await json_body(request)
    if isinstance(body, web.Response):
        return body
    return signed, body


async def json_body(request: web.Request) -> object | web.Response:
    """The request's JSON, or the 415/422 response that refuses it."""
    if request.content_type != "application/json":
        return api_error(415, "send JSON with Content-Type: application/json")
    try:
        parsed: object = json.loads((await request.read()).decode("utf-8"))
    except (ValueError, RecursionError):
        return api_error(422, "invalid JSON", "body")
    return parsed


def csrf_field(signed: Signed) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(signed.csrf)}">'


def page(title: str, body: str, signed: Signed | None = None, current: str = "", scripts: tuple[str, ...] = ()) -> str:
    """A whole page: the header with the nav the role may see, then `body`. `scripts`: this server's paths."""
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
            f"({escape(signed.role)})</span> {csrf_field(signed)}"
            '<button type="submit">Вийти</button></form></header>'
        )
    tags = "".join(f'<script src="{escape(src)}" defer></script>' for src in scripts)
    return (
        '<!doctype html><html lang="uk"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} — консоль ЦНАП «Віза»</title>'
        f'<link rel="stylesheet" href="/staff/static/staff.css">{tags}</head>'
        f"<body>{header}<main>{body}</main></body></html>"
    )


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=headers())


def notice(text: str) -> str:
    return f'<p class="notice" role="status">{escape(text)}</p>'


def error(text: str) -> str:
    return f'<p class="error" role="alert">{escape(text)}</p>'


async def stylesheet(_: web.Request) -> web.Response:
    return web.Response(text=_CSS.read_text(encoding="utf-8"), content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip
