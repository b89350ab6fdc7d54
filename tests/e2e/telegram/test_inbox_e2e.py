"""The console's inbox and the Telegram operator group on the same tickets, end to end: the real bot against the
telegram-test-api emulator with the operators' supergroup, web citizens through the JSON API, and a member of
staff in the console (/staff/api/inbox…). A ticket the console takes leaves the group's queue message and its
topic opens with the card and the console's lines; one the group took is not free in the console."""

from __future__ import annotations

import re

from dialogs.console import accounts
from dialogs.handoff import texts
from tests.console.conftest import PASSWORD
from tests.e2e.telegram.test_handoff_e2e import DeskRig, _topic_of, desk  # noqa: F401  (the fixture)


async def _web_asks(rig: DeskRig, session: str) -> None:
    await rig.http.post("/api/chat", json={"session": session, "text": "/start"})
    resp = await rig.http.post("/api/chat", json={"session": session, "text": "з'єднайте з оператором"})
    assert "Ви в черзі" in (await resp.json())["replies"][0]["text"]


async def _console(rig: DeskRig) -> dict[str, str]:
    """Olena, an operator in the console, signed in on the rig's client: the CSRF header for her changes."""
    async with rig.bot.uow_factory() as uow:
        await accounts.add_user(uow, "olena", "operator", PASSWORD, "test")
    page = await (await rig.http.get("/staff/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf": token[1], "login": "olena", "password": PASSWORD}
    assert (await rig.http.post("/staff/login", data=form, allow_redirects=False)).status == 303
    return {"X-CSRF-Token": (await (await rig.http.get("/staff/api/session")).json())["csrf"]}


async def test_the_console_and_the_group_share_the_tickets(desk: DeskRig) -> None:  # noqa: F811
    oksana = desk.operator()
    csrf = await _console(desk)
    await _web_asks(desk, "web-inbox-1")
    await _web_asks(desk, "web-inbox-2")
    await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 2." in m.text)
    # Taken in the console: the group's queue lists only the other one, and the ticket's topic opens with its
    # card (who has it) and the console's lines, so the group sees the conversation.
    taken = await desk.http.post("/staff/api/inbox/1/take", headers=csrf)
    assert (await taken.json())["lines"] == [texts.OP_TAKEN.format(name="olena")]
    board = await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 1." in m.text)
    assert [p for _, p in board.buttons] == ["tk:take:2"]
    card = await _topic_of(oksana, 1)
    assert "Веб-чат" in card.text and texts.OP_TAKEN.format(name="olena") in card.text
    reply = await desk.http.post("/staff/api/inbox/1/reply", json={"text": "Добрий день! Слухаю."}, headers=csrf)
    assert reply.status == 200
    await oksana.wait_for("🎧 olena (консоль): Добрий день! Слухаю.", card.thread_id)
    history = await (await desk.http.get("/api/chat/history", params={"session": "web-inbox-1"})).json()
    assert history["messages"][-1]["text"] == texts.OPERATOR_SAYS.format(text="Добрий день! Слухаю.")
    # The citizen's answer reaches both: the topic and the console's conversation.
    await desk.http.post("/api/chat", json={"session": "web-inbox-1", "text": "Мені потрібна довідка"})
    await oksana.wait_for("👤 Мені потрібна довідка", card.thread_id)
    view = await (await desk.http.get("/staff/api/inbox/1")).json()
    assert view["lines"][-1] == {"id": view["lines"][-1]["id"], "who": "citizen", "text": "Мені потрібна довідка"}
    # Taken in the group: not free in the console.
    await oksana.press("tk:take:2")
    await _topic_of(oksana, 2)
    refused = await desk.http.post("/staff/api/inbox/2/take", headers=csrf)
    assert (await refused.json())["lines"] == [texts.OP_TAKEN_BY.format(id=2, name="Оксана")]
    # Closed in the console: the citizen is asked to rate, the topic gets the last line and is closed.
    await desk.http.post("/staff/api/inbox/1/close", headers=csrf)
    await oksana.wait_for(texts.OP_CLOSED.format(name="olena"), card.thread_id)
    history = await (await desk.http.get("/api/chat/history", params={"session": "web-inbox-1"})).json()
    assert history["messages"][-1]["text"] == texts.ENDED_BY_OPERATOR
    await oksana.settle()
    assert card.thread_id is not None
    assert desk.topics()[card.thread_id].closed  # type: ignore[attr-defined]
