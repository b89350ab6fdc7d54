"""The handoff on a real PostgreSQL server with two bots built apart (two object graphs sharing nothing but the
database, as two processes would): a citizen's ticket opened through one is taken and answered through the other,
two operators pressing «Взяти» at once on different bots give it to one, a double ask opens one ticket, and the
relay rows are sent once whichever bot's dispatcher runs."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

from bot.app import Bot, build
from bot.outbox import dispatch
from bot.settings import Settings
from dialogs.handoff.canned import CannedAnswers
from dialogs.handoff.desk import Desk, OperatorEvent
from dialogs.messages import Incoming, Reply
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.handoff import Ticket
from storage.outbox import Outbox
from testkit.servers import throwaway_postgres

MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # 11:00 in Kyiv: the hotline answers
TOPIC = 7001


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_postgres("viza-pg-handoff-") as url:
        yield url


async def _bot(url: str, kb: Knowledge, index: SearchIndex) -> tuple[Bot, Desk]:
    bot = await build(Settings(_env_file=None, database_url=url), kb=kb, index=index, clock=lambda: MONDAY)  # type: ignore[call-arg]
    assert bot.handoff is not None
    bot.handoff.enabled = True  # an operator group, as far as the conversation is concerned
    bot.handoff.kick = None  # each test runs the dispatch itself
    canned = CannedAnswers(kb, bot.engine.views, martial_law=True)
    return bot, Desk(bot.handoff, frozenset({"501", "502"}), canned, canned.keys)


@pytest.fixture()
async def two(
    pg_url: str, kb: Knowledge, index: SearchIndex
) -> AsyncIterator[tuple[tuple[Bot, Desk], tuple[Bot, Desk]]]:
    a = await _bot(pg_url, kb, index)
    b = await _bot(pg_url, kb, index)
    async with a[0].uow_factory() as uow:  # each test starts from an empty handoff
        await uow.session.execute(Outbox.__table__.delete())
        await uow.session.execute(Ticket.__table__.delete())
    yield a, b
    await a[0].close()
    await b[0].close()


async def _ticket(bot: Bot) -> Ticket:
    async with bot.uow_factory() as uow:
        tickets = list((await uow.session.execute(select(Ticket))).scalars())
        assert len(tickets) == 1
        return tickets[0]


async def test_a_ticket_opened_on_one_bot_is_answered_through_the_other(
    two: tuple[tuple[Bot, Desk], tuple[Bot, Desk]],
) -> None:
    (a, _), (b, desk_b) = two
    replies = await a.engine.handle(Incoming("web", "pg-citizen", text="оператор"))
    assert "Ви в черзі 1-й" in replies[0].text
    ticket = await _ticket(a)
    async with b.uow_factory() as uow:
        await uow.tickets.set_topic(ticket.id, TOPIC, was=None)
    async with b.uow_factory() as uow:
        await desk_b.handle(uow, OperatorEvent("501", "Оксана", TOPIC, text="Вітаю, це оператор"), MONDAY)
    async with a.uow_factory() as uow:  # bot A reads what bot B wrote
        user = await uow.users.get("web", "pg-citizen")
        assert user is not None
        lines = [(m.direction, m.text) for m in await uow.messages.recent(user.id, 20)]
    assert ("op", "👤 Оператор: Вітаю, це оператор") in lines
    assert (
        await a.engine.handle(Incoming("web", "pg-citizen", text="Дякую, питання таке")) == []
    )  # held: relayed
    async with b.uow_factory() as uow:
        rows = list(
            (await uow.session.execute(select(Outbox).where(Outbox.channel == "operators"))).scalars()
        )
    assert [r.text for r in rows][-1] == "👤 Дякую, питання таке"


async def test_two_operators_on_two_bots_take_a_ticket_once(
    two: tuple[tuple[Bot, Desk], tuple[Bot, Desk]],
) -> None:
    (a, desk_a), (b, desk_b) = two
    await a.engine.handle(Incoming("web", "pg-race", text="оператор"))
    ticket = await _ticket(a)
    async with a.uow_factory() as uow:
        await uow.tickets.set_topic(ticket.id, TOPIC, was=None)

    async def take(bot: Bot, desk: Desk, operator: str, name: str) -> list[str]:
        async with bot.uow_factory() as uow:
            event = OperatorEvent(operator, name, TOPIC, payload=f"tk:take:{ticket.id}")
            return [r.text for r in (await desk.handle(uow, event, MONDAY)).replies]

    first, second = await asyncio.gather(take(a, desk_a, "501", "Оксана"), take(b, desk_b, "502", "Петро"))
    taken = await _ticket(a)
    assert taken.status == "open" and taken.operator_name in ("Оксана", "Петро")
    winner = first if taken.operator_name == "Оксана" else second
    assert any("Взяв(-ла)" in t for t in winner)
    async with a.uow_factory() as uow:  # the citizen was told once
        user = await uow.users.get("web", "pg-race")
        assert user is not None
        told = [m.text for m in await uow.messages.recent(user.id, 20) if "на зв'язку" in m.text]
    assert len(told) == 1


async def test_a_double_ask_through_two_bots_opens_one_ticket(
    two: tuple[tuple[Bot, Desk], tuple[Bot, Desk]],
) -> None:
    (a, _), (b, _) = two
    await a.engine.handle(Incoming("web", "pg-double", text="/start"))
    await asyncio.gather(
        a.engine.handle(Incoming("web", "pg-double", text="оператор")),
        b.engine.handle(Incoming("web", "pg-double", text="оператор")),
    )
    await _ticket(a)  # exactly one


async def test_relay_rows_are_sent_once_whichever_bot_dispatches(
    two: tuple[tuple[Bot, Desk], tuple[Bot, Desk]],
) -> None:
    (a, _), (b, _) = two
    await a.engine.handle(Incoming("web", "pg-relay", text="оператор"))
    for i in range(8):  # a person's pace: the flood limit is not what this is about
        await a.engine.handle(Incoming("web", "pg-relay", text=f"рядок {i}"))
    ticket = await _ticket(a)
    async with a.uow_factory() as uow:  # taken: its topic exists (the lines of a waiting ticket are held)
        await uow.tickets.set_topic(ticket.id, TOPIC, was=None)
    sent: list[str] = []

    async def operators(ticket: str, reply: Reply) -> bool:
        await asyncio.sleep(0.001)
        sent.append(reply.text)
        return True

    await asyncio.gather(
        dispatch(a.uow_factory, {"operators": operators}), dispatch(b.uow_factory, {"operators": operators})
    )
    relayed = [t for t in sent if t.startswith("👤 рядок")]
    assert sorted(relayed) == sorted(f"👤 рядок {i}" for i in range(8)) and len(relayed) == 8
    async with a.uow_factory() as uow:  # relay rows are deleted once sent
        assert list((await uow.session.execute(select(Outbox))).scalars()) == []
