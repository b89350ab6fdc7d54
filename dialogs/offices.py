"""The offices as the Center says they are today: status (open, closed or unconfirmed, with a note), address
and hours, set by staff in the console (storage/staff.py `OfficeState`, dialogs/booking/offices.py) over what
the knowledge says.

The engine reads the table at the start of every turn (`refresh`; from the factory's `OfficeCache`, so a turn
costs no query while nothing changed) into a context variable, so a change applies at the next message in this
process and within `OfficeCache.TTL` in another, without a restart, and one turn sees one state throughout.
Outside a turn (a worker, a staff command) nothing is set and the knowledge's own data stands, unless the caller
refreshes. A closed or unconfirmed office is never offered for booking; an office without an address cannot
take bookings (`bookable`); the bot's answers give the staff's address, hours and note (`current`, `hours`).
Of an unconfirmed office (the Center must confirm whether, where and when it receives) they say plainly that
this is being confirmed and give the hotline (`CONFIRMING`, `CONFIRMING_HOURS`), whatever hours the data
holds.

The booking's configuration of an office (hours per regime, breaks, window groups, slot length, priority
share: booking.yaml's shape) is also set by staff (`OfficeView.schedule`); `effective` gives the booking data
with the board's schedules in place of the data's, built once per change and cached, so the slot grids (keyed
on the data's identity, dialogs/booking/rules.py) are rebuilt only after a change."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from dialogs.texts import HOTLINE
from knowledge.booking_schema import BookableOffice, BookingData
from knowledge.schema import Office

if TYPE_CHECKING:
    from storage.staff import OfficeRow
    from storage.uow import UnitOfWork

OPEN, CLOSED, UNCONFIRMED = "open", "closed", "unconfirmed"
# HOTLINE is the Center's hotline of contacts.yaml (hotlines: visa, with its source);
# tests/booking/test_unconfirmed.py proves they are the same number.
CONFIRMING = (
    "Інформацію про цей офіс зараз уточнюють: чи приймає він, де і коли. Перед візитом зателефонуйте на "
    f"безкоштовну гарячу лінію {HOTLINE}."
)
CONFIRMING_HOURS = f"Графік зараз уточнюють — зателефонуйте на безкоштовну гарячу лінію {HOTLINE}."


@dataclass(frozen=True)
class OfficeView:
    """An office as the booking and the bot's answers see it today."""

    office: str
    status: str
    note: str | None
    address: str | None
    hours: str | None
    schedule: str | None = None  # the booking's configuration as staff set it (canonical JSON; see `configure`)

    @property
    def bookable(self) -> bool:
        """A closed or unconfirmed office is never offered; one without an address cannot take bookings."""
        return self.status == OPEN and bool(self.address)

    def json(self) -> dict[str, str | None]:
        return {"status": self.status, "note": self.note, "address": self.address, "hours": self.hours}


@dataclass(frozen=True)
class _Board:
    views: Mapping[str, OfficeView]
    schedules: tuple[tuple[str, str], ...] = field(default=())  # (office, schedule) of the configured ones


_NONE = _Board(MappingProxyType({}))
_BOARD: ContextVar[_Board] = ContextVar("office_board", default=_NONE)


def use(board: Mapping[str, OfficeView]) -> None:
    """Make `board` the offices' state for the rest of this task (a turn)."""
    _BOARD.set(_board(board))


def _board(board: Mapping[str, OfficeView]) -> _Board:
    views = dict(board)
    schedules = tuple(sorted((o, v.schedule) for o, v in views.items() if v.schedule is not None))
    return _Board(MappingProxyType(views), schedules)


# The last snapshot read and the board made of it: a turn whose snapshot is that very object (the factory's
# `OfficeCache` unchanged) takes the same board; any other snapshot (the cache emptied or stale) makes a new one.
# A snapshot is a tuple of tuples of strings, so the same object always holds the same state.
_LAST: tuple[tuple[OfficeRow, ...], _Board] | None = None


async def load(uow: UnitOfWork) -> dict[str, OfficeView]:
    return _views(await uow.offices.snapshot())


def _views(rows: tuple[OfficeRow, ...]) -> dict[str, OfficeView]:
    return {row[0]: OfficeView(*row) for row in rows}


SCHEDULE_FIELDS = ("schedules", "groups", "priority_share")  # what staff set of booking.yaml's office


def configure(base: BookableOffice, schedule: Mapping[str, Any]) -> BookableOffice:
    """The data's office with the staff's schedule in place (pydantic's ValidationError for a bad one)."""
    merged = base.model_dump(mode="json")
    merged.update({k: schedule[k] for k in SCHEDULE_FIELDS if k in schedule})
    return BookableOffice.model_validate(merged)


def schedule_of(cfg: BookableOffice) -> dict[str, Any]:
    """An office's schedule as stored (booking.yaml's shape)."""
    return cfg.model_dump(mode="json", include=set(SCHEDULE_FIELDS))


_EFFECTIVE: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[BookingData, BookingData]] = {}
_EFFECTIVE_MAX = 32


def _build(base: BookingData, schedules: tuple[tuple[str, str], ...]) -> BookingData:
    staff = dict(schedules)
    offices = []
    for cfg in base.offices:
        text = staff.get(cfg.office)
        if text is not None:
            # validated when staff saved it; a shape the data no longer accepts keeps the data's
            with suppress(ValidationError, ValueError):
                cfg = configure(cfg, json.loads(text))
        offices.append(cfg)
    return base.model_copy(update={"offices": offices})


def effective(base: BookingData) -> BookingData:
    """The booking data with the staff's schedules of this turn's board: `base` itself when staff set none,
    otherwise one object per (base, schedules), so caches keyed on its identity stay valid until a change."""
    schedules = _BOARD.get().schedules
    if not schedules:
        return base
    key = (id(base), schedules)
    hit = _EFFECTIVE.get(key)
    if hit is not None and hit[0] is base:
        return hit[1]
    built = _build(base, schedules)
    if len(_EFFECTIVE) >= _EFFECTIVE_MAX:
        _EFFECTIVE.clear()
    _EFFECTIVE[key] = (base, built)  # the entry keeps `base` alive, so its id is not reused meanwhile
    return built


async def refresh(uow: UnitOfWork) -> None:
    """Read the offices' state for this turn."""
    global _LAST
    rows = await uow.offices.snapshot()
    if _LAST is None or _LAST[0] is not rows:
        _LAST = (rows, _board(_views(rows)))
    _BOARD.set(_LAST[1])


def view(office: str) -> OfficeView | None:
    """The staff's state of an office; None when staff never set one (the knowledge's data stands)."""
    return _BOARD.get().views.get(office)


def bookable(office: str) -> bool:
    found = view(office)
    return found is None or found.bookable


def current(office: Office) -> Office:
    """The office with the staff's address, and their note first when it is closed; «being confirmed» first
    when it is unconfirmed."""
    found = view(office.id)
    if found is None:
        return office
    notes = list(office.notes)
    if found.status == CLOSED:
        notes = [f"Офіс тимчасово не приймає відвідувачів. {found.note or ''}".strip(), *notes]
    elif found.status == UNCONFIRMED:
        notes = [CONFIRMING, *([found.note] if found.note else []), *notes]
    elif found.note:
        notes = [found.note, *notes]
    return office.model_copy(update={"address": found.address, "notes": notes})


def hours(office: str) -> str | None:
    """The hours as staff wrote them for citizens, if they did; of an unconfirmed office, that they are being
    confirmed (no hours of the data are told as if they held)."""
    found = view(office)
    if found is not None and found.status == UNCONFIRMED:
        return CONFIRMING_HOURS
    return found.hours if found is not None else None


def confirming(office: str) -> bool:
    """The Center has yet to confirm whether, where and when this office receives."""
    found = view(office)
    return found is not None and found.status == UNCONFIRMED
