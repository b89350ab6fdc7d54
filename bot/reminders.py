"""The reminders dispatcher: sends the reminders that fell due (storage/reminders.py) through the channel senders.

APScheduler only drives it: one interval job (every EVERY, `max_instances=1`, `coalesce=True`,
`misfire_grace_time=None`) whose first run is at start-up, so a reminder that fell due while the bot was down goes
out within seconds of the start, and any due reminder within EVERY of its time. No job per reminder and no
scheduler job store: the rows are the schedule, so a restart loses nothing and several processes share them.

A tick claims due rows in batches (one atomic UPDATE, a LEASE each; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two
processes never claim one row), renders each with the conversation's `render(reminder)` (None: it no longer makes
sense, e.g. an appointment that has passed → `missed`, never sent), sends it through the channel's sender (Telegram
paced ≈30/s overall and ≈1/s per chat, honouring 429 `retry_after`; Viber's 100 per user per hour) and records the
outcome at once, in its own short transaction: `sent`; a blocked bot (Telegram 403, Viber «not subscribed» — the
senders then mark the citizen inactive) → all the citizen's open reminders `cancelled`; another failure → pending
again after a growing pause, `failed` after MAX_ATTEMPTS tries. A batch is sent concurrently (the senders pace it);
a tick keeps claiming batches while rows are due and its time (≈ EVERY) lasts.

Which side of a crash we err on: AT LEAST ONCE. If the process dies after a send but before its `sent` is
committed, the row stays `sending`; when its lease expires (or at the next start of a single-process SQLite bot,
which releases every `sending` row at once, since no other process can hold one) it is claimed and sent again, so
that citizen may get the same reminder twice. Telegram has no idempotency key, so exactly once is not possible;
between the two failures we choose the duplicate because these messages carry dates a citizen can lose something
by missing (a legal deadline, an appointment), while a repeated reminder costs a glance. The window is small: each
outcome is committed right after its own send (milliseconds), not at the end of a batch. (The outbox, bot/outbox.py,
errs the other way for its one-off notices.) Two guards keep a live process from causing duplicates: a send starts
only while its lease has at least SAFETY left and is cut off at that point, so a row is never sent by its claimer
after the lease could have passed to another process; and every outcome is a conditional UPDATE on the claim
(status `sending`, same attempt count), so a late outcome never overwrites a newer claim's. A row whose claims
keep dying (a reminder that crashes the process) is given up as `failed` after MAX_ATTEMPTS claims.

Each claimed reminder is a job for its citizen through the turns' pipeline (dialogs/turns.py): under their lock,
rendered and decided in the job's unit of work, sent once it commits (still under the lock), so a reminder never
interleaves with the citizen's own turn.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox import Send
from dialogs.messages import Reply
from dialogs.reminders.rules import in_quiet_hours
from dialogs.turns import Pipeline
from storage.clock import Clock
from storage.reminders import MAX_ATTEMPTS, Reminder
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

EVERY = dt.timedelta(seconds=5)  # how often the job looks for due reminders: one is out within 10 s of its time
GAP = dt.timedelta(seconds=0.25)  # a run ends this long before the next one starts (they never overlap)
LEASE = dt.timedelta(seconds=60)  # how long a claim holds a row
SAFETY = dt.timedelta(seconds=10)  # a send starts only with this much lease left, and is cut off there
BATCH = 100  # rows claimed at once: ≈3 s of Telegram's 30/s, well inside the lease
RETRY_AFTER = dt.timedelta(seconds=30)  # the pause after failed try n is RETRY_AFTER × 2^(n-1)
JOB_ID = "reminders"

# The conversation's renderer: the message for a reminder at send time, or None when it no longer makes sense
# (e.g. the appointment has passed, or its booking was cancelled). It may be a coroutine function; it is called
# outside any unit of work, so it may open its own.
Render = Callable[[Reminder], Reply | Awaitable[Reply | None] | None]
# Called in the unit of work that records a reminder as sent (e.g. to schedule the next monthly one).
OnSent = Callable[[UnitOfWork, Reminder, dt.datetime], Awaitable[None]]


@dataclass
class Tally:
    """What one tick did."""

    claimed: int = 0
    sent: int = 0
    missed: int = 0
    cancelled: int = 0  # rows cancelled because their citizen blocked the bot
    retried: int = 0
    failed: int = 0
    released: int = 0  # claimed but given back untried (the lease ran short)

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class _Citizen:
    external_id: str
    active: bool


class Dispatcher:
    """Claims and sends due reminders; `tick()` is one run of the job. Everything it talks to is injected: the
    units of work, one `Send` per channel it may send to (rows of other channels are left for a process that
    can), the renderer, and the clock (tests move it by hand; nothing here sleeps)."""

    def __init__(
        self,
        uows: UowFactory,
        senders: Mapping[str, Send],
        render: Render,
        *,
        clock: Clock | None = None,
        on_sent: OnSent | None = None,
        batch: int = BATCH,
        lease: dt.timedelta = LEASE,
        every: dt.timedelta = EVERY,
        single_process: bool = False,
        timer: Callable[[], float] = time.monotonic,
        observers: Sequence[Callable[[Tally], None]] = (),
        held: Callable[[], Awaitable[Collection[str]]] | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        if lease <= SAFETY:
            raise ValueError("the lease must be longer than SAFETY")
        self.uows = uows
        self.senders = dict(senders)
        self.render = render
        self.clock = clock or uows.clock
        self.on_sent = on_sent
        self.batch = batch
        self.lease = lease
        self.every = every
        # One process owns the database (SQLite): at the first run, rows left `sending` by a previous process are
        # released at once rather than after their lease.
        self._recover = single_process
        self._timer = timer
        self.observers = list(observers)
        # Each reminder is a job for its citizen through the bot's pipeline (their lock); by default (tests)
        # a pipeline of its own.
        self.pipeline = pipeline or Pipeline(uows)
        # The kinds that wait now: during an air-raid alert, the appointments' reminders (bot/alerts.py).
        self.held = held

    async def recover(self) -> int:
        """Release every `sending` row (call only where no other process may be sending: SQLite)."""
        async with self.uows() as uow:
            count = await uow.reminders.release_all_sending()
        if count:
            log.warning("%d reminder(s) left mid-send by the previous run: sending them again", count)
        return count

    async def tick(self) -> Tally:
        """One run of the job: claim and send batches while reminders are due and the run's time lasts; the
        observers (metrics) hear what it did."""
        tally = await self._run()
        for observe in self.observers:
            observe(tally)
        return tally

    async def _run(self) -> Tally:
        if self._recover:
            self._recover = False
            await self.recover()
        total = Tally()
        if in_quiet_hours(self.clock()):
            return total  # nothing goes out at night (21:00–08:00 Kyiv): what falls due waits for the morning
        started = self._timer()
        # Batches while rows are due, until shortly (GAP) before the next run. The last batches are sized to what
        # the previous one achieved per second, so the run ends close to its budget instead of up to a batch
        # early: under a burst, the gap between runs is GAP, a twentieth of a 5 s run.
        budget = (self.every - GAP).total_seconds()
        per_second: float | None = None
        while (left := budget - (self._timer() - started)) > 0:
            size = self.batch if per_second is None else max(1, min(self.batch, int(per_second * left)))
            batch_started = self._timer()
            claimed, citizens = await self._claim(size)
            if not claimed:
                break
            tally = Tally(claimed=len(claimed))
            await asyncio.gather(*(self._one(r, citizens.get(r.user_id), tally) for r in claimed))
            total.add(tally)
            took = self._timer() - batch_started
            per_second = len(claimed) / took if took > 0 else None
            if len(claimed) < size:
                break  # nothing more is due
        if total.claimed:
            log.info(
                "reminders: %d sent, %d missed, %d cancelled (blocked), %d to retry, %d failed, %d released",
                total.sent, total.missed, total.cancelled, total.retried, total.failed, total.released,
            )  # fmt: skip
        return total

    async def _claim(self, size: int) -> tuple[list[Reminder], dict[int, _Citizen]]:
        held = await self.held() if self.held is not None else ()  # before the unit of work: it may read its own
        async with self.uows() as uow:
            claimed = await uow.reminders.claim_due(
                self.clock(), size, self.lease, channels=set(self.senders), held=held
            )
            citizens: dict[int, _Citizen] = {}
            if claimed:
                found = await uow.users.recipients({r.user_id for r in claimed})
                citizens = {user_id: _Citizen(*citizen) for user_id, citizen in found.items()}
        return claimed, citizens

    async def _render(self, uow: UnitOfWork, r: Reminder) -> Reply | None:
        if isinstance(self.render, InUow):  # the conversation's, in the job's unit of work
            return await self.render.service.render(uow, r, uow.clock())
        result = self.render(r)
        if inspect.isawaitable(result):
            return await result
        return result

    async def _one(self, r: Reminder, citizen: _Citizen | None, tally: Tally) -> None:
        """One claimed reminder through the pipeline (dialogs/turns.py): under its citizen's lock, so it never
        interleaves with their turn; never raises."""
        try:
            if citizen is None:  # erased meanwhile: the row went with them
                return

            async def job(uow: UnitOfWork) -> None:
                await self._decide(uow, r, citizen, tally)

            await self.pipeline.run(r.channel, citizen.external_id, job, name="reminder")
        except Exception:  # one reminder's trouble must not stop the batch; its lease brings it back
            log.exception("reminder %d: unexpected error", r.id)

    async def _decide(self, uow: UnitOfWork, r: Reminder, citizen: _Citizen, tally: Tally) -> None:
        """Render it and decide, in the job's unit of work; a reminder to send goes once that commits."""
        if not citizen.active:  # blocked the bot earlier: their reminders go
            tally.cancelled += await uow.reminders.cancel_all(r.user_id)
            return
        try:
            async with uow.savepoint():  # a renderer's failure leaves the job's unit of work usable
                reply = await self._render(uow, r)
        except Exception:
            log.exception("reminder %d could not be rendered", r.id)
            await self._failed(uow, r, tally)
            return
        if reply is None:
            tally.missed += await uow.reminders.missed(r)
            return
        assert r.lease_until is not None
        left = (r.lease_until - self.clock() - SAFETY).total_seconds()
        if left <= 0:  # the lease ran short (a slow batch): untried, the next claim sends it
            tally.released += await uow.reminders.release(r)
            return
        uow.after_commit(lambda: self._deliver(r, citizen, reply, left, tally))

    async def _deliver(
        self, r: Reminder, citizen: _Citizen, reply: Reply, seconds: float, tally: Tally
    ) -> None:
        """Send it (after the job's commit, still under the citizen's lock) and record the outcome at once."""
        try:
            ok = await self._send(r, citizen, reply, seconds)
            async with self.uows() as uow:
                if not ok:
                    await self._failed(uow, r, tally)
                elif await uow.reminders.done(r, self.clock()):
                    tally.sent += 1
                    if self.on_sent is not None:
                        await self.on_sent(uow, r, self.clock())
                else:
                    log.warning("reminder %d was sent after its claim was lost", r.id)
        except Exception:  # its lease brings it back
            log.exception("reminder %d: unexpected error", r.id)

    async def _send(self, r: Reminder, citizen: _Citizen, reply: Reply, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                return await self.senders[r.channel](citizen.external_id, reply)
        except TimeoutError:
            log.warning("reminder %d: the send outlasted its lease; it will be tried again", r.id)
        except Exception:
            log.exception("reminder %d: sending to %s failed", r.id, r.channel)
        return False

    async def _failed(self, uow: UnitOfWork, r: Reminder, tally: Tally) -> None:
        """Not delivered: a citizen who blocked the bot (the sender marked them inactive) loses their open
        reminders; otherwise the reminder is tried again after a pause, or given up after MAX_ATTEMPTS."""
        now = self.clock()
        active = await uow.users.is_active(r.user_id)
        if active is None:
            return
        if not active:
            tally.cancelled += await uow.reminders.cancel_all(r.user_id)
            return
        final = r.attempts >= MAX_ATTEMPTS
        retry_at = now + RETRY_AFTER * 2 ** (r.attempts - 1)
        if await uow.reminders.failed(r, now, final, retry_at):
            if final:
                tally.failed += 1
                log.warning("reminder %d not delivered after %d tries; given up", r.id, r.attempts)
            else:
                tally.retried += 1


class InUnitOfWork(Protocol):
    """A renderer that reads what it needs (the booking, …) in a unit of work (dialogs.reminders.service)."""

    async def render(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> Reply | None: ...


class InUow:
    """A renderer that reads in the unit of work of the reminder's job (see `render_with`)."""

    def __init__(self, uows: UowFactory, service: InUnitOfWork) -> None:
        self.uows, self.service = uows, service

    async def __call__(self, reminder: Reminder) -> Reply | None:
        """Outside a job (what `Render` promises): in a short unit of work of its own."""
        async with self.uows() as uow:
            return await self.service.render(uow, reminder, uow.clock())


def render_with(uows: UowFactory, service: InUnitOfWork) -> Render:
    """The dispatcher's `render` for such a service: each reminder rendered in its job's unit of work
    (dialogs/turns.py), under its citizen's lock."""
    return InUow(uows, service)


def start_reminders(scheduler: AsyncIOScheduler, dispatcher: Dispatcher) -> None:
    """Add the dispatch job to a running scheduler: its first run now (what fell due while the bot was down),
    then every `dispatcher.every`. Never two runs at once, missed runs folded into one, and a late run is never
    dropped (`misfire_grace_time=None`: APScheduler's default of one second would drop it)."""
    scheduler.add_job(
        dispatcher.tick, "interval", seconds=dispatcher.every.total_seconds(), id=JOB_ID,
        next_run_time=dt.datetime.now(dt.UTC), coalesce=True, max_instances=1, misfire_grace_time=None,
    )  # fmt: skip


__all__ = ["Dispatcher", "InUnitOfWork", "InUow", "Render", "Tally", "render_with", "start_reminders"]
