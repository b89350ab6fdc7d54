"""The race for one slot: N citizens confirm the same slot of capacity k at once, each take `Bookings.take` in its
own unit of work, as a confirmation is; in one process or in several OS processes started together.

Shared by tests/storage/test_booking_race.py, tests/storage/test_booking_storage.py and the benchmark
(bench/booking_race.py); `python -m testkit.booking_race URL PREFIX COUNT CAPACITY` is the process the
multi-process races start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.booking import Booking, TakeFailure
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.models import User
from storage.people import person_key
from storage.uow import UnitOfWorkFactory
from testkit.people import phone_for
from testkit.workers import run_together

CHANNEL = "web"
OFFICE = "visa-main"
RESOURCE = "passports"
SERVICE = "passport-id"
SLOT = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv
MONTH = "2026-12"
# The race's time: the Thursday before the slot (the storage takes whatever it is told; this keeps runs alike).
CLOCK = ManualClock(dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC))


def factory_for(engine: AsyncEngine, *, serialize: bool | None = None) -> UnitOfWorkFactory:
    """As the bot makes it (serialized on SQLite), unless told otherwise."""
    if serialize is None:
        serialize = engine.dialect.name == "sqlite"
    return UnitOfWorkFactory(make_sessionmaker(engine), serialize=serialize, clock=CLOCK)


async def make_users(engine: AsyncEngine, names: Sequence[str]) -> None:
    """Citizens for the race, in one statement."""
    now = CLOCK()
    rows = [
        {
            "channel": CHANNEL,
            "external_id": name,
            "language": "uk",
            "created_at": now,
            "last_seen_at": now,
            "active": True,
        }
        for name in names
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(User), rows)


async def take_one(
    factory: UnitOfWorkFactory,
    name: str,
    *,
    capacity: int = 3,
    places: Sequence[int] | None = None,
    start: dt.datetime = SLOT,
    service: str = SERVICE,
    priority: bool = False,
    token: str | None = None,
    limit: int = 4,
    person: str | None = "",
    day: dt.date | None = None,
) -> Booking | TakeFailure:
    """One citizen confirms: their own unit of work, committed (or rolled back) before this returns. `person`:
    whose limits count («»: the citizen's own, `person_of(name)`; None: an unverified citizen)."""
    async with factory() as uow:
        user = await uow.users.get(CHANNEL, name)
        assert user is not None, name
        return await uow.bookings.take(
            user=user,
            person=person_of(name) if person == "" else person,
            kind="office",
            office=OFFICE,
            resource=RESOURCE,
            service=service,
            start=start,
            places=list(range(capacity)) if places is None else list(places),
            priority=priority,
            priority_group="combatant" if priority else None,
            token=token or f"tap-{name}",
            month=MONTH,
            monthly_limit=limit,
            day=day,
        )


def person_of(name: str) -> str:
    """The person key of a race citizen's phone (as `testkit.people.verify_citizen` would record it)."""
    return person_key(phone_for(CHANNEL, name))


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    places: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    def add(self, result: Booking | TakeFailure | BaseException) -> None:
        if isinstance(result, Booking):
            self.outcomes["booked"] += 1
            if result.place is not None:
                self.places.append(result.place)
        elif isinstance(result, TakeFailure):
            self.outcomes[result.value] += 1
        else:
            self.outcomes["error"] += 1
            self.errors.append(f"{type(result).__name__}: {result}")

    def merge(self, other: Tally) -> None:
        self.outcomes.update(other.outcomes)
        self.places += other.places
        self.errors += other.errors

    def to_json(self) -> str:
        return json.dumps({"outcomes": dict(self.outcomes), "places": self.places, "errors": self.errors[:5]})

    @classmethod
    def from_json(cls, line: str) -> Tally:
        data = json.loads(line)
        return cls(Counter(data["outcomes"]), list(data["places"]), list(data["errors"]))


async def race(
    factory: UnitOfWorkFactory, names: Sequence[str], *, capacity: int, start: dt.datetime = SLOT
) -> Tally:
    """All `names` confirm the same slot at once."""
    tally = Tally()
    started = time.perf_counter()
    results = await asyncio.gather(
        *(take_one(factory, name, capacity=capacity, start=start) for name in names), return_exceptions=True
    )
    tally.wall = time.perf_counter() - started
    for result in results:
        tally.add(result)
    return tally


def names_for(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


# --- two OS processes -----------------------------------------------------------------------------------------


async def _worker(url: str, prefix: str, count: int, capacity: int) -> None:
    engine = make_engine(url)
    factory = factory_for(engine)
    async with factory() as uow:  # connect and warm up before the start signal
        await uow.users.get(CHANNEL, f"{prefix}0000")
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the start signal
    tally = await race(factory, names_for(prefix, count), capacity=capacity)
    await factory.close()
    await engine.dispose()
    print(tally.to_json(), flush=True)


def race_in_processes(url: str, prefixes: Sequence[str], count: int, capacity: int) -> Tally:
    """One worker process per prefix, each racing `count` citizens; started together once all are ready."""
    argvs = [[url, prefix, str(count), str(capacity)] for prefix in prefixes]
    results, wall = run_together("testkit.booking_race", argvs)
    total = Tally()
    for line in results:
        total.merge(Tally.from_json(line))
    total.wall = wall
    return total

if __name__ == "__main__":
    url, prefix, count, capacity = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(_worker(url, prefix, count, capacity))
