"""A scheduler job still running when the bot stops is cut: one warning line, never an error with a traceback
(the load benchmark's processes logged one at every SIGTERM that caught the outbox dispatch mid-send)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.maintenance import quiet_job_cancellation


async def test_a_job_cut_by_the_shutdown_is_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    quiet_job_cancellation()
    running = asyncio.Event()

    async def dispatch() -> None:
        running.set()
        await asyncio.sleep(30)

    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(dispatch, "interval", seconds=10, id="dispatch", next_run_time=dt.datetime.now(dt.UTC))  # wall clock ok: APScheduler's own timer, «run now»
    scheduler.start()
    await asyncio.wait_for(running.wait(), timeout=5)
    scheduler.shutdown(wait=False)

    def lines() -> list[logging.LogRecord]:
        return [
            r for r in caplog.records if r.name.startswith("apscheduler") and r.levelno >= logging.WARNING
        ]

    for _ in range(50):  # the executor logs once the cancelled job has unwound
        if lines():
            break
        await asyncio.sleep(0.02)
    assert [(r.levelname, r.exc_info) for r in lines()] == [("WARNING", None)]
    message = lines()[0].getMessage()
    assert (
        message.startswith("job ")
        and "dispatch (trigger" in message
        and message.endswith("stopped by the shutdown")
    )
