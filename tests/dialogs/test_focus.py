"""Focus and follow-ups (dialogs/focus.py): a question that names nothing («скільки коштує?», «а де це», «коли
буде готово») is answered about the card, situation or booking in focus, briefly, with the way back; hours and
«де ви» give the office in question today, then «Усі офіси і графік». Through the real engine and database."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Bot
from dialogs.booking import texts as booking_texts
from dialogs.outcome import Kind, Outcome
from storage.clock import ManualClock
from testkit.people import verify_citizen
from testkit.transcript import EngineChannel, Seen
from tests.dialogs.conftest import Heard

MAX_REPLY = 600  # a reply to a simple question fits one phone screen
VPO = "idp-living-allowance"  # card 41-11, at the Саксаганський remote workplace, free, 15 working days


def _short(seen: Seen) -> None:
    assert len(seen.texts) == 1 and len(seen.text) <= MAX_REPLY, seen.text
    assert "не зрозумів" not in seen.text and "не знайшов відповіді" not in seen.text, seen.text


def _resume(seen: Seen) -> str:
    return next(payload for label, payload in seen.buttons if "Продовжити з того ж місця" in label)


def _labels(seen: Seen) -> list[str]:
    return [label for label, _ in seen.buttons]


async def _focus(bot: Bot, user: str = "citizen-1") -> str | None:
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("test", user)
        return state.focus


async def test_follow_ups_after_a_card_are_about_that_card(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    opened = await citizen.send_text("допомога впо")
    assert "Допомога на проживання" in opened.text or "переміщеним" in opened.text
    assert await _focus(bot) == f"service:{VPO}"

    price = await citizen.send_text("скільки коштує?")
    _short(price)
    assert "Допомога на проживання ВПО" in price.text and "безоплатн" in price.text
    assert any("Продовжити" in label for label in _labels(price))  # back to the step the citizen was at
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"price:service:{VPO}")

    where = await citizen.send_text("а де це")
    _short(where)
    assert "Григорія Богослова Святителя" in where.text and "Сьогодні, у п'ятницю, 4 грудня" in where.text

    for typed, facet, expected in [
        ("скока стоит", "price", "безоплатн"),
        ("скільки чекати", "term", "15 робочих днів"),
        ("коли буде готово?", "term", "15 робочих днів"),
        ("а онлайн можна?", "online", "«Дія»"),
        ("які документи", "docs", "Паспорт"),
        ("де знаходиться", "where", "Григорія Богослова Святителя"),
        ("до котрої", "hours", "до 16:30"),
    ]:
        answer = await citizen.send_text(typed)
        _short(answer)
        assert expected in answer.text, (typed, answer.text)
        assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"{facet}:service:{VPO}"), typed
    resumed = await citizen.press(_resume(answer))  # «Продовжити з того ж місця»: the card's question again
    assert "лише на себе" in resumed.text.lower()


async def test_follow_ups_after_a_whole_card_outside_a_dialog(bot: Bot, citizen: EngineChannel) -> None:
    await citizen.press("v:drs-passport-id-lost:open")
    assert await _focus(bot) == "service:drs-passport-id-lost"
    price = await citizen.send_text("а скільки це коштує")
    _short(price)
    assert "грн" in price.text or "Вартість" in price.text
    assert any("Мій перелік" in label for label in _labels(price))  # the card's dialog, one tap away


async def test_follow_ups_after_a_situation_checklist(bot: Bot, citizen: EngineChannel) -> None:
    await citizen.send_text("народження дитини")
    assert await _focus(bot) == "situation:birth"
    price = await citizen.send_text("скільки коштує")
    _short(price)
    assert "Народження дитини" in price.text and "• Реєстрація народження — безоплатно" in price.text
    where = await citizen.send_text("а куди йти")
    _short(where)
    assert "«Віза»" in where.text and "пакет «Народження дитини»" in where.text  # the package's own place
    assert sum(payload.startswith("v:") for _, payload in where.buttons) >= 2  # each service: «Де і коли»
    ready = await citizen.send_text("коли буде готово")
    _short(ready)
    assert "Реєстрація народження —" in ready.text and "гарячій лінії" in ready.text


async def test_a_follow_up_after_booking_is_about_the_booked_service(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await verify_citizen(bot.uow_factory, citizen.channel, citizen.user)  # seeded: not about verifying
    seen = await citizen.press(f"q:s:{VPO}")
    if any(p == "q:p:no" for _, p in seen.buttons):
        seen = await citizen.press("q:p:no")
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:d:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:t:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:ok:")))
    assert "записано" in seen.text
    assert await _focus(bot) == f"booking:{VPO}"

    ready = await citizen.send_text("коли буде готово?")
    _short(ready)
    assert "15 робочих днів" in ready.text and "напишіть її назву" not in ready.text
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"term:booking:{VPO}")
    hours = await citizen.send_text("до котрої працюєте?")  # the booked office, not the main one
    _short(hours)
    assert "Соцзахист Саксаганського" in hours.text and "Головний офіс" not in hours.text


@pytest.mark.parametrize("typed", ["на коли я записаний", "во сколько я записана?"])
async def test_when_am_i_booked_shows_my_bookings_not_a_new_one(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await verify_citizen(bot.uow_factory, citizen.channel, citizen.user)
    seen = await citizen.press(f"q:s:{VPO}")
    if any(p == "q:p:no" for _, p in seen.buttons):
        seen = await citizen.press("q:p:no")
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:d:")))
    seen = await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:t:")))
    await citizen.press(next(p for _, p in seen.buttons if p.startswith("q:ok:")))
    mine = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "booking")
    assert mine.text.startswith(booking_texts.MY_HEAD) and "Соцзахист Саксаганського" in mine.text


async def test_the_focus_changes_when_another_service_is_named(bot: Bot, citizen: EngineChannel) -> None:
    await citizen.send_text("допомога впо")
    await citizen.send_text("меню")
    await citizen.send_text("скільки коштує паспорт якщо загубив")  # a facet of another, named service
    assert await _focus(bot) == "service:drs-passport-id-lost"
    again = await citizen.send_text("а скільки чекати?")
    _short(again)
    assert "ВПО" not in again.text and "паспорт" in again.text.lower()
    await citizen.send_text("меню")
    await citizen.send_text("народження дитини")  # a confident match opens its dialog and takes the focus
    assert await _focus(bot) == "situation:birth"


async def test_a_service_named_at_the_end_of_a_card_opens_its_own_card(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("реєстрація фоп")  # a card with no questions: its checklist at once
    assert heard.outcomes[-1] == Outcome(Kind.CARD, "pub-fop-registration")
    await citizen.send_text("а ємалятко як оформити")  # a new subject, not an answer to anything
    assert heard.outcomes[-1] == Outcome(Kind.CARD, "drs-yemalyatko")
    assert await _focus(bot) == "service:drs-yemalyatko"
    price = await citizen.send_text("а це скільки коштує")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:service:drs-yemalyatko")
    _short(price)


async def test_a_follow_up_with_nothing_in_focus_asks_which_service(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    for typed in ("скільки коштує?", "а де це", "какие документы нужны", "а онлайн можна?"):
        answer = await citizen.send_text(typed)
        _short(answer)
        assert "про яку послугу" in answer.text.lower(), typed
        assert {"📋 Послуги", "🧭 Життєві ситуації"} <= set(_labels(answer))
        assert heard.outcomes[-1].kind is Kind.FOLLOW_UP
    ready = await citizen.send_text("коли буде готово?")
    _short(ready)
    assert "напишіть її назву" in ready.text  # «ready» with nothing in focus: which service, and the menu


async def test_the_focus_goes_with_a_stale_session(
    bot: Bot, citizen: EngineChannel, clock: ManualClock
) -> None:
    await citizen.send_text("допомога впо")
    clock.advance(dt.timedelta(days=2))
    answer = await citizen.send_text("скільки коштує?")
    assert "про яку послугу" in answer.text.lower()
    assert await _focus(bot) is None


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday 4 December 2026, 09:00 Kyiv: open now
        (
            dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC),
            "Сьогодні, у п'ятницю, 4 грудня, приймають з 08:00 до 16:30",
        ),
        # Friday 12:40 Kyiv: the lunch break
        (dt.datetime(2026, 12, 4, 10, 40, tzinfo=dt.UTC), "Зараз перерва до 13:00"),
        # Friday 18:00 Kyiv: closed for the day, Monday next
        (dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC), "прийом уже закінчився"),
        # Saturday: under martial law the main office does not receive on Saturdays
        (dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC), "Сьогодні, у суботу, 5 грудня, вихідний"),
        # Sunday: tomorrow is Monday
        (dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC), "Найближчий прийом — завтра, у понеділок, 7 грудня"),
    ],
)
async def test_hours_today_of_the_main_office(
    citizen: EngineChannel, clock: ManualClock, moment: dt.datetime, expected: str
) -> None:
    clock.now = moment
    for typed in ("до котрої працюєте?", "графік роботи", "до скольки работаете"):
        answer = await citizen.send_text(typed)
        _short(answer)
        assert "Головний офіс «Віза»" in answer.text and expected in answer.text, (typed, answer.text)
        assert "орієнтовний" in answer.text  # the main office's hours are the bot's assumption
        assert "🏢 Усі офіси і графік" in _labels(answer)
    full = await citizen.press(next(p for label, p in answer.buttons if "Усі офіси" in label))
    assert "Контакти Центру" in full.text and "Саксаганського району" in full.text
    assert "Графік: Понеділок — п'ятниця з 08:00 до 16:30" in full.text  # the main office's, too


async def test_where_are_you_gives_the_address_then_all_offices(citizen: EngineChannel) -> None:
    for typed in ("де ви знаходитесь", "где вы находитесь", "яка адреса"):
        answer = await citizen.send_text(typed)
        _short(answer)
        assert "пл. Молодіжна, 1" in answer.text and "🏢 Усі офіси і графік" in _labels(answer), typed


async def test_hours_of_the_card_in_focus_are_its_office(citizen: EngineChannel) -> None:
    await citizen.send_text("допомога впо")
    answer = await citizen.send_text("графік роботи")
    _short(answer)
    assert "Соцзахист Саксаганського" in answer.text and "з 08:00 до 16:30" in answer.text
    assert "орієнтовний" not in answer.text  # published hours (the card's field 2)


async def test_an_amount_follow_up_is_the_payment_not_the_fee(citizen: EngineChannel, heard: Heard) -> None:
    await citizen.send_text("допомога впо")
    amount = await citizen.send_text("а скільки платять?")
    _short(amount)
    assert "Сума виплати" in amount.text and "Оформлення безоплатне" in amount.text
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"amount:service:{VPO}")
    await citizen.send_text("меню")
    await citizen.send_text("народження дитини")
    paid = await citizen.send_text("скільки дають?")  # the situation's one payment is meant
    _short(paid)
    assert "Допомога при народженні" in paid.text and "50 000 грн" in paid.text
    assert "Реєстрація народження" not in paid.text
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "amount:service:drs-birth-assistance")


async def test_documents_asked_inside_a_situation_dialog_keep_the_place(citizen: EngineChannel) -> None:
    await citizen.send_text("народження дитини")
    docs = await citizen.send_text("які документи треба?")
    _short(docs)
    assert "Продовжити з того ж місця" in docs.text and "Продовжити з того ж місця" in " ".join(_labels(docs))
    assert not any(payload.startswith("s:") for _, payload in docs.buttons)  # never restarts the dialog
    resumed = await citizen.press(_resume(docs))
    assert "Чи перебувають батьки дитини у шлюбі?" in resumed.text


async def test_a_situation_opened_by_naming_one_of_its_services_keeps_that_service(
    bot: Bot, citizen: EngineChannel
) -> None:
    opened = await citizen.send_text("загубив айді картку шо робить")
    assert "Втрата документів" in opened.text
    assert await _focus(bot) == "service:drs-passport-id-lost"
    price = await citizen.send_text("скока стоит")
    _short(price)
    assert "Паспорт замість втраченого" in price.text and "618 грн" in price.text
    assert "Повторне свідоцтво" not in price.text


async def test_a_situation_named_far_better_than_its_service_stays_in_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("новый субъект новый объект")  # shares «субъект» with the ФОП card
    assert heard.outcomes[-1] == Outcome(Kind.SITUATION, "new-subject-new-object")
    assert await _focus(bot) == "situation:new-subject-new-object"


async def test_a_situation_naming_several_services_stays_in_focus(bot: Bot, citizen: EngineChannel) -> None:
    await citizen.send_text("народження дитини")
    assert await _focus(bot) == "situation:birth"


async def test_a_room_intent_naming_a_service_puts_it_in_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("нагадайте мені подати документи на допомогу при народженні")
    assert await _focus(bot) == "service:drs-birth-assistance"  # the service it names (not the birth package)
    amount = await citizen.send_text("а скільки там дають")
    _short(amount)
    assert "50 000 грн" in amount.text
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "amount:service:drs-birth-assistance")


async def test_follow_ups_at_a_situations_checklist_are_about_its_services(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    seen = await citizen.press("s:birth")
    for _ in range(10):  # the first option of each question, by its button, to the personal checklist
        answer = next((p for _, p in seen.buttons if p.startswith("a:")), None)
        if answer is None:
            break
        seen = await citizen.press(answer)
    assert "Ваш перелік" in seen.text
    price = await citizen.send_text("а скільки це все коштує?")
    _short(price)
    assert "Народження дитини" in price.text and "Реєстрація народження — безоплатно" in price.text
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:situation:birth")
    where = await citizen.send_text("де це робиться")
    _short(where)
    assert "пакет «Народження дитини»" in where.text  # the package's own place, each service's behind a button
    back = await citizen.press(_resume(where))  # the checklist again
    assert "Ваш перелік" in back.text
