"""A small count of people as typed: «двоє», «троє дітей», «2», «сама», «ни одного»; people named one by one
(«есть сын 8 лет» is one child, «син і донька» two); a number of years or months is an age, not a count."""

from __future__ import annotations

from dialogs.typed.text import fuzzy_word, tokens

_COUNTS = {
    0: ("нуль", "жодного", "жодної", "нікого", "ніхто", "никого", "ни одного", "ні одного"),
    1: ("один", "одна", "одне", "одно", "одного", "одну", "одній", "сам", "сама", "одна я", "тільки я",
        "лише я"),
    2: ("два", "дві", "двоє", "двох", "двое", "двух", "пара"),
    3: ("три", "троє", "трьох", "трое", "трех"),
    4: ("чотири", "четверо", "чотирьох", "четыре", "четырех"),
    5: ("п'ять", "пять", "п'ятеро", "пятеро", "п'ятьох", "пятерых"),
    6: ("шість", "шестеро", "шести", "шесть", "шістьох"),
    7: ("сім", "семеро", "семь", "сімох"),
    8: ("вісім", "восьмеро", "восемь"),
    9: ("дев'ять", "девять", "дев'ятеро"),
    10: ("десять", "десятеро"),
}  # fmt: skip
_COUNT_OF = {form: n for n, forms in _COUNTS.items() for form in forms}
MAX_COUNT = 20
# One child each, named as a son, a daughter or a grandchild («есть сын», «син і донька»), Ukrainian and Russian.
_ONE_PERSON = {
    *("син", "сина", "синок", "сын", "сына", "сынок", "донька", "доньку", "дочка", "дочку", "дочь", "доча"),
    *("доця", "доню", "дитина", "дитину", "дитинка", "ребенок", "ребенка", "малюк", "малыш"),
    *("онук", "онука", "онучка", "внук", "внука", "внучка", "внучку"),
}  # fmt: skip
# Children named together, counted by the number before them («троє дітей», «двое детей»).
CHILDREN = {
    *("діти", "дітей", "діток", "дітки", "дитини", "дітьми", "дети", "детей", "деток", "детки", "детьми"),
    *("сини", "синів", "сыновья", "сыновей", "доньки", "доньок", "дочки", "дочек", "дочери", "дочерей"),
    *("онуки", "онуків", "внуки", "внуков"),
}  # fmt: skip
# The beginnings of units after a number that make it an age or a span («8 лет», «2 роки», «5 місяців»).
_AGE_UNITS = ("рок", "рік", "лет", "годик", "года", "міс", "мес", "тиж", "нед")


def _age(said: list[str], i: int) -> bool:
    """Whether the number at `i` is an age: a unit of years or months follows it, perhaps after other numbers
    joined by «і», «и», «та» or «,» («5 і 8 років»)."""
    for word in said[i + 1 :]:
        if word.startswith(_AGE_UNITS):
            return True
        if not (word.isdigit() or word in _COUNT_OF or word in ("і", "и", "й", "та")):
            return False
    return False


def counts_children(word: str) -> bool:
    """Whether a word of a count names children or their age: «дітей», «сын», «лет»."""
    return word in _ONE_PERSON or word in CHILDREN or word.startswith(_AGE_UNITS)


def read_count(text: str) -> int | None:
    """A small count of people or children: «двоє», «троє дітей», «2», «один», «ни одного»; None if none or
    more than one number is named."""
    said = tokens(text)
    found: set[int] = set()
    skip = False
    for i, word in enumerate(said):
        if skip:
            skip = False
            continue
        pair = " ".join(said[i : i + 2])
        if (word.isdigit() or word in _COUNT_OF) and _age(said, i):
            continue  # «8 лет», «два роки», «5 і 8 років»: an age
        if i + 1 < len(said) and pair in _COUNT_OF:
            found.add(_COUNT_OF[pair])
            skip = True
        elif word.isdigit():
            found.add(int(word))
        elif word in ("сам", "сама") and i and said[i - 1] in ("не", "ні"):
            continue  # «не сама» says nothing of how many
        elif (n := fuzzy_word(word, _COUNT_OF, 86.0)) is not None:
            found.add(n)
    if any(n > MAX_COUNT for n in found):
        return None
    if not found:  # «есть сын 8 лет», «син і донька»: each one named
        named = sum(1 for w in said if w in _ONE_PERSON)
        return named or None
    return found.pop() if len(found) == 1 else None
