"""What reading one typed message works out once: its text's clean form, words and facts' forms (a memo that lives
for that message only), and a question's label words (once per question object)."""

from __future__ import annotations

from dialogs.answers import by_words, read_answer
from knowledge.facts import forms
from knowledge.schema import Option, Question
from knowledge.text import clean, memo, reading_one, words
from testkit.transcript import EngineChannel

TEXTS = ["Прописка", "Не знаю", "мати-одиначка", "Я-Ветеран", "ТАК, обоє", "ｐаспорт", "  ", "ъъъ", "Hello wоrld"]


def test_within_a_message_the_same_text_reads_as_it_would_without_the_memo() -> None:
    plain = [(clean(t), words(t), forms(t)) for t in TEXTS]
    with reading_one():
        twice = [[(clean(t), words(t), forms(t)) for t in TEXTS] for _ in range(2)]
    assert twice == [plain, plain]


def test_the_words_of_a_remembered_text_are_a_new_list_each_time() -> None:
    with reading_one():
        first = words("прописка дитини")
        first.append("змінено")  # a caller that changes its list changes nobody else's
        assert words("прописка дитини") == ["прописка", "дитини"]


def test_the_memo_holds_the_message_only_while_it_is_read() -> None:
    with reading_one() as kept:
        words("мене звати Олена")
        assert memo() is kept
        assert "мене звати Олена" in kept.words
    assert memo() is None  # a citizen's text is not kept beyond the message
    with reading_one() as next_one:
        assert not next_one.words  # the next message starts empty


async def test_a_turn_leaves_no_memo_behind(citizen: EngineChannel) -> None:
    await citizen.send_text("прописка")
    await citizen.send_text("прописка")  # read at the question on screen, then searched
    assert memo() is None


def _question(labels: tuple[str, str]) -> Question:
    return Question(
        id="q_same_id",
        text="Хто подає?",
        options=[Option(value="first", label=labels[0]), Option(value="second", label=labels[1])],
    )


def test_a_question_made_anew_is_read_by_its_own_labels() -> None:
    """Label words are kept per question object: a question of the same id made anew (a reload of the knowledge,
    a test's own) with other labels is read by its new labels, never by the old ones'."""
    old = _question(("Батько", "Мати"))
    assert by_words(old, "батько") == "first"
    assert read_answer(old, "мати").value == "second"
    new = _question(("Опікун", "Бабуся"))
    assert by_words(new, "батько") is None
    assert by_words(new, "бабуся") == "second"
    assert read_answer(new, "опікун").value == "first"
    assert by_words(old, "мати") == "second"  # the old object still reads by its own
