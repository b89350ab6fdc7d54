"""The post-visit survey in Telegram (the real bot on the telegram-test-api emulator): booked, marked arrived by
staff, asked once the next morning by the reminders' dispatcher, answered 4 by button and a typed comment; a
restarted dispatcher sends nothing twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from bot import staff
from bot.app import Bot
from bot.outbox import senders
from bot.reminders import Dispatcher, render_with
from dialogs.survey import texts
from knowledge import Knowledge
from storage.booking import Booking
from storage.clock import ManualClock
from storage.surveys import VisitSurvey
from testkit.telegram.citizen import TelegramCitizen
from tests.e2e.telegram.conftest import TelegramRig, citizen, emulator_url, rig  # noqa: F401  (fixtures)

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE = "idp-living-allowance"
KYIV_WINTER = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


def _asked(history: list[dict[str, object]]) -> list[dict[str, object]]:
    return [m for m in history if "Як пройшов ваш візит" in str(m["message"])]  # type: ignore[index]


async def test_a_telegram_citizen_gets_one_survey_the_next_morning_and_answers_it(
    rig: TelegramRig, citizen: TelegramCitizen, clock: ManualClock, kb: Knowledge  # noqa: F811
) -> None:
    bot = rig.bot
    async with bot.uow_factory() as uow:
        await uow.people.verify(
            await uow.users.get_or_create("telegram", str(citizen.user_id)), "+380501234567", "telegram"
        )
    await citizen.press(f"q:s:{SERVICE}")
    seen = await citizen.press("q:p:no")
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:d:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:t:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:ok:")))
    assert any("вас записано" in t for t in seen.texts)
    async with bot.uow_factory() as uow:
        booking = (await uow.session.execute(select(Booking))).scalar_one()
    assert booking.start is not None

    clock.now = booking.start + dt.timedelta(minutes=10)
    err = io.StringIO()
    code = await staff.run(["mark", booking.code, "arrived"], bot.settings, kb=kb, clock=clock,
                           out=io.StringIO(), err=err)  # fmt: skip
    assert code == 0, err.getvalue()

    assert bot.reminders is not None
    channels = senders(bot.uow_factory, bot.telegram, bot.viber)

    def dispatcher(restarted: bool = False) -> Dispatcher:
        assert bot.reminders is not None
        return Dispatcher(bot.uow_factory, channels, render_with(bot.uow_factory, bot.reminders),
                          on_sent=bot.reminders.after_sent, clock=clock, single_process=restarted)  # fmt: skip

    morning = dt.datetime.combine(
        booking.start.astimezone(KYIV_WINTER).date() + dt.timedelta(days=1), dt.time(10), KYIV_WINTER
    )
    clock.now = morning - dt.timedelta(hours=3)  # 07:00 Kyiv: night, nothing
    assert (await dispatcher().tick()).claimed == 0
    clock.now = morning
    assert (await dispatcher().tick()).sent == 1
    (asked,) = _asked(await citizen.history())
    assert "Центру «Віза»" in str(asked["message"])

    clock.now = morning + dt.timedelta(hours=1)  # a restart later that morning: nothing goes out again
    assert (await dispatcher(restarted=True).tick()).claimed == 0
    assert len(_asked(await citizen.history())) == 1

    (survey,) = await _surveys(bot)
    seen = await citizen.press(f"sv:s:{survey.id}:4")
    assert seen.texts[-1] == texts.COMMENT
    assert ("Пропустити", f"sv:k:{survey.id}") in seen.buttons
    seen = await citizen.send_text("Усе зрозуміло пояснили, дякую")
    assert seen.texts[-1].startswith("Дякуємо за відгук")
    (survey,) = await _surveys(bot)
    assert (survey.score, survey.comment) == (4, "Усе зрозуміло пояснили, дякую")


async def _surveys(bot: Bot) -> list[VisitSurvey]:
    async with bot.uow_factory() as uow:
        return list((await uow.session.execute(select(VisitSurvey))).scalars())
