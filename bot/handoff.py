"""The handoff's periodic sweep: live tickets nobody took in time get the callback offer, quiet conversations
close themselves, quiet waiting citizens are let go (their question stays). Each ticket is a job for its
citizen through the bot's pipeline (dialogs/turns.py): under their lock, read again, and whatever it decides is
queued in the outbox in that unit of work (sent after its commit), so two processes sweeping at once act on a
ticket once (each change is a conditional UPDATE)."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dialogs.handoff.service import HandoffService
from dialogs.handoff.sweep import overdue, sweep_one
from dialogs.turns import Pipeline
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

EVERY = dt.timedelta(seconds=30)


async def sweep(
    uows: UowFactory,
    service: HandoffService,
    now: dt.datetime | None = None,
    *,
    pipeline: Pipeline | None = None,
) -> int:
    """One run: the overdue tickets, each a job for its citizen through `pipeline` (the bot's: their lock, so
    the sweep's message never interleaves with their turn; a pipeline of its own by default)."""
    pipeline = pipeline or Pipeline(uows)
    now = now or uows.clock()
    async with uows() as uow:
        tickets = [(t.id, t.channel, t.user_id) for t in await overdue(service, uow, now)]
        citizens = await uow.users.recipients({u for _, _, u in tickets if u is not None}) if tickets else {}
    done = 0
    for ticket_id, channel, user_id in tickets:
        # a ticket whose citizen was erased has no turn to keep out of the way: its own key
        external_id = citizens[user_id][0] if user_id in citizens else f"ticket-{ticket_id}"

        async def job(uow: UnitOfWork, ticket_id: int = ticket_id) -> bool:
            return await sweep_one(service, uow, ticket_id, now)

        done += await pipeline.run(channel, external_id, job, name="sweep")
    if done:
        log.info("handoff: %d overdue ticket(s) handled", done)
    return done


async def purge(uows: UowFactory, service: HandoffService) -> int:
    """Closed tickets older than the statistics need (anonymous by then anyway: no name, no comment)."""
    async with uows() as uow:
        return await uow.tickets.purge_before(uows.clock() - service.settings.keep)


def start_handoff(
    scheduler: AsyncIOScheduler,
    uows: UowFactory,
    service: HandoffService,
    *,
    pipeline: Pipeline | None = None,
) -> None:
    scheduler.add_job(
        sweep, "interval", seconds=EVERY.total_seconds(), args=[uows, service], kwargs={"pipeline": pipeline},
        id="handoff-sweep", coalesce=True, max_instances=1,
    )  # fmt: skip
    scheduler.add_job(
        purge, "interval", days=1, args=[uows, service], id="handoff-purge", coalesce=True, max_instances=1
    )
