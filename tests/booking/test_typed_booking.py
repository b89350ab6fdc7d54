"""A booking made, cancelled and moved by typing only, through the real engine (every room wired) and database,
with the tests' clock: Friday 4 December 2026, 09:00 in Kyiv. Issue 19: «на 10 годину» and «так» lost the
booking, «четвер» was not found, «відмінити запис» started a new booking, «ні, я не пільговик» opened a card."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import Bot
from dialogs.messages import Incoming, Reply
from dialogs.outcome import Kind, Outcome
from storage.booking import Booking
from storage.clock import ManualClock
from storage.db import make_sessionmaker
from storage.models import DialogState, UnansweredQuestion
from testkit.people import verify_citizen

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)
KYIV = dt.timezone(dt.timedelta(hours=2))  # December: no summer time


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


async def _say(bot: Bot, user: str, text: str) -> list[Reply]:
    """A citizen whose phone is verified (seeded: this module is about typed answers, not verifying)."""
    await verify_citizen(bot.uow_factory, "web", user)
    return await bot.engine.handle(Incoming("web", user, text=text))


async def _press(bot: Bot, user: str, payload: str) -> list[Reply]:
    await verify_citizen(bot.uow_factory, "web", user)
    return await bot.engine.handle(Incoming("web", user, payload=payload))


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def _payloads(replies: list[Reply]) -> list[str]:
    return [b.payload or "" for r in replies for row in r.buttons for b in row]


async def _state(bot: Bot, user: str) -> DialogState:
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("web", user)
        return state


async def _bookings(bot: Bot, status: str = "booked") -> list[Booking]:
    async with make_sessionmaker(bot.db)() as s:
        return list((await s.scalars(select(Booking).where(Booking.status == status))).all())


async def _talk(bot: Bot, user: str, lines: list[str]) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = await _say(bot, user, line)
        assert "не зрозумів запитання" not in _text(replies), line
    return replies


@pytest.mark.parametrize(
    ("lines", "day", "hour", "minute"),
    [
        (  # Ukrainian, as in the issue
            ["хочу записатися", "допомога переселенцям", "ні, я не пільговик", "четвер", "на 10 годину", "так"],
            10, 10, 0,
        ),
        (  # Russian
            ["хочу записаться на прием", "помощь переселенцам", "нет", "в четверг", "в 11 часов", "да"],
            10, 11, 0,
        ),
        (  # surzhyk, typos, no punctuation
            ["запишіть мене", "допомога впо", "ні не льготнік", "в пятніцу", "о пів на одинадцяту", "ага"],
            11, 10, 30,
        ),
        (  # a day and a time at once, a date in figures
            ["запис", "впо", "не належу", "8.12 о 9:15", "підтверджую"],
            8, 9, 15,
        ),
    ],
)  # fmt: skip
async def test_a_whole_booking_by_typing_only(
    bot: Bot, lines: list[str], day: int, hour: int, minute: int
) -> None:
    replies = await _talk(bot, "typist", lines)
    assert "вас записано" in _text(replies), _text(replies)
    (booking,) = await _bookings(bot)
    assert booking.service == "idp-living-allowance" and booking.priority_group is None
    assert booking.start is not None
    assert booking.start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, day, hour, minute)
    assert (await _state(bot, "typist")).scenario is None


@pytest.mark.parametrize(
    ("lines", "day", "hour", "minute"),
    [
        # a no by its shape (a negation anywhere, no yes-word), a Russian date, a time with its part of the day
        (["запис", "впо", "льгот нет никаких", "9 декабря", "после обеда в 2", "да все верно записывайте"],
         9, 14, 0),
        (["запис", "впо", "у мене нічого такого нема", "в понеділок", "вранці о 9", "звісно записуйте"],
         7, 9, 0),
        (["запис", "впо", "звичайна черга", "в понеділок", "в час дня", "все ок"], 7, 13, 0),
    ],
)  # fmt: skip
async def test_answers_read_by_their_shape(bot: Bot, lines: list[str], day: int, hour: int, minute: int) -> None:
    replies = await _talk(bot, "shape", lines)
    assert "вас записано" in _text(replies), _text(replies)
    (booking,) = await _bookings(bot)
    assert booking.priority_group is None and booking.start is not None
    assert booking.start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, day, hour, minute)


async def test_a_no_at_the_priority_step_that_names_the_day_too_takes_both(bot: Bot) -> None:
    await _talk(bot, "early", ["запис", "впо"])
    assert (await _state(bot, "early")).step == "priority"
    await _say(bot, "early", "пільг нема, на 9 грудня о 10")
    state = await _state(bot, "early")
    assert state.step == "confirm" and state.answers["day"] == "20261209"
    assert state.answers["start"].startswith("202612091000")
    await _say(bot, "early", "ні, не пільговик")  # a no alone still shows the days
    await _talk(bot, "late", ["запис", "впо"])
    replies = await _say(bot, "late", "ні")
    assert (await _state(bot, "late")).step == "day" and any(p.startswith("q:d:") for p in _payloads(replies))


@pytest.mark.parametrize("text", ["та не знаю я", "не зрозуміла", "а чому нема часу"])
async def test_not_knowing_or_asking_at_the_priority_step_is_no_no(bot: Bot, text: str) -> None:
    await _talk(bot, "unsure", ["запис", "впо"])
    await _say(bot, "unsure", text)
    state = await _state(bot, "unsure")
    assert state.scenario == "booking" and state.step == "priority"


async def test_a_priority_citizen_says_so_in_words(bot: Bot) -> None:
    await _talk(bot, "vet", ["записатися", "допомога впо"])
    replies = await _say(bot, "vet", "так")  # yes, but which category?
    assert (await _state(bot, "vet")).step == "priority" and "q:p:combatant" in _payloads(replies)
    await _say(bot, "vet", "я убд")
    assert (await _state(bot, "vet")).step == "day"
    await _talk(bot, "vet", ["в понеділок", "о 12", "так"])
    (booking,) = await _bookings(bot)
    assert booking.priority_group == "combatant"


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("я убд, посвідчення при собі", "combatant"),
        ("батько на візку в нього перша група я його супроводжую", "disability-1"),
    ],
)
async def test_a_priority_group_named_in_a_longer_statement(bot: Bot, text: str, group: str) -> None:
    await _talk(bot, "said", ["записатися", "допомога впо"])
    await _say(bot, "said", text)
    state = await _state(bot, "said")
    assert state.step == "day" and state.answers["prio"] == group


async def test_a_question_with_both_answers_at_the_priority_step_is_answered_not_taken(bot: Bot) -> None:
    await _talk(bot, "ask", ["записатися", "допомога впо"])
    await _say(bot, "ask", "а за це платити треба чи ні")
    state = await _state(bot, "ask")
    assert state.step == "priority" and "prio" not in state.answers


async def test_an_office_named_by_its_short_name_and_its_street_together(bot: Bot) -> None:
    await _talk(bot, "vid", ["записатися", "заміна посвідчення ветерана"])
    assert (await _state(bot, "vid")).step == "office"
    await _say(bot, "vid", "мені ближче на богослова, в соцзахист")
    state = await _state(bot, "vid")
    assert state.step == "priority" and state.answers["office"] == "saksahan-uszn"


async def test_the_hours_asked_at_the_day_step_are_answered_and_a_refused_day_is_skipped(bot: Bot) -> None:
    await _to_step(bot, "hrs", "day")
    replies = await _say(bot, "hrs", "а ви до котрої сьогодні?")  # a question with a day in it
    assert "приймають" in _text(replies) and (await _state(bot, "hrs")).step == "day"
    await _say(bot, "hrs", "тоді сьогодні не встигну, давайте в середу")
    state = await _state(bot, "hrs")
    assert state.step == "time" and state.answers["day"] == "20261209"


async def test_a_facet_asked_on_the_way_that_names_nothing_is_about_the_service_being_booked(bot: Bot) -> None:
    await _to_step(bot, "term", "time")
    replies = await _say(bot, "term", "а після подачі скільки чекати поки призначать?")
    assert "Строк" in _text(replies) and (await _state(bot, "term")).step == "time"


@pytest.mark.parametrize("text", ["та ну його не буду я записуватись", "уже не хочу записываться"])
async def test_a_withdrawn_wish_to_book_leaves_the_booking(bot: Bot, text: str) -> None:
    await _to_step(bot, "bye", "time")
    replies = await _say(bot, "bye", text)
    assert (await _state(bot, "bye")).scenario is None and not await _bookings(bot)
    assert any(p == "q:my" for p in _payloads(replies))


async def _to_step(bot: Bot, user: str, step: str) -> None:
    """Typed only, up to `step`."""
    lines = {
        "service": ["хочу записатися"],
        "priority": ["хочу записатися", "допомога впо"],
        "day": ["хочу записатися", "допомога впо", "ні"],
        "time": ["хочу записатися", "допомога впо", "ні", "в четвер"],
        "confirm": ["хочу записатися", "допомога впо", "ні", "в четвер", "о 10"],
    }[step]
    await _talk(bot, user, lines)
    assert (await _state(bot, user)).step == step


@pytest.mark.parametrize(
    ("step", "buttons", "example"),
    [
        ("service", "q:g:", "наприклад: «ID-картка»"),
        ("priority", "q:p:no", "наприклад: «ні»"),
        ("day", "q:d:", "наприклад: «завтра» або «07.12»"),
        ("time", "q:t:", "наприклад: «о 10:30»"),
        ("confirm", "q:ok:", "«так», щоб підтвердити"),
    ],
)
@pytest.mark.parametrize("typed", ["абракадабра", "ну", "хм ок не знаю шо сказать", "???"])
async def test_a_misread_asks_the_same_step_again_with_its_buttons(
    bot: Bot, step: str, buttons: str, example: str, typed: str
) -> None:
    await _to_step(bot, "unclear", step)
    before = await _state(bot, "unclear")
    answers = dict(before.answers)
    replies = await _say(bot, "unclear", typed)
    after = await _state(bot, "unclear")
    assert (after.scenario, after.step) == ("booking", step)
    assert {k: v for k, v in after.answers.items() if k != "token"} == {
        k: v for k, v in answers.items() if k != "token"
    }
    assert any(p.startswith(buttons) for p in _payloads(replies)), _payloads(replies)
    assert example in _text(replies)
    assert _payloads(replies)[0] != "m"  # never the main menu first
    assert "Оберіть розділ" not in _text(replies)


async def test_the_misread_confirmation_keeps_its_button(bot: Bot) -> None:
    await _to_step(bot, "keep", "confirm")
    token = (await _state(bot, "keep")).answers["token"]
    await _say(bot, "keep", "шо")
    assert (await _state(bot, "keep")).answers["token"] == token
    replies = await _press(bot, "keep", f"q:ok:{token}")  # the button of the first summary still books
    assert "вас записано" in _text(replies) and len(await _bookings(bot)) == 1


@pytest.mark.parametrize("step", ["day", "time", "confirm"])
@pytest.mark.parametrize("question", ["а скільки це коштує", "скільки коштує?", "а сколько это стоит"])
async def test_a_question_on_the_way_is_answered_and_the_booking_waits(
    bot: Bot, step: str, question: str
) -> None:
    await _to_step(bot, "asks", step)
    before = await _state(bot, "asks")
    answers = dict(before.answers)
    replies = await _say(bot, "asks", question)
    # the fee: «безоплатно», or «Оформлення безоплатне» for a payment service
    assert "безоплатн" in _text(replies) and "q:go" in _payloads(replies)
    after = await _state(bot, "asks")
    assert (after.scenario, after.step, after.answers) == ("booking", step, answers)
    replies = await _press(bot, "asks", "q:go")  # «▶️ Продовжити запис»: the same step again
    prefix = {"day": "q:d:", "time": "q:t:", "confirm": "q:ok:"}[step]
    assert any(p.startswith(prefix) for p in _payloads(replies))
    if step == "confirm":
        assert "вас записано" in _text(await _say(bot, "asks", "так"))


async def test_a_question_about_another_service_keeps_the_booking(bot: Bot) -> None:
    await _to_step(bot, "other", "time")
    replies = await _say(bot, "other", "скільки коштує паспорт ID-картка")
    assert "q:go" in _payloads(replies)
    assert (await _state(bot, "other")).step == "time"


async def test_a_question_naming_the_service_being_booked_is_about_it(bot: Bot) -> None:
    """«а скільки коштує допомога» while booking the ВПО allowance: its fee, not a list of every «допомога»."""
    await _to_step(bot, "named", "day")
    replies = await _say(bot, "named", "а скільки коштує допомога")
    assert "безоплатн" in _text(replies) and "q:go" in _payloads(replies)
    assert "Ось що я знайшов" not in _text(replies)
    assert (await _state(bot, "named")).step == "day"


@pytest.mark.parametrize("step", ["time", "confirm"])
@pytest.mark.parametrize("thanks", ["спасибо большое", "дякую"])  # («ок» at the confirmation is a yes)
async def test_thanks_at_a_step_is_thanked_and_the_booking_kept(bot: Bot, step: str, thanks: str) -> None:
    await _to_step(bot, "polite", step)
    answers = dict((await _state(bot, "polite")).answers)
    replies = await _say(bot, "polite", thanks)
    assert "Вибачте, не зрозумів" not in _text(replies)
    after = await _state(bot, "polite")
    assert (after.scenario, after.step, after.answers) == ("booking", step, answers)


@pytest.mark.parametrize(("typed", "meant"), [
    ("паспорт", {"drs-passport-id-exchange", "drs-passport-id-lost"}),
    ("прописка", {"pub-residence-registration", "drs-child-residence"}),  # its label names the child's only
])  # fmt: skip
async def test_a_name_several_services_fit_asks_which(bot: Bot, typed: str, meant: set[str]) -> None:
    await _to_step(bot, "which", "service")
    replies = await _say(bot, "which", typed)
    offered = {p.split(":")[2] for p in _payloads(replies) if p.startswith("q:s:")}
    assert meant <= offered and len(offered) <= 4, _payloads(replies)
    assert (await _state(bot, "which")).step == "service"
    await _press(bot, "which", f"q:s:{sorted(meant)[0]}")
    assert (await _state(bot, "which")).answers["svc"] == sorted(meant)[0]


@pytest.mark.parametrize(("typed", "service"), [("фоп", "pub-fop-registration"), ("впо", "idp-living-allowance")])
async def test_a_name_of_one_service_is_taken_at_once(bot: Bot, typed: str, service: str) -> None:
    await _to_step(bot, "one", "service")
    await _say(bot, "one", typed)
    state = await _state(bot, "one")
    assert state.answers["svc"] == service and state.step != "service"


@pytest.mark.parametrize("typed", ["перший", "самый ранний"])
async def test_the_first_free_time_in_words(bot: Bot, typed: str) -> None:
    await _to_step(bot, "early", "time")
    await _say(bot, "early", typed)
    state = await _state(bot, "early")
    assert state.step == "confirm" and state.answers["start"].endswith("0800")


async def test_times_near_or_in_the_range_asked(bot: Bot) -> None:
    await _to_step(bot, "when", "time")
    replies = await _say(bot, "when", "о 10:05")  # not a slot: the nearest one a few minutes away, said so
    assert "О 10:05 вільного місця немає" in _text(replies) and "10:00" in _text(replies)
    assert (await _state(bot, "when")).step == "confirm"
    replies = await _say(bot, "when", "інший час")
    assert (await _state(bot, "when")).step == "day"
    await _say(bot, "when", "в четвер")
    replies = await _say(bot, "when", "на сьому вечора")  # hours away: the day's times again, nearest named
    assert "О 19:00 вільного місця немає" in _text(replies) and (await _state(bot, "when")).step == "time"
    assert any(p.startswith("q:t:") for p in _payloads(replies))
    replies = await _say(bot, "when", "о восьмій тридцять")
    assert (await _state(bot, "when")).answers["start"].endswith("0830")
    replies = await _say(bot, "when", "інший час")
    await _say(bot, "when", "в четвер")
    replies = await _say(bot, "when", "після обіду")
    times = [p for p in _payloads(replies) if p.startswith("q:t:")]
    assert times and all("1300" <= p[4:] < "2000" for p in times)
    replies = await _say(bot, "when", "на дві")
    assert "14:00" in _text(replies) and (await _state(bot, "when")).step == "confirm"


async def test_a_day_that_passed_or_has_no_places(bot: Bot) -> None:
    await _to_step(bot, "late", "day")
    replies = await _say(bot, "late", "3 грудня")  # yesterday; next year is beyond the horizon
    assert "уже минув" in _text(replies) and (await _state(bot, "late")).step == "day"
    assert any(p.startswith("q:d:") for p in _payloads(replies))
    replies = await _say(bot, "late", "в неділю")
    assert "записатися не можна" in _text(replies) and (await _state(bot, "late")).step == "day"
    replies = await _say(bot, "late", "20 січня")  # beyond the horizon
    assert (await _state(bot, "late")).step == "day" and any(p.startswith("q:d:") for p in _payloads(replies))


async def test_no_at_the_confirmation_offers_other_days(bot: Bot) -> None:
    await _to_step(bot, "nope", "confirm")
    replies = await _say(bot, "nope", "ні")
    assert (await _state(bot, "nope")).step == "day" and any(p.startswith("q:d:") for p in _payloads(replies))
    assert await _bookings(bot) == []


async def test_leaving_by_typing(bot: Bot) -> None:
    await _to_step(bot, "bye", "time")
    replies = await _say(bot, "bye", "не записуватися")
    assert "запис не створено" in _text(replies) and (await _state(bot, "bye")).scenario is None


# --- cancel and move my booking by typing --------------------------------------------------------------


async def _booked(bot: Bot, user: str) -> Booking:
    await _talk(bot, user, ["хочу записатися", "допомога впо", "ні", "в четвер", "о 10", "так"])
    async with bot.uow_factory() as uow:
        u, _ = await uow.users.with_state("web", user)
        (booking,) = await uow.bookings.active_for(u.id)
    return booking


@pytest.mark.parametrize(
    "text",
    ["відмінити запис", "Скасувати запис", "отменить запись", "скасуйте мій запис будь ласка",
     "хочу отменить запись на прием", "відмініть запис", "не зможу прийти в четвер, скасуйте",
     "не смогу прийти, отмените пожалуйста"],
)  # fmt: skip
async def test_cancel_by_typing(bot: Bot, text: str) -> None:
    """The one booking: its question at once (it used to list the bookings, «так» then went unread)."""
    booking = await _booked(bot, "canceller")
    replies = await _say(bot, "canceller", text)
    assert f"q:xx:{booking.code}" in _payloads(replies) and "На яку послугу" not in _text(replies)
    replies = await _press(bot, "canceller", f"q:xx:{booking.code}")
    assert "скасовано" in _text(replies) and await _bookings(bot) == []
    assert (await _state(bot, "canceller")).scenario is None


@pytest.mark.parametrize(
    "yes", ["так", "так, скасувати", "скасовуйте", "да, отмените", "ага", "так відміняйте будь ласка"]
)
async def test_cancel_confirmed_by_typing(bot: Bot, yes: str) -> None:
    booking = await _booked(bot, "sure")
    await _say(bot, "sure", "хочу відмінити свій запис")
    replies = await _say(bot, "sure", yes)
    assert f"{booking.code} скасовано" in _text(replies) and await _bookings(bot) == []
    assert (await _state(bot, "sure")).scenario is None


@pytest.mark.parametrize("no", ["ні", "ні, залиште", "нет не надо", "не скасовуйте", "не отменяйте"])
async def test_cancel_refused_by_typing(bot: Bot, no: str) -> None:
    booking = await _booked(bot, "unsure")
    await _say(bot, "unsure", "скасувати запис")
    replies = await _say(bot, "unsure", no)
    assert "залишається" in _text(replies) and [b.code for b in await _bookings(bot)] == [booking.code]
    assert (await _state(bot, "unsure")).scenario is None


async def test_cancel_button_then_typed_yes(bot: Bot) -> None:
    booking = await _booked(bot, "presser")
    await _press(bot, "presser", "q:my")
    await _press(bot, "presser", f"q:x:{booking.code}")
    replies = await _say(bot, "presser", "так скасуйте")
    assert "скасовано" in _text(replies) and await _bookings(bot) == []


async def test_cancel_question_reasked_on_an_unread_answer(bot: Bot) -> None:
    booking = await _booked(bot, "vague")
    await _say(bot, "vague", "відмінити запис")
    replies = await _say(bot, "vague", "пупупу")
    assert "«так»" in _text(replies) and f"q:xx:{booking.code}" in _payloads(replies)
    assert len(await _bookings(bot)) == 1


@pytest.mark.parametrize(
    "text",
    ["перенести запис", "хочу перенести на інший день", "перенесіть мене на пятницу", "перенести запись"],
)
async def test_move_by_typing(bot: Bot, text: str) -> None:
    """The one booking: its days at once (it used to list the bookings; a typed day then went unread)."""
    booking = await _booked(bot, "mover")
    replies = await _say(bot, "mover", text)
    assert booking.code in _text(replies) and "На яку послугу" not in _text(replies)
    assert (await _state(bot, "mover")).step in ("day", "time")
    replies = await _talk(bot, "mover", ["в пятницу", "о 11", "так"])
    assert "перенесено" in _text(replies)
    (moved,) = await _bookings(bot)
    assert moved.start is not None and moved.start.astimezone(KYIV).hour == 11


@pytest.mark.parametrize("text", ["відмінити запис", "перенести запис"])
async def test_nothing_to_cancel_or_move(bot: Bot, text: str) -> None:
    replies = await _say(bot, "nobody", text)
    assert "немає активних записів" in _text(replies) and "q:" in _payloads(replies)
    assert (await _state(bot, "nobody")).scenario is None


async def test_cancel_typed_inside_a_booking_with_one_made(bot: Bot) -> None:
    booking = await _booked(bot, "both")
    await _talk(bot, "both", ["хочу записатися"])
    replies = await _say(bot, "both", "відмінити запис")
    assert f"q:x:{booking.code}" in _payloads(replies) and "q:go" in _payloads(replies)


async def test_cancel_typed_inside_a_first_booking_leaves_it(bot: Bot) -> None:
    await _to_step(bot, "first", "time")
    replies = await _say(bot, "first", "скасувати запис")
    assert "запис не створено" in _text(replies) and (await _state(bot, "first")).scenario is None
    assert await _bookings(bot) == []


class _Heard:
    """Hears what each message turned out to be (dialogs/outcome.py)."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def understood(self, channel: str, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


async def test_answers_and_reasks_are_noted_and_reasks_kept_for_the_center(bot: Bot) -> None:
    heard = _Heard()
    bot.engine.observers.append(heard)
    await _to_step(bot, "noted", "day")
    await _say(bot, "noted", "пупупу")
    await _say(bot, "noted", "в четвер")
    await _say(bot, "noted", "а скільки коштує")
    assert heard.outcomes[-3:] == [
        Outcome(Kind.REASK, "booking:day"),
        Outcome(Kind.ANSWER, "booking:day"),
        Outcome(Kind.FACET, "price:idp-living-allowance"),
    ]
    async with make_sessionmaker(bot.db)() as s:
        kept = (await s.scalars(select(UnansweredQuestion))).all()
    assert [(q.kind, q.text, q.context) for q in kept] == [("reask", "пупупу", "booking:day")]


async def test_a_hotline_callback_by_typing(bot: Bot) -> None:
    await verify_citizen(bot.uow_factory, "web", "caller", "380671234567")
    await _talk(bot, "caller", ["передзвоніть мені", "в понеділок", "о пів на третю"])
    assert (await _state(bot, "caller")).step == "cb-consent"
    replies = await _say(bot, "caller", "так, згодна")  # no number asked: the verified one is called
    assert (await _state(bot, "caller")).scenario is None and "Передзвонимо на +380 67 ••• •• 67" in _text(replies)
    (booking,) = await _bookings(bot)
    assert booking.kind == "callback" and booking.start is not None and booking.phone == "+380671234567"
    assert booking.start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, 7, 14, 30)


async def test_a_callback_refused_by_typing(bot: Bot) -> None:
    await _talk(bot, "shy", ["передзвоніть мені", "в понеділок", "о 10"])
    replies = await _say(bot, "shy", "ні не треба")
    assert "номер не збираємо" in _text(replies) and (await _state(bot, "shy")).scenario is None


@pytest.mark.parametrize(
    ("typed", "office"),
    [("саксаганський", "saksahan-uszn"), ("в соцзахист", "saksahan-uszn"), ("я-ветеран", "ya-veteran"),
     ("офіс я ветеран", "ya-veteran")],
)  # fmt: skip
async def test_an_office_by_its_words(bot: Bot, typed: str, office: str) -> None:
    await _press(bot, "where", "q:s:rehabilitation-referral")
    assert (await _state(bot, "where")).step == "office"
    await _say(bot, "where", typed)
    state = await _state(bot, "where")
    assert state.answers["office"] == office and state.step in ("priority", "day")


async def test_an_unknown_office_asks_again_with_an_example(bot: Bot) -> None:
    await _press(bot, "where2", "q:s:rehabilitation-referral")
    replies = await _say(bot, "where2", "на лівому березі")
    assert (await _state(bot, "where2")).step == "office"
    assert "наприклад: «Соцзахист Саксаганського р-ну»" in _text(replies)
    assert {"q:o:saksahan-uszn", "q:o:ya-veteran"} <= set(_payloads(replies))


async def test_a_service_by_its_words_at_the_first_step(bot: Bot) -> None:
    await _say(bot, "svc", "записатися")
    replies = await _say(bot, "svc", "соцдопомога")  # a group: its services
    assert any(p.startswith("q:s:") for p in _payloads(replies))
    assert (await _state(bot, "svc")).step == "service"
    await _say(bot, "svc", "направлення на реабілітацію")
    assert (await _state(bot, "svc")).answers.get("svc") == "rehabilitation-referral"


@pytest.mark.parametrize(
    ("now", "typed", "expected_utc"),
    [
        # Friday 26 March 2027, 10:00 Kyiv: clocks go forward on Sunday the 28th; Monday is summer time (UTC+3)
        (dt.datetime(2027, 3, 26, 8, 0, tzinfo=dt.UTC), "в понеділок о 10", dt.datetime(2027, 3, 29, 7, 0)),
        # Friday 29 October 2027: clocks go back on Sunday the 31st; Monday is winter time (UTC+2)
        (dt.datetime(2027, 10, 29, 7, 0, tzinfo=dt.UTC), "в понеділок о 10", dt.datetime(2027, 11, 1, 8, 0)),
        # New Year's Eve 2026, 20:00 Kyiv: «4 січня» is next year's
        (dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC), "4 січня на 9:30", dt.datetime(2027, 1, 4, 7, 30)),
    ],
)
async def test_a_typed_day_and_time_across_dst_and_new_year(
    bot: Bot, clock: ManualClock, now: dt.datetime, typed: str, expected_utc: dt.datetime
) -> None:
    clock.advance(now - clock())
    await _talk(bot, "season", ["хочу записатися", "допомога впо", "ні", typed, "так"])
    (booking,) = await _bookings(bot)
    assert booking.start is not None and booking.start.astimezone(dt.UTC).replace(tzinfo=None) == expected_utc


async def test_another_time_typed_at_the_confirmation(bot: Bot) -> None:
    await _to_step(bot, "change", "confirm")
    replies = await _say(bot, "change", "а можна на 11?")
    assert "о 11:00" in _text(replies) and (await _state(bot, "change")).step == "confirm"
    assert "вас записано" in _text(await _say(bot, "change", "да, подтверждаю"))


@pytest.mark.parametrize(
    ("text", "day", "hour"),
    [
        ("перенесіть мій запис на понеділок на 9", 7, 9),
        ("можна перенести запис на 9.12", 9, None),
        ("перенести запись на среду после обеда", 9, None),
    ],
)
async def test_move_wish_with_its_day(bot: Bot, text: str, day: int, hour: int | None) -> None:
    await _booked(bot, "hurry")
    replies = await _say(bot, "hurry", text)
    state = await _state(bot, "hurry")
    assert state.scenario == "booking" and state.answers.get("day") == f"202612{day:02d}"
    assert "Переносимо запис" in _text(replies)
    if hour is not None:
        assert state.step == "confirm" and state.answers["start"] == f"202612{day:02d}{hour:02d}00"


async def test_move_typed_day_and_time(bot: Bot) -> None:
    booking = await _booked(bot, "late")
    await _say(bot, "late", "не встигаю, можна перенести на інший день?")
    replies = await _talk(bot, "late", ["в понеділок", "на 9 ранку"])
    assert "07.12" in _text(replies) and "09:00" in _text(replies)
    replies = await _say(bot, "late", "підтверджую")
    assert "перенесено" in _text(replies)
    (moved,) = await _bookings(bot)
    assert moved.code != booking.code and moved.start is not None
    assert moved.start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, 7, 9, 0)


# --- the service a booking wish names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("записатися на реєстрацію смерті", "drs-death-registration"),
        ("хочу записатись на прописку дитини", "drs-child-residence"),
        ("запишіть мене на картку криворіжця", "kartka-kryvorizhtsia"),
        ("як записатися на муніципальну няню", "municipal-nanny"),
        ("записаться на регистрацию фоп", "pub-fop-registration"),
        ("запис на статус родини загиблого", "pub-fallen-family-status"),
        ("хочу записатися на направлення на реабілітацію", "rehabilitation-referral"),
    ],
)
async def test_booking_wish_names_its_service(bot: Bot, text: str, service: str) -> None:
    replies = await _say(bot, "wisher", text)
    state = await _state(bot, "wisher")
    assert state.scenario == "booking" and state.answers.get("svc") == service, _text(replies)
    assert state.step in ("office", "priority", "day") and "На яку послугу" not in _text(replies)


@pytest.mark.parametrize("text", ["хочу записатися на прийом", "запишіть мене", "записатися на паспорт"])
async def test_booking_wish_without_one_service_asks_which(bot: Bot, text: str) -> None:
    replies = await _say(bot, "chooser", text)
    state = await _state(bot, "chooser")
    assert state.scenario == "booking" and state.step == "service" and "svc" not in state.answers
    assert "На яку послугу" in _text(replies)


async def test_a_whole_booking_from_a_wish_that_names_the_service(bot: Bot) -> None:
    await _talk(bot, "quick", ["записатися на реєстрацію смерті", "неа", "в четвер", "о пів на третю"])
    replies = await _say(bot, "quick", "да")
    assert "Код запису" in _text(replies)
    (booking,) = await _bookings(bot)
    assert booking.service == "drs-death-registration" and booking.start is not None
    assert booking.start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, 10, 14, 30)


# --- the first free time, days of the month and times as people write them ----------------------------------


async def _first_slot(bot: Bot, day: str = "") -> str:
    """The first free time offered by the buttons (yyyymmddhhmm): of the first day, or of `day`."""
    await _to_step(bot, "looker", "day")
    if not day:
        days = await _say(bot, "looker", "пупупу")  # the day step asked again, with its buttons
        day = next(p for p in _payloads(days) if p.startswith("q:d:"))[4:]
    times = await _press(bot, "looker", f"q:d:{day}")
    return day + next(p for p in _payloads(times) if p.startswith("q:t:"))[4:]


@pytest.mark.parametrize("text", ["найближчий вільний", "без різниці", "как можно раньше", "на ближайшее"])
async def test_the_first_free_time_asked_at_the_day_step(bot: Bot, text: str) -> None:
    first = await _first_slot(bot)
    await _to_step(bot, "eager", "day")
    replies = await _say(bot, "eager", text)
    state = await _state(bot, "eager")
    assert state.step == "confirm" and "Перевірте" in _text(replies)
    assert state.answers["start"] == first


async def test_the_first_free_time_of_the_day_chosen(bot: Bot) -> None:
    await _to_step(bot, "eager", "time")
    day = (await _state(bot, "eager")).answers["day"]
    first = await _first_slot(bot, day)
    await _say(bot, "eager", "будь-який час")
    state = await _state(bot, "eager")
    assert state.step == "confirm" and state.answers["start"] == first


@pytest.mark.parametrize(
    ("lines", "start"),
    [
        (["десятого", "на 9 30"], "202612100930"),
        (["на пятнадцатое", "к одиннадцати"], "202612151100"),
        (["через тиждень", "опівдні"], "202612111200"),
    ],
)
async def test_ordinal_days_and_spaced_times_in_a_booking(bot: Bot, lines: list[str], start: str) -> None:
    await _to_step(bot, "writer", "day")
    await _talk(bot, "writer", lines)
    state = await _state(bot, "writer")
    assert state.step == "confirm" and state.answers["start"] == start


# --- several bookings: which one, typed ------------------------------------------------------------------


async def _two_booked(bot: Bot, user: str) -> tuple[Booking, Booking]:
    await _talk(bot, user, ["хочу записатися", "допомога впо", "ні", "в четвер", "о 10", "так"])
    await _talk(bot, user, ["записатися на реєстрацію смерті", "ні", "в понеділок", "о 9", "так"])
    async with bot.uow_factory() as uow:
        u, _ = await uow.users.with_state("web", user)
        active = await uow.bookings.active_for(u.id)
    (idp,) = [b for b in active if b.service == "idp-living-allowance"]
    (death,) = [b for b in active if b.service == "drs-death-registration"]
    return idp, death


@pytest.mark.parametrize("which", ["той що в четвер", "впо", "на 10.12", "{code}", "код {code}"])
async def test_which_booking_to_cancel_typed(bot: Bot, which: str) -> None:
    idp, death = await _two_booked(bot, "two")
    replies = await _say(bot, "two", "скасувати запис")
    assert "Який скасувати" in _text(replies) and f"q:x:{idp.code}" in _payloads(replies)
    replies = await _say(bot, "two", which.format(code=idp.code.lower()))
    assert f"Скасувати запис {idp.code}?" in _text(replies)
    replies = await _say(bot, "two", "так")
    assert [b.code for b in await _bookings(bot)] == [death.code]


async def test_which_booking_to_move_typed(bot: Bot) -> None:
    _idp, death = await _two_booked(bot, "two")
    await _say(bot, "two", "хочу перенести запис")
    replies = await _say(bot, "two", "реєстрація смерті")
    assert death.code in _text(replies) and (await _state(bot, "two")).step == "day"
    await _talk(bot, "two", ["у вівторок", "о 11", "так"])
    moved = [b for b in await _bookings(bot) if b.service == "drs-death-registration"]
    assert len(moved) == 1 and moved[0].start is not None
    assert moved[0].start.astimezone(KYIV).replace(tzinfo=None) == dt.datetime(2026, 12, 8, 11, 0)


@pytest.mark.parametrize("text", ["пупупу", "обидва"])
async def test_which_booking_unread_lists_them_again(bot: Bot, text: str) -> None:
    idp, death = await _two_booked(bot, "two")
    await _say(bot, "two", "відмінити запис")
    replies = await _say(bot, "two", text)
    assert f"q:x:{idp.code}" in _payloads(replies) and f"q:x:{death.code}" in _payloads(replies)
    assert len(await _bookings(bot)) == 2


async def test_which_booking_left_keeps_them(bot: Bot) -> None:
    await _two_booked(bot, "two")
    await _say(bot, "two", "відмінити запис")
    replies = await _say(bot, "two", "стоп")
    assert "залишається" in _text(replies) and (await _state(bot, "two")).scenario is None
    assert len(await _bookings(bot)) == 2


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("записатися на реєстрацію смерті на понеділок", "20261207"),
        ("хочу записаться на прописку ребенка в среду", "20261209"),
        ("запис на картку криворіжця десятого", "20261210"),
    ],
)
async def test_the_day_a_wish_names_waits_for_the_steps_before_it(bot: Bot, text: str, day: str) -> None:
    replies = await _say(bot, "planner", text)
    assert (await _state(bot, "planner")).step == "priority" and "категорій" in _text(replies)
    replies = await _say(bot, "planner", "ні")
    state = await _state(bot, "planner")
    assert state.step == "time" and state.answers["day"] == day
    await _talk(bot, "planner", ["о 10", "так"])
    (booking,) = await _bookings(bot)
    assert booking.start is not None and f"{booking.start.astimezone(KYIV):%Y%m%d%H}" == f"{day}10"


@pytest.mark.parametrize("text", ["в центр віза", "головний", "на площу молодіжну", "я ветеран"])
async def test_an_office_typed_by_its_name(bot: Bot, text: str) -> None:
    await _say(bot, "office", "записатися на пільгу на комуналку")
    assert (await _state(bot, "office")).step == "office"
    await _say(bot, "office", text)
    state = await _state(bot, "office")
    assert state.step == "priority" and state.answers["office"] == (
        "ya-veteran" if "ветеран" in text else "visa-main"
    )
