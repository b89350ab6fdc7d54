"""Hotline operators take over conversations, end to end: the real bot against the telegram-test-api emulator with
the citizen's private chat AND the operators' supergroup with forum topics, plus Viber citizens (signed webhooks
into the real app, a fake Viber API) and web citizens (the JSON API, the history and the live stream), all handed
to the same group. The conversation's clock is injected (a Monday within the hotline's hours)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build
from bot.handoff import sweep
from bot.settings import Settings
from bot.staff import handoff_run
from knowledge import Knowledge
from knowledge.search import SearchIndex
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import start_adapter
from testkit.telegram.operator import TelegramOperator, TopicMessage
from testkit.viber.citizen import ViberCitizen
from testkit.viber.fake_api import FakeViberApi
from tests.e2e.telegram.conftest import _tokens

GROUP = -1001234567890
OKSANA, PETRO, STRANGER = 501, 502, 999  # two operators and someone else in the group
VIBER_TOKEN = "4453b6ac1234567-handoff-viber"
MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # 11:00 in Kyiv: the hotline answers
SUNDAY = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class DeskRig:
    bot: Bot
    adapter: EmulatorAdapter
    emulator_url: str
    token: str
    viber_api: FakeViberApi
    http: TestClient  # type: ignore[type-arg]
    clock: Clock
    database: str
    operators: list[TelegramOperator]
    citizens: list[TelegramCitizen]

    def citizen(self, user_id: int | None = None) -> TelegramCitizen:
        citizen = TelegramCitizen(self.emulator_url, self.token, user_id, keyboards=self.adapter.keyboards)
        self.citizens.append(citizen)
        return citizen

    def operator(self, user_id: int = OKSANA, name: str = "Оксана") -> TelegramOperator:
        op = TelegramOperator(self.emulator_url, self.token, GROUP, user_id, name, self.adapter)
        self.operators.append(op)
        return op

    def viber(self) -> ViberCitizen:
        return ViberCitizen(self.http, self.viber_api, VIBER_TOKEN)

    def topics(self) -> dict[int, object]:
        return dict(self.adapter.topics.get((self.token, GROUP), {}))


@pytest.fixture()
async def desk(
    emulator_url: str, tmp_path: Path, kb: Knowledge, index: SearchIndex
) -> AsyncIterator[DeskRig]:
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    viber_api = FakeViberApi()
    viber_url = await viber_api.serve()
    token = f"{next(_tokens)}:TEST-TOKEN"
    database = f"sqlite+aiosqlite:///{tmp_path}/desk.sqlite3"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database,
        telegram_bot_token=token,
        telegram_api_server=adapter_url,
        telegram_per_chat_rate=50,
        telegram_group_rate=6000,  # the group's pace has its own test (test_flood_e2e.py)
        viber_auth_token=VIBER_TOKEN,
        viber_api_url=viber_url,
        viber_send_timeout=1.0,
        operator_chat_id=GROUP,
        operator_ids=f"{OKSANA},{PETRO}",
    )
    clock = Clock(MONDAY)
    bot = await build(settings, kb=kb, index=index, clock=clock)
    assert bot.telegram is not None and bot.telegram.topics is not None
    polling = asyncio.create_task(bot.telegram.run_polling())
    rig: DeskRig | None = None
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as http:
            rig = DeskRig(bot, adapter, emulator_url, token, viber_api, http, clock, database, [], [])
            yield rig
    finally:
        try:
            await bot.telegram.dispatcher.stop_polling()
        except RuntimeError:
            polling.cancel()
        await asyncio.wait_for(asyncio.gather(polling, return_exceptions=True), timeout=10)
        for client in [*(rig.operators if rig else []), *(rig.citizens if rig else [])]:
            await client.close()
        await bot.close()
        await adapter.close()
        await runner.cleanup()
        await viber_api.stop()


async def _topic_of(op: TelegramOperator, number: int) -> TopicMessage:
    """The context card of ticket `number` (the first message of its topic)."""
    return await op.wait_for(lambda m: m.text.startswith(f"🎫 №{number} ") and m.thread_id is not None)


async def _take(op: TelegramOperator, number: int) -> TopicMessage:
    """«Взяти» on the group's queue message: the ticket's topic opens with its context card."""
    payload = f"tk:take:{number}"
    await op.wait_for(lambda m: m.thread_id is None and payload in [p for _, p in m.buttons])
    await op.press(payload)
    return await _topic_of(op, number)


async def _ask(citizen: TelegramCitizen) -> str:
    seen = await citizen.send_text("хочу поговорити з оператором")
    return "\n".join(seen.texts)


async def test_a_telegram_citizen_talks_to_an_operator_and_rates_the_help(desk: DeskRig) -> None:
    citizen = desk.citizen()
    oksana, petro, stranger = desk.operator(), desk.operator(PETRO, "Петро"), desk.operator(STRANGER, "Хтось")
    await citizen.send_text("Народження дитини")
    text = await _ask(citizen)
    assert "Ви в черзі 1-й" in text and "близько" in text
    seen = await citizen.send_text("Чи можна подати заяву без батька?")
    assert seen.texts == ["✉️ Передано оператору."]
    await citizen.send_text("І ще: скільки це триває?")  # the bot stays silent, the operator reads it
    board = await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 1" in m.text)
    assert "№1 · Telegram" in board.text and [p for _, p in board.buttons] == ["tk:take:1"]
    assert not desk.topics()  # a waiting ticket is a line of the queue message, not a topic

    card = await _take(oksana, 1)
    assert "Telegram" in card.text and "Народження дитини" in card.text  # the situation the citizen was in
    assert "Чи можна подати заяву без батька?" in card.text  # and what they wrote while waiting
    assert [p for _, p in card.buttons] == ["tk:take:1", "tk:pass:1", "tk:close:1"]
    topic = card.thread_id
    assert topic is not None and desk.topics()[topic].name.startswith("№1 · Telegram")  # type: ignore[attr-defined]
    await oksana.wait_for("👤 Чи можна подати заяву без батька?", topic)  # the lines that waited, in order
    await oksana.wait_for("👤 І ще: скільки це триває?", topic)
    await oksana.wait_for("Взяв(-ла): Оксана", topic)
    await oksana.wait_for(lambda m: m.thread_id is None and m.text == "📋 Черга до оператора порожня.")
    history = await citizen.history()
    assert any("Оператор Оксана на зв'язку" in h["message"].get("text", "") for h in history)
    await petro.press("tk:take:1", topic)  # a second «Взяти» says who has it
    await petro.wait_for("уже веде Оксана", topic)

    before = len(await citizen.history())
    await stranger.send_text("Я не оператор, але відповім", topic)  # not on the list: ignored
    await oksana.send_text("Добрий день! Так, можна.", topic)
    texts = await _wait_texts(citizen, before, "Добрий день! Так, можна.")
    assert not any("Я не оператор" in t for t in texts)

    await citizen.send_photo()  # a photo reaches the topic as a copy
    await oksana.wait_for(lambda m: m.media == "photo" and m.thread_id == topic)

    await oksana.command("/t 41-11", topic)  # a canned answer: a card's documents
    await oksana.wait_for("→ надіслано", topic)
    await _wait_texts(citizen, before, "👤 Оператор: Надання допомоги на проживання")

    await oksana.press("tk:close:1", topic)
    await _wait_texts(citizen, before, "Оцініть, будь ласка, допомогу")
    assert desk.topics()[topic].closed  # type: ignore[attr-defined]
    seen = await citizen.press("o:r:1:5")
    assert any("Дякуємо за оцінку" in t for t in seen.texts)
    seen = await citizen.send_text("Дуже допомогли, дякую")
    assert any("Дякуємо за відгук" in t for t in seen.texts)
    seen = await citizen.send_text("меню")  # the bot is back
    assert any("Оберіть розділ" in t for t in seen.texts)

    tickets = await _tickets(desk)
    assert tickets == [{**tickets[0], "id": 1, "channel": "telegram", "status": "closed", "operator": "Оксана",
                        "rating": 5}]  # fmt: skip
    assert tickets[0]["taken_at"] and tickets[0]["closed_at"] and "comment" not in tickets[0]
    async with desk.bot.uow_factory() as uow:
        ticket = await uow.tickets.get(1)
        assert ticket is not None and ticket.comment == "Дуже допомогли, дякую"


async def _wait_texts(
    citizen: TelegramCitizen, after: int, expected: str, timeout: float = 10.0
) -> list[str]:
    """The citizen's chat after message `after` once it shows `expected`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        texts = [h["message"].get("text", "") for h in (await citizen.history())[after:]]
        if any(expected in t for t in texts):
            return texts
        assert asyncio.get_running_loop().time() < deadline, (
            f"{expected!r} never reached the citizen: {texts}"
        )
        await asyncio.sleep(0.05)


async def _tickets(desk: DeskRig) -> list[dict[str, object]]:
    out = io.StringIO()
    settings = Settings(_env_file=None, database_url=desk.database)  # type: ignore[call-arg]
    await desk.bot.uow_factory.write_log()
    with redirect_stdout(out):
        assert await handoff_run(["list", "--json"], settings, out=out) == 0
    return list(json.loads(out.getvalue()))


async def test_a_topic_deleted_or_closed_by_hand_does_not_lose_the_citizen(desk: DeskRig) -> None:
    citizen, oksana = desk.citizen(), desk.operator()
    await _ask(citizen)
    first = (await _take(oksana, 1)).thread_id
    assert first is not None
    await oksana.delete_topic(first)
    await citizen.send_text("Ви тут?")
    again = await oksana.wait_for(lambda m: m.text.startswith("🎫 №1 ") and m.thread_id != first)
    assert again.thread_id is not None and "Ви тут?" in again.text  # the context card again, with the line
    await oksana.wait_for("👤 Ви тут?", again.thread_id)

    await oksana.close_topic(again.thread_id)
    await oksana.settle()
    await citizen.send_text("Алло")
    third = await oksana.wait_for(
        lambda m: m.text.startswith("🎫 №1 ") and m.thread_id not in (first, again.thread_id)
    )
    await oksana.wait_for("👤 Алло", third.thread_id)


async def test_viber_and_web_citizens_reach_the_same_group(desk: DeskRig) -> None:
    oksana = desk.operator()
    viber = desk.viber()
    seen = await viber.send_text("оператор")
    assert any("Ви в черзі 1-й" in t for t in seen.texts)
    await viber.send_text("Мені потрібна довідка")  # while waiting: held until an operator takes it
    card = await _take(oksana, 1)
    assert "Viber" in card.text
    await oksana.wait_for("👤 Мені потрібна довідка", card.thread_id)
    await viber._act(
        viber.message_event({"type": "picture", "text": "", "media": "https://dl-media.viber.com/x.jpg"})
    )
    await oksana.wait_for(lambda m: m.media == "photo" and m.thread_id == card.thread_id)
    await oksana.send_text("Підкажу, що взяти.", card.thread_id)
    await _until(
        lambda: any(
            "👤 Оператор: Підкажу, що взяти." in m.get("text", "") for m in desk.viber_api.to(viber.user)
        )
    )
    await oksana.send_photo(card.thread_id)  # Viber cannot get a Telegram file: the operator is told
    await oksana.wait_for("Viber не отримує файли", card.thread_id)

    session = "web-handoff-session"
    resp = await desk.http.post("/api/chat", json={"session": session, "text": "/start"})
    assert resp.status == 200
    resp = await desk.http.post("/api/chat", json={"session": session, "text": "з'єднайте з оператором"})
    assert "Ви в черзі" in (await resp.json())["replies"][0]["text"]
    history = await (await desk.http.get("/api/chat/history", params={"session": session})).json()
    live = await desk.http.get(
        "/api/chat/live", params={"session": session, "after": str(history["last_id"])}
    )
    assert live.status == 200
    web_card = await _take(oksana, 2)
    assert "Веб-чат" in web_card.text
    await oksana.send_text("Вітаю! Слухаю вас.", web_card.thread_id)
    taken = await asyncio.wait_for(_next_event(live), timeout=10)  # taking it told the citizen: the notice first
    assert taken["role"] == "bot" and "на зв'язку" in str(taken["text"])
    line = await asyncio.wait_for(_next_event(live), timeout=10)
    assert line["role"] == "operator" and "Вітаю! Слухаю вас." in str(line["text"])
    live.close()
    history = await (await desk.http.get("/api/chat/history", params={"session": session})).json()
    assert history["messages"][-1]["role"] == "operator"


async def _next_event(response: web.StreamResponse | object) -> dict[str, object]:
    content = response.content  # type: ignore[attr-defined]
    while True:
        line = (await content.readline()).decode()
        if line.startswith("data: "):
            return dict(json.loads(line[6:]))


async def _until(check: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.05)


async def test_out_of_hours_the_citizen_leaves_a_question_answered_later(desk: DeskRig) -> None:
    desk.clock.now = SUNDAY
    citizen, oksana = desk.citizen(), desk.operator()
    seen = await _ask(citizen)
    assert "не працюють" in seen and "почнуть завтра о 08:00" in seen
    assert not desk.topics()  # no ticket yet
    seen2 = await citizen.press("o:q")
    assert any("одним повідомленням" in t for t in seen2.texts)
    seen2 = await citizen.send_text("Як оформити допомогу при народженні?")
    assert any("Запитання передано" in t for t in seen2.texts)
    board = await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 1" in m.text)
    assert "✍️ №1 · Telegram" in board.text  # a question left for the working hours
    seen2 = await citizen.send_text("паспорт")  # not held: the bot answers as usual
    assert not any("Передано" in t for t in seen2.texts)

    desk.clock.now = MONDAY
    before = len(await citizen.history())
    card = await _take(oksana, 1)  # in the morning: the topic opens with the question
    await oksana.wait_for("👤 Як оформити допомогу при народженні?", card.thread_id)
    await oksana.send_text("Доброго ранку! Відповідаю на ваше запитання.", card.thread_id)
    await _wait_texts(citizen, before, "Доброго ранку! Відповідаю")
    seen2 = await citizen.send_text("Дякую, а що ще потрібно?")  # answered: now a conversation
    assert seen2.texts in ([], ["✉️ Передано оператору."]) or not seen2.texts
    await oksana.wait_for("👤 Дякую, а що ще потрібно?", card.thread_id)


async def test_idle_tickets_close_with_a_notice_to_both_sides_and_forget_deletes_the_topic(
    desk: DeskRig,
) -> None:
    citizen, oksana = desk.citizen(), desk.operator()
    await _ask(citizen)
    card = await _take(oksana, 1)
    await oksana.wait_for("Взяв(-ла)", card.thread_id)
    before = len(await citizen.history())
    assert await sweep(desk.bot.uow_factory, desk.bot.handoff, MONDAY + dt.timedelta(minutes=31)) == 1  # type: ignore[arg-type]
    await _wait_texts(citizen, before, "давно не було повідомлень")
    await oksana.wait_for("Закрито через неактивність", card.thread_id)

    other = desk.citizen()
    await _ask(other)
    second = await _take(oksana, 2)
    await other.send_text("Мене звати Марія, телефон 0671234567")
    await oksana.wait_for("👤 Мене звати Марія", second.thread_id)
    await other.send_text("/forget")
    await other.press("f:yes")
    await _until(
        lambda: getattr(desk.topics().get(second.thread_id or 0), "deleted", True)
    )  # the topic went with what she said in it
    tickets = await _tickets(desk)
    assert tickets[1]["status"] == "closed" and tickets[1]["close_reason"] == "forgotten"


async def test_priority_citizens_go_first_and_forget_after_a_ticket_deletes_its_topic(desk: DeskRig) -> None:
    oksana = desk.operator()
    first, second, veteran = desk.citizen(), desk.citizen(), desk.citizen()
    assert "Ви в черзі 1-й" in await _ask(first)
    assert "Ви в черзі 2-й" in await _ask(second)
    assert "Ви в черзі 3-й" in await _ask(veteran)
    seen = await veteran.press("o:p")
    assert any("тепер ви 1-й" in t for t in seen.texts)
    board = await oksana.wait_for(lambda m: m.thread_id is None and "🎖 №3" in m.text)
    assert [p for _, p in board.buttons] == ["tk:take:3", "tk:take:1", "tk:take:2"]  # the veteran first
    card = await _take(oksana, 3)
    await oksana.wait_for("🎖 Пріоритет", card.thread_id)
    seen = await second.send_text("оператор")  # asking again shows the place, now behind the veteran
    assert any("Ви в черзі 2-й" in t for t in seen.texts)  # the veteran is with Оксана now

    await oksana.press("tk:close:1", (await _take(oksana, 1)).thread_id)
    await _wait_texts(first, 0, "Оцініть, будь ласка, допомогу")
    topic = (await _topic_of(oksana, 1)).thread_id
    await first.send_text("/forget")
    await first.press("f:yes")  # after the ticket: its topic goes too
    await _until(lambda: getattr(desk.topics().get(topic or 0), "deleted", True))


async def test_one_queue_message_for_every_process_and_a_new_one_when_it_was_deleted(desk: DeskRig) -> None:
    from handlers.telegram.operators import QueueBoard

    assert desk.bot.telegram is not None and desk.bot.telegram.board is not None and desk.bot.handoff is not None
    oksana, first, second = desk.operator(), desk.citizen(), desk.citizen()
    await _ask(first)
    board = await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 1." in m.text)
    # A second bot process (its own QueueBoard, the same database) edits the same message, never posts its own.
    other = QueueBoard(desk.bot.telegram.sender, GROUP, desk.bot.uow_factory, desk.bot.handoff)
    await _ask(second)
    await other.refresh()
    await desk.bot.telegram.board.refresh()
    boards = [m for m in await oksana.settle() if m.thread_id is None and m.text.startswith("📋")]
    assert [(m.message_id, "Черга до оператора: 2." in m.text) for m in boards] == [(board.message_id, True)]
    await desk.bot.telegram.bot.delete_message(GROUP, board.message_id)  # deleted by hand
    await _ask(desk.citizen())  # the queue changed: a new queue message
    again = await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 3." in m.text)
    assert again.message_id != board.message_id
    assert [p for _, p in again.buttons] == ["tk:take:1", "tk:take:2", "tk:take:3"]


async def test_a_ticket_that_ends_before_anyone_takes_it_never_costs_a_topic(desk: DeskRig) -> None:
    citizen, oksana = desk.citizen(), desk.operator()
    await _ask(citizen)
    await citizen.send_text("Хоча ні, вже не треба")
    await oksana.wait_for(lambda m: m.thread_id is None and "Черга до оператора: 1." in m.text)
    seen = await citizen.press("o:end")
    assert any("Розмову завершено" in t for t in seen.texts)
    await oksana.wait_for(lambda m: m.thread_id is None and m.text == "📋 Черга до оператора порожня.")
    await oksana.settle()
    assert not desk.topics()  # its lines and its closing line were dropped, not posted in a new topic
    async with desk.bot.uow_factory() as uow:
        assert await uow.outbox.due(channels={"operators"}) == []
