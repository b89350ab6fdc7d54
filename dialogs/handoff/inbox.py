"""What the staff console's inbox shows of the operator tickets (handlers/web/staff/inbox.py translates it):
the waiting ones in the order to take them, with their priority and how long they wait, then the taken ones
(the viewer's own first); a ticket's context card as the group's topic shows it, and its conversation. The pure
rules first, then the reads that feed them. Acting on one: `Desk.act` (desk.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from dialogs.handoff import texts
from dialogs.handoff.service import HandoffService
from storage.handoff import ACTIVE, LIVE, OPEN, QUESTION, Ticket
from storage.models import MessageLog
from storage.uow import UnitOfWork

STAFF = "staff:"  # the operator id of a member of staff: never a Telegram user id (digits)
ID_CHARS = 24  # tickets.operator_id
MAX_REPLY = 3000  # characters of one answer
CONVERSATION = 40  # the citizen's last lines shown with a ticket
WHO = {"in": "citizen", "out": "bot", "sys": "bot", "op": "operator"}


def staff_operator(login: str) -> tuple[str, str]:
    """(operator id, name) of a member of staff: «staff:<login>», or for a login too long for the column its
    first letters and a digest; the same login always gives the same id."""
    ident = STAFF + login
    if len(ident) > ID_CHARS:
        digest = hashlib.sha256(login.encode()).hexdigest()
        ident = f"{STAFF}{login[:8]}~{digest[: ID_CHARS - len(STAFF) - 9]}"
    return ident, login


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long since `since`, as the inbox says it: «щойно», «7 хв», «1 год 05 хв»."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "щойно"
    if minutes < 60:
        return f"{minutes} хв"
    hours, rest = divmod(minutes, 60)
    return f"{hours} год {rest:02d} хв"


def queue_order(tickets: list[Ticket]) -> list[Ticket]:
    """Waiting tickets in the order to take them: citizens waiting in the chat before questions left for
    later, priority first, then the longest waiting (as the group's queue message and the citizens' places
    say)."""
    return sorted(tickets, key=lambda t: (t.mode != LIVE, not t.priority, t.created_at, t.id))


def taken_order(tickets: list[Ticket], operator_id: str) -> list[Ticket]:
    """Taken tickets: the viewer's own first, then the longest held."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(tickets, key=lambda t: (t.operator_id != operator_id, t.taken_at or far, t.id))


def reply_problem(text: str) -> str | None:
    """Why an answer cannot be sent, or None."""
    if not text.strip():
        return "Напишіть відповідь."
    if len(text) > MAX_REPLY:
        return f"Відповідь — до {MAX_REPLY} символів."
    return None


@dataclass(frozen=True)
class Row:
    id: int
    status: str
    channel: str  # as the group names it: «Веб-чат», «Telegram», «Viber»
    name: str
    priority: str | None  # the priority group's title, None without priority
    question: bool  # left for the working hours, answered on the citizen's channel
    since: str  # when it was opened, Kyiv time HH:MM
    waited: str  # how long it waits (waiting) or since it was taken
    minutes: int
    operator: str | None
    mine: bool

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


@dataclass(frozen=True)
class Line:
    id: int
    who: str  # citizen, bot, operator
    text: str

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


@dataclass(frozen=True)
class TicketView:
    row: Row
    active: bool
    context: str  # the group's context card for this ticket
    lines: list[Line]  # the citizen's last lines (after the `after` the caller gave)

    def as_dict(self) -> dict[str, object]:
        return {"ticket": self.row.as_dict(), "active": self.active, "context": self.context,
                "lines": [line.as_dict() for line in self.lines]}  # fmt: skip


def row(ticket: Ticket, now: dt.datetime, operator_id: str, service: HandoffService) -> Row:
    start = ticket.taken_at if ticket.status == OPEN and ticket.taken_at else ticket.created_at
    return Row(
        id=ticket.id,
        status=ticket.status,
        channel=texts.CHANNELS.get(ticket.channel, ticket.channel),
        name=ticket.name or "без імені",
        priority=service.group_title(ticket.priority_group) if ticket.priority else None,
        question=ticket.mode == QUESTION,
        since=f"{ticket.created_at.astimezone(texts.KYIV):%H:%M}",
        waited=waited(start, now),
        minutes=max(0, int((now - start).total_seconds() // 60)),
        operator=ticket.operator_name,
        mine=ticket.operator_id == operator_id,
    )


def lines(service: HandoffService, log: list[MessageLog], after: int) -> list[Line]:
    """The log's lines with ids above `after`, each as said (a pressed button by its label)."""
    return [
        Line(m.id, WHO.get(m.direction, "bot"), service.said(m, log[:i]))
        for i, m in enumerate(log)
        if m.id > after
    ]


# --- the reads --------------------------------------------------------------------------------


async def board(
    uow: UnitOfWork, service: HandoffService, now: dt.datetime, operator_id: str
) -> tuple[list[Row], list[Row]]:
    """(waiting, taken) rows of the inbox."""
    waiting = queue_order(await uow.tickets.queue())
    taken = taken_order(await uow.tickets.taken(), operator_id)
    shown = [row(t, now, operator_id, service) for t in waiting]
    return shown, [row(t, now, operator_id, service) for t in taken]


async def ticket_view(
    uow: UnitOfWork,
    service: HandoffService,
    ticket_id: int,
    now: dt.datetime,
    operator_id: str,
    after: int = 0,
) -> TicketView | None:
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:
        return None
    card = await service.context_card(uow, ticket_id, now)
    log = await uow.messages.recent(ticket.user_id, CONVERSATION) if ticket.user_id is not None else []
    return TicketView(
        row(ticket, now, operator_id, service),
        ticket.status in ACTIVE,
        card.text if card is not None else "",
        lines(service, log, after),
    )
