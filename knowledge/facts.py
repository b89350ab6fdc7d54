"""Facts stated in free text that settle a question: «не заміжня», «батька не буде», «маю УБД».

Each option of a question lists the phrases that state it (`Option.said`). A phrase matches a text when its
words appear in it in order (a word or two may stand between them, prepositions and particles not counted:
«свідоцтво про шлюб теж пропало» states «свідоцтво пропало»), each word the same up to its ending («заміжня» and
«заміжем», «пенсіонер» and «пенсіонером»), Ukrainian and Russian letters folded alike; a phrase of two content
words states the same in either order («прізвище одне» is «одне прізвище»). A negation next to a
phrase that is not part of it («не заміжня» for the phrase «заміжня», «пенсіонером не був» for «пенсіонер»)
cancels the match. Where phrases of two questions overlap, the longer one wins («прийде один» says who comes,
not that the mother is alone). A question is settled when its matches point to one option only.

Pure and deterministic: no dictionaries, no I/O; `python -m knowledge check` proves that every phrase reads back
as its own option.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from knowledge.schema import Question
from knowledge.text import memo, skeleton, words

# Words that turn a statement around. Compared as skeletons (see knowledge.text.skeleton).
NEGATIONS = frozenset(skeleton(w) for w in ("не", "ні", "нє", "нет", "нема", "немає", "нету", "ни", "без"))
# A negation right before a phrase («не заміжня») or right after it («дітей немає») turns it around; «ні» or «нет»
# before it is an answer of its own («ні, прийде один»), not a negation of the phrase.
NEGATED_BEFORE = frozenset(skeleton(w) for w in ("не", "без"))
NEGATED_AFTER = frozenset(skeleton(w) for w in ("не", "нема", "немає", "нет", "нету"))
# Words that make what follows a doubt or a supposition, not a fact («не знаю, чи він був пенсіонером», «якщо
# батька не буде»): a phrase within `DOUBT_REACH` words after one of them states nothing.
DOUBTS = frozenset(
    skeleton(w) for w in ("чи", "ли", "може", "можливо", "мабуть", "напевно", "наверное", "якщо", "если")
)
DOUBT_REACH = 3
MAX_GAP = 2  # words that may stand between two words of one phrase
# Prepositions and particles: not counted in a gap, and a phrase that starts with one keeps its order («за себе»).
LIGHT = frozenset(
    skeleton(w)
    for w in (
        *("про", "о", "об", "в", "у", "на", "з", "із", "зі", "с", "со", "до", "за", "по", "від", "от", "для"),
        *("і", "й", "та", "а", "и", "теж", "також", "тоже", "же", "ж", "вже", "уже", "ще", "еще", "ещё", "ну"),
    )
)  # fmt: skip
STEM = 4  # the shortest common beginning that makes two word forms one word


@lru_cache(maxsize=65536)
def same_word(said: str, typed: str, loose: bool = True) -> bool:
    """Whether a typed word is the phrase's word: equal, a typo of it, or (`loose`, in a phrase of several
    words) the same stem with another ending. A phrase of one word takes its forms only as listed: «переселенці»
    states a status, «выплаты переселенцам» asks about a payment."""
    if said == typed:
        return True
    if len(said) < STEM or len(typed) < STEM or said.isdigit() or typed.isdigit():
        return False
    if not loose:
        # A typo keeps the first and the last letter; another ending is another word form.
        return (
            len(said) >= 5
            and said[0] == typed[0]
            and said[-1] == typed[-1]
            and abs(len(said) - len(typed)) <= 1
            and fuzz.ratio(said, typed) >= 85
        )
    common = 0
    for a, b in zip(said, typed, strict=False):
        if a != b:
            break
        common += 1
    if common >= STEM and common >= min(len(said), len(typed)) - 2:
        return True
    # A typo, but not a prefix: «незаміжня» is not a typo of «заміжня».
    return len(said) >= 5 and said[0] == typed[0] and fuzz.ratio(said, typed) >= 85


def forms(text: str) -> tuple[str, ...]:
    """The words of a text as the matcher compares them: a hyphenated word as its parts («мати-одиначка»), except
    a name made of one letter and a word («Я-Ветеран», «є-Малятко»), which states nothing about the citizen."""
    if (kept := memo()) is not None:  # the message being read (knowledge.text.reading_one)
        if (done := kept.forms.get(text)) is None:
            done = kept.forms[text] = _forms(text)
        return done
    return _forms(text)


def _forms(text: str) -> tuple[str, ...]:
    # A word of signs only («ъъъ») has an empty skeleton: it is no word to compare.
    return tuple(sk for part in words(text) for w in _split(part) if w and (sk := skeleton(w)))


def _split(word: str) -> list[str]:
    head, _, rest = word.partition("-")
    return [word] if len(head) == 1 and rest else word.split("-")


@dataclass(frozen=True)
class Match:
    question: str
    value: str
    start: int  # the span of text words the phrase took, [start, end)
    end: int
    size: int  # words in the phrase


def find(
    phrase: Sequence[str], text: Sequence[str], starts: dict[str, list[int]] | None = None
) -> tuple[int, int] | None:
    """The first span of `text` that states `phrase` (see the module's rules); None if there is none.
    `starts`: the text's word positions by first letter (`same_word` never matches across first letters)."""
    found = _find(phrase, text, starts)
    if found is None and reversible(phrase):
        found = _find(phrase[::-1], text, None)
    return found


def reversible(phrase: Sequence[str]) -> bool:
    """Whether a phrase states the same in either order: two content words, no negation («одне прізвище»)."""
    return len(phrase) == 2 and not any(w in NEGATIONS or w in LIGHT for w in phrase)


def _next(said: str, text: Sequence[str], at: int) -> int | None:
    """Where the phrase's next word stands after position `at`: within `MAX_GAP` words, light ones not counted."""
    gap = 0
    for j in range(at + 1, len(text)):
        if same_word(said, text[j]):
            return j
        if text[j] not in LIGHT:
            gap += 1
            if gap > MAX_GAP:
                return None
    return None


def _find(
    phrase: Sequence[str], text: Sequence[str], starts: dict[str, list[int]] | None = None
) -> tuple[int, int] | None:
    if not phrase:
        return None
    negated = any(w in NEGATIONS for w in phrase)
    loose = len(phrase) > 1
    at_first = range(len(text)) if starts is None else starts.get(phrase[0][0], [])
    for first in at_first:
        if not same_word(phrase[0], text[first], loose):
            continue
        at, ok = first, True
        for said in phrase[1:]:
            nxt = _next(said, text, at)
            if nxt is None or (said not in NEGATIONS and any(t in NEGATIONS for t in text[at + 1 : nxt])):
                ok = False
                break
            at = nxt
        if not ok:
            continue
        before = text[first - 1] if first > 0 else ""
        after = text[at + 1] if at + 1 < len(text) else ""
        if not negated and (before in NEGATED_BEFORE or after in NEGATED_AFTER):
            continue  # «не заміжня» is not «заміжня»; «дітей немає» is not «дітей»
        if any(w in DOUBTS for w in text[max(0, first - DOUBT_REACH) : first]):
            continue
        return first, at + 1
    return None


class Facts:
    """The phrases of a set of questions, ready to read texts."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self.phrases: list[tuple[str, str, tuple[str, ...]]] = [
            (q.id, o.value, f) for q in questions for o in q.options for said in o.said if (f := forms(said))
        ]
        # The phrases by their first word's first letter, which a text must have for them to match (`same_word`
        # never matches across first letters; a reversible phrase needs both its words): a text is compared only
        # with those.
        self._by_letter: dict[str, list[int]] = {}
        # The same by question: a text read for a few questions is compared only with their phrases.
        self._of_question: dict[str, dict[str, list[int]]] = {}
        for i, (qid, _, phrase) in enumerate(self.phrases):
            self._by_letter.setdefault(phrase[0][0], []).append(i)
            self._of_question.setdefault(qid, {}).setdefault(phrase[0][0], []).append(i)
        self._reversible = {i for i, (_, _, phrase) in enumerate(self.phrases) if reversible(phrase)}

    def matches(self, text: str, only: Iterable[str] | None = None) -> list[Match]:
        """Every phrase found in `text` (of the questions `only`, if given), before overlaps are resolved."""
        typed = forms(text)
        starts: dict[str, list[int]] = {}
        for i, word in enumerate(typed):
            starts.setdefault(word[0], []).append(i)
        if only is None:
            candidates = sorted({i for letter in starts for i in self._by_letter.get(letter, ())})
        else:
            of = self._of_question
            candidates = sorted(
                {i for qid in set(only) if qid in of for letter in starts for i in of[qid].get(letter, ())}
            )
        found = []
        for i in candidates:  # in the phrases' order, whichever index found them
            qid, value, phrase = self.phrases[i]
            span = _find(phrase, typed, starts)  # `find`, with the phrase's reversibility known beforehand
            if span is None and i in self._reversible:
                span = _find(phrase[::-1], typed, None)
            if span is not None:
                found.append(Match(qid, value, span[0], span[1], len(phrase)))
        return found

    def settled(
        self, text: str, only: Iterable[str] | None = None, found: list[Match] | None = None
    ) -> dict[str, str]:
        """Question id → the option the text states, for each question it settles (one option only). `found`:
        `matches(text, only)`, when the caller has found them already."""
        kept: list[Match] = []
        for m in sorted(self.matches(text, only) if found is None else found, key=lambda m: -m.size):
            # A shorter phrase inside a longer one of another question says less: «прийде один» is not «один».
            if any(
                k.question != m.question and k.size > m.size and m.start < k.end and k.start < m.end
                for k in kept
            ):
                continue
            kept.append(m)
        out: dict[str, str] = {}
        for qid in dict.fromkeys(m.question for m in kept):
            mine = [m for m in kept if m.question == qid]
            longest = max(m.size for m in mine)
            values = {m.value for m in mine if m.size == longest}
            # The longest phrase decides («не в шлюбі» over «шлюб»); a tie between options settles nothing.
            if len(values) == 1 and not any(
                m.value not in values and not _inside(m, mine, longest) for m in mine
            ):
                out[qid] = values.pop()
        return out


def _inside(m: Match, mine: list[Match], longest: int) -> bool:
    """Whether a weaker match of another option lies within a longest match (and so is part of it)."""
    return any(k.size == longest and k.start <= m.start and m.end <= k.end for k in mine)


def check_phrases(questions: Iterable[Question]) -> list[str]:
    """Problems of the `said` phrases: a phrase that does not read back as its own option, or one shared."""
    problems = []
    for q in questions:
        facts = Facts([q])
        seen: dict[tuple[str, ...], str] = {}
        for o in q.options:
            for said in o.said:
                key = forms(said)
                if not key:
                    problems.append(f"question '{q.id}': option '{o.value}' has an empty phrase")
                    continue
                if key in seen and seen[key] != o.value:
                    problems.append(
                        f"question '{q.id}': phrase «{said}» states both '{seen[key]}' and '{o.value}'"
                    )
                seen[key] = o.value
                got = facts.settled(said).get(q.id)
                if got != o.value:
                    problems.append(
                        f"question '{q.id}': phrase «{said}» of option '{o.value}' reads as '{got or 'nothing'}'"
                    )
    return problems
