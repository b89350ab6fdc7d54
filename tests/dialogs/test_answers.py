"""Typed answers to a scenario's questions: yes/no in all their forms, with extra words, choices by a fragment."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.answer_shape import content, polarity
from dialogs.answers import read_answer
from dialogs.outcome import Kind, Outcome
from knowledge import Knowledge
from knowledge.facts import Facts
from testkit.transcript import EngineChannel, Seen
from tests.dialogs.conftest import Heard

PENSION = "sa_loss_pensioner"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        *[(t, "yes") for t in ("так", "ага", "угу", "є", "була", "був", "звісно", "авжеж", "да", "конечно")],
        *[
            (t, "yes")
            for t in ("ага да", "таак", "так пенсіонер був", "так, була", "да был", "він був пенсіонером")
        ],
        *[
            (t, "no")
            for t in ("ні", "нема", "немає", "не було", "нет", "неа", "ні не був", "ні, не був", "нееет")
        ],
        *[(t, "no") for t in ("та ні", "нема в нас", "ні, він працював")],
        *[(t, "yes") for t in ("а як же", "естественно", "безумовно", "та да", "разумеется")],
        *[(t, "no") for t in ("ніколи", "нет конечно", "никогда", "та нет")],
        *[(t, "unknown") for t in ("не знаю", "хз", "незнаю", "не знаюю", "точно не знаю", "не помню")],
        *[(t, "unknown") for t in ("не знаю, а що?", "хз може", "не знаю точно")],
    ],
)
def test_yes_no_and_unknown_in_all_their_forms(kb: Knowledge, typed: str, expected: str) -> None:
    assert read_answer(kb.questions[PENSION], typed, Facts(kb.questions.values())).value == expected


@pytest.mark.parametrize("typed", ["так, не був", "ні, була пенсіонеркою", "да нет", "так нема"])
def test_a_yes_or_no_with_contradicting_words_is_not_guessed(kb: Knowledge, typed: str) -> None:
    reading = read_answer(kb.questions[PENSION], typed, Facts(kb.questions.values()))
    assert reading.conflict and reading.value is None


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("c11_family_recipients", "тільки на себе", "no"),
        ("c11_family_recipients", "на всю сімю", "yes"),
        ("sa_birth_both_parents", "один", "no"),
        ("sa_birth_both_parents", "обоє", "yes"),
        ("sa_birth_both_parents", "ні", "no"),  # the option that is not «Так, обоє»
        ("sa_name_children", "є у мене", "yes"),
        ("sa_name_children", "двоє", "yes"),
        ("sa_name_children", "2", "yes"),
        ("sa_name_age", "15", "14-15"),
        ("sa_name_age", "мені 17", "16-plus"),
        ("sa_birth_married", "я не заміжем", "not_married"),
        ("c75_guardian", "я батько", "no"),
        ("sa_name_children", "двоє дітей", "yes"),  # a count of what is asked about
        ("sb_garden_coowners", "один власник", "no"),  # the sole owner: no co-owners, not one of them
        ("sb_garden_coowners", "я одна владелица", "no"),
        # what happened, who applies, about whom, in the citizen's words
        ("c116_reason", "порвалось", "unusable"),
        ("c116_reason", "вкрали", "lost"),
        ("c116_reason", "фамилию сменила", "name_change"),
        ("pub_birth_applicant", "я мама", "parents"),
        ("pub_birth_applicant", "я бабушка", "other"),
        ("pub_about_relative", "на отца", "relative"),
        ("pub_about_relative", "для себя", "self"),
        ("sa_name_age", "повнолітня", "16-plus"),
        ("c72_category", "я з інвалідністю", "disabled_adult"),
    ],
)
def test_choices_by_their_words_a_fragment_or_a_number(
    kb: Knowledge, question: str, typed: str, expected: str
) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value == expected


@pytest.mark.parametrize("typed", ["не зрозуміла", "не працював", "не знаю, ні", "може колись", "ок"])
def test_a_negated_word_or_a_vague_reply_is_no_answer(kb: Knowledge, typed: str) -> None:
    reading = read_answer(kb.questions[PENSION], typed, Facts(kb.questions.values()))
    assert reading.value is None


def test_yes_and_no_of_a_question_without_them_are_not_guessed(kb: Knowledge) -> None:
    facts = Facts(kb.questions.values())
    assert read_answer(kb.questions["sa_birth_married"], "так", facts).value is None  # which surname?
    assert read_answer(kb.questions["c75_foreigner"], "не знаю", facts).value is None  # no «не знаю» there


def test_polarity_of_a_whole_reply() -> None:
    assert polarity("ага да") == "yes"
    assert polarity("ні не був") == "no"
    assert polarity("да нет") is None
    assert polarity("може колись") is None


async def _loss(citizen: EngineChannel) -> None:
    seen = await citizen.press("s:loss-of-relative")
    assert "пенсію" in seen.text


@pytest.mark.parametrize("typed", ["так пенсіонер був", "є", "ага", "угу", "да", "звісно", "була"])
async def test_a_typed_yes_moves_the_dialog_on(citizen: EngineChannel, typed: str) -> None:
    await _loss(citizen)
    seen = await citizen.send_text(typed)
    assert "не зрозумів" not in seen.text
    assert "переміщеної особи" in seen.text  # the next question: asked only after «yes»


@pytest.mark.parametrize("typed", ["нема", "ні, не був", "нет", "неа", "не було"])
async def test_a_typed_no_reaches_the_checklist(citizen: EngineChannel, typed: str) -> None:
    await _loss(citizen)
    seen = await citizen.send_text(typed)
    assert "Ваш перелік" in seen.text


@pytest.mark.parametrize("typed", ["не знаю", "хз", "незнаю"])
async def test_a_typed_unknown_is_the_unknown_button(citizen: EngineChannel, typed: str) -> None:
    await _loss(citizen)
    seen = await citizen.send_text(typed)
    assert "переміщеної особи" in seen.text


async def test_a_contradicting_reply_asks_the_same_question_again(citizen: EngineChannel) -> None:
    await _loss(citizen)
    seen = await citizen.send_text("так, не був")
    assert "не зрозумів відповідь" in seen.text
    assert "пенсію" in seen.text
    assert any(p == "a:loss-of-relative:q1:yes" for _, p in seen.buttons)


async def test_only_on_myself_is_taken_as_the_option_about_oneself(citizen: EngineChannel) -> None:
    seen = await citizen.press("s:k-idp-living-allowance")
    for _ in range(10):  # answer «ні» until the family question
        if "лише на себе" in seen.text.lower() or "Лише на себе" in [t for t, _ in seen.buttons]:
            break
        seen = await citizen.send_text("ні")
    assert "Лише на себе" in [t for t, _ in seen.buttons]
    seen = await citizen.send_text("тільки на себе")
    assert "не зрозумів" not in seen.text
    assert "Лише на себе" not in [t for t, _ in seen.buttons]


async def test_a_typed_answer_is_noted_as_an_answer_and_a_contradiction_as_a_reask(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await _loss(citizen)
    await citizen.send_text("так, не був")
    await citizen.send_text("так пенсіонер був")
    assert heard.outcomes[-2:] == [
        Outcome(Kind.REASK, "loss-of-relative:q1"),
        Outcome(Kind.ANSWER, "loss-of-relative:q1"),
    ]


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        # a choice named by its content words, each up to its ending or a typo, Ukrainian, Russian, surzhyk
        ("sb_vet_need_veteran", "пільгу на комуналку", "benefits"),
        ("sb_vet_need_veteran", "льготу на коммуналку", "benefits"),
        ("sb_vet_need_veteran", "мені на реабілітацію", "rehab"),
        ("sb_vet_need_veteran", "статус оформити", "status"),
        ("c23_income", "я пенсіонерка", "pensioner"),
        ("c23_income", "вже на пенсії", "pensioner"),
        ("c23_income", "пенсионерка я", "pensioner"),
        ("c23_income", "працюю на заводі", "employed"),
        ("c23_income", "зараз не працюю", "unemployed"),
        ("c23_income", "безробітна", "unemployed"),
        ("sb_ad_stage", "пріоритет вже є", "have_priority"),
        ("sb_ad_stage", "є пріоритет", "have_priority"),
        ("sb_ad_stage", "ще нема пріоритету", "new"),
        ("sb_ad_stage", "треба продовжити", "extend"),
        ("sb_vet_need_veteran", "так, пільга на комуналку", "benefits"),
        ("sb_vet_need_veteran", "не пільга а реабілітація", "rehab"),
        # first-person statements and other words for a label
        ("c75_guardian", "я мама", "no"),
        ("c75_guardian", "мама", "no"),
        ("c75_guardian", "тато", "no"),
        ("c75_guardian", "я опікунка", "yes"),
        ("pub_about_relative", "про тата", "relative"),
        ("pub_about_relative", "про бабусю", "relative"),
        ("pub_about_relative", "про родичку", "relative"),
        ("pub_about_relative", "про себе", "self"),
        ("c93_tax_in_id", "у мене книжечка а не айді", "no"),
        ("c93_tax_in_id", "старий паспорт", "no"),
        ("c93_tax_in_id", "айді з кодом", "yes"),
        ("sa_lost_civil", "свідоцтво про шлюб теж пропало", "yes"),
        ("sa_lost_civil", "свідоцтво про шлюб вдома", "no"),  # at home: not lost
        ("sa_lost_civil", "загубила і свідоцтво про народження", "yes"),
        ("sa_lost_civil", "свідоцтва на місці", "no"),
        ("sa_birth_married", "в шлюбі прізвище одне", "married_same"),
        ("sa_birth_married", "расписаны фамилия одинаковая", "married_same"),
    ],
)
def test_a_choice_named_by_its_words_a_statement_or_another_word_for_it(
    kb: Knowledge, question: str, typed: str, expected: str
) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value == expected


@pytest.mark.parametrize(
    ("question", "typed"),
    [
        ("sb_ad_stage", "пріоритет"),  # have it, or extend it: asked again
        ("sb_vet_need_veteran", "пільга і реабілітація"),  # two options named alike
        ("sb_vet_need_veteran", "а пільги які є?"),  # a question of its own
        ("c23_income", "ну то пенсія то підробіток буває по різному"),  # too long to be a choice
        ("c75_guardian", "скільки платять опікуну"),
        ("sb_vet_need_veteran", "а де пільгу оформити"),
    ],
)
def test_a_choice_named_by_no_option_or_by_several_is_not_guessed(
    kb: Knowledge, question: str, typed: str
) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value is None


def test_content_words_carry_their_negation() -> None:
    assert [negated for _, negated in content("пріоритету немає")] == [True]
    assert [negated for _, negated in content("без пріоритету")] == [True]
    assert content("не працюю") == [(content("працюю")[0][0], True)]
    assert content("я на пенсії") == content("пенсії")


async def _answer_until(citizen: EngineChannel, question: str, replies: list[str]) -> Seen:
    """Answer each reply in turn; the last reply seen must show `question`."""
    seen = Seen([], [])
    for typed in replies:
        seen = await citizen.send_text(typed)
        assert "не зрозумів" not in seen.text, (typed, seen.text)
    assert question in seen.text, seen.text
    return seen


async def test_a_veteran_names_the_benefit_in_his_own_words(citizen: EngineChannel) -> None:
    await citizen.press("s:ya-veteran")
    await _answer_until(citizen, "Що саме вам потрібно?", ["ветеран я"])
    seen = await citizen.send_text("льготу на коммуналку")
    assert "не зрозумів" not in seen.text
    assert "Ваш перелік" in seen.text


async def test_the_office_name_ya_veteran_does_not_say_who_applies(citizen: EngineChannel) -> None:
    seen = await citizen.send_text("Я-Ветеран що там можна оформити")
    assert "Хто звертається?" in seen.text


async def test_lost_certificates_told_in_a_sentence(citizen: EngineChannel) -> None:
    await citizen.press("s:lost-documents")
    await _answer_until(citizen, "свідоцтво", ["паспорт загубила"])
    seen = await citizen.send_text("і свідоцтво про народження дитини теж пропало")
    assert "не зрозумів" not in seen.text
    # «загубила» said it was not theft, «про … дитини» whose certificate it is: the next question is who applies
    assert "Про родича" in seen.text
    assert "за себе чи як представник" in seen.text


async def test_a_mother_says_so_at_who_applies(citizen: EngineChannel) -> None:
    seen = await citizen.press("s:k-municipal-nanny")
    for _ in range(6):  # answer «ні» until the question who applies
        if "опікун?" in seen.text:
            break
        seen = await citizen.send_text("ні")
    assert "опікун?" in seen.text
    seen = await citizen.send_text("я мама")
    assert "не зрозумів" not in seen.text
    assert "опікун?" not in seen.text


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("sa_inh_kinship", "всі є", "yes"),
        ("sa_inh_kinship", "не всі є", "no"),
        ("sa_inh_kinship", "не все есть", "no"),
        ("sa_inh_kinship", "частково", "no"),
        ("sa_inh_death_cert", "тільки копія", "no"),
        ("sa_inh_death_cert", "є оригінал", "yes"),
        ("sa_birth_married", "женаты фамилия одна", "married_same"),
        ("sa_lost_passport", "паспорт на месте", "no"),
        ("representative", "я сама", "no"),
        ("sb_ad_stage", "вже маємо пріоритет", "have_priority"),
        ("sb_ad_stage", "ще нічого не оформлювали", "new"),
        # a statement that what is asked about is there: a yes («свидетельство» is Russian for «свідоцтво»)
        ("sa_inh_death_cert", "свидетельство о смерти есть", "yes"),
        ("sa_inh_death_cert", "свідоцтво про смерть є", "yes"),
        # a need denied
        ("c72_vocational", "не треба", "no"),
        ("c72_vocational", "не нужно", "no"),
        ("c11_separate_member", "всі живем разом", "no"),
        ("representative", "за сина", "yes"),  # any relative, not only the parents listed first
        ("representative", "за мужа", "yes"),
        ("sb_vet_who", "я военный", "veteran"),  # a serving soldier is a defender
        ("sb_vet_who", "служу в зсу", "veteran"),
    ],
)
def test_statements_at_yes_or_no_questions(kb: Knowledge, question: str, typed: str, expected: str) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value == expected


@pytest.mark.parametrize(
    ("question", "typed"),
    [
        ("sa_birth_married", "ми розписані"),
        ("sa_birth_married", "в браке"),
        # presence of something the question does not ask about, or a question: no «yes»
        ("sa_inh_death_cert", "у мене є питання"),
        ("sa_inh_death_cert", "а свідоцтво про смерть є у вас?"),
        ("sb_vet_who", "я військовозобовязаний"),  # liable for service is not serving
    ],
)
def test_replies_that_answer_neither_way_are_asked_again(kb: Knowledge, question: str, typed: str) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value is None


@pytest.mark.parametrize("typed", ["одна дача", "один син"])
def test_a_number_with_words_the_question_does_not_ask_about_is_no_count(kb: Knowledge, typed: str) -> None:
    """«Чи є інші співвласники?» — «одна дача» counts houses, not co-owners: asked again, never a «yes»."""
    assert read_answer(kb.questions["sb_garden_coowners"], typed, Facts(kb.questions.values())).value is None


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("sa_birth_residence", "потом", "no"),  # «Ні, пізніше»
        ("sa_birth_residence", "сразу", "yes"),  # «Так, одразу»
        ("sa_name_repeat", "только родители меняли", "parents"),
        ("c116_reason", "испорчено", "unusable"),
        ("c116_reason", "потерял", "lost"),
        ("pub_parents_apart", "раздельно", "yes"),
        ("sa_inh_death_cert", "потерялось", "no"),
        ("c72_category", "военный", "military"),
    ],
)
def test_russian_words_of_a_choice_are_read_as_its_label_s(
    kb: Knowledge, question: str, typed: str, expected: str
) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value == expected


def test_a_russian_word_that_names_no_option_still_names_none(kb: Knowledge) -> None:
    assert read_answer(kb.questions["c72_category"], "ребенок", Facts(kb.questions.values())).value is None


# --- answers read by their shape (issue 19, the holdout's lessons) -------------------------------------------


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        # a negation anywhere with no yes-word: «none» said, or a word of the question negated
        ("child_under_14", "дітей нема", "no"),
        ("child_under_14", "детей нет", "no"),
        ("disability", "у мене нічого такого нема", "no"),
        ("disability", "инвалидности нет никакой", "no"),
        ("sb_res_military", "не військовозобовязаний", "no"),  # no apostrophe: nearly the yes label, negated
        ("sb_res_military", "нет не военнообязанный", "no"),
        ("sb_res_military", "я не військовий", "no"),
        ("sa_birth_both_parents", "батька не буде", "no"),
        # children named one by one or counted in words, ages not counted
        ("child_under_14", "сын 8 лет", "yes"),
        ("child_under_14", "есть сын 8 лет", "yes"),
        ("child_under_14", "трое детей", "yes"),
        ("child_under_14", "двоє дітей 5 і 8 років", "yes"),
        # a relative names whom the choice is about; a question word that starts a label asks nothing
        ("representative", "как представитель брата", "yes"),
        ("representative", "представитель", "yes"),
        ("representative", "за себя", "no"),
        # the words that tell a yes-or-no question's labels apart («Так, одразу» / «Ні, пізніше»)
        ("sa_birth_residence", "одразу реєструємо", "yes"),
        ("sa_birth_residence", "зразу", "yes"),
        ("sa_birth_residence", "не одразу", "no"),
    ],
)
def test_a_reply_read_by_its_shape(kb: Knowledge, question: str, typed: str, expected: str) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value == expected


@pytest.mark.parametrize(
    ("question", "typed"),
    [
        (PENSION, "не працював"),  # another thing done or not, not what is asked
        (PENSION, "та не знаю я"),
        ("c11_separate_member", "не проживає з нами син"),  # the question's own negation, repeated
        ("child_under_14", "а дітей нема?"),  # a question
        ("sa_birth_married", "мама лежача, не може прийти сама"),  # a choice of three, and «може» negated
        (PENSION, "не може сказати"),
    ],
)
def test_a_shape_that_says_nothing_sure_is_not_read(kb: Knowledge, question: str, typed: str) -> None:
    assert read_answer(kb.questions[question], typed, Facts(kb.questions.values())).value is None


def test_a_negated_statement_of_its_own_is_its_option(kb: Knowledge) -> None:
    facts = Facts(kb.questions.values())
    assert read_answer(kb.questions["c75_extra_docs"], "садочки не працюють", facts).value == "no_kindergarten"


async def test_the_name_of_what_is_opened_states_nothing(bot: Bot) -> None:
    answers = bot.engine.reader.answers
    assert "sb_vet_who" not in answers.opening("ya-veteran", "що можна оформити в я ветеран")
    assert answers.opening("ya-veteran", "що можна оформити в я-ветеран, я учасник бойових дій") == {
        "sb_vet_who": "veteran"
    }


async def test_a_reask_gives_one_example_besides_the_buttons(citizen: EngineChannel) -> None:
    await _loss(citizen)
    seen = await citizen.send_text("так, не був")
    assert "наприклад: «так»" in seen.text and any(p == "a:loss-of-relative:q1:yes" for _, p in seen.buttons)
    seen = await citizen.press("s:k-drs-civil-registry-extract")
    seen = await citizen.send_text("щось незрозуміле зовсім")  # a choice: the first words of its first option
    assert "наприклад: «про мене»" in seen.text and "про родича" in seen.text
