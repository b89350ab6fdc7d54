"""Booking rows: bookings, monthly quotas, closed days; the keys that make them safe and the codes.

Double booking is impossible by construction: the database refuses it, never a check followed by an insert.
- The place: UNIQUE (office, resource, start, place). A slot of capacity k has places 0..k-1 (held places for
  priority citizens are just some of these numbers); `Bookings.take` INSERTs the citizen's candidates one by one,
  each in its own savepoint, and the unique key refuses a place somebody else holds. A cancelled booking has
  place NULL, and NULLs never collide, so the place returns to the pool.
- One active booking per service per person (the keyed hash of the verified phone, storage/people.py, the same on
  every channel and session): a partial unique index (person, service) over active rows; one active callback and
  one open home visit per person: (person, kind). The older (user_id, service) index stays and agrees with them.
- A double tap: UNIQUE (user_id, token); the second tap gets the booking the first one made.
- The monthly quota and the priority booking a day: per person (`People.count_up`, one atomic upsert that adds 1
  only while the count is under the limit); cancelled bookings stay counted. If no place is left, the increment
  is rolled back with the savepoint around it. `BookingQuota` (per citizen account) is no longer written: a
  person with two accounts would have had two quotas; its old rows are only erased by /forget.
On SQLite every transaction starts with BEGIN IMMEDIATE (storage/db.py), so writers are serialized anyway; on
PostgreSQL (READ COMMITTED) a concurrent INSERT of the same key waits for the other transaction and then fails.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import system_clock
from storage.models import Base, UTCDateTime

BOOKED = "booked"
CANCELLED = "cancelled"
ARRIVED = "arrived"
NO_SHOW = "no-show"
REQUESTED = "requested"  # a home visit request: no time yet, the Center calls to agree on one
STATUSES = (BOOKED, CANCELLED, ARRIVED, NO_SHOW, REQUESTED)
ACTIVE = (BOOKED, REQUESTED)  # what counts as «a booking the citizen has» (one per service)
KINDS = ("office", "callback", "visit")

# The constraints `take` tells apart when an INSERT is refused.
PLACE_KEY = "uq_bookings_place"
TOKEN_KEY = "uq_bookings_token"
ACTIVE_KEY = "uq_bookings_active_service"
CODE_KEY = "uq_bookings_code"
PERSON_SERVICE_KEY = "uq_bookings_person_service"  # one active booking per service per person
PERSON_REQUEST_KEY = "uq_bookings_person_request"  # one active callback and one open home visit per person
_ACTIVE_WHERE = "status IN ('booked', 'requested')"
_REQUEST_WHERE = "kind IN ('callback', 'visit') AND status IN ('booked', 'requested')"

# Codes: no 0/O and no 1/I, so a code read aloud or copied by hand is not mistaken; 32⁶ ≈ 10⁹ codes.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_TRIES = 8
NO_LIMIT = -1  # `take(monthly_limit=NO_LIMIT)`: the booking is not counted in the month's quota


def new_code() -> str:
    """A fresh booking code such as «K7M-4QX»."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def normalize_code(code: str) -> str:
    """A code as typed («k7m4qx», « K7M - 4QX ») in its stored form «K7M-4QX»."""
    chars = re.sub(r"[\s\-–—]", "", code).upper()
    return f"{chars[:3]}-{chars[3:]}" if len(chars) == 6 else chars


class Booking(Base):
    """An office visit at a time, a hotline callback at a time, or a home visit request (no time)."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("office", "resource", "start", "place", name=PLACE_KEY),
        UniqueConstraint("user_id", "token", name=TOKEN_KEY),
        Index(
            ACTIVE_KEY,
            "user_id",
            "service",
            unique=True,
            sqlite_where=text(_ACTIVE_WHERE),
            postgresql_where=text(_ACTIVE_WHERE),
        ),
        Index(
            PERSON_SERVICE_KEY,
            "person",
            "service",
            unique=True,
            sqlite_where=text(_ACTIVE_WHERE),
            postgresql_where=text(_ACTIVE_WHERE),
        ),
        Index(
            PERSON_REQUEST_KEY,
            "person",
            "kind",
            unique=True,
            sqlite_where=text(_REQUEST_WHERE),
            postgresql_where=text(_REQUEST_WHERE),
        ),
        Index("ix_bookings_start", "start"),
        # The statistics' covering index (storage/stats.py): a year's bookings counted without reading a row.
        Index("ix_bookings_stats", "kind", "office", "status", "priority", "start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # uq_bookings_code
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # office / callback / visit
    office: Mapped[str] = mapped_column(String(40))  # an office id, or the hotline's id for a callback
    resource: Mapped[str] = mapped_column(String(40))  # the window group (or "hotline")
    service: Mapped[str] = mapped_column(String(40))
    start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    place: Mapped[int | None] = mapped_column(Integer, default=None)  # NULL once cancelled: the place returns
    priority: Mapped[bool] = mapped_column(default=False)
    priority_group: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    # Personal: erased by /forget (`Bookings.erase_personal`).
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    address: Mapped[str | None] = mapped_column(Text, default=None)
    topic: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    token: Mapped[str | None] = mapped_column(String(32), default=None)  # the confirmation's idempotency key
    # The person (storage/people.py: the keyed hash of the verified phone) the limits count it for; NULL for a
    # booking made before phones were verified. NULLs never collide in the person keys.
    person: Mapped[str | None] = mapped_column(String(32), default=None)


class BookingQuota(Base):
    """How many bookings a citizen account made in a calendar month (Kyiv): no longer written (the month counts
    per person now, `PersonQuota` «month:YYYY-MM»); the table stays for the rows older versions wrote."""

    __tablename__ = "booking_quota"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12"
    count: Mapped[int] = mapped_column(Integer, default=0)


class Closure(Base):
    """A day an office is closed by staff (besides weekends and the calendar's days off)."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("office", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class TakeFailure(StrEnum):
    TAKEN = "taken"  # none of the candidate places is free any more
    QUOTA = "quota"  # the person's monthly limit is used up
    ALREADY = "already"  # the person has an active booking for this service
    CLOSED = "closed"  # the day was closed meanwhile (checked only when `take` is given the day)
    UNVERIFIED = "unverified"  # no person is known (no verified phone): nothing is booked or counted
    PRIORITY_DAY = "priority_day"  # the person has had a priority booking for this service on that day
    REQUEST = "request"  # the person has an active callback (or an open home-visit request) already


_SQLITE_COLUMNS = {
    ("office", "resource", "start", "place"): PLACE_KEY,
    ("user_id", "token"): TOKEN_KEY,
    ("user_id", "service"): ACTIVE_KEY,
    ("code",): CODE_KEY,
    ("person", "service"): PERSON_SERVICE_KEY,
    ("person", "kind"): PERSON_REQUEST_KEY,
}


def violated(error: IntegrityError) -> str | None:
    """The name of the unique constraint an INSERT broke: asyncpg names it; SQLite names its columns."""
    orig = error.orig
    name = getattr(getattr(orig, "__cause__", None), "constraint_name", None) or getattr(
        orig, "constraint_name", None
    )
    if isinstance(name, str):
        return name
    message = str(orig)
    if found := re.search(r'unique constraint "([^"]+)"', message):
        return found.group(1)
    if found := re.search(r"UNIQUE constraint failed: (.+)$", message, re.MULTILINE):
        columns = tuple(part.strip().rsplit(".", 1)[-1] for part in found.group(1).split(","))
        return _SQLITE_COLUMNS.get(columns)
    return None
