"""Housekeeping on a schedule: personal data in the message log is kept only for the retention period, and
buffered message-log lines are written within seconds when traffic is too low to write them on its own."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.models import utcnow
from storage.transfer import TOKEN_AGE
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

DEDUP_WINDOW = dt.timedelta(days=2)  # Telegram and Viber stop redelivering long before this
LOG_WRITE_EVERY = dt.timedelta(seconds=5)
PHONE_AFTER = dt.timedelta(days=1)  # a callback's phone is kept a day past the call, for a missed one


async def purge_expired(uow_factory: Callable[[], UnitOfWork], retention: dt.timedelta) -> tuple[int, int]:
    """Delete message-log lines older than `retention` and old delivery keys; returns (messages, keys)."""
    now = utcnow()
    async with uow_factory() as uow:
        messages = await uow.messages.purge_older_than(now - retention)
        keys = await uow.updates.purge_older_than(now - DEDUP_WINDOW)
        await uow.deliveries.purge_older_than(now - retention)
        # a phone or an address given for a callback or a home visit is kept only until that is over
        phones = await uow.bookings.forget_past_phones(now - PHONE_AFTER)
        # finished reminders say what a citizen lived through (a birth, a death): kept like the conversation
        await uow.reminders.purge_finished_before(now - retention)
        await uow.transfers.purge_before(now - TOKEN_AGE)
    if phones:
        log.info("forgot the phones of %d finished callbacks and visits", phones)
    # Routine runs stay quiet; a purge that deleted something is worth a line.
    log.log(logging.INFO if messages or keys else logging.DEBUG,
            "purged %d message-log lines and %d delivery keys", messages, keys)  # fmt: skip
    return messages, keys


def start_housekeeping(uow_factory: UnitOfWorkFactory, retention: dt.timedelta) -> AsyncIOScheduler:
    """Run the purge now and then hourly. Deleting by age is idempotent, so several processes may run it.

    APScheduler logs every run of every job at INFO ("Running job …", "… executed successfully"), which is a pair
    of lines every few seconds for the log writer: its loggers show only warnings and errors (a failed or missed
    job still shows)."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        purge_expired, "interval", hours=1, args=[uow_factory, retention], id="purge-expired",
        next_run_time=dt.datetime.now(dt.UTC), coalesce=True, max_instances=1,
    )  # fmt: skip
    if uow_factory.log_buffer is not None:
        scheduler.add_job(
            uow_factory.write_log, "interval", seconds=LOG_WRITE_EVERY.total_seconds(),
            id="write-log", coalesce=True, max_instances=1,
        )  # fmt: skip
    scheduler.start()
    return scheduler
