"""The operator handoff's rules as pure functions: when the hotline answers, the honest wait estimate, what one
channel can carry to another, and what the periodic sweep does with an overdue ticket. No database, no clock."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from dialogs.booking.rules import Resource, Slot, day_slots
from dialogs.calendar import WorkCalendar
from dialogs.messages import Attachment
from knowledge.booking_schema import BookingData

HOTLINE = Resource("hotline", "hotline")
RATINGS = (1, 2, 3, 4, 5)
MAX_COMMENT = 500
ESTIMATE_STEP = 5  # minutes: an estimate is rounded up to this, never finer than the truth allows
WAITS_NEEDED = 3  # recent waits needed before they are used rather than the per-ticket assumption


def _slots(data: BookingData, day: dt.date, *, martial_law: bool, calendar: WorkCalendar) -> list[Slot]:
    return day_slots(data, HOTLINE, day, martial_law=martial_law, calendar=calendar)


def hotline_open(data: BookingData, now: dt.datetime, *, martial_law: bool, calendar: WorkCalendar) -> bool:
    """Whether the hotline's operators are at work now (its hours of the regime in force, minus days off and
    closures), by the same schedule its callbacks are booked on."""
    day = now.astimezone(ZoneInfo(data.timezone)).date()
    return any(s.start <= now < s.end for s in _slots(data, day, martial_law=martial_law, calendar=calendar))


def next_opening(
    data: BookingData, now: dt.datetime, *, martial_law: bool, calendar: WorkCalendar, days: int = 14
) -> dt.datetime | None:
    """When the hotline next starts answering (now, if it is open), within `days` days."""
    today = now.astimezone(ZoneInfo(data.timezone)).date()
    for i in range(days + 1):
        for slot in _slots(data, today + dt.timedelta(days=i), martial_law=martial_law, calendar=calendar):
            if slot.end > now:
                return max(slot.start, now)
    return None


def estimate_minutes(
    ahead: int, recent_waits: list[dt.timedelta], operators: int, *, per_ticket: dt.timedelta
) -> int:
    """An honest wait estimate in minutes for a citizen with `ahead` tickets before them: the median wait of
    tickets taken lately when there are enough of them (what citizens actually waited), else the assumed
    handling time per ticket shared by the operators on duty (at least one). Rounded up to ESTIMATE_STEP."""
    if len(recent_waits) >= WAITS_NEEDED:
        typical = statistics.median(w.total_seconds() for w in recent_waits) / 60
        # the first in the queue waits about as long as citizens lately did; each turn of all operators more
        minutes = typical * max(1.0, (ahead + 1) / max(1, operators))
    else:
        minutes = per_ticket.total_seconds() / 60 * (ahead + 1) / max(1, operators)
    return max(ESTIMATE_STEP, math.ceil(minutes / ESTIMATE_STEP) * ESTIMATE_STEP)


class Carry(StrEnum):
    COPY = "copy"  # Telegram to Telegram: the message is copied
    URL = "url"  # the file has a public address the other channel fetches
    NO = "no"  # the other side cannot get it: say so


def carry(attachment: Attachment, to_channel: str) -> Carry:
    """How an attachment reaches a channel: Telegram copies its own messages and fetches public addresses;
    Viber shows a picture or file only from a public address; the web chat shows no files."""
    if to_channel == "telegram":
        if attachment.origin:
            return Carry.COPY
        return Carry.URL if attachment.url else Carry.NO
    if to_channel == "viber" and attachment.url and attachment.kind in ("photo", "document", "video"):
        return Carry.URL
    return Carry.NO


class Overdue(StrEnum):
    OFFER = "offer"  # nobody took a live ticket in time: offer a callback or to leave the question
    CLOSE = "close"  # an open conversation went quiet: close it, tell both sides
    RELEASE = "release"  # a waiting citizen went quiet after the offer: keep the question, let them go


@dataclass(frozen=True)
class TicketTimes:
    status: str
    mode: str
    created_at: dt.datetime
    last_activity_at: dt.datetime
    offered_at: dt.datetime | None


def overdue(
    t: TicketTimes, now: dt.datetime, *, wait_limit: dt.timedelta, idle: dt.timedelta
) -> Overdue | None:
    """What the sweep does with a ticket now, if anything."""
    quiet = now - t.last_activity_at >= idle
    if t.status == "open":
        return Overdue.CLOSE if quiet else None
    if t.status != "waiting" or t.mode != "live":
        return None
    if t.offered_at is None:
        return Overdue.OFFER if now - t.created_at >= wait_limit else None
    return Overdue.RELEASE if quiet and now - t.offered_at >= idle else None


def canned_key(text: str) -> str | None:
    """The key of a canned answer command (`/t hours`, `/t 41-11`), or "" for a bare `/t` (list them)."""
    head, _, rest = text.strip().partition(" ")
    if head.split("@", 1)[0] != "/t":
        return None
    return rest.strip().lower()
