"""Time is injected: one clock object is built by the composition root and handed to everything that asks
«what time is it» (the engine, the units of work and their repositories, the workers, the staff commands).

A clock is any callable returning an aware UTC datetime. Production uses `system_clock`; tests and
benchmarks use a `ManualClock` they set and move, so nothing depends on the date or the hour it runs.
Elapsed-time measurements (rate limits, timeouts, metrics) use `time.monotonic` and are not the clock's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


class SystemClock:
    """The wall clock, in UTC. The only place the project reads it (tests forbid it: tests/conftest.py)."""

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


system_clock: Clock = SystemClock()


class ManualClock:
    """A clock that stands still until it is set or moved."""

    def __init__(self, now: dt.datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock tells aware time")
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.now += delta
        return self.now
