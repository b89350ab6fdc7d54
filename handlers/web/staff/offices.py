"""The offices page and `/staff/api/offices`: status, address, hours and a note, applied at once; closing an office
lists the bookings it cancelled and says how many citizens were told. The rules are dialogs/console/rules.py and
dialogs/booking/offices.py."""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from dialogs.booking import offices
from dialogs.console import rules
from dialogs.console.accounts import Signed
from handlers.web.staff import office_schedule
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
    page,
    viewer,
)
from storage.booking import Booking

STATUS_UA = {"open": "працює", "closed": "зачинено", "unconfirmed": "уточнюється"}


HELP = (
    '<p class="help">Офіс переїхав: залиште стан «працює», вкажіть нову адресу і в примітці — звідки переїхав і '
    "з якої дати (громадяни бачать примітку першою). Зачинений офіс ніколи не пропонується для запису; офіс без "
    "адреси запис не приймає. «Графік для громадян» — те, що бот каже про години; порожньо — слова розкладу "
    "запису для режиму, що діє. Розклад запису (години, перерви, вікна, послуги) діє з наступного повідомлення; "
    "записи, що в нього більше не вміщаються, скасовуються, а громадянам надсилається найближчий вільний час.</p>"
)


def _office_form(
    office: dict[str, Any], signed: Signed, editable: bool, services: list[tuple[str, str]] | None = None
) -> str:
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
        f'<form method="post" action="/staff/offices/{oid}">{csrf_field(signed)}'
        f'<label for="status-{oid}">Стан</label><select id="status-{oid}" name="status">{options}</select>'
        f'<label for="address-{oid}">Адреса</label>'
        f'<input type="text" id="address-{oid}" name="address" value="{escape(office["address"] or "")}">'
        f'<label for="hours-{oid}">Графік для громадян (порожньо — слова розкладу запису)</label>'
        f'<textarea id="hours-{oid}" name="hours">{escape(office["hours"] or "")}</textarea>'
        f'<label for="note-{oid}">Примітка (для зачиненого офісу — чому і де приймають натомість)</label>'
        f'<textarea id="note-{oid}" name="note">{escape(office["note"] or "")}</textarea>'
        '<button type="submit">Зберегти</button></form>'
    )
    if office.get("schedule") and services is not None:
        lines.append(office_schedule.schedule_form(office["id"], office["schedule"], services, signed))
    return "".join(lines) + "</section>"


def _local(found: Console, booking: Booking) -> str:
    if booking.start is None or found.booking is None:
        return ""
    return found.booking.local(booking.start).strftime("%d.%m.%Y %H:%M")


def _affected_html(found: Console, changed: offices.Changed) -> str:
    if not changed.affected:
        return '<p class="notice" role="status">Зміни збережено.</p>'
    rows = "".join(
        f"<tr><td>{escape(b.code)}</td><td>{escape(_local(found, b))}</td><td>{escape(b.service)}</td></tr>"
        for b in changed.affected
    )
    return (
        '<div class="notice" role="status"><p>Зміни збережено. Скасовано записів: '
        f"{len(changed.affected)}; громадянам надіслано повідомлення з найближчим вільним часом: "
        f"{changed.notified}.</p><table><caption>Скасовані записи</caption>"
        "<thead><tr><th>Код</th><th>Час</th><th>Послуга</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


async def _offices_page(request: web.Request, signed: Signed, notice: str = "", status: int = 200) -> web.Response:
    found = console(request)
    async with found.uows() as uow:
        listed = await offices.listing(uow, found.kb)
    editable = rules.may(signed.role, "offices.edit")
    services = office_schedule.bookable_services(found.kb)
    body = "<h1>Офіси</h1>" + HELP + notice + "".join(_office_form(o, signed, editable, services) for o in listed)
    return html(page("Офіси", body, signed, "/staff/offices"), status)


async def offices_page(request: web.Request) -> web.StreamResponse:
    return await _offices_page(request, await viewer(request, "offices.view"))


async def office_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "offices.edit")
    body = {f: fields[f] for f in rules.OFFICE_FIELDS if f in fields}
    try:
        changed = await _change(request, signed, body)
    except rules.Invalid as exc:
        return await _offices_page(request, signed, error(str(exc)), 422)
    if changed is None:
        raise web.HTTPNotFound(headers=headers())
    return await _offices_page(request, signed, _affected_html(console(request), changed))


async def schedule_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "offices.edit")
    found = console(request)
    async with found.uows() as uow:
        current = next((o for o in await offices.listing(uow, found.kb) if o["id"] == request.match_info["office"]),
                       None)  # fmt: skip
    if current is None or not current["schedule"]:
        raise web.HTTPNotFound(headers=headers())
    try:
        changed = await _change(request, signed, {"schedule": office_schedule.read_form(fields, current["schedule"])})
    except rules.Invalid as exc:
        return await _offices_page(request, signed, error(f"Розклад не збережено ({exc.field}): {exc}"), 422)
    if changed is None:
        raise web.HTTPNotFound(headers=headers())
    return await _offices_page(request, signed, _affected_html(console(request), changed))


async def _change(request: web.Request, signed: Signed, body: object) -> offices.Changed | None:
    found = console(request)
    if found.booking is None:
        raise web.HTTPServiceUnavailable(text="booking is not configured", headers=headers())
    async with found.uows() as uow:
        return await offices.change(uow, found.booking, request.match_info["office"], body, signed.login)


async def api_offices(request: web.Request) -> web.Response:
    signed = await api_session(request, "offices.view", change=False)
    if isinstance(signed, web.Response):
        return signed
    found = console(request)
    async with found.uows() as uow:
        listed = await offices.listing(uow, found.kb)
    return json_ok({"offices": listed})


async def api_office_patch(request: web.Request) -> web.Response:
    asked = await api_change(request, "offices.edit")
    if isinstance(asked, web.Response):
        return asked
    signed, body = asked
    try:
        changed = await _change(request, signed, body)
    except rules.Invalid as exc:
        return api_error(422, str(exc), exc.field)
    if changed is None:
        return api_error(404, "no such office", "id")
    found = console(request)
    affected = [{"code": b.code, "start": b.start.isoformat() if b.start else None, "service": b.service}
                for b in changed.affected]  # fmt: skip
    return json_ok(
        {"office": {"id": changed.office.office, **changed.office.json(), "bookable": changed.office.bookable,
                    "schedule": changed.schedule},
         "affected": affected, "notified": changed.notified, "time_zone": str(found.booking.tz)
         if found.booking else None},
    )  # fmt: skip


def routes(app: web.Application) -> None:
    app.router.add_get("/staff/offices", offices_page)
    app.router.add_post("/staff/offices/{office}", office_form)
    app.router.add_post("/staff/offices/{office}/schedule", schedule_form)
    app.router.add_get("/staff/api/offices", api_offices)
    app.router.add_patch("/staff/api/offices/{office}", api_office_patch)
