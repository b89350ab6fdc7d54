"""Typed answers to a scenario's questions: yes/no in all their forms, with extra words, choices by a fragment."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.answers import polarity, read_answer
from dialogs.outcome import Kind, Outcome
from knowledge import Knowledge
from knowledge.facts import Facts
from testkit.transcript import EngineChannel

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


class Heard:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def understood(self, channel: str, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


async def test_a_typed_answer_is_noted_as_an_answer_and_a_contradiction_as_a_reask(
    bot: Bot, citizen: EngineChannel
) -> None:
    heard = Heard()
    bot.engine.observers.append(heard)
    await _loss(citizen)
    await citizen.send_text("так, не був")
    await citizen.send_text("так пенсіонер був")
    assert heard.outcomes[-2:] == [
        Outcome(Kind.REASK, "loss-of-relative:q1"),
        Outcome(Kind.ANSWER, "loss-of-relative:q1"),
    ]
