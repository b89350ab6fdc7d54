"""The handoff's periodic sweep: live tickets nobody took in time get the callback offer, quiet conversations
close themselves, quiet waiting citizens are let go (their question stays). Whatever it decides is queued in the
outbox in the same unit of work, so two processes sweeping at once act on a ticket once (each change is a
conditional UPDATE)."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dialogs.handoff.service import HandoffService
from storage.uow import UowFactory

log = logging.getLogger(__name__)

EVERY = dt.timedelta(seconds=30)


async def sweep(
    uows: UowFactory, service: HandoffService, now: dt.datetime | None = None
) -> int:
    async with uows() as uow:
        done = await service.sweep(uow, now or uows.clock())
    if done:
        log.info("handoff: %d overdue ticket(s) handled", done)
    return done


async def purge(uows: UowFactory, service: HandoffService) -> int:
    """Closed tickets older than the statistics need (anonymous by then anyway: no name, no comment)."""
    async with uows() as uow:
        return await uow.tickets.purge_before(uows.clock() - service.settings.keep)


def start_handoff(
    scheduler: AsyncIOScheduler, uows: UowFactory, service: HandoffService
) -> None:
    scheduler.add_job(
        sweep, "interval", seconds=EVERY.total_seconds(), args=[uows, service], id="handoff-sweep",
        coalesce=True, max_instances=1,
    )  # fmt: skip
    scheduler.add_job(
        purge, "interval", days=1, args=[uows, service], id="handoff-purge", coalesce=True, max_instances=1
    )
