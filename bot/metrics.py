"""Prometheus metrics of one bot process, served at `GET /metrics` (handlers/web/metrics.py).

No personal data: the only labels are channels, outcomes, kinds and statuses — never a user id, a session id, a
phone or any text. Each `Bot` has its own `CollectorRegistry` (not the library's global one), so tests that build
several bots in one process do not collide.

Where each number comes from (one place each, no dialog code imports this module; each is an observer handed to
what it observes when bot/app.py builds it):
- messages in and a turn's latency: `turn_taken`, a `TurnObserver` of the turns every channel takes
  (dialogs/turns.py); a worker's job for one citizen (reminder, outbox, sweep): `job_done`, of the same
  pipeline;
- sends: the Telegram and Viber senders' `note` hook (one call per message, "ok" or "failed"), and Telegram's 429s
  (`note("429")` where the sender waits);
- reminders due and sent: `reminders`, an observer of the dispatcher's runs (the tally of each);
- bookings made and cancelled: `booking`, an observer of the booking service, counted once the unit of work
  commits;
- tickets waiting and open: read from the database when scraped, at most once per TICKETS_EVERY.
Counters are per process: with several processes Prometheus scrapes each and sums them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from bot.reminders import Tally
from storage.handoff import ACTIVE
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NAMESPACE = "viza"
CHANNELS = ("web", "telegram", "viber")
# Prometheus' text format 0.0.4: what every Prometheus version (2.x and 3.x) parses.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; a dialog step takes about a millisecond, a search up to tens, anything over a second is trouble.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
TICKETS_EVERY = 5.0  # seconds: the ticket counts are read from the database at most this often
TICKETS_TIMEOUT = 2.0  # seconds a scrape waits for them; then it shows the last known values


def _channel(name: str) -> str:
    """A label value from a fixed set, whatever a caller passes (labels must stay few)."""
    return name if name in CHANNELS else "other"


class Metrics:
    """The metric objects of one bot process, in a registry of its own."""

    def __init__(
        self,
        uows: Callable[[], UnitOfWork] | None = None,
        *,
        process: bool = True,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = CollectorRegistry()
        reg, ns = self.registry, NAMESPACE
        self.messages = Counter(
            "messages_in", "Messages from citizens, by channel", ["channel"], namespace=ns, registry=reg
        )
        self.latency = Histogram(
            "reply_seconds",
            "Time the engine took for one message (state, routing, replies; without sending), by channel",
            ["channel"],
            namespace=ns,
            registry=reg,
            buckets=LATENCY_BUCKETS,
        )
        self.sends = Counter(
            "sends",
            "Messages sent through a messenger's API, by channel and outcome (ok, failed)",
            ["channel", "outcome"],
            namespace=ns,
            registry=reg,
        )
        self.telegram_429 = Counter(
            "telegram_retry_after", "Telegram's «429 Too Many Requests» answers", namespace=ns, registry=reg
        )
        self.reminders_due = Counter(
            "reminders_due", "Due reminders claimed for sending", namespace=ns, registry=reg
        )
        self.reminders_sent = Counter("reminders_sent", "Reminders delivered", namespace=ns, registry=reg)
        self.jobs = Histogram(
            "job_seconds",
            "Time a worker's job for one citizen took (lock, unit of work, sends), by job",
            ["job"],
            namespace=ns,
            registry=reg,
            buckets=LATENCY_BUCKETS,
        )
        self.bookings = Counter(
            "bookings",
            "Bookings made and cancelled (a reschedule is both), by kind (office, callback, visit)",
            ["event", "kind"],
            namespace=ns,
            registry=reg,
        )
        self.tickets = Gauge(
            "tickets",
            "Tickets for hotline operators by status: waiting (the queue) and open (with an operator)",
            ["status"],
            namespace=ns,
            registry=reg,
        )
        for channel in CHANNELS:  # the series exist from the start, at 0
            self.messages.labels(channel=channel)
            self.latency.labels(channel=channel)
        for channel in CHANNELS[1:]:
            for outcome in ("ok", "failed"):
                self.sends.labels(channel=channel, outcome=outcome)
        for status in ACTIVE:
            self.tickets.labels(status=status)
        if process:  # CPU, memory, open files (Linux /proc, read at scrape time) and the Python version
            ProcessCollector(registry=reg)
            PlatformCollector(registry=reg)
        self._uows = uows
        self._timer = timer
        self._per_channel: dict[str, tuple[Counter, Histogram]] = {}  # a channel label → its two series
        self._tickets_at: float | None = None

    # --- what the instrumented places call --------------------------------------------------------------------------

    def turn_taken(self, channel: str, seconds: float) -> None:
        """A `TurnObserver` (dialogs/turns.py): one message of `channel` went through in `seconds`."""
        self.message(channel, seconds)

    def job_done(self, job: str, seconds: float) -> None:
        """A `TurnObserver`: a worker's job for one citizen (reminder, outbox, sweep) took `seconds`."""
        self.jobs.labels(job=job).observe(seconds)

    def message(self, channel: str, seconds: float) -> None:
        label = _channel(channel)
        series = self._per_channel.get(label)
        if series is None:  # a channel's two series, looked up once (prometheus_client gives the same child)
            series = self._per_channel[label] = (
                self.messages.labels(channel=label),
                self.latency.labels(channel=label),
            )
        series[0].inc()
        series[1].observe(seconds)

    def sender_note(self, channel: str) -> Callable[[str], None]:
        """The `note` hook of one channel's sender: "ok" or "failed" per message, "429" when asked to wait."""
        ok = self.sends.labels(channel=channel, outcome="ok")
        failed = self.sends.labels(channel=channel, outcome="failed")

        def note(event: str) -> None:
            if event == "ok":
                ok.inc()
            elif event == "429":
                self.telegram_429.inc()
            else:
                failed.inc()

        return note

    def reminders(self, tally: Tally) -> None:
        self.reminders_due.inc(tally.claimed)
        self.reminders_sent.inc(tally.sent)

    def booking(self, uow: UnitOfWork, event: str, kind: str) -> None:
        """Counted once `uow` commits (a rolled-back booking never happened)."""
        counter = self.bookings.labels(event=event, kind=kind)

        async def count() -> None:
            counter.inc()

        uow.after_commit(count)

    # --- the scrape -------------------------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the ticket counts, at most once per TICKETS_EVERY and for at most TICKETS_TIMEOUT: a scraper
        polling fast costs the database nothing more. Two indexed counts (ix_tickets_status_created)."""
        if self._uows is None:
            return
        now = self._timer()
        if self._tickets_at is not None and now - self._tickets_at < TICKETS_EVERY:
            return
        self._tickets_at = now
        counts = dict.fromkeys(ACTIVE, 0)
        try:
            async with asyncio.timeout(TICKETS_TIMEOUT), self._uows() as uow:
                for status in ACTIVE:
                    counts[status] = await uow.tickets.count(status)
        except Exception as exc:  # a busy or unreachable database must not break the scrape
            log.warning("metrics: could not count the tickets (%s)", type(exc).__name__)
            return
        for status, count in counts.items():
            self.tickets.labels(status=status).set(count)

    async def render(self) -> tuple[bytes, str]:
        """The exposition for `GET /metrics`: the body and its content type."""
        await self.refresh()
        return generate_latest(self.registry), CONTENT_TYPE
