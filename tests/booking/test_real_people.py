"""Issue 20 in the booking conversation: limits per person and per web address, where citizens meet them.

- The scalper's script through the real web app (aiohttp on loopback, behind a trusted proxy): a fresh session per
  place, every session with its own verified phone, one client address: the address cap stops it with a polite
  reply; a genuine citizen from another address still books.
- One phone in fresh sessions from many addresses: one active booking per service, whatever the session.
- A person whose priority claim staff refused is told until when, kindly, and goes on to the general places.
- The service refuses a citizen with no verified phone (the verify room's gate stops them before this).
The phones are seeded as the verify room leaves them (testkit/people.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.booking.rules import Refusal
from dialogs.booking.service import ADDRESS_BOOKINGS, ADDRESS_VISITS, BookingService
from dialogs.messages import Incoming
from knowledge.loader import Knowledge
from knowledge.search import SearchIndex
from storage.booking import Booking
from storage.clock import ManualClock
from storage.db import make_sessionmaker
from testkit.people import phone_for, verify_citizen

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 09:00 in Kyiv
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn
SCALPER = "198.51.100.7"
NEIGHBOUR = "203.0.113.9"


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture()
async def proxied(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[Bot]:
    """The bot behind a trusted reverse proxy on loopback: X-Forwarded-For names the client."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3",
        trusted_proxies="127.0.0.1",
        _env_file=None,
    )
    built = await build(settings, kb=kb, index=index, clock=clock)
    yield built
    await built.close()


class Browser:
    """One web chat session from one client address, through the proxy."""

    def __init__(self, client: TestClient, session: str, address: str) -> None:  # type: ignore[type-arg]
        self.client, self.session, self.address = client, session, address

    async def post(self, **body: str) -> tuple[str, list[str]]:
        resp = await self.client.post(
            "/api/chat", json={"session": self.session, **body}, headers={"X-Forwarded-For": self.address}
        )
        assert resp.status == 200  # never an error page
        replies = (await resp.json())["replies"]
        text = "\n".join(r["text"] for r in replies)
        payloads = [b.get("payload", "") for r in replies for row in r["buttons"] for b in row]
        return text, payloads

    async def book(self, *, priority: str = "no") -> str:
        """Walk to the first free time and confirm; the last reply's text."""
        text, payloads = await self.post(payload=f"q:s:{SERVICE}")
        if f"q:p:{priority}" in payloads:
            text, payloads = await self.post(payload=f"q:p:{priority}")
        days = [p for p in payloads if p.startswith("q:d:")]
        if not days:
            return text
        text, payloads = await self.post(payload=days[0])
        times = [p for p in payloads if p.startswith("q:t:")]
        if not times:
            return text
        text, payloads = await self.post(payload=times[0])
        ok = next(p for p in payloads if p.startswith("q:ok:"))
        text, _ = await self.post(payload=ok)
        return text


async def _verified(bot: Bot, user: str) -> str:
    """A web citizen with a verified phone (seeded); their person key."""
    await verify_citizen(bot.uow_factory, "web", user)
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("web", user)
        person = await uow.people.person(citizen)
    assert person is not None
    return person


async def _booked(bot: Bot) -> int:
    async with make_sessionmaker(bot.db)() as s:
        query = select(func.count()).select_from(Booking).where(Booking.status == "booked")
        return int((await s.execute(query)).scalar_one())


def _outcome(text: str) -> str:
    if "вас записано" in text:
        return "booked"
    if "Із цієї інтернет-адреси" in text:
        return "address"
    if "уже є активний запис" in text:
        return "already"
    return text[:60]


async def test_a_fresh_session_per_place_from_one_address_is_stopped_by_the_address_cap(proxied: Bot) -> None:
    async with TestClient(TestServer(proxied.http, host="127.0.0.1")) as client:
        outcomes: Counter[str] = Counter()
        for i in range(ADDRESS_BOOKINGS + 5):
            session = f"scalp-{i}"
            await verify_citizen(
                proxied.uow_factory, "web", session, phone_for("scalper", f"phone-{i}")
            )  # 15 phones, one each
            text = await Browser(client, session, SCALPER).book()
            outcomes[_outcome(text)] += 1
            if outcomes["address"] == 1:  # the polite reply: what to do instead
                assert "Telegram чи Viber" in text and "0 800 500 459" in text
        assert outcomes == {"booked": ADDRESS_BOOKINGS, "address": 5}
        assert await _booked(proxied) == ADDRESS_BOOKINGS
        # A genuine citizen from another address still books; so does a messenger citizen (no address).
        await verify_citizen(proxied.uow_factory, "web", "genuine")
        assert _outcome(await Browser(client, "genuine", NEIGHBOUR).book()) == "booked"
    await verify_citizen(proxied.uow_factory, "telegram", "777")
    replies = await proxied.engine.handle(Incoming("telegram", "777", payload=f"q:s:{SERVICE}"))
    assert any(b.payload == "q:p:no" for r in replies for row in r.buttons for b in row)


async def test_one_phone_in_fresh_sessions_from_many_addresses_books_one_place(proxied: Bot) -> None:
    """The per-session limits of before counted what the client picks; now the phone's person counts."""
    async with TestClient(TestServer(proxied.http, host="127.0.0.1")) as client:
        outcomes: Counter[str] = Counter()
        for i in range(6):
            session = f"same-phone-{i}"
            await verify_citizen(proxied.uow_factory, "web", session, "+380 67 123 45 67")
            outcomes[_outcome(await Browser(client, session, f"192.0.2.{i + 1}").book())] += 1
    assert outcomes == {"booked": 1, "already": 5}
    assert await _booked(proxied) == 1


async def test_home_visits_are_capped_per_address(proxied: Bot) -> None:
    """Each a different person (one open request each), all from one address: a few a day, then a kind no."""
    async with TestClient(TestServer(proxied.http, host="127.0.0.1")) as client:
        texts = []
        for i in range(ADDRESS_VISITS + 1):
            session = f"visit-{i}"
            await verify_citizen(proxied.uow_factory, "web", session)
            browser = Browser(client, session, SCALPER)
            await browser.post(payload=f"v:{SERVICE}")
            await browser.post(payload="q:v")
            await browser.post(payload="q:vy")
            text, _ = await browser.post(text="вул. Тиха, 7, кв. 3")
            if "Заявку прийнято" not in text and "Із цієї інтернет-адреси" not in text:  # a number asked
                text, _ = await browser.post(text="067 765 43 21")
            texts.append(text)
    assert ["Заявку прийнято" in t for t in texts] == [True] * ADDRESS_VISITS + [False]
    assert "Із цієї інтернет-адреси" in texts[-1]


async def test_a_refused_priority_claim_blocks_priority_and_says_until_when(bot: Bot) -> None:
    person = await _verified(bot, "vet")
    until = NOW + dt.timedelta(days=30)
    async with bot.uow_factory() as uow:
        await uow.people.block(person, until, by="operator")
    engine = bot.engine
    await engine.handle(Incoming("web", "vet", payload=f"q:s:{SERVICE}"))
    replies = await engine.handle(Incoming("web", "vet", payload="q:p:combatant"))
    text = "\n".join(r.text for r in replies)
    assert "Пріоритетний запис для вас недоступний до" in text and "03.01.2027" in text
    assert "на загальних умовах" in text
    days = [
        b.payload or ""
        for r in replies
        for row in r.buttons
        for b in row
        if (b.payload or "").startswith("q:d:")
    ]
    assert days  # the general places, straight away
    replies = await engine.handle(Incoming("web", "vet", payload=days[0]))
    time = next(
        b.payload or ""
        for r in replies
        for row in r.buttons
        for b in row
        if (b.payload or "").startswith("q:t:")
    )
    replies = await engine.handle(Incoming("web", "vet", payload=time))
    ok = next(
        b.payload or ""
        for r in replies
        for row in r.buttons
        for b in row
        if (b.payload or "").startswith("q:ok:")
    )
    assert "вас записано" in "\n".join(
        r.text for r in await engine.handle(Incoming("web", "vet", payload=ok))
    )
    async with make_sessionmaker(bot.db)() as s:
        booking = (await s.execute(select(Booking))).scalar_one()
    assert not booking.priority and booking.person == person


async def _slot(service: BookingService, bot: Bot) -> dt.datetime:
    async with bot.uow_factory() as uow:
        day = (await service.days(uow, "saksahan-uszn", SERVICE, now=NOW, priority=True))[0]
        return (await service.times(uow, "saksahan-uszn", SERVICE, day, now=NOW, priority=True))[0].start


async def test_the_service_refuses_priority_while_blocked_and_anybody_unverified(bot: Bot) -> None:
    service = BookingService(bot.engine.kb, martial_law=True)
    start = await _slot(service, bot)
    person = await _verified(bot, "blocked")
    kw: dict[str, Any] = {"office": "saksahan-uszn", "service": SERVICE, "start": start, "now": NOW}
    async with bot.uow_factory() as uow:
        await uow.people.block(person, NOW + dt.timedelta(days=30), by="operator")
        user, _ = await uow.users.with_state("web", "blocked")
        assert await service.book(uow, user, priority_group="combatant", token="p", **kw) == (
            Refusal.PRIORITY_BLOCKED
        )
        stranger, _ = await uow.users.with_state("web", "never-verified")
        assert await service.book(uow, stranger, priority_group=None, token="u", **kw) == Refusal.UNVERIFIED
        visit = await service.request_visit(
            uow, stranger, service=SERVICE, address="вул. Тиха, 7", phone="0671112233", token="v", now=NOW
        )
        assert visit == Refusal.UNVERIFIED
    assert await _booked(bot) == 0
    # Once the block is over, priority again.
    async with bot.uow_factory() as uow:
        await uow.people.block(person, NOW - dt.timedelta(seconds=1), by="operator")
        user, _ = await uow.users.with_state("web", "blocked")
        made = await service.book(uow, user, priority_group="combatant", token="p2", **kw)
        assert isinstance(made, Booking) and made.priority


async def test_a_second_callback_names_the_open_one(bot: Bot) -> None:
    await verify_citizen(bot.uow_factory, "web", "caller")
    codes = []
    for _ in range(2):
        replies = await bot.engine.handle(Incoming("web", "caller", payload="q:cb"))
        day = next(
            b.payload or ""
            for r in replies
            for row in r.buttons
            for b in row
            if (b.payload or "").startswith("q:d:")
        )
        replies = await bot.engine.handle(Incoming("web", "caller", payload=day))
        time = next(
            b.payload or ""
            for r in replies
            for row in r.buttons
            for b in row
            if (b.payload or "").startswith("q:t:")
        )
        await bot.engine.handle(Incoming("web", "caller", payload=time))
        replies = await bot.engine.handle(Incoming("web", "caller", payload="q:cy"))
        if "Код заявки" not in (text := "\n".join(r.text for r in replies)) and "У вас уже" not in text:
            replies = await bot.engine.handle(Incoming("web", "caller", text="0671112233"))  # a number asked
        codes.append("\n".join(r.text for r in replies))
    first = re.search(r"Код заявки: (\S+)\.", codes[0])
    assert first is not None
    assert f"У вас уже є замовлений дзвінок {first.group(1)}" in codes[1] and "передзвонить" in codes[1]


async def test_a_move_counts_nothing_twice_and_a_move_into_another_month_counts_there(bot: Bot) -> None:
    """A person at the month's limit may still move a booking within the month (it stays one booking); a move
    into January is a January booking and counts there. The priority booking of a day is not counted again when
    a priority booking moves within that day."""
    service = BookingService(bot.engine.kb, martial_law=True)
    person = await _verified(bot, "mover")
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "mover")
        day = (await service.days(uow, "saksahan-uszn", SERVICE, now=NOW, priority=True))[0]
        first, second = (await service.times(uow, "saksahan-uszn", SERVICE, day, now=NOW, priority=True))[:2]
        kw: dict[str, Any] = {"office": "saksahan-uszn", "service": SERVICE, "now": NOW}
        made = await service.book(uow, user, start=first.start, priority_group="combatant", token="a", **kw)
        assert isinstance(made, Booking)
        for _ in range(3):  # three more bookings this month (of other services): the limit is reached
            assert await uow.people.count_up(person, "month:2026-12", 4)
        moved = await service.reschedule(uow, user, made, start=second.start, token="b", now=NOW)
        assert isinstance(moved, Booking) and moved.priority
        assert await uow.people.counted(person, "month:2026-12") == 4
        assert await uow.people.counted(person, f"priority:{day.isoformat()}:{SERVICE}") == 1
    # Into January: counted there (the horizon reaches it from 28 December).
    late = dt.datetime(2026, 12, 28, 7, 0, tzinfo=dt.UTC)
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "mover")
        (active,) = await uow.bookings.active_for(user.id)
        days = await service.days(uow, "saksahan-uszn", SERVICE, now=late, priority=True, limit=14)
        january = next(d for d in days if d.month == 1)
        slot = (await service.times(uow, "saksahan-uszn", SERVICE, january, now=late, priority=True))[0]
        moved = await service.reschedule(uow, user, active, start=slot.start, token="c", now=late)
        assert isinstance(moved, Booking)
        assert await uow.people.counted(person, "month:2027-01") == 1
        assert await uow.people.counted(person, "month:2026-12") == 4  # cancelled ones stay counted


async def test_moving_a_priority_booking_while_blocked_keeps_the_old_one(bot: Bot) -> None:
    person = await _verified(bot, "mv-vet")

    async def press(payload: str) -> tuple[str, list[str]]:
        replies = await bot.engine.handle(Incoming("web", "mv-vet", payload=payload))
        return "\n".join(r.text for r in replies), [
            b.payload or "" for r in replies for row in r.buttons for b in row
        ]

    _, buttons = await press(f"q:s:{SERVICE}")
    _, buttons = await press("q:p:combatant")
    _, buttons = await press(next(p for p in buttons if p.startswith("q:d:")))
    _, buttons = await press(next(p for p in buttons if p.startswith("q:t:")))
    text, _ = await press(next(p for p in buttons if p.startswith("q:ok:")))
    code = re.search(r"Код запису: \*\*(\S+)\*\*", text)
    assert code is not None
    async with bot.uow_factory() as uow:
        await uow.people.block(person, NOW + dt.timedelta(days=30), by="operator")
    _, buttons = await press(f"q:r:{code.group(1)}")
    _, buttons = await press([p for p in buttons if p.startswith("q:d:")][1])
    _, buttons = await press(next(p for p in buttons if p.startswith("q:t:")))
    text, _ = await press(next(p for p in buttons if p.startswith("q:ok:")))
    assert "зараз недоступний" in text and f"попередній запис {code.group(1)} залишається" in text
    async with bot.uow_factory() as uow:
        kept = await uow.bookings.by_code(code.group(1))
    assert kept is not None and kept.status == "booked" and kept.priority
