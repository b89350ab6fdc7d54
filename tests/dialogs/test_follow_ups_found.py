"""Follow-ups beyond a card opened by name (dialogs/focus.py, dialogs/reading.py): «скільки» alone (a payment's
amount, another service's price), questions about «заява» that name no service, the first hit of a search list
that stands out (what follow-ups are about then) and a list that names nothing clearly (the focus stays as it
was). Through the real engine and database."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.outcome import Kind, Outcome
from testkit.people import verify_citizen
from testkit.transcript import EngineChannel
from tests.dialogs.conftest import Heard

VPO = "idp-living-allowance"  # a payment: 2 000 UAH a month for an adult, 3 000 UAH for a child
KARTKA = "kartka-kryvorizhtsia"  # no payment: its fee is the price


async def _focus(bot: Bot, user: str = "citizen-1") -> str | None:
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("test", user)
        return state.focus


@pytest.mark.parametrize("typed", ["а на дитину скільки", "скока на дитину", "а скільки?"])
async def test_how_much_alone_is_the_amount_of_a_payment_in_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await citizen.send_text("допомога впо")
    assert await _focus(bot) == f"service:{VPO}"
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"amount:service:{VPO}"), answer.text
    assert "3 000 грн" in answer.text and len(answer.text) <= 700


@pytest.mark.parametrize("typed", ["а скока", "а скільки", "сколько"])
async def test_how_much_alone_is_the_price_of_a_service_that_pays_nothing(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await citizen.send_text("картка криворіжця")
    assert await _focus(bot) == f"service:{KARTKA}"
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"price:service:{KARTKA}"), answer.text
    assert "не виплата" not in answer.text


async def test_how_much_with_nothing_in_focus_asks_which_service(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    answer = await citizen.send_text("а скільки")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:")
    assert "про яку послугу" in answer.text


@pytest.mark.parametrize(
    ("typed", "facet"),
    [
        ("а як подати заяву", "where"),
        ("куди подавати заяву", "where"),
        ("а где подать заявление", "where"),
        ("скільки розглядають заяву", "term"),
        ("а сколько рассматривают заявление", "term"),
        ("куди нести документи", "where"),  # «документи» names no service either
        ("а где подавать документы", "where"),
        ("а як подати", "where"),  # «як подати» alone asks where
    ],
)
async def test_a_question_about_the_application_is_about_the_service_in_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str, facet: str
) -> None:
    """«заява» names no service (not the waiver «за заявою»): the question is about the payment in focus."""
    await citizen.send_text("скільки дають грошей при народженні дитини")
    assert await _focus(bot) == "service:drs-birth-assistance"
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"{facet}:service:drs-birth-assistance"), answer.text
    assert await _focus(bot) == "service:drs-birth-assistance"


@pytest.mark.parametrize(
    ("search", "service", "typed", "facet"),
    [
        ("людина похилого віку, картка для проїзду", KARTKA, "а скільки це коштує", "price"),
        ("выплаты впл на проживание продлить", VPO, "а куда идти", "where"),
    ],
)
async def test_a_first_hit_far_ahead_of_the_others_is_opened_and_in_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard, search: str, service: str, typed: str, facet: str
) -> None:
    """Below the confident score but far ahead of every other hit (knowledge.understand CLEAR_SCORE,
    CLEAR_MARGIN): the card opens rather than a list, and the follow-up is about it."""
    listed = await citizen.send_text(search)
    assert heard.outcomes[-1] == Outcome(Kind.CARD, service), listed.text
    assert await _focus(bot) == f"service:{service}"
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"{facet}:service:{service}")
    assert len(answer.text) <= 700


async def test_a_list_with_no_clear_first_hit_leaves_the_focus_alone(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    # a new ID card instead of a booklet, instead of a lost one, the lost documents: all alike
    listed = await citizen.send_text("паспорт")
    assert heard.outcomes[-1].kind is Kind.SEARCH, listed.text
    assert await _focus(bot) is None
    answer = await citizen.send_text("скільки коштує")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:")  # asks which service rather than guess
    assert "про яку послугу" in answer.text


async def test_an_unread_answer_at_a_question_does_not_move_the_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    """At a dialog's question, typed words that list results are an answer it could not read, not a new subject:
    the follow-up after them is still about the dialog's subject."""
    await citizen.send_text("народження дитини")
    assert await _focus(bot) == "situation:birth"
    await citizen.send_text("я опікун")
    assert await _focus(bot) == "situation:birth"
    answer = await citizen.send_text("скільки платять")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "amount:service:drs-birth-assistance")
    assert "50 000" in answer.text


async def test_a_confident_match_listed_after_a_finished_checklist_takes_the_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("реєстрація фоп")
    before = await _focus(bot)
    assert before is not None and "fop" in before
    await citizen.send_text("а повторне свідоцтво про народження як отримати")
    after = await _focus(bot)
    assert after is not None and "fop" not in after  # not the FOP any more: the price asked next is not its
    await citizen.send_text("а це скільки коштує")
    assert heard.outcomes[-1].kind is Kind.FOLLOW_UP and "fop" not in heard.outcomes[-1].target


@pytest.mark.parametrize("typed", ["а які документи брати", "що з собою нести", "какие документы нужны"])
async def test_documents_asked_on_the_way_of_a_booking_are_the_card_s_and_the_booking_waits(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await verify_citizen(bot.uow_factory, citizen.channel, citizen.user)  # seeded: not about verifying
    seen = await citizen.press(f"q:s:{VPO}")
    if any(p == "q:p:no" for _, p in seen.buttons):
        seen = await citizen.press("q:p:no")
    assert any(p.startswith("q:d:") for _, p in seen.buttons)  # the day is asked
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FACET, f"docs:{VPO}"), answer.text
    assert "Документи:" in answer.text and "Паспорт" in answer.text
    resume = next(p for label, p in answer.buttons if "Продовжити запис" in label)
    again = await citizen.press(resume)
    assert any(p.startswith("q:d:") for _, p in again.buttons)  # back at the day, nothing lost


@pytest.mark.parametrize(
    ("typed", "facet"),
    [
        ("які документи брати", "docs"),
        ("шо брать з документів", "docs"),
        ("документы какие брать", "docs"),
        ("коли гроші прийдуть", "term"),
        ("когда придут деньги", "term"),
        ("а довго робиться?", "term"),
        ("чи треба щось платити", "price"),
        ("надо платить что-то", "price"),
    ],
)
async def test_follow_ups_at_a_card_s_question_are_questions_not_answers(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str, facet: str
) -> None:
    """At the card's first question these are questions about the card, answered; the question waits."""
    await citizen.send_text("допомога впо")
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"{facet}:service:{VPO}"), answer.text
    assert any("Продовжити" in label for label, _ in answer.buttons)


@pytest.mark.parametrize("typed", ["кому дають", "навіщо вона", "а для дитини можна", "что это такое"])
async def test_what_it_is_and_whom_for_is_answered_with_the_summary_at_the_cards_question(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await citizen.send_text("картка криворіжця")  # the card's dialog asks its first question
    summary = bot.engine.kb.services[KARTKA].summary
    answer = await citizen.send_text(typed)
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"about:service:{KARTKA}"), answer.text
    assert summary in answer.text and len(answer.text) <= 700
    assert any("Продовжити" in label for label, _ in answer.buttons)  # the question is not lost


@pytest.mark.parametrize("typed", ["що таке єМалятко", "что такое муниципальная няня"])
async def test_what_a_named_service_is_opens_its_card(
    bot: Bot, citizen: EngineChannel, heard: Heard, typed: str
) -> None:
    await citizen.send_text(typed)
    assert heard.outcomes[-1].kind == Kind.CARD, heard.outcomes[-1]


async def test_what_a_situation_in_focus_is_is_its_summary(bot: Bot, citizen: EngineChannel, heard: Heard) -> None:
    await citizen.send_text("помер батько")
    answer = await citizen.send_text("а що це таке")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "about:situation:loss-of-relative"), answer.text
    assert bot.engine.kb.situations["loss-of-relative"].summary in answer.text


async def test_two_facets_asked_at_once_are_both_answered(bot: Bot, citizen: EngineChannel, heard: Heard) -> None:
    card = bot.engine.kb.services[KARTKA]
    answer = await citizen.send_text("картка криворіжця скільки вона коштує і де її роблять")
    assert heard.outcomes[-1] == Outcome(Kind.FACET, f"price:{KARTKA}")  # noted as the first
    assert "безоплатно" in answer.text and "Саксаганського" in answer.text, answer.text
    answer = await citizen.send_text("а скільки чекати і що брати")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, f"term:service:{KARTKA}")
    assert "Строк" in answer.text and card.documents[0].title in answer.text, answer.text
    assert answer.text.count(f"**{card.short_title}**") == 1 and len(answer.text) <= 1000


async def test_where_a_situation_is_dealt_with_is_its_own_where_and_a_question_is_no_answer(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.press("s:ya-veteran")  # at its first question: «Хто звертається?» (a veteran is an option)
    answer = await citizen.send_text("а де зараз приймає я ветеран")  # names an option's word, but asks
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "where:situation:ya-veteran"), answer.text
    assert "0 800 500 459" in answer.text  # the office's rooms were destroyed: call before coming


async def test_documents_asked_mid_checklist_list_those_certain_so_far(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("в маршрутці витягли сумку там був паспорт айдішка шо тепер робить")  # lost, stolen
    answer = await citizen.send_text("а шо з собою нести")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "docs:situation:lost-documents"), answer.text
    assert "Витяг з ЄРДР" in answer.text and "Продовжити" in answer.text  # stolen: the police extract, for sure
    assert "свідоцтв" not in answer.text.split("знадобляться:")[1]  # the certificates are not decided yet
