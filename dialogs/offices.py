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
holds."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from dialogs.texts import HOTLINE
from knowledge.schema import Office

if TYPE_CHECKING:
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

    @property
    def bookable(self) -> bool:
        """A closed or unconfirmed office is never offered; one without an address cannot take bookings."""
        return self.status == OPEN and bool(self.address)

    def json(self) -> dict[str, str | None]:
        return {"status": self.status, "note": self.note, "address": self.address, "hours": self.hours}


_NONE: Mapping[str, OfficeView] = MappingProxyType({})
_BOARD: ContextVar[Mapping[str, OfficeView]] = ContextVar("office_board", default=_NONE)


def use(board: Mapping[str, OfficeView]) -> None:
    """Make `board` the offices' state for the rest of this task (a turn)."""
    _BOARD.set(MappingProxyType(dict(board)))


async def load(uow: UnitOfWork) -> dict[str, OfficeView]:
    return {row[0]: OfficeView(*row) for row in await uow.offices.snapshot()}


async def refresh(uow: UnitOfWork) -> None:
    """Read the offices' state for this turn."""
    use(await load(uow))


def view(office: str) -> OfficeView | None:
    """The staff's state of an office; None when staff never set one (the knowledge's data stands)."""
    return _BOARD.get().get(office)


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
