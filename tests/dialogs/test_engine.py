"""Engine behaviour that transcripts cannot show: concurrency, locks, payload size, long answers."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.app import Bot
from dialogs import texts
from dialogs.engine import Engine
from dialogs.locks import KeyedLocks
from dialogs.messages import MAX_PAYLOAD_BYTES, Incoming
from dialogs.render import MAX_PART
from testkit.clocks import TEST_NOW


async def test_a_double_tap_is_taken_once(bot: Bot) -> None:
    await bot.turns.take(Incoming("web", "tap", payload="s:birth"))
    tap = Incoming("web", "tap", payload="a:birth:q1:married_diff")
    first, second = await asyncio.gather(bot.turns.take(tap), bot.turns.take(tap))
    assert first is not None and second is not None
    texts = ["\n".join(r.text for r in first), "\n".join(r.text for r in second)]
    assert sum("обоє батьків" in t and "неактуальна" not in t for t in texts) == 1
    assert sum("неактуальна" in t for t in texts) == 1
    assert len(bot.turns.locks) == 0  # nothing left behind


async def test_keyed_locks_serialise_one_key_only() -> None:
    locks, order = KeyedLocks(), []

    async def work(key: str, tag: str) -> None:
        async with locks.hold(key):
            order.append(f"{tag}+")
            await asyncio.sleep(0.01)
            order.append(f"{tag}-")

    await asyncio.gather(work("a", "1"), work("a", "2"), work("b", "3"))
    assert order.index("1-") < order.index("2+")  # same key: one after the other
    assert order.index("3+") < order.index("1-")  # other key: not held up
    assert len(locks) == 0


async def test_every_reply_fits_a_message_and_every_button_64_bytes(bot: Bot) -> None:
    engine = bot.engine
    for sc in engine.scenarios.values():
        replies = await engine.handle(Incoming("web", f"all-{sc.id}", payload=f"s:{sc.id}"))
        for _ in range(6):  # answer «не знаю» (or the first option) until the checklist
            buttons = [
                b
                for r in replies
                for row in r.buttons
                for b in row
                if b.payload and b.payload.startswith("a:")
            ]
            if not buttons:
                break
            choice = next((b for b in buttons if b.payload and b.payload.endswith(":unknown")), buttons[0])
            replies = await engine.handle(Incoming("web", f"all-{sc.id}", payload=choice.payload))
        assert any("Ваш перелік" in r.text for r in replies), sc.id
        for r in replies:
            assert len(r.text) <= MAX_PART
            assert all(len((b.payload or "").encode()) <= MAX_PAYLOAD_BYTES for row in r.buttons for b in row)


async def test_a_short_stale_session_never_cuts_an_active_dialog(bot: Bot) -> None:
    """The dialog's time is stored coarsely to spare writes, but never more coarsely than the stale limit allows."""
    now = [TEST_NOW]
    e = bot.engine
    engine = Engine(
        e.kb, e.index, e.scenarios, bot.uow_factory, stale_after=dt.timedelta(minutes=2), clock=lambda: now[0]
    )
    await engine.handle(Incoming("web", "quick", payload="s:birth"))
    for payload in ("a:birth:q1:not_married", "b"):
        now[0] += dt.timedelta(seconds=90)  # each answer 90 s after the one before
        replies = await engine.handle(Incoming("web", "quick", payload=payload))
        assert not any(texts.STALE_SESSION in r.text for r in replies)
