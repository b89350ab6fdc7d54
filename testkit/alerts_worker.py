"""One process that polls the alerts as `python -m bot` would, for the test that two processes poll as one:
`python -m testkit.alerts_worker DATABASE_URL REDIS_URL ALERTS_URL ROUNDS`. It prints «ready», waits for «go»,
runs ROUNDS polls of a `Watch` sharing Redis (on a clock of its own that moves 30 s a round) and prints
{"polls": how many rounds it asked the source itself}."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys

from bot.alerts import Source, Watch
from bot.shared import SharedRedis
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory
from testkit.clocks import TEST_NOW
from testkit.fake_alerts import TOKEN, UID


async def main(database_url: str, redis_url: str, alerts_url: str, rounds: int) -> None:
    engine = make_engine(database_url)
    clock = ManualClock(TEST_NOW)
    shared = SharedRedis.from_url(redis_url, prefix="viza-alerts-two-processes:")
    source = Source(alerts_url, TOKEN, UID)
    watch = Watch(source, UnitOfWorkFactory(make_sessionmaker(engine), clock=clock), clock, shared=shared)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    for _ in range(rounds):
        await watch.poll()
        clock.advance(dt.timedelta(seconds=30))
        await asyncio.sleep(0.02)  # the other process's round comes in between
    await source.close()
    await shared.close()
    await engine.dispose()
    print(json.dumps({"polls": watch.polls}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
