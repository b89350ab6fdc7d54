"""The Callbacks and home visits page and `/staff/api/callbacks`: the open and recent hotline callbacks and
home-visit requests with the phone masked; «Показати номер» (a CSRF-checked POST) shows it and records
`phone.view` in the audit log (who, which request, when; never the number); staff's status (called, no answer,
done, visit agreed for a date) and note, each change audited before → after. The rules are
dialogs/console/desk.py; the rows storage/desk.py."""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from dialogs.console import desk as rules
from dialogs.console.accounts import Signed
from dialogs.console.rules import Invalid
from handlers.web.staff.base import (
    api_change,
    api_error,
    api_session,
    changer,
    console,
    csrf_field,
    error,
    html,
    json_ok,
    notice,
    page,
    viewer,
)
from storage.booking import Booking
from storage.desk import RequestMark

PATH = "/staff/callbacks"
PERMISSION = "callbacks"
VIEW_ACTION = "phone.view"
MARK_ACTION = "request.mark"
KIND_UA = {"callback": "дзвінок", "visit": "виїзд додому"}
STATUS_UA = {"booked": "очікує", "requested": "заявка", "arrived": "виконано", "no-show": "не відбувся",
             "cancelled": "скасовано"}  # fmt: skip


def _audited(state: dict[str, Any]) -> dict[str, Any]:
    """A request's state as the audit log keeps it: the note only as whether there is one (free text that may
    name the citizen; the log keeps no personal data)."""
    return {"status": state["status"], "visit_day": state["visit_day"], "note": state["note"] is not None}


def _mark_json(mark: RequestMark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {"status": mark.status, "note": mark.note,
            "visit_day": mark.visit_day.isoformat() if mark.visit_day else None,
            "updated_at": mark.updated_at.isoformat(), "updated_by": mark.updated_by}  # fmt: skip


def _when(request: web.Request, b: Booking) -> str:
    service = console(request).booking
    if b.start is not None and service is not None:
        return service.local(b.start).strftime("%d.%m.%Y %H:%M")
    local = service.local(b.created_at) if service is not None else b.created_at
    return f"заявка від {local:%d.%m.%Y}"


def _mark_form(signed: Signed, b: Booking, mark: RequestMark | None) -> str:
    code = escape(b.code)
    current = mark.status if mark else ""
    options = '<option value="">— оберіть —</option>' + "".join(
        f'<option value="{v}"{" selected" if v == current else ""}>{label}</option>'
        for v, label in rules.statuses(b.kind).items()
    )
    day = mark.visit_day.isoformat() if mark and mark.visit_day else ""
    note = escape(mark.note or "") if mark else ""
    date = (f'<label for="vd-{code}">Дата виїзду (якщо узгоджено)</label>'
            f'<input type="date" id="vd-{code}" name="visit_day" value="{day}">') if b.kind == "visit" else ""  # fmt: skip
    return (
        f'<form method="post" action="{PATH}/{code}" class="request-mark">{csrf_field(signed)}'
        f'<label for="st-{code}">Стан</label><select id="st-{code}" name="status">{options}</select>{date}'
        f'<label for="nt-{code}">Примітка</label><textarea id="nt-{code}" name="note" '
        f'maxlength="{rules.MAX_REQUEST_NOTE}">{note}</textarea>'
        f'<button type="submit" aria-label="Зберегти, {code}">Зберегти</button></form>'
    )


def _item(
    request: web.Request, signed: Signed, b: Booking, mark: RequestMark | None, shown: str | None
) -> str:
    code = escape(b.code)
    titles = console(request).kb.services
    service = escape(titles[b.service].short_title if b.service in titles else b.service)
    if shown == b.code:
        phone = f'<strong class="phone">{escape(b.phone or "—")}</strong>'
        if b.kind == "visit":
            phone += f"<br>Адреса: {escape(b.address or '—')}"
    else:
        phone = (f'<span>{escape(rules.masked(b.phone))}</span>'
                 + (f'<form method="post" action="{PATH}/{code}/phone" class="reveal">{csrf_field(signed)}'
                    f'<button type="submit" aria-label="Показати номер, {code}">Показати номер</button>'
                    "</form>"
                    if b.phone else ""))  # fmt: skip
    state = STATUS_UA.get(b.status, escape(b.status))
    if mark is not None:
        state += f"; {rules.REQUEST_STATUSES.get(mark.status, escape(mark.status))}"
        if mark.visit_day:
            state += f" на {mark.visit_day:%d.%m.%Y}"
        state += f" ({escape(mark.updated_by)})"
    topic = f"<p>Тема: {escape(b.topic)}</p>" if b.topic else ""
    return (
        f'<section class="request" aria-labelledby="rq-{code}"><h2 id="rq-{code}">{code}: '
        f"{KIND_UA.get(b.kind, escape(b.kind))}, {escape(_when(request, b))}</h2>"
        f"<p>Послуга: {service}. Стан: {state}.</p>{topic}<div>Телефон: {phone}</div>"
        f"{_mark_form(signed, b, mark)}</section>"
    )


async def _listing(request: web.Request) -> list[tuple[Booking, RequestMark | None]]:
    found = console(request)
    async with found.uows() as uow:
        return await uow.desk.requests(uow.clock() - rules.RECENT)


async def _callbacks_page(request: web.Request, signed: Signed, shown_notice: str = "", status: int = 200,
                          shown: str | None = None) -> web.Response:  # fmt: skip
    listed = await _listing(request)
    items = "".join(_item(request, signed, b, m, shown) for b, m in listed)
    body = (
        f"<h1>Дзвінки й виїзди</h1>{shown_notice}"
        "<p>Відкриті заявки та закриті за останні 14 днів. Перегляд номера записується в журнал.</p>"
        + (items or "<p>Заявок немає.</p>")
    )
    return html(page("Дзвінки й виїзди", body, signed, PATH), status)


async def callbacks_page(request: web.Request) -> web.StreamResponse:
    return await _callbacks_page(request, await viewer(request, PERMISSION))


async def _reveal(request: web.Request, signed: Signed) -> Booking | None:
    """The request with its phone, the view recorded (never the number); None if there is no such request."""
    found = console(request)
    async with found.uows() as uow:
        pair = await uow.desk.request(request.match_info["code"])
        if pair is None:
            return None
        booking = pair[0]
        await uow.audit.record(signed.login, VIEW_ACTION, booking.code,
                               after={"kind": booking.kind, "phone": booking.phone is not None})  # fmt: skip
        return booking


async def reveal_form(request: web.Request) -> web.StreamResponse:
    signed, _ = await changer(request, PERMISSION)
    booking = await _reveal(request, signed)
    if booking is None:
        return await _callbacks_page(request, signed, error("Такої заявки немає."), 404)
    return await _callbacks_page(request, signed, shown=booking.code)


async def _change(request: web.Request, signed: Signed, body: object) -> RequestMark | None:
    found = console(request)
    async with found.uows() as uow:
        now = uow.clock()
        today = found.booking.local(now).date() if found.booking else now.date()
        pair = await uow.desk.request(request.match_info["code"])
        if pair is None:
            return None
        booking, mark = pair
        change = rules.request_change(body, today, booking.kind)
        before = _mark_json(mark)
        if mark is None:
            mark = RequestMark(booking_id=booking.id, status=change.status, updated_at=now,
                               updated_by=signed.login)  # fmt: skip
        mark.status, mark.note, mark.visit_day = change.status, change.note, change.visit_day
        mark.updated_at, mark.updated_by = now, signed.login[:64]
        await uow.desk.put_mark(mark)
        await uow.audit.record(signed.login, MARK_ACTION, booking.code,
                               before=None if before is None else _audited(before),
                               after=_audited(change.json()))  # fmt: skip
        return mark


async def mark_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, PERMISSION)
    body = {"status": fields.get("status", ""), "note": fields.get("note"),
            "visit_day": fields.get("visit_day")}  # fmt: skip
    try:
        mark = await _change(request, signed, body)
    except Invalid as exc:
        return await _callbacks_page(request, signed, error(str(exc)), 422)
    if mark is None:
        return await _callbacks_page(request, signed, error("Такої заявки немає."), 404)
    return await _callbacks_page(request, signed, notice(f"{request.match_info['code']}: збережено."))


# --- the JSON API -------------------------------------------------------------------------------------


async def api_callbacks(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=False)
    if isinstance(signed, web.Response):
        return signed
    listed = await _listing(request)
    return json_ok({"requests": [
        {"code": b.code, "kind": b.kind, "service": b.service, "status": b.status,
         "start": b.start.isoformat() if b.start else None, "created_at": b.created_at.isoformat(),
         "phone": rules.masked(b.phone), "topic": b.topic, "mark": _mark_json(m)}
        for b, m in listed
    ]})  # fmt: skip


async def api_reveal(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=True)
    if isinstance(signed, web.Response):
        return signed
    booking = await _reveal(request, signed)
    if booking is None:
        return api_error(404, "no such callback or home-visit request", "code")
    return json_ok({"code": booking.code, "phone": booking.phone,
                    "address": booking.address if booking.kind == "visit" else None})  # fmt: skip


async def api_mark(request: web.Request) -> web.Response:
    asked = await api_change(request, PERMISSION)
    if isinstance(asked, web.Response):
        return asked
    signed, body = asked
    try:
        mark = await _change(request, signed, body)
    except Invalid as exc:
        return api_error(422, str(exc), exc.field)
    if mark is None:
        return api_error(404, "no such callback or home-visit request", "code")
    return json_ok({"code": request.match_info["code"], "mark": _mark_json(mark)})


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, callbacks_page)
    app.router.add_post(PATH + "/{code}/phone", reveal_form)
    app.router.add_post(PATH + "/{code}", mark_form)
    app.router.add_get("/staff/api/callbacks", api_callbacks)
    app.router.add_post("/staff/api/callbacks/{code}/phone", api_reveal)
    app.router.add_post("/staff/api/callbacks/{code}", api_mark)
