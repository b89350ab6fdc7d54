"""The operators' side of the handoff: what an operator does in the group (a button on a ticket's card, a
message or a file in its topic, a canned answer, a topic closed by hand) and what follows. The Telegram handler
translates updates into `OperatorEvent`s and posts the returned lines in the topic; it decides nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dialogs.handoff import rules, texts
from dialogs.handoff.service import END_ROW, TICKET, HandoffService
from dialogs.messages import Attachment, Reply
from storage.handoff import BY_OPERATOR, CLOSED, OPEN, WAITING, Ticket
from storage.uow import UnitOfWork

Canned = Callable[[str], str | None]  # a key («hours», «41-11») → the text to send, or None


@dataclass(frozen=True)
class OperatorEvent:
    operator_id: str
    operator_name: str
    topic_id: int | None  # the forum topic it happened in (None: the group's general chat)
    text: str | None = None
    payload: str | None = None  # a ticket button: tk:<verb>:<ticket id>
    attachment: Attachment | None = None
    topic_closed: bool = False  # the topic was closed by hand in Telegram


@dataclass
class DeskOutcome:
    replies: list[Reply] = field(default_factory=list)  # posted in the event's topic
    close_topic: bool = False  # the ticket ended: close its topic
    sent: bool = False  # a line reached the citizen


class Desk:
    def __init__(
        self, service: HandoffService, operator_ids: frozenset[str], canned: Canned, canned_keys: list[str]
    ) -> None:
        self.handoff = service
        self.operator_ids = operator_ids
        self.canned = canned
        self.canned_keys = canned_keys

    def allowed(self, operator_id: str) -> bool:
        return operator_id in self.operator_ids

    async def handle(self, uow: UnitOfWork, event: OperatorEvent, now: dt.datetime) -> DeskOutcome:
        """Anyone not on the operators' list is ignored, as is whatever is not about a ticket."""
        if not self.allowed(event.operator_id):
            return DeskOutcome()
        if event.payload is not None:
            return await self._button(uow, event, now)
        if event.topic_id is None:
            return DeskOutcome()
        ticket = await uow.tickets.by_topic(event.topic_id)
        if ticket is None:
            return DeskOutcome()
        if event.topic_closed:
            if ticket.status != CLOSED:  # closed by hand: the next line opens a new topic with the context
                await uow.tickets.set_topic(ticket.id, None, was=event.topic_id)
            return DeskOutcome()
        if ticket.status == CLOSED:
            return DeskOutcome([Reply(texts.OP_CLOSED_ALREADY.format(id=ticket.id))])
        key = rules.canned_key(event.text or "") if event.attachment is None else None
        if key is not None:
            return await self._canned(uow, ticket, event, key, now)
        return await self._relay(uow, ticket, event, now)

    async def _take(
        self, uow: UnitOfWork, ticket: Ticket, event: OperatorEvent, now: dt.datetime
    ) -> list[Reply]:
        """Give the ticket to this operator and tell the citizen; the lines for the topic."""
        if not await uow.tickets.take(ticket.id, event.operator_id, event.operator_name, now):
            return []
        # Taken: the open ticket holds the citizen (an answered question becomes a conversation too).
        taken = Reply(texts.TAKEN.format(name=event.operator_name), (END_ROW,))
        await self.handoff.to_citizen(uow, ticket, taken, operator_line=False)
        return [Reply(texts.OP_TAKEN.format(name=event.operator_name))]

    async def _button(self, uow: UnitOfWork, event: OperatorEvent, now: dt.datetime) -> DeskOutcome:
        prefix, _, rest = (event.payload or "").partition(":")
        verb, _, number = rest.partition(":")
        ticket = await uow.tickets.get(int(number)) if prefix == TICKET and number.isdigit() else None
        board = event.topic_id is None and verb == "take"  # «Взяти» on the group's queue message
        if ticket is None or (
            ticket.topic_id != event.topic_id and not board
        ):  # forged, or a button of another ticket's card
            return DeskOutcome()
        if ticket.status == CLOSED:
            return DeskOutcome([Reply(texts.OP_CLOSED_ALREADY.format(id=ticket.id))])
        if verb == "take":
            if ticket.status == OPEN:
                return DeskOutcome([Reply(texts.OP_TAKEN_BY.format(id=ticket.id, name=ticket.operator_name))])
            lines = await self._take(uow, ticket, event, now)
            if board and lines:  # the ticket's topic opens now, with its card, then this line and what waited
                for line in lines:
                    await self.handoff.to_operators(uow, ticket, line)
                return DeskOutcome([Reply(texts.OP_TAKEN_FROM_BOARD.format(id=ticket.id))])
            return DeskOutcome(lines)
        if verb == "pass":
            if not await uow.tickets.release(ticket.id, event.operator_id, now):
                name = ticket.operator_name or "ніхто"
                return DeskOutcome([Reply(texts.OP_NOT_YOURS.format(name=name))])
            await self.handoff.to_citizen(
                uow, ticket, Reply(texts.PASSED_TO_ANOTHER, (END_ROW,)), operator_line=False
            )
            return DeskOutcome([Reply(texts.OP_PASSED.format(name=event.operator_name))])
        if verb == "close":
            operator = (event.operator_id, event.operator_name)
            if not await self.handoff.close(uow, ticket, BY_OPERATOR, now, operator=operator):
                return DeskOutcome([Reply(texts.OP_CLOSED_ALREADY.format(id=ticket.id))])
            return DeskOutcome([Reply(texts.OP_CLOSED.format(name=event.operator_name))], close_topic=True)
        return DeskOutcome()

    async def _relay(
        self, uow: UnitOfWork, ticket: Ticket, event: OperatorEvent, now: dt.datetime
    ) -> DeskOutcome:
        """An operator's message or file to the citizen; writing in a waiting ticket takes it."""
        lines: list[Reply] = []
        if ticket.status == WAITING:
            lines += await self._take(uow, ticket, event, now)
        text = texts.OPERATOR_SAYS.format(text=event.text) if event.text else "👤 Оператор надіслав файл."
        reply = Reply(text, (END_ROW,), attachment=event.attachment)
        if not await self.handoff.to_citizen(uow, ticket, reply, operator_line=True):
            if ticket.user_id is None:
                return DeskOutcome([*lines, Reply(texts.OP_GONE)])
            channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
            return DeskOutcome([*lines, Reply(texts.OP_NO_FILE.format(channel=channel))])
        await uow.tickets.touch(ticket.id, now)
        return DeskOutcome(lines, sent=True)

    async def _canned(
        self, uow: UnitOfWork, ticket: Ticket, event: OperatorEvent, key: str, now: dt.datetime
    ) -> DeskOutcome:
        found = self.canned(key) if key else None
        if found is None:
            keys = ", ".join(self.canned_keys)
            return DeskOutcome([Reply(texts.OP_CANNED_UNKNOWN.format(key=key or "—", keys=keys))])
        outcome = await self._relay(uow, ticket, replace(event, text=found), now)
        first = found.splitlines()[0] if found else ""
        sent = Reply(texts.OP_SENT.format(text=first[:100]))
        return DeskOutcome([*outcome.replies, sent], sent=outcome.sent)

    # --- the staff console's inbox ----------------------------------------------------------------------

    async def act(
        self, uow: UnitOfWork, ticket_id: int, verb: str, event: OperatorEvent, now: dt.datetime
    ) -> DeskOutcome:
        """What a member of staff does in the console's inbox (the console checked they may; `event` names
        them): `take`, `pass` or `close` a ticket by its number, `reply` with `event.text` (a `/t key` too) or
        send the `canned` answer `event.text` names. The citizen is told exactly what the group's same action
        tells them. A ticket someone else has open is theirs. The lines are the console's notice and go to the
        ticket's topic too (it opens when the group is configured), so the group sees what the console did."""
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            return DeskOutcome([Reply(texts.OP_NO_TICKET.format(id=ticket_id))])
        if ticket.status == CLOSED:
            return DeskOutcome([Reply(texts.OP_CLOSED_ALREADY.format(id=ticket.id))])
        if ticket.status == OPEN and ticket.operator_id != event.operator_id:
            return DeskOutcome([Reply(texts.OP_TAKEN_BY.format(id=ticket.id, name=ticket.operator_name))])
        if verb == "take":
            if ticket.status == OPEN:
                return DeskOutcome([Reply(texts.OP_TAKEN_BY.format(id=ticket.id, name=ticket.operator_name))])
            lines = await self._take(uow, ticket, event, now)
            if not lines:  # someone took it a moment ago
                fresh = await uow.tickets.get(ticket.id)
                name = fresh.operator_name if fresh is not None and fresh.operator_name else "—"
                return DeskOutcome([Reply(texts.OP_TAKEN_BY.format(id=ticket.id, name=name))])
            outcome = DeskOutcome(lines)
        elif verb in ("pass", "close"):
            if verb == "pass" and ticket.status != OPEN:
                return DeskOutcome([Reply(texts.OP_NOT_YOURS.format(name="ніхто"))])
            button = replace(event, payload=f"{TICKET}:{verb}:{ticket.id}", topic_id=ticket.topic_id)
            outcome = await self._button(uow, button, now)
        elif verb in ("reply", "canned") and (event.text or "").strip():
            text = (event.text or "").strip()
            key = text.lower() if verb == "canned" else rules.canned_key(text)
            if key is not None:
                outcome = await self._canned(uow, ticket, event, key, now)
                text = (self.canned(key) or "") if key else ""
            else:
                outcome = await self._relay(uow, ticket, replace(event, text=text), now)
            if outcome.sent:
                said = Reply(texts.OP_CONSOLE_SAYS.format(name=event.operator_name, text=text))
                outcome.replies.insert(len(outcome.replies) - (key is not None), said)
        else:
            return DeskOutcome()
        for line in outcome.replies:
            if outcome.close_topic:  # the ticket's last line; the topic closes after it
                await self.handoff.closing_line(uow, ticket, line.text)
            else:
                await self.handoff.to_operators(uow, ticket, line)
        return outcome
