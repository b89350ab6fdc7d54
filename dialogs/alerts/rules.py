"""What an air-raid alerts source says and what we conclude from it, pure and with `now` always an argument.

The source is the alerts.in.ua API (bot/alerts.py reads it). Its IoT endpoint answers one location's status as a
JSON string: "A" an alert over the whole location, "P" over a part of it, "N" none. A part of the city under an
alert is an alert for the Center: people at the door cannot tell which part, and the offices follow the city's
siren. Its full list (`/v1/alerts/active.json`) is read only when the IoT endpoint does not know the location.

A source that fails (an error, a timeout, nonsense) is never read as «no alert»: the last thing it said holds for
`TRUST_FOR`, then the state is «unknown» until it answers sensibly again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum

TRUST_FOR = dt.timedelta(minutes=3)  # how long the last good answer holds while the source fails
AIR_RAID = "air_raid"


class State(StrEnum):
    ACTIVE = "active"
    CALM = "calm"
    UNKNOWN = "unknown"


class Nonsense(ValueError):
    """The source answered something that is not an answer."""


def read_iot(body: bytes) -> bool:
    """Whether the location is under an alert, from the IoT endpoint's body (a JSON string "A", "P" or "N")."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Nonsense("not JSON") from exc
    if not isinstance(value, str) or len(value) != 1 or value not in "APN":
        raise Nonsense(f"an unknown status {str(value)[:20]!r}")
    return value in "AP"


def read_active(body: bytes, uid: str) -> bool:
    """Whether the location is under an air-raid alert, from the full list of active alerts."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Nonsense("not JSON") from exc
    alerts = value.get("alerts") if isinstance(value, dict) else None
    if not isinstance(alerts, list):
        raise Nonsense("no list of alerts")
    for alert in alerts:
        if not isinstance(alert, dict):
            raise Nonsense("an alert that is not an object")
        if (
            str(alert.get("location_uid")) == uid
            and alert.get("alert_type", AIR_RAID) == AIR_RAID
            and not alert.get("finished_at")
        ):
            return True
    return False


@dataclass(frozen=True)
class Change:
    """What a reading changed: the state before and after, and when."""

    before: State
    after: State
    at: dt.datetime


@dataclass
class Tracker:
    """The state the readings add up to. `heard` is the last sensible answer; `failing_since` the first failure
    after it (None while the source answers)."""

    state: State = State.UNKNOWN
    since: dt.datetime | None = None
    heard: dt.datetime | None = None
    failing_since: dt.datetime | None = None

    def answered(self, active: bool, now: dt.datetime) -> Change | None:
        self.heard, self.failing_since = now, None
        return self._become(State.ACTIVE if active else State.CALM, now)

    def failed(self, now: dt.datetime) -> Change | None:
        if self.failing_since is None:
            self.failing_since = now
        if self.heard is None or now - self.heard >= TRUST_FOR:
            return self._become(State.UNKNOWN, now)
        return None

    @property
    def source_ok(self) -> bool:
        return self.heard is not None and self.failing_since is None

    def _become(self, state: State, now: dt.datetime) -> Change | None:
        if state is self.state:
            return None
        change = Change(self.state, state, now)
        self.state, self.since = state, now
        return change


STALE_AFTER = dt.timedelta(minutes=5)  # a state nobody has checked for this long (the poller stopped) is unknown


def current(state: str | None, checked_at: dt.datetime | None, now: dt.datetime) -> State:
    """The state as a reader should take it: what the poller wrote, unless it is missing or stale."""
    if state is None or checked_at is None or now - checked_at > STALE_AFTER:
        return State.UNKNOWN
    try:
        return State(state)
    except ValueError:
        return State.UNKNOWN
