"""People, not queries (issue 19): a complaint or thanks about staff, anger or despair, «I cannot come in», «erase
my data», «a person», and what has no card here — through the engine, as Kryvyi Rih citizens type them, with what
each message turned out to be, the length of the reply, and its buttons pressed."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs import texts as common
from dialogs.booking import texts as booking_texts
from dialogs.care import texts
from dialogs.care.flow import CareRoom
from dialogs.engine import Engine
from dialogs.handoff import texts as handoff_texts
from dialogs.outcome import Kind, Outcome
from storage.clock import ManualClock
from testkit.transcript import EngineChannel, Seen
from tests.dialogs.conftest import Heard


def _payloads(seen: Seen) -> set[str]:
    return {payload for _, payload in seen.buttons}


def _handoff_answered(seen: Seen) -> bool:
    """The handoff room took it: queued, closed hours or unavailable — each says so with its own words."""
    heads = (handoff_texts.QUEUED[:20], handoff_texts.CLOSED_HOURS[:20], handoff_texts.UNAVAILABLE[:20])
    return any(seen.text.startswith(head.split("{")[0]) for head in heads)


COMPLAINTS = [
    "хочу написати скаргу на працівника",
    "як поскаржитись на адміністратора",
    "мені нахамили у віконці, куди скаржитися",
    "хочу пожаловаться на сотрудника",
    "жалоба на работника цнапа",
    "хочу написать скаргу на працивника",  # surzhyk and a typo
    "скарга",
    "адміністратор грубо розмовляла і відмовила без причини",
    "хочу залишити негативний відгук про обслуговування",  # a bad review is a complaint, not praise
    "оставлю плохой отзыв о вашей работе",
    "сотрудница накричала на меня",  # «сотрудница» is not «сотрите»: never the forget confirmation
    "працівниця кричала на мене у віконці",
    "мене відправили додому без пояснення причин",  # sent away with no reason given
    "отправили ни с чем, даже не объяснили",
    "буду жаловаться на ваших работников",  # the verb, not only the noun
]


@pytest.mark.parametrize("text", COMPLAINTS)
async def test_a_complaint_gets_the_channels_and_a_person(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "complaint")
    assert len(seen.text) <= 600
    assert "0 800 500 459" in seen.text and "1545" in seen.text  # the Center's hotline, the government's
    assert {"o", "q:cb"} <= _payloads(seen)  # the operator and a callback, lent by their rooms


async def test_the_complaint_buttons_reach_the_operator_and_the_callback(
    bot: Bot, citizen: EngineChannel
) -> None:
    seen = await citizen.send_text("хочу написати скаргу на працівника")
    assert _handoff_answered(await citizen.press("o")), "the operator button is the handoff room's"
    other = EngineChannel(bot.engine, user="citizen-2")
    await other.send_text("хочу написати скаргу на працівника")
    asked = await other.press("q:cb")  # a callback goes only to a verified phone: the verify room asks first
    assert "реальна людина" in asked.text
    callback = await other.verify()
    assert callback.buttons and all(p.startswith("q:") or p.startswith("m") for _, p in callback.buttons)
    assert callback.text != seen.text  # the booking room asks for the callback's day


PRAISE = [
    "дякую адміністратору Олені, дуже ввічлива",
    "хочу подякувати працівниці центру",
    "спасибо сотрудникам визы большое",
    "ви молодці, швидко обслужили",
    "хочу оставить благодарность администратору",
    "дякую працівниці Юлії з 5 вікна",
    "дякую дівчатам, де можна залишити відгук?",  # thanks and where: thanked
    "дуже задоволена обслуговуванням",
    "вдячна дівчатам у віконці, все зробили за 10 хвилин",  # grateful to «the girls», to the Center
    "спасибі цнапу, дуже швидко зробили довідку",
]


@pytest.mark.parametrize("text", PRAISE)
async def test_praise_gets_a_warm_short_reply(citizen: EngineChannel, heard: Heard, text: str) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "praise")
    assert seen.text.startswith(texts.PRAISE) and len(seen.text) <= 400
    assert "0 800 500 459" in seen.text


REVIEWS = [
    "де можна залишити відгук",
    "где оставить отзыв о работе центра",
    "є книга відгуків?",
    "хочу написати відгук",
]


@pytest.mark.parametrize("text", REVIEWS)
async def test_where_to_leave_a_review_is_answered_without_thanks_for_unsaid_words(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "praise")
    assert seen.text.startswith(texts.REVIEW_WHERE) and "0 800 500 459" in seen.text and len(seen.text) <= 400


@pytest.mark.parametrize("text", ["дякую", "ще раз дякую вам", "спасибо еще раз", "ну дякую ще раз!"])
async def test_a_plain_thanks_is_not_praise(citizen: EngineChannel, heard: Heard, text: str) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "thanks")  # «ще раз» is not a repeated certificate
    assert seen.text == common.THANKS


DISTRESS = [
    "ви всі там нічого не робите…",
    "задовбали вже",
    "сил вже нема",
    "что за бардак",
    "Что за бардак, полдня не могу дозвониться, где вы вообще находитесь?!",
    "скільки можна чекати, ніхто нічого не знає",
    "издевательство какое-то",
    "руки опускаються вже",
    "ви там знущаєтесь чи шо",
    "йдіть ви зі своїм ботом",
    "тупой бот",
    "толку от вас никакого",
    "та ніякого толку від вас",
]


@pytest.mark.parametrize("text", DISTRESS)
async def test_distress_gets_a_short_human_reply_with_a_person(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "distress")
    assert len(seen.text) <= 300 and seen.text == texts.DISTRESS  # never a dump
    assert {"o", "q:cb", "cr:c"} <= _payloads(seen)


async def test_distress_buttons_work(citizen: EngineChannel) -> None:
    await citizen.send_text("ви всі там нічого не робите")
    complaint = await citizen.press("cr:c")
    assert complaint.text.startswith(texts.COMPLAINT_HEAD) and "1545" in complaint.text
    assert _handoff_answered(await citizen.press("o"))


HOME_VISITS = [
    "мама лежача, чи може ваш працівник приїхати додому",
    "батько інвалід не ходить",
    "не можу прийти сама, я після операції",
    "мама лежачая, можно чтобы приехали на дом",
    "бабуся не встає з ліжка, як бути з документами",
    "можна викликати адміністратора додому?",
    "чи є виїзд додому для маломобільних",
    "мама після інсульту не ходить, як оформити документи",
    "дедушка не ходит, а нужно переоформить документы",
    "я погано ходжу, можна щоб до мене приїхали",
    "бабушка на инвалидной коляске, как быть",
    "а можете приехать ко мне?",
    "мама не виходить з дому",
    "хочу замовити виклик для батька",  # arrange the visit itself
    "как оформить вызов на дом для бабушки",
]


@pytest.mark.parametrize("text", HOME_VISITS)
async def test_cannot_come_in_gets_the_home_visit_and_its_button(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "home_visit")
    assert "Мобільний адміністратор" in seen.text and len(seen.text) <= 600
    assert {"q:v", "q:cb"} <= _payloads(seen)
    visit = await citizen.press("q:v")  # the booking room's own home-visit request, for a verified phone
    assert "реальна людина" in visit.text
    visit = await citizen.verify()
    assert "підтверджено" in visit.texts[0] and visit.texts[1].startswith(booking_texts.VISIT_START[:40])


@pytest.mark.parametrize("text", ["як викликати", "а как вызвать?", "викликати"])
async def test_how_to_call_it_after_the_home_visit_is_the_home_visit(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    await citizen.send_text("мама лежача, чи може ваш працівник приїхати додому")
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "home_visit") and "q:v" in _payloads(seen)


FORGET = [
    "видаліть мої дані",
    "забути мене",
    "удалите мои данные",
    "видалити інформацію про мене",
    "забудьте меня пожалуйста",
    "видаліть мене з бази",
    "сотрите мои данные",
    "видаліть будь ласка всю інформацію про мене",
    "прошу удалить мои персональные данные",
    "забудь мене",  # the exact words, read before the matcher
    "сотрите мои данные",
    "видаліть мою переписку",
    "не зберігайте нічого про мене",  # do not keep anything
    "прошу не хранить ничего обо мне",
]


@pytest.mark.parametrize("text", FORGET)
async def test_every_phrasing_of_forget_me_asks_to_confirm(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    await citizen.send_text("паспорт")  # something of the citizen to forget
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "forget")
    assert seen.texts[0] == common.FORGET_CONFIRM and "f:yes" in _payloads(seen)
    done = await citizen.press("f:yes")
    assert done.texts[0] == common.FORGOTTEN


OPERATOR_WORDS = ["оператор", "людина", "живий оператор", "/operator", "Людина!", "оператора"]  # fixed words
OPERATOR_PHRASES = [
    "хочу поговорити з людиною",
    "соедините с человеком",
    "дайте живого оператора",
    "можна живу людину?",
    "з'єднайте мене з людиною будь ласка",
    "хочу поговорити з працівником",
    "можно с кем-то поговорить?",
]


@pytest.mark.parametrize("text", OPERATOR_WORDS)
async def test_the_operator_words_reach_the_handoff(citizen: EngineChannel, heard: Heard, text: str) -> None:
    assert _handoff_answered(await citizen.send_text(text))
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "operator")  # counted as the wish it is


async def test_the_operator_words_inside_a_dialog_reach_the_handoff(
    citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("картка криворіжця")  # a card's dialog asks its first question
    assert _handoff_answered(await citizen.send_text("людина"))
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "operator")


@pytest.mark.parametrize("text", OPERATOR_PHRASES)
async def test_a_wish_for_a_person_reaches_the_handoff(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "operator")
    assert _handoff_answered(seen)


ELSEWHERE = [
    ("как получить справку о регистрации места жительства", {"v:pub-residence-registration"}),
    ("довідка з місця проживання де взяти", {"v:pub-residence-registration"}),
    ("шо нада шоб паменять паспорт на айдішку", {"v:drs-passport-id-lost", "v:drs-passport-id-exchange"}),
    ("хочу поміняти паспорт книжечку на айді картку", {"v:drs-passport-id-lost"}),
    ("коли міняти паспорт на айді картку в 25 років", {"v:drs-passport-id-lost"}),
    ("субсидія на комуналку", set()),
    ("как оформить субсидию", set()),
    ("купити квиток на потяг", set()),
    ("билет на поезд до киева", set()),
]


@pytest.mark.parametrize(("text", "cards"), ELSEWHERE)
async def test_what_has_no_card_is_said_honestly(
    citizen: EngineChannel, heard: Heard, text: str, cards: set[str]
) -> None:
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "elsewhere")
    assert len(seen.text) <= 600
    offered = {p for p in _payloads(seen) if p.startswith("v:")}
    assert cards <= offered and offered <= {
        "v:pub-residence-registration",
        "v:drs-passport-id-lost",
        "v:drs-passport-id-exchange",
    }
    assert "Я-Ветеран" not in seen.text and "Картк" + "а криворіжця" not in seen.text
    for payload in offered:
        card = await citizen.press(payload)
        assert card.text  # the card opens


@pytest.mark.parametrize(
    ("text", "follow_up", "about"),
    [
        ("довідка про реєстрацію місця проживання, де взяти", "скільки коштує", "pub-residence-registration"),
        ("хочу поміняти паспорт книжечку на айді картку", "а де це робиться", "drs-passport-id-lost"),
    ],
)
async def test_a_follow_up_after_a_topic_with_no_card_is_about_the_nearest_card_offered(
    citizen: EngineChannel, heard: Heard, text: str, follow_up: str, about: str
) -> None:
    await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "elsewhere")
    seen = await citizen.send_text(follow_up)
    assert heard.outcomes[-1].kind == Kind.FOLLOW_UP and heard.outcomes[-1].target.endswith(f"service:{about}")
    assert seen.text.startswith("**") and len(seen.text) <= 600


async def test_a_topic_with_no_card_near_it_puts_nothing_in_focus(citizen: EngineChannel, heard: Heard) -> None:
    await citizen.send_text("купити квиток на потяг")
    await citizen.send_text("скільки коштує")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:")  # «про яку послугу?»


async def test_a_subsidy_says_who_decides_it(citizen: EngineChannel) -> None:
    seen = await citizen.send_text("субсидія на комуналку")
    assert "Пенсійний фонд" in seen.text and "0 800 500 459" in seen.text


async def test_a_train_ticket_is_not_a_service(citizen: EngineChannel) -> None:
    seen = await citizen.send_text("купити квиток на потяг")
    assert "не адміністративна послуга" in seen.text and _payloads(seen) == {"m"}


@pytest.mark.parametrize(
    "text", ["народила вчора, шо робить", "родила вчера что делать", "дитина народилась"]
)
async def test_a_birth_opens_its_situation(citizen: EngineChannel, heard: Heard, text: str) -> None:
    await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.SITUATION, "birth")


async def test_a_birth_with_more_words_opens_its_situation(citizen: EngineChannel) -> None:
    seen = await citizen.send_text("народився син що робити")
    assert seen.buttons[0][1].startswith("a:birth:")  # its first question, the situation open


async def test_without_the_lending_rooms_the_hotline_stands_in(bot: Bot, clock: ManualClock) -> None:
    """A deployment without booking and handoff: no dead buttons, the hotline instead."""
    kb, e = bot.engine.kb, bot.engine
    alone = Engine(
        kb, e.index, e.scenarios, bot.uow_factory, clock=clock, rooms=[CareRoom(kb, e.understander)]
    )
    citizen = EngineChannel(alone, user="alone")
    complaint = await citizen.send_text("хочу написати скаргу на працівника")
    assert _payloads(complaint) == {"m"} and texts.COMPLAINT_TAIL not in complaint.text
    visit = await citizen.send_text("мама лежача, чи може ваш працівник приїхати додому")
    assert _payloads(visit) == {"m"} and "0 800 500 459" in visit.text
    distress = await citizen.send_text("задовбали")
    assert _payloads(distress) == {"cr:c", "m:contacts", "m"}
    assert (await citizen.press("cr:c")).text == complaint.text
    assert (await citizen.press("cr:zz")).text == texts.STALE  # an old or forged button of the room


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("акт про догляд на дому", Outcome(Kind.CARD, "care-fact-act")),  # «на дому» is not a home visit
        ("а то я забуду, нагадайте", Outcome(Kind.INTENT, "reminder")),  # «забуду» is not «забудь мене»
        ("дякую", Outcome(Kind.INTENT, "thanks")),
    ],
)
async def test_the_words_of_these_intents_do_not_take_other_questions(
    citizen: EngineChannel, heard: Heard, text: str, meant: Outcome
) -> None:
    await citizen.send_text(text)
    assert heard.outcomes[-1] == meant


@pytest.mark.parametrize(
    "text",
    [
        "дитина не ходить в садок, чи можна муніципальну няню",  # «не ходить» of a child is no home visit
        "реабілітація після інсульту",
        "к нам приехали родственники из Покровска как их зарегистрировать",  # «приехали к нам», not a request
        "куди йти ви не підкажете з паспортом",  # «йти ви» is not «ідіть ви»
        "як викликати швидку",
    ],
)
async def test_walking_coming_and_going_words_do_not_take_other_questions(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    await citizen.send_text(text)
    assert heard.outcomes[-1].target not in ("home_visit", "distress")


async def test_a_trip_abroad_is_not_a_train(citizen: EngineChannel, heard: Heard) -> None:
    seen = await citizen.send_text("паспорт для поїздки за кордон")
    assert heard.outcomes[-1].kind != Kind.INTENT and "Квитки на потяг" not in seen.text


async def test_without_the_care_room_the_engine_answers_honestly(bot: Bot, clock: ManualClock) -> None:
    """An engine with no rooms (a bare deployment): each of these intents gets the hotline, not «ready today»."""
    e = bot.engine
    bare = Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=clock)
    for n, text in enumerate(
        ["хочу написати скаргу на працівника", "задовбали", "мама лежача, приїдьте додому"]
    ):
        seen = await EngineChannel(bare, user=f"bare-{n}").send_text(text)
        assert "0 800 500 459" in seen.text and common.READY_TODAY not in seen.text


@pytest.mark.parametrize("text", ["хочу поскаржитись на працівницю", "мама лежача, не може прийти сама"])
async def test_a_care_wish_inside_a_dialog_offers_to_continue_there(
    citizen: EngineChannel, heard: Heard, text: str
) -> None:
    await citizen.send_text("народження дитини")  # the situation's first question
    assert heard.outcomes[-1] == Outcome(Kind.SITUATION, "birth")
    seen = await citizen.send_text(text)
    assert heard.outcomes[-1].kind == Kind.INTENT
    resume = next(p for label, p in seen.buttons if "Продовжити" in label)
    back = await citizen.press(resume)
    assert "Чи перебувають батьки дитини у шлюбі?" in back.text  # the same question, the place not lost
