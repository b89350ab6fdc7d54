"""A year of a busy Center for the staff console's statistics page, and the page timed through the real app
(bench/console.py runs it at full size on SQLite and PostgreSQL; tests/console/test_stats.py at a tiny one).

The year (2026) is generated deterministically (random.Random(21)): consultations as the engine counts them
(the
daily rollup, consultation_days), office bookings with their marks and priority, callbacks and home visits,
operator tickets with waits, talks and ratings, post-visit scores and reminders. Each round GETs
/staff/stats for the whole year as a signed-in admin; the baseline in the same run, interleaved, is the
offices
page. Nothing here is a citizen: no phones, no names.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from typing import Any, cast

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Table, insert, text

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.console import accounts
from storage.booking import Booking
from storage.clock import ManualClock
from storage.handoff import Ticket
from storage.reminders import Reminder
from storage.stats import KYIV, ConsultationDay, ConsultationTopic, topic
from storage.surveys import VisitSurvey

YEAR = "from=2026-01-01&to=2026-12-31"
NOW = dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC)
PASSWORD = "bench password 2026"
CHANNELS = (("telegram", 6), ("viber", 3), ("web", 1))
KINDS = (("card", 20), ("situation", 10), ("facet", 15), ("follow-up", 5), ("answer", 15), ("reask", 3),
         ("intent", 12), ("search", 8), ("miss", 4), ("button", 8))  # fmt: skip
INTENTS = ("greeting", "thanks", "contacts", "hours", "phones", "operator", "booking", "reminder", "ready",
           "complaint", "home_visit")  # fmt: skip
FACETS = ("price", "term", "where", "hours", "result")
BOOKING_STATUS = (("arrived", 70), ("no-show", 8), ("cancelled", 17), ("booked", 5))


def _days() -> list[dt.date]:
    first = dt.date(2026, 1, 1)
    return [first + dt.timedelta(days=i) for i in range(365)]


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _instant(rng: random.Random, day: dt.date, hours: tuple[int, int] = (8, 17)) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(rng.randrange(*hours), rng.choice((0, 15, 30, 45))), KYIV)
    return local.astimezone(dt.UTC)


def consultations(bot: Bot, n: int, rng: random.Random) -> dict[Table, list[dict[str, Any]]]:
    """The daily counts n messages make, as `storage.stats.Consultations` writes them."""
    services = sorted(bot.engine.kb.services)
    situations = sorted(bot.engine.kb.situations)
    days = _days()
    counts: Counter[tuple[dt.date, str, str, str]] = Counter()
    for _ in range(n):
        kind = _pick(rng, KINDS)
        key = {"card": lambda: rng.choice(services), "situation": lambda: rng.choice(situations),
               "facet": lambda: f"{rng.choice(FACETS)}:{rng.choice(services)}",
               "follow-up": lambda: f"{rng.choice(FACETS)}:service:{rng.choice(services)}",
               "answer": lambda: f"{rng.choice(situations)}:q{rng.randrange(1, 5)}",
               "reask": lambda: f"{rng.choice(situations)}:q{rng.randrange(1, 5)}",
               "intent": lambda: rng.choice(INTENTS),
               "button": lambda: rng.choice(("m", "s", "a", "v", "q", "h")),
               }.get(kind, lambda: "")()  # fmt: skip
        counts[(rng.choice(days), _pick(rng, CHANNELS), kind, key)] += 1
    days: Counter[tuple[dt.date, str, str]] = Counter()
    topics: Counter[tuple[dt.date, str, str]] = Counter()
    for (day, channel, kind, key), count in counts.items():
        days[(day, channel, kind)] += count
        if (about := topic(kind, key)) is not None:
            topics[(day, *about)] += count
    return {
        cast(Table, ConsultationDay.__table__):
            [{"day": d, "channel": c, "kind": k, "count": v} for (d, c, k), v in days.items()],
        cast(Table, ConsultationTopic.__table__):
            [{"day": d, "kind": k, "key": key, "count": v} for (d, k, key), v in topics.items()],
    }  # fmt: skip


Rows = dict[Table, list[dict[str, Any]]]


def records(bot: Bot, bookings: int, rng: random.Random, users: list[int]) -> Rows:
    offices = [o.id for o in bot.engine.kb.contacts.offices][:6] or ["visa-main"]
    services = sorted(bot.engine.kb.services)
    days = [d for d in _days() if d.weekday() < 5]
    made = dt.datetime(2025, 12, 20, tzinfo=dt.UTC)
    rows: dict[Table, list[dict[str, Any]]] = {cast(Table, t.__table__): [] for t in (Booking, Ticket,
                                                                                      Reminder, VisitSurvey)}
    b, t, r, v = (cast(Table, x.__table__) for x in (Booking, Ticket, Reminder, VisitSurvey))
    for i in range(bookings + bookings // 10 + bookings // 100):  # office visits, callbacks, home visits
        kind = "office" if i < bookings else "callback" if i < bookings + bookings // 10 else "visit"
        day = rng.choice(days)
        start = _instant(rng, day) if kind != "visit" else None
        status = _pick(rng, BOOKING_STATUS) if kind != "visit" else rng.choice(("requested", "cancelled"))
        office = rng.choice(offices) if kind == "office" else "hotline" if kind == "callback" else "mobile"
        rows[b].append({"code": f"B{i:07d}", "user_id": None, "channel": _pick(rng, CHANNELS), "kind": kind,
                        "office": office, "resource": "all", "service": rng.choice(services), "start": start,
                        "place": i if start else None, "priority": rng.random() < 0.15,
                        "priority_group": None,
                        "status": status, "created_at": (start or _instant(rng, day)) - dt.timedelta(days=3),
                        "cancelled_at": None, "token": None, "person": None, "phone": None, "address": None,
                        "topic": None})  # fmt: skip
        if kind == "office" and status == "arrived" and rng.random() < 0.4:
            answered = rng.random() < 0.45
            rows[v].append({"booking_id": i, "office": office, "service": rows[b][-1]["service"],
                            "visit_day": day,
                            "asked_at": made, "answered_at": made if answered else None,
                            "score": rng.choices((1, 2, 3, 4, 5), (2, 2, 5, 25, 66))[0] if answered else None,
                            "comment": None})  # fmt: skip
        if kind == "office" and rng.random() < 0.8:
            rows[r].append({"user_id": rng.choice(users), "channel": "telegram", "kind": "appointment",
                            "due_at": start - dt.timedelta(days=1) if start else made, "created_at": made,
                            "status": rng.choices(("sent", "missed", "failed", "cancelled"),
                                                  (85, 3, 1, 11))[0],
                            "attempts": 1})  # fmt: skip
    for _ in range(bookings // 3):  # operator tickets
        created = _instant(rng, rng.choice(days), (9, 18))
        taken = created + dt.timedelta(seconds=rng.expovariate(1 / 300)) if rng.random() < 0.9 else None
        closed = (taken or created) + dt.timedelta(seconds=rng.expovariate(1 / 480))
        rows[t].append({"channel": _pick(rng, CHANNELS), "status": "closed", "mode": "live",
                        "priority": rng.random() < 0.1, "created_at": created, "taken_at": taken,
                        "closed_at": closed, "last_activity_at": closed, "citizen_lines": 3,
                        "rating": rng.choice((None, None, 3, 4, 5, 5, 5, 2))})  # fmt: skip
    return rows


async def fill(bot: Bot, n_consultations: int, n_bookings: int) -> None:
    rng = random.Random(21)
    async with bot.uow_factory() as uow:
        users = []
        for i in range(200):
            user = await uow.users.get_or_create("telegram", f"bench-{i}")
            users.append(user.id)
        await accounts.add_user(uow, "bench", "admin", PASSWORD, "bench")
    tables = consultations(bot, n_consultations, rng)
    tables.update(records(bot, n_bookings, rng, users))
    async with bot.uow_factory() as uow:
        for table, rows in tables.items():
            for chunk in range(0, len(rows), 5000):
                await uow.session.execute(insert(table), rows[chunk : chunk + 5000])
    async with bot.uow_factory() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":  # what autovacuum does after a bulk load
            await uow.session.execute(text("ANALYZE"))


async def pages(bot: Bot, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"statistics page, a year": [], "offices page (baseline)": []}
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        login = await (await client.get("/staff/login")).text()
        csrf = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = await client.post("/staff/login", allow_redirects=False,
                                   data={"csrf": csrf, "login": "bench", "password": PASSWORD})  # fmt: skip
        assert signed.status == 303, signed.status
        paths = {"statistics page, a year": f"/staff/stats?{YEAR}",
                 "offices page (baseline)": "/staff/offices"}
        for path in paths.values():  # warm-up
            response = await client.get(path)
            assert response.status == 200, (path, response.status)
            await response.read()
        for _ in range(rounds):
            for name, path in paths.items():
                t0 = time.perf_counter()
                response = await client.get(path)
                body = await response.read()
                samples[name].append((time.perf_counter() - t0) * 1000)
                assert response.status == 200 and body
    return samples


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def measure_year(url: str, n_consultations: int, n_bookings: int, rounds: int) -> dict[str, Any]:
    """Build the bot on `url`, fill a year, and time the pages: {"fill_s", page name: [ms, …]}."""
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    bot = await build(settings, clock=ManualClock(NOW), import_offices=True)
    try:
        t0 = time.perf_counter()
        await fill(bot, n_consultations, n_bookings)
        filled = time.perf_counter() - t0
        return {"fill_s": filled, **await pages(bot, rounds)}
    finally:
        await bot.close()
