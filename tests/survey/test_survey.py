"""The post-visit survey end to end on the real object graph (SQLite): a web citizen books, staff mark the visit
arrived (`python -m bot booking mark CODE arrived`), the reminders' dispatcher asks the next morning at 10:00
Kyiv, once, through the web chat (its log, shown by the page's history); the citizen answers by button and
comments by typing (never logged), or types «п'ять»; /forget erases the comment; a restarted dispatcher sends
nothing twice."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, select

from bot import staff
from bot.app import Bot, build
from bot.outbox import senders
from bot.reminders import Dispatcher, render_with
from bot.settings import Settings
from dialogs.survey import texts
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.booking import Booking
from storage.clock import ManualClock
from storage.models import MessageLog
from storage.reminders import Reminder
from storage.surveys import VisitSurvey
from testkit.servers import throwaway_postgres

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn
PHONE = "+380501234567"
COMMENT = "Прийняли швидко, але вікно 3 важко знайти"


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


async def _post(client: TestClient, session: str, **body: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.post("/api/chat", json={"session": session, **body})
    assert resp.status == 200
    replies: list[dict[str, Any]] = (await resp.json())["replies"]
    return replies


async def _history(client: TestClient, session: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.get("/api/chat/history", params={"session": session})
    assert resp.status == 200
    messages: list[dict[str, Any]] = (await resp.json())["messages"]
    return messages


def _payloads(replies: list[dict[str, Any]], start: str) -> list[str]:
    return [b["payload"] for r in replies for row in r["buttons"] for b in row if b.get("payload", "").startswith(start)]


async def _book(bot: Bot, client: TestClient, session: str) -> Booking:  # type: ignore[type-arg]
    """A verified web citizen books the first free time through the web chat."""
    async with bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create("web", session), PHONE, "sms")
    await _post(client, session, payload=f"q:s:{SERVICE}")
    replies = await _post(client, session, payload="q:p:no")
    replies = await _post(client, session, payload=_payloads(replies, "q:d:")[0])
    replies = await _post(client, session, payload=_payloads(replies, "q:t:")[0])
    replies = await _post(client, session, payload=_payloads(replies, "q:ok:")[0])
    assert "вас записано" in replies[0]["text"]
    async with bot.uow_factory() as uow:
        booking = (await uow.session.execute(select(Booking).where(Booking.service == SERVICE))).scalar_one()
    assert booking.start is not None
    return booking


async def _mark(bot: Bot, kb: Knowledge, clock: ManualClock, code: str, status: str = "arrived") -> None:
    out, err = io.StringIO(), io.StringIO()
    assert await staff.run(["mark", code, status, "--by", "Ірина"], bot.settings, kb=kb, clock=clock,
                           out=out, err=err) == 0, err.getvalue()  # fmt: skip


def _dispatcher(bot: Bot, clock: ManualClock, *, restarted: bool = False) -> Dispatcher:
    """The dispatcher as `python -m bot` builds it (bot/__main__.py), over this bot's channels."""
    assert bot.reminders is not None
    return Dispatcher(
        bot.uow_factory, senders(bot.uow_factory, bot.telegram, bot.viber),
        render_with(bot.uow_factory, bot.reminders), on_sent=bot.reminders.after_sent, clock=clock,
        single_process=restarted,
    )  # fmt: skip


async def _surveys(bot: Bot) -> list[VisitSurvey]:
    async with bot.uow_factory() as uow:
        return list((await uow.session.execute(select(VisitSurvey))).scalars())


def _asked(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in history if "Як пройшов ваш візит до Центру «Віза»" in m["text"]]


async def test_the_morning_after_one_survey_answered_by_button_and_a_typed_comment(
    bot: Bot, client: TestClient, clock: ManualClock, kb: Knowledge  # type: ignore[type-arg]
) -> None:
    await _answered_once(bot, client, clock, kb)


async def test_the_same_on_postgresql(kb: Knowledge, index: SearchIndex, clock: ManualClock) -> None:
    """The conditional updates, the savepoint of the survey's unique key and the dispatcher's SKIP LOCKED claim
    on PostgreSQL."""
    with throwaway_postgres() as url:
        pg = await build(Settings(_env_file=None, database_url=url), kb=kb, index=index, clock=clock)  # type: ignore[call-arg]
        try:
            assert pg.db.dialect.name == "postgresql"
            async with TestClient(TestServer(pg.http, host="127.0.0.1")) as client:
                await _answered_once(pg, client, clock, kb)
        finally:
            await pg.close()


async def _answered_once(bot: Bot, client: TestClient, clock: ManualClock, kb: Knowledge) -> None:  # type: ignore[type-arg]
    session = "w-survey-olena"
    booking = await _book(bot, client, session)
    assert booking.start is not None
    visit = booking.start.astimezone(dt.timezone(dt.timedelta(hours=2)))  # Kyiv in December
    clock.now = booking.start + dt.timedelta(minutes=20)
    await _mark(bot, kb, clock, booking.code)
    (survey,) = await _surveys(bot)
    assert (survey.office, survey.service, survey.visit_day) == (booking.office, SERVICE, visit.date())
    assert survey.asked_at is None and survey.score is None

    # The same evening and at 09:59 the next morning: nothing; at 10:00 Kyiv: the question, once.
    dispatcher = _dispatcher(bot, clock)
    clock.now = booking.start + dt.timedelta(hours=6)
    assert (await dispatcher.tick()).sent == 0
    morning = dt.datetime.combine(visit.date() + dt.timedelta(days=1), dt.time(10), visit.tzinfo)
    clock.now = morning - dt.timedelta(minutes=1)
    assert (await dispatcher.tick()).claimed == 0
    clock.now = morning
    assert (await dispatcher.tick()).sent == 1
    (asked,) = _asked(await _history(client, session))
    assert "вчора" in asked["text"] and "1 — дуже погано, 5 — чудово" in asked["text"]
    buttons = [(b["text"], b["payload"]) for row in asked["buttons"] for b in row]
    assert [text for text, _ in buttons] == ["1", "2", "3", "4", "5"]
    assert (await _surveys(bot))[0].asked_at == morning

    # A restart: a second dispatcher (releasing what was left mid-send) sends nothing again, now or later.
    clock.advance(dt.timedelta(minutes=5))
    again = _dispatcher(bot, clock, restarted=True)
    assert (await again.tick()).claimed == 0
    clock.advance(dt.timedelta(days=1))
    assert (await again.tick()).claimed == 0
    assert len(_asked(await _history(client, session))) == 1

    # 4 by button, then a typed comment; thanks.
    replies = await _post(client, session, payload=buttons[3][1])
    assert replies[0]["text"] == texts.COMMENT and _payloads(replies, "sv:k:")
    replies = await _post(client, session, text=COMMENT)
    assert replies[0]["text"] == texts.THANKS
    (survey,) = await _surveys(bot)
    assert (survey.score, survey.comment, survey.answered_at) == (4, COMMENT, clock())
    # The comment is personal: neither in the log nor in the page's history.
    async with bot.uow_factory() as uow:
        logged = [m.text for m in (await uow.session.execute(select(MessageLog))).scalars()]
    assert logged and not any(COMMENT in text for text in logged)
    assert not any(COMMENT in m["text"] for m in await _history(client, session))

    # Once per visit: the button again says so; a second mark schedules nothing.
    replies = await _post(client, session, payload=buttons[4][1])
    assert replies[0]["text"] == texts.ALREADY and (await _surveys(bot))[0].score == 4
    await _mark(bot, kb, clock, booking.code)
    async with bot.uow_factory() as uow:
        rows = list((await uow.session.execute(select(Reminder).where(Reminder.kind == "survey"))).scalars())
    assert [r.status for r in rows] == ["sent"]

    # /forget erases the comment; the anonymous score stays for the statistics.
    await _post(client, session, payload="f:yes")
    (survey,) = await _surveys(bot)
    assert survey.comment is None and survey.score == 4


async def test_a_typed_five_answers_and_someone_elses_button_does_not(
    bot: Bot, client: TestClient, clock: ManualClock, kb: Knowledge  # type: ignore[type-arg]
) -> None:
    session = "w-survey-taras"
    booking = await _book(bot, client, session)
    assert booking.start is not None
    clock.now = booking.start + dt.timedelta(minutes=15)
    await _mark(bot, kb, clock, booking.code)
    clock.now = booking.start + dt.timedelta(days=1, hours=3)  # the next day, in the office's afternoon
    assert (await _dispatcher(bot, clock).tick()).sent == 1
    (asked,) = _asked(await _history(client, session))
    payload = asked["buttons"][0][0]["payload"]

    stranger = await _post(client, "w-survey-stranger", payload=payload)
    assert stranger[0]["text"] == texts.STALE and (await _surveys(bot))[0].score is None

    replies = await _post(client, session, text="п'ять")
    assert replies[0]["text"] == texts.COMMENT
    replies = await _post(client, session, payload=_payloads(replies, "sv:k:")[0])
    assert replies[0]["text"] == texts.THANKS_SCORE
    (survey,) = await _surveys(bot)
    assert (survey.score, survey.comment) == (5, None)


async def test_not_asked_after_a_no_show_nor_of_a_forgotten_citizen(
    bot: Bot, client: TestClient, clock: ManualClock, kb: Knowledge  # type: ignore[type-arg]
) -> None:
    booking = await _book(bot, client, "w-survey-gone")
    assert booking.start is not None
    clock.now = booking.start + dt.timedelta(minutes=15)
    await _mark(bot, kb, clock, booking.code, "no-show")
    assert await _surveys(bot) == []
    # Marked arrived after all, then the citizen asks to be forgotten: the reminder row goes with them.
    await _mark(bot, kb, clock, booking.code)
    assert len(await _surveys(bot)) == 1
    await _post(client, "w-survey-gone", payload="f:yes")
    clock.now = booking.start + dt.timedelta(days=1, hours=1)
    assert (await _dispatcher(bot, clock).tick()).claimed == 0
    assert (await _surveys(bot))[0].asked_at is None


async def test_not_asked_of_a_citizen_who_blocked_the_bot(
    bot: Bot, client: TestClient, clock: ManualClock, kb: Knowledge  # type: ignore[type-arg]
) -> None:
    booking = await _book(bot, client, "w-survey-blocked")
    assert booking.start is not None
    clock.now = booking.start + dt.timedelta(minutes=15)
    await _mark(bot, kb, clock, booking.code)
    # Blocked the bot after the mark: the dispatcher cancels the citizen's rows instead of sending.
    async with bot.uow_factory() as uow:
        await uow.users.deactivate("web", "w-survey-blocked")
    clock.now = booking.start + dt.timedelta(days=1, hours=1)
    tally = await _dispatcher(bot, clock).tick()
    assert (tally.sent, tally.cancelled) == (0, 1)
    assert _asked(await _history(client, "w-survey-blocked")) == []
    # Blocked before the mark: nothing is scheduled at all.
    async with bot.uow_factory() as uow:
        await uow.session.execute(delete(VisitSurvey))
    await _mark(bot, kb, clock, booking.code)
    assert await _surveys(bot) == []
