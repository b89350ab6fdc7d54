"""Statistics (issue 21): a fixture of known conversations (real turns through the engine and counts added
through the repository on other days), bookings with their marks, tickets with known waits and ratings, visit
scores and reminders; the figures the API, the page and the CSV give equal those worked out by hand here. Also
401/403/422, no citizen identifier in the API or the CSV, and the page in Chromium with axe at two sizes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.booking.notices import office_name
from dialogs.console.report import names, report
from dialogs.messages import Incoming
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.alerts import AlertBooking, AlertPeriod
from storage.booking import Booking
from storage.clock import ManualClock
from storage.desk import WalkIn
from storage.handoff import Ticket
from storage.reminders import Reminder
from storage.surveys import VisitSurvey
from testkit.console_year import measure_year
from testkit.servers import throwaway_postgres
from tests.console.conftest import PASSWORD
from tests.console.test_api import sign_in
from tests.console.test_console_page import DESKTOP, TABLET, _axe, _sign_in
from tests.handlers.test_web_page import ARTIFACTS, CHROMIUM, FLAGS

UTC = dt.UTC
RANGE = "from=2026-12-01&to=2026-12-04"  # Kyiv days; the clock stands at 2026-12-04 09:00 Kyiv
PHONE = "+380501234567"
CITIZEN = "citizen-secret-id-77"
MAIN, VETERAN = "visa-main", "ya-veteran"


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def _conversations(bot: Bot, clock: ManualClock) -> None:
    now = clock()
    # Real turns on 2026-12-04: a greeting, a situation by its name, a facet of a named service (web); a button.
    for text in ("привіт", "народження дитини", "скільки коштує паспорт"):
        await bot.engine.handle(Incoming("web", CITIZEN, text=text))
    await bot.engine.handle(Incoming("telegram", CITIZEN + "-t", payload="s:birth"))
    # Other days through the repository: 23:59 Kyiv on 30.11 is outside the range, 00:00 Kyiv on 01.12 inside.
    for moment, counts in (
        (at(2, 10), [("viber", "situation", "birth")] * 2 + [("viber", "card", "drs-passport-id-exchange")]),
        (at(30, 21, 59, month=11), [("telegram", "situation", "birth")]),
        (at(30, 22, 0, month=11), [("telegram", "intent", "hours")]),
    ):
        clock.now = moment
        async with bot.uow_factory() as uow:
            for channel, kind, key in counts:
                uow.consultations.add(channel, kind, key)
    clock.now = now
    await bot.uow_factory.write_log()


def _booking(n: int, office: str, status: str, start: dt.datetime | None, *, priority: bool = False,
             kind: str = "office") -> Booking:  # fmt: skip
    return Booking(code=f"T{n:02d}-XYZ", channel="web", kind=kind, office=office, resource="all",
                   service="drs-passport-id-exchange", start=start, place=0 if start else None, priority=priority,
                   status=status, phone=PHONE, address="вул. Тестова, 1", created_at=at(1, 6))  # fmt: skip


async def _records(bot: Bot) -> None:
    async with bot.uow_factory() as uow:
        user = await uow.users.get_or_create("web", CITIZEN)
        rows: list[Any] = [
            # visa-main: arrived 3 (1 priority), no-show 1, cancelled 2 (1 priority), booked 1
            _booking(1, MAIN, "arrived", at(1, 7), priority=True), _booking(2, MAIN, "arrived", at(2, 7)),
            _booking(3, MAIN, "arrived", at(3, 7)), _booking(4, MAIN, "no-show", at(3, 8)),
            _booking(5, MAIN, "cancelled", at(2, 8), priority=True), _booking(6, MAIN, "cancelled", at(2, 9)),
            _booking(7, MAIN, "booked", at(4, 12)),
            _booking(8, VETERAN, "arrived", at(2, 7), priority=True),
            _booking(9, MAIN, "arrived", at(4, 22, 30)),  # 00:30 Kyiv on 05.12: outside
            _booking(10, "hotline", "booked", at(3, 9), kind="callback"),
            _booking(11, "hotline", "cancelled", at(3, 10), kind="callback"),
            _booking(12, "mobile", "requested", None, kind="visit"),  # made on 01.12
        ]
        for n, (created, wait, handle, rating, priority) in enumerate([
            (at(2, 8), 120, 600, 5, False), (at(2, 9), 600, 1200, 4, True), (at(3, 9), 1800, 300, 2, False),
            (at(3, 10), None, None, None, False), (at(30, 10, month=11), 60, 60, 1, False),
        ]):  # fmt: skip
            taken = created + dt.timedelta(seconds=wait) if wait is not None else None
            closed = taken + dt.timedelta(seconds=handle) if taken and handle is not None else created
            rows.append(Ticket(channel="web", status="closed", priority=priority, name="Іван Петренко",
                               created_at=created, taken_at=taken, closed_at=closed, last_activity_at=closed,
                               rating=rating, comment=f"коментар {n}"))  # fmt: skip
        for n, (day, score) in enumerate([(2, 5), (3, 4), (3, 3), (4, None), (30, 1)]):
            visit = dt.date(2026, 11 if day == 30 else 12, day)
            rows.append(VisitSurvey(booking_id=100 + n, office=MAIN, service="drs-passport-id-exchange",
                                    visit_day=visit, asked_at=at(4, 7), score=score,
                                    comment="дзвоніть " + PHONE if score else None))  # fmt: skip
        for kind, status, due in [("appointment", "sent", at(1, 8)), ("appointment", "sent", at(2, 8)),
                                  ("ready", "missed", at(3, 8)), ("appointment", "failed", at(3, 9)),
                                  ("deadline", "pending", at(4, 20)), ("appointment", "sent", at(5, 10))]:
            rows.append(Reminder(user_id=user.id, channel="web", kind=kind, due_at=due, status=status,
                                 created_at=at(1, 6)))
        # Walk-ins: two at the main office, one at «Я-Ветеран» in the range, one on 30.11 (outside).
        for office, day in ((MAIN, 2), (MAIN, 3), (VETERAN, 3), (MAIN, 30)):
            rows.append(WalkIn(office=office, day=dt.date(2026, 11 if day == 30 else 12, day),
                               service="drs-passport-id-exchange", note="", staff_login="anna",
                               created_at=at(4, 6)))  # fmt: skip
        # Alerts: 1.5 h on 02.12 (two appointments, one citizen told); one from 23:00 Kyiv on 30.11 to 01:00 Kyiv
        # on 01.12 (1 h of it in the range); one on 05.12 (outside).
        alerts = [(at(2, 8), at(2, 9, 30), 2, 1), (at(30, 21, month=11), at(30, 23, month=11), 0, 0),
                  (at(5, 8), at(5, 9), 5, 0)]  # fmt: skip
        for started, ended, affected, told in alerts:
            period = AlertPeriod(started_at=started, ended_at=ended, affected=affected)
            uow.session.add(period)
            await uow.session.flush()
            for n in range(affected):
                rows.append(AlertBooking(period_id=period.id, booking_id=500 + n,
                                         told_at=at(2, 10) if n < told else None))  # fmt: skip
        uow.session.add_all(rows)


@pytest.fixture()
async def client(console: Bot, clock: ManualClock) -> AsyncIterator[TestClient[Any, Any]]:
    await _conversations(console, clock)
    await _records(console)
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as c:
        yield c


async def test_the_figures_equal_those_worked_out_by_hand(client: TestClient[Any, Any]) -> None:
    assert await sign_in(client, "anna") == 303
    response = await client.get(f"/staff/api/stats?{RANGE}")
    assert response.status == 200
    check(await response.json())


def check(found: dict[str, Any]) -> None:
    """The figures of RANGE, worked out by hand from the fixture above."""
    assert found["range"] == {"from": "2026-12-01", "to": "2026-12-04", "days": 4, "time_zone": "Europe/Kyiv"}
    c = found["consultations"]
    assert [(d["day"], d["telegram"], d["viber"], d["web"], d["total"]) for d in c["by_day"]] == [
        ("2026-12-01", 1, 0, 0, 1), ("2026-12-02", 0, 3, 0, 3), ("2026-12-03", 0, 0, 0, 0),
        ("2026-12-04", 1, 0, 3, 4),
    ]  # fmt: skip
    assert c["total"] == 8 and c["by_channel"] == {"telegram": 2, "viber": 3, "web": 3}
    assert [(s["id"], s["count"]) for s in c["top_situations"]] == [("birth", 3)]
    assert c["top_situations"][0]["name"] == "Народження дитини"
    assert [(s["id"], s["count"]) for s in c["top_services"]] == [("drs-passport-id-exchange", 2)]
    assert [(s["id"], s["count"]) for s in c["top_intents"]] == [("greeting", 1), ("hours", 1)]
    assert c["by_kind"] == {"button": 1, "card": 1, "facet": 1, "intent": 2, "situation": 3}
    b = found["bookings"]
    main = next(o for o in b["offices"] if o["office"] == MAIN)
    assert {k: main[k] for k in ("arrived", "no-show", "cancelled", "booked", "total", "priority")} == {
        "arrived": 3, "no-show": 1, "cancelled": 2, "booked": 1, "total": 7, "priority": 2}
    assert main["priority_share"] == 28.6  # 2 of 7
    veteran = next(o for o in b["offices"] if o["office"] == VETERAN)
    assert (veteran["arrived"], veteran["total"], veteran["priority_share"]) == (1, 1, 100.0)
    assert (b["total"]["total"], b["total"]["priority"], b["total"]["priority_share"]) == (8, 3, 37.5)
    assert b["total"]["no_show_share"] == 20.0  # 1 no-show of 5 whose time came
    assert (b["callbacks"]["booked"], b["callbacks"]["cancelled"], b["callbacks"]["total"]) == (1, 1, 2)
    assert (b["home_visits"]["requested"], b["home_visits"]["total"]) == (1, 1)
    h = found["handoff"]
    assert (h["tickets"], h["taken"], h["priority"]) == (4, 3, 1)
    # waits 2, 10, 30 min; talks 10, 20, 5 min
    assert {k: h["wait"][k] for k in ("count", "mean_min", "median_min", "p90_min")} == {
        "count": 3, "mean_min": 14.0, "median_min": 10.0, "p90_min": 30.0}
    assert [u["count"] for u in h["wait"]["under"]] == [0, 1, 2, 3]  # under 1, 5, 15, 60 min
    assert {k: h["handle"][k] for k in ("count", "mean_min", "median_min", "p90_min")} == {
        "count": 3, "mean_min": 11.7, "median_min": 10.0, "p90_min": 20.0}
    assert [u["count"] for u in h["handle"]["under"]] == [0, 0, 2, 3]
    t, v = found["ratings"]["tickets"], found["ratings"]["visits"]
    assert t["by_score"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (t["answered"], t["mean"], t["satisfied_share"]) == (3, 3.67, 66.7)
    assert v["by_score"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert (v["asked"], v["answered"], v["mean"], v["satisfied_share"], v["response_share"]) == (
        4, 3, 4.0, 66.7, 75.0)
    assert v["center_survey"] == 95.9
    r = found["reminders"]
    assert r["total"] == 5
    assert {s: r["by_status"][s] for s in ("sent", "missed", "failed", "pending", "cancelled")} == {
        "sent": 2, "missed": 1, "failed": 1, "pending": 1, "cancelled": 0}
    assert r["by_kind"]["appointment"]["sent"] == 2 and r["by_kind"]["appointment"]["failed"] == 1
    w = found["walk_ins"]
    assert w["total"] == 3 and [(o["office"], o["count"]) for o in w["by_office"]] == [(MAIN, 2), (VETERAN, 1)]
    assert found["alerts"] == {"count": 2, "hours": 2.5, "affected": 2, "told": 1, "rebooked": 0}


async def test_the_csv_and_the_page_carry_the_figures_and_no_citizen(client: TestClient[Any, Any]) -> None:
    assert await sign_in(client, "anna") == 303
    api = await (await client.get(f"/staff/api/stats?{RANGE}")).text()
    response = await client.get(f"/staff/stats.csv?{RANGE}")
    assert response.status == 200 and response.content_type == "text/csv"
    assert "stats-2026-12-01-2026-12-04.csv" in response.headers["Content-Disposition"]
    text = await response.text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["розділ", "показник", "вимір", "значення"]
    assert ["звернення за днями", "2026-12-02", "viber", "3"] in rows
    assert ["записи", "усього", "no-show", "1"] in rows
    assert ["ситуації", "Народження дитини", "birth", "3"] in rows
    assert ["оператор", "wait", "median_min", "10.0"] in rows
    assert ["нагадування", "усього", "failed", "1"] in rows
    page = await (await client.get(f"/staff/stats?{RANGE}")).text()
    assert page.count('role="img"') >= 7 and "<script" not in page
    assert '<th scope="col">Офіс</th>' in page and "<caption>Записи за офісами</caption>" in page
    for leaked in (CITIZEN, PHONE, "Іван", "T01-XYZ", "коментар", "Тестова", "дзвоніть"):
        assert leaked not in api and leaked not in text and leaked not in page


async def test_who_may_see_and_what_is_refused(client: TestClient[Any, Any]) -> None:
    assert (await client.get(f"/staff/api/stats?{RANGE}")).status == 401
    assert (await client.get(f"/staff/stats.csv?{RANGE}")).status == 401
    assert (await client.get("/staff/stats", allow_redirects=False)).status == 303
    assert await sign_in(client, "oksana") == 303  # an operator
    refused = await client.get(f"/staff/api/stats?{RANGE}")
    assert refused.status == 403 and "operator" in (await refused.json())["error"]
    assert (await client.get(f"/staff/stats.csv?{RANGE}")).status == 403
    assert (await client.get("/staff/stats")).status == 403
    client.session.cookie_jar.clear()
    assert await sign_in(client, "anna") == 303
    for query, field in (
        ("from=2026-13-01&to=2026-12-04", "from"), ("from=2026-12-01&to=4.12.2026", "to"),
        ("from=2026-12-05&to=2026-12-04", "from"), ("from=2025-01-01&to=2026-12-04", "to"),
    ):  # fmt: skip
        bad = await client.get(f"/staff/api/stats?{query}")
        assert bad.status == 422 and (await bad.json())["field"] == field, query
        assert (await client.get(f"/staff/stats.csv?{query}")).status == 422
    page = await client.get("/staff/stats?from=nope")
    assert page.status == 422 and "from must be a date" in await page.text()
    default = await (await client.get("/staff/api/stats")).json()
    assert default["range"] == {"from": "2026-11-05", "to": "2026-12-04", "days": 30, "time_zone": "Europe/Kyiv"}
    assert (await client.get("/staff/api/stats?from=2025-12-05&to=2026-12-04")).status == 200  # 365 days


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["1280x800", "768x1024"])
async def test_the_stats_page_with_its_charts_in_chromium(console: Bot, clock: ManualClock,
                                                         size: dict[str, int]) -> None:  # fmt: skip
    await _conversations(console, clock)
    await _records(console)
    ARTIFACTS.mkdir(exist_ok=True)
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=size)
        await _sign_in(page, url, "anna", PASSWORD)
        await page.get_by_role("link", name="Статистика").click()
        await page.get_by_role("heading", name="Статистика", level=1).wait_for()
        await page.get_by_label("Від", exact=True).fill("2026-12-01")
        await page.get_by_label("До", exact=True).fill("2026-12-04")
        await page.get_by_role("button", name="Показати").click()
        await page.wait_for_url("**/staff/stats?from=2026-12-01&to=2026-12-04")
        chart = page.get_by_role("img", name="Записи за офісами і станом")
        assert await chart.is_visible()
        box = await chart.bounding_box()
        assert box is not None and box["width"] <= size["width"]
        assert await page.get_by_role("img").count() >= 7
        row = page.get_by_role("row", name="Усього")
        assert "37,5" in (await row.first.inner_text()) or await page.get_by_text("37,5").count() >= 1
        await page.screenshot(path=str(ARTIFACTS / f"staff-stats-{size['width']}x{size['height']}.png"),
                              full_page=True)  # fmt: skip
        page = await browser.new_page(viewport=size, bypass_csp=True)  # axe comes in as an inline script
        await _sign_in(page, url, "anna", PASSWORD)
        await page.goto(url + f"/staff/stats?{RANGE}")
        await _axe(page, f"staff-stats-{size['width']}x{size['height']}")
        await browser.close()


async def test_a_rolled_back_turn_counts_nothing_and_buffered_counts_are_written_once(console: Bot) -> None:
    factory = console.uow_factory
    assert factory.count_buffer is not None  # SQLite: the buffered path
    with pytest.raises(RuntimeError):
        async with factory() as uow:
            uow.consultations.add("web", "intent", "hours")
            raise RuntimeError("the turn failed")
    async with factory() as uow:
        uow.consultations.add("web", "intent", "greeting")
    with pytest.raises(RuntimeError):  # a unit of work writes the buffered counts, then rolls back: they go back
        async with factory() as uow:
            await uow.consultations.flush(everything=True)
            raise RuntimeError("rolled back after writing")
    await factory.write_log()
    await factory.write_log()  # nothing left to write twice
    async with factory() as uow:
        found = await report(uow, names(console.engine.kb, str), dt.date(2026, 12, 4), dt.date(2026, 12, 4))
    c = found["consultations"]
    assert c["by_kind"] == {"intent": 1} and [(i["id"], i["count"]) for i in c["top_intents"]] == [("greeting", 1)]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


async def test_the_same_figures_on_postgresql(postgres_url: str, kb: Knowledge, index: SearchIndex,
                                              clock: ManualClock) -> None:  # fmt: skip
    settings = Settings(_env_file=None, database_url=postgres_url)  # type: ignore[call-arg]
    bot = await build(settings, kb=kb, index=index, clock=clock)
    try:
        await _conversations(bot, clock)
        await _records(bot)
        async with bot.uow_factory() as uow:
            named = names(kb, partial(office_name, kb))
            found = await report(uow, named, dt.date(2026, 12, 1), dt.date(2026, 12, 4))
        check(json.loads(json.dumps(found)))  # as the API sends it
    finally:
        await bot.close()


async def test_the_console_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    """`python -m bench.console` cannot rot: its year (testkit/console_year.py) at a tiny size, on SQLite."""
    found = await measure_year(f"sqlite+aiosqlite:///{tmp_path}/year.sqlite3", 300, 50, 2)
    assert len(found["statistics page, a year"]) == 2 and len(found["offices page (baseline)"]) == 2
