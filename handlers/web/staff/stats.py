"""The statistics page `/staff/stats`, `GET /staff/api/stats` and `GET /staff/stats.csv` (permission "stats"):
the figures of a range of Kyiv days (dialogs/console/report.py), each chart followed by its table. No citizen
identifier is read or shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import partial
from html import escape
from itertools import pairwise
from typing import Any

from aiohttp import web

from dialogs.booking.notices import office_name
from dialogs.console import rules
from dialogs.console.report import names, report
from dialogs.console.stats import csv_rows, date_range
from handlers.web.staff import charts
from handlers.web.staff.base import (
    api_error,
    api_session,
    console,
    error,
    headers,
    html,
    json_ok,
    page,
    viewer,
)
from storage.stats import KYIV

CHANNEL_UA = {"telegram": "Telegram", "viber": "Viber", "web": "вебчат"}
KIND_UA = {"card": "картка послуги", "situation": "життєва ситуація", "facet": "питання про послугу",
           "follow-up": "уточнення", "answer": "відповідь текстом", "reask": "не прочитано відповідь",
           "intent": "намір", "search": "пошук", "miss": "не зрозуміло", "button": "кнопка"}  # fmt: skip
STATUS_UA = {"booked": "записано", "arrived": "прийшли", "no-show": "не прийшли", "cancelled": "скасовано",
             "requested": "заявка"}  # fmt: skip
REMINDER_UA = {"sent": "надіслано", "missed": "пропущено", "failed": "не вдалося", "cancelled": "скасовано",
               "pending": "чекають", "sending": "надсилаються"}  # fmt: skip


async def _figures(request: web.Request, query: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The figures of the range the query asks for (Kyiv days; the last 30 by default); rules.Invalid names a
    bad field."""
    found = console(request)
    async with found.uows() as uow:
        first, last = date_range(request.query if query is None else query, uow.clock().astimezone(KYIV).date())
        return await report(uow, names(found.kb, partial(office_name, found.kb)), first, last)

REMINDER_KIND_UA = {"appointment": "про запис", "ready": "про готовність", "deadline": "про строк",
                    "monthly": "щомісячне"}  # fmt: skip


def _consultations(c: dict[str, Any]) -> str:
    channels = c["channels"]
    labels = [f'{d["day"][8:10]}.{d["day"][5:7]}' for d in c["by_day"]]
    series = [(CHANNEL_UA.get(ch, ch), [d[ch] for d in c["by_day"]]) for ch in channels]
    head = ["День", *(CHANNEL_UA.get(ch, ch) for ch in channels), "Усього"]
    body = [(d["day"], [*(d[ch] for ch in channels), d["total"]]) for d in c["by_day"]]
    totals = charts.table(
        "Звернення за каналом за весь період", ["Канал", "Повідомлень"],
        [*((CHANNEL_UA.get(ch, ch), [c["by_channel"][ch]]) for ch in channels), ("Усього", [c["total"]]),
         ("Не зрозуміло або не прочитано", [c["unanswered"]]),
         ("Частка нерозпізнаних, %", [c["unanswered_share"]])],
    )  # fmt: skip
    kinds = charts.table("Що виявилося повідомленням", ["Вид", "Повідомлень"],
                         [(KIND_UA.get(k, k), [n]) for k, n in c["by_kind"].items()])  # fmt: skip
    return (
        '<section aria-labelledby="s-cons"><h2 id="s-cons">Звернення за днями</h2>'
        + charts.columns("c-cons", "Повідомлення громадян за днями і каналами", labels, series)
        + totals
        + '<details><summary>Таблиця за днями</summary>'
        + charts.table("Повідомлення за днями і каналами", head, body)
        + "</details>" + kinds + "</section>"
    )


def _top(ident: str, title: str, items: list[dict[str, Any]]) -> str:
    labels = [i["name"] for i in items]
    chart = charts.rows(f"c-{ident}", title, labels, [("звернень", [i["count"] for i in items])]) if items else ""
    body = [(i["name"], [i["count"]]) for i in items] or [("немає даних", [None])]
    return f'<h3 id="h-{ident}">{escape(title)}</h3>' + chart + charts.table(title, ["Назва", "Звернень"], body)


def _bookings(b: dict[str, Any]) -> str:
    statuses = ("arrived", "no-show", "booked", "cancelled")
    offices = b["offices"]
    series = [(STATUS_UA[s], [o[s] for o in offices]) for s in statuses]
    chart = charts.rows("c-book", "Записи за офісами і станом", [o["name"] for o in offices], series)
    head = ["Офіс", *(STATUS_UA[s] for s in statuses), "Усього", "Пріоритетні", "Частка пріоритету, %"]
    body = [(o["name"], [*(o[s] for s in statuses), o["total"], o["priority"], o["priority_share"]])
            for o in [*offices, {"name": "Усього", **b["total"]}]]  # fmt: skip
    requests = charts.table(
        "Зворотні дзвінки і виїзди додому", ["Вид", *(STATUS_UA[s] for s in (*statuses, "requested")), "Усього"],
        [(name, [*(b[key][s] for s in (*statuses, "requested")), b[key]["total"]])
         for name, key in (("Зворотні дзвінки", "callbacks"), ("Виїзди додому", "home_visits"))],
    )  # fmt: skip
    return (
        '<section aria-labelledby="s-book"><h2 id="s-book">Записи, скасування, неявки</h2>'
        f'<p>Неявки серед тих, чий час настав: {charts.number(b["total"]["no_show_share"])} %.</p>'
        + (chart if offices else "")
        + charts.table("Записи за офісами", head, body) + requests + "</section>"
    )


def _handoff(h: dict[str, Any]) -> str:
    bounds = [u["minutes"] for u in h["wait"]["under"]]
    labels = [f"менше {bounds[0]} хв", *(f"{a}–{b} хв" for a, b in pairwise(bounds)),
              f"{bounds[-1]} хв і довше"]

    def buckets(d: dict[str, Any]) -> list[int]:
        cumulative = [u["count"] for u in d["under"]]
        return [b - a for a, b in zip([0, *cumulative], [*cumulative, d["count"]], strict=True)]

    series = [("очікування", buckets(h["wait"])), ("розмова", buckets(h["handle"]))]
    chart = charts.rows("c-hand", "Очікування оператора і тривалість розмови", labels, series)
    summary = charts.table(
        "Оператор: очікування і розмова, хвилини", ["Показник", "Очікування", "Розмова"],
        [("Звернень", [h["wait"]["count"], h["handle"]["count"]]),
         ("Середнє", [h["wait"]["mean_min"], h["handle"]["mean_min"]]),
         ("Медіана", [h["wait"]["median_min"], h["handle"]["median_min"]]),
         ("90-й перцентиль", [h["wait"]["p90_min"], h["handle"]["p90_min"]])],
    )  # fmt: skip
    dist = charts.table("Розподіл за тривалістю", ["Тривалість", "Очікування", "Розмова"],
                        [(label, [w, t]) for label, w, t in zip(labels, *(s[1] for s in series), strict=True)])
    return (
        '<section aria-labelledby="s-hand"><h2 id="s-hand">Розмови з оператором</h2>'
        f'<p>Звернень до оператора: {charts.number(h["tickets"])}, узято в роботу: {charts.number(h["taken"])}, '
        f'з пріоритетом: {charts.number(h["priority"])}.</p>' + chart + summary + dist + "</section>"
    )


def _ratings(r: dict[str, Any]) -> str:
    t, v = r["tickets"], r["visits"]
    scores = [str(s) for s in range(1, 6)]
    series = [("розмова з оператором", [t["by_score"][s] for s in scores]),
              ("візит до Центру", [v["by_score"][s] for s in scores])]  # fmt: skip
    chart = charts.rows("c-rate", "Оцінки від 1 до 5", [f"оцінка {s}" for s in scores], series)
    body = [(f"Оцінка {s}", [t["by_score"][s], v["by_score"][s]]) for s in scores] + [
        ("Відповідей", [t["answered"], v["answered"]]),
        ("Середня оцінка", [t["mean"], v["mean"]]),
        ("Задоволені (4–5), %", [t["satisfied_share"], v["satisfied_share"]]),
    ]
    return (
        '<section aria-labelledby="s-rate"><h2 id="s-rate">Оцінки</h2>'
        f'<p>Задоволені візитом: {charts.number(v["satisfied_share"])} % (опитування Центру за QR-кодом: '
        f'{charts.number(v["center_survey"])} %). Запитано після візиту: {charts.number(v["asked"])}, '
        f'відповіли: {charts.number(v["response_share"])} %.</p>'
        + chart
        + charts.table("Оцінки розмов з оператором (CSAT) і візитів", ["Показник", "Оператор", "Візит"], body)
        + "</section>"
    )


def _reminders(rem: dict[str, Any]) -> str:
    statuses = list(REMINDER_UA)
    chart = charts.rows("c-rem", "Нагадування за станом", [REMINDER_UA[s] for s in statuses],
                        [("нагадувань", [rem["by_status"][s] for s in statuses])])  # fmt: skip
    body = [(REMINDER_KIND_UA.get(kind, kind), [c[s] for s in statuses]) for kind, c in rem["by_kind"].items()]
    body.append(("Усього", [rem["by_status"][s] for s in statuses]))
    return (
        '<section aria-labelledby="s-rem"><h2 id="s-rem">Нагадування</h2>' + chart
        + charts.table("Нагадування за видом і станом", ["Вид", *(REMINDER_UA[s] for s in statuses)], body)
        + "</section>"
    )


def _walk_ins(walk: dict[str, Any]) -> str:
    body = [(o["name"], [o["count"]]) for o in walk["by_office"]]
    body.append(("Усього", [walk["total"]]))
    return (
        '<section aria-labelledby="s-walk"><h2 id="s-walk">Відвідувачі без запису</h2>'
        + charts.table("Відвідувачі без запису за офісом", ["Офіс", "Відвідувачів"], body) + "</section>"
    )


def _alerts(alerts: dict[str, Any]) -> str:
    body = [("Тривог", [alerts["count"]]), ("Годин тривоги в ці дні", [alerts["hours"]]),
            ("Записів, що припали на тривогу", [alerts["affected"]]),
            ("Громадян повідомлено після відбою", [alerts["told"]]),
            ("Записів перенесено після відбою", [alerts["rebooked"]])]  # fmt: skip
    return (
        '<section aria-labelledby="s-alerts"><h2 id="s-alerts">Повітряні тривоги</h2>'
        + charts.table("Повітряні тривоги і перезапис", ["Показник", "Значення"], body) + "</section>"
    )


def _form(found: dict[str, Any]) -> str:
    r = found["range"]
    query = f'from={r["from"]}&amp;to={r["to"]}'
    return (
        '<form class="range" method="get" action="/staff/stats">'
        f'<label for="from">Від</label><input type="date" id="from" name="from" value="{r["from"]}">'
        f'<label for="to">До</label><input type="date" id="to" name="to" value="{r["to"]}">'
        '<button type="submit">Показати</button></form>'
        f'<p>Дні за київським часом: {r["from"]} — {r["to"]} ({r["days"]}). '
        f'<a href="/staff/stats.csv?{query}" download>Завантажити CSV</a></p>'
    )


def render(found: dict[str, Any]) -> str:
    c = found["consultations"]
    return (
        "<h1>Статистика</h1>" + _form(found) + _consultations(c)
        + '<section aria-labelledby="s-top"><h2 id="s-top">Про що питають</h2>'
        + _top("sit", "Життєві ситуації", c["top_situations"]) + _top("svc", "Послуги", c["top_services"])
        + _top("int", "Наміри", c["top_intents"]) + "</section>"
        + _bookings(found["bookings"]) + _handoff(found["handoff"]) + _ratings(found["ratings"])
        + _reminders(found["reminders"])
        + _walk_ins(found["walk_ins"]) + _alerts(found["alerts"])
    )


async def stats_page(request: web.Request) -> web.StreamResponse:
    signed = await viewer(request, "stats")
    try:
        found = await _figures(request)
    except rules.Invalid as exc:
        fallback = await _figures(request, {})
        return html(page("Статистика", error(str(exc)) + render(fallback), signed, "/staff/stats"), 422)
    return html(page("Статистика", render(found), signed, "/staff/stats"))


async def api_stats(request: web.Request) -> web.Response:
    signed = await api_session(request, "stats", change=False)
    if isinstance(signed, web.Response):
        return signed
    try:
        return json_ok(await _figures(request))
    except rules.Invalid as exc:
        return api_error(422, str(exc), exc.field)


async def stats_csv(request: web.Request) -> web.Response:
    signed = await api_session(request, "stats", change=False)
    if isinstance(signed, web.Response):
        return signed
    try:
        found = await _figures(request)
    except rules.Invalid as exc:
        return api_error(422, str(exc), exc.field)
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(found))
    r = found["range"]
    return web.Response(
        text=out.getvalue(), content_type="text/csv", charset="utf-8",
        headers={**headers(), "Content-Disposition": f'attachment; filename="stats-{r["from"]}-{r["to"]}.csv"'},
    )  # fmt: skip


def routes(app: web.Application) -> None:
    app.router.add_get("/staff/stats", stats_page)
    app.router.add_get("/staff/api/stats", api_stats)
    app.router.add_get("/staff/stats.csv", stats_csv)
