"""Validating an office's booking schedule as staff send it (`PATCH /staff/api/offices/{id}` with
`{"schedule": {...}}`, or the offices page's form): booking.yaml's shape of the office (`schedules`, `groups`,
`priority_share`), checked by the same pydantic models as booking.yaml (knowledge/booking_schema.py
BookableOffice, via dialogs/offices.py `configure`) and then by what the models leave to `knowledge check`:
one schedule per regime, a weekday once per regime, breaks inside the day and apart, known services, each
service in one group, one slot length per group. `Invalid` names the field at fault, e.g.
`schedule.groups.0.windows`. Pure."""

from __future__ import annotations

from collections.abc import Collection
from itertools import pairwise
from typing import Any

from pydantic import ValidationError

from dialogs.console.rules import Invalid
from dialogs.offices import SCHEDULE_FIELDS, configure
from knowledge.booking_schema import BookableOffice

ROOT = "schedule"


def _where(*parts: object) -> str:
    return ".".join([ROOT, *(str(p) for p in parts)])


def _check_hours(cfg: BookableOffice) -> None:
    regimes: set[str] = set()
    for i, schedule in enumerate(cfg.schedules):
        if schedule.regime in regimes:
            raise Invalid(_where("schedules", i, "regime"), f"the regime {schedule.regime} is given twice")
        regimes.add(schedule.regime)
        days: set[str] = set()
        for j, hours in enumerate(schedule.hours):
            twice = sorted(set(hours.days) & days)
            if twice:
                raise Invalid(_where("schedules", i, "hours", j, "days"), f"{twice[0]} has hours twice")
            days |= set(hours.days)
            breaks = sorted(hours.breaks, key=lambda b: b.start)
            for k, pause in enumerate(hours.breaks):
                if pause.start <= hours.open.start or pause.end >= hours.open.end:
                    raise Invalid(_where("schedules", i, "hours", j, "breaks", k),
                                  "a break must lie inside the opening hours")  # fmt: skip
            for first, second in pairwise(breaks):
                if second.start < first.end:
                    k = hours.breaks.index(second)
                    raise Invalid(_where("schedules", i, "hours", j, "breaks", k), "breaks overlap")


def _check_groups(cfg: BookableOffice, services: Collection[str]) -> None:
    ids: set[str] = set()
    served: set[str] = set()
    for i, group in enumerate(cfg.groups):
        if group.id in ids:
            raise Invalid(_where("groups", i, "id"), f"the group {group.id} is given twice")
        ids.add(group.id)
        for service in group.services:
            if service not in services:
                raise Invalid(_where("groups", i, "services"), f"unknown service {service!r}")
            if service in served:
                raise Invalid(_where("groups", i, "services"), f"{service} is in two groups")
            served.add(service)
        lengths = {group.slot_minutes_by_service.get(s, group.slot_minutes) for s in group.services}
        if len(lengths) > 1:
            raise Invalid(_where("groups", i, "slot_minutes_by_service"),
                          "the windows of a group share one slot length")  # fmt: skip


def schedule_patch(value: object, current: BookableOffice, services: Collection[str]) -> BookableOffice:
    """The office's booking configuration after staff's `schedule` (any of its fields; the rest stay as
    `current`); Invalid names the field at fault."""
    if not isinstance(value, dict) or not value:
        raise Invalid(ROOT, f"schedule is an object with any of {', '.join(SCHEDULE_FIELDS)}")
    stray = sorted(set(value) - set(SCHEDULE_FIELDS))
    if stray:
        raise Invalid(_where(stray[0]), f"unknown field {stray[0]!r}")
    try:
        cfg = configure(current, value)
    except ValidationError as exc:
        first: Any = exc.errors()[0]
        loc = [p for p in first["loc"] if p not in ("__root__",)]
        raise Invalid(_where(*loc), str(first["msg"])) from exc
    _check_hours(cfg)
    _check_groups(cfg, services)
    return cfg
