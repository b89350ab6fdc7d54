"""Housekeeping on a schedule: personal data in the message log is kept only for the retention period, citizens
nobody has heard from for long are erased as /forget erases them, and buffered message-log lines are written within
seconds when traffic is too low to write them on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.codes import KEEP as CODES_KEEP
from storage.transfer import TOKEN_AGE
from storage.uow import UnitOfWorkFactory, UowFactory

log = logging.getLogger(__name__)

DEDUP_WINDOW = dt.timedelta(days=2)  # Telegram and Viber stop redelivering long before this
LOG_WRITE_EVERY = dt.timedelta(seconds=5)
PHONE_AFTER = dt.timedelta(days=1)  # a callback's phone is kept a day past the call, for a missed one
# How long a citizen is kept after their last message (CITIZEN_RETENTION, WEB_SESSION_RETENTION in the settings).
# A messenger citizen: half a year. What is kept by then is little (their channel id, a self-declared veteran
# flag, answers of a dialog that restarts after STALE_SESSION anyway; the conversation went after
# MESSAGE_RETENTION), but it spans the longest wait we know of: a service's term (weeks), the booking horizon, a
# return for the result. A web session: 30 days, as long as its conversation is kept (MESSAGE_RETENTION), after
# which it has nothing to show; the browser's id alone is worth nothing to keep. Anyone with a booking, a reminder
# or a ticket still ahead is kept until it is over.
CITIZEN_RETENTION = dt.timedelta(days=180)
WEB_SESSION_RETENTION = dt.timedelta(days=30)
# Citizens erased per unit of work: other citizens' steps wait for one batch at most. An erase is about a dozen
# statements (≈ 4.5 ms on SQLite, where a unit of work holds the process's database gate): 20 keep that wait
# near 90 ms; 200 stalled the loop for 0.9–1.7 s (bench/growth.py, 1,000,000 citizens).
EXPIRE_BATCH = 20
EXPIRE_FIRST_AFTER = dt.timedelta(minutes=10)  # the daily run starts a while after start-up, not with it
# What the bot could not answer (storage/unanswered.py) is tied to no citizen, so /forget has nothing to erase
# there; its text is masked free text all the same, kept a year: long enough to compare a season with the last.
UNANSWERED_RETENTION = dt.timedelta(days=365)


async def purge_expired(
    uow_factory: UowFactory, retention: dt.timedelta, unanswered: dt.timedelta = UNANSWERED_RETENTION
) -> tuple[int, int]:
    """Delete message-log lines older than `retention`, old delivery keys and unanswered questions older than
    `unanswered`; returns (messages, keys)."""
    now = uow_factory.clock()
    async with uow_factory() as uow:
        messages = await uow.messages.purge_older_than(now - retention)
        keys = await uow.updates.purge_older_than(now - DEDUP_WINDOW)
        await uow.deliveries.purge_older_than(now - retention)
        # a phone or an address given for a callback or a home visit is kept only until that is over
        phones = await uow.bookings.forget_past_phones(now - PHONE_AFTER)
        # finished reminders say what a citizen lived through (a birth, a death): kept like the conversation
        await uow.reminders.purge_finished_before(now - retention)
        await uow.transfers.purge_before(now - TOKEN_AGE)
        await uow.codes.purge_before(now - CODES_KEEP)  # SMS codes: a day, for the daily count per number
        await uow.unanswered.purge_older_than(now - unanswered)
    if phones:
        log.info("forgot the phones of %d finished callbacks and visits", phones)
    # Routine runs stay quiet; a purge that deleted something is worth a line.
    log.log(logging.INFO if messages or keys else logging.DEBUG,
            "purged %d message-log lines and %d delivery keys", messages, keys)  # fmt: skip
    return messages, keys


async def expire_citizens(
    uow_factory: UowFactory,
    citizens: dt.timedelta = CITIZEN_RETENTION,
    web_sessions: dt.timedelta = WEB_SESSION_RETENTION,
    *,
    now: dt.datetime | None = None,
    batch: int = EXPIRE_BATCH,
) -> int:
    """Erase the citizens whose retention is over, with what /forget erases (`Users.erase`: state, log, reminders,
    queued messages, the personal data of their bookings and tickets; no trace left in SQLite's files). Citizens
    with a booking, reminder or ticket still ahead are not touched (`Users.expired`); so nothing upcoming has to
    be cancelled here. Returns how many were erased."""
    now = now or uow_factory.clock()
    erased = 0
    while True:
        async with uow_factory() as uow:
            found = await uow.users.expired(now - citizens, now - web_sessions, now, batch)
            for user in found:
                await uow.users.erase(user)
        erased += len(found)
        if len(found) < batch:
            break
        await asyncio.sleep(0)  # let the citizens waiting for the gate in before the next batch
    log.log(logging.INFO if erased else logging.DEBUG, "erased %d citizens past their retention", erased)
    return erased


class StoppedByShutdown(logging.Filter):
    """A job still running when the bot stops (SIGTERM, a deploy) is cancelled by the scheduler's shutdown, which
    APScheduler logs as an error with a traceback. It is not one: one warning line says which job was cut. Its
    work is safe to cut (claims and leases are committed before anything is sent; docs/DEPLOY.md «The jobs run
    in every process»)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            job = record.args[0] if isinstance(record.args, tuple) and record.args else "a job"
            record.msg, record.args = "job %s stopped by the shutdown", (job,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def quiet_job_cancellation() -> None:
    """Install StoppedByShutdown on APScheduler's executor logger, once."""
    executor_log = logging.getLogger("apscheduler.executors.default")
    if not any(isinstance(f, StoppedByShutdown) for f in executor_log.filters):
        executor_log.addFilter(StoppedByShutdown())


def start_housekeeping(
    uow_factory: UnitOfWorkFactory,
    retention: dt.timedelta,
    citizens: dt.timedelta = CITIZEN_RETENTION,
    web_sessions: dt.timedelta = WEB_SESSION_RETENTION,
) -> AsyncIOScheduler:
    """Run the purge now and then hourly, and the expiry of citizens daily. Deleting by age is idempotent, so
    several processes may run them.

    APScheduler logs every run of every job at INFO ("Running job …", "… executed successfully"), which is a pair
    of lines every few seconds for the log writer: its loggers show only warnings and errors (a failed or missed
    job still shows)."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    quiet_job_cancellation()
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        purge_expired, "interval", hours=1, args=[uow_factory, retention], id="purge-expired",
        next_run_time=dt.datetime.now(dt.UTC), coalesce=True, max_instances=1,
    )  # fmt: skip
    scheduler.add_job(
        expire_citizens, "interval", days=1, args=[uow_factory, citizens, web_sessions], id="expire-citizens",
        next_run_time=dt.datetime.now(dt.UTC) + EXPIRE_FIRST_AFTER, coalesce=True, max_instances=1,
    )  # fmt: skip
    if uow_factory.log_buffer is not None or uow_factory.count_buffer is not None:  # the log, statistics' counts
        scheduler.add_job(
            uow_factory.write_log, "interval", seconds=LOG_WRITE_EVERY.total_seconds(),
            id="write-log", coalesce=True, max_instances=1,
        )  # fmt: skip
    scheduler.start()
    return scheduler
