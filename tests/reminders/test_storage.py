"""Reminder rows: the atomic claim with a lease, conditional outcomes, retries and giving up, the cancels (by the
citizen, a booking, a blocked bot), the citizen's list, the staff listing, /forget — on SQLite, and the claim on a
real PostgreSQL server."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.reminders import (
    CANCELLED,
    FAILED,
    MAX_ATTEMPTS,
    MISSED,
    PENDING,
    SENDING,
    SENT,
    Reminder,
)
from storage.uow import UnitOfWorkFactory
from testkit.clocks import test_clock
from tests.storage.test_postgres import postgres_url  # noqa: F401 - the throwaway server fixture

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=60)
MIN = dt.timedelta(minutes=1)


@pytest.fixture()
async def uows(tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/r.sqlite3")
    await upgrade(engine)
    factory = UnitOfWorkFactory(make_sessionmaker(engine), serialize=True, clock=test_clock())
    yield factory
    await factory.close()
    await engine.dispose()


async def citizen(uows: UnitOfWorkFactory, external_id: str = "42", channel: str = "telegram") -> int:
    async with uows() as uow:
        user = await uow.users.get_or_create(channel, external_id)
        await uow.session.flush()
        return user.id


async def remind(
    uows: UnitOfWorkFactory, user_id: int, due: dt.datetime, *, channel: str = "telegram", **fields: object
) -> int:
    async with uows() as uow:
        r = uow.reminders.add(
            user_id=user_id, channel=channel, kind=fields.pop("kind", "ready"), due_at=due, **fields
        )
        await uow.session.flush()
        return r.id


async def status(uows: UnitOfWorkFactory, reminder_id: int) -> tuple[str, int]:
    async with uows() as uow:
        r = await uow.reminders.get(reminder_id)
        assert r is not None
        return r.status, r.attempts


async def claim(uows: UnitOfWorkFactory, now: dt.datetime, limit: int = 100, **kw: object) -> list[Reminder]:
    async with uows() as uow:
        return await uow.reminders.claim_due(now, limit, LEASE, **kw)  # type: ignore[arg-type]


async def test_add_refuses_an_unknown_kind_and_a_naive_time(uows: UnitOfWorkFactory) -> None:
    user = await citizen(uows)
    async with uows() as uow:
        with pytest.raises(ValueError, match="kind"):
            uow.reminders.add(user_id=user, channel="telegram", kind="birthday", due_at=NOW)
        with pytest.raises(ValueError, match="timezone"):
            uow.reminders.add(user_id=user, channel="telegram", kind="ready", due_at=NOW.replace(tzinfo=None))


async def test_claim_takes_due_rows_soonest_first_up_to_the_limit(uows: UnitOfWorkFactory) -> None:
    user = await citizen(uows)
    late = await remind(uows, user, NOW - MIN)
    early = await remind(uows, user, NOW - 5 * MIN)
    middle = await remind(uows, user, NOW - 3 * MIN)
    future = await remind(uows, user, NOW + LEASE / 2)
    got = await claim(uows, NOW, limit=2)
    assert [r.id for r in got] == [early, middle]
    assert all(r.status == SENDING and r.attempts == 1 and r.lease_until == NOW + LEASE for r in got)
    assert [r.id for r in await claim(uows, NOW)] == [late]  # the claimed ones are held
    assert await claim(uows, NOW) == []
    assert await status(uows, future) == (PENDING, 0)
    assert [r.id for r in await claim(uows, NOW + LEASE / 2)] == [future]


async def test_claim_only_takes_the_channels_asked_for(uows: UnitOfWorkFactory) -> None:
    tg, vb = await citizen(uows, "1", "telegram"), await citizen(uows, "2", "viber")
    await remind(uows, tg, NOW, channel="telegram")
    on_viber = await remind(uows, vb, NOW, channel="viber")
    assert [r.id for r in await claim(uows, NOW, channels={"viber", "web"})] == [on_viber]


async def test_an_expired_lease_is_claimed_again_and_gives_up_after_max_attempts(
    uows: UnitOfWorkFactory,
) -> None:
    user = await citizen(uows)
    rid = await remind(uows, user, NOW)
    at = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        [got] = await claim(uows, at)  # … and its dispatcher dies each time
        assert got.id == rid and got.attempts == attempt
        assert await claim(uows, at + LEASE - dt.timedelta(seconds=1)) == []  # still held
        at += LEASE
    assert await claim(uows, at) == []
    assert await status(uows, rid) == (FAILED, MAX_ATTEMPTS)


async def test_outcomes_are_conditional_on_the_claim(uows: UnitOfWorkFactory) -> None:
    """A dispatcher whose lease ran out and was overtaken cannot overwrite the newer claim's outcome."""
    user = await citizen(uows)
    rid = await remind(uows, user, NOW)
    [old] = await claim(uows, NOW)
    [new] = await claim(uows, NOW + LEASE)
    assert new.attempts == old.attempts + 1
    async with uows() as uow:
        assert await uow.reminders.done(old, NOW + LEASE) is False
        assert await uow.reminders.failed(old, NOW + LEASE, final=True) is False
        assert await uow.reminders.done(new, NOW + LEASE) is True
    assert await status(uows, rid) == (SENT, 2)
    async with uows() as uow:
        assert await uow.reminders.cancel(new) is False  # sent stays sent
        row = await uow.reminders.get(rid)
        assert row is not None and row.sent_at == NOW + LEASE and row.lease_until is None


async def test_a_failed_try_waits_for_its_pause_then_is_claimed_again(uows: UnitOfWorkFactory) -> None:
    user = await citizen(uows)
    rid = await remind(uows, user, NOW)
    [got] = await claim(uows, NOW)
    async with uows() as uow:
        assert await uow.reminders.failed(got, NOW, final=False, retry_at=NOW + 2 * MIN)
    assert await status(uows, rid) == (PENDING, 1)
    assert await claim(uows, NOW + MIN) == []
    [again] = await claim(uows, NOW + 2 * MIN)
    assert again.attempts == 2
    async with uows() as uow:
        assert await uow.reminders.failed(again, NOW, final=True)
    assert await status(uows, rid) == (FAILED, 2)


async def test_release_gives_a_claim_back_uncounted_and_missed_is_recorded(uows: UnitOfWorkFactory) -> None:
    user = await citizen(uows)
    first, second = await remind(uows, user, NOW), await remind(uows, user, NOW + dt.timedelta(seconds=1))
    a, b = await claim(uows, NOW + MIN)
    async with uows() as uow:
        assert await uow.reminders.release(a)
        assert await uow.reminders.missed(b)
    assert await status(uows, first) == (PENDING, 0)
    assert await status(uows, second) == (MISSED, 1)
    assert [r.id for r in await claim(uows, NOW + MIN)] == [first]


async def test_cancels_by_booking_by_citizen_and_by_blocked_channel(uows: UnitOfWorkFactory) -> None:
    ann, bob = await citizen(uows, "1"), await citizen(uows, "2")
    evening = await remind(uows, ann, NOW + MIN, kind="appointment", booking_code="K7M-4QX")
    before = await remind(uows, ann, NOW + 2 * MIN, kind="appointment", booking_code="K7M-4QX")
    ready = await remind(uows, ann, NOW + 3 * MIN)
    sent = await remind(uows, ann, NOW - MIN)
    bobs = [await remind(uows, bob, NOW + n * MIN) for n in (1, 2)]
    [got] = await claim(uows, NOW)
    async with uows() as uow:
        assert await uow.reminders.done(got, NOW)
        assert await uow.reminders.cancel_for_booking("K7M-4QX") == 2
        assert [r.id for r in await uow.reminders.for_user(ann)] == [ready]
        assert await uow.reminders.cancel_all(ann) == 1
        assert await uow.reminders.for_user(ann) == []
        assert [r.id for r in await uow.reminders.for_user(bob)] == bobs
        assert await uow.reminders.cancel_user_channel("telegram", "2") == 2
        assert await uow.reminders.cancel_user_channel("viber", "2") == 0
    for rid in (evening, before, ready, *bobs):
        assert (await status(uows, rid))[0] == CANCELLED
    assert (await status(uows, sent))[0] == SENT
    async with uows() as uow:
        assert [r.id for r in await uow.reminders.listing(SENT)] == [sent]
        assert len(await uow.reminders.listing(CANCELLED)) == 5
        assert [r.due_at for r in await uow.reminders.listing()] == sorted(
            r.due_at for r in await uow.reminders.listing()
        )


async def test_forget_erases_the_citizens_reminders_only(uows: UnitOfWorkFactory) -> None:
    ann, bob = await citizen(uows, "1"), await citizen(uows, "2")
    for n in range(3):
        await remind(uows, ann, NOW + n * MIN)
    kept = await remind(uows, bob, NOW)
    async with uows() as uow:
        user = await uow.users.get("telegram", "1")
        assert user is not None
        await uow.users.erase(user)
    async with uows() as uow:
        rows = (await uow.session.execute(select(Reminder.id))).scalars().all()
    assert rows == [kept]


async def test_the_claim_is_atomic_on_postgres(postgres_url: str) -> None:  # noqa: F811
    """Eight sessions racing on PostgreSQL (FOR UPDATE SKIP LOCKED): every due row claimed exactly once, at most
    `limit` per claim, and a claim that meets rows another claim holds skips them instead of waiting."""
    engine = make_engine(postgres_url)
    try:
        await upgrade(engine)
        uows = UnitOfWorkFactory(make_sessionmaker(engine), clock=test_clock())
        async with uows() as uow:
            await uow.session.execute(delete(Reminder))
        user = await citizen(uows, "pg-claim")
        async with uows() as uow:
            for n in range(300):
                uow.reminders.add(user_id=user, channel="telegram", kind="ready", due_at=NOW - n * MIN)

        async def worker() -> list[int]:
            mine: list[int] = []
            while got := await claim(uows, NOW, limit=7):
                assert len(got) <= 7  # the limit holds on PostgreSQL too
                mine += [r.id for r in got]
                await asyncio.sleep(0)
            return mine

        async with uows() as held:  # an open claim's locks are skipped by the others, not waited for
            first = await held.reminders.claim_due(NOW, 5, LEASE)
            async with uows() as other:
                second = await asyncio.wait_for(other.reminders.claim_due(NOW, 5, LEASE), 5)
            assert len(first) == len(second) == 5 and not {r.id for r in first} & {r.id for r in second}
            await held.session.rollback()
        async with uows() as uow:
            await uow.session.execute(update(Reminder).values(status=PENDING, attempts=0, lease_until=None))
        claims = await asyncio.gather(*(worker() for _ in range(8)))
        every = [rid for mine in claims for rid in mine]
        assert len(every) == 300 and len(set(every)) == 300
        assert sum(1 for mine in claims if mine) > 1  # they really raced
        async with uows() as uow:
            count = select(func.count()).select_from(Reminder).where(Reminder.status == SENDING)
            assert (await uow.session.execute(count)).scalar_one() == 300
    finally:
        await engine.dispose()
