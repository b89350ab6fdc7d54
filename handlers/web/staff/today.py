"""The Today page and `/staff/api/today`, `/staff/api/bookings/{code}/mark`: an office's bookings of a day
in time order with their priority state, marked arrived / no-show / priority confirmed or refused in one click
(the same calls and audit records as `python -m bot booking mark`, dialogs/booking/desk.py), walk-ins, and
closing the rest of the day (its citizens told). The rules are dialogs/console/desk.py."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from aiohttp import web

from dialogs.booking import desk
from dialogs.booking.notices import Closed, office_name
from dialogs.booking.service import BookingService
from dialogs.console import desk as rules
from dialogs.console.accounts import Signed
from dialogs.console.rules import Invalid
from dialogs.offices import bookable
from handlers.web.staff.base import (
    Console,
    api_change,
    api_error,
    api_session,
    changer,
    console,
    csrf_field,
    error,
    headers,
    html,
    json_ok,
    notice,
    page,
    viewer,
)

PATH = "/staff/today"
PERMISSION = "today"
STATUS_UA = {"booked": "очікується", "arrived": "прийшов", "no-show": "не прийшов", "cancelled": "скасовано",
             "requested": "заявка"}  # fmt: skip
PRIORITY_UA = {desk.CLAIMED: "заявлено", "confirmed": "підтверджено", "refused": "відхилено"}
BUTTONS = (
    ("arrived", "Прийшов"),
    ("no_show", "Не прийшов"),
    ("arrived:confirmed", "Прийшов, пільгу підтверджено"),
    ("arrived:refused", "Прийшов, пільгу відхилено"),
)
DECIDE = (("arrived:confirmed", "Пільгу підтверджено"), ("arrived:refused", "Пільгу відхилено"))


def _booking(found: Console) -> BookingService:
    if found.booking is None:
        raise web.HTTPServiceUnavailable(text="booking is not configured", headers=headers())
    return found.booking


def _offices(service: BookingService) -> list[str]:
    return [o.office for o in service.data.offices]


def _where(
    service: BookingService, office: str | None, day: str | None, now: dt.datetime
) -> tuple[str, dt.date]:
    """The office and day asked for (the first office, today in Kyiv by default); Invalid names the field."""
    known = _offices(service)
    office = office or known[0]
    if office not in known:
        raise Invalid("office", "office is one of " + ", ".join(known))
    return office, rules.day(day, service.local(now).date())


NOT_YET = "ще не час"


def _buttons(row: desk.DayRow, now: dt.datetime) -> tuple[tuple[str, str], ...] | None:
    """The one-click marks a row offers now; None while its time has not come."""
    b = row.booking
    if b.status == "booked" and b.start is not None and b.start > now:
        return None
    if b.status == "booked":
        return BUTTONS if row.priority == desk.CLAIMED else BUTTONS[:2]
    if b.status == "arrived" and row.priority == desk.CLAIMED:
        return DECIDE
    return ()


def _rows(service: BookingService, rows: list[desk.DayRow], signed: Signed, office: str, day: dt.date,
          now: dt.datetime) -> str:  # fmt: skip
    if not rows:
        return "<p>Записів на цей день немає.</p>"
    token, where = csrf_field(signed), f'<input type="hidden" name="office" value="{escape(office)}">' \
        f'<input type="hidden" name="day" value="{day.isoformat()}">'  # fmt: skip
    titles = {sid: s.short_title for sid, s in service.kb.services.items()}
    out = []
    for row in rows:
        b = row.booking
        offered = _buttons(row, now)
        buttons = NOT_YET if offered is None else ""
        if offered:
            code = escape(b.code)
            buttons = (f'<form method="post" action="{PATH}/mark" class="marks">{token}{where}'
                       f'<input type="hidden" name="code" value="{code}">'
                       + "".join(f'<button type="submit" name="act" value="{value}" '
                                 f'aria-label="{label}, {code}">{label}</button>' for value, label in offered)
                       + "</form>")  # fmt: skip
        start = service.local(b.start).strftime("%H:%M") if b.start else "—"
        priority = PRIORITY_UA.get(row.priority or "", "—")
        out.append(
            f"<tr><td>{start}</td><td>{escape(b.code)}</td>"
            f"<td>{escape(titles.get(b.service, b.service))}</td>"
            f'<td class="prio-{escape(row.priority or "none")}">{priority}</td>'
            f"<td>{STATUS_UA.get(b.status, escape(b.status))}</td><td>{buttons}</td></tr>"
        )
    return (
        '<table class="today"><caption>Записи за часом</caption><thead><tr><th scope="col">Час</th>'
        '<th scope="col">Код</th><th scope="col">Послуга</th><th scope="col">Пільга</th>'
        '<th scope="col">Стан</th><th scope="col">Відмітка</th></tr></thead>'
        f'<tbody>{"".join(out)}</tbody></table>'
    )


def _picker(service: BookingService, office: str, day: dt.date) -> str:
    options = "".join(
        f'<option value="{escape(o)}"{" selected" if o == office else ""}>'
        f"{escape(office_name(service.kb, o))}</option>"
        for o in _offices(service)
    )
    return (
        f'<form method="get" action="{PATH}" class="picker"><label for="office">Офіс</label>'
        f'<select id="office" name="office">{options}</select><label for="day">День</label>'
        f'<input type="date" id="day" name="day" value="{day.isoformat()}">'
        '<button type="submit">Показати</button></form>'
    )


def _walk_in_form(service: BookingService, signed: Signed, office: str, day: dt.date, count: int) -> str:
    options = "".join(
        f'<option value="{escape(sid)}">{escape(s.short_title)}</option>'
        for sid, s in sorted(service.kb.services.items(), key=lambda kv: kv[1].short_title)
    )
    return (
        '<section aria-labelledby="h-walk"><h2 id="h-walk">Без запису</h2>'
        f"<p>Прийнято без запису цього дня: {count}.</p>"
        f'<form method="post" action="{PATH}/walk-in">{csrf_field(signed)}'
        f'<input type="hidden" name="office" value="{escape(office)}"><input type="hidden" name="day" '
        f'value="{day.isoformat()}"><label for="walk-service">Послуга</label>'
        f'<select id="walk-service" name="service">{options}</select>'
        '<label for="walk-note">Примітка (коротко, без персональних даних)</label>'
        f'<input type="text" id="walk-note" name="note" maxlength="{rules.MAX_WALK_IN_NOTE}">'
        '<button type="submit">Записати відвідування</button></form></section>'
    )


def _close_form(signed: Signed, office: str) -> str:
    return (
        '<section aria-labelledby="h-close"><h2 id="h-close">Закрити решту дня</h2>'
        "<p>Записи з цієї хвилини до кінця дня буде скасовано, громадянам надіслано найближчий вільний "
        "час.</p>"
        f'<form method="post" action="{PATH}/close">{csrf_field(signed)}'
        f'<input type="hidden" name="office" value="{escape(office)}"><label for="close-reason">Причина '
        f'(її побачать громадяни)</label><input type="text" id="close-reason" name="reason" required '
        f'maxlength="{rules.MAX_CLOSE_REASON}">'
        '<button type="submit">Закрити решту дня</button></form></section>'
    )


async def _today_page(request: web.Request, signed: Signed, office: str | None, day: str | None,
                      shown: str = "", status: int = 200) -> web.Response:  # fmt: skip
    found = console(request)
    service = _booking(found)
    async with found.uows() as uow:
        now = uow.clock()
        try:
            where, when = _where(service, office, day, now)
        except Invalid as exc:
            shown, status = error(str(exc)), 422
            where, when = _where(service, None, None, now)
        rows = await desk.day_rows(service, uow, where, when)
        walk_ins = len(await uow.desk.walk_ins(where, when))
        today = service.local(now).date()
        open_today = bookable(where) and (where, today) not in await uow.bookings.closures(where)
    name = office_name(service.kb, where)
    body = (
        f"<h1>Сьогодні: {escape(name)}, {when:%d.%m.%Y}</h1>{shown}{_picker(service, where, when)}"
        f"{_rows(service, rows, signed, where, when, now)}"
        + (_walk_in_form(service, signed, where, when, walk_ins) if when <= today else "")
        + (_close_form(signed, where) if when == today and open_today else "")
    )
    return html(page("Сьогодні", body, signed, PATH), status)


async def today_page(request: web.Request) -> web.StreamResponse:
    signed = await viewer(request, PERMISSION)
    return await _today_page(request, signed, request.query.get("office"), request.query.get("day"))


def _marked_text(marked: desk.Marked) -> str:
    text = f"{marked.code}: {STATUS_UA.get(marked.status, marked.status)}"
    if marked.decision is not None:
        text += f", пільгу {PRIORITY_UA[marked.decision]}"
    if (refused := marked.refused) is not None:
        text += (
            f". Інших пільгових записів стали загальними: {len(refused.general)}, скасовано: "
            f"{len(refused.cancelled)}; громадянам надіслано повідомлення: {refused.notified}"
        )
    return text + "."


async def _mark(
    request: web.Request, signed: Signed, code: str, status: str, decision: str | None
) -> desk.Marked:
    found = console(request)
    service = _booking(found)
    async with found.uows() as uow:
        return await desk.mark(service, uow, code, status, decision, by=signed.login, now=uow.clock())


async def mark_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, PERMISSION)
    office, day = fields.get("office"), fields.get("day")
    try:
        status, decision = rules.button(fields.get("act", ""))
        marked = await _mark(request, signed, fields.get("code", ""), status, decision)
    except (Invalid, desk.MarkRefused) as exc:
        return await _today_page(request, signed, office, day, error(str(exc)), 422)
    return await _today_page(request, signed, office, day, notice(_marked_text(marked)))


async def walk_in_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, PERMISSION)
    found = console(request)
    service = _booking(found)
    office, day = fields.get("office"), fields.get("day")
    try:
        async with found.uows() as uow:
            where, when = _where(service, office, day, uow.clock())
            if when > service.local(uow.clock()).date():
                raise Invalid("day", "a walk-in is noted on the day it happened")
            sid, note = rules.walk_in(fields.get("service"), fields.get("note"), service.kb.services)
            row = await uow.desk.add_walk_in(where, when, sid, note, signed.login)
            await uow.audit.record(signed.login, "walk-in.add", f"{where} {when.isoformat()}",
                                   after={"id": row.id, "service": sid, "note": note})  # fmt: skip
    except Invalid as exc:
        return await _today_page(request, signed, office, day, error(str(exc)), 422)
    done = notice("Відвідування без запису записано.")
    return await _today_page(request, signed, where, when.isoformat(), done)


def _closed_html(service: BookingService, closed: Closed) -> str:
    rows = "".join(
        f"<tr><td>{escape(b.code)}</td><td>{service.local(b.start):%H:%M}</td>"
        f"<td>{escape(b.service)}</td></tr>"
        for b in closed.cancelled
        if b.start is not None
    )
    table = (
        '<table><caption>Скасовані записи</caption><thead><tr><th scope="col">Код</th>'
        '<th scope="col">Час</th>'
        f'<th scope="col">Послуга</th></tr></thead><tbody>{rows}</tbody></table>'
    ) if rows else ""  # fmt: skip
    return (
        '<div class="notice" role="status"><p>Решту дня закрито. '
        f"Скасовано записів: {len(closed.cancelled)}; "
        f"громадянам надіслано повідомлення з найближчим вільним часом: {closed.notified}.</p>{table}</div>"
    )


async def _close(request: web.Request, signed: Signed, office: object, reason: object) -> Closed:
    found = console(request)
    service = _booking(found)
    async with found.uows() as uow:
        now = uow.clock()
        if not isinstance(office, str) or office not in _offices(service):
            raise Invalid("office", "office is one of " + ", ".join(_offices(service)))
        if not bookable(office):
            raise Invalid("office", "the office takes no bookings now")
        if (office, service.local(now).date()) in await uow.bookings.closures(office):
            raise Invalid("office", "the office is closed for the rest of today already")
        return await desk.close_rest_of_day(service, uow, office, rules.close_reason(reason), by=signed.login,
                                            now=now)  # fmt: skip


async def close_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, PERMISSION)
    office = fields.get("office")
    try:
        closed = await _close(request, signed, office, fields.get("reason"))
    except Invalid as exc:
        return await _today_page(request, signed, office, None, error(str(exc)), 422)
    return await _today_page(request, signed, office, None, _closed_html(_booking(console(request)), closed))


# --- the JSON API -------------------------------------------------------------------------------------


def _row_json(service: BookingService, row: desk.DayRow) -> dict[str, Any]:
    b = row.booking
    start = service.local(b.start) if b.start else None
    return {"code": b.code, "start": start.isoformat() if start else None,
            "time": start.strftime("%H:%M") if start else None, "service": b.service, "kind": b.kind,
            "priority": row.priority, "status": b.status}  # fmt: skip


async def api_today(request: web.Request) -> web.Response:
    signed = await api_session(request, PERMISSION, change=False)
    if isinstance(signed, web.Response):
        return signed
    found = console(request)
    service = _booking(found)
    async with found.uows() as uow:
        try:
            office, day = _where(service, request.query.get("office"), request.query.get("day"), uow.clock())
        except Invalid as exc:
            return api_error(422, str(exc), exc.field)
        rows = await desk.day_rows(service, uow, office, day)
        walk_ins = await uow.desk.walk_ins(office, day)
    return json_ok({"office": office, "day": day.isoformat(),
                    "bookings": [_row_json(service, r) for r in rows],
                    "walk_ins": [{"service": w.service, "note": w.note, "by": w.staff_login,
                                  "at": w.created_at.isoformat()} for w in walk_ins]})  # fmt: skip


async def api_mark(request: web.Request) -> web.Response:
    asked = await api_change(request, PERMISSION)
    if isinstance(asked, web.Response):
        return asked
    signed, body = asked
    try:
        status, decision = rules.mark(body)
        marked = await _mark(request, signed, request.match_info["code"], status, decision)
    except Invalid as exc:
        return api_error(422, str(exc), exc.field)
    except desk.MarkRefused as exc:
        return api_error(404, str(exc), "code") if exc.missing else api_error(422, str(exc), exc.field)
    shown: dict[str, Any] = {"code": marked.code, "status": marked.status, "priority": marked.decision}
    if marked.refused is not None:
        refused = marked.refused
        shown |= {
            "general": [b.code for b in refused.general],
            "cancelled": [b.code for b in refused.cancelled],
            "notified": refused.notified,
        }
    return json_ok(shown)


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, today_page)
    app.router.add_post(PATH + "/mark", mark_form)
    app.router.add_post(PATH + "/walk-in", walk_in_form)
    app.router.add_post(PATH + "/close", close_form)
    app.router.add_get("/staff/api/today", api_today)
    app.router.add_post("/staff/api/bookings/{code}/mark", api_mark)
