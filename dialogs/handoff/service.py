"""The handoff as a service both sides call: the citizen's room (flow.py) and the operators' desk (desk.py).

Messages cross between them through the outbox (storage.outbox.Outbox, sent by bot/outbox.py): a row to the
channel `operators` is posted in the ticket's forum topic (the Telegram handler opens the topic, with the context
card, on the first one), a row to a citizen's channel goes to them. A waiting ticket costs the group nothing of
its own: it is a line of the group's one queue message (`queue_board`, kept up to date by the handler); its
topic opens when an operator presses «Взяти» there, and what the citizen wrote meanwhile follows the card (the
outbox holds those rows until then). A row is written in the unit of work that
decided it, and `kick` (after commit) sends it at once; should this process die first, another one's periodic run
sends it. Web citizens have no push: their line is written to their message log, which the page reads, and `live`
wakes the page's live connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from dialogs.calendar import WorkCalendar
from dialogs.events import BookingButtons
from dialogs.handoff import rules, texts
from dialogs.handoff.rules import Carry
from dialogs.messages import Attachment, Button, Reply
from dialogs.payloads import CORE, pack, parse
from dialogs.redact import redact
from knowledge.loader import Knowledge
from storage.booking import Booking
from storage.handoff import ACTIVE, CLOSE_TOPIC, CLOSED, OPERATORS, QUESTION, Ticket
from storage.messages import button_rows
from storage.models import DialogState, MessageLog, User
from storage.uow import UnitOfWork

WEB = "web"
PREFIX = "o"  # the citizen's side's payloads: o, o:end, o:q, o:p, o:wait, o:r:<ticket>:<1-5>, o:skip
TICKET = "tk"  # the operators' button payloads: tk:take:<id>, tk:pass:<id>, tk:close:<id>
CONTEXT_LINES = 8  # the citizen's last lines on the context card
LINE_CHARS = 160
CARD_CHARS = 3800  # a Telegram message holds 4096 characters
BOARD_ROWS = 8  # waiting tickets listed, each with its «Взяти», on the group's queue message

Describe = Callable[[DialogState], list[str]]  # where a citizen is in a dialog, as lines (dialogs.describe)
Kick = Callable[[], Awaitable[object]]
Live = Callable[[str, str], Awaitable[object]]  # (channel, external id): new lines for a live web page


@dataclass(frozen=True)
class HandoffSettings:
    wait_limit: dt.timedelta = dt.timedelta(minutes=10)  # a live ticket nobody took by then: offer a callback
    idle: dt.timedelta = dt.timedelta(minutes=30)  # a conversation quiet this long closes itself
    per_ticket: dt.timedelta = dt.timedelta(minutes=6)  # assumed handling time until real waits are known
    keep: dt.timedelta = dt.timedelta(days=400)  # closed tickets kept for the yearly statistics


def operator_buttons(ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(texts.TAKE, payload=f"{TICKET}:take:{ticket_id}"),
            Button(texts.PASS, payload=f"{TICKET}:pass:{ticket_id}"),
            Button(texts.CLOSE, payload=f"{TICKET}:close:{ticket_id}"),
        ),
    )


def rating_buttons(ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        tuple(
            Button("⭐" * n if n < 3 else f"{n} ⭐", payload=pack(PREFIX, "r", str(ticket_id), str(n)))
            for n in rules.RATINGS
        ),
    )


END_ROW = (Button(texts.END, payload=pack(PREFIX, "end")),)


class HandoffService:
    def __init__(
        self,
        kb: Knowledge,
        *,
        martial_law: bool,
        holidays_are_days_off: bool,
        settings: HandoffSettings | None = None,
        enabled: bool = True,
        describe: Describe | None = None,
        booking: BookingButtons | None = None,
        payload_prefixes: Container[str] = CORE,
        kick: Kick | None = None,
        live: Live | None = None,
        group: bool = True,
    ) -> None:
        if kb.booking is None:
            raise ValueError("knowledge/data/booking.yaml is missing (the hotline's hours)")
        self.kb = kb
        self.data = kb.booking
        self.martial_law = martial_law
        self.holidays_off = holidays_are_days_off
        self.settings = settings or HandoffSettings()
        self.enabled = enabled  # an operator group is configured, or operators work in the console's inbox
        self.group = group  # the Telegram group exists: lines for it are queued (else nobody would send them)
        # Where a citizen is in a dialog, for the context card (dialogs.describe.Describer); nothing without one.
        self.describe: Describe = describe or (lambda state: [])
        self.booking = booking  # the booking room's hotline callback, offered instead of waiting (if wired)
        self.prefixes = payload_prefixes  # the engine's and its rooms': a logged «[q:my]» was a button
        self.kick = kick  # send the outbox now, once a unit of work queued a line (bot/outbox.py Kicker)
        self.live = live  # wake a web page's live connection (handlers/web/live.py LiveHub)

    # --- hours and the queue ----------------------------------------------------------------------------

    async def _calendar(self, uow: UnitOfWork) -> WorkCalendar:
        return WorkCalendar(holidays_are_days_off=self.holidays_off, closures=await uow.bookings.closures())

    async def is_open(self, uow: UnitOfWork, now: dt.datetime) -> bool:
        calendar = await self._calendar(uow)
        return rules.hotline_open(self.data, now, martial_law=self.martial_law, calendar=calendar)

    async def next_opening(self, uow: UnitOfWork, now: dt.datetime) -> dt.datetime | None:
        calendar = await self._calendar(uow)
        return rules.next_opening(self.data, now, martial_law=self.martial_law, calendar=calendar)

    async def place(self, uow: UnitOfWork, ticket: Ticket, now: dt.datetime) -> tuple[int, int]:
        """(place in the queue, estimated minutes) of a waiting live ticket."""
        ahead = await uow.tickets.ahead_of(ticket)
        since = now - dt.timedelta(hours=2)
        waits = await uow.tickets.recent_waits(since)
        operators = await uow.tickets.operators_since(now - dt.timedelta(hours=1))
        minutes = rules.estimate_minutes(
            ahead, waits, operators or self.data.hotline.operators, per_ticket=self.settings.per_ticket
        )
        return ahead + 1, minutes

    async def priority_group(self, uow: UnitOfWork, user: User) -> str | None:
        """A priority group the citizen declared already (a booking of theirs), or «veteran» if they said so."""
        for booking in await uow.bookings.active_for(user.id):
            if booking.priority_group:
                return booking.priority_group
        return "veteran" if user.veteran else None

    # --- opening ----------------------------------------------------------------------------------------

    async def open(
        self,
        uow: UnitOfWork,
        user: User,
        state: DialogState,
        *,
        mode: str,
        name: str | None,
        now: dt.datetime,
    ) -> Ticket | None:
        """Open a ticket (None if the citizen has one); a live one holds the citizen until it ends."""
        subject = state.scenario if state.scenario and state.scenario != "operator" else None
        group = await self.priority_group(uow, user)
        person = await uow.people.person(user)
        ticket = await uow.tickets.open(
            user, mode=mode, priority_group=group, subject=subject, name=name, now=now, person=person
        )
        if ticket is None:
            return None
        self._kick(uow)  # the group's queue message lists it; its topic opens when an operator takes it
        return ticket

    async def existing(self, uow: UnitOfWork, user: User) -> Ticket | None:
        """The citizen's ticket that is not closed: their own, or their person's (a verified phone) opened on
        another channel or session."""
        ticket = await uow.tickets.active_for(user.id)
        if ticket is not None:
            return ticket
        person = await uow.people.person(user)
        return await uow.tickets.active_for_person(person) if person is not None else None

    # --- the group's queue message ----------------------------------------------------------------------

    async def queue_board(self, uow: UnitOfWork) -> Reply:
        """The operator group's one message about the queue: how many wait, the first BOARD_ROWS in the order
        to take them, each with its «Взяти» (the topic opens on it). Nothing in it changes unless the queue
        does, so an unchanged queue costs no edit."""
        waiting = await uow.tickets.queue()
        if not waiting:
            return Reply(texts.OP_BOARD_EMPTY)
        lines = [texts.OP_BOARD.format(count=len(waiting)), ""]
        rows: list[tuple[Button, ...]] = []
        for ticket in waiting[:BOARD_ROWS]:
            channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
            marks = ("🎖 " if ticket.priority else "") + ("✍️ " if ticket.mode == QUESTION else "")
            since = f"{ticket.created_at.astimezone(texts.KYIV):%H:%M}"
            lines.append(f"{marks}№{ticket.id} · {channel} · {ticket.name or 'без імені'} · з {since}")
            rows.append((Button(texts.TAKE_NUMBER.format(id=ticket.id), payload=f"{TICKET}:take:{ticket.id}"),))
        if len(waiting) > BOARD_ROWS:
            lines.append(texts.OP_BOARD_MORE.format(count=len(waiting) - BOARD_ROWS))
        return Reply("\n".join(lines), tuple(rows))

    # --- relaying ---------------------------------------------------------------------------------------

    async def to_operators(
        self,
        uow: UnitOfWork,
        ticket: Ticket,
        reply: Reply | None,
        *,
        now: dt.datetime | None = None,
        by_citizen: bool = False,
    ) -> None:
        """Queue a line for the ticket's topic (None: only make sure the topic exists). A ticket still waiting
        without a topic keeps it until an operator takes it (the outbox holds such rows)."""
        if not self.group:  # the console's inbox alone: it reads the citizen's log, nothing to queue
            if now is not None:
                await uow.tickets.touch(ticket.id, now, by_citizen=by_citizen)
            return
        text = reply.text if reply else ""
        media = reply.attachment.as_dict() if reply and reply.attachment else None
        buttons = button_rows(reply.buttons) if reply else None
        await uow.outbox.add(OPERATORS, str(ticket.id), text, buttons, media=media, ticket_id=ticket.id)
        if now is not None:
            await uow.tickets.touch(ticket.id, now, by_citizen=by_citizen)
        self._kick(uow)

    def _kick(self, uow: UnitOfWork) -> None:
        if self.kick is not None:
            uow.after_commit(self.kick)

    async def from_citizen(
        self, uow: UnitOfWork, ticket: Ticket, user: User, *, text: str | None, attachment: Attachment | None,
        contact: bool, now: dt.datetime,
    ) -> str | None:  # fmt: skip
        """Relay what a held (or questioning) citizen sent; returns a note for the citizen when something could
        not be passed on."""
        if contact:
            await self.to_operators(uow, ticket, Reply(texts.OP_CONTACT_WITHHELD), now=now, by_citizen=True)
            return texts.NO_PHONE_HERE
        if attachment is not None:
            if rules.carry(attachment, "telegram") is Carry.NO:
                kind = attachment.kind
                await self.to_operators(
                    uow, ticket, Reply(texts.OP_FILE_WITHHELD.format(kind=kind)), now=now, by_citizen=True
                )
                return texts.FILE_NOT_CARRIED
            await self.to_operators(
                uow,
                ticket,
                Reply(f"👤 {redact(text or '')}".strip(), attachment=attachment),
                now=now,
                by_citizen=True,
            )
            return None
        shown = redact(text or "")  # a phone reaches operators only with a callback the citizen asked for
        await self.to_operators(uow, ticket, Reply(f"👤 {shown}"), now=now, by_citizen=True)
        return texts.MASKED if shown != (text or "") else None

    async def to_citizen(self, uow: UnitOfWork, ticket: Ticket, reply: Reply, *, operator_line: bool) -> bool:
        """Queue a message for the ticket's citizen on their channel; False if they were forgotten or the
        channel cannot carry the attachment. Operators' lines are kept in the citizen's log (context, web)."""
        if ticket.user_id is None:
            return False
        user = await uow.users.by_id(ticket.user_id)
        if user is None:
            return False
        if reply.attachment is not None and rules.carry(reply.attachment, user.channel) is Carry.NO:
            return False
        # An operator's line, or a notice that answers no message of the citizen's (the log's "sys").
        direction = "op" if operator_line else "sys"
        uow.messages.add(user.id, direction, reply.text, reply.buttons)
        if user.channel == WEB:  # the log is the web chat's delivery: its page reads it
            if self.live is not None:
                live, external = self.live, user.external_id
                uow.after_commit(lambda: live(WEB, external))
            return True
        media = reply.attachment.as_dict() if reply.attachment else None
        await uow.outbox.add(
            user.channel,
            user.external_id,
            reply.text,
            button_rows(reply.buttons),
            media=media,
            ticket_id=ticket.id,
        )
        self._kick(uow)
        return True

    async def close(
        self,
        uow: UnitOfWork,
        ticket: Ticket,
        reason: str,
        now: dt.datetime,
        *,
        operator: tuple[str, str] | None = None,
    ) -> bool:
        """Close it (once): the citizen is let go and asked to rate the help (not when they were forgotten)."""
        if not await uow.tickets.close(ticket.id, reason, now, operator=operator):
            return False
        ask = {
            "operator": texts.ENDED_BY_OPERATOR,
            "citizen": texts.ENDED_BY_CITIZEN,
            "idle": texts.ENDED_IDLE,
        }.get(reason)
        if ask is not None and reason != "citizen":  # the citizen who ended it is answered in their own turn
            await self.to_citizen(uow, ticket, Reply(ask, rating_buttons(ticket.id)), operator_line=False)
        return True

    async def closing_line(self, uow: UnitOfWork, ticket: Ticket, text: str) -> None:
        """The last line of a ticket's topic; the topic is closed after it."""
        await self.to_operators(uow, ticket, Reply(text, attachment=Attachment(CLOSE_TOPIC)))

    # --- the operators' context card --------------------------------------------------------------------

    async def context_card(self, uow: UnitOfWork, ticket_id: int, now: dt.datetime) -> Reply | None:
        """The first message of a ticket's topic: who, where from, what they asked and were told, their
        bookings and reminders, the last lines; with the take/pass/close buttons."""
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            return None
        channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
        lines = [f"🎫 №{ticket.id} · {channel} · {ticket.name or 'без імені'}"]
        lines.append(f"Створено: {ticket.created_at.astimezone(texts.KYIV):%d.%m %H:%M}")
        if ticket.priority:
            lines.append(texts.OP_PRIORITY.format(group=self.group_title(ticket.priority_group)))
        if ticket.mode == QUESTION:
            lines.append(texts.OP_QUESTION.format(channel=channel))
        if ticket.status == CLOSED:
            lines.append(texts.OP_CLOSED_ALREADY.format(id=ticket.id))
        elif ticket.operator_name:
            lines.append(texts.OP_TAKEN.format(name=ticket.operator_name))
        user = await uow.users.by_id(ticket.user_id) if ticket.user_id is not None else None
        if user is not None:
            state = await uow.states.get(user.id)
            if described := self.describe(state):
                lines += ["", *described]
            lines += self._bookings(await uow.bookings.active_for(user.id))
            reminders = [
                r for r in await uow.reminders.for_user(user.id) if r.status in ("pending", "sending")
            ]
            if reminders:
                lines += ["", f"🔔 Нагадувань: {len(reminders)}, найближче "
                          f"{min(r.due_at for r in reminders).astimezone(texts.KYIV):%d.%m %H:%M}"]  # fmt: skip
            recent = await uow.messages.recent(user.id, CONTEXT_LINES + 6)
            shown = [self.log_line(m, recent[:i]) for i, m in enumerate(recent)][-CONTEXT_LINES:]
            if shown:
                lines += ["", "💬 Останні повідомлення:", *shown]
        text = "\n".join(lines)
        if len(text) > CARD_CHARS:
            text = text[: CARD_CHARS - 1] + "…"
        buttons = operator_buttons(ticket.id) if ticket.status in ACTIVE else ()
        return Reply(text, buttons)

    def group_title(self, group: str | None) -> str:
        for g in self.data.priority_groups:
            if g.id == group:
                return g.label
        return "так (зі слів громадянина)"

    def _bookings(self, bookings: list[Booking]) -> list[str]:
        out: list[str] = []
        for b in bookings:
            service = self.kb.services.get(b.service)
            title = service.short_title if service else b.service
            when = f"{b.start.astimezone(texts.KYIV):%d.%m %H:%M}" if b.start else "дату погодять"
            if b.kind == "callback":
                line = f"📞 Дзвінок {when} · {title}"
                if b.phone:  # shared for this very callback: the only number an operator ever sees
                    line += f" · тел. {b.phone}"
            elif b.kind == "visit":
                line = f"🏠 Виїзд адміністратора · {title} · код {b.code}"
            else:
                line = f"📅 {when} · {title} · код {b.code}"
            out.append(line)
        return ["", *out] if out else []

    def log_line(self, m: MessageLog, earlier: list[MessageLog]) -> str:
        """One line of the log as an operator reads it on the card: who, then `said`, cut short."""
        who = {"in": "👤", "out": "🤖", "sys": "🤖", "op": "🎧"}.get(m.direction, "·")
        text = " ".join(self.said(m, earlier).split())
        return f"{who} {text[:LINE_CHARS]}{'…' if len(text) > LINE_CHARS else ''}"

    def said(self, m: MessageLog, earlier: list[MessageLog]) -> str:
        """What a line of the log said: a pressed button by its label, never its payload."""
        text = m.text.strip()
        if (
            m.direction == "in"
            and text.startswith("[")
            and text.endswith("]")
            and parse(text[1:-1], self.prefixes)
        ):
            payload = text[1:-1]
            label = next(
                (
                    b["text"]
                    for line in reversed(earlier)
                    for row in line.buttons or []
                    for b in row
                    if b.get("payload") == payload
                ),
                None,
            )
            text = f"натиснуто «{label}»" if label else "натиснуто кнопку"
        return text
