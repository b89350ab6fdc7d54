"""The booking conversation: service → office → priority → day → time → confirm, «Мої записи», hotline callbacks
and home-visit requests. A room of the engine (dialogs.rooms): it owns payloads `q:…` and the BOOKING intent.

Its place in the dialog is `DialogState.scenario == "booking"`, the step in `state.step` and the choices in
`state.answers` (short strings only; a phone or an address is never kept there — it goes straight into the
booking it was given for)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import ClassVar

from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.rules import Refusal
from dialogs.booking.service import HOTLINE, BookingService, new_token
from dialogs.events import BookingEvents
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.rooms import Row, Turn
from knowledge.loader import Knowledge
from knowledge.schema import LifeSituation, PriorityGroup, Service
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.booking import Booking
from storage.models import DialogState

NAME = "booking"
PREFIX = "q"  # its payloads: q, q:my, q:s:<service>, q:d:<yyyymmdd>, q:t:<hhmm>, q:ok:<token>, …
TIMES_PER_PAGE = 16
DAYS_PER_PAGE = 6
YES = {"так", "да", "згоден", "згодна", "погоджуюся", "согласен", "согласна", "ок", "добре"}
NO = {"ні", "нет", "не згоден", "не згодна", "не треба"}
PASS_THROUGH = {"меню", "/menu", "/start", "/forget", "/help", "головне меню", "почати"}
PERSONAL_STEPS = {"cb-phone", "visit-address", "visit-phone"}
_PHONE_CHARS = re.compile(r"[\s()\-‐‑‒–—./_\u200b-\u200d\u2060]")


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


BUTTONS = Buttons()


class BookingRoom:
    """Office appointments, hotline callbacks and home-visit requests on every channel."""

    prefix = PREFIX
    name = NAME
    holds = False
    intents = frozenset({Intent.BOOKING})
    commands: ClassVar[dict[str, tuple[str, ...]]] = {
        "/my": ("my",),
        "мої записи": ("my",),
        "мои записи": ("my",),
        "мій запис": ("my",),
        "скасувати запис": ("my",),
        "перенести запис": ("my",),
        "отменить запись": ("my",),
        "перенести запись": ("my",),
        "передзвоніть мені": ("cb",),
        "перезвоните мне": ("cb",),
        "замовити дзвінок": ("cb",),
        "заказать звонок": ("cb",),
    }

    def __init__(self, kb: Knowledge, service: BookingService, events: BookingEvents | None = None) -> None:
        self.kb = kb
        self.booking = service
        self.events = events  # told of each booking made, moved or cancelled (the reminders listen)

    def personal(self, state: DialogState) -> bool:
        return state.scenario == NAME and state.step in PERSONAL_STEPS

    # --- its buttons elsewhere ------------------------------------------------------------------------

    def menu_rows(self) -> tuple[Row, ...]:
        return ((_b(texts.BOOK), _b(texts.MY, "my")),)

    def card_rows(self, service: Service) -> tuple[Row, ...]:
        return ((_b(texts.BOOK, "s", service.id),),)

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> tuple[Row, ...]:
        """The next step: book it (one service) or choose which to book."""
        args = ("s", services[0].id) if len(services) == 1 else ()
        return ((_b(texts.BOOK, *args),),)

    def lost_rows(self) -> tuple[Row, ...]:
        return ()

    async def holding(self, turn: Turn) -> bool:
        return False

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply] | None:
        return None

    async def forget(self, turn: Turn) -> None:
        """Upcoming bookings of a citizen who asked to be forgotten are cancelled: nobody could use them."""
        for booking in await self.booking.cancel_all(turn.uow, turn.user, turn.now):
            if self.events is not None:
                await self.events.cancelled(turn.uow, booking.code)

    # --- entry points ----------------------------------------------------------------------------------

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        if hit is not None and hit.kind == "service" and self.booking.offices(hit.id):
            return await self._service(turn, hit.id)
        return self._groups(turn.state)

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        state = turn.state
        verb, *rest = args or ("",)
        arg = rest[0] if rest else ""
        if verb == "":
            return self._groups(state)
        if verb == "g" and arg:
            return self._services(arg)
        if verb == "s" and arg in self.kb.services:
            return await self._service(turn, arg)
        if verb == "my":
            return await self._mine(turn)
        if verb == "x" and arg:
            return self._ask_cancel(arg)
        if verb == "xx" and arg:
            return await self._cancel(turn, arg)
        if verb == "keep":
            return [Reply(texts.KEPT, ((_b(texts.MY, "my"),), MENU))]
        if verb == "r" and arg:
            return await self._move(turn, arg)
        if verb == "cb":
            return await self._callback(turn)
        if verb == "v":
            return self._visit(turn)
        if verb == "no":
            self._leave(state)
            return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
        if verb == "ok" and arg:  # a confirmation is answered even outside the flow: a double tap, days later
            return await self._confirm(turn, arg)
        if state.scenario != NAME:  # a step button from an old message, outside the booking
            return [Reply(texts.STALE), *self._groups(state)]
        return await self._step(turn, verb, arg, rest[1] if len(rest) > 1 else "")

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        state = turn.state
        words = " ".join(text.casefold().split()).strip(" .!")
        if words in self.commands:
            return await self.button(turn, self.commands[words])
        if state.scenario != NAME or words in PASS_THROUGH:
            return None  # «меню», /forget, /start work at every step
        if state.step in ("cb-consent", "visit-consent") and words in YES | NO:
            return await self._step(
                turn, ("cy" if state.step == "cb-consent" else "vy") if words in YES else "cn", ""
            )
        if state.step == "cb-topic":
            state.answers, state.step = {**state.answers, "topic": " ".join(text.split())[:100]}, "cb-consent"
            return self._summary(turn, _moment(state.answers.get("start", ""), self.booking) or turn.now)
        if state.step in ("cb-phone", "visit-phone"):
            shared = turn.message.phone if turn.message.contact_shared else text
            phone = normalize_phone(shared or "")  # a shared contact is checked like a typed number
            if phone is None:
                if words in ("скасувати", "отмена", "відміна"):
                    self._leave(state)
                    return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
                return [self._ask_phone(turn, texts.BAD_PHONE)]
            return await self._with_phone(turn, phone)
        if state.step == "visit-address":
            address = " ".join(text.split())
            if len(address) < 8 or not any(ch.isdigit() for ch in address) or len(address) > 200:
                return [Reply(texts.BAD_ADDRESS, ((_b(texts.CANCEL_FLOW, "no"),),))]
            state.answers = {**state.answers, "address": address[:200]}
            state.step = "visit-phone"
            return [self._ask_phone(turn)]
        return None  # other typed text: the engine reads it as usual

    # --- the steps ---------------------------------------------------------------------------------------

    def _enter(self, state: DialogState, answers: dict[str, str], step: str) -> None:
        state.scenario, state.step, state.answers, state.history = NAME, step, answers, []

    def _leave(self, state: DialogState) -> None:
        if state.scenario == NAME:
            state.scenario, state.step, state.answers, state.history = None, None, {}, []

    def _groups(self, state: DialogState) -> list[Reply]:
        rows = [(_b(g.title, "g", g.id),) for g in self.kb.contacts.groups]
        extra = ((_b(texts.CALLBACK, "cb"),), (_b(texts.VISIT, "v"),), (_b(texts.MY, "my"),))
        return [Reply(texts.CHOOSE_GROUP, (*rows, *extra, MENU))]

    def _services(self, group_id: str) -> list[Reply]:
        group = next((g for g in self.kb.contacts.groups if g.id == group_id), None)
        if group is None:
            return [Reply(texts.STALE), *self._groups_reply()]
        rows = [
            (_b(self.kb.services[s].short_title, "s", s),) for s in group.services if self.booking.offices(s)
        ]
        return [
            Reply(
                f"**{group.title}**\n{texts.CHOOSE_SERVICE}",
                (*rows, (_b(common.BACK, ""), *MENU)),
                replace=True,
            )
        ]

    def _groups_reply(self) -> list[Reply]:
        rows = [(_b(g.title, "g", g.id),) for g in self.kb.contacts.groups]
        return [Reply(texts.CHOOSE_GROUP, (*rows, MENU))]

    async def _service(self, turn: Turn, service: str) -> list[Reply]:
        offices = self.booking.offices(service)
        if not offices:
            return [Reply(texts.NOT_BOOKABLE, ((_b(texts.CALLBACK, "cb"),), MENU))]
        self._enter(turn.state, {"svc": service}, "office")
        if len(offices) > 1:
            rows = [(_b(self._office_name(o), "o", o),) for o in offices]
            return [Reply(texts.CHOOSE_OFFICE, (*rows, (_b(texts.CANCEL_FLOW, "no"),)))]
        return await self._office(turn, offices[0])

    async def _office(self, turn: Turn, office: str) -> list[Reply]:
        state = turn.state
        state.answers = {**state.answers, "office": office}
        if self.booking.gives_priority(office):
            state.step = "priority"
            rows = [(_b(g.label, "p", g.id),) for g in self.booking.data.priority_groups]
            question = (
                texts.PRIORITY_ONLY_QUESTION
                if self.booking.priority_only(office)
                else texts.PRIORITY_QUESTION
            )
            if not self.booking.priority_only(office):
                rows.append((_b(texts.NOT_PRIORITY, "p", "no"),))
            return [Reply(question, (*rows, (_b(texts.CANCEL_FLOW, "no"),)), replace=True)]
        return await self._days(turn)

    async def _days(self, turn: Turn, prefix: str = "", page: int = 0) -> list[Reply]:
        state = turn.state
        a = state.answers
        state.step = "day"
        office = HOTLINE if a.get("kind") == "callback" else a.get("office", "")
        every = await self.booking.days(
            turn.uow,
            office,
            a.get("svc", ""),
            now=turn.now,
            priority=bool(a.get("prio")),
            limit=(page + 1) * DAYS_PER_PAGE + 1,  # one more than shown tells whether there are later days
        )
        days = every[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE] or every[:DAYS_PER_PAGE]
        if not days:
            self._leave(state)
            text = texts.NO_DAYS.format(days=self.booking.data.horizon_days)
            return [Reply(f"{prefix}\n\n{text}".strip(), ((_b(texts.CALLBACK, "cb"),), MENU))]
        rows = [
            tuple(_b(texts.day_label(d), "d", f"{d:%Y%m%d}") for d in days[i : i + 2])
            for i in range(0, len(days), 2)
        ]
        if len(every) > (page + 1) * DAYS_PER_PAGE:  # the whole horizon stays reachable
            rows.append((_b(texts.LATER_DAYS, "dp", str(page + 1)),))
        head = texts.CALLBACK_START if a.get("kind") == "callback" else texts.CHOOSE_DAY
        return [
            Reply(f"{prefix}\n\n{head}".strip(), (*rows, (_b(texts.CANCEL_FLOW, "no"),)), replace=not prefix)
        ]

    async def _times(self, turn: Turn, day: dt.date, page: int = 0) -> list[Reply]:
        state = turn.state
        a = state.answers
        office = HOTLINE if a.get("kind") == "callback" else a.get("office", "")
        slots = await self.booking.times(
            turn.uow, office, a.get("svc", ""), day, now=turn.now, priority=bool(a.get("prio"))
        )
        if not slots:
            return await self._days(turn, texts.REFUSALS[Refusal.TAKEN])
        state.answers, state.step = {**a, "day": f"{day:%Y%m%d}"}, "time"
        shown = slots[page * TIMES_PER_PAGE : (page + 1) * TIMES_PER_PAGE] or slots[:TIMES_PER_PAGE]
        labels = [
            _b(texts.time_label(t), "t", f"{t:%H%M}") for t in (self.booking.local(s.start) for s in shown)
        ]
        rows: list[Row] = [tuple(labels[i : i + 4]) for i in range(0, len(labels), 4)]
        if len(slots) > (page + 1) * TIMES_PER_PAGE:  # a long day in pages: Viber shows at most 24 buttons
            rows.append((_b(texts.LATER, "dl", f"{day:%Y%m%d}", str(page + 1)),))
        text = f"{texts.day_text(day)}\n{texts.CHOOSE_TIME}"
        return [
            Reply(text, (*rows, (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no"))), replace=True)
        ]

    async def _step(self, turn: Turn, verb: str, arg: str, arg2: str = "") -> list[Reply]:
        state = turn.state
        if (
            verb == "o"
            and state.step == "office"
            and arg in self.booking.offices(state.answers.get("svc", ""))
        ):
            return await self._office(turn, arg)
        if verb == "p" and state.step == "priority" and (arg == "no" or self._group(arg)):
            state.answers = {**state.answers, "prio": "" if arg == "no" else arg}
            return await self._days(turn)
        if verb == "days" and state.step in ("time", "confirm"):
            return await self._days(turn)
        if verb == "d" and state.step in ("day", "time") and (day := _date(arg)) is not None:
            return await self._times(turn, day)
        if (
            verb == "dl"
            and state.step == "time"
            and (day := _date(arg)) is not None
            and arg2.isascii()
            and arg2.isdigit()
        ):
            return await self._times(turn, day, page=int(arg2))
        if verb == "dp" and state.step == "day" and arg.isascii() and arg.isdigit():
            return await self._days(turn, page=int(arg))
        if verb == "t" and state.step == "time" and (start := self._start(state, arg)) is not None:
            return self._summary(turn, start)
        if (
            verb == "a"
            and (start := _moment(arg, self.booking)) is not None
            and state.step in ("day", "time", "confirm")
        ):
            return self._summary(turn, start)
        if verb == "topic" and state.step == "cb-consent":
            state.step = "cb-topic"
            return [Reply(texts.ASK_TOPIC, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if verb == "cy" and state.step == "cb-consent":
            state.step = "cb-phone"
            return [self._ask_phone(turn)]
        if verb == "vy" and state.step == "visit-consent":
            state.step = "visit-address"
            return [Reply(texts.ASK_ADDRESS, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if verb == "cn" and state.step in ("cb-consent", "visit-consent"):
            self._leave(state)
            return [Reply(texts.NO_CONSENT, (MENU,))]
        if verb == "vg" and state.step == "visit-service":
            group = next((g for g in self.kb.contacts.groups if g.id == arg), None)
            if group is not None:
                rows = [(_b(self.kb.services[s].short_title, "vs", s),) for s in group.services]
                return [
                    Reply(
                        f"**{group.title}**\n{texts.CHOOSE_SERVICE}", (*rows, (_b(texts.CANCEL_FLOW, "no"),))
                    )
                ]
        if verb == "vs" and state.step == "visit-service" and arg in self.kb.services:
            state.answers, state.step = {**state.answers, "svc": arg}, "visit-consent"
            return [self._consent(texts.CONSENT_VISIT, "vy")]
        return [Reply(texts.STALE), *self._groups(state)]

    def _ask_phone(self, turn: Turn, lead: str = "") -> Reply:
        """Ask for the number: the channel's own share button where there is one, typing on the web."""
        how = texts.ASK_PHONE_WEB if turn.user.channel == "web" else texts.ASK_PHONE
        return Reply(f"{lead}\n{how}".strip(), ((_b(texts.CANCEL_FLOW, "no"),),), ask_contact=True)

    def _start(self, state: DialogState, hhmm: str) -> dt.datetime | None:
        day = _date(state.answers.get("day", ""))
        if day is None or not re.fullmatch(r"\d{4}", hhmm):
            return None
        try:
            local = dt.datetime.combine(day, dt.time(int(hhmm[:2]), int(hhmm[2:])), self.booking.tz)
        except ValueError:
            return None
        return local.astimezone(dt.UTC)

    def _summary(self, turn: Turn, start: dt.datetime) -> list[Reply]:
        state = turn.state
        a = state.answers
        token = new_token()
        state.answers, state.step = (
            {**a, "start": f"{self.booking.local(start):%Y%m%d%H%M}", "token": token},
            "confirm",
        )
        if a.get("kind") == "callback":
            state.step = "cb-consent"
            lines = [
                texts.CALLBACK_TOPIC.format(topic=a.get("topic", "")),
                self._when(start),
                "",
                texts.CONSENT_PHONE,
            ]
            consent = self._consent("\n".join(lines), "cy", replace=True)
            return [Reply(consent.text, (*consent.buttons, (_b(texts.TOPIC_EDIT, "topic"),)), replace=True)]
        lines = [texts.CHECK, "", *self._facts(a["svc"], a["office"], start, a.get("prio", ""))]
        rows = (
            (_b(texts.CONFIRM, "ok", token),),
            (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no")),
        )
        return [Reply("\n".join(lines), rows, replace=True)]

    def _consent(self, text: str, yes: str, *, replace: bool = False) -> Reply:
        """Personal data only after an explicit «yes» (`yes`: the verb of the button that gives it)."""
        rows = ((_b(texts.CONSENT_YES, yes),), (_b(texts.CONSENT_NO, "cn"),))
        return Reply(text, rows, replace=replace)

    async def _confirm(self, turn: Turn, token: str) -> list[Reply]:
        state = turn.state
        done = await turn.uow.bookings.by_token(turn.user.id, token)
        if done is not None:  # a double tap, or the same button days later
            if done.status not in ("booked", "requested"):
                return [Reply(texts.NO_LONGER.format(code=done.code), ((_b(texts.MY, "my"),), MENU))]
            return self._booked(done)
        a = state.answers
        if state.scenario != NAME or state.step != "confirm" or a.get("token") != token:
            return [Reply(texts.STALE), *self._groups(state)]
        start = _moment(a.get("start", ""), self.booking)
        if start is None:
            return [Reply(texts.STALE), *self._groups(state)]
        if (
            (code := a.get("move")) is not None
            and (old := await turn.uow.bookings.by_code(code)) is not None
            and old.user_id == turn.user.id
            and old.status == "booked"
        ):
            result = await self.booking.reschedule(
                turn.uow, turn.user, old, start=start, token=token, now=turn.now
            )
        else:
            prio = a.get("prio") or None
            result = await self.booking.book(
                turn.uow,
                turn.user,
                office=a["office"],
                service=a["svc"],
                start=start,
                priority_group=prio,
                token=token,
                now=turn.now,
            )
        if isinstance(result, Booking):
            self._leave(state)
            await self._announce(turn, result, moved=a.get("move"))
            return self._booked(result, moved=bool(a.get("move")))
        return await self._refused(turn, result, start)

    async def _refused(self, turn: Turn, refusal: Refusal, start: dt.datetime) -> list[Reply]:
        a = turn.state.answers
        why = texts.REFUSALS[refusal].format(
            limit=self.booking.data.monthly_limit, days=self.booking.data.horizon_days
        )
        if refusal in (Refusal.QUOTA, Refusal.ALREADY, Refusal.PRIORITY_ONLY):
            if a.get("move"):
                why += "\n" + texts.OLD_KEPT.format(code=a["move"])
            self._leave(turn.state)
            return [Reply(why, ((_b(texts.MY, "my"),), (_b(texts.CALLBACK, "cb"),), MENU))]
        office = HOTLINE if a.get("kind") == "callback" else a.get("office", "")
        near = await self.booking.nearest(
            turn.uow, office, a.get("svc", ""), now=turn.now, priority=bool(a.get("prio")), after=start
        )
        if not near:
            return await self._days(turn, why)
        turn.state.step = "time"
        rows = [
            (
                _b(
                    f"{texts.day_text(self.booking.local(s.start).date())} {self.booking.local(s.start):%H:%M}",
                    "a",
                    f"{self.booking.local(s.start):%Y%m%d%H%M}",
                ),
            )
            for s in near
        ]
        return [
            Reply(
                f"{why}\n{texts.NEAREST}",
                (*rows, (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no"))),
            )
        ]

    def _booked(self, booking: Booking, *, moved: bool = False) -> list[Reply]:
        if booking.kind == "visit":
            return [Reply(texts.VISIT_BOOKED.format(code=booking.code), ((_b(texts.MY, "my"),), MENU))]
        if booking.kind == "callback" and booking.start is not None:
            local = self.booking.local(booking.start)
            when = f"{texts.day_text(local.date())} о {local:%H:%M} (за київським часом)"
            text = texts.CALLBACK_BOOKED.format(when=when, code=booking.code)
            return [Reply(text, ((_b(texts.MY, "my"),), MENU))]
        head = texts.MOVED if moved else texts.BOOKED
        lines = [
            head,
            f"Код запису: **{booking.code}**",
            "",
            *self._facts(booking.service, booking.office, booking.start, booking.priority_group or ""),
            "",
            texts.SHOW_CODE,
        ]
        rows = (
            (Button(texts.WHAT_TO_BRING, pack(Action.SERVICE, booking.service)),),
            (_b(texts.MY, "my"),),
            MENU,
        )
        return [Reply("\n".join(lines), rows)]

    async def _announce(self, turn: Turn, booking: Booking, moved: str | None = None) -> None:
        """Tell who listens of a booking made or moved."""
        if self.events is not None:
            await self.events.booked(turn.uow, turn.user, booking, turn.now, moved_from=moved)

    # --- my bookings -------------------------------------------------------------------------------------

    async def _mine(self, turn: Turn) -> list[Reply]:
        bookings = await self.booking.mine(turn.uow, turn.user, turn.now)
        if not bookings:
            return [Reply(texts.MY_NONE, ((_b(texts.BOOK, ""),), MENU))]
        lines = [texts.MY_HEAD]
        rows: list[Row] = []
        for b in bookings:
            lines += [
                "",
                f"**{b.code}**",
                *self._facts(b.service, b.office, b.start, b.priority_group or "", kind=b.kind),
            ]
            cancel = _b(texts.CANCEL.format(code=b.code), "x", b.code)
            rows.append(
                (_b(texts.MOVE.format(code=b.code), "r", b.code), cancel) if b.kind == "office" else (cancel,)
            )
        return [Reply("\n".join(lines), (*rows, MENU))]

    def _ask_cancel(self, code: str) -> list[Reply]:
        rows = ((_b(texts.CANCEL_YES, "xx", code),), (_b(texts.CANCEL_NO, "keep"),))
        return [Reply(texts.CANCEL_ASK.format(code=code), rows)]

    async def _cancel(self, turn: Turn, code: str) -> list[Reply]:
        booking = await self.booking.cancel(turn.uow, turn.user, code, turn.now)
        if booking is None:
            return [Reply(texts.NOT_YOURS, ((_b(texts.MY, "my"),), MENU))]
        if self.events is not None:
            await self.events.cancelled(turn.uow, code)
        again = _b(texts.CALLBACK, "cb") if booking.kind != "office" else _b(texts.BOOK, "s", booking.service)
        return [Reply(texts.CANCELLED.format(code=code), ((again,), (_b(texts.MY, "my"),), MENU))]

    async def _move(self, turn: Turn, code: str) -> list[Reply]:
        booking = await turn.uow.bookings.by_code(code)
        if (
            booking is None
            or booking.user_id != turn.user.id
            or booking.status != "booked"
            or booking.kind != "office"
        ):
            return [Reply(texts.NOT_YOURS, ((_b(texts.MY, "my"),), MENU))]
        answers = {
            "svc": booking.service,
            "office": booking.office,
            "prio": booking.priority_group or "",
            "move": code,
        }
        self._enter(turn.state, answers, "day")
        return await self._days(turn, texts.MOVING.format(code=code))

    # --- hotline callback and home visit -------------------------------------------------------------------

    async def _callback(self, turn: Turn) -> list[Reply]:
        state = turn.state
        topic = self._topic(state)
        self._enter(state, {"kind": "callback", "svc": "", "topic": topic}, "day")
        return await self._days(turn)

    def _visit(self, turn: Turn) -> list[Reply]:
        state = turn.state
        service = self._context_service(state)
        if service is None:
            self._enter(state, {"kind": "visit"}, "visit-service")
            rows = [(_b(g.title, "vg", g.id),) for g in self.kb.contacts.groups]
            return [
                Reply(
                    f"{texts.VISIT_START}\n\n{texts.CHOOSE_SERVICE}", (*rows, (_b(texts.CANCEL_FLOW, "no"),))
                )
            ]
        self._enter(state, {"kind": "visit", "svc": service}, "visit-consent")
        return [Reply(texts.VISIT_START), self._consent(texts.CONSENT_VISIT, "vy")]

    async def _with_phone(self, turn: Turn, phone: str) -> list[Reply]:
        state = turn.state
        a = state.answers
        token = a.get("token") or new_token()
        if a.get("kind") == "visit":
            result = await self.booking.request_visit(
                turn.uow,
                turn.user,
                service=a.get("svc", ""),
                address=a.get("address", ""),
                phone=phone,
                token=token,
                now=turn.now,
            )
        else:
            start = _moment(a.get("start", ""), self.booking)
            if start is None:
                return [Reply(texts.STALE), *self._groups(state)]
            result = await self.booking.book(
                turn.uow,
                turn.user,
                office=HOTLINE,
                service=a.get("svc") or "hotline",
                start=start,
                priority_group=None,
                token=token,
                now=turn.now,
                phone=phone,
                topic=a.get("topic") or None,
            )
        if isinstance(result, Booking):
            self._leave(state)
            await self._announce(turn, result)
            return self._booked(result)
        return await self._refused(turn, result, _moment(a.get("start", ""), self.booking) or turn.now)

    # --- helpers -----------------------------------------------------------------------------------------

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
        return (state.answers.get("svc") or None) if state.scenario == NAME else None

    def _topic(self, state: DialogState) -> str:
        service = self._context_service(state)
        if service is not None:
            return self.kb.services[service].short_title
        situation = self.kb.situations.get(state.scenario or "")
        return situation.title if situation else "консультація"


def _date(raw: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date() if re.fullmatch(r"\d{8}", raw) else None
    except ValueError:
        return None


def _moment(raw: str, service: BookingService) -> dt.datetime | None:
    """«202612070930» (Kyiv local time) as an aware UTC datetime, or None."""
    if not re.fullmatch(r"\d{12}", raw):
        return None
    try:
        local = dt.datetime.strptime(raw, "%Y%m%d%H%M").replace(tzinfo=service.tz)
    except ValueError:
        return None
    return local.astimezone(dt.UTC)
