"""One person, several sessions, several OS processes: each process is a session (its own citizen account) of the
same person (the same verified phone), and all of them fire their bookings at once. The per-person limits
(storage/people.py counts, the person keys of storage/booking/models.py) must hold across them.

`python -m testkit.person_race URL NAME PERSON ATTEMPTS_JSON` is the process; `race_person` starts them together.
An attempt is {"start": ISO UTC or null, "service": str, "kind": "office"|"callback"|"visit", "priority": bool}.
The month an office booking counts in is the Kyiv month of its start (`rules.month_key`), as the service has it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.booking.rules import month_key
from storage.booking import Booking, TakeFailure
from storage.db import make_engine
from testkit.booking_race import CHANNEL, OFFICE, RESOURCE, factory_for
from testkit.workers import run_together

KYIV = ZoneInfo("Europe/Kyiv")


async def _attempt(factory: Any, name: str, person: str, i: int, a: dict[str, Any]) -> str:
    start = dt.datetime.fromisoformat(a["start"]) if a.get("start") else None
    kind = a.get("kind", "office")
    async with factory() as uow:
        user = await uow.users.get(CHANNEL, name)
        assert user is not None, name
        result: Booking | TakeFailure = await uow.bookings.take(
            user=user,
            person=person,
            kind=kind,
            office="hotline" if kind == "callback" else OFFICE,
            resource="hotline" if kind == "callback" else RESOURCE,
            service=a["service"],
            start=start,
            places=[0, 1, 2] if start is not None else [],
            priority=bool(a.get("priority")),
            priority_group="combatant" if a.get("priority") else None,
            token=f"{name}-{i}",
            month=month_key(start, KYIV) if start is not None else "",
            monthly_limit=4 if start is not None else -1,
            day=start.astimezone(KYIV).date() if start is not None else None,
        )
    if isinstance(result, Booking):
        return f"booked:{result.start.astimezone(KYIV):%Y-%m}" if result.start else "booked:request"
    return result.value


async def _worker(url: str, name: str, person: str, attempts: list[dict[str, Any]]) -> None:
    engine = make_engine(url)
    factory = factory_for(engine)
    async with factory() as uow:  # connect and warm up before the start signal
        await uow.users.get(CHANNEL, name)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the start signal
    results = await asyncio.gather(
        *(_attempt(factory, name, person, i, a) for i, a in enumerate(attempts)), return_exceptions=True
    )
    await factory.close()
    await engine.dispose()
    out = Counter(r if isinstance(r, str) else f"error:{type(r).__name__}: {r}" for r in results)
    print(json.dumps(dict(out)), flush=True)


def race_person(
    url: str, names: Sequence[str], person: str, attempts: Sequence[dict[str, Any]]
) -> Counter[str]:
    """One process per name (a session of `person`), each firing all `attempts` at once; outcomes summed."""
    spec = json.dumps(list(attempts))
    results, wall = run_together("testkit.person_race", [[url, name, person, spec] for name in names])
    total: Counter[str] = Counter()
    for line in results:
        total.update(json.loads(line))
    total["_wall_ms"] = int(wall * 1000)
    return total

if __name__ == "__main__":
    asyncio.run(_worker(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])))
