"""Pure rules of the staff console: roles and what each may do, the login lock, the idle timeout, and what a
change of an office may say. `now` is always an argument."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dialogs.offices import OfficeView

ROLES = ("admin", "registrar", "operator")
MAX_FAILED = 5  # failed logins in a row that lock the login
LOCK_FOR = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(hours=8)
SEEN_GRANULARITY = dt.timedelta(minutes=1)  # a session's last use is written at most this often
ADDRESS_FAILURES = 20  # failed logins from one address in ADDRESS_WINDOW before it is slowed down
ADDRESS_WINDOW = dt.timedelta(minutes=15)
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

# What each role may do; the pages of the console's nav are named by the permission they need.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"offices.view", "offices.edit", "today", "callbacks", "inbox", "stats", "unanswered", "users", "audit"}
    ),
    "registrar": frozenset({"offices.view", "offices.edit", "today", "callbacks"}),
    "operator": frozenset({"offices.view", "inbox", "callbacks"}),
}
# The nav: (permission, path, label); pages not built yet are shown only when they exist (`built`).
PAGES = (
    ("offices.view", "/staff/offices", "Офіси"),
    ("today", "/staff/today", "Сьогодні"),
    ("callbacks", "/staff/callbacks", "Дзвінки й виїзди"),
    ("inbox", "/staff/inbox", "Звернення"),
    ("stats", "/staff/stats", "Статистика"),
    ("unanswered", "/staff/unanswered", "Що не знайшли"),
    ("users", "/staff/users", "Користувачі"),
    ("audit", "/staff/audit", "Журнал змін"),
)
BUILT = frozenset(
    {"/staff/offices", "/staff/today", "/staff/callbacks", "/staff/inbox", "/staff/stats", "/staff/unanswered",
     "/staff/users", "/staff/audit"}
)  # fmt: skip


def may(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def nav(role: str) -> list[tuple[str, str]]:
    """(path, label) of the pages the role may see that exist."""
    return [(path, label) for need, path, label in PAGES if may(role, need) and path in BUILT]


def valid_login(login: str) -> bool:
    return LOGIN.fullmatch(login) is not None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    return None


def locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(failed: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """(failed logins in a row, locked until) after one more failure: the MAX_FAILED-th locks for LOCK_FOR and
    starts the count afresh."""
    failed += 1
    if failed >= MAX_FAILED:
        return 0, now + LOCK_FOR
    return failed, None


def idle(seen_at: dt.datetime, now: dt.datetime) -> bool:
    """A session unused for IDLE_TIMEOUT is over."""
    return now - seen_at >= IDLE_TIMEOUT


# --- offices ----------------------------------------------------------------------------------------------------

# unconfirmed: the Center has yet to confirm the office; no booking there (dialogs/offices.py)
STATUSES = ("open", "closed", "unconfirmed")
OFFICE_FIELDS = ("status", "note", "address", "hours", "schedule")  # schedule: dialogs/console/schedule.py
MAX_NOTE, MAX_ADDRESS, MAX_HOURS = 500, 200, 500


class Invalid(ValueError):
    """Bad input: `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(body: dict[str, Any], field: str, limit: int) -> str | None:
    value = body[field]
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(field, f"{field} must be text or null")
    value = " ".join(value.split())
    if "\x00" in value or len(value) > limit:
        raise Invalid(field, f"{field} has at most {limit} characters")
    return value or None


def office_patch(body: object, current: OfficeView) -> OfficeView:
    """The office after a PATCH body {"status", "note", "address", "hours"} (any of them); Invalid names the
    field at fault. Closing needs a note (what citizens are told)."""
    if not isinstance(body, dict) or not body:
        raise Invalid("body", "send a JSON object with any of status, note, address, hours, schedule")
    stray = sorted(set(body) - set(OFFICE_FIELDS))
    if stray:
        raise Invalid(stray[0], f"unknown field {stray[0]!r}")
    status = current.status
    if "status" in body:
        status = body["status"]
        if status not in STATUSES:
            raise Invalid("status", "status is «open», «closed» or «unconfirmed»")
    note = _text(body, "note", MAX_NOTE) if "note" in body else current.note
    address = _text(body, "address", MAX_ADDRESS) if "address" in body else current.address
    hours = _text(body, "hours", MAX_HOURS) if "hours" in body else current.hours
    if status == "closed" and not note:
        raise Invalid("note", "say in a note why the office is closed and where citizens are received instead")
    return OfficeView(current.office, status, note, address, hours, current.schedule)
