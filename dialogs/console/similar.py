"""Questions the bot could not answer, grouped by similar text for the Center (`python -m bot unanswered`, the
console's «Що не знайшли»).

Pure: no database, no clock, no knowledge. A text is normalised (Unicode NFKC, case, the letters a hurried
citizen swaps — «є»/«е», «ї»/«і», «ґ»/«г», «ё»/«е» —, apostrophes, punctuation, spacing), then the distinct
normalised texts, most frequent first, join the group whose representative (its first, most frequent text) they
are most like, if that is at least SIMILAR by rapidfuzz's `token_sort_ratio`, or start a group of their own.

Why `token_sort_ratio` ≥ 85 (measured on pairs citizens type, tests/test_unanswered.py): it keeps word order out
(«паспорт скільки коштує» = «скільки коштує паспорт», 100), forgives a typo or two («скилькы коштуе паспорт» 91,
«до котрої ви працюєте» 92), and keeps questions about other things apart («де зробити паспорт» 50, «скільки
коштує витяг» 67, «скільки коштує закордонний паспорт» 79, «коли буде готовий паспорт» vs «коли буде готово» 73).
`token_set_ratio` scores 100 whenever one text's words are a subset of the other's, so it merges «паспорт» with
«скільки коштує закордонний паспорт»; plain `ratio` splits the same words in another order (64).

Cost (the 2-core machine, random texts of 2–6 words from a small vocabulary, a third with a typo: the worst
case, few repeats): 5,000 messages (3,900 distinct) in 0.8 s, 50,000 (19,400 distinct, 3,900 groups) in 10 s."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from storage.unanswered import Unanswered

SIMILAR = 85  # token_sort_ratio of a text to its group's representative, 0–100
_FOLD = str.maketrans({"є": "е", "ї": "і", "ґ": "г", "ё": "е", "’": "", "'": "", "ʼ": "", "`": "", "‘": ""})
_WORD = re.compile(r"\w+")


def normal(text: str) -> str:
    """The text as it is compared: lower case, look-alike letters folded, words only, single spaces."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)))


@dataclass(frozen=True)
class Group:
    """Similar questions: the most common wording, how many, when last, the most common channel and context."""

    text: str
    count: int
    last_seen: dt.datetime
    channel: str
    context: str | None
    forms: tuple[str, ...] = ()  # the group's distinct normalised texts (`normal`), most frequent first


def _most_common(values: Sequence[str]) -> str:
    """The most frequent of `values` (oldest first); of equally frequent ones, the one seen last."""
    counted = Counter(values)
    last = {v: i for i, v in enumerate(values)}
    return max(counted, key=lambda v: (counted[v], last[v]))


def _clusters(forms: Counter[str]) -> list[list[str]]:
    """Distinct normalised texts in groups, each group's representative first."""
    groups: list[list[str]] = []
    representatives: list[str] = []  # their words sorted: `ratio` of these is `token_sort_ratio`, sorted once
    for form, _ in sorted(forms.items(), key=lambda item: (-item[1], item[0])):
        words = " ".join(sorted(form.split()))
        best = None
        if words:  # a text of no words joins no other
            best = process.extractOne(words, representatives, scorer=fuzz.ratio, score_cutoff=SIMILAR)
        if best is None:
            groups.append([form])
            representatives.append(words or "\0")  # "\0" is like no text of words
        else:
            groups[best[2]].append(form)
    return groups


def group(asked: Sequence[Unanswered]) -> list[Group]:
    """`asked` (oldest first) grouped by similar text, the most frequent group first (then the latest)."""
    forms = Counter(normal(a.text) for a in asked)
    of_form = {form: i for i, members in enumerate(_clusters(forms)) for form in members}
    members: dict[int, list[int]] = {}
    for position, a in enumerate(asked):
        members.setdefault(of_form[normal(a.text)], []).append(position)
    found: list[Group] = []
    for positions in members.values():
        rows = [asked[p] for p in positions]
        contexts = [r.context for r in rows if r.context]
        found.append(
            Group(
                text=_most_common([" ".join(r.text.split()) for r in rows]),
                count=len(rows),
                last_seen=max(r.created_at for r in rows),
                channel=_most_common([r.channel for r in rows]),
                context=_most_common(contexts) if contexts else None,
                forms=tuple(f for f, _ in Counter(normal(r.text) for r in rows).most_common()),
            )
        )
    found.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.text))
    return found
