"""The operators' inbox through the real aiohttp application (the bot built as `python -m bot` builds it,
with STAFF_INBOX on): a web citizen asks for an operator, the ticket is in the inbox with its context, an
operator takes it and answers, the citizen's web chat history shows the answer, closing asks the citizen to
rate, and the rating is kept; the ticket is no longer free for the Telegram group once taken here; 401/403
and CSRF."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build
from bot.settings import Settings
from dialogs import texts as common
from dialogs.console import accounts
from dialogs.handoff import inbox, texts
from dialogs.handoff.canned import CannedAnswers
from dialogs.handoff.desk import Desk, OperatorEvent
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from storage.handoff import OPERATORS, Ticket
from tests.console.conftest import PASSWORD
from tests.console.test_api import session, sign_in

CITIZEN = "inbox-citizen"


def board_take(ticket_id: int) -> OperatorEvent:
    """A Telegram operator pressing «Взяти» on the group's queue message."""
    return OperatorEvent("77", "Ірина", None, payload=f"tk:take:{ticket_id}")


def inbox_settings(tmp_path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    return Settings(database_url=url, staff_inbox=True, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture()
async def desk_bot(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[Bot]:
    built = await build(inbox_settings(tmp_path), kb=kb, index=index, clock=clock)
    async with built.uow_factory() as uow:
        for login, role in (("anna", "admin"), ("roman", "registrar"), ("oksana", "operator")):
            await accounts.add_user(uow, login, role, PASSWORD, "test")
    yield built
    await built.close()


@pytest.fixture()
async def client(desk_bot: Bot) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(desk_bot.http, host="127.0.0.1")) as c:
        yield c


async def ask_operator(client: TestClient[Any, Any], session_id: str = CITIZEN) -> None:
    asked = {"session": session_id, "text": "Як отримати довідку про доходи?"}
    said = await client.post("/api/chat", json=asked)
    assert said.status == 200
    answer = await client.post("/api/chat", json={"session": session_id, "text": "оператор"})
    assert "Передаю розмову оператору" in (await answer.json())["replies"][0]["text"]


async def act(
    client: TestClient[Any, Any], tid: int, verb: str, csrf: str, text: str | None = None
) -> ClientResponse:
    body = {"text": text} if text is not None else None
    return await client.post(f"/staff/api/inbox/{tid}/{verb}", json=body, headers={"X-CSRF-Token": csrf})


async def history(client: TestClient[Any, Any], session_id: str = CITIZEN) -> list[dict[str, Any]]:
    response = await client.get("/api/chat/history", params={"session": session_id})
    return list((await response.json())["messages"])


async def test_an_operator_takes_answers_and_closes_a_web_citizens_ticket(
    desk_bot: Bot, client: TestClient[Any, Any], clock: ManualClock
) -> None:
    await ask_operator(client)
    clock.advance(dt.timedelta(minutes=7))
    assert await sign_in(client, "oksana") == 303
    csrf = (await session(client))["csrf"]
    listed = await (await client.get("/staff/api/inbox")).json()
    waiting = [(r["status"], r["channel"], r["waited"]) for r in listed["waiting"]]
    assert waiting == [("waiting", "Веб-чат", "7 хв")]
    assert listed["taken"] == []
    tid = listed["waiting"][0]["id"]
    page = await (await client.get("/staff/inbox")).text()
    assert f'href="/staff/inbox/{tid}"' in page and "7 хв" in page and 'src="/staff/static/inbox.js"' in page
    # The context, as the group's card tells it: what the citizen asked.
    view = await (await client.get(f"/staff/api/inbox/{tid}")).json()
    assert "довідку про доходи" in view["context"] and view["active"] is True
    assert any(line["who"] == "citizen" and "довідку про доходи" in line["text"] for line in view["lines"])
    # Taken in the console: no longer free for the group, and the citizen hears who took it.
    taken = await act(client, tid, "take", csrf)
    assert taken.status == 200 and (await taken.json())["lines"] == [texts.OP_TAKEN.format(name="oksana")]
    assert desk_bot.handoff is not None
    async with desk_bot.uow_factory() as uow:
        assert await uow.tickets.queue() == []
        board = await desk_bot.handoff.queue_board(uow)
        assert board.text == texts.OP_BOARD_EMPTY
        ticket = await uow.tickets.get(tid)
        assert ticket is not None and ticket.operator_id == "staff:oksana"
    assert texts.TAKEN.format(name="oksana") in [m["text"] for m in await history(client)]
    # The answer reaches the web chat's history as the operator's line.
    said = "Довідку видає ДПС, приходьте з паспортом."
    assert (await act(client, tid, "reply", csrf, said)).status == 200
    lines = [(m["role"], m["text"]) for m in await history(client)]
    assert ("operator", texts.OPERATOR_SAYS.format(text=said)) in lines
    # The citizen writes back: the console's conversation shows it after the last line it had.
    last = max(line["id"] for line in view["lines"])
    await client.post("/api/chat", json={"session": CITIZEN, "text": "Дякую, а скільки чекати?"})
    newer = await (await client.get(f"/staff/api/inbox/{tid}", params={"after": str(last)})).json()
    assert [line["who"] for line in newer["lines"]][-1] == "citizen"
    assert "скільки чекати" in newer["lines"][-1]["text"]
    assert all(line["id"] > last for line in newer["lines"])
    # A canned answer from the knowledge, as `/t hotline` in the group sends it.
    canned = await act(client, tid, "canned", csrf, "hotline")
    assert canned.status == 200 and (await canned.json())["lines"][-1].startswith("→ надіслано")
    assert texts.OPERATOR_SAYS.format(text=common.OPERATOR_BY_PHONE) == (await history(client))[-1]["text"]
    # Closing asks the citizen to rate, and the rating works as today.
    closed = await act(client, tid, "close", csrf)
    assert (await closed.json())["lines"] == [texts.OP_CLOSED.format(name="oksana")]
    last_line = (await history(client))[-1]
    assert last_line["text"] == texts.ENDED_BY_OPERATOR
    rate = next(b["payload"] for row in last_line["buttons"] for b in row if b["text"].startswith("5"))
    await client.post("/api/chat", json={"session": CITIZEN, "payload": rate})
    async with desk_bot.uow_factory() as uow:
        ticket = await uow.tickets.get(tid)
        assert ticket is not None and ticket.status == "closed" and ticket.rating == 5
        assert ticket.close_reason == "operator" and ticket.operator_name == "oksana"
        audited = {(e.actor, e.action, e.target) for e in await uow.audit.entries()}
    verbs = ("view", "take", "reply", "canned", "close")
    assert {("oksana", f"inbox.{verb}", f"ticket:{tid}") for verb in verbs} <= audited
    gone = await (await client.get(f"/staff/api/inbox/{tid}")).json()
    assert gone["active"] is False
    again = await act(client, tid, "reply", csrf, "ще")
    assert (await again.json())["lines"] == [texts.OP_CLOSED_ALREADY.format(id=tid)]


async def test_the_forms_work_without_script(desk_bot: Bot, client: TestClient[Any, Any]) -> None:
    await ask_operator(client)
    assert await sign_in(client, "anna") == 303
    page = await (await client.get("/staff/inbox")).text()
    tid = int(re.search(r'action="/staff/inbox/(\d+)/take"', page)[1])  # type: ignore[index]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]
    taken = await client.post(f"/staff/inbox/{tid}/take", data={"csrf": csrf})
    assert taken.status == 200 and "✋ Взяв(-ла): anna" in await taken.text()
    hello = "Вітаю! Чим допомогти?"
    replied = await client.post(f"/staff/inbox/{tid}/reply", data={"csrf": csrf, "text": hello})
    assert hello in await replied.text()
    empty = await client.post(f"/staff/inbox/{tid}/reply", data={"csrf": csrf, "text": "  "})
    assert empty.status == 422 and "Напишіть відповідь" in await empty.text()
    assert texts.OPERATOR_SAYS.format(text=hello) in [m["text"] for m in await history(client)]
    passed = await client.post(f"/staff/inbox/{tid}/pass", data={"csrf": csrf})  # back to the queue
    assert texts.OP_PASSED.format(name="anna") in await passed.text()
    assert (await history(client))[-1]["text"] == texts.PASSED_TO_ANOTHER
    listed = await (await client.get("/staff/api/inbox")).json()
    assert [r["id"] for r in listed["waiting"]] == [tid] and listed["taken"] == []
    closed = await client.post(f"/staff/inbox/{tid}/close", data={"csrf": csrf})
    assert "✅ Закрито: anna." in await closed.text() and "закрито" in await closed.text()
    assert (await history(client))[-1]["text"] == texts.ENDED_BY_OPERATOR


async def test_a_ticket_taken_in_telegram_is_not_free_in_the_console(
    desk_bot: Bot, client: TestClient[Any, Any]
) -> None:
    """And the other way: the group's «Взяти» on a ticket the console took says who has it."""
    await ask_operator(client)
    await ask_operator(client, "second-citizen")
    assert desk_bot.handoff is not None
    async with desk_bot.uow_factory() as uow:
        first, second = (t.id for t in await uow.tickets.queue())
    assert desk_bot.telegram is None  # no Telegram in this build: the desk the group's handler uses
    canned = CannedAnswers(desk_bot.engine.kb, desk_bot.engine.views, martial_law=True)
    telegram = Desk(desk_bot.handoff, frozenset({"77"}), canned, canned.keys)
    async with desk_bot.uow_factory() as uow:
        out = await telegram.handle(uow, board_take(first), desk_bot.uow_factory.clock())
        assert out.replies[0].text == texts.OP_TAKEN_FROM_BOARD.format(id=first)
    assert await sign_in(client, "oksana") == 303
    csrf = (await session(client))["csrf"]
    listed = await (await client.get("/staff/api/inbox")).json()
    assert [r["id"] for r in listed["waiting"]] == [second]
    assert [(r["id"], r["operator"], r["mine"]) for r in listed["taken"]] == [(first, "Ірина", False)]
    refused = await act(client, first, "reply", csrf, "моє")
    assert (await refused.json())["lines"] == [texts.OP_TAKEN_BY.format(id=first, name="Ірина")]
    assert (await act(client, second, "take", csrf)).status == 200
    async with desk_bot.uow_factory() as uow:
        out = await telegram.handle(uow, board_take(second), desk_bot.uow_factory.clock())
        assert out.replies[0].text == texts.OP_TAKEN_BY.format(id=second, name="oksana")
        # No Telegram group in this build: nothing is queued for one (tests/e2e/telegram/test_inbox_e2e.py has
        # the group seeing the console's lines in the ticket's topic).
        assert await uow.outbox.due(channels={OPERATORS}) == []


async def test_who_may_and_csrf(desk_bot: Bot, client: TestClient[Any, Any]) -> None:
    await ask_operator(client)
    assert (await client.get("/staff/api/inbox")).status == 401
    assert (await client.get("/staff/inbox", allow_redirects=False)).headers["Location"] == "/staff/login"
    assert await sign_in(client, "roman") == 303  # a registrar: no "inbox"
    csrf = (await session(client))["csrf"]
    assert (await client.get("/staff/api/inbox")).status == 403
    assert (await client.get("/staff/inbox")).status == 403
    assert (await client.post("/staff/api/inbox/1/take", headers={"X-CSRF-Token": csrf})).status == 403
    assert "/staff/inbox" not in await (await client.get("/staff/offices")).text()
    await client.post("/staff/logout", data={"csrf": csrf})
    assert await sign_in(client, "oksana") == 303
    csrf = (await session(client))["csrf"]
    assert 'href="/staff/inbox"' in await (await client.get("/staff/offices")).text()
    tid = (await (await client.get("/staff/api/inbox")).json())["waiting"][0]["id"]
    assert (await client.post(f"/staff/api/inbox/{tid}/take")).status == 403
    assert (await act(client, tid, "take", "forged")).status == 403
    assert (await client.post(f"/staff/inbox/{tid}/take", data={"csrf": "forged"})).status == 403
    still = await (await client.get("/staff/api/inbox")).json()
    assert [r["id"] for r in still["waiting"]] == [tid]
    assert (await client.get("/staff/api/inbox/99999")).status == 404
    bad = await act(client, tid, "reply", csrf, "")
    assert bad.status == 422 and (await bad.json())["field"] == "text"


def test_the_inbox_rules() -> None:
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    assert inbox.waited(now, now) == "щойно"
    assert inbox.waited(now - dt.timedelta(minutes=7, seconds=59), now) == "7 хв"
    assert inbox.waited(now - dt.timedelta(minutes=65), now) == "1 год 05 хв"
    assert inbox.staff_operator("oksana") == ("staff:oksana", "oksana")
    long = "a" * 40
    ident, name = inbox.staff_operator(long)
    assert len(ident) == inbox.ID_CHARS and ident.startswith("staff:") and name == long
    assert inbox.staff_operator(long) == (ident, name) and inbox.staff_operator(long[:-1] + "b")[0] != ident
    assert inbox.reply_problem(" ") and inbox.reply_problem("x" * (inbox.MAX_REPLY + 1))
    assert inbox.reply_problem("так") is None


def test_the_order_of_the_inbox() -> None:
    """Waiting: citizens in the chat before questions left for later, priority first, then the longest waiting;
    taken: the viewer's own first, then the longest held."""
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

    def ticket(n: int, mode: str, priority: bool, minutes: int, operator: str | None = None) -> Ticket:
        at = now - dt.timedelta(minutes=minutes)
        return Ticket(id=n, mode=mode, priority=priority, created_at=at, taken_at=at, operator_id=operator)

    waiting = [ticket(1, "live", False, 10), ticket(2, "live", True, 2), ticket(3, "question", True, 60),
               ticket(4, "live", False, 30)]  # fmt: skip
    assert [t.id for t in inbox.queue_order(waiting)] == [2, 4, 1, 3]
    taken = [ticket(5, "live", False, 20, "77"), ticket(6, "live", False, 5, "staff:oksana"),
             ticket(7, "live", False, 40, "78")]  # fmt: skip
    assert [t.id for t in inbox.taken_order(taken, "staff:oksana")] == [6, 7, 5]
