"""Free places of one office and service over the whole horizon, with a baseline in the same run.

Run: `.venv/bin/python -m bench.booking_slots [--runs N]`.
Setup: the shipped booking data with 3 offices × 10 windows (one group each) × a 14-day horizon, the normal
regime (the longer hours, Saturdays included), half of all places booked (a synthetic `taken` map, as storage
returns it). Measured: `rules.availability` for one office and service — every slot of the horizon, the lead
time and horizon checks, and the bookable places of each slot — for an ordinary and a priority citizen.
Baseline: the slot lists of the same 14 days without counting (`day_slots` alone). The slot grid of a day is
memoised (a pure function of frozen data), so both are measured cold (the memo cleared before each run) and warm
(what the chat sees when it asks for the same days again).
Goal (issue 10): p99 ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from dialogs.booking.rules import Resource, Slot, availability, clear_cache, day_slots, horizon
from dialogs.calendar import WorkCalendar
from knowledge import load_knowledge
from knowledge.booking_schema import BookingData

WINDOWS = 10
OFFICE = "visa-main"
SERVICE = "drs-birth-registration"


def bench_data(base: BookingData) -> BookingData:
    """Three offices, each one group of 10 windows serving all of its services."""
    offices = []
    for office in base.offices[:3]:
        services = [s for g in office.groups for s in g.services]
        group = office.groups[0].model_copy(update={"id": "all", "windows": WINDOWS, "services": services})
        offices.append(
            office.model_copy(update={"groups": [group], "priority_only": False, "priority_share": 0.2})
        )
    return base.model_copy(update={"offices": offices})


def half_booked(
    data: BookingData, calendar: WorkCalendar, now: dt.datetime
) -> dict[Resource, dict[dt.datetime, set[int]]]:
    rng = random.Random(459)
    tz = ZoneInfo(data.timezone)
    out: dict[Resource, dict[dt.datetime, set[int]]] = {}
    for office in data.offices:
        resource = Resource(office.office, "all")
        taken: dict[dt.datetime, set[int]] = {}
        for day in horizon(now, data.horizon_days, tz):
            for slot in day_slots(data, resource, day, martial_law=False, calendar=calendar):
                taken[slot.start] = set(rng.sample(range(slot.capacity), slot.capacity // 2))
        out[resource] = taken
    return out


def measure(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(20):  # warm caches (holidays per year, zoneinfo)
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def row(name: str, samples: list[float], extra: str) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"| {name} | {len(samples)} | {statistics.median(samples):.3f} | {p99:.3f} | {extra} |"


def main(runs: int) -> None:
    data = bench_data(load_knowledge().booking or _missing())
    calendar = WorkCalendar(holidays_are_days_off=False)
    tz = ZoneInfo(data.timezone)
    now = dt.datetime(2026, 12, 7, 9, 10, tzinfo=tz).astimezone(dt.UTC)  # a Monday morning
    taken_all = half_booked(data, calendar, now)
    resource = Resource(OFFICE, "all")
    assert SERVICE in data.offices[0].groups[0].services
    taken = taken_all[resource]
    days = horizon(now, data.horizon_days, tz)

    def baseline() -> list[list[Slot]]:
        return [day_slots(data, resource, d, martial_law=False, calendar=calendar) for d in days]

    def ordinary() -> list[tuple[Slot, list[int]]]:
        return availability(data, resource, now, taken, martial_law=False, calendar=calendar, priority=False)

    def priority() -> list[tuple[Slot, list[int]]]:
        return availability(data, resource, now, taken, martial_law=False, calendar=calendar, priority=True)

    def cold_baseline() -> list[list[Slot]]:
        clear_cache()
        return baseline()

    def cold() -> list[tuple[Slot, list[int]]]:
        clear_cache()
        return ordinary()

    slots = sum(len(x) for x in baseline())
    free = sum(len(p) for _, p in ordinary())
    free_prio = sum(len(p) for _, p in priority())
    booked = sum(len(v) for t in taken_all.values() for v in t.values())
    places = sum(WINDOWS * len(t) for t in taken_all.values())
    print(
        f"{len(data.offices)} offices × {WINDOWS} windows × {data.horizon_days} days: {slots} slots of {OFFICE}, "
        f"{booked} of {places} places booked across the offices (normal regime, {runs} runs each)\n"
    )
    print("| measured | runs | p50 ms | p99 ms | result |")
    print("|---|---|---|---|---|")
    print(
        row("baseline, cold: build the slot lists of 14 days", measure(cold_baseline, runs), f"{slots} slots")
    )
    print(row("free places, cold (slot lists built too)", measure(cold, runs), f"{free} places"))
    print(row("baseline, warm: the slot lists of 14 days", measure(baseline, runs), f"{slots} slots"))
    print(row("free places, ordinary citizen", measure(ordinary, runs), f"{free} places"))
    print(row("free places, priority citizen", measure(priority, runs), f"{free_prio} places"))


def _missing() -> BookingData:
    raise SystemExit("knowledge/data/booking.yaml is missing")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    main(parser.parse_args().runs)
