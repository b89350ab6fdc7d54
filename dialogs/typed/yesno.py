"""Yes, no or «не знаю», as citizens type them: «так», «ага», «да, верно», «ні, я не пільговик», «нет не надо»;
and by the shape of a short answer: a negation anywhere with no yes-word is a no («льгот нет никаких», «пільг
нема», «у мене нічого такого нема»), a yes-word first and an elaboration that negates nothing is a yes («звісно
подаю», «да все верно записывайте»)."""

from __future__ import annotations

from dialogs.typed.text import bare_words
from dialogs.words import (
    MORE_NO_WORDS,
    MORE_YES_WORDS,
    NEGATION_WORDS,
    NO_WORDS,
    NOT_AN_ANSWER_STEMS,
    QUESTION_LEADS,
    UNKNOWN_WORDS,
    YES_ANYWHERE,
    YES_WORDS,
)

EITHER = frozenset({"чи", "или", "або", "альбо"})
SHORT = 8  # words: a longer text is a story, not an answer read by its shape


def is_unknown(text: str) -> bool:
    """«не знаю», «хз», «не впевнена»."""
    return bare_words(text) in UNKNOWN_WORDS


def _not_an_answer(said: list[str]) -> bool:
    """«та не знаю я», «не зрозуміла»: a word after «не» that says the citizen does not know or follow."""
    return any(w == "не" and i + 1 < len(said) and said[i + 1].startswith(NOT_AN_ANSWER_STEMS)
               for i, w in enumerate(said))  # fmt: skip


def negated(text: str) -> bool:
    """Whether a short answer says no by its shape: a negation anywhere, no yes-word, no question, not «не
    знаю» («льгот нет никаких», «пільг нема», «я не військовий»)."""
    bare = bare_words(text)
    said = bare.split()
    if not said or len(said) > SHORT or "?" in text or set(said[:2]) & QUESTION_LEADS:
        return False
    if bare in UNKNOWN_WORDS or _not_an_answer(said) or _either(said):
        return False
    return any(w in NEGATION_WORDS for w in said) and not any(w in YES_ANYWHERE for w in said)


def _either(said: list[str]) -> bool:
    """«платити треба чи ні», «платно или нет»: a question offering both answers, not a no."""
    return any(w in EITHER and i + 1 < len(said) and said[i + 1] in NEGATION_WORDS for i, w in enumerate(said))


def yes_no(text: str) -> bool | None:
    """True for a yes («так», «ага», «да, верно»), False for a no («ні, я не пільговик», «нет не надо», «пільг
    нема»), None when it is neither (or «не знаю»)."""
    bare = bare_words(text)
    if not bare or bare in UNKNOWN_WORDS:
        return None
    yes, no = YES_WORDS | MORE_YES_WORDS, NO_WORDS | MORE_NO_WORDS
    if bare in yes:
        return True
    if bare in no:
        return False
    said = bare.split()
    for size in (3, 2, 1):  # the answer's first words: «ні, дякую», «так, все вірно», «не треба»
        head = " ".join(said[:size])
        if len(said) >= size and head in no:
            return None if _not_an_answer(said) else False
        if len(said) >= size and head in yes and not any(w in no or w == "не" for w in said[size:]):
            return None if "?" in text and len(said) > size else True  # «так, а скільки коштує?»
    if negated(text):  # «льгот нет никаких», «у мене нічого такого нема», «не пільговик»
        return False
    return None
