"""A choice among labelled options named by typing: a label's words, a fragment, another form of a word or a
typo («паспорт» names «Паспорт громадянина…»); ambiguous answers choose nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from dialogs.typed.text import tokens
from dialogs.words import FILLER_WORDS

_EMOJI = re.compile(r"[^\w\s'\-]+")


def _label_words(label: str) -> list[str]:
    return [w for w in tokens(_EMOJI.sub(" ", label)) if w not in FILLER_WORDS]


def _word_fits(typed: str, label_word: str) -> float:
    """How well one typed word names one word of a label: the same word, its fragment, its form, a typo."""
    if typed == label_word:
        return 1.0
    shorter = min(len(typed), len(label_word))
    if shorter >= 4 and (label_word.startswith(typed) or typed.startswith(label_word)):
        return 0.95  # «паспорт» / «паспорта», «пільг» / «пільговик»
    common = len(_common_prefix(typed, label_word))
    if common >= 5 and common >= shorter - 3:  # a form of the word: «переселенцям» / «переселенців»
        return 0.9
    if shorter >= 4 and (score := fuzz.ratio(typed, label_word)) >= 80:
        return score / 100
    return 0.0


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def choose(text: str, options: Iterable[tuple[str, str]]) -> str | None:
    """The value of the one option whose label the text names, by its words or a fragment of them
    («паспорт» → the option labelled «Паспорт громадянина…»); several labels may give one value (aliases).
    None when nothing fits, or when options of different values fit equally well."""
    typed = [w for w in tokens(text) if w not in FILLER_WORDS and len(w) > 1]
    if not typed or len(typed) > 8:
        return None
    bare = " ".join(typed)
    options = list(options)  # read twice when no one label is named
    scores: dict[str, float] = {}
    for value, label in options:
        words = _label_words(label)
        if not words:
            continue
        if bare == " ".join(words) or fuzz.ratio(bare, " ".join(words)) >= 90:
            score = 10.0  # the whole label
        else:
            fits = [max((_word_fits(w, lw) for lw in words), default=0.0) for w in typed]
            named = [f for f in fits if f > 0]
            if not named:
                continue
            # most of what was typed must be about this label (a stray word is allowed in a longer answer)
            if len(named) * 2 < len(typed):
                continue
            score = sum(named) + 0.01 * len(named) / len(words)
        scores[value] = max(scores.get(value, 0.0), score)
    if not scores:
        scores = _by_value(typed, options)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - 0.05:
        return None  # two options fit as well: ambiguous
    return ranked[0][0]


def _by_value(typed: list[str], options: Iterable[tuple[str, str]]) -> dict[str, float]:
    """When no one label is named: the words of all labels of one value together («мені ближче на богослова,
    в соцзахист» names an office by its short name and its street), most of what was typed about them."""
    words: dict[str, set[str]] = {}
    for value, label in options:
        words.setdefault(value, set()).update(_label_words(label))
    scores: dict[str, float] = {}
    for value, bag in words.items():
        named = [f for w in typed if (f := max((_word_fits(w, lw) for lw in bag), default=0.0)) > 0]
        if named and len(named) * 2 >= len(typed):
            scores[value] = sum(named)
    return scores


def choose_label(text: str, labels: Sequence[str]) -> int | None:
    """The index of the one label the text names (see `choose`)."""
    picked = choose(text, ((str(i), label) for i, label in enumerate(labels)))
    return None if picked is None else int(picked)
