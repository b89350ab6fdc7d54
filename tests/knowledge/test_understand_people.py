"""What people type that is not a service (issue 19, tuned on the holdout conversations): each class of intent,
the facets of a follow-up that names nothing, and the honest «not what the Center does» topics — each with what
it must NOT catch, so a word list that grows does not swallow its neighbours."""

from __future__ import annotations

import pytest

from knowledge import Knowledge
from knowledge.search import SearchIndex
from knowledge.understand import (
    CLEAR_MARGIN,
    CONFIDENT_SCORE,
    Facet,
    Intent,
    Understander,
    build_understander,
)


@pytest.fixture(scope="module")
def understander(kb: Knowledge, index: SearchIndex) -> Understander:
    return build_understander(kb, index)


def _first(u: Understander, text: str) -> str | None:
    got = u.understand(text)
    return got.intents[0].value if got.intents else None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # erase my data, however it is said: the /forget confirmation
        ("сотріть все шо ви про мене знаєте", Intent.FORGET),
        ("і номер телефону мій теж видаліть з системи", Intent.FORGET),  # not the hotline's phones
        ("удалите мой номер телефона из базы", Intent.FORGET),
        ("не хочу щоб ви зберігали мої дані", Intent.FORGET),
        ("удалите мой профиль", Intent.FORGET),
        # thanks said to a person is praise; a plain thanks stays thanks
        ("хочу сказать спасибо девушке которая оформляла мне ємалятко очень вежливая", Intent.PRAISE),
        ("передайте дякую дівчині з п'ятого вікна", Intent.PRAISE),
        ("спасибо большое", Intent.THANKS),
        # cannot get there: the home visit
        ("нога в гіпсі до вас не дійду а треба подавати на допомогу впо що робити", Intent.HOME_VISIT),
        ("я на милицях не доберуся", Intent.HOME_VISIT),
        ("можно ли вызвать сотрудника на дом", Intent.HOME_VISIT),
        ("я не могу выйти из дома", Intent.HOME_VISIT),
        ("хочу поблагодарить сотрудницу", Intent.PRAISE),
        ("ну сколько можно", Intent.DISTRESS),
        ("работник отказался принять документы без причины", Intent.COMPLAINT),
        ("не зберігайте мій номер", Intent.FORGET),
        # another day or time for my appointment outweighs a new booking's «запис»
        ("у меня поменялась смена на работе можно запись на другой день", Intent.MOVE_BOOKING),
        ("поменяйте дату визита", Intent.MOVE_BOOKING),
        ("відмінити візит", Intent.CANCEL_BOOKING),
        ("не прийду", Intent.CANCEL_BOOKING),
        ("не зможу прийти на запис", Intent.CANCEL_BOOKING),
        ("я не можу прийти бо хворію", Intent.HOME_VISIT),  # cannot come at all: no cancel
        ("хочу поміняти час", Intent.MOVE_BOOKING),
        ("не встигаю, давайте іншим днем", Intent.MOVE_BOOKING),
        ("видалити акаунт", Intent.FORGET),
        ("все погано", Intent.DISTRESS),
        # how late, «your schedule»
        ("а в вівторок допізна", Intent.HOURS),
        ("а хоч графік ваш скажіть", Intent.HOURS),
        ("во сколько закрываетесь", Intent.HOURS),
        ("з котрої години", Intent.HOURS),
        ("завтра відкрито?", Intent.HOURS),
        ("а прийом сьогодні до скількох триває", Intent.HOURS),  # «прийом до» is no booking here
        ("хочу на прийом до 10 години", Intent.BOOKING),  # a booking, whatever «до» says
        ("коли буде прийом у вівторок", Intent.HOURS),  # not «when will it be ready»
        # a complaint in writing, rudeness, hours in the queue
        ("куди можна письмово звернутись з цим", Intent.COMPLAINT),
        ("оператор була груба", Intent.COMPLAINT),  # not a wish for the operator
        ("чекала 3 години в черзі ніхто не прийняв", Intent.COMPLAINT),
        ("де ваш офіс", Intent.CONTACTS),
        ("где ближайший цнап", Intent.CONTACTS),
        ("переключите на человека", Intent.OPERATOR),  # not «per person», an amount
        ("спасибо за вашу работу", Intent.PRAISE),
        ("можна на інший час", Intent.MOVE_BOOKING),
        ("ну це вже ні в які ворота", Intent.DISTRESS),
        # what has no card here: a doctor (not a booking at the Center), a bus ticket, the power
        ("запишіть мене до терапевта на завтра", Intent.ELSEWHERE),
        ("где купить билет на автобус до Днепра", Intent.ELSEWHERE),
        ("коли на гданцівці дадуть світло", Intent.ELSEWHERE),
        ("заміна газового лічильника", Intent.ELSEWHERE),
        ("запис до нотаріуса", Intent.ELSEWHERE),  # no booking at the Center
        ("дозвіл на будівництво", Intent.ELSEWHERE),  # not the advertising permit
        ("скільки коштує закордонний паспорт", Intent.ELSEWHERE),
        ("не встигаю на свій час можна пізніше", Intent.MOVE_BOOKING),
    ],
)
def test_people_are_understood(understander: Understander, text: str, intent: Intent) -> None:
    assert _first(understander, text) == intent.value, understander.understand(text)


@pytest.mark.parametrize(
    ("text", "not_this"),
    [
        ("запишіть мене на паспорт", Intent.ELSEWHERE),  # a booking at the Center
        ("хочу записатися на прийом", Intent.ELSEWHERE),
        ("графік відключень світла", Intent.ELSEWHERE),  # an outage's schedule: left unanswered (search_cases)
        ("чи працюєте ви коли немає світла", Intent.ELSEWHERE),  # the Center's hours
        ("до вас добиратися двома маршрутками", Intent.ELSEWHERE),  # how people come in, no ticket
        ("донька ще в лікарні після кесаревого", Intent.ELSEWHERE),  # a hospital in a story, no doctor wanted
        ("як швидко зроблять паспорт", Intent.PRAISE),  # a term, not thanks for being quick
        ("а можна не виходячи з дому", Intent.HOME_VISIT),  # online, not a visit
        ("закрити фоп", Intent.HOURS),  # closing a business is no closing time
        ("номер телефону", Intent.FORGET),  # the hotline, nothing erased
        ("дякую", Intent.PRAISE),
        ("хочу вийти з дому раніше", Intent.HOME_VISIT),  # no «cannot»
        ("благодарю за помощь", Intent.PRAISE),  # a plain thanks
        ("а то я забуду, нагадайте", Intent.FORGET),  # «я забуду» is no «забудьте мене»
        ("где сделать карточку криворожанина", Intent.ELSEWHERE),  # no gas company by a typo's likeness
        ("спадщина на бабусин будинок, які документи для нотаріуса", Intent.ELSEWHERE),  # an inheritance
        ("не встигаю подати документи вчасно", Intent.MOVE_BOOKING),  # no appointment said
    ],
)
def test_neighbours_are_not_swallowed(understander: Understander, text: str, not_this: Intent) -> None:
    assert not_this not in understander.understand(text).intents, understander.understand(text)


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("а детям", Facet.AMOUNT),  # «and for children?» right after an amount
        ("кто назначает", Facet.AMOUNT),
        ("а її одразу всю дають", Facet.AMOUNT),
        ("і скільки зараз платять переселенцям на одну дорослу людину", Facet.AMOUNT),
        ("це в пенсійному чи у вас", Facet.WHERE),
        ("а можна не виходячи з дому", Facet.ONLINE),
        ("а по грошах", Facet.PRICE),
        ("скіко коштує", Facet.PRICE),
        ("що мені підготувати", Facet.DOCS),
        ("в якому відділенні", Facet.WHERE),
        ("що видадуть", Facet.RESULT),
        ("а свідоцтво коли буде", Facet.TERM),
        ("а що з документів", Facet.DOCS),
        ("хто видає", Facet.WHERE),
        # a phrase said as written outweighs one with a word in between: the days, not what is paid
        ("скільки днів дають на розгляд", Facet.TERM),
        ("скільки чекати грошей", Facet.TERM),
        ("скільки грошей дають", Facet.AMOUNT),
        ("за це гроші беруть", Facet.PRICE),
        ("скільки за це заплатити", Facet.PRICE),  # not «за скільки»
        ("скільки це триває", Facet.TERM),
        ("шо нести", Facet.DOCS),
        ("адреса яка", Facet.WHERE),
        ("что в итоге", Facet.RESULT),
        ("єМалятко через дію можна?", Facet.ONLINE),  # asked, not the Дія service named
    ],
)
def test_facets_of_a_follow_up(understander: Understander, text: str, facet: Facet) -> None:
    assert understander.facet_asked(text) is facet


@pytest.mark.parametrize(("text", "topic"), [("заміна газового лічильника", "utilities"),
                                           ("коли на гданцівці дадуть світло", "utilities"),
                                           ("запис до нотаріуса", "notary"),
                                           ("запишіть мене до терапевта на завтра", "doctor")])
def test_out_of_scope_names_its_topic(understander: Understander, text: str, topic: str) -> None:
    got = understander.understand(text)
    assert got.topic == topic and got.hits == [] and got.confident is None


def test_per_person_is_part_of_the_amount_not_a_topic(understander: Understander) -> None:
    """«на одну дорослу людину» is not searched (it found the guardian's card): the payment named is the answer."""
    got = understander.understand("і скільки зараз платять переселенцям на одну дорослу людину")
    assert got.facet is Facet.AMOUNT and got.confident is not None and got.confident.id == "idp-living-allowance"


def test_a_recipient_with_a_service_named_is_still_searched(understander: Understander) -> None:
    """«дітям» alone is a follow-up; with a service named it is a question about that service."""
    got = understander.understand("допомога при народженні дітям")
    assert got.hits and got.hits[0].id in ("drs-birth-assistance", "birth")


def test_money_about_a_payment_with_more_words_is_no_price(understander: Understander) -> None:
    """«по грошам» is the price only as the whole question: in a question about the ВПО money it names no fee."""
    got = understander.understand("ми ВПО, шо там по грошам на проживання в цьому місяці")
    assert got.facet is not Facet.PRICE


def test_what_is_it_names_no_service(understander: Understander) -> None:
    """«що таке» asks what a thing is: «таке» alone found a veterans' card by a word of its text."""
    assert understander.understand("таке").hits == []
    got = understander.understand("єМалятко це що таке")
    assert got.confident is not None and got.confident.id == "drs-yemalyatko"


def test_a_first_hit_far_ahead_of_the_others_is_confident(understander: Understander) -> None:
    """Below the confident score, but far ahead of every other hit: one answer, not a list."""
    got = understander.understand("доглядаю батька інваліда першої групи треба акт про догляд для тцк")
    assert got.hits[0].score < CONFIDENT_SCORE and got.hits[0].score - got.hits[1].score >= CLEAR_MARGIN
    assert got.confident is not None and got.confident.id == "care-fact-act"


def test_the_documents_of_a_clear_situation_are_its_checklist(understander: Understander) -> None:
    got = understander.understand("у бабусі помер дід які документи")
    assert got.facet is Facet.DOCS and got.hits[0].score < CONFIDENT_SCORE
    assert got.confident is not None and got.confident.id == "loss-of-relative"


def test_a_facet_question_needs_a_confident_match(understander: Understander) -> None:
    """With a facet asked, only a confident match answers it («і як довго чекати рішення» is about the thing in
    focus, not a weak first hit far ahead of the rest)."""
    got = understander.understand("і як довго чекати рішення")
    assert got.facet is Facet.TERM and got.confident is None
