"""Phrasings the Center attached to a card or a life situation: what citizens asked that the bot could not
answer, tied by an admin to the answer it should have given (the staff console's «Що не знайшли»).

A question that says an attached phrasing — the same meaningful words, as lemmas, in any order, a typo or two
(rapidfuzz `ratio` of the sorted lemmas ≥ SIMILAR, the same measure and threshold that grouped the unanswered
questions) — is a confident answer with that target (`Understander.understand`). They are stored in the
database; `Learned` is the live set of one process: the console adds a phrasing to it at once, and a process
reads them all when it starts. Pure: no storage.

`problems` is what `python -m knowledge check --phrasings FILE` and the console say of a phrasing: its target
exists, it has meaningful words and at most MAX_CHARS characters, it does not already lead with confidence to a
different answer, it is not attached to two different answers, and, alone, it leads to its target (words that
are a complaint, distress or a wish to be forgotten are answered as such, never searched)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from knowledge.loader import Knowledge
from knowledge.search import MAX_QUERY_TOKENS, SearchHit, SearchIndex
from knowledge.text import skeleton, tokens

if TYPE_CHECKING:
    from knowledge.understand import Understander

SIMILAR = 85  # as dialogs/console/similar.py groups the questions
MAX_CHARS = 120  # an attached phrasing is a question, not a page
KINDS = ("service", "situation")


@dataclass(frozen=True)
class Phrasing:
    text: str
    target: str  # "service/<id>" or "situation/<id>"


def target_hit(kb: Knowledge, target: str) -> SearchHit | None:
    """The answer a target names, as a sure search hit; None when the knowledge has no such thing."""
    kind, _, ident = target.partition("/")
    if kind == "service" and ident in kb.services:
        service = kb.services[ident]
        return SearchHit("service", ident, service.title, 1.0, service.card, 1.0)
    if kind == "situation" and ident in kb.situations:
        return SearchHit("situation", ident, kb.situations[ident].title, 1.0, None, 1.0)
    return None


class Learned:
    """The attached phrasings one process knows, by their key (sorted lemmas of the meaningful words). Added to
    by replacing the dict whole: a lookup reads a snapshot, so a turn never sees half a change."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index
        self._by_key: dict[str, str] = {}

    def key(self, text: str) -> str:
        """What a text is compared by: the first lemma of each meaningful word, sorted; "" when none."""
        lem = self._index.lemmatizer
        found = []
        for token in tokens(text)[:MAX_QUERY_TOKENS]:
            forms = lem.forms(token, False)  # no guessed lemmas: cheap at every question, the same each time
            if not token.isdigit() and self._index.is_stopword(forms):
                continue
            lemmas = [f for f in forms if f != skeleton(token)]
            found.append(min(lemmas or forms))
        return " ".join(sorted(found))

    def add(self, *phrasings: Phrasing) -> None:
        """Add phrasings to those known (a phrasing is never taken back, so a refresh only adds)."""
        self._by_key = {**self._by_key, **{k: p.target for p in phrasings if (k := self.key(p.text))}}

    def only(self, phrasing: Phrasing) -> Learned:
        """A set of this one phrasing (to try it alone)."""
        alone = Learned(self._index)
        alone.add(phrasing)
        return alone

    def __len__(self) -> int:
        return len(self._by_key)

    def match(self, text: str) -> str | None:
        """The target of the attached phrasing the text says, if any."""
        known = self._by_key
        if not known:
            return None
        key = self.key(text)
        if not key:
            return None
        if key in known:
            return known[key]
        best = process.extractOne(key, list(known), scorer=fuzz.ratio, score_cutoff=SIMILAR)
        return None if best is None else known[best[0]]


def problems(kb: Knowledge, understander: Understander, phrasings: Iterable[Phrasing]) -> list[str]:
    """What is wrong with attached phrasings (empty when they are sound). The understander is asked without
    attached phrasings, so a phrasing is judged by what the knowledge alone would answer."""
    found: list[str] = []
    seen: dict[str, tuple[str, str]] = {}  # key -> (text, target)
    for p in phrasings:
        where = f"phrasing «{p.text[:60]}» → {p.target}"
        if target_hit(kb, p.target) is None:
            found.append(f"{where}: no such {p.target.partition('/')[0]} in the knowledge (service/ID or "
                         "situation/ID)")  # fmt: skip
            continue
        if len(p.text) > MAX_CHARS:
            found.append(f"{where}: at most {MAX_CHARS} characters")
            continue
        key = understander.learned.key(p.text)
        if not key:
            found.append(f"{where}: no meaningful words")
            continue
        if key in seen and seen[key][1] != p.target:
            found.append(f"{where}: the same words as «{seen[key][0][:60]}», attached to {seen[key][1]}")
            continue
        seen[key] = (p.text, p.target)
        confident = understander.understand(p.text, learned=False).confident
        if confident is not None:
            leads = f"{confident.kind}/{confident.id}"
            if leads != p.target and frozenset({leads, p.target}) not in understander.related:
                found.append(f"{where}: already leads with confidence to {leads} ({confident.title})")
                continue
        alone = understander.understand(p.text, learned=understander.learned.only(p)).confident
        if alone is None or f"{alone.kind}/{alone.id}" != p.target:
            found.append(f"{where}: its words are read as something else first (a complaint, distress, /forget…)")
    return found
