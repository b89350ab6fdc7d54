"""Pure rules of the console's Today and Callbacks pages: what a mark, a walk-in note, a request's status
and a day may say (rules.Invalid names the field at fault), and a phone as shown before anyone asks to
see it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

from dialogs.console.rules import Invalid

# The API's marks → the booking's status (storage.booking ARRIVED, NO_SHOW).
MARKS = {"arrived": "arrived", "no_show": "no-show"}
DECISIONS = ("confirmed", "refused")
MAX_WALK_IN_NOTE = 300
MAX_REQUEST_NOTE = 1000
MAX_CLOSE_REASON = 300
# A callback's or home visit's state as staff mark it.
REQUEST_STATUSES = {"called": "зателефонували", "no_answer": "не відповідає", "done": "виконано",
                    "visit_agreed": "виїзд узгоджено"}  # fmt: skip
RECENT = dt.timedelta(days=14)  # the closed requests still listed


@dataclass(frozen=True)
class RequestChange:
    status: str
    note: str | None
    visit_day: dt.date | None

    def json(self) -> dict[str, str | None]:
        return {"status": self.status, "note": self.note,
                "visit_day": self.visit_day.isoformat() if self.visit_day else None}  # fmt: skip


def _short(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(field, f"{field} must be text")
    value = " ".join(value.split())
    if "\x00" in value or len(value) > limit:
        raise Invalid(field, f"{field} has at most {limit} characters")
    return value or None


def mark(body: object) -> tuple[str, str | None]:
    """(the booking status, the priority decision or None) of {"mark": "arrived"|"no_show", "priority"?}."""
    if not isinstance(body, dict):
        raise Invalid("body", "send a JSON object with mark and, for a priority booking, priority")
    stray = sorted(set(body) - {"mark", "priority"})
    if stray:
        raise Invalid(stray[0], f"unknown field {stray[0]!r}")
    given = body.get("mark")
    if given not in MARKS:
        raise Invalid("mark", "mark is «arrived» or «no_show»")
    decision = body.get("priority")
    if decision is not None and decision not in DECISIONS:
        raise Invalid("priority", "priority is «confirmed» or «refused»")
    if decision is not None and given != "arrived":
        raise Invalid("priority", "a priority claim is decided when the citizen has arrived")
    return MARKS[given], decision


def button(value: str) -> tuple[str, str | None]:
    """A Today page button's value («arrived», «no_show», «arrived:confirmed», …) as `mark` reads it."""
    given, _, decision = value.partition(":")
    return mark({"mark": given, **({"priority": decision} if decision else {})})


def day(value: str | None, today: dt.date) -> dt.date:
    """The day asked for (YYYY-MM-DD), today when none."""
    if not value:
        return today
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid("day", "day is a date YYYY-MM-DD") from None


def walk_in(service: object, note: object, services: Collection[str]) -> tuple[str, str | None]:
    """(service id, note) of a walk-in: a known service and a short note."""
    if not isinstance(service, str) or service not in services:
        raise Invalid("service", "choose the service the citizen came for")
    return service, _short(note, "note", MAX_WALK_IN_NOTE)


def close_reason(value: object) -> str:
    reason = _short(value, "reason", MAX_CLOSE_REASON)
    if not reason:
        raise Invalid("reason", "say why the office closes (citizens are told)")
    return reason


def statuses(kind: str) -> dict[str, str]:
    """The states staff may give a request of this kind: a visit agreed is for home visits only."""
    return {k: v for k, v in REQUEST_STATUSES.items() if k != "visit_agreed" or kind == "visit"}


def request_change(body: object, today: dt.date, kind: str = "visit") -> RequestChange:
    """A request's new state from {"status", "note"?, "visit_day"?} (it replaces the last one whole): a
    visit agreed needs its day, not past."""
    if not isinstance(body, dict):
        raise Invalid("body", "send status, and note or visit_day")
    stray = sorted(set(body) - {"status", "note", "visit_day"})
    if stray:
        raise Invalid(stray[0], f"unknown field {stray[0]!r}")
    status = body.get("status")
    if status not in statuses(kind):
        raise Invalid("status", "status is one of " + ", ".join(statuses(kind)))
    note = _short(body.get("note"), "note", MAX_REQUEST_NOTE)
    given = body.get("visit_day") or None
    visit_day = None
    if status == "visit_agreed":
        if not isinstance(given, str):
            raise Invalid("visit_day", "a visit agreed needs its date")
        visit_day = day(given, today)
        if visit_day < today:
            raise Invalid("visit_day", "the visit's date is in the past")
    elif given is not None:
        raise Invalid("visit_day", "a date goes with «visit_agreed» only")
    return RequestChange(status, note, visit_day)


def masked(phone: str | None) -> str:
    """A phone with all but its last two digits hidden («•••• •• 67»); «—» when erased."""
    if not phone:
        return "—"
    digits = re.sub(r"\D", "", phone)
    return "•" * max(len(digits) - 2, 0) + digits[-2:]
