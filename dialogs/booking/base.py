"""What every part of the booking conversation shares: its payloads, the service and the events it is built with,
its place in the dialog state, and how a booking's facts read.

The conversation is split by what the citizen does: `steps` (a new appointment), `mine` («Мої записи»),
`requests` (a hotline callback, a home visit); `flow` is the room the engine sees."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dialogs import offices
from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.service import BookingService
from dialogs.events import BookingEvents, PhoneCheck
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack, payload_date, payload_moment
from dialogs.rooms import RoomState, Row, Turn
from knowledge.booking_schema import PriorityGroup
from knowledge.loader import Knowledge
from knowledge.understand import Understander
from storage.models import DialogState

NAME = "booking"
PREFIX = "q"  # its payloads: q, q:my, q:s:<service>, q:d:<yyyymmdd>, q:t:<hhmm>, q:ok:<token>, …
TIMES_PER_PAGE = 16
DAYS_PER_PAGE = 6
YES = {"так", "да", "згоден", "згодна", "погоджуюся", "согласен", "согласна", "ок", "добре"}
NO = {"ні", "нет", "не згоден", "не згодна", "не треба"}
PASS_THROUGH = {"меню", "/menu", "/start", "/forget", "/help", "головне меню", "почати"}
PERSONAL_STEPS = {"visit-address"}
_PHONE_CHARS = re.compile(r"[\s()\-‐‑‒–—./_\u200b-\u200d\u2060]")


@dataclass
class Choices:
    """What the citizen has chosen so far in the booking room (short strings; empty: not chosen)."""

    svc: str = ""  # the service (a callback's may stay empty)
    office: str = ""
    prio: str = ""  # the priority group declared, if any
    day: str = ""  # yyyymmdd, Kyiv
    start: str = ""  # yyyymmddhhmm, Kyiv
    token: str = ""  # the confirmation's idempotency token
    kind: str = ""  # "" an office appointment, "callback", "visit"
    topic: str = ""  # a callback's topic
    address: str = ""  # a home visit's address, until it goes into the request
    move: str = ""  # the code of the booking being moved
    cancel: str = ""  # the code of the booking whose cancellation is asked («Скасувати запис …?»)


STATE = RoomState(NAME, Choices)


def _b(text: str, *args: str) -> Button:
    return Button(text, pack(PREFIX, *args))


MENU: Row = (Button(common.MENU, pack(Action.MENU)),)


def normalize_phone(text: str) -> str | None:
    """A Ukrainian mobile or landline number as +380XXXXXXXXX, or None («067‑123‑45‑67», «+38 (067) …»)."""
    digits = _PHONE_CHARS.sub("", text.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        return None
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    if len(digits) == 12 and digits.startswith("380"):
        return "+" + digits
    return None


class Buttons:
    """The payloads of this room's buttons that other rooms show (dialogs.events.BookingButtons)."""

    def cancel(self, code: str) -> str:
        return pack(PREFIX, "x", code)

    def move(self, code: str) -> str:
        return pack(PREFIX, "r", code)

    def callback(self) -> str:
        return pack(PREFIX, "cb")

    def visit(self) -> str:
        return pack(PREFIX, "v")


BUTTONS = Buttons()


class BookingBase:
    """The booking room's shared state and helpers."""

    def __init__(
        self,
        kb: Knowledge,
        service: BookingService,
        events: BookingEvents | None = None,
        understander: Understander | None = None,
        phones: PhoneCheck | None = None,
    ) -> None:
        self.kb = kb
        self.booking = service
        self.events = events  # told of each booking made, moved or cancelled (the reminders listen)
        # the verify room: an office booking, a callback and a home visit need a verified phone (None: refused)
        self.phones = phones
        # reads a typed question in the middle of a booking (answered, the booking kept); None: re-asked
        self.understander = understander

    async def _unverified(self, turn: Turn, then: str) -> list[Reply] | None:
        """None when the citizen's phone is verified; otherwise the way to verify it (the verify room's first
        step), after which `then` (the payload that started this) is pressed for them."""
        if await turn.uow.people.verified(turn.user) is not None:
            return None
        self._leave(turn.state)
        if self.phones is None:
            return [Reply(texts.NO_VERIFY, (MENU,))]
        return await self.phones.start(turn, then)

    async def _request(self, turn: Turn) -> list[Reply]:
        """The callback or home visit asked for, to the verified number (requests.py)."""
        raise NotImplementedError

    async def _phone(self, turn: Turn) -> str | None:
        """The citizen's verified number, +380XXXXXXXXX."""
        found = await turn.uow.people.verified(turn.user)
        return "+" + found.phone if found is not None else None

    def _enter(self, state: DialogState, choices: Choices, step: str) -> None:
        STATE.leave(state)
        STATE.save(state, choices, step)

    def _leave(self, state: DialogState) -> None:
        STATE.leave(state)

    def _facts(
        self, service: str, office: str, start: dt.datetime | None, prio: str, kind: str = "office"
    ) -> list[str]:
        svc = self.kb.services.get(service)
        lines = [f"📋 {svc.short_title if svc else service}"]
        if kind == "callback":
            lines = ["📞 Дзвінок оператора гарячої лінії"]
        elif kind == "visit":
            lines.append("🚐 Виїзд адміністратора додому — Центр зателефонує")
        else:
            where = next((o for o in self.kb.contacts.offices if o.id == office), None)
            if where is not None:
                where = offices.current(where)
                lines.append(
                    f"📍 {where.short_name or where.name}" + (f", {where.address}" if where.address else "")
                )
        if start is not None:
            lines.append(self._when(start))
        if prio and (group := self._group(prio)) is not None:
            lines.append(texts.PRIORITY_DOC.format(document=group.document))
        return lines

    def _when(self, start: dt.datetime) -> str:
        local = self.booking.local(start)
        return f"🗓 {texts.day_text(local.date())} о {local:%H:%M} (за київським часом)"

    def _group(self, group_id: str) -> PriorityGroup | None:
        return next((g for g in self.booking.data.priority_groups if g.id == group_id), None)

    def _office_name(self, office: str) -> str:
        where = next((o for o in self.kb.contacts.offices if o.id == office), None)
        return (where.short_name or where.name)[:30] if where else office

    def _context_service(self, state: DialogState) -> str | None:
        """The service of the card the citizen is looking at, if any (a card's dialog is `k-<service>`)."""
        scenario = state.scenario or ""
        if scenario.startswith("k-") and scenario[2:] in self.kb.services:
            return scenario[2:]
        return STATE.load(state).svc or None

    def _topic(self, state: DialogState) -> str:
        service = self._context_service(state)
        if service is not None:
            return self.kb.services[service].short_title
        situation = self.kb.situations.get(state.scenario or "")
        return situation.title if situation else "консультація"


def _date(raw: str) -> dt.date | None:
    """«20261207» as a date, or None (forged, garbled, or out of range: dialogs.payloads)."""
    return payload_date(raw)


def _moment(raw: str, service: BookingService) -> dt.datetime | None:
    """«202612070930» (Kyiv local time) as an aware UTC datetime, or None."""
    return payload_moment(raw, service.tz)
