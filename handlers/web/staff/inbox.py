"""The operators' inbox (`/staff/inbox`, permission "inbox") and `/staff/api/inbox…`: the same tickets as
the Telegram operator group, waiting ones with priority and wait, then the taken ones; take, reply, canned
answers, pass back, close, each through the desk (`Desk.act`), so the citizen is told what the group's action
tells them.
The signed-in login is the operator («staff:<login>»). Works with forms and reloads; `inbox.js` (this server's
file) polls the JSON every few seconds and updates the lists and the open conversation in place. What is shown
and in what order is dialogs/handoff/inbox.py."""

from __future__ import annotations

from html import escape
from importlib import resources

from aiohttp import web

from dialogs.console.accounts import Signed
from dialogs.handoff import inbox
from dialogs.handoff.desk import Desk, OperatorEvent
from dialogs.handoff.inbox import Row, TicketView
from dialogs.handoff.service import HandoffService
from handlers.web.staff.base import (
    api_error,
    api_session,
    changer,
    console,
    csrf_field,
    error,
    headers,
    html,
    json_body,
    json_ok,
    notice,
    page,
    viewer,
)

PERMISSION = "inbox"
PATH = "/staff/inbox"
SCRIPT = "/staff/static/inbox.js"
VERBS = ("take", "reply", "canned", "pass", "close")
_JS = resources.files("handlers.web") / "static" / "inbox.js"
WHO_UA = {"citizen": "Громадянин", "bot": "Бот", "operator": "Оператор"}
OFF = "Звернення до операторів вимкнено (немає запису й оператора в налаштуваннях)."


def _parts(request: web.Request) -> tuple[HandoffService, Desk] | None:
    found = console(request)
    return (found.handoff, found.desk) if found.handoff is not None and found.desk is not None else None


def _row_html(r: Row, signed: Signed, waiting: bool) -> str:
    marks = ("🎖 " if r.priority else "") + ("✍️ " if r.question else "")
    priority = escape(r.priority) if r.priority else "—"
    action = (
        f'<form method="post" action="{PATH}/{r.id}/take">{csrf_field(signed)}'
        f'<button type="submit">Взяти №{r.id}</button></form>'
        if waiting
        else escape(r.operator or "—") + (" (ви)" if r.mine else "")
    )
    return (
        f'<tr data-id="{r.id}"><td><a href="{PATH}/{r.id}">{marks}№{r.id}</a></td>'
        f"<td>{escape(r.channel)}</td>"
        f"<td>{escape(r.name)}</td><td>{priority}</td><td>{escape(r.since)}</td><td>{escape(r.waited)}</td>"
        f"<td>{action}</td></tr>"
    )


def _table(rows: list[Row], signed: Signed, waiting: bool) -> str:
    caption, last = ("Чекають на оператора", "Дія") if waiting else ("Взяті", "Веде")
    key = "waiting" if waiting else "taken"
    since = "Чекає" if waiting else "Веде вже"
    body = "".join(_row_html(r, signed, waiting) for r in rows)
    empty = "" if rows else '<p class="empty">Нікого.</p>'
    return (
        f'<section aria-labelledby="h-{key}">'
        f'<h2 id="h-{key}">{caption}: <span class="count">{len(rows)}</span></h2>'
        f'<table class="inbox" id="{key}"><thead><tr><th scope="col">Тікет</th>'
        f'<th scope="col">Канал</th><th scope="col">Ім\'я</th><th scope="col">Пріоритет</th>'
        f'<th scope="col">Створено</th><th scope="col">{since}</th><th scope="col">{last}</th></tr></thead>'
        f"<tbody>{body}</tbody></table>{empty}</section>"
    )


async def _list_page(request: web.Request, signed: Signed, note: str = "", status: int = 200) -> web.Response:
    parts = _parts(request)
    if parts is None:
        return html(page("Звернення", "<h1>Звернення</h1>" + notice(OFF), signed, PATH), status)
    operator_id, _ = inbox.staff_operator(signed.login)
    async with console(request).uows() as uow:
        waiting, taken = await inbox.board(uow, parts[0], uow.clock(), operator_id)
    body = (
        f'<h1>Звернення</h1>{note}'
        f'<div id="inbox" data-api="/staff/api/inbox" data-csrf="{escape(signed.csrf)}">'
        f"{_table(waiting, signed, True)}{_table(taken, signed, False)}</div>"
        '<p class="hint">Список оновлюється сам; без JavaScript — '
        '<a href="/staff/inbox">оновіть сторінку</a>.</p>'
    )
    return html(page("Звернення", body, signed, PATH, scripts=(SCRIPT,)), status)


def _lines_html(view: TicketView) -> str:
    return "".join(
        f'<li class="line {escape(line.who)}" data-id="{line.id}">'
        f'<span class="who">{WHO_UA[line.who]}:</span> '
        f"{escape(line.text)}</li>"
        for line in view.lines
    )


def _ticket_html(view: TicketView, signed: Signed, canned_keys: list[str]) -> str:
    r, tid = view.row, view.row.id
    state = "закрито" if not view.active else ("чекає" if r.status == "waiting" else f"веде {r.operator}")
    forms = ""
    if view.active and (r.status == "waiting" or r.mine):
        keys = "".join(f'<option value="{escape(k)}"></option>' for k in canned_keys if not k.startswith("<"))
        take = (f'<form method="post" action="{PATH}/{tid}/take">{csrf_field(signed)}'
                '<button type="submit">Взяти</button></form>') if r.status == "waiting" else ""  # fmt: skip
        forms = (
            f'{take}<form method="post" action="{PATH}/{tid}/reply" id="reply">{csrf_field(signed)}'
            '<label for="text">Відповідь громадянину</label><textarea id="text" name="text" required '
            f'maxlength="{inbox.MAX_REPLY}"></textarea><button type="submit">Надіслати</button></form>'
            f'<form method="post" action="{PATH}/{tid}/canned">{csrf_field(signed)}'
            '<label for="key">Шаблон (hours, address, hotline, callback або номер картки, напр. 41-11)'
            '</label><input type="text" id="key" name="text" list="keys" required>'
            f'<datalist id="keys">{keys}</datalist>'
            '<button type="submit">Надіслати шаблон</button></form><div class="actions">'
            + (f'<form method="post" action="{PATH}/{tid}/pass">{csrf_field(signed)}'
               '<button type="submit">Повернути в чергу</button></form>' if r.mine else "")
            + f'<form method="post" action="{PATH}/{tid}/close">{csrf_field(signed)}'
            '<button type="submit">Закрити звернення</button></form></div>'
        )  # fmt: skip
    return (
        f'<h1>Звернення №{tid}</h1><p><a href="{PATH}">← усі звернення</a></p>'
        f'<p>Стан: <strong id="state">{escape(state)}</strong> · {escape(r.channel)} · {escape(r.name)}'
        f' · чекає/триває: <span id="waited">{escape(r.waited)}</span></p>'
        f'<div id="ticket" data-api="/staff/api/inbox/{tid}" data-csrf="{escape(signed.csrf)}">'
        f'<section aria-labelledby="h-context"><h2 id="h-context">Контекст</h2>'
        f'<pre class="card">{escape(view.context)}</pre></section>'
        f'<section aria-labelledby="h-talk"><h2 id="h-talk">Розмова</h2>'
        '<ol class="talk" id="talk" aria-live="polite" tabindex="0" aria-label="Розмова">'
        f"{_lines_html(view)}</ol></section>{forms}</div>"
    )


async def _ticket_page(
    request: web.Request, signed: Signed, tid: int, note: str = "", status: int = 200, look: bool = False
) -> web.Response:
    """A ticket's page; `look`: a member of staff opened it (audited: it shows the citizen's words)."""
    parts = _parts(request)
    if parts is None:
        return html(page("Звернення", "<h1>Звернення</h1>" + notice(OFF), signed, PATH), status)
    found = console(request)
    operator_id, _ = inbox.staff_operator(signed.login)
    async with found.uows() as uow:
        view = await inbox.ticket_view(uow, parts[0], tid, uow.clock(), operator_id)
        if view is not None and look:
            await uow.audit.record(signed.login, "inbox.view", f"ticket:{tid}")
    if view is None:
        raise web.HTTPNotFound(text="no such ticket", headers=headers())
    body = note + _ticket_html(view, signed, parts[1].canned_keys)
    return html(page(f"Звернення №{tid}", body, signed, PATH, scripts=(SCRIPT,)), status)


def _tid(request: web.Request) -> int:
    raw = request.match_info["ticket"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound(headers=headers())
    return int(raw)


async def _act(
    request: web.Request, signed: Signed, tid: int, verb: str, text: str
) -> tuple[list[str], bool]:
    """Do it through the desk; (the desk's lines, whether it was a ticket)."""
    parts = _parts(request)
    if parts is None:
        raise web.HTTPServiceUnavailable(text="the operator handoff is not running", headers=headers())
    found = console(request)
    operator_id, name = inbox.staff_operator(signed.login)
    event = OperatorEvent(operator_id, name, None, text=text or None)
    async with found.uows() as uow:
        outcome = await parts[1].act(uow, tid, verb, event, uow.clock())
        exists = await uow.tickets.get(tid) is not None
        if exists:  # what was said is in the citizen's log, not in the audit
            done = [r.text[:80] for r in outcome.replies if verb != "reply"]
            await uow.audit.record(signed.login, f"inbox.{verb}", f"ticket:{tid}", after={"done": done})
    return [r.text for r in outcome.replies], exists


async def list_page(request: web.Request) -> web.StreamResponse:
    return await _list_page(request, await viewer(request, PERMISSION))


async def ticket_page(request: web.Request) -> web.StreamResponse:
    return await _ticket_page(request, await viewer(request, PERMISSION), _tid(request), look=True)


async def ticket_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, PERMISSION)
    tid, verb = _tid(request), request.match_info["verb"]
    if verb not in VERBS:
        raise web.HTTPNotFound(headers=headers())
    text = fields.get("text", "")
    if verb in ("reply", "canned") and (problem := inbox.reply_problem(text)):
        return await _ticket_page(request, signed, tid, error(problem), 422)
    said, exists = await _act(request, signed, tid, verb, text)
    if not exists:
        raise web.HTTPNotFound(text="no such ticket", headers=headers())
    return await _ticket_page(request, signed, tid, notice(" ".join(said) or "Готово."))


async def api_inbox(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=False)
    if isinstance(signed, web.Response):
        return signed
    parts = _parts(request)
    if parts is None:
        return api_error(503, "the operator handoff is not running")
    found = console(request)
    operator_id, _ = inbox.staff_operator(signed.login)
    async with found.uows() as uow:
        waiting, taken = await inbox.board(uow, parts[0], uow.clock(), operator_id)
    return json_ok({"waiting": [r.as_dict() for r in waiting], "taken": [r.as_dict() for r in taken]})


async def api_ticket(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=False)
    if isinstance(signed, web.Response):
        return signed
    parts = _parts(request)
    if parts is None:
        return api_error(503, "the operator handoff is not running")
    raw = request.query.get("after", "0")
    if not raw.isdigit() or len(raw) > 18:
        return api_error(422, "after is a line id", "after")
    found = console(request)
    operator_id, _ = inbox.staff_operator(signed.login)
    async with found.uows() as uow:
        view = await inbox.ticket_view(uow, parts[0], _tid(request), uow.clock(), operator_id, int(raw))
        if view is not None and raw == "0":  # a first look (a poll's `after` only fetches what is new)
            await uow.audit.record(signed.login, "inbox.view", f"ticket:{view.row.id}")
    if view is None:
        return api_error(404, "no such ticket", "id")
    return json_ok(view.as_dict())


async def api_act(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=True)
    if isinstance(signed, web.Response):
        return signed
    verb = request.match_info["verb"]
    if verb not in VERBS:
        return api_error(404, f"verbs: {', '.join(VERBS)}", "verb")
    text = ""
    if verb in ("reply", "canned"):
        body = await json_body(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return api_error(422, "send {\"text\": \"…\"}", "text")
        text = body["text"]
        if problem := inbox.reply_problem(text):
            return api_error(422, problem, "text")
    if _parts(request) is None:
        return api_error(503, "the operator handoff is not running")
    said, exists = await _act(request, signed, _tid(request), verb, text)
    if not exists:
        return api_error(404, "no such ticket", "id")
    return json_ok({"lines": said})


async def script(_: web.Request) -> web.Response:
    return web.Response(text=_JS.read_text(encoding="utf-8"), content_type="text/javascript", charset="utf-8",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, list_page)
    app.router.add_get(PATH + "/{ticket}", ticket_page)
    app.router.add_post(PATH + "/{ticket}/{verb}", ticket_form)
    app.router.add_get("/staff/api/inbox", api_inbox)
    app.router.add_get("/staff/api/inbox/{ticket}", api_ticket)
    app.router.add_post("/staff/api/inbox/{ticket}/{verb}", api_act)
    app.router.add_get(SCRIPT, script)
