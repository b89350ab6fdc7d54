"""The operator handoff through the real engine and database, with an injected clock: asking for a person,
the queue and priority, what is relayed while held, /forget, out of hours, the operators' desk, the rating,
the sweep, races, and the staff listing. The operator group itself is represented by the outbox rows of the
channel `operators` (nothing sends them here: no Telegram bot is configured) and by `Desk.handle` calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Bot
from bot.handoff import sweep
from bot.staff import handoff_run
from dialogs.engine import Engine
from dialogs.handoff import texts
from dialogs.handoff.canned import CannedAnswers
from dialogs.handoff.desk import Desk, DeskOutcome, OperatorEvent
from dialogs.handoff.service import HandoffService
from dialogs.handoff.texts import OPERATOR_BUTTON
from dialogs.messages import Attachment, Incoming, Reply
from storage.db import make_sessionmaker
from storage.handoff import Ticket, holds
from storage.models import MessageLog, User
from storage.outbox import Outbox
from tests.conftest import make_settings

# Monday 7 December 2026, 11:00 in Kyiv: the hotline (weekdays 08:00–17:00) is open.
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
SUNDAY = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 12, 8, 18, 0, tzinfo=dt.UTC)  # Tuesday 20:00 in Kyiv
IRYNA, PETRO, STRANGER = "77", "88", "99"
PHONE = "+380671234567"
PHONE_DIGITS = re.compile(r"67\D{0,3}123\D{0,3}45\D{0,3}67")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@dataclass
class World:
    bot: Bot
    engine: Engine
    clock: Clock
    service: HandoffService
    desk: Desk

    # --- the citizen --------------------------------------------------------------------------------------

    async def say(
        self, user: str, text: str, *, channel: str = "web", name: str | None = "Олена"
    ) -> list[Reply]:
        return await self.engine.handle(Incoming(channel, user, text=text, name=name))

    async def press(self, user: str, payload: str, *, channel: str = "web") -> list[Reply]:
        return await self.engine.handle(Incoming(channel, user, payload=payload, name="Олена"))

    async def send(self, user: str, message: Incoming) -> list[Reply]:
        return await self.engine.handle(message)

    # --- the operators ------------------------------------------------------------------------------------

    async def op(
        self,
        topic: int | None,
        *,
        text: str | None = None,
        payload: str | None = None,
        who: str = IRYNA,
        name: str = "Ірина",
        attachment: Attachment | None = None,
        topic_closed: bool = False,
    ) -> DeskOutcome:
        event = OperatorEvent(who, name, topic, text=text, payload=payload, attachment=attachment,
                              topic_closed=topic_closed)  # fmt: skip
        async with self.bot.uow_factory() as uow:
            return await self.desk.handle(uow, event, self.clock.now)

    async def give_topic(self, ticket_id: int, topic: int) -> None:
        """What the Telegram handler does when it posts the ticket's first row: the ticket gets its topic."""
        async with self.bot.uow_factory() as uow:
            assert await uow.tickets.set_topic(ticket_id, topic, was=None)

    async def board(self) -> Reply:
        """The operator group's queue message as it would be shown now."""
        async with self.bot.uow_factory() as uow:
            return await self.service.queue_board(uow)

    async def sweep(self, **after: float) -> int:
        return await sweep(self.bot.uow_factory, self.service, self.clock.now + dt.timedelta(**after))

    # --- what the database holds ----------------------------------------------------------------------------

    async def tickets(self) -> list[Ticket]:
        async with make_sessionmaker(self.bot.db)() as s:
            return list((await s.execute(select(Ticket).order_by(Ticket.id))).scalars())

    async def ticket(self, ticket_id: int) -> Ticket:
        (found,) = [t for t in await self.tickets() if t.id == ticket_id]
        return found

    async def rows(self, channel: str | None = None) -> list[Outbox]:
        async with make_sessionmaker(self.bot.db)() as s:
            query = select(Outbox).order_by(Outbox.id)
            if channel is not None:
                query = query.where(Outbox.channel == channel)
            return list((await s.execute(query)).scalars())

    async def user(self, external: str, channel: str = "web") -> User | None:
        async with self.bot.uow_factory() as uow:
            return await uow.users.get(channel, external)

    async def log(self, external: str, channel: str = "web") -> list[MessageLog]:
        async with self.bot.uow_factory() as uow:
            user = await uow.users.get(channel, external)
            return await uow.messages.recent(user.id, 200) if user is not None else []

    async def all_log_text(self) -> str:
        async with self.bot.uow_factory() as uow:
            await uow.messages.flush(everything=True)
            lines = (await uow.session.execute(select(MessageLog.text))).scalars()
            return "\n".join(lines)

    async def held(self, external: str, channel: str = "web") -> bool:
        user = await self.user(external, channel)
        if user is None:
            return False
        async with self.bot.uow_factory() as uow:
            return holds(await uow.tickets.active_for(user.id))


@pytest.fixture()
async def world(bot: Bot) -> World:
    assert bot.handoff is not None, "the handoff needs knowledge/data/booking.yaml"
    service = bot.handoff
    service.enabled = True  # as if an operator group were configured
    clock = Clock(NOW)
    e = bot.engine
    engine = Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=clock, rooms=list(e.rooms))
    canned = CannedAnswers(e.kb, engine.views, martial_law=True)
    desk = Desk(service, frozenset({IRYNA, PETRO}), canned, canned.keys)
    return World(bot, engine, clock, service, desk)


def text_of(replies: Sequence[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def payloads(replies: Sequence[Reply]) -> list[str]:
    return [b.payload or "" for r in replies for row in r.buttons for b in row]


def labels(replies: Sequence[Reply]) -> list[str]:
    return [b.text for r in replies for row in r.buttons for b in row]


def place_of(replies: Sequence[Reply]) -> tuple[int, int]:
    m = re.search(r"в черзі (\d+)-й, орієнтовне очікування — близько (\d+) хв", text_of(replies))
    assert m is not None, text_of(replies)
    return int(m.group(1)), int(m.group(2))


async def ask(w: World, user: str, text: str = "оператор", **kw: str) -> list[Reply]:
    replies = await w.say(user, text, **kw)
    assert "Передаю розмову оператору" in text_of(replies) or "Ви в черзі" in text_of(replies), text_of(
        replies
    )
    return replies


async def only_ticket(w: World) -> Ticket:
    (t,) = await w.tickets()
    return t


# --- asking for a person ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase", ["оператор", "/operator", "Оператор!", "хочу поговорити з людиною", "хочу с оператором"]
)
async def test_any_phrasing_opens_one_ticket_and_a_second_button_shows_the_place(
    world: World, phrase: str
) -> None:
    w = world
    first = await w.say("u1", phrase)
    assert place_of(first) == (1, 5), text_of(first)
    assert "o:end" in payloads(first) and "o:p" in payloads(first)
    assert await w.held("u1")
    again = await w.press("u1", "o")  # «👤 Оператор» pressed again, e.g. from an older message
    assert place_of(again) == (1, 5) and "Ви в черзі" in text_of(again)
    (t,) = await w.tickets()
    assert (t.status, t.mode, t.channel, t.name, t.priority) == ("waiting", "live", "web", "Олена", False)
    assert t.created_at == NOW
    # A waiting ticket costs the group no message of its own: it is a line of the queue message, with its
    # «Взяти»; its topic opens when an operator takes it.
    assert await w.rows("operators") == []
    board = await w.board()
    assert f"№{t.id} · Веб-чат · Олена" in board.text and "Черга до оператора: 1" in board.text
    assert payloads([board]) == [f"tk:take:{t.id}"]


async def test_asking_again_in_words_while_waiting_shows_the_place(world: World) -> None:
    w = world
    await ask(w, "u1")
    await w.say("u1", "у мене питання про субсидію")  # the first line: «Передано»
    again = await w.say("u1", "оператор")
    assert place_of(again)[0] == 1
    assert len(await w.tickets()) == 1


async def test_the_operator_button_after_two_misses_opens_a_ticket(world: World) -> None:
    w = world
    await w.say("u1", "ккккккжжжж")
    second = await w.say("u1", "ззщщщщхх фффф")
    assert OPERATOR_BUTTON in labels(second)
    button = next(b for r in second for row in r.buttons for b in row if b.text == OPERATOR_BUTTON)
    assert button.payload is not None
    replies = await w.press("u1", button.payload)
    assert place_of(replies)[0] == 1
    assert len(await w.tickets()) == 1 and await w.held("u1")


async def test_when_disabled_the_hotline_is_offered_and_nothing_is_opened(world: World) -> None:
    w = world
    w.service.enabled = False
    replies = await w.say("u1", "оператор")
    assert "0-800" in text_of(replies) or "гарячій лінії" in text_of(replies)
    assert await w.tickets() == [] and not await w.held("u1")


# --- the queue --------------------------------------------------------------------------------------------------


async def test_a_priority_citizen_goes_first_and_places_stay_consistent(world: World) -> None:
    w = world
    a = place_of(await ask(w, "a"))
    w.clock.tick(minutes=1)
    b = place_of(await ask(w, "b"))
    w.clock.tick(minutes=1)
    c = place_of(await ask(w, "c"))
    assert [a[0], b[0], c[0]] == [1, 2, 3]
    assert a[1] <= b[1] <= c[1]
    declared = await w.press("c", "o:p")
    assert "тепер ви 1-й" in text_of(declared), text_of(declared)
    assert "o:p" not in payloads(declared)
    again = {u: place_of(await w.press(u, "o")) for u in ("a", "b", "c")}
    assert [again["c"][0], again["a"][0], again["b"][0]] == [1, 2, 3]
    assert again["c"][1] <= again["a"][1] <= again["b"][1]
    tickets = await w.tickets()
    assert [t.priority for t in tickets] == [False, False, True]
    async with w.bot.uow_factory() as uow:
        queue = await uow.tickets.queue()
    assert [t.id for t in queue] == [tickets[2].id, tickets[0].id, tickets[1].id]
    # Declaring twice changes nothing; the operators were told once.
    await w.press("c", "o:p")
    told = [r for r in await w.rows("operators") if r.text.startswith("🎖")]
    assert len(told) == 1 and told[0].external_id == str(tickets[2].id)


async def test_an_earlier_priority_citizen_stays_ahead_of_a_later_one(world: World) -> None:
    w = world
    await ask(w, "a")
    await w.press("a", "o:p")
    w.clock.tick(minutes=1)
    await ask(w, "b")
    assert "тепер ви 2-й" in text_of(await w.press("b", "o:p"))


async def test_two_citizens_asking_at_the_same_instant_get_different_places(world: World) -> None:
    w = world
    first = place_of(await ask(w, "a"))
    second = place_of(await ask(w, "b"))
    assert (first[0], second[0]) == (1, 2)


# --- while held ----------------------------------------------------------------------------------------------


async def test_held_lines_go_to_the_topic_in_order_and_the_bot_keeps_quiet(world: World) -> None:
    w = world
    await ask(w, "u1", "хочу поговорити з людиною")
    t = await only_ticket(w)
    said = ["Доброго дня", "мені потрібна довідка про склад сім'ї", "паспорт", "дякую"]
    answers = [await w.say("u1", line) for line in said]
    assert text_of(answers[0]) == texts.PASSED_ON and payloads(answers[0]) == ["o:end"]
    assert answers[1:] == [[], [], []]  # «паспорт» is not answered by the bot either
    relayed = [r for r in await w.rows("operators") if r.text]
    assert [r.text for r in relayed] == [f"👤 {line}" for line in said]
    assert {r.external_id for r in relayed} == {str(t.id)} and {r.ticket_id for r in relayed} == {t.id}
    assert (await w.ticket(t.id)).citizen_lines == len(said)
    assert [r for r in await w.rows() if r.channel != "operators"] == []


@pytest.mark.parametrize("word", ["меню", "/start", "Головне меню", "/menu"])
async def test_menu_words_get_the_reminder(world: World, word: str) -> None:
    w = world
    await ask(w, "u1")
    replies = await w.say("u1", word)
    assert text_of(replies) == texts.IN_QUEUE and payloads(replies) == ["o:end"]
    assert await w.held("u1") and (await only_ticket(w)).status == "waiting"
    assert not [r for r in await w.rows("operators") if word in r.text]


@pytest.mark.parametrize("payload", ["m", "m:svc", "h:my", "v:some-service", "s:birth", "a:x:y:z", "b"])
async def test_other_rooms_buttons_get_the_reminder(world: World, payload: str) -> None:
    w = world
    await ask(w, "u1")
    replies = await w.press("u1", payload)
    assert text_of(replies) == texts.IN_QUEUE and payloads(replies) == ["o:end"]
    assert await w.held("u1") and (await only_ticket(w)).status == "waiting"


@pytest.mark.parametrize("payload", ["q:my", "q"])
async def test_a_booking_button_other_than_the_callback_does_not_end_the_wait(
    world: World, payload: str
) -> None:
    w = world
    await ask(w, "u1")
    replies = await w.press("u1", payload)
    assert text_of(replies) == texts.IN_QUEUE
    assert (await only_ticket(w)).status == "waiting" and await w.held("u1")


async def test_the_offered_callback_ends_the_wait_and_the_booking_room_takes_over(world: World) -> None:
    w = world
    await ask(w, "u1")
    replies = await w.press("u1", "q:cb")
    t = await only_ticket(w)
    assert (t.status, t.close_reason) == ("closed", "callback")
    assert not await w.held("u1")
    assert text_of(replies) not in (texts.IN_CONVERSATION, texts.IN_QUEUE) and replies
    last = (await w.rows("operators"))[-1]
    assert last.text == texts.OP_CALLBACK and last.media == {"kind": "close"}


async def test_an_open_conversation_keeps_the_callback_button_out(world: World) -> None:
    w = world
    await ask(w, "u1")
    t = await only_ticket(w)
    await w.give_topic(t.id, 500)
    await w.op(500, payload=f"tk:take:{t.id}")
    replies = await w.press("u1", "q:cb")
    assert text_of(replies) == texts.IN_CONVERSATION and (await w.ticket(t.id)).status == "open"


async def test_a_shared_contact_is_never_relayed_nor_logged(world: World) -> None:
    w = world
    await ask(w, "u1", channel="telegram")
    t = await only_ticket(w)
    replies = await w.send("u1", Incoming("telegram", "u1", contact_shared=True, phone=PHONE, name="Олена"))
    assert text_of(replies) == texts.NO_PHONE_HERE
    withheld = [r for r in await w.rows("operators") if r.text == texts.OP_CONTACT_WITHHELD]
    assert len(withheld) == 1 and withheld[0].external_id == str(t.id)
    for row in await w.rows():
        assert not PHONE_DIGITS.search(f"{row.text} {row.buttons} {row.media}"), row.text
    assert not PHONE_DIGITS.search(await w.all_log_text())
    assert await w.held("u1", "telegram")


async def test_a_file_the_operators_cannot_get_is_said_plainly(world: World) -> None:
    w = world
    await ask(w, "u1", channel="viber")
    replies = await w.send("u1", Incoming("viber", "u1", attachment=Attachment("sticker")))
    assert text_of(replies) == texts.FILE_NOT_CARRIED
    assert [r.text for r in await w.rows("operators") if r.text] == [
        texts.OP_FILE_WITHHELD.format(kind="sticker")
    ]
    photo = Attachment("photo", url="https://media.viber.example/p.jpg")
    assert await w.send("u1", Incoming("viber", "u1", attachment=photo)) == []
    last = (await w.rows("operators"))[-1]
    assert last.media == {"kind": "photo", "url": "https://media.viber.example/p.jpg"}


# --- /forget --------------------------------------------------------------------------------------------------


async def _forget(w: World, user: str, channel: str = "web") -> list[Reply]:
    confirm = await w.say(user, "/forget", channel=channel)
    assert "f:yes" in payloads(confirm), text_of(confirm)
    return await w.press(user, "f:yes", channel=channel)


async def test_forget_during_a_ticket_erases_and_asks_to_delete_the_topic(world: World) -> None:
    w = world
    await ask(w, "u1", channel="telegram")
    t = await only_ticket(w)
    await w.give_topic(t.id, 501)
    await w.say("u1", "моя адреса вул. Шевченка 5, телефон 0671234567", channel="telegram")
    await w.op(501, text="Добрий день, уточніть, будь ласка")  # takes it; a row to the citizen's Telegram
    assert [r for r in await w.rows("telegram")]
    await _forget(w, "u1", "telegram")
    gone = await w.ticket(t.id)
    assert (gone.user_id, gone.name, gone.comment) == (None, None, None)
    assert (gone.status, gone.close_reason) == ("closed", "forgotten")
    assert gone.closed_at is not None
    rows = await w.rows()
    assert [(r.channel, r.external_id, r.media, r.ticket_id) for r in rows] == [
        ("operators", str(t.id), {"kind": "erase"}, None)
    ]
    assert await w.user("u1", "telegram") is None
    assert "Шевченка" not in await w.all_log_text()


async def test_forget_during_a_ticket_records_the_closing_time_by_the_engine_s_clock(world: World) -> None:
    """Wait and handle times are statistics: a ticket closed by /forget must not end before it began."""
    w = world
    await ask(w, "u1")
    w.clock.tick(minutes=3)
    await _forget(w, "u1")
    t = await only_ticket(w)
    assert t.closed_at is not None and t.closed_at >= t.created_at


async def test_forget_after_a_ticket_anonymises_it_and_deletes_its_topic(world: World) -> None:
    w = world
    await ask(w, "u1")
    t = await only_ticket(w)
    await w.give_topic(t.id, 502)
    await w.op(502, text="Вітаю")
    await w.op(502, payload=f"tk:close:{t.id}")
    await w.press("u1", f"o:r:{t.id}:4")
    await w.say("u1", "Олена Петренко дуже вдячна")
    assert (await w.ticket(t.id)).comment == "Олена Петренко дуже вдячна"
    await _forget(w, "u1")
    gone = await w.ticket(t.id)
    assert (gone.user_id, gone.name, gone.comment, gone.rating, gone.close_reason) == (
        None,
        None,
        None,
        4,
        "operator",
    )
    erase = [r for r in await w.rows("operators") if r.media == {"kind": "erase"}]
    assert len(erase) == 1 and erase[0].external_id == str(t.id)
    assert [r for r in await w.rows() if r.ticket_id == t.id] == []


# --- out of hours -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "when"), [(SUNDAY, "завтра о 08:00"), (EVENING, "завтра о 08:00")])
async def test_out_of_hours_a_question_is_left_and_the_bot_stays_itself(
    world: World, now: dt.datetime, when: str
) -> None:
    w = world
    w.clock.now = now
    offer = await w.say("u1", "хочу поговорити з оператором")
    assert "не працюють" in text_of(offer) and when in text_of(offer), text_of(offer)
    assert {"q:cb", "o:q"} <= set(payloads(offer))
    assert await w.tickets() == [] and not await w.held("u1")
    prompt = await w.press("u1", "o:q")
    assert text_of(prompt) == texts.ASK_QUESTION
    left = await w.say("u1", "Як оформити субсидію, якщо я ВПО?", name="Олена")
    assert "Запитання передано" in text_of(left) and when in text_of(left)
    t = await only_ticket(w)
    assert (t.mode, t.status, t.name) == ("question", "waiting", "Олена")
    assert not await w.held("u1")
    relayed = [r.text for r in await w.rows("operators") if r.text]
    assert relayed == ["👤 Як оформити субсидію, якщо я ВПО?"]
    normal = await w.say("u1", "паспорт")  # answered by the bot, not relayed
    assert normal and texts.PASSED_ON not in text_of(normal)
    assert [r.text for r in await w.rows("operators") if r.text] == relayed


async def test_out_of_hours_the_callback_button_opens_the_booking_room(world: World) -> None:
    w = world
    w.clock.now = SUNDAY
    await w.say("u1", "оператор")
    replies = await w.press("u1", "q:cb")
    assert replies and text_of(replies) not in (texts.IN_CONVERSATION, texts.IN_QUEUE)
    assert await w.tickets() == []


async def test_an_answered_question_becomes_a_conversation(world: World) -> None:
    w = world
    w.clock.now = SUNDAY
    await w.say("u1", "оператор")
    await w.press("u1", "o:q")
    await w.say("u1", "Коли готовий паспорт?", channel="web")
    t = await only_ticket(w)
    await w.give_topic(t.id, 510)
    w.clock.now = NOW
    out = await w.op(510, text="Паспорт буде готовий за 20 робочих днів")
    assert [r.text for r in out.replies] == [texts.OP_TAKEN.format(name="Ірина")]
    assert (await w.ticket(t.id)).status == "open" and await w.held("u1")
    assert await w.say("u1", "Дякую! А де забрати?") == []


# --- the desk -----------------------------------------------------------------------------------------------------


async def _ticket_in_topic(w: World, user: str = "u1", topic: int = 600, **kw: str) -> Ticket:
    await ask(w, user, **kw)
    t = (await w.tickets())[-1]
    await w.give_topic(t.id, topic)
    return t


async def test_take_pass_and_close(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w)
    taken = await w.op(600, payload=f"tk:take:{t.id}")
    assert [r.text for r in taken.replies] == [texts.OP_TAKEN.format(name="Ірина")] and not taken.close_topic
    row = await w.ticket(t.id)
    assert (row.status, row.operator_id, row.operator_name, row.taken_at) == ("open", IRYNA, "Ірина", NOW)
    log = await w.log("u1")
    assert log[-1].direction == "sys" and log[-1].text == texts.TAKEN.format(name="Ірина")
    other = await w.op(600, payload=f"tk:take:{t.id}", who=PETRO, name="Петро")
    assert [r.text for r in other.replies] == [texts.OP_TAKEN_BY.format(id=t.id, name="Ірина")]
    not_his = await w.op(600, payload=f"tk:pass:{t.id}", who=PETRO, name="Петро")
    assert "Ірина" in text_of(not_his.replies) and (await w.ticket(t.id)).operator_id == IRYNA
    w.clock.tick(minutes=2)
    passed = await w.op(600, payload=f"tk:pass:{t.id}")
    assert [r.text for r in passed.replies] == [texts.OP_PASSED.format(name="Ірина")]
    row = await w.ticket(t.id)
    assert (row.status, row.operator_id, row.taken_at) == ("waiting", None, NOW)  # the first take is kept
    assert (await w.log("u1"))[-1].text == texts.PASSED_TO_ANOTHER
    assert await w.held("u1")
    await w.op(600, payload=f"tk:take:{t.id}", who=PETRO, name="Петро")
    closed = await w.op(600, payload=f"tk:close:{t.id}", who=PETRO, name="Петро")
    assert closed.close_topic and [r.text for r in closed.replies] == [texts.OP_CLOSED.format(name="Петро")]
    row = await w.ticket(t.id)
    assert (row.status, row.close_reason, row.operator_name) == ("closed", "operator", "Петро")
    assert not await w.held("u1")
    again = await w.op(600, payload=f"tk:close:{t.id}")
    assert [r.text for r in again.replies] == [
        texts.OP_CLOSED_ALREADY.format(id=t.id)
    ] and not again.close_topic
    late = await w.op(600, payload=f"tk:take:{t.id}")
    assert [r.text for r in late.replies] == [texts.OP_CLOSED_ALREADY.format(id=t.id)]
    assert (await w.ticket(t.id)).status == "closed"


async def test_closing_a_waiting_ticket_names_the_operator_who_closed_it(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w)
    out = await w.op(600, payload=f"tk:close:{t.id}", who=PETRO, name="Петро")
    assert out.close_topic
    row = await w.ticket(t.id)
    assert (row.status, row.operator_id, row.operator_name) == ("closed", PETRO, "Петро")


async def _snapshot(w: World) -> tuple[object, ...]:
    tickets = [
        (t.id, t.status, t.operator_id, t.taken_at, t.closed_at, t.last_activity_at, t.topic_id)
        for t in await w.tickets()
    ]
    rows = [(r.id, r.text) for r in await w.rows()]
    log = [(line.id, line.text) for u in ("u1", "u2") for line in await w.log(u)]
    return tickets, rows, log, await w.held("u1"), await w.held("u2")


async def test_someone_not_on_the_operators_list_is_ignored(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w)
    before = await _snapshot(w)
    for event in (
        {"payload": f"tk:take:{t.id}"},
        {"payload": f"tk:close:{t.id}"},
        {"text": "Я теж оператор, дайте мені номер"},
        {"text": "/t hours"},
        {"topic_closed": True},
    ):
        out = await w.op(600, who=STRANGER, name="Хтось", **event)  # type: ignore[arg-type]
        assert out == DeskOutcome()
    assert await _snapshot(w) == before


async def test_a_button_of_one_ticket_in_another_s_topic_does_nothing(world: World) -> None:
    w = world
    a = await _ticket_in_topic(w, "u1", 601)
    b = await _ticket_in_topic(w, "u2", 602)
    before = await _snapshot(w)
    for verb in ("take", "pass", "close"):
        assert await w.op(602, payload=f"tk:{verb}:{a.id}") == DeskOutcome()
    for forged in (
        f"tk:take:{a.id}x",
        "tk:take:",
        f"tk:take:{b.id + 100}",
        f"xx:take:{b.id}",
        "tk",
        f"tk:eat:{b.id}",
    ):
        assert await w.op(602, payload=forged) == DeskOutcome()
    for verb in ("pass", "close"):  # the general chat (the queue message) only takes
        assert await w.op(None, payload=f"tk:{verb}:{a.id}") == DeskOutcome()
    assert await _snapshot(w) == before


async def test_writing_in_a_waiting_ticket_takes_it_and_reaches_a_web_citizen_as_an_operator_line(
    world: World,
) -> None:
    w = world
    t = await _ticket_in_topic(w)
    w.clock.tick(minutes=4)
    out = await w.op(600, text="Добрий день! Чим допомогти?")
    assert [r.text for r in out.replies] == [texts.OP_TAKEN.format(name="Ірина")]
    row = await w.ticket(t.id)
    assert (row.status, row.operator_id, row.taken_at, row.last_activity_at) == (
        "open",
        IRYNA,
        w.clock.now,
        w.clock.now,
    )
    log = await w.log("u1")
    assert [(line.direction, line.text) for line in log[-2:]] == [
        ("sys", texts.TAKEN.format(name="Ірина")),
        ("op", texts.OPERATOR_SAYS.format(text="Добрий день! Чим допомогти?")),
    ]
    assert [r for r in await w.rows() if r.channel == "web"] == []  # the web gets it through its log only


async def test_an_operator_line_reaches_a_telegram_citizen_through_the_outbox(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4242", channel="telegram")
    await w.op(600, payload=f"tk:take:{t.id}")
    await w.op(600, text="Ось відповідь")
    rows = await w.rows("telegram")
    assert [(r.external_id, r.text, r.ticket_id) for r in rows] == [
        ("4242", texts.TAKEN.format(name="Ірина"), t.id),
        ("4242", texts.OPERATOR_SAYS.format(text="Ось відповідь"), t.id),
    ]
    assert rows[-1].buttons == [[{"text": texts.END, "payload": "o:end"}]]
    photo = Attachment("photo", origin="-1001:77")
    out = await w.op(600, attachment=photo)
    assert out.replies == []
    assert (await w.rows("telegram"))[-1].media == {"kind": "photo", "origin": "-1001:77"}


@pytest.mark.parametrize(("channel", "shown"), [("web", "Веб-чат"), ("viber", "Viber")])
async def test_a_file_from_the_topic_to_a_channel_that_cannot_take_it_is_refused(
    world: World, channel: str, shown: str
) -> None:
    w = world
    t = await _ticket_in_topic(w, channel=channel)
    await w.op(600, payload=f"tk:take:{t.id}")
    before = (await w.rows(channel), [(x.direction, x.text) for x in await w.log("u1", channel)])
    out = await w.op(600, attachment=Attachment("photo", origin="-1001:78"))
    assert [r.text for r in out.replies] == [texts.OP_NO_FILE.format(channel=shown)]
    after = (await w.rows(channel), [(x.direction, x.text) for x in await w.log("u1", channel)])
    assert [(r.id, r.text) for r in after[0]] == [(r.id, r.text) for r in before[0]] and after[1] == before[1]


async def test_canned_answers(world: World, bot: Bot) -> None:
    w = world
    t = await _ticket_in_topic(w, "4243", channel="telegram")
    hours = await w.op(600, text="/t hours")
    assert hours.replies[-1].text.startswith("→ надіслано:")
    sent = (await w.rows("telegram"))[-1]
    assert sent.text.startswith("👤 Оператор: ") and "08:00" in sent.text
    assert (await w.ticket(t.id)).status == "open"  # the canned answer took the waiting ticket
    card = await w.op(600, text="/t 41-11")
    card_row = (await w.rows("telegram"))[-1]
    assert card_row.id != sent.id and card.replies[-1].text.startswith("→ надіслано:")
    service = bot.engine.kb.service_by_card("41-11")
    assert service is not None and service.title in card_row.text
    count = len(await w.rows("telegram"))
    unknown = await w.op(600, text="/t nonsense")
    assert "Немає шаблону «nonsense»" in text_of(unknown.replies) and "hours" in text_of(unknown.replies)
    bare = await w.op(600, text="/t")
    assert "Немає шаблону «—»" in text_of(bare.replies)
    assert len(await w.rows("telegram")) == count  # nothing reached the citizen


async def test_a_message_in_a_closed_ticket_s_topic_is_not_relayed(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4244", channel="telegram")
    await w.op(600, payload=f"tk:close:{t.id}")
    count = len(await w.rows("telegram"))
    out = await w.op(600, text="Ще одне")
    assert [r.text for r in out.replies] == [texts.OP_CLOSED_ALREADY.format(id=t.id)]
    assert len(await w.rows("telegram")) == count


async def test_a_topic_closed_by_hand_loses_nobody(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "u1", 603)
    assert await w.op(603, topic_closed=True) == DeskOutcome()
    assert (await w.ticket(t.id)).topic_id is None and (await w.ticket(t.id)).status == "waiting"
    await w.say("u1", "я ще тут")
    assert (await w.rows("operators"))[-1].text == "👤 я ще тут"  # the handler opens a new topic for it


# --- the end and the rating -----------------------------------------------------------------------------------


async def _closed_by_operator(w: World, user: str = "u1", topic: int = 700) -> Ticket:
    t = await _ticket_in_topic(w, user, topic)
    await w.op(topic, text="Відповідаю на ваше питання")
    await w.op(topic, payload=f"tk:close:{t.id}")
    return t


async def test_close_rating_and_comment_then_the_bot_is_back(world: World) -> None:
    w = world
    t = await _closed_by_operator(w)
    notice = (await w.log("u1"))[-1]
    assert notice.direction == "sys" and notice.text == texts.ENDED_BY_OPERATOR
    rating_payloads = [b["payload"] for row in notice.buttons or [] for b in row]
    assert rating_payloads == [f"o:r:{t.id}:{n}" for n in range(1, 6)]
    assert not await w.held("u1")
    thanks = await w.press("u1", f"o:r:{t.id}:5")
    assert text_of(thanks) == texts.RATE_THANKS and "o:skip" in payloads(thanks)
    done = await w.say("u1", "Все чудово, передзвоніть на 067 123 45 67 будь ласка")
    assert text_of(done) == texts.COMMENT_THANKS
    row = await w.ticket(t.id)
    assert row.rating == 5 and row.comment is not None and "[телефон]" in row.comment
    assert not PHONE_DIGITS.search(row.comment)
    assert not PHONE_DIGITS.search(await w.all_log_text())
    back = await w.say("u1", "паспорт")
    assert back and texts.PASSED_ON not in text_of(back) and "Дякуємо за відгук" not in text_of(back)
    assert (await w.ticket(t.id)).comment == row.comment  # the next message is not a comment


async def test_the_citizen_ends_it_and_rates(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w)
    await w.op(600, payload=f"tk:take:{t.id}")
    ended = await w.press("u1", "o:end")
    assert text_of(ended) == texts.ENDED_BY_CITIZEN and f"o:r:{t.id}:3" in payloads(ended)
    row = await w.ticket(t.id)
    assert (row.status, row.close_reason) == ("closed", "citizen") and not await w.held("u1")
    assert (await w.rows("operators"))[-1].text == texts.OP_CITIZEN_ENDED
    skip = await w.press("u1", f"o:r:{t.id}:2")
    assert text_of(skip) == texts.RATE_THANKS
    assert text_of(await w.press("u1", "o:skip")) == texts.COMMENT_THANKS
    assert (await w.ticket(t.id)).comment is None
    again = await w.press("u1", "o:end")  # an old button: nothing to end
    assert text_of(again) == texts.NOT_ENDED


@pytest.mark.parametrize("forged", ["other", "zero", "six", "twice", "open", "garbage"])
async def test_a_forged_rating_is_refused_kindly(world: World, forged: str) -> None:
    w = world
    mine = await _closed_by_operator(w, "u1", 701)
    theirs = await _closed_by_operator(w, "u2", 702)
    if forged == "twice":
        await w.press("u1", f"o:r:{mine.id}:4")
        await w.say("u1", "ok")  # the comment
    payload = {
        "other": f"o:r:{theirs.id}:1",
        "zero": f"o:r:{mine.id}:0",
        "six": f"o:r:{mine.id}:6",
        "twice": f"o:r:{mine.id}:1",
        "open": "",
        "garbage": f"o:r:{mine.id}:5:5",
    }[forged]
    if forged == "open":
        live = await _ticket_in_topic(w, "u3", 703)
        payload = f"o:r:{live.id}:5"
        replies = await w.press("u3", payload)
        assert (await w.ticket(live.id)).rating is None
    else:
        replies = await w.press("u1", payload)
    assert replies and ("неактуальна" in text_of(replies) or text_of(replies) == texts.RATED_ALREADY)
    assert "o:skip" not in payloads(replies)
    ratings = {t.id: t.rating for t in await w.tickets()}
    assert ratings[theirs.id] is None
    assert ratings[mine.id] == (4 if forged == "twice" else None)
    if forged == "twice":
        assert text_of(replies) == texts.RATED_ALREADY
    # A comment step was not opened by the refused rating: the next text is an ordinary question.
    after = await w.say("u1", "паспорт")
    assert texts.COMMENT_THANKS not in text_of(after)
    assert {t.id: t.comment for t in await w.tickets()}[theirs.id] is None


# --- the sweep ------------------------------------------------------------------------------------------------------


async def test_an_untaken_live_ticket_gets_the_offer_once(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4250", channel="telegram")
    assert await w.sweep(minutes=9) == 0
    assert await w.sweep(minutes=11) == 1
    assert await w.sweep(minutes=12) == 0
    assert await w.sweep(minutes=13) == 0
    offers = [r for r in await w.rows("telegram") if r.text == texts.NOBODY_FREE]
    assert len(offers) == 1
    offered = [b["payload"] for row in offers[0].buttons or [] for b in row]
    assert {"q:cb", "o:q", "o:wait", "o:end"} <= set(offered)
    assert [r.text for r in await w.rows("operators")].count(texts.OP_OFFERED) == 1
    row = await w.ticket(t.id)
    assert row.offered_at == NOW + dt.timedelta(minutes=11) and row.status == "waiting"
    assert await w.held("4250", "telegram")


async def test_the_sweep_waits_for_the_citizens_turn(world: World) -> None:
    """The sweep's job for a ticket goes through the turns' pipeline: while the citizen's turn holds their
    lock, the offer is neither decided nor queued; once it ends, it is."""
    w = world
    t = await _ticket_in_topic(w, "4252", channel="telegram")
    before = len(await w.rows("telegram"))
    now = NOW + dt.timedelta(minutes=11)
    async with w.bot.turns.citizen("telegram", "4252"):  # as a turn holds it, from its start to its last send
        sweeping = asyncio.create_task(sweep(w.bot.uow_factory, w.service, now, pipeline=w.bot.turns))
        await asyncio.sleep(0.2)
        assert not sweeping.done() and len(await w.rows("telegram")) == before
        assert (await w.ticket(t.id)).offered_at is None
    assert await asyncio.wait_for(sweeping, timeout=5) == 1
    assert [r.text for r in await w.rows("telegram")][before:] == [texts.NOBODY_FREE]
    assert (await w.ticket(t.id)).offered_at == now


async def test_leaving_the_question_after_the_offer_lets_the_citizen_go(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w)
    await w.say("u1", "питання про пенсію")
    await w.sweep(minutes=11)
    w.clock.tick(minutes=12)
    left = await w.press("u1", "o:q")
    assert "Запитання передано" in text_of(left)
    row = await w.ticket(t.id)
    assert (row.mode, row.status) == ("question", "waiting") and not await w.held("u1")
    answer = await w.say("u1", "паспорт")
    assert answer and texts.PASSED_ON not in text_of(answer)


async def test_an_idle_conversation_closes_with_notice_to_both(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4251", channel="telegram")
    await w.op(600, payload=f"tk:take:{t.id}")
    w.clock.tick(minutes=5)
    await w.say("4251", "Зараз знайду документ", channel="telegram")
    assert await w.sweep(minutes=29.9) == 0
    assert await w.sweep(minutes=30.1) == 1
    assert await w.sweep(minutes=31) == 0
    row = await w.ticket(t.id)
    assert (row.status, row.close_reason) == ("closed", "idle")
    assert not await w.held("4251", "telegram")
    citizen = (await w.rows("telegram"))[-1]
    assert citizen.text == texts.ENDED_IDLE
    assert f"o:r:{t.id}:5" in [b["payload"] for row in citizen.buttons or [] for b in row]
    operators = (await w.rows("operators"))[-1]
    assert operators.text == texts.OP_IDLE and operators.media == {"kind": "close"}
    back = await w.say("4251", "паспорт", channel="telegram")
    assert back and texts.PASSED_ON not in text_of(back)


async def test_a_waiting_citizen_who_ignored_the_offer_is_released_as_a_question(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4252", channel="telegram")
    await w.say("4252", "Підкажіть про субсидію", channel="telegram")
    assert await w.sweep(minutes=10.1) == 1  # the offer
    assert await w.sweep(minutes=40) == 0  # quiet 40 min, but only 29.9 since the offer
    assert await w.sweep(minutes=40.2) == 1
    row = await w.ticket(t.id)
    assert (row.mode, row.status) == ("question", "waiting")
    assert not await w.held("4252", "telegram")
    assert (await w.rows("telegram"))[-1].text == texts.QUESTION_KEPT
    assert (await w.rows("operators"))[-1].text == texts.OP_RELEASED.format(channel="Telegram")
    assert await w.sweep(minutes=500) == 0  # a question waits for working hours
    w.clock.tick(minutes=45)
    answer = await w.say("4252", "паспорт", channel="telegram")
    assert answer and texts.PASSED_ON not in text_of(answer)
    # The question is answered later and reaches the citizen on their channel.
    await w.op(600, text="Відповідь на ваше запитання")
    assert (await w.rows("telegram"))[-1].text == texts.OPERATOR_SAYS.format(
        text="Відповідь на ваше запитання"
    )


async def test_a_citizen_who_chose_to_keep_waiting_is_not_released_at_once(world: World) -> None:
    w = world
    await _ticket_in_topic(w)
    assert await w.sweep(minutes=10.1) == 1  # the offer
    w.clock.tick(minutes=39.1)  # 29 minutes after the offer
    place_of(await w.press("u1", "o:wait"))
    assert await w.sweep(minutes=1.5) == 0  # a minute and a half after «keep waiting»
    assert await w.held("u1") and (await only_ticket(w)).mode == "live"


async def test_the_sweep_acts_exactly_when_the_rule_says(world: World) -> None:
    w = world
    await _ticket_in_topic(w)
    assert await w.sweep(minutes=10) == 1


# --- races ---------------------------------------------------------------------------------------------------------


async def test_two_operators_pressing_take_at_once_give_it_to_exactly_one(world: World) -> None:
    w = world
    t = await _ticket_in_topic(w, "4260", channel="telegram")
    outcomes = await asyncio.gather(
        w.op(600, payload=f"tk:take:{t.id}"),
        w.op(600, payload=f"tk:take:{t.id}", who=PETRO, name="Петро"),
    )
    won = [o for o in outcomes if [r.text for r in o.replies] in (
        [texts.OP_TAKEN.format(name="Ірина")], [texts.OP_TAKEN.format(name="Петро")])]  # fmt: skip
    assert len(won) == 1
    row = await w.ticket(t.id)
    winner = "Ірина" if won[0] is outcomes[0] else "Петро"
    assert row.operator_name == winner
    lost = outcomes[1] if won[0] is outcomes[0] else outcomes[0]
    assert [r.text for r in lost.replies] == [texts.OP_TAKEN_BY.format(id=t.id, name=winner)]
    assert [r.text for r in await w.rows("telegram")].count(texts.TAKEN.format(name=winner)) == 1
    assert len(await w.rows("telegram")) == 1


async def test_two_takes_in_one_race_by_raw_updates(world: World) -> None:
    """Both units of work read the ticket as waiting before either writes: the conditional UPDATE decides."""
    w = world
    t = await _ticket_in_topic(w)
    async with w.bot.uow_factory() as uow:
        first = await uow.tickets.take(t.id, IRYNA, "Ірина", NOW)
        second = await uow.tickets.take(t.id, PETRO, "Петро", NOW)
    assert (first, second) == (True, False)
    assert (await w.ticket(t.id)).operator_id == IRYNA


async def test_two_asks_at_once_open_one_ticket(world: World) -> None:
    w = world
    replies = await asyncio.gather(*(w.say("u1", "оператор") for _ in range(3)), w.press("u1", "o"))
    assert len(await w.tickets()) == 1
    assert all("в черзі 1-й" in text_of(r) or r == [] or text_of(r) == texts.PASSED_ON for r in replies)


async def test_the_database_refuses_a_second_open_ticket_of_one_citizen(world: World) -> None:
    """Two processes opening at once (no per-citizen lock between them): the partial unique index decides."""
    w = world
    await w.say("u1", "паспорт")

    async def open_one() -> Ticket | None:
        async with w.bot.uow_factory() as uow:
            user, state = await uow.users.with_state("web", "u1")
            return await w.service.open(uow, user, state, mode="live", name=None, now=NOW)

    results = await asyncio.gather(open_one(), open_one(), open_one())
    assert sum(r is not None for r in results) == 1
    (t,) = await w.tickets()
    async with w.bot.uow_factory() as uow:
        user, state = await uow.users.with_state("web", "u1")
        assert await w.service.open(uow, user, state, mode="question", name=None, now=NOW) is None
        assert await uow.tickets.close(t.id, "operator", NOW)
    async with w.bot.uow_factory() as uow:
        user, state = await uow.users.with_state("web", "u1")
        assert await w.service.open(uow, user, state, mode="live", name=None, now=NOW) is not None


# --- the staff listing ---------------------------------------------------------------------------------------------

REQUIRED = {
    "id",
    "channel",
    "status",
    "priority",
    "created_at",
    "taken_at",
    "closed_at",
    "operator",
    "rating",
}
EXTRAS = {"mode", "close_reason", "comment"}  # what the lead added beyond the fields


async def _listing(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    code = await handoff_run(["list", "--json", *args], make_settings(tmp_path), out=out, err=err)
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert isinstance(data, list)
    return data


async def _three_tickets(w: World) -> list[Ticket]:
    closed = await _closed_by_operator(w, "u1", 801)
    await w.press("u1", f"o:r:{closed.id}:4")
    await w.say("u1", "Дякую")
    opened = await _ticket_in_topic(w, "u2", 802, name="Петренко Олена")
    await w.op(802, payload=f"tk:take:{opened.id}", who=PETRO, name="Петро")
    await w.say("u3", "оператор", name="Іван Сидоренко")
    await w.press("u3", "o:p")
    return await w.tickets()


async def test_the_listing_has_the_fields_and_the_statuses(world: World, tmp_path: Path) -> None:
    w = world
    tickets = await _three_tickets(w)
    data = await _listing(tmp_path)
    assert [d["id"] for d in data] == [t.id for t in tickets]
    for d in data:
        assert REQUIRED <= set(d) <= REQUIRED | EXTRAS, set(d)  # nothing else slips in
    assert [d["status"] for d in data] == ["closed", "open", "waiting"]
    assert [d["operator"] for d in data] == ["Ірина", "Петро", None]
    assert [d["rating"] for d in data] == [4, None, None]
    assert [d["priority"] for d in data] == [False, False, True]
    assert {d["channel"] for d in data} == {"web"}
    created = dt.datetime.fromisoformat(str(data[0]["created_at"]))
    assert created == NOW and created.utcoffset() == dt.timedelta(hours=2)  # Kyiv time
    assert data[2]["taken_at"] is None and data[2]["closed_at"] is None
    assert [d["id"] for d in await _listing(tmp_path, "--status", "waiting")] == [tickets[2].id]


async def test_the_listing_names_no_citizen(world: World, tmp_path: Path) -> None:
    w = world
    await _three_tickets(w)
    text = json.dumps(await _listing(tmp_path), ensure_ascii=False)
    for personal in ("Олена", "Петренко", "Сидоренко", "Іван", "u1", "u2", "u3"):
        assert personal not in text


async def test_the_listing_prints_no_personal_words_of_a_comment(world: World, tmp_path: Path) -> None:
    w = world
    t = await _closed_by_operator(w)
    await w.press("u1", f"o:r:{t.id}:5")
    await w.say("u1", "Дякую від Олени Петренко з вулиці Шевченка 12, тел 0671234567")
    text = json.dumps(await _listing(tmp_path), ensure_ascii=False)
    assert not PHONE_DIGITS.search(text)
    assert "Петренко" not in text and "Шевченка" not in text


# --- the operators' context card ------------------------------------------------------------------------------


async def test_the_context_card_shows_the_dialog_and_no_typed_phone(world: World, bot: Bot) -> None:
    w = world
    service = bot.engine.kb.service_by_card("41-11")
    assert service is not None
    replies = await w.press("u1", f"v:{service.id}")
    answers = [p for p in payloads(replies) if p.startswith("a:")]
    if answers:
        await w.press("u1", answers[0])
    await w.say("u1", "мій номер 067 123 45 67")
    await ask(w, "u1")
    t = await only_ticket(w)
    assert t.subject is not None and t.subject.startswith("k-")
    async with bot.uow_factory() as uow:
        card = await w.service.context_card(uow, t.id, NOW)
    assert card is not None
    assert card.text.startswith(f"🎫 №{t.id} · Веб-чат · Олена")
    assert "🧭" in card.text and "📝 Перелік:" in card.text
    assert "💬 Останні повідомлення:" in card.text and "[телефон]" in card.text
    assert not PHONE_DIGITS.search(card.text)
    assert [b.payload for row in card.buttons for b in row] == [
        f"tk:take:{t.id}",
        f"tk:pass:{t.id}",
        f"tk:close:{t.id}",
    ]
    await w.give_topic(t.id, 950)
    await w.op(950, payload=f"tk:close:{t.id}")
    async with bot.uow_factory() as uow:
        closed = await w.service.context_card(uow, t.id, NOW)
    assert (
        closed is not None and closed.buttons == () and texts.OP_CLOSED_ALREADY.format(id=t.id) in closed.text
    )


async def test_the_retention_purge_deletes_a_ticket_topic_too(world: World) -> None:
    """Erasing a citizen by any path (here `Users.erase`, as the retention purge does, with no room asked first)
    queues the deletion of their tickets' topics."""
    w = world
    await ask(w, "u9")
    t = await only_ticket(w)
    await w.give_topic(t.id, 509)
    await w.op(509, payload=f"tk:close:{t.id}")
    async with w.bot.uow_factory() as uow:
        user = await uow.users.get("web", "u9")
        assert user is not None
        await uow.users.erase(user)
    erase = [r for r in await w.rows("operators") if r.media == {"kind": "erase"}]
    assert [r.external_id for r in erase] == [str(t.id)]


async def test_a_typed_no_after_a_rating_is_no_comment(world: World) -> None:
    w = world
    t = await _closed_by_operator(w)
    await w.press("u1", f"o:r:{t.id}:4")
    done = await w.say("u1", "ні, дякую")
    assert text_of(done) == texts.COMMENT_THANKS
    assert (await w.ticket(t.id)).comment is None


# --- floods cannot stall the queue (issue 20) ---------------------------------------------------------------------


async def _due_for_group(w: World) -> list[Outbox]:
    async with w.bot.uow_factory() as uow:
        return await uow.outbox.due(limit=100, channels={"operators"})


async def test_a_waiting_ticket_is_a_line_of_the_queue_message_until_an_operator_takes_it_there(
    world: World,
) -> None:
    w = world
    await ask(w, "u1")
    await w.say("u1", "у мене питання про субсидію")
    await w.press("u1", "o:p")  # a declared priority is news for the operators, held too
    (t,) = await w.tickets()
    assert [r.text for r in await w.rows("operators")] == ["👤 у мене питання про субсидію", texts.OP_PRIORITY.format(
        group="так (зі слів громадянина)")]  # fmt: skip
    assert await _due_for_group(w) == []  # held: the group is not written to for a waiting ticket
    board = await w.board()
    assert f"🎖 №{t.id} · Веб-чат · Олена · з 11:00" in board.text

    taken = await w.op(None, payload=f"tk:take:{t.id}")  # «Взяти» on the queue message
    assert [r.text for r in taken.replies] == [texts.OP_TAKEN_FROM_BOARD.format(id=t.id)]
    row = await w.ticket(t.id)
    assert (row.status, row.operator_name) == ("open", "Ірина")
    # Now the topic opens (the handler's first row brings the context card), the held lines first, in order.
    assert [r.text for r in await _due_for_group(w)] == [
        "👤 у мене питання про субсидію",
        texts.OP_PRIORITY.format(group="так (зі слів громадянина)"),
        texts.OP_TAKEN.format(name="Ірина"),
    ]
    assert (await w.board()).text == texts.OP_BOARD_EMPTY and not (await w.board()).buttons
    again = await w.op(None, payload=f"tk:take:{t.id}", who=PETRO, name="Петро")
    assert [r.text for r in again.replies] == [texts.OP_TAKEN_BY.format(id=t.id, name="Ірина")]


async def test_the_queue_message_lists_the_first_tickets_and_counts_the_rest(world: World) -> None:
    w = world
    for n in range(12):
        await ask(w, f"u{n}")
    await w.press("u11", "o:p")  # a priority citizen is listed first
    board = await w.board()
    ids = [int(p.rsplit(":", 1)[1]) for p in payloads([board])]
    assert ids == [12, 1, 2, 3, 4, 5, 6, 7] and "Черга до оператора: 12" in board.text
    assert "… і ще 4 у черзі." in board.text and len(board.text) < 1000
    assert await w.rows("operators") != [] and await _due_for_group(w) == []


async def _verified(w: World, external: str, channel: str, phone: str = PHONE) -> None:
    await w.say(external, "/start", channel=channel)
    async with w.bot.uow_factory() as uow:
        user = await uow.users.get(channel, external)
        assert user is not None
        await uow.people.verify(user, phone, "telegram" if channel == "telegram" else "sms")


async def test_one_open_ticket_per_person_whatever_the_channel_or_session(world: World) -> None:
    w = world
    await _verified(w, "tg-1", "telegram")
    await _verified(w, "web-a", "web")
    await _verified(w, "web-b", "web", phone="+380501112233")
    await ask(w, "tg-1", channel="telegram")
    elsewhere = await w.say("web-a", "оператор")  # the same person in the web chat: kindly told where it is
    assert text_of(elsewhere) == texts.ELSEWHERE.format(channel="Telegram")
    await w.press("web-a", "o:q")
    left = await w.say("web-a", "Як оформити субсидію?")  # nor a question left out of the queue
    assert texts.ELSEWHERE.format(channel="Telegram") in text_of(left)
    await ask(w, "web-b")  # another person
    assert [(t.channel, t.status) for t in await w.tickets()] == [("telegram", "waiting"), ("web", "waiting")]
    await w.press("tg-1", "o:end", channel="telegram")  # once it ends, the person may ask anywhere
    await ask(w, "web-a")
    assert [t.status for t in await w.tickets()] == ["closed", "waiting", "waiting"]


async def test_web_tickets_are_capped_per_address_with_a_polite_reply(world: World) -> None:
    w = world
    from dialogs.handoff.flow import TICKETS_PER_ADDRESS

    def web(session: str, address: str) -> Incoming:
        return Incoming("web", session, text="оператор", name="Олена", origin=address)

    for n in range(TICKETS_PER_ADDRESS):
        assert "Ви в черзі" in text_of(await w.send(f"s{n}", web(f"s{n}", "203.0.113.7")))
    refused = await w.send("s-next", web("s-next", "203.0.113.7"))
    assert texts.TOO_MANY_TICKETS in text_of(refused) and "0 800 500 459" in text_of(refused)
    assert not await w.held("s-next")
    assert "Ви в черзі" in text_of(await w.send("s-other", web("s-other", "198.51.100.1")))  # another address
    assert "Ви в черзі" in text_of(await ask(w, "tg-9", channel="telegram"))  # messengers carry no address
    w.clock.tick(hours=1, seconds=1)
    w.bot.uow_factory.clock.advance(dt.timedelta(hours=1, seconds=1))  # type: ignore[attr-defined]  # the records'
    assert "Ви в черзі" in text_of(await w.send("s-later", web("s-later", "203.0.113.7")))
