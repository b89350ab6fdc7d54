"""The alerts watch against a fake alerts.in.ua API on loopback (testkit/fake_alerts.py): states, periods, the
appointments an alert affected, a failing source, and two processes polling as one through Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import Source, Watch
from bot.app import Bot
from bot.shared import SharedRedis
from bot.staff import alerts_run
from dialogs.alerts.rules import State
from storage.alerts import AlertPeriod
from storage.booking import Booking
from storage.clock import ManualClock
from testkit.fake_alerts import TOKEN, UID, FakeAlerts
from testkit.servers import throwaway_redis
from testkit.workers import run_together
from tests.conftest import make_settings

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture()
async def api() -> AsyncIterator[FakeAlerts]:
    fake = FakeAlerts()
    await fake.serve()
    yield fake
    await fake.stop()


def _source(api: FakeAlerts, timeout: float = 2.0) -> Source:
    return Source(api.url, TOKEN, UID, timeout=timeout)


async def _book(bot: Bot, code: str, start: dt.datetime, status: str = "booked", kind: str = "office") -> None:
    async with bot.uow_factory() as uow:
        uow.session.add(Booking(code=code, channel="telegram", kind=kind, office="viza-main", resource="r",
                                service="birth", start=start, place=1 if kind == "office" else None,
                                status=status, created_at=uow.clock()))  # fmt: skip


async def test_an_alert_opens_a_period_and_the_all_clear_closes_it_with_the_appointments_inside(
    bot: Bot, clock: ManualClock, api: FakeAlerts
) -> None:
    ended: list[AlertPeriod] = []

    async def heard(period: AlertPeriod) -> None:
        ended.append(period)

    source = _source(api)
    watch = Watch(source, bot.uow_factory, clock, on_end=heard)
    start = clock()
    await _book(bot, "IN1", start + 10 * MINUTE)
    await _book(bot, "IN2", start + 40 * MINUTE)
    await _book(bot, "GONE", start + 20 * MINUTE, status="cancelled")
    await _book(bot, "CALL", start + 20 * MINUTE, kind="callback")
    await _book(bot, "AFTER", start + 90 * MINUTE)
    await _book(bot, "BEFORE", start - 5 * MINUTE)
    try:
        assert await watch.poll() is State.CALM
        api.status = "A"
        clock.advance(MINUTE)
        assert await watch.poll() is State.ACTIVE
        for _ in range(3):  # the alert goes on; one period
            clock.advance(15 * MINUTE)
            assert await watch.poll() is State.ACTIVE
        api.status = "N"
        clock.advance(10 * MINUTE)  # the all-clear at start + 56 min
        assert await watch.poll() is State.CALM
        assert await watch.poll() is State.CALM  # nothing closes twice
    finally:
        await source.close()
    assert len(ended) == 1 and ended[0].affected == 2
    async with bot.uow_factory() as uow:
        periods = await uow.alerts.history()
        untold = {b.code for b in await uow.alerts.untold(periods[0].id)}
        status = await uow.alerts.status()
    assert [(p.started_at, p.ended_at) for p in periods] == [(start + MINUTE, start + 56 * MINUTE)]
    assert untold == {"IN1", "IN2"}
    assert status is not None and status.state == "calm" and status.source_ok


async def test_a_partial_alert_counts_and_a_304_repeats_the_last_answer(
    bot: Bot, clock: ManualClock, api: FakeAlerts
) -> None:
    source = _source(api)
    watch = Watch(source, bot.uow_factory, clock)
    try:
        api.status = "P"
        assert await watch.poll() is State.ACTIVE
        assert await watch.poll() is State.ACTIVE  # the second answer was a 304 (If-Modified-Since)
        api.iot_knows = False  # the list is read instead
        clock.advance(MINUTE)
        assert await watch.poll() is State.ACTIVE
        api.status = "N"
        assert await watch.poll() is State.CALM
    finally:
        await source.close()


@pytest.mark.parametrize("failure", ["500", "hang", "nonsense"])
async def test_ten_minutes_of_a_failing_source_is_unknown_never_calm_and_logged_once(
    bot: Bot, clock: ManualClock, api: FakeAlerts, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    source = _source(api, timeout=0.3)
    watch = Watch(source, bot.uow_factory, clock)
    states = []
    try:
        api.status = "A"
        assert await watch.poll() is State.ACTIVE
        api.fail = failure
        with caplog.at_level(logging.INFO, logger="bot.alerts"):
            for _ in range(20):  # every 30 s for 10 minutes
                clock.advance(dt.timedelta(seconds=30))
                states.append(await watch.poll())
            api.fail = None
            api.status = "N"
            clock.advance(dt.timedelta(seconds=30))
            assert await watch.poll() is State.CALM
    finally:
        await source.close()
    assert State.CALM not in states
    assert states[:5] == [State.ACTIVE] * 5 and set(states[6:]) == {State.UNKNOWN}
    lines = [r for r in caplog.records if r.name == "bot.alerts"]
    assert [r.levelname for r in lines][:2] == ["WARNING", "INFO"]
    assert not any(r.exc_info for r in lines)
    assert sum("unknown" in r.getMessage() for r in lines) == 1
    async with bot.uow_factory() as uow:
        periods = await uow.alerts.history()
    assert len(periods) == 1 and periods[0].ended_at is not None  # unknown kept the alert open


async def test_a_round_that_breaks_never_raises(bot: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        async def active(self) -> bool:
            raise RuntimeError("a bug")

    watch = Watch(Broken(), bot.uow_factory, clock)
    assert await watch.poll() is None
    assert any("a round failed" in r.getMessage() and not r.exc_info for r in caplog.records)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with throwaway_redis() as (url, _, _):
        yield url


async def test_with_redis_two_processes_poll_as_one(
    bot: Bot, clock: ManualClock, api: FakeAlerts, redis_url: str
) -> None:
    shared = [SharedRedis.from_url(redis_url, prefix=f"viza-alerts-{i}-test:") for i in range(2)]
    shared[1] = SharedRedis.from_url(redis_url, prefix="viza-alerts-0-test:")  # the same prefix: one Center
    sources = [_source(api), _source(api)]
    watches = [Watch(s, bot.uow_factory, clock, every=30, shared=r) for s, r in zip(sources, shared, strict=True)]
    try:
        for _ in range(10):
            await asyncio.gather(*(w.poll() for w in watches))
            clock.advance(dt.timedelta(seconds=30))
    finally:
        for s in sources:
            await s.close()
        for r in shared:
            await r.client.delete(r.key("alerts", "alerts-poller"))
            await r.close()
    assert api.asked == 10
    assert sorted(w.polls for w in watches) == [0, 10]


async def test_the_staff_commands_status_and_history(
    bot: Bot, clock: ManualClock, api: FakeAlerts, tmp_path: Path
) -> None:
    async def run(*argv: str) -> Any:
        out, err = io.StringIO(), io.StringIO()
        assert await alerts_run(list(argv), make_settings(tmp_path), clock=clock, out=out, err=err) == 0, err
        return json.loads(out.getvalue())

    assert await run("status", "--json") == {"state": "unknown", "since": None, "source_ok": False,
                                              "checked_at": None}  # fmt: skip
    source = _source(api)
    watch = Watch(source, bot.uow_factory, clock)
    start = clock()
    for minute in (10, 20, 70):
        await _book(bot, f"B{minute}", start + minute * MINUTE)
    try:
        api.status = "A"
        await watch.poll()
        status = await run("status", "--json")
        assert status["state"] == "active" and status["source_ok"] and status["since"] == "2026-12-04T09:00:00+02:00"
        assert await run("history", "--json") == [{"start": "2026-12-04T09:00:00+02:00", "end": None,
                                                   "affected": 0, "hours": 0.0}]  # fmt: skip
        clock.advance(30 * MINUTE)
        api.status = "N"
        await watch.poll()
        clock.advance(6 * MINUTE)  # nobody polled since: the state is stale
        assert (await run("status", "--json"))["state"] == "unknown"
    finally:
        await source.close()
    assert await run("history", "--since", "2026-12-04", "--json") == [
        {"start": "2026-12-04T09:00:00+02:00", "end": "2026-12-04T09:30:00+02:00", "affected": 2, "hours": 0.5}
    ]
    assert await run("history", "--since", "2026-12-05", "--json") == []


async def test_two_os_processes_with_redis_poll_as_one(bot: Bot, api: FakeAlerts, redis_url: str) -> None:
    """Two processes of the bot (here: testkit/alerts_worker.py, a `Watch` each, the same database and Redis):
    one of them asks the source each round, the other reads the state it writes."""
    argv = [bot.settings.database_url, redis_url, api.url, "10"]
    results, _ = await asyncio.to_thread(run_together, "testkit.alerts_worker", [argv, argv])
    polls = sorted(json.loads(line)["polls"] for line in results)
    assert polls == [0, 10] and api.asked == 10
