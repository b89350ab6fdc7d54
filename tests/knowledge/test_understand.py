"""Typed questions: intents, facets, search hits with the death/loss guard, and confident answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import Knowledge
from knowledge.search import SearchIndex
from knowledge.understand import (
    CLEAR_MARGIN,
    CLEAR_SCORE,
    CONFIDENT_MARGIN,
    CONFIDENT_SCORE,
    MAX_WORDS,
    Facet,
    Intent,
    Understander,
    Understanding,
    build_understander,
    load_intents,
)
from testkit.search_quality import evaluate

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "search_cases.yaml").read_text(encoding="utf-8")
)
GUARDED = set(load_intents().death.guarded)


@pytest.fixture(scope="module")
def understander(kb: Knowledge, index: SearchIndex) -> Understander:
    return build_understander(kb, index)


def _ref(u: Understander, q: str) -> list[str]:
    return [f"{h.kind}/{h.id}" for h in u.understand(q).hits]


@pytest.mark.parametrize(
    ("query", "asked"),
    [
        ("скільки коштує і де це", (Facet.PRICE, Facet.WHERE)),
        ("а скільки чекати і що брати", (Facet.TERM, Facet.DOCS)),
        ("сколько стоит и можно ли онлайн", (Facet.PRICE, Facet.ONLINE)),
        ("скільки коштує", (Facet.PRICE,)),
        ("скільки днів робиться", (Facet.TERM,)),  # one phrase's words are no second facet
    ],
)
def test_one_question_may_ask_several_facets_each_in_its_own_words(
    understander: Understander, query: str, asked: tuple[Facet, ...]
) -> None:
    assert understander.facets_asked(query) == asked
    assert understander.facet_asked(query) is asked[0]


def test_the_other_facets_of_a_named_service_come_with_its_understanding(understander: Understander) -> None:
    got = understander.understand("картка криворіжця скільки коштує і де її роблять")
    assert (got.facet, got.also) == (Facet.PRICE, (Facet.WHERE,))
    assert understander.understand("скільки коштує картка криворіжця").also == ()


@pytest.mark.parametrize("query", ["можна з телефона через дію?", "с телефона можно подать?"])
def test_a_word_inside_a_longer_phrase_is_not_a_phrase_of_its_own(understander: Understander, query: str) -> None:
    """«телефон» alone asks for the phone numbers; «з телефона» is how to apply: the longer phrase says it."""
    assert understander.facet_asked(query) is Facet.ONLINE
    assert Intent.PHONES not in understander.understand(query).intents


@pytest.mark.parametrize(
    ("query", "facet", "confident"),
    [
        ("куди подавати на ВПО", Facet.WHERE, "service/idp-living-allowance"),
        ("скільки коштує картка криворіжця", Facet.PRICE, "service/kartka-kryvorizhtsia"),
        ("які документи потрібні на муніципальну няню", Facet.DOCS, "service/municipal-nanny"),
    ],
)
def test_a_facet_question_answers_that_facet_of_one_service(
    understander: Understander, query: str, facet: Facet, confident: str
) -> None:
    got = understander.understand(query)
    assert got.intents == ()
    assert got.facet is facet
    assert got.confident is not None and f"{got.confident.kind}/{got.confident.id}" == confident
    assert got.confident is got.hits[0]


def test_a_bare_passport_price_names_every_passport_service_and_none_confidently(
    understander: Understander,
) -> None:
    got = understander.understand("скільки коштує паспорт")
    assert got.facet is Facet.PRICE and got.confident is None
    assert {"service/drs-passport-id-exchange", "service/drs-passport-id-lost"} <= set(
        _ref(understander, "паспорт")
    )


def test_a_term_question_about_a_vague_document_gets_hits_but_no_confident_answer(
    understander: Understander,
) -> None:
    got = understander.understand("скільки днів робиться довідка")
    assert got.facet is Facet.TERM and got.hits and got.confident is None


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("де знаходиться центр віза", Intent.CONTACTS),
        ("графік роботи", Intent.HOURS),
        ("привіт", Intent.GREETING),
        ("дякую", Intent.THANKS),
        ("спасибо", Intent.THANKS),
        ("хочу записатися на прийом", Intent.BOOKING),
        ("поговорити з оператором", Intent.OPERATOR),
        ("зв'язатися з людиною", Intent.OPERATOR),
        ("жива людина", Intent.OPERATOR),
        ("консультант", Intent.OPERATOR),
        ("нагадайте мені", Intent.REMINDER),
        ("напомните", Intent.REMINDER),
        ("коли буде готово", Intent.READY),
        ("когда будет готово", Intent.READY),
        ("чи готові мої документи", Intent.READY),
        ("номер телефону гарячої лінії", Intent.PHONES),
        ("коли у вас обідня перерва", Intent.HOURS),
        ("о котрій у вас обід", Intent.HOURS),  # the lunch break, in any order
        ("перерыв когда у вас", Intent.HOURS),
    ],
)
def test_what_is_not_a_service_is_an_intent_without_hits(
    understander: Understander, query: str, intent: Intent
) -> None:
    got = understander.understand(query)
    assert got.intents == (intent,)
    assert got.hits == [] and got.facet is None and got.confident is None


def test_a_booking_about_a_service_keeps_both(understander: Understander) -> None:
    got = understander.understand("привіт, запишіть мене на прийом щодо картки криворіжця")
    assert got.intents == (Intent.BOOKING, Intent.GREETING)  # a request before politeness
    assert got.hits and got.hits[0].id == "kartka-kryvorizhtsia"


@pytest.mark.parametrize(
    "query", ["жива людина", "втратив паспорт", "втратила близько 5 документів", "близька людина в лікарні"]
)
def test_death_and_loss_answers_need_a_death_word(understander: Understander, query: str) -> None:
    assert not GUARDED & set(_ref(understander, query))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("помер батько, що робити з документами", "situation/loss-of-relative"),
        ("втрата близької людини", "situation/loss-of-relative"),
        ("потеряла близкого человека", "situation/loss-of-relative"),
        ("помірла бабуся", "situation/loss-of-relative"),
        ("оформлення спадшини", "situation/inheritance"),
    ],
)
def test_death_and_loss_answers_stay_for_a_question_that_means_them(
    understander: Understander, query: str, expected: str
) -> None:
    assert _ref(understander, query)[:1] == [expected]


def test_the_guard_covers_every_question_of_the_set_without_a_death_word(understander: Understander) -> None:
    # «жива людина», «втратив паспорт», «людина похилого віку» … reach no death or loss answer.
    stems = (
        "помер",
        "помір",
        "смерт",
        "умер",
        "похорон",
        "поховання",
        "загибл",
        "погиб",
        "загин",
        "спадщ",
        "спадш",
        "спадк",
        "наслед",
        "наслід",
        "втрата близької",
        "потеряла близкого",
    )
    quiet = [c["q"] for c in CASES if not any(s in c["q"].lower() for s in stems)]
    assert len(quiet) > 150
    leaked = [(q, _ref(understander, q)) for q in quiet if GUARDED & set(_ref(understander, q))]
    assert leaked == []


def test_tuning_set_figures(understander: Understander) -> None:
    report = evaluate(understander.understand, CASES)
    detail = "\n".join(report.lines() + report.misses)
    assert report.top1.share >= 0.90, detail
    assert report.top3.share >= 0.95, detail
    assert report.off_topic.share == 1.0, detail
    assert report.intent_quiet.share == 1.0, detail
    assert report.intent.total >= 60 and report.intent.share >= 0.95, detail
    assert report.spurious_intent.share <= 0.02, detail
    assert report.facet.total >= 40 and report.facet.share >= 0.90, detail
    assert report.spurious_facet.share <= 0.05, detail
    assert report.confident.share >= 0.97, detail
    assert report.coverage.share >= 0.60, detail


def test_confidence_needs_score_and_margin(understander: Understander) -> None:
    """Confident: a high score with a margin, or a lower score far ahead of the rest (CLEAR_*); and right."""
    for case in CASES:
        got = understander.understand(case["q"])
        if got.confident is not None and got.confident.id != "idp-living-allowance":
            score, margin = got.confident.score, understander.margin(got.hits)
            assert (score >= CONFIDENT_SCORE and margin >= CONFIDENT_MARGIN) or (
                score >= CLEAR_SCORE and margin >= CLEAR_MARGIN
            ), case
            assert case["expect"] == f"{got.confident.kind}/{got.confident.id}", case


@pytest.mark.parametrize(
    "junk", ["", "   ", "🙂🙂🙂", "\u200b\u202e", "?!?!", "a" * 10_000, "що як де", "1234 5678"]
)
def test_junk_is_understood_as_nothing(understander: Understander, junk: str) -> None:
    got = understander.understand(junk)
    assert got == Understanding(intents=(), facet=None, hits=[], confident=None)


def test_only_the_first_words_of_a_long_text_are_read(understander: Understander) -> None:
    filler = "бла " * MAX_WORDS
    assert understander.understand("муніципальна няня " + filler).hits
    assert understander.understand(filler + "муніципальна няня").hits == []
    assert understander.understand(filler + "дякую").intents == ()


def test_zero_limit_gives_no_hits(understander: Understander) -> None:
    assert understander.understand("муніципальна няня", limit=0).hits == []


def test_every_intent_phrase_is_recognised_alone(understander: Understander, kb: Knowledge) -> None:
    data = load_intents()
    # ELSEWHERE's phrases are the care.yaml topics' (each names its topic), every other intent's are here
    assert set(data.intents) | {Intent.ELSEWHERE} == set(Intent) and set(data.facets) == set(Facet)
    missed = []
    for intent, spec in data.intents.items():
        for phrase in spec.phrases:
            text = phrase.lstrip("=").replace("*", "")
            if intent not in understander.understand(text).intents:
                missed.append((intent.value, phrase))
    assert kb.care is not None and kb.care.topics
    for topic in kb.care.topics:
        for phrase in topic.phrases:
            got = understander.understand(phrase.replace("*", ""))
            if got.intents[:1] != (Intent.ELSEWHERE,) or got.topic != topic.id or got.hits:
                missed.append((topic.id, phrase))
    assert missed == []


def test_data_naming_a_missing_answer_is_rejected(
    kb: Knowledge, index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import understand

    data = load_intents()
    broken = data.model_copy(update={"death": data.death.model_copy(update={"guarded": ["service/nope"]})})
    monkeypatch.setattr(understand, "load_intents", lambda: broken)
    with pytest.raises(ValueError, match="service/nope"):
        build_understander(kb, index)


def test_held_out_intents_set_figures_do_not_fall(understander: Understander) -> None:
    """The independent held-out set (never tuned on): floors a little under the figures measured when it was
    written (top-1 incl. bundling 90.1 %, top-3 91.5 %, intents 77.1 %, facets 84.1 %), so a regression fails."""
    path = Path(__file__).parent / "search_holdout_intents.yaml"
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    report = evaluate(understander.understand, cases, frozenset(understander.related))
    detail = "\n".join(report.lines())
    assert report.top1_related.total >= 60 and report.top1_related.share >= 0.85, detail
    assert report.top3.share >= 0.85, detail
    assert report.intent.total >= 40 and report.intent.share >= 0.70, detail
    assert report.facet.total >= 40 and report.facet.share >= 0.75, detail


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a service named by its own name: its card, confidently, though a situation bundles it
        ("открыть фоп", "service/pub-fop-registration"),
        ("хочу оформити статус убд", "service/pub-ubd-status"),
        ("є-малятко", "service/drs-yemalyatko"),
        ("дозвіл на рекламу", "service/pub-ad-permit"),
        ("скільки дають допомоги на поховання", "service/drs-funeral-assistance"),
        ("повторное свидетельство о рождении", "service/drs-repeat-certificate"),
        ("загс выдал не то свидетельство, нужно повторное", "service/drs-repeat-certificate"),
        ("вышла замуж, менять паспорт надо?", "service/drs-passport-id-exchange"),
        ("прописать ребенка", "service/drs-child-residence"),
        # a life event told: its situation
        ("умер дедушка что делать", "situation/loss-of-relative"),
        ("хочемо повісити рекламу на магазин", "situation/outdoor-advertising"),
        ("народила вчора, шо робить", "situation/birth"),
    ],
)
def test_a_named_service_opens_its_card_and_a_told_event_its_situation(
    understander: Understander, query: str, expected: str
) -> None:
    got = understander.understand(query)
    assert got.confident is not None and f"{got.confident.kind}/{got.confident.id}" == expected, _ref(
        understander, query
    )


@pytest.mark.parametrize("query", ["а як подати", "как подать?"])
def test_how_to_apply_alone_asks_where(understander: Understander, query: str) -> None:
    assert understander.facet_asked(query) is Facet.WHERE


@pytest.mark.parametrize(("query", "service"), [("ємалятко як подати", "drs-yemalyatko"),
                                                ("дозвіл на рекламу как подать", "pub-ad-permit")])
def test_how_to_apply_with_a_service_named_asks_for_its_card(
    understander: Understander, query: str, service: str
) -> None:
    got = understander.understand(query)
    assert got.facet is None and got.confident is not None and got.confident.id == service


@pytest.mark.parametrize(
    ("query", "expected", "sure"),
    [
        ("регистрация фоп", "pub-fop-registration", True),  # «регистрация» is also the plain «реєстрація»
        ("регистрация", "change-of-residence", True),  # … and alone still the «прописка»
        ("справка о смерти", "drs-death-registration", False),
    ],
)
def test_russian_words_of_the_cards_find_them(
    understander: Understander, query: str, expected: str, sure: bool
) -> None:
    got = understander.understand(query)
    assert expected in [h.id for h in got.hits[:3]]
    assert (got.confident is not None and got.confident.id == expected) is sure


def test_again_names_nothing(understander: Understander) -> None:
    """«знову», «снова» are about no service: they do not dilute the one the question names."""
    plain = understander.understand("оформити допомогу на проживання").hits[0]
    again = understander.understand("знову оформити допомогу на проживання").hits[0]
    assert again.id == plain.id == "idp-living-allowance" and again.score == plain.score


@pytest.mark.parametrize(
    ("query", "facet"),
    [
        ("а оплата яка", Facet.PRICE),
        ("через скільки буде готово", Facet.TERM),
        ("когда будет результат", Facet.TERM),  # when, not what
        ("які бумаги треба", Facet.DOCS),
        ("в який офіс", Facet.WHERE),
        ("можно не приходить?", Facet.ONLINE),
        ("без візиту можна", Facet.ONLINE),
        ("який документ видадуть", Facet.RESULT),
    ],
)
def test_follow_up_wordings_ask_their_facet(understander: Understander, query: str, facet: Facet) -> None:
    assert understander.facet_asked(query) is facet


def test_open_when_is_the_hours(understander: Understander) -> None:
    assert understander.understand("коли ви відкриті").intents[:1] == (Intent.HOURS,)


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("я на коляске до вас не доберусь есть выезд на дом?", Intent.HOME_VISIT),  # not «how to get there»
        ("як до вас доберусь з тернівки", Intent.CONTACTS),
    ],
)
def test_a_word_another_phrase_negates_is_not_read_by_a_phrase_without_the_negation(
    understander: Understander, query: str, intent: Intent
) -> None:
    assert understander.understand(query).intents[:1] == (intent,)


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("хочу анулювати свій талончик", Intent.CANCEL_BOOKING),
        ("видаліть усе що ви про мене зберегли", Intent.FORGET),
        ("і номер телефону теж зітріть з бази", Intent.FORGET),
        ("так, хочу щоб хтось мені подзвонив", Intent.OPERATOR),  # a call from a person, not the phone numbers
        ("вы там вообще работаете? дозвониться невозможно", Intent.DISTRESS),
    ],
)
def test_more_ways_people_say_what_they_want(understander: Understander, query: str, intent: Intent) -> None:
    assert understander.understand(query).intents[:1] == (intent,)


def test_a_move_or_a_cancel_of_a_booking_is_no_new_booking(understander: Understander) -> None:
    said = "я записана на четвер а мене з роботи не відпускають, можна перезаписатись на пятницю?"
    assert understander.understand(said).intents == (Intent.MOVE_BOOKING,)
    assert Intent.BOOKING in understander.understand("хочу записатися на четвер").intents
