"""The scalper of issue 20 against the real web app on loopback: a fresh web session per place, booking one day of
the main office's civil-registry windows (96 places a day under martial law), with and without a priority claim.

Run: `.venv/bin/python -m bench.scalping [--attempts 120] [--phones 30]`.

The app is the real one (`bot.app.build`: engine, rooms, SQLite file, aiohttp web chat) served on 127.0.0.1 behind a
"trusted proxy" (TRUSTED_PROXIES=127.0.0.1, so the script's X-Forwarded-For names the client address, as nginx
would). Since issue 20 a booking needs a verified phone: every session here gets one seeded as the verify room
leaves it (testkit/people.py), i.e. the scalper is assumed to have solved SMS verification for as many phones as
it needs — the strongest attacker the per-person limits face. Scenarios, each on its own fresh database:

1. one address, a fresh session and a fresh verified phone per place, no priority claim;
2. the same claiming «Учасник бойових дій»; and the same fired 20 at once;
3. 30 verified phones behind one address, each phone trying 4 times in fresh sessions;
4. 30 verified phones behind 30 addresses (a proxy pool), each trying 4 times in fresh sessions, with priority;
then a genuine citizen from an address of their own looks for a place: the days offered and the target day's free
places. The time is a fixed ManualClock (Friday 4 December 2026, 09:00 Kyiv; the target day is Monday 7 December).

The "before" is the issue's own measurement (the per-session behaviour is gone from the code): 96/96 places of a
day in 2.3 s with a priority claim, every general place in 1.7 s, 163 places a minute through nginx's 10 r/s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.booking.service import ADDRESS_BOOKINGS, BookingService
from storage.clock import ManualClock
from testkit.net import free_port
from testkit.people import phone_for, verify_citizen

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 09:00 in Kyiv
DAY = "20261207"  # Monday
OFFICE = "visa-main"
SERVICE = "drs-birth-registration"  # the civil-registry windows: 3 windows, 15-minute slots
PRIORITY = "combatant"


@dataclass
class Run:
    name: str
    outcomes: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    phones: int = 0
    addresses: int = 0


def _outcome(text: str) -> str:
    if "вас записано" in text:
        return "booked"
    if "Із цієї інтернет-адреси" in text:
        return "refused: address cap"
    if "уже є активний запис" in text:
        return "refused: one per service per phone"
    if "разів на місяць" in text:
        return "refused: 4 a month per phone"
    if "лише раз на день" in text:
        return "refused: one priority a day per phone"
    if "щойно зайняли" in text:
        return "the time was taken meanwhile (a race)"
    if "вільних місць немає" in text or "Оберіть день" in text:
        return "no place left that day"
    return "other: " + text[:50]


class Script:
    """The attacker's client: plain JSON posts to /api/chat, as any script would."""

    def __init__(self, http: ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def post(self, session: str, address: str, **body: str) -> tuple[str, list[str]]:
        async with self.http.post(
            f"{self.url}/api/chat", json={"session": session, **body}, headers={"X-Forwarded-For": address}
        ) as resp:
            if resp.status != 200:
                return f"HTTP {resp.status}", []
            replies = (await resp.json())["replies"]
        text = "\n".join(r["text"] for r in replies)
        return text, [b.get("payload", "") for r in replies for row in r["buttons"] for b in row]

    async def book(self, session: str, address: str, priority: str) -> str:
        text, payloads = await self.post(session, address, payload=f"q:s:{SERVICE}")
        if f"q:o:{OFFICE}" in payloads:
            text, payloads = await self.post(session, address, payload=f"q:o:{OFFICE}")
        if f"q:p:{priority}" in payloads:
            text, payloads = await self.post(session, address, payload=f"q:p:{priority}")
        text, payloads = await self.post(session, address, payload=f"q:d:{DAY}")  # the day, as a script would
        times = [p for p in payloads if p.startswith("q:t:")]
        if not times:
            return text
        text, payloads = await self.post(session, address, payload=times[0])
        ok = next((p for p in payloads if p.startswith("q:ok:")), None)
        if ok is None:
            return text
        return (await self.post(session, address, payload=ok))[0]


async def _serve(tmp: Path, clock: ManualClock) -> tuple[Bot, web.AppRunner, str]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp}/bot.sqlite3", trusted_proxies="127.0.0.1", _env_file=None
    )
    bot = await build(settings, clock=clock)
    runner = web.AppRunner(bot.http, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return bot, runner, f"http://127.0.0.1:{port}"


async def _places(bot: Bot) -> tuple[int, int, int]:
    """(capacity, free for anybody, free for priority citizens only) of the target day."""
    room = BookingService(bot.engine.kb, martial_law=bot.settings.martial_law)
    day = dt.datetime.strptime(DAY, "%Y%m%d").date()
    async with bot.uow_factory() as uow:
        views = await room.slots(uow, OFFICE, SERVICE, day, now=NOW)
    return sum(v.capacity for v in views), sum(v.free for v in views), sum(v.priority_free for v in views)


async def _genuine(bot: Bot, script: Script) -> dict[str, Any]:
    """A real citizen from their own address: the days offered and whether they can book."""
    await verify_citizen(bot.uow_factory, "web", "genuine")
    _, payloads = await script.post("genuine", "203.0.113.200", payload=f"q:s:{SERVICE}")
    if f"q:o:{OFFICE}" in payloads:
        _, payloads = await script.post("genuine", "203.0.113.200", payload=f"q:o:{OFFICE}")
    _, payloads = await script.post("genuine", "203.0.113.200", payload="q:p:no")
    days = [p.removeprefix("q:d:") for p in payloads if p.startswith("q:d:")]
    booked = _outcome(await script.book("genuine", "203.0.113.200", "no")) == "booked"
    return {
        "first days offered": days[:4],
        "target day offered": DAY in days,
        "booked the target day": booked,
    }


async def scenario(
    name: str, attempts: list[tuple[str, str, str]], priority: str, parallel: int = 1
) -> tuple[Run, tuple[int, int, int], tuple[int, int, int], dict[str, Any]]:
    """`attempts`: (session, phone name, address) in order, `parallel` at a time; each session is fresh and its
    phone verified."""
    clock = ManualClock(NOW)
    with tempfile.TemporaryDirectory(prefix="viza-scalp-") as tmp:
        bot, runner, url = await _serve(Path(tmp), clock)
        try:
            before = await _places(bot)
            run = Run(
                name, phones=len({p for _, p, _ in attempts}), addresses=len({a for _, _, a in attempts})
            )
            async with ClientSession() as http:
                script = Script(http, url)
                for session, phone, _ in attempts:  # the phones the scalper verified beforehand
                    await verify_citizen(bot.uow_factory, "web", session, phone_for("scalper", phone))
                started = time.perf_counter()
                for i in range(0, len(attempts), parallel):
                    batch = attempts[i : i + parallel]
                    texts = await asyncio.gather(*(script.book(s, a, priority) for s, _, a in batch))
                    run.outcomes.update(_outcome(t) for t in texts)
                run.wall = time.perf_counter() - started
                after = await _places(bot)
                genuine = await _genuine(bot, script)
        finally:
            await runner.cleanup()
            await bot.close()
    return run, before, after, genuine


async def main(attempts: int, phones: int) -> None:
    one = "198.51.100.7"
    plans: list[tuple[str, list[tuple[str, str, str]], str, int]] = [
        (
            "one address, a fresh session and phone per place",
            [(f"s{i}", f"p{i}", one) for i in range(attempts)],
            "no",
            1,
        ),
        (
            "the same, claiming «Учасник бойових дій»",
            [(f"s{i}", f"p{i}", one) for i in range(attempts)],
            PRIORITY,
            1,
        ),
        (
            "one address, a fresh session and phone per place, 20 at once",
            [(f"s{i}", f"p{i}", one) for i in range(attempts)],
            "no",
            20,
        ),
        (
            f"{phones} phones behind one address, 4 fresh sessions each",
            [(f"s{i}-{k}", f"p{i}", one) for k in range(4) for i in range(phones)],
            "no",
            1,
        ),
        (
            f"{phones} phones behind {phones} addresses, 4 fresh sessions each, priority claim",
            [(f"s{i}-{k}", f"p{i}", f"198.51.100.{i + 10}") for k in range(4) for i in range(phones)],
            PRIORITY,
            1,
        ),
    ]
    print(
        f"Scalping the main office's {DAY} ({SERVICE}), per-address cap {ADDRESS_BOOKINGS} bookings an hour.\n"
    )
    print(
        "| scenario | attempts | phones | addresses | booked | refused / not booked | wall, s | day's places "
        "(all / general free → after) | genuine citizen |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, plan, priority, parallel in plans:
        run, before, after, genuine = await scenario(name, plan, priority, parallel)
        refused = ", ".join(f"{k}: {n}" for k, n in sorted(run.outcomes.items()) if k != "booked")
        print(
            f"| {run.name} | {sum(run.outcomes.values())} | {run.phones} | {run.addresses} | "
            f"{run.outcomes['booked']} | {refused or '—'} | {run.wall:.1f} | {before[0]} / {before[1]} → "
            f"{after[1]} (+{after[2]} priority) | days offered {genuine['first days offered']}, target day "
            f"{'offered' if genuine['target day offered'] else 'NOT offered'}, "
            f"{'booked it' if genuine['booked the target day'] else 'could not book it'} |",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=120, help="places the one-address script tries")
    parser.add_argument("--phones", type=int, default=30, help="verified phones of the many-phone scenarios")
    args = parser.parse_args()
    asyncio.run(main(args.attempts, args.phones))
