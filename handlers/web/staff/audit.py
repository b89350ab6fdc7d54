"""«Журнал змін» (admins): the staff audit log (storage/audit.py) newest first, PAGE_SIZE a page, filtered by
actor and action, each change as before → after. The log holds no phone number or name of a citizen (its writers
record codes, offices and logins), so the page shows it whole."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from dialogs.console.unanswered import KYIV
from handlers.web.staff.base import console, html, page, viewer
from storage.audit import AuditEntry

PATH = "/staff/audit"
PAGE_SIZE = 50
MAX_PAGE = 10_000


def _value(value: dict[str, Any] | None) -> str:
    if value is None:
        return "—"
    return escape(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def _row(e: AuditEntry) -> str:
    at = e.at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M:%S")
    return (f"<tr><td>{at}</td><td>{escape(e.actor)}</td><td>{escape(e.action)}</td><td>{escape(e.target)}</td>"
            f"<td>{_value(e.before)} → {_value(e.after)}</td></tr>")  # fmt: skip


def _number(text: str | None) -> int:
    try:
        return min(max(int(text or "1"), 1), MAX_PAGE)
    except ValueError:
        return 1


async def audit_page(request: web.Request) -> web.StreamResponse:
    signed = await viewer(request, "audit")
    actor = request.query.get("actor", "").strip()[:64]
    action = request.query.get("action", "").strip()[:48]
    number = _number(request.query.get("page"))
    async with console(request).uows() as uow:
        # one more than a page tells whether there is an older page
        entries = await uow.audit.page(actor=actor or None, action=action or None,
                                       offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)  # fmt: skip
        actions = await uow.audit.actions()
    older = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    choices = '<option value="">усі</option>' + "".join(
        f'<option value="{escape(a)}"{" selected" if a == action else ""}>{escape(a)}</option>' for a in actions
    )
    kept = {k: v for k, v in (("actor", actor), ("action", action)) if v}
    links = []
    if number > 1:
        links.append(f'<a href="{PATH}?{escape(urlencode({**kept, "page": number - 1}))}">← Новіші</a>')
    if older:
        links.append(f'<a href="{PATH}?{escape(urlencode({**kept, "page": number + 1}))}">Старіші →</a>')
    rows = "".join(_row(e) for e in entries) or '<tr><td colspan="5">Записів немає.</td></tr>'
    body = (
        "<h1>Журнал змін</h1>"
        f'<form method="get" action="{PATH}" class="range"><label for="actor">Хто (логін)</label>'
        f'<input type="text" id="actor" name="actor" value="{escape(actor)}">'
        f'<label for="action">Дія</label><select id="action" name="action">{choices}</select>'
        '<button type="submit">Показати</button></form>'
        f'<div class="scroll"><table><caption>Сторінка {number}, новіші спершу</caption><thead><tr>'
        '<th scope="col">Коли (Київ)</th><th scope="col">Хто</th><th scope="col">Дія</th>'
        '<th scope="col">Що</th><th scope="col">Було → стало</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        + (f'<nav aria-label="Сторінки журналу" class="pages">{" ".join(links)}</nav>' if links else "")
    )
    return html(page("Журнал змін", body, signed, PATH))


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, audit_page)
