"""The tests' time: a fixed moment, never the wall clock (tests/conftest.py forbids reading it)."""

from __future__ import annotations

import datetime as dt

from storage.clock import ManualClock

# Friday 4 December 2026, 09:00 in Kyiv: a working day, inside the offices' and the hotline's hours.
TEST_NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)


def test_clock(now: dt.datetime = TEST_NOW) -> ManualClock:
    """A fresh clock at `now` (by default TEST_NOW)."""
    return ManualClock(now)


test_clock.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever its name
