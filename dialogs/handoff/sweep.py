"""The handoff's sweep, one ticket at a time: what happens to a ticket nobody acted on in time.

A live ticket nobody took gets the callback offer, a quiet conversation closes itself, a quiet waiting citizen is
let go (their question stays). bot/handoff.py runs it: `overdue` lists the tickets, then each goes through the
turns' pipeline as a job of its citizen (dialogs/turns.py) and `sweep_one` acts on it in that job's unit of
work, reading it again (the citizen's turn may have changed it meanwhile)."""

from __future__ import annotations

import datetime as dt

from dialogs.handoff import rules, texts
from dialogs.handoff.service import END_ROW, PREFIX, HandoffService
from dialogs.messages import Button, Reply
from dialogs.payloads import pack
from storage.handoff import Ticket
from storage.uow import UnitOfWork


async def overdue(service: HandoffService, uow: UnitOfWork, now: dt.datetime) -> list[Ticket]:
    """The tickets the sweep may have to act on at `now`."""
    s = service.settings
    return await uow.tickets.overdue(waited_since=now - s.wait_limit, idle_since=now - s.idle)


async def sweep_one(service: HandoffService, uow: UnitOfWork, ticket_id: int, now: dt.datetime) -> bool:
    """What the sweep does to one ticket of `overdue`, read again in `uow` (each change is a conditional UPDATE
    too, for another process's sweep): the offer, the close or the letting go. Whether it acted."""
    s = service.settings
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:
        return False
    times = rules.TicketTimes(
        ticket.status, ticket.mode, ticket.created_at, ticket.last_activity_at, ticket.offered_at
    )
    action = rules.overdue(times, now, wait_limit=s.wait_limit, idle=s.idle)
    if action is rules.Overdue.OFFER and await uow.tickets.offered(ticket.id, now):
        callback = (Button(texts.CALLBACK, service.booking.callback()),) if service.booking else ()
        rows = (
            (*callback, Button(texts.LEAVE_QUESTION, payload=pack(PREFIX, "q"))),
            (Button(texts.KEEP_WAITING, payload=pack(PREFIX, "wait")),),
            END_ROW,
        )
        await service.to_citizen(uow, ticket, Reply(texts.NOBODY_FREE, rows), operator_line=False)
        await service.to_operators(uow, ticket, Reply(texts.OP_OFFERED))
        return True
    if action is rules.Overdue.CLOSE and await service.close(uow, ticket, "idle", now):
        await service.closing_line(uow, ticket, texts.OP_IDLE)
        return True
    if action is rules.Overdue.RELEASE and await uow.tickets.to_question(ticket.id, now):  # let go
        await service.to_citizen(uow, ticket, Reply(texts.QUESTION_KEPT), operator_line=False)
        channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
        await service.to_operators(uow, ticket, Reply(texts.OP_RELEASED.format(channel=channel)))
        return True
    return False
