"""The reminders conversation: «ready by» from a card's term, a life event's deadlines, a monthly duty, «Мої
нагадування», «✅ Прийду» from an appointment reminder, and the move of a web chat to a messenger. A room of the
engine (dialogs.rooms): payloads `h:…`, the REMINDER intent, `/reminders`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from dialogs import texts as common
from dialogs import typed
from dialogs.messages import Button, Reply
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack, payload_date, payload_id
from dialogs.reminders import texts
from dialogs.reminders.rules import KYIV
from dialogs.reminders.service import PENDING_LIMIT, PREFIX, ReminderService, RemindersFull
from dialogs.rooms import QuietRoom, RoomState, Row, Turn
from knowledge.schema import LifeSituation, Service
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.models import DialogState
from storage.reminders import Reminder

NAME = "reminders"
TRANSFER = "tr_"  # the deep-link argument that carries a web chat to a messenger
MAX_REASK_WORDS = 4  # a longer message with no date in it is a question of its own, read by the engine


@dataclass
class Asked:
    """What the room asked a date for: a service («ready by») or a life situation (its deadlines)."""

    target: str = ""


STATE = RoomState(NAME, Asked)
MENU = (Button(common.MENU, pack(Action.MENU)),)
_DATE = re.compile(r"^(\d{1,2})[.\-/ ](\d{1,2})(?:[.\-/ ](\d{2}|\d{4}))?$")


def _b(text: str, *args: str) -> Button:
    return Button(text, pack(PREFIX, *args))


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """«25.11.2026», «25.11.26», «25.11» (this year), «сьогодні», «вчора»; None if it is not a date."""
    words = text.strip().casefold().rstrip(".")
    if words in ("сьогодні", "сегодня"):
        return today
    if words in ("вчора", "вчера"):
        return today - dt.timedelta(days=1)
    m = _DATE.match(words)
    if m is None:
        return None
    d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
    year = today.year if y is None else (2000 + int(y) if len(y) == 2 else int(y))
    try:
        found = dt.date(year, mo, d)
    except ValueError:
        return None
    if y is None and found > today:  # «29.12» written on 5 January is last year's
        try:
            return dt.date(year - 1, mo, d)
        except ValueError:
            return None
    return found


class ReminderRoom(QuietRoom):
    """Reminders a citizen asks for, listed and cancelled; the answers to the buttons of a sent reminder."""

    prefix = PREFIX
    name = NAME
    holds = False
    intents = frozenset({Intent.REMINDER})
    commands: ClassVar[dict[str, tuple[str, ...]]] = {
        "/reminders": ("my",),
        "мої нагадування": ("my",),
        "мои напоминания": ("my",),
    }

    def __init__(self, service: ReminderService, *, transfer_links: tuple[tuple[str, str], ...] = ()) -> None:
        self.reminders = service
        self.kb = service.kb
        self.links = transfer_links  # (messenger, «continue there» link template with {token})

    # --- its buttons elsewhere ------------------------------------------------------------------------

    def card_rows(self, service: Service) -> list[Row]:
        return self.checklist_rows(None, [service])

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> list[Row]:
        """«🔔 …» buttons: a life event's deadlines, one service's «ready by» date, a monthly duty."""
        rows: list[Row] = []
        if situation is not None and situation.deadlines:
            rows.append((_b(texts.REMIND_DEADLINES, "e", situation.id),))
        if len(services) == 1 and services[0].term is not None and services[0].term.unit != "on_application":
            rows.append((_b(texts.REMIND_READY, "r", services[0].id),))
        rows += [(_b(texts.REMIND_MONTHLY, "m", s.id),) for s in services if s.recurring]
        return rows

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply] | None:
        """`/start tr_<token>` in Telegram or Viber: the web chat's bookings and reminders come here, once."""
        if not arg.startswith(TRANSFER):
            return None
        web_user = await turn.uow.transfers.take(arg[len(TRANSFER) :], turn.now)
        if web_user is None or web_user == turn.user.id:
            return [Reply(texts.TRANSFER_USED, (MENU,))]
        bookings, reminders = await turn.uow.transfers.move(web_user, turn.user)
        return [
            Reply(
                texts.TRANSFERRED.format(bookings=bookings, reminders=reminders),
                ((_b(texts.MY, "my"),), MENU),
            )
        ]

    async def _transfer(self, turn: Turn) -> list[Reply]:
        """A one-time link per messenger that carries this web chat's bookings and reminders there."""
        if turn.user.channel != "web" or not self.links:
            return [Reply(texts.WEB_NO_LINKS, (MENU,))]
        token = await turn.uow.transfers.create(turn.user.id, turn.now)
        rows = tuple((Button(f"📲 {name}", url=link.format(token=token)),) for name, link in self.links)
        return [Reply(texts.WEB_LINKS, (*rows, MENU))]

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        if hit is not None and hit.kind == "service" and self._waits(hit.id):
            return self._ask_submitted(turn, hit.id)
        return await self._mine(turn)

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        verb, *rest = args or ("my",)
        arg = rest[0] if rest else ""
        arg2 = rest[1] if len(rest) > 1 else ""
        today = turn.now.astimezone(KYIV).date()
        if verb == "my":
            return await self._mine(turn)
        if verb == "r" and self._waits(arg):
            return self._ask_submitted(turn, arg)
        if verb == "rd" and self._waits(arg) and (day := _ymd(arg2)) is not None:
            return await self._ready(turn, arg, day, today)
        if verb == "e" and arg in self.kb.situations and self.kb.situations[arg].deadlines:
            return self._ask_event(turn, arg)
        if verb == "ed" and arg in self.kb.situations and (day := _ymd(arg2)) is not None:
            return await self._deadlines(turn, arg, day, today)
        if verb == "m" and arg in self.kb.services:
            return await self._monthly(turn, arg)
        if verb == "moff" and arg in self.kb.services:
            await self.reminders.stop_monthly(turn.uow, turn.user, arg)
            return [Reply(texts.MONTHLY_OFF, ((_b(texts.MY, "my"),), MENU))]
        if verb == "x" and (number := payload_id(arg)) is not None:
            done = await self.reminders.cancel(turn.uow, turn.user, number)
            return [Reply(texts.CANCELLED_ONE if done else texts.NOT_FOUND, ((_b(texts.MY, "my"),), MENU))]
        if verb == "xa":
            rows = ((_b(texts.CANCEL_ALL_YES, "xaa"),), (_b(texts.CANCEL_ALL_NO, "my"),))
            return [Reply(texts.CANCEL_ALL_ASK, rows)]
        if verb == "xaa":
            await self.reminders.cancel_all(turn.uow, turn.user)
            return [Reply(texts.CANCELLED_ALL, (MENU,))]
        if verb == "come" and arg:
            return await self._coming(turn, arg)
        if verb == "web":
            return await self._transfer(turn)
        return [Reply(common.UNKNOWN_BUTTON), *await self._mine(turn)]

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        state = turn.state
        words = " ".join(text.casefold().split())
        if words in self.commands:
            return await self.button(turn, self.commands[words])
        if state.scenario != NAME or state.step not in ("ready-date", "event-date"):
            return None
        today = turn.now.astimezone(KYIV).date()
        step = f"reminders:{state.step}"
        day = parse_date(text, today) or typed.read_date(text, today, past=True)  # «вчора», «в понеділок»
        target = STATE.load(state).target
        again = self._dates(turn, "rd" if state.step == "ready-date" else "ed", target)
        if day is None:
            if len(typed.tokens(text)) > MAX_REASK_WORDS and not any(ch.isdigit() for ch in text):
                return None  # a question of its own, not a date: the engine reads it, the step is kept
            turn.note(Kind.REASK, step)
            return [Reply(texts.BAD_DATE, again)]
        if day > today:
            turn.note(Kind.REASK, step)
            return [Reply(texts.FUTURE_DATE, again)]
        turn.note(Kind.ANSWER, step)
        if state.step == "ready-date" and self._waits(target):
            return await self._ready(turn, target, day, today)
        if state.step == "event-date" and target in self.kb.situations:
            return await self._deadlines(turn, target, day, today)
        return None

    # --- the conversations -------------------------------------------------------------------------------

    def _waits(self, service: str) -> bool:
        svc = self.kb.services.get(service)
        return svc is not None and svc.term is not None and svc.term.unit != "on_application"

    def _enter(self, state: DialogState, step: str, target: str) -> None:
        STATE.leave(state)
        STATE.save(state, Asked(target), step)

    def _leave(self, state: DialogState) -> None:
        STATE.leave(state)

    def _dates(self, turn: Turn, verb: str, target: str) -> tuple[tuple[Button, ...], ...]:
        today = turn.now.astimezone(KYIV).date()
        return (
            (
                _b(texts.TODAY, verb, target, f"{today:%Y%m%d}"),
                _b(texts.YESTERDAY, verb, target, f"{today - dt.timedelta(days=1):%Y%m%d}"),
            ),
            MENU,
        )

    def _ask_submitted(self, turn: Turn, service: str) -> list[Reply]:
        self._enter(turn.state, "ready-date", service)
        turn.state.focus = f"reminder:{service}"  # «а скільки чекати?» is about it (dialogs/focus.py)
        head = f"**{self.kb.services[service].short_title}**\n"
        return [Reply(head + texts.ASK_SUBMITTED, self._dates(turn, "rd", service))]

    def _ask_event(self, turn: Turn, situation: str) -> list[Reply]:
        self._enter(turn.state, "event-date", situation)
        sit = self.kb.situations[situation]
        after = sit.deadlines[0].after
        return [
            Reply(
                f"**{sit.title}**\n" + texts.ASK_EVENT.format(after=after), self._dates(turn, "ed", situation)
            )
        ]

    async def _ready(self, turn: Turn, service: str, submitted: dt.date, today: dt.date) -> list[Reply]:
        self._leave(turn.state)
        if submitted > today:
            return [Reply(texts.FUTURE_DATE)]
        try:
            result, scheduled = await self.reminders.ready(turn.uow, turn.user, service, submitted, turn.now)
        except RemindersFull:
            return self._full()
        if result is None:
            return [Reply(texts.NO_WAIT, (MENU,))]
        if result.day < today:
            return [Reply(texts.READY_PAST.format(day=texts.day(result.day)), (MENU,))]
        lines = [texts.READY.format(day=texts.day(result.day), rule=result.rule)]
        if scheduled and turn.user.channel != "web":
            lines.append(texts.WILL_REMIND)
        return self._done(turn, "\n".join(lines))

    async def _deadlines(self, turn: Turn, situation: str, event: dt.date, today: dt.date) -> list[Reply]:
        self._leave(turn.state)
        if event > today:
            return [Reply(texts.FUTURE_DATE)]
        try:
            planned = await self.reminders.deadlines(turn.uow, turn.user, situation, event, turn.now)
        except RemindersFull:
            return self._full()
        lines = [texts.DEADLINES_HEAD]
        for deadline, last, scheduled in planned:
            template = (
                texts.DEADLINE_PAST
                if last < today
                else texts.DEADLINE_LINE
                if scheduled
                else texts.DEADLINE_SOON
            )
            lines.append(template.format(title=deadline.title, day=texts.day(last), after=deadline.after))
        if any(d.source.certainty != "official" for d, _, _ in planned):
            lines.append(texts.DEADLINES_UNCERTAIN)
        return self._done(turn, "\n".join(lines))

    async def _monthly(self, turn: Turn, service: str) -> list[Reply]:
        turn.state.focus = f"reminder:{service}"
        try:
            due = await self.reminders.monthly(turn.uow, turn.user, service, turn.now)
        except RemindersFull:
            return self._full()
        duty = next(iter(self.kb.services[service].recurring), None)
        if due is None or duty is None:
            return [Reply(texts.NOT_FOUND, (MENU,))]
        local = due.astimezone(KYIV)
        return self._done(turn, texts.MONTHLY_ON.format(day=f"{local.day}-го числа", duty=duty.text))

    def _full(self) -> list[Reply]:
        """PENDING_LIMIT reminders pending: nothing added; how to remove one."""
        return [Reply(texts.FULL.format(limit=PENDING_LIMIT), ((_b(texts.MY, "my"),), MENU))]

    def _done(self, turn: Turn, text: str) -> list[Reply]:
        """A reminder set: on the web chat, where the bot cannot write first, offer to continue in a messenger."""
        if turn.user.channel == "web":
            if self.links:
                return [Reply(text), Reply(texts.WEB_ONLY, ((_b("📲 Отримати посилання", "web"),), MENU))]
            return [Reply(f"{text}\n\n{texts.WEB_NO_LINKS}", (MENU,))]
        return [Reply(text, ((_b(texts.MY, "my"),), MENU))]

    async def _mine(self, turn: Turn) -> list[Reply]:
        mine = await self.reminders.mine(turn.uow, turn.user)
        if not mine:
            return [Reply(texts.MY_NONE_WEB if turn.user.channel == "web" else texts.MY_NONE, (MENU,))]
        lines = [texts.MY_HEAD, ""]
        rows: list[tuple[Button, ...]] = []
        for n, r in enumerate(mine, start=1):
            local = r.due_at.astimezone(KYIV)
            what = self._what(r)
            lines.append(f"{n}. {texts.day(local.date())} о {local:%H:%M} — {what}")
            rows.append((_b(texts.CANCEL_ONE.format(n=n), "x", str(r.id)),))
        rows.append((_b(texts.CANCEL_ALL, "xa"),))
        return [Reply("\n".join(lines), (*rows, MENU))]

    def _what(self, r: Reminder) -> str:
        """What a reminder in «Мої нагадування» is about, in a few words."""
        service = self.kb.services.get(r.service or "")
        situation = self.kb.situations.get(r.situation or "")
        if r.kind == "appointment":
            return f"запис {r.booking_code or ''}" + (f" ({service.short_title})" if service else "")
        if r.kind == "deadline" and situation is not None:
            deadline = next((d for d in situation.deadlines if d.id == r.deadline), None)
            return deadline.title if deadline else situation.title
        label = service.short_title if service else ""
        return f"{texts.KIND_LABEL.get(r.kind, r.kind)}: {label}".strip(": ")

    async def _coming(self, turn: Turn, code: str) -> list[Reply]:
        booking = await turn.uow.bookings.by_code(code)
        if (
            booking is None
            or booking.user_id != turn.user.id
            or booking.status != "booked"
            or booking.start is None
        ):
            return [Reply(texts.BOOKING_GONE, (MENU,))]
        local = booking.start.astimezone(KYIV)
        return [Reply(texts.COMING.format(when=f"{texts.day(local.date())} о {local:%H:%M}"), (MENU,))]


def _ymd(raw: str) -> dt.date | None:
    return payload_date(raw)  # None for a forged, garbled or out-of-range day (dialogs.payloads)
