"""The offices page's schedule form: an office's booking configuration (per regime the hours of each weekday
with breaks and the wording citizens are told, per window group its windows, slot length and services, the
priority share) as labelled fields, and the form read back into booking.yaml's shape, which
`PATCH /staff/api/offices/{id}` takes as `{"schedule": {...}}` (validated by dialogs/console/schedule.py).
Translation only: what is valid is decided there."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from dialogs.console.accounts import Signed
from dialogs.console.rules import Invalid
from handlers.web.staff.base import csrf_field
from knowledge.loader import Knowledge

REGIMES = (("martial_law", "воєнний стан"), ("normal", "звичайний режим"))
DAYS = (("mon", "Понеділок"), ("tue", "Вівторок"), ("wed", "Середа"), ("thu", "Четвер"), ("fri", "П'ятниця"),
        ("sat", "Субота"), ("sun", "Неділя"))  # fmt: skip
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$")


def _hm(value: str) -> str:
    return value[:5]


def _day_row(oid: str, regime: str, day: str, label: str, hours: dict[str, Any] | None) -> str:
    base = f"{oid}-{regime}-{day}"
    opened = _hm(hours["open"]["start"]) if hours else ""
    closed = _hm(hours["open"]["end"]) if hours else ""
    breaks = ", ".join(f'{_hm(b["start"])}–{_hm(b["end"])}' for b in hours["breaks"]) if hours else ""
    cells = "".join(
        f'<td><input type="{kind}" id="{base}-{name}" name="{regime}-{day}-{name}" value="{escape(value)}" '
        f'aria-labelledby="{base} {oid}-{regime}-col-{name}"{extra}></td>'
        for kind, name, value, extra in (("time", "open", opened, ""), ("time", "close", closed, ""),
                                         ("text", "breaks", breaks, ' placeholder="12:30–13:00"'))
    )  # fmt: skip
    return f'<tr><th scope="row" id="{base}">{label}</th>{cells}</tr>'


def _regime(oid: str, regime: str, title: str, found: dict[str, Any] | None) -> str:
    by_day = {d: h for h in (found or {}).get("hours", []) for d in h["days"]}
    text = (found or {}).get("text", "")
    heads = "".join(f'<th scope="col" id="{oid}-{regime}-col-{name}">{label}</th>'
                    for name, label in (("open", "Відкриття"), ("close", "Закриття"),
                                        ("breaks", "Перерви (через кому)")))  # fmt: skip
    rows = "".join(_day_row(oid, regime, d, label, by_day.get(d)) for d, label in DAYS)
    return (
        f'<fieldset><legend>Графік: {title}</legend>'
        f'<p>Порожні години — вихідний. Щоб режим не діяв, залиште порожніми всі дні.</p>'
        f'<div class="scroll"><table><caption>Години за днями ({title})</caption>'
        f"<thead><tr><th scope=\"col\">День</th>{heads}</tr></thead><tbody>{rows}</tbody></table></div>"
        f'<label for="{oid}-{regime}-text">Як цей графік сказано громадянам</label>'
        f'<textarea id="{oid}-{regime}-text" name="{regime}-text">{escape(text)}</textarea></fieldset>'
    )


def _group(oid: str, i: int, group: dict[str, Any], services: list[tuple[str, str]]) -> str:
    base = f"{oid}-g{i}"
    chosen = set(group["services"])
    boxes = "".join(
        f'<li><input type="checkbox" id="{base}-s-{escape(sid)}" name="g{i}-s-{escape(sid)}" value="1"'
        f'{" checked" if sid in chosen else ""}><label class="inline" for="{base}-s-{escape(sid)}">'
        f"{escape(title)}</label></li>"
        for sid, title in services
    )
    return (
        f'<fieldset><legend>Група вікон «{escape(group["id"])}»</legend>'
        f'<input type="hidden" name="g{i}-id" value="{escape(group["id"])}">'
        f'<label for="{base}-windows">Вікон</label>'
        f'<input type="number" min="1" max="50" id="{base}-windows" name="g{i}-windows" value="{group["windows"]}">'
        f'<label for="{base}-minutes">Тривалість запису, хв</label>'
        f'<input type="number" min="5" max="120" id="{base}-minutes" name="g{i}-minutes" '
        f'value="{group["slot_minutes"]}">'
        f'<fieldset><legend>Послуги групи</legend><ul class="checks">{boxes}</ul></fieldset></fieldset>'
    )


def bookable_services(kb: Knowledge) -> list[tuple[str, str]]:
    """The services any office books (booking.yaml), with their short titles, by title."""
    ids = {s for o in (kb.booking.offices if kb.booking else []) for g in o.groups for s in g.services}
    return sorted(((s, kb.services[s].short_title if s in kb.services else s) for s in ids), key=lambda p: p[1])


def schedule_form(oid: str, schedule: dict[str, Any], services: list[tuple[str, str]], signed: Signed) -> str:
    """The labelled form of an office's schedule, posting to /staff/offices/{id}/schedule."""
    oid = escape(oid)
    regimes = {s["regime"]: s for s in schedule["schedules"]}
    offered = sorted({*(s for s, _ in services), *(s for g in schedule["groups"] for s in g["services"])})
    titles = dict(services)
    listed = [(s, titles.get(s, s)) for s in offered]
    listed.sort(key=lambda p: p[1])
    return (
        f'<details><summary>Розклад запису: години, перерви, вікна, послуги</summary>'
        f'<form method="post" action="/staff/offices/{oid}/schedule">{csrf_field(signed)}'
        + "".join(_regime(oid, r, title, regimes.get(r)) for r, title in REGIMES)
        + "".join(_group(oid, i, g, listed) for i, g in enumerate(schedule["groups"]))
        + f'<label for="{oid}-share">Частка місць для пільговиків (0–1)</label>'
        f'<input type="number" min="0" max="1" step="0.01" id="{oid}-share" name="priority_share" '
        f'value="{schedule["priority_share"]}">'
        '<p>Записи, що не вміщаються в новий розклад, буде скасовано, а громадянам надіслано найближчий вільний '
        "час.</p><button type=\"submit\">Зберегти розклад</button></form></details>"
    )


def _breaks(value: str, where: str) -> list[dict[str, str]]:
    out = []
    for piece in filter(None, (p.strip() for p in re.split(r"[,;]", value))):
        found = _RANGE.match(piece)
        if found is None:
            raise Invalid(where, f"a break is written as 12:30–13:00, not {piece!r}")
        out.append({"start": found[1].zfill(5), "end": found[2].zfill(5)})
    return out


def _hours(fields: dict[str, str], regime: str) -> list[dict[str, Any]]:
    """The regime's weekdays, those with the same hours and breaks together."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for day, _ in DAYS:
        opened, closed = fields.get(f"{regime}-{day}-open", "").strip(), fields.get(f"{regime}-{day}-close", "")
        closed, breaks = closed.strip(), fields.get(f"{regime}-{day}-breaks", "").strip()
        if not opened and not closed:
            continue
        if not opened or not closed:
            raise Invalid(f"schedule.{regime}.{day}", "give both the opening and the closing time")
        grouped.setdefault((opened, closed, breaks), []).append(day)
    return [{"days": days, "open": {"start": o, "end": c}, "breaks": _breaks(b, f"schedule.{regime}.{days[0]}.breaks")}
            for (o, c, b), days in grouped.items()]  # fmt: skip


def read_form(fields: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """The schedule the form says, in booking.yaml's shape (the groups' ids and other settings as `current`)."""
    schedules = []
    order = [s["regime"] for s in current["schedules"]]  # the stored order stays
    for regime in [*order, *(r for r, _ in REGIMES if r not in order)]:
        hours = _hours(fields, regime)
        if hours:
            schedules.append({"regime": regime, "hours": hours, "text": fields.get(f"{regime}-text", "").strip()})
    groups = []
    for i, group in enumerate(current["groups"]):
        if fields.get(f"g{i}-id") != group["id"]:
            raise Invalid("schedule.groups", "the groups changed meanwhile: reload the page")
        ticked = sorted(k.removeprefix(f"g{i}-s-") for k, v in fields.items() if k.startswith(f"g{i}-s-") and v)
        chosen = [s for s in group["services"] if s in ticked] + [s for s in ticked if s not in group["services"]]
        number = {}
        for name in ("windows", "minutes"):
            try:
                number[name] = int(fields.get(f"g{i}-{name}", ""))
            except ValueError:
                raise Invalid(f"schedule.groups.{i}.{name}", "give a whole number") from None
        by_service = {s: m for s, m in group.get("slot_minutes_by_service", {}).items() if s in chosen}
        if number["minutes"] != group["slot_minutes"]:  # the form's length is the whole group's
            by_service = {}
        groups.append({**group, "windows": number["windows"], "slot_minutes": number["minutes"],
                       "services": chosen, "slot_minutes_by_service": by_service})  # fmt: skip
    try:
        share = float(fields.get("priority_share", "").replace(",", "."))
    except ValueError:
        raise Invalid("schedule.priority_share", "give a number from 0 to 1") from None
    return {"schedules": schedules, "groups": groups, "priority_share": share}
