"""«Що не знайшли»: what citizens asked that the bot could not answer, grouped by similar text for a range of
days, and `/staff/api/unanswered`: attach a group to a card or situation as a new phrasing (live in this process
at once), or dismiss it. The rules are dialogs/console/unanswered.py and knowledge/phrasings.py."""

from __future__ import annotations

import re
from html import escape

from aiohttp import web

from dialogs.console import rules
from dialogs.console import unanswered as found_rules
from dialogs.console.accounts import Signed
from dialogs.console.similar import Group
from handlers.web.staff.base import (
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

PATH = "/staff/unanswered"
SHOWN = 100  # groups on the page (the API gives all)
CHANNELS = {"web": "вебчат", "telegram": "Telegram", "viber": "Viber"}
UA = {
    "no such": "Немає такої картки чи ситуації: оберіть зі списку (service/… або situation/…).",
    "characters": "Формулювання — щонайбільше 120 символів: залиште саме питання.",
    "no meaningful words": "У формулюванні немає змістовних слів.",
    "the same words as": "Ці самі слова вже прив’язано до іншої картки.",
    "attached already": "Це формулювання вже прив’язано.",
    "read as something else": "Ці слова бот розуміє як інше (скаргу, прохання видалити дані…), а не як питання.",
    "is empty": "Порожній текст.",
    "is a day": "Дата — у форматі РРРР-ММ-ДД.",
    "is before": "Кінець діапазону раніше за початок.",
    "at most": "Діапазон — щонайбільше рік.",
}


def _datalist(request: web.Request) -> str:
    options = "".join(f'<option value="{escape(t)}">{escape(title)}</option>'
                      for t, title in found_rules.targets(console(request).kb))  # fmt: skip
    return f'<datalist id="targets">{options}</datalist>'


def _group(i: int, g: Group, signed: Signed, days: tuple[str, str]) -> str:
    back = (f'<input type="hidden" name="from" value="{escape(days[0])}">'
            f'<input type="hidden" name="to" value="{escape(days[1])}">')  # fmt: skip
    seen = g.last_seen.astimezone(found_rules.KYIV).strftime("%d.%m.%Y %H:%M")
    context = f" · де: {escape(g.context)}" if g.context else ""
    return (
        f'<section class="office" aria-labelledby="g-{i}"><h2 id="g-{i}">«{escape(g.text[:300])}»</h2>'
        f"<p>Разів: <strong>{g.count}</strong> · востаннє: {seen} · канал: "
        f"{escape(CHANNELS.get(g.channel, g.channel))}{context}</p>"
        f'<form method="post" action="{PATH}/attach">{csrf_field(signed)}{back}'
        f'<label for="text-{i}">Формулювання (як питають громадяни)</label>'
        f'<input type="text" id="text-{i}" name="text" value="{escape(g.text[:300])}" required>'
        f'<label for="target-{i}">Картка або життєва ситуація (почніть вводити назву)</label>'
        f'<input type="text" id="target-{i}" name="target" list="targets" required>'
        '<button type="submit">Прив’язати</button></form>'
        f'<form method="post" action="{PATH}/dismiss">{csrf_field(signed)}{back}'
        f'<input type="hidden" name="text" value="{escape(g.text)}">'
        f'<button type="submit" aria-label="Приховати «{escape(g.text[:80])}»">Приховати</button></form></section>'
    )


async def _page(request: web.Request, signed: Signed, days: tuple[str | None, str | None], said: str = "",
                status: int = 200) -> web.Response:  # fmt: skip
    found = console(request)
    async with found.uows() as uow:
        try:
            first, last = found_rules.day_range(uow.clock(), *days)
        except rules.Invalid as exc:
            first, last = found_rules.day_range(uow.clock(), None, None)
            said, status = error(_ua(exc)), 422
        listed = await found_rules.groups(uow, first, last, console(request).understander)
    shown = (first.isoformat(), last.isoformat())
    count = sum(g.count for g in listed)
    body = (
        "<h1>Що не знайшли громадяни</h1>"
        f'<form method="get" action="{PATH}" class="range"><label for="from">Від</label>'
        f'<input type="date" id="from" name="from" value="{shown[0]}"><label for="to">До</label>'
        f'<input type="date" id="to" name="to" value="{shown[1]}"><button type="submit">Показати</button></form>'
        f"{said}<p>Груп: {len(listed)}, питань: {count}"
        + (f"; показано перші {SHOWN}" if len(listed) > SHOWN else "")
        + ". Прив’язане формулювання бот відразу відповідає карткою; приховане більше не показується.</p>"
        + _datalist(request)
        + "".join(_group(i, g, signed, shown) for i, g in enumerate(listed[:SHOWN]))
    )
    return html(page("Що не знайшли", body, signed, PATH), status)


async def unanswered_page(request: web.Request) -> web.StreamResponse:
    signed = await viewer(request, "unanswered")
    return await _page(request, signed, (request.query.get("from"), request.query.get("to")))


async def _attach(request: web.Request, signed: Signed, body: object) -> str:
    found = console(request)
    if found.understander is None:
        raise web.HTTPServiceUnavailable(text="the understander is not wired", headers=headers())
    async with found.uows() as uow:
        phrasing = await found_rules.attach(uow, found.kb, found.understander, body, signed.login)
    return phrasing.target


def _ua(exc: rules.Invalid) -> str:
    """The rules' English (the API's, and `knowledge check`'s) said in Ukrainian on the page."""
    message = str(exc)
    if led := re.search(r"already leads with confidence to \S+ \((.*)\)$", message):
        return f"Бот уже впевнено відповідає на ці слова іншим: «{led[1]}». Уточніть формулювання."
    for part, said in UA.items():
        if part in message:
            return said
    return message


async def attach_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "unanswered")
    days = (fields.get("from"), fields.get("to"))
    try:
        target = await _attach(request, signed, {"text": fields.get("text", ""), "target": fields.get("target", "")})
    except rules.Invalid as exc:
        return await _page(request, signed, days, error(_ua(exc)), 422)
    return await _page(request, signed, days, notice(f"Прив’язано до {target}: бот уже відповідає на це питання."))


async def dismiss_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "unanswered")
    days = (fields.get("from"), fields.get("to"))
    try:
        async with console(request).uows() as uow:
            await found_rules.dismiss(uow, {"text": fields.get("text", "")}, signed.login)
    except rules.Invalid as exc:
        return await _page(request, signed, days, error(_ua(exc)), 422)
    return await _page(request, signed, days, notice("Приховано."))


async def api_unanswered(request: web.Request) -> web.Response:
    signed = await api_session(request, "unanswered", change=False)
    if isinstance(signed, web.Response):
        return signed
    async with console(request).uows() as uow:
        try:
            first, last = found_rules.day_range(uow.clock(), request.query.get("from"), request.query.get("to"))
        except rules.Invalid as exc:
            return api_error(422, str(exc), exc.field)
        listed = await found_rules.groups(uow, first, last, console(request).understander)
    return json_ok({"from": first.isoformat(), "to": last.isoformat(),
                    "groups": [found_rules.group_json(g) for g in listed]})  # fmt: skip


async def api_attach(request: web.Request) -> web.Response:
    asked = await api_change(request, "unanswered")
    if isinstance(asked, web.Response):
        return asked
    signed, body = asked
    try:
        target = await _attach(request, signed, body)
    except rules.Invalid as exc:
        return api_error(422, str(exc), exc.field)
    assert isinstance(body, dict)
    return json_ok({"text": " ".join(str(body["text"]).split()), "target": target, "author": signed.login}, 201)


async def api_dismiss(request: web.Request) -> web.Response:
    asked = await api_change(request, "unanswered")
    if isinstance(asked, web.Response):
        return asked
    signed, body = asked
    try:
        async with console(request).uows() as uow:
            hidden = await found_rules.dismiss(uow, body, signed.login)
    except rules.Invalid as exc:
        return api_error(422, str(exc), exc.field)
    return json_ok({"dismissed": hidden})


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, unanswered_page)
    app.router.add_post(f"{PATH}/attach", attach_form)
    app.router.add_post(f"{PATH}/dismiss", dismiss_form)
    app.router.add_get("/staff/api/unanswered", api_unanswered)
    app.router.add_post("/staff/api/unanswered/attach", api_attach)
    app.router.add_post("/staff/api/unanswered/dismiss", api_dismiss)
