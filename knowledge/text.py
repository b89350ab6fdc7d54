"""Text normalisation for search: clean-up, tokens, Ukrainian/Russian lemmas, a shared letter skeleton."""

from __future__ import annotations

import re
import unicodedata
from contextlib import AbstractContextManager
from contextvars import ContextVar
from functools import lru_cache

import pymorphy3

# Invisible and direction-control characters that citizens paste from other apps.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
_APOSTROPHES = re.compile(r"[’ʼ'`´‘ʹ]")
_WORD = re.compile(r"[0-9a-zа-яіїєґё]+(?:-[0-9a-zа-яіїєґё]+)*")

# Ukrainian and Russian spell the same words with different letters (реабілітація / реабилитация);
# folding both alphabets to one skeleton lets cognates and mixed-alphabet typos meet.
_SKELETON = str.maketrans(
    {"і": "и", "ї": "и", "й": "и", "є": "е", "ё": "е", "э": "е", "ы": "и", "ґ": "г", "ъ": "", "ь": ""}
)
# Latin look-alikes typed on a Latin keyboard inside Cyrillic words.
_LATIN_LOOKALIKES = str.maketrans(
    {
        "a": "а",
        "c": "с",
        "e": "е",
        "i": "і",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "k": "к",
        "m": "м",
        "t": "т",
        "h": "н",
        "b": "в",
    }
)
_CYRILLIC = re.compile(r"[а-яіїєґё]")


class Memo:
    """What one message's reading made of the texts it read (`clean`, `words`, facts.forms): the same message
    and its parts are read by many readers in one turn (the question on screen, the facts, the question finder,
    search), each cleaning and splitting them again. Lives for one message only (`reading_one`): a citizen's
    text is never kept beyond it."""

    __slots__ = ("clean", "forms", "words")

    def __init__(self) -> None:
        self.clean: dict[str, str] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        self.forms: dict[str, tuple[str, ...]] = {}


_MEMO: ContextVar[Memo | None] = ContextVar("knowledge_text_memo", default=None)


class _Reading:
    """The block of `reading_one` (a plain context manager: one per message, on the hot path)."""

    __slots__ = ("_token",)

    def __enter__(self) -> Memo:
        memo = Memo()
        self._token = _MEMO.set(memo)
        return memo

    def __exit__(self, *exc: object) -> None:
        _MEMO.reset(self._token)


def reading_one() -> AbstractContextManager[Memo]:
    """While one message is read: `clean`, `words` and facts.forms of a text are worked out once (pure
    functions of the text, so nothing can go stale within); forgotten when the block ends."""
    return _Reading()


def memo() -> Memo | None:
    """The memo of the message being read, if any (`reading_one`)."""
    return _MEMO.get()


def clean(text: str) -> str:
    """Lower-case, NFKC, without invisible characters and apostrophes."""
    if (kept := _MEMO.get()) is not None:
        if (done := kept.clean.get(text)) is None:
            done = kept.clean[text] = _clean(text)
        return done
    return _clean(text)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).lower()
    return _APOSTROPHES.sub("", text)


def words(text: str) -> list[str]:
    """Words of a cleaned text as written (a hyphenated word is one word); Latin look-alikes inside Cyrillic
    words are folded to Cyrillic. A new list each time (callers may change it)."""
    if (kept := _MEMO.get()) is not None:
        if (done := kept.words.get(text)) is None:
            done = kept.words[text] = tuple(_words(text))
        return list(done)
    return _words(text)


def _words(text: str) -> list[str]:
    out = []
    for word in _WORD.findall(clean(text)):
        if _CYRILLIC.search(word):
            word = word.translate(_LATIN_LOOKALIKES)
        out.append(word)
    return out


def parts(word: str) -> list[str]:
    """A word of `words` and, if hyphenated, its parts («я-ветеран» is found by «ветеран»), except a number
    like a card's «41-11», which only counts whole."""
    if "-" in word and not word.replace("-", "").isdigit():
        return [word, *(part for part in word.split("-") if part)]
    return [word]


def tokens(text: str) -> list[str]:
    """Search tokens of a text: its `words`, each with its `parts`."""
    return [token for word in words(text) for token in parts(word)]


def skeleton(word: str) -> str:
    """The alphabet-neutral form used for matching."""
    return word.translate(_SKELETON)


class Lemmatizer:
    """Ukrainian and Russian lemmas of a word (pymorphy3), cached."""

    def __init__(self) -> None:
        self._uk = pymorphy3.MorphAnalyzer(lang="uk")
        self._ru = pymorphy3.MorphAnalyzer(lang="ru")
        self.forms = lru_cache(maxsize=65536)(self._forms)
        self.known = lru_cache(maxsize=65536)(self._known)

    def query_forms(self, tokens: list[str], guesses: int = 16) -> list[tuple[str, ...]]:
        """`forms` of each token of one text; only the first `guesses` unknown words get a guessed lemma."""
        out = []
        for token in tokens:
            unknown = guesses > 0 and not self.known(token)
            out.append(self.forms(token, guesses > 0))
            guesses -= unknown
        return out

    def _known(self, word: str) -> bool:
        """Whether either dictionary knows the word (then it is not a typo of another word)."""
        return bool(self._uk.word_is_known(word) or self._ru.word_is_known(word))

    def _forms(self, word: str, guess: bool = True) -> tuple[str, ...]:
        """Skeletons of the word itself and of its dictionary lemmas in either language; for a word neither
        dictionary knows, a guessed lemma unless `guess` is off (guessing is the costly part: callers bound
        how many words of one text get it)."""
        found = {skeleton(word)}
        if len(word) > 2 and not word.isdigit():
            for morph in (self._uk, self._ru):
                if morph.word_is_known(word):
                    found.add(skeleton(morph.parse(word)[0].normal_form))
            if len(found) == 1 and guess:
                # Unknown in both dictionaries (a typo or slang): trust only a confident Ukrainian guess.
                best = self._uk.parse(word)[0]
                if best.score >= 0.5:
                    found.add(skeleton(best.normal_form))
        return tuple(sorted(found))
