"""The statistics page's figures, pure: the date range a request asks for (Kyiv days), and the figures built
from the aggregates storage/stats.py returns. The same dict is the JSON API's answer, the page's charts and
tables, and the CSV. No citizen identifier is ever among them (the aggregates carry none)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.console.rules import Invalid
from storage.stats import KYIV, STEP

MAX_DAYS = 366  # a range is at most a year
DEFAULT_DAYS = 30
TOP = 10
SATISFIED = (4, 5)  # a score that counts as satisfied (CSAT and the post-visit score)
CENTER_SURVEY = 95.9  # % satisfied in the Center's own QR survey (/work/shared/seeds, DOMAIN.md): to compare with
CHANNELS = ("telegram", "viber", "web")
STATUSES = ("booked", "arrived", "no-show", "cancelled", "requested")
REMINDER_STATUSES = ("sent", "missed", "failed", "cancelled", "pending", "sending")
BOUNDS = (60, 300, 900, 3600)  # seconds: a ticket's wait or talk under 1, 5, 15, 60 minutes


def _day(value: str | None, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else _bad(field)
    except ValueError:
        return _bad(field)


def _bad(field: str) -> dt.date:
    raise Invalid(field, f"{field} must be a date YYYY-MM-DD")


def date_range(query: Mapping[str, str], today: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) Kyiv days, both included, from ?from=&to= (either may be left out: the last DEFAULT_DAYS
    days up to today); Invalid names the field at fault."""
    first, last = _day(query.get("from"), "from"), _day(query.get("to"), "to")
    last = last or (first + dt.timedelta(days=DEFAULT_DAYS - 1) if first else today)
    first = first or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid("from", "from must not be after to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid("to", f"a range has at most {MAX_DAYS} days")
    return first, last


def utc_bounds(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The aware UTC instants [start, end) of the Kyiv days first..last."""
    start = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start, end


@dataclass(frozen=True)
class Raw:
    """What storage/stats.py returned for a range."""

    by_day: list[tuple[dt.date, str, int]]
    by_kind: list[tuple[str, int]]
    topics: list[tuple[str, str, int]]  # (situation | service | intent, id, messages)
    bookings: list[tuple[str, str, str, bool, int]]
    tickets: list[tuple[bool, bool, int | None, int]]  # (priority, taken, rating, count)
    waits: list[tuple[int, int, float]]  # (bucket of STEP seconds, tickets, seconds summed)
    talks: list[tuple[int, int, float]]
    visits: list[tuple[int | None, int]]  # (score or None: not answered, visits asked about)
    reminders: list[tuple[str, str, int]]
    walk_ins: list[tuple[str, int]] = field(default_factory=list)  # (office, walk-ins)
    # Air-raid alerts that touch the range: (start, end or None while on, appointments inside, citizens told,
    # appointments rebooked after the all-clear)
    alerts: list[tuple[dt.datetime, dt.datetime | None, int, int, int]] = field(default_factory=list)


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to share."""
    return round(100.0 * part / whole, 1) if whole else None


def _top(counts: Counter[str], name: Callable[[str], str]) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return [{"id": key, "name": name(key), "count": n} for key, n in ordered]


def _consultations(raw: Raw, first: dt.date, last: dt.date, names: Names) -> dict[str, Any]:
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for day, channel, n in raw.by_day:
        per_day[day][channel] += n
    channels = sorted(set(CHANNELS) | {c for counts in per_day.values() for c in counts},
                      key=lambda c: (c not in CHANNELS, CHANNELS.index(c) if c in CHANNELS else 0, c))  # fmt: skip
    days: list[dict[str, Any]] = []
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        counts = per_day.get(day, Counter())
        days.append({"day": day.isoformat(), **{c: counts[c] for c in channels}, "total": sum(counts.values())})
    kinds: Counter[str] = Counter(dict(raw.by_kind))
    topics: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, key, n in raw.topics:
        topics[kind][key] += n
    total = sum(d["total"] for d in days)
    return {
        "total": total,
        "channels": channels,
        "by_channel": {c: sum(d[c] for d in days) for c in channels},
        "by_day": days,
        "by_kind": dict(sorted(kinds.items())),
        "unanswered": kinds["miss"] + kinds["reask"],
        "unanswered_share": share(kinds["miss"] + kinds["reask"], total),
        "top_situations": _top(topics["situation"], names.situation),
        "top_services": _top(topics["service"], names.service),
        "top_intents": _top(topics["intent"], names.intent),
    }


def _statuses(rows: list[tuple[str, bool, int]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    priority = 0
    for status, prio, n in rows:
        counts[status] += n
        priority += n if prio else 0
    total = sum(counts.values())
    return {**{s: counts[s] for s in STATUSES}, "total": total, "priority": priority,
            "priority_share": share(priority, total)}  # fmt: skip


def _bookings(raw: Raw, names: Names) -> dict[str, Any]:
    by_kind: dict[str, list[tuple[str, str, bool, int]]] = defaultdict(list)
    for kind, office, status, prio, n in raw.bookings:
        by_kind[kind].append((office, status, prio, n))
    offices: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for office, status, prio, n in by_kind.get("office", []):
        offices[office].append((status, prio, n))
    rows = [{"office": o, "name": names.office(o), **_statuses(offices[o])} for o in sorted(offices)]
    everything = [(status, prio, n) for _, status, prio, n in by_kind.get("office", [])]
    total = _statuses(everything)
    total["no_show_share"] = share(total["no-show"], total["arrived"] + total["no-show"])
    return {
        "offices": rows,
        "total": total,
        "callbacks": _statuses([(s, p, n) for _, s, p, n in by_kind.get("callback", [])]),
        "home_visits": _statuses([(s, p, n) for _, s, p, n in by_kind.get("visit", [])]),
    }


def durations(histogram: list[tuple[int, int, float]]) -> dict[str, Any]:
    """A ticket's wait or talk over the range from its histogram (bucket of STEP seconds, tickets, seconds
    summed): how many, the mean, the median and the 90th percentile (nearest rank, to STEP seconds) in minutes,
    and how many were under each of BOUNDS (multiples of STEP, so exact)."""
    ordered = sorted(histogram)
    n = sum(count for _, count, _ in ordered)
    if n == 0:
        return {"count": 0, "mean_min": None, "median_min": None, "p90_min": None,
                "under": [{"minutes": b // 60, "count": 0, "share": None} for b in BOUNDS]}  # fmt: skip

    def rank(part: float) -> float:
        wanted, seen = max(1, math.ceil(part * n)), 0
        for bucket, count, _ in ordered:
            seen += count
            if seen >= wanted:
                return round(bucket * STEP / 60, 1)
        raise AssertionError("unreachable: the counts add up to n")

    under = [sum(c for b, c, _ in ordered if b * STEP < bound) for bound in BOUNDS]
    return {
        "count": n,
        "mean_min": round(sum(total for *_, total in ordered) / n / 60, 1),
        "median_min": rank(0.5),
        "p90_min": rank(0.9),
        "under": [{"minutes": b // 60, "count": c, "share": share(c, n)}
                  for b, c in zip(BOUNDS, under, strict=True)],
    }


def _scores(by_score: dict[int, int]) -> dict[str, Any]:
    answered = sum(by_score.values())
    return {
        "answered": answered,
        "by_score": {str(s): by_score.get(s, 0) for s in range(1, 6)},
        "mean": round(sum(s * n for s, n in by_score.items()) / answered, 2) if answered else None,
        "satisfied_share": share(sum(by_score.get(s, 0) for s in SATISFIED), answered),
    }


def _reminders(raw: Raw) -> dict[str, Any]:
    by_status: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, status, n in raw.reminders:
        by_status[status] += n
        by_kind[kind][status] += n
    return {
        "by_status": {s: by_status[s] for s in REMINDER_STATUSES},
        "total": sum(by_status.values()),
        "by_kind": {k: {s: c[s] for s in REMINDER_STATUSES} for k, c in sorted(by_kind.items())},
    }


@dataclass(frozen=True)
class Names:
    """How the page names what the counts key by (the knowledge's titles; the id when unknown)."""

    situation: Callable[[str], str]
    service: Callable[[str], str]
    intent: Callable[[str], str]
    office: Callable[[str], str]


def _walk_ins(raw: Raw, names: Names) -> dict[str, Any]:
    by_office = sorted(raw.walk_ins, key=lambda row: (-row[1], row[0]))
    return {
        "total": sum(n for _, n in raw.walk_ins),
        "by_office": [{"office": o, "name": names.office(o), "count": n} for o, n in by_office],
    }


def _alerts(raw: Raw, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Alerts in the range: how many, the hours of the range they took (clipped to it), the appointments they
    fell on, the citizens told afterwards and the appointments rebooked."""
    seconds = sum(
        max(0.0, (min(stop or end, end) - max(began, start)).total_seconds()) for began, stop, *_ in raw.alerts
    )
    return {
        "count": len(raw.alerts),
        "hours": round(seconds / 3600, 2),
        "affected": sum(a for _, _, a, _, _ in raw.alerts),
        "told": sum(t for _, _, _, t, _ in raw.alerts),
        "rebooked": sum(r for *_, r in raw.alerts),
    }


def figures(raw: Raw, first: dt.date, last: dt.date, names: Names, tz: ZoneInfo | None = None) -> dict[str, Any]:
    """Every figure of the statistics page for the Kyiv days first..last."""
    tickets = sum(n for *_, n in raw.tickets)
    taken = sum(n for _, took, _, n in raw.tickets if took)
    priority = sum(n for prio, _, _, n in raw.tickets if prio)
    ratings: Counter[int] = Counter()
    for _, _, rating, n in raw.tickets:
        if rating is not None:
            ratings[rating] += n
    asked = sum(n for _, n in raw.visits)
    visits = _scores({s: n for s, n in raw.visits if s is not None})
    visits.update(asked=asked, response_share=share(visits["answered"], asked), center_survey=CENTER_SURVEY)
    days = (last - first).days + 1
    return {
        "range": {"from": first.isoformat(), "to": last.isoformat(), "days": days, "time_zone": "Europe/Kyiv"},
        "consultations": _consultations(raw, first, last, names),
        "bookings": _bookings(raw, names),
        "handoff": {
            "tickets": tickets, "taken": taken, "priority": priority,
            "wait": durations(raw.waits), "handle": durations(raw.talks),
        },
        "ratings": {"tickets": _scores(dict(ratings)), "visits": visits},
        "reminders": _reminders(raw),
        "walk_ins": _walk_ins(raw, names),
        "alerts": _alerts(raw, *utc_bounds(first, last, tz or KYIV)),
    }


def csv_rows(found: dict[str, Any]) -> list[list[str | int | float | None]]:
    """The figures as rows (section, item, measure, value): one flat table a spreadsheet opens."""
    rows: list[list[str | int | float | None]] = [["розділ", "показник", "вимір", "значення"]]
    c = found["consultations"]
    for day in c["by_day"]:
        rows += [["звернення за днями", day["day"], ch, day[ch]] for ch in c["channels"]]
    rows += [["звернення за видом", kind, "повідомлень", n] for kind, n in c["by_kind"].items()]
    for section, key in (("ситуації", "top_situations"), ("послуги", "top_services"), ("наміри", "top_intents")):
        rows += [[section, item["name"], item["id"], item["count"]] for item in c[key]]
    b = found["bookings"]
    for row in [*b["offices"], {"name": "усього", **b["total"]}]:
        rows += [["записи", row["name"], m, row[m]] for m in (*STATUSES, "total", "priority", "priority_share")]
    for section, key in (("зворотні дзвінки", "callbacks"), ("виїзди додому", "home_visits")):
        rows += [[section, "усього", m, b[key][m]] for m in (*STATUSES, "total")]
    h = found["handoff"]
    rows += [["оператор", "звернення", m, h[m]] for m in ("tickets", "taken", "priority")]
    for what in ("wait", "handle"):
        rows += [["оператор", what, m, h[what][m]] for m in ("count", "mean_min", "median_min", "p90_min")]
    for who, r in found["ratings"].items():
        rows += [["оцінки", who, f"оцінка {s}", n] for s, n in r["by_score"].items()]
        rows += [["оцінки", who, m, r[m]] for m in ("answered", "mean", "satisfied_share")]
    rows += [["нагадування", "усього", s, n] for s, n in found["reminders"]["by_status"].items()]
    w = found["walk_ins"]
    rows += [["без запису", o["office"], "відвідувачів", o["count"]] for o in w["by_office"]]
    rows.append(["без запису", "усього", "відвідувачів", w["total"]])
    a = found["alerts"]
    rows += [["повітряні тривоги", "усього", measure, a[key]] for key, measure in
             (("count", "тривог"), ("hours", "годин"), ("affected", "записів припало"), ("told", "повідомлено"),
              ("rebooked", "перезаписано"))]
    return rows
