"""The common ground of the typed-answer readers: one normal form of a text and its words, the Kyiv local day
of a moment, a word looked up with typos forgiven, and `Found` (a value read and where it was)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

KYIV = ZoneInfo("Europe/Kyiv")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "ё": "е", "ʹ": "'"})
WORD = re.compile(r"[\w']+")


def norm(text: str) -> str:
    """Lower case, one kind of apostrophe, «ё» as «е», single spaces; punctuation other than . : / - kept."""
    return " ".join(text.casefold().translate(_APOSTROPHES).split())


def tokens(text: str) -> list[str]:
    return WORD.findall(norm(text))


def kyiv_today(now: dt.datetime) -> dt.date:
    """The Kyiv local date of an aware moment (DST-safe)."""
    return now.astimezone(KYIV).date()


def kyiv_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """A Kyiv wall-clock time on `day` as an aware UTC moment (a time the spring change skips moves on)."""
    local = dt.datetime.combine(day, at, KYIV)
    return local.astimezone(dt.UTC).astimezone(KYIV).astimezone(dt.UTC)


def bare_words(text: str) -> str:
    return " ".join(tokens(text))


@dataclass(frozen=True)
class Found:
    """A value read from a text and where it was (so that the rest can be read for something else)."""

    value: object
    start: int
    end: int


def fuzzy_word(word: str, table: dict[str, int], cutoff: float = 80.0) -> int | None:
    """A word of the table as written, or by edit similarity for a word of 5 letters or more (typos)."""
    if word in table:
        return table[word]
    if len(word) < 5:
        return None
    best, score = None, cutoff
    for form, value in table.items():
        if len(form) >= 5 and (s := fuzz.ratio(word, form)) >= score:
            best, score = value, s
    return best

