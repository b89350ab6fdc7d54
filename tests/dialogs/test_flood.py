"""Flood control: the limiter on an injected clock, then the engine and the web API under one citizen's flood."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event

from bot.app import Bot
from dialogs import flood
from dialogs.flood import NOTICE, FloodLimiter, Verdict
from dialogs.messages import Incoming, Reply
from knowledge import search

P, N, D = Verdict.PROCESS, Verdict.NOTICE, Verdict.DROP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(rate: float = 1.0, burst: int = 10, **kwargs: Any) -> tuple[FloodLimiter, Clock]:
    clock = Clock()
    return FloodLimiter(rate, burst, clock=clock, **kwargs), clock


def test_a_burst_is_processed_then_one_notice_then_quiet() -> None:
    lim, _ = limiter(burst=10)
    verdicts = [lim.check("web", "a") for _ in range(500)]
    assert verdicts == [P] * 10 + [N] + [D] * 489
    assert (lim.episodes, lim.refused) == (1, 490)


def test_people_are_never_limited() -> None:
    """Defaults: an album of ten photos, pasted lines, quick taps, then a long brisk conversation."""
    clock = Clock()
    lim = FloodLimiter(clock=clock)
    for _ in range(3):  # three albums of ten photos with their captions, as fast as the messenger delivers
        assert all(lim.check("telegram", "1") is P for _ in range(11))
        clock.now += 0.5
    for _ in range(300):  # then ten minutes of a brisk conversation, a message every two seconds
        clock.now += 2.0
        assert lim.check("telegram", "1") is P
    for _ in range(40):  # then quick taps through menus, four a second for ten seconds
        clock.now += 0.25
        assert lim.check("telegram", "1") is P
    for _ in range(60):  # and a minute of one message a second straight after
        clock.now += 1.0
        assert lim.check("telegram", "1") is P


def test_sustained_rate_is_processed_and_a_faster_flood_stays_quiet() -> None:
    lim, clock = limiter(rate=1.0, burst=10)
    for _ in range(10):
        assert lim.check("web", "a") is P  # the bucket is empty now
    for _ in range(100):  # exactly the rate: every message processed
        clock.now += 1.0
        assert lim.check("web", "a") is P
    seen = []
    for _ in range(1000):  # 1.25 a second for 800 s: refused messages keep the bucket down, one notice only
        clock.now += 0.8
        seen.append(lim.check("web", "a"))
    assert seen.count(N) == 1 and seen.count(P) <= 3


def test_a_flooder_who_stops_is_heard_again_within_a_few_seconds() -> None:
    lim, clock = limiter(rate=1.0, burst=10)
    for _ in range(200):
        lim.check("web", "a")
    clock.now += 1.0 + flood.DEBT  # «зачекайте кілька секунд»
    assert lim.check("web", "a") is P
    assert lim.check("web", "a") is D  # still inside the episode: no second notice
    clock.now += 1.0
    assert lim.check("web", "a") is D  # the refused one above cost a token too
    clock.now += 2.0
    assert lim.check("web", "a") is P


def test_one_notice_per_episode_and_a_new_episode_after_calm() -> None:
    lim, clock = limiter(rate=1.0, burst=10)
    seen = []
    for _ in range(5):  # five bursts of 30, 5 s apart: one episode (the bucket never fills again)
        seen += [lim.check("web", "a") for _ in range(30)]
        clock.now += 5.0
    assert seen.count(N) == 1
    clock.now += 10.0 + flood.DEBT + 1  # calm long enough to fill the bucket: the episode is over
    again = [lim.check("web", "a") for _ in range(30)]
    assert again == [P] * 10 + [N] + [D] * 19
    assert lim.episodes == 2


def test_citizens_and_channels_are_limited_apart() -> None:
    lim, _ = limiter(burst=3)
    for _ in range(10):
        lim.check("web", "a")
    assert lim.check("web", "b") is P
    assert lim.check("telegram", "a") is P  # the same id on another channel is another citizen
    assert lim.check("web", "a") is D


def test_memory_is_bounded_and_the_least_recently_heard_go_first() -> None:
    lim, _ = limiter(burst=3, capacity=100)
    for _ in range(10):
        lim.check("web", "flooder")
    for i in range(99):
        lim.check("web", f"other-{i}")
    assert lim.check("web", "flooder") is D  # heard again: remembered, still limited
    for i in range(10_000):  # new ids push out the least recently heard, not a flooder who keeps sending
        lim.check("web", f"rotating-{i}")
        if i < 200:
            assert lim.check("web", "flooder") is D
    assert len(lim) == 100
    lim2, _ = limiter(burst=3, capacity=100)
    for _ in range(10):
        lim2.check("web", "flooder")
    assert lim2.check("web", "flooder") is D
    for i in range(100):
        lim2.check("web", f"new-{i}")
    assert len(lim2) == 100
    assert lim2.check("web", "flooder") is P  # forgotten, so it starts afresh like any new citizen


def test_forget_is_not_dropped_for_being_one_too_many_but_cannot_flood() -> None:
    lim, clock = limiter(burst=3)
    for _ in range(20):
        lim.check("web", "a")
    assert lim.check("web", "a", forget=True) is P
    assert [lim.check("web", "a", forget=True) for _ in range(100)] == [D] * 100  # nothing left to erase
    clock.now += flood.FORGET_GAP
    assert lim.check("web", "a", forget=True) is P


def test_burst_zero_turns_it_off() -> None:
    lim, _ = limiter(burst=0)
    assert all(lim.check("web", "a") is P for _ in range(1000))
    assert len(lim) == 0
    with pytest.raises(ValueError):
        FloodLimiter(0.0, 10)


def test_log_lines_are_aggregated_and_name_no_citizen(caplog: pytest.LogCaptureFixture) -> None:
    lim, clock = limiter(burst=2)
    caplog.set_level(logging.INFO, logger="dialogs.flood")
    for i in range(50):  # fifty citizens flood within a minute
        for _ in range(20):
            lim.check("viber", f"secret-id-{i}")
        clock.now += 1.0
    lines = [r.getMessage() for r in caplog.records if r.name == "dialogs.flood"]
    assert len(lines) == 1 and "secret-id" not in lines[0]
    clock.now += flood.LOG_EVERY
    for _ in range(20):
        lim.check("viber", "secret-id-x")
    lines = [r.getMessage() for r in caplog.records if r.name == "dialogs.flood"]
    assert len(lines) == 2 and "(viber 1)" in lines[0] and "secret-id" not in lines[1]
    assert "(viber 50)" in lines[1]  # the episodes begun since the first line, counted, not named


# The engine and the web API under a flood.


@contextmanager
def statements(bot: Bot) -> Iterator[list[str]]:
    """Every SQL statement the bot's database runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(bot.db.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(bot.db.sync_engine, "before_cursor_execute", note)


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN")]


def said(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_a_flood_costs_no_database_work_and_others_are_served(bot: Bot) -> None:
    clock = Clock()
    bot.engine.flood = FloodLimiter(1.0, 10, clock=clock)
    engine = bot.engine
    await engine.handle(Incoming("web", "other", text="/start"))
    await bot.uow_factory.write_log()
    with statements(bot) as everything:
        await engine.handle(Incoming("web", "flooder", payload="s:birth"))  # progress that must survive
        for _ in range(9):
            await engine.handle(Incoming("web", "flooder", text="абв"))
        notices = 0
        with statements(bot) as seen:
            for i in range(490):
                replies = await engine.handle(Incoming("web", "flooder", payload="a:birth:q1:married_diff"))
                notices += said(replies) == NOTICE
                assert len(replies) == (1 if i == 0 else 0)
        await bot.uow_factory.write_log()
    assert notices == 1
    assert seen == []  # nothing read, nothing written for a refused message
    # 500 messages: at most a write per processed step, the new citizen's rows, one batch of log lines and one of
    # the statistics' counts (storage/stats.py)
    assert len(writes(everything)) <= 10 + 4
    # Another citizen in the middle of the flood is answered as usual.
    assert "Оберіть свою життєву ситуацію" in said(
        await engine.handle(Incoming("web", "other", payload="m:sit"))
    )
    await bot.uow_factory.write_log()
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "flooder")
        lines = await uow.messages.recent(user.id, 1000)
    assert sum(line.direction == "in" for line in lines) == 10  # the burst only
    # The flooder's dialog kept its place: the answer they re-send after a pause is taken.
    clock.now += 10.0
    replies = await engine.handle(Incoming("web", "flooder", payload="a:birth:q1:married_diff"))
    assert "обоє батьків" in said(replies)


async def test_forget_during_a_flood_erases(bot: Bot) -> None:
    bot.engine.flood = FloodLimiter(1.0, 3, clock=Clock())
    for _ in range(20):
        await bot.engine.handle(Incoming("web", "f", text="паспорт"))
    replies = await bot.engine.handle(Incoming("web", "f", payload="f:yes"))
    assert replies and replies[0].text != NOTICE
    await bot.uow_factory.write_log()
    async with bot.uow_factory() as uow:
        user, _ = await uow.users.with_state("web", "f")
        assert await uow.messages.recent(user.id, 100) == []


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


async def test_the_web_api_answers_200_with_the_notice_then_nothing(client: TestClient, bot: Bot) -> None:  # type: ignore[type-arg]
    bot.engine.flood = FloodLimiter(1.0, 5, clock=Clock())
    bodies = []
    for _ in range(8):
        resp = await client.post("/api/chat", json={"session": "web-flood", "text": "паспорт"})
        assert resp.status == 200
        bodies.append((await resp.json())["replies"])
    assert all(b and b[0]["text"] != NOTICE for b in bodies[:5])
    assert [r["text"] for r in bodies[5]] == [NOTICE]
    assert bodies[6:] == [[], []]


async def test_the_bot_has_flood_control_by_default(bot: Bot) -> None:
    lim = bot.engine.flood
    assert (lim.rate, lim.burst) == (1.0, float(flood.DEFAULT_BURST)) and lim.burst > 0


# The cost of any one message: the work a 500-character keyboard mash may cause in the search is bounded.


def mash(seed: int) -> str:
    rnd = random.Random(seed)
    letters = "абвгдеєжзиіїйклмнопрстуфхцчшщьюя"
    text = ""
    while len(text) < 500:
        text += "".join(rnd.choice(letters) for _ in range(rnd.randint(3, 9))) + " "
    return text[:500]


def test_gibberish_gets_few_guessed_lemmas_and_typo_lookups(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, lem = bot.engine.index, bot.engine.index.lemmatizer
    guesses, lookups, forms = [], [], []
    parse, similar, lemma_forms = lem._uk.parse, index.similar, lem.forms

    def counted_parse(word: str) -> Any:
        if not lem.known(word):
            guesses.append(word)
        return parse(word)

    def counted_similar(form: str) -> Any:
        lookups.append(form)
        return similar(form)

    def counted_forms(word: str, guess: bool = True) -> Any:
        forms.append(word)
        return lemma_forms(word, guess)

    monkeypatch.setattr(lem._uk, "parse", counted_parse)
    monkeypatch.setattr(index, "similar", counted_similar)
    monkeypatch.setattr(lem, "forms", counted_forms)
    for seed in range(20):  # each text new: nothing cached
        guesses.clear()
        lookups.clear()
        bot.engine.understander.understand(mash(seed))
        assert len(guesses) <= 4  # a guessed lemma costs ≈ 80 µs
        assert len(lookups) <= 12  # six words at most, each as written and as a guessed lemma
    forms.clear()
    bot.engine.understander.understand("-".join(["аб"] * 166))  # one «word» of 166 parts
    assert len(forms) <= 2 * search.MAX_QUERY_TOKENS
