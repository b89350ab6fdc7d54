"""Yes, no or «не знаю», as citizens type them: «так», «ага», «да, верно», «ні, я не пільговик», «нет не надо»."""

from __future__ import annotations

from dialogs.typed.text import bare_words
from dialogs.words import MORE_NO_WORDS, MORE_YES_WORDS, NO_WORDS, UNKNOWN_WORDS, YES_WORDS


def is_unknown(text: str) -> bool:
    """«не знаю», «хз», «не впевнена»."""
    return bare_words(text) in UNKNOWN_WORDS


def yes_no(text: str) -> bool | None:
    """True for a yes («так», «ага», «да, верно»), False for a no («ні, я не пільговик», «нет не надо»), None
    when it is neither (or «не знаю»)."""
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
            return False
        if len(said) >= size and head in yes and not any(w in no or w == "не" for w in said[size:]):
            return None if "?" in text and len(said) > size else True  # «так, а скільки коштує?»
    if said[0] == "не" and " ".join(said[:2]) not in UNKNOWN_WORDS:  # «не пільговик», «не належу»
        return False
    return None

