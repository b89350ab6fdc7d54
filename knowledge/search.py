"""Free-text search over services and life situations.

Words are folded to lemmas (pymorphy3, Ukrainian and Russian) and to an alphabet-neutral skeleton, expanded with
citizen synonyms (прописка → реєстрація), matched exactly or, for typos, by edit similarity among vocabulary words
that share a letter trigram. A document's score is the share of the query's information (idf) it explains, so an
off-topic question, whose words the knowledge never uses, scores low and gets nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from knowledge.loader import Knowledge
from knowledge.text import Lemmatizer, tokens
from knowledge.vocabulary import SearchVocabulary

Kind = Literal["service", "situation"]
TITLE, KEYWORD, SUMMARY = 1.0, 1.0, 0.6
MIN_SCORE = 0.3  # below this a match is a coincidence, not an answer
PHRASE_BONUS = 0.15
FUZZY_MIN_LEN = 4
UNKNOWN_WEIGHT = 0.33
MEMBER_RANK = 1.0
CONDITIONAL_MEMBER = 0.8  # words of a service a situation bundles only for some answers
# Work bounds: a pasted page or a keyboard mash costs no more than a long question.
MAX_QUERY_TOKENS = 40  # tokens read from a query; a citizen's longest questions have about 30 words
# Words no dictionary knows are where the work goes (a guessed lemma ≈ 80 µs, a typo lookup): a citizen's question
# has at most three (tests/knowledge: 436 questions), a keyboard mash has nothing else. Budgets per query:
MAX_GUESSES = 4  # unknown words given a guessed lemma
MAX_FUZZY_WORDS = 6  # unknown words looked up as typos


@dataclass(frozen=True)
class Entry:
    """Something search can return, with the texts it is found by and their weights."""

    kind: Kind
    id: str
    title: str
    card: str | None
    texts: tuple[tuple[str, float], ...]
    phrases: tuple[str, ...] = ()
    rank: float = 1.0  # multiplies the score; below 1 for entries a better one also leads to


@dataclass(frozen=True)
class SearchHit:
    kind: Kind
    id: str
    title: str
    score: float
    card: str | None = None
    # The score before it is capped at 1 when the question says one of the hit's names whole (the phrase
    # bonus), which tells apart two hits that both explain every word; else the score.
    raw: float = field(default=0.0, compare=False, repr=False)

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "id": self.id, "title": self.title, "score": self.score}
        if self.kind == "service":
            out["card"] = self.card
        return out


def entries_of(kb: Knowledge) -> list[Entry]:
    """Search entries for every service and situation of the knowledge base."""
    in_situation = {r.service for sit in kb.situations.values() for r in sit.services}
    out = [
        Entry(
            "service",
            s.id,
            s.title,
            s.card,
            (
                (s.title, TITLE),
                (s.short_title, TITLE),
                *((k, KEYWORD) for k in s.keywords),
                (s.summary, SUMMARY),
            )
            + (((s.card, TITLE),) if s.card else ()),
            tuple(s.keywords),
            # A service known only from public pages is better reached through its life situation,
            # which asks the questions and gives the personal checklist.
            MEMBER_RANK if s.card is None and s.id in in_situation else 1.0,
        )
        for s in kb.services.values()
    ]
    for sit in kb.situations.values():
        # A situation is the way in to the services it always bundles that have no card of their own (a citizen
        # asking about birth registration wants the whole «Народження дитини» checklist), so it is found
        # by their words too. Seed-card services stay separate answers.
        members = [
            (kb.services[r.service], r.when) for r in sit.services if kb.services[r.service].card is None
        ]
        member_texts = [
            (t, KEYWORD if when is None else CONDITIONAL_MEMBER)
            for m, when in members
            for t in (m.title, m.short_title, *m.keywords)
        ]
        texts = (
            (sit.title, TITLE),
            *((k, KEYWORD) for k in sit.keywords),
            *member_texts,
            (sit.summary, SUMMARY),
        )
        phrases = tuple(sit.keywords)
        out.append(Entry("situation", sit.id, sit.title, None, texts, phrases))
    return out


def _trigrams(word: str) -> set[str]:
    padded = f"<{word}>"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


# One way to read a query word: the words it stands for, each as vocabulary terms with their similarity.
# A plain word is one slot; a synonym («прописка») is the phrase it means, every word of which must match.
Reading = tuple[dict[str, float], ...]


class SearchIndex:
    """An inverted index of lemma skeletons with idf weights; immutable after construction."""

    def __init__(
        self, entries: Sequence[Entry], vocabulary: SearchVocabulary, lemmatizer: Lemmatizer
    ) -> None:
        self._entries = list(entries)
        self._lem = lemmatizer
        self._stop = {f for w in vocabulary.stopwords for f in self._lem.forms(w)}
        self._synonyms: dict[str, list[tuple[frozenset[str], ...]]] = defaultdict(list)
        for group in vocabulary.synonyms:
            meaning = self._phrase(group.means)
            for variant in group.variants:
                for f in self._forms_of_text(variant):
                    self._synonyms[f].append(meaning)
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        # Per entry: phrase lengths, and for each term the words it fills in each phrase (phrase → a bit per word).
        self._phrase_len: list[list[int]] = []
        self._phrase_slots: list[dict[str, tuple[tuple[int, int], ...]]] = []
        for i, entry in enumerate(self._entries):
            for text, weight in entry.texts:
                for form in self._forms_of_text(text):
                    postings[form][i] = max(postings[form].get(i, 0.0), weight)
            phrases = [p for p in (self._phrase(k) for k in (entry.title, *entry.phrases)) if p]
            slots: dict[str, dict[int, int]] = defaultdict(dict)
            for pi, phrase in enumerate(phrases):
                for wi, forms in enumerate(phrase):
                    for form in forms:
                        if i in postings.get(form, ()):  # a term the entry lacks never matches it
                            slots[form][pi] = slots[form].get(pi, 0) | 1 << wi
            self._phrase_len.append([len(p) for p in phrases])
            self._phrase_slots.append({form: tuple(words.items()) for form, words in slots.items()})
        n = max(len(self._entries), 1)
        self._postings = dict(postings)
        self._idf = {t: math.log(1 + n / len(docs)) for t, docs in postings.items()}
        # term -> [(doc, idf × field weight)], the inner loop of every query
        self._weighted = {t: [(d, self._idf[t] * w) for d, w in docs.items()] for t, docs in postings.items()}
        # A word the knowledge never uses («сусідка», «погода») dilutes the score, but less than a topic word:
        # chatty questions carry many of them, off-topic ones carry nothing else.
        self._unknown_idf = UNKNOWN_WEIGHT * math.log(1 + n)
        self._grams: dict[str, list[str]] = defaultdict(list)
        for term in {*self._postings, *self._synonyms}:
            if len(term) >= FUZZY_MIN_LEN:
                for g in _trigrams(term):
                    self._grams[g].append(term)
        self.similar = lru_cache(maxsize=65536)(self._similar)

    @property
    def lemmatizer(self) -> Lemmatizer:
        """The lemmatizer the index was built with (shared, cached)."""
        return self._lem

    def is_stopword(self, forms: Iterable[str]) -> bool:
        """Whether a token with these `Lemmatizer.forms` names no topic (a stop word in one of its forms)."""
        return any(f in self._stop for f in forms)

    def _forms_of_text(self, text: str) -> set[str]:
        return {f for w in tokens(text) if not w.isdigit() for f in self._lem.forms(w) if f not in self._stop}

    def _phrase(self, text: str) -> tuple[frozenset[str], ...]:
        return tuple(frozenset(fs) for w in tokens(text) if not (fs := set(self._lem.forms(w))) & self._stop)

    def _similar(self, form: str) -> tuple[tuple[str, float], ...]:
        """Known words (indexed terms and synonym variants) close to `form`, with similarity 0..1."""
        if form in self._postings or form in self._synonyms:
            return ((form, 1.0),)
        if len(form) < FUZZY_MIN_LEN:
            return ()
        cutoff = 84.0 if len(form) < 7 else 80.0
        grams = _trigrams(form)
        counts: dict[str, int] = defaultdict(int)
        for g in grams:
            for term in self._grams.get(g, ()):
                counts[term] += 1
        need = max(1, len(grams) - 6)  # a single typo breaks at most three trigrams of each word
        found = []
        for term, shared in counts.items():
            if shared >= need:
                score = fuzz.ratio(form, term, score_cutoff=cutoff)
                if score:
                    found.append((term, score / 100))
        # ties by the term itself: `counts` is filled in the order of a set, which differs between processes
        return tuple(sorted(found, key=lambda t: (-t[1], t[0]))[:3])

    def _readings(self, forms: Sequence[str], sim: float) -> list[Reading]:
        readings: list[Reading] = []
        own = {f: sim for f in forms if f in self._postings}
        if own:
            readings.append((own,))
        for f in forms:
            for meaning in self._synonyms.get(f, ()):
                slots = tuple({t: sim for t in word if t in self._postings} for word in meaning)
                if slots and all(slots):
                    readings.append(slots)
        return readings

    def _query_words(self, query: str) -> list[list[Reading]]:
        """For each meaningful query word, its readings; an unknown word gets none."""
        out = []
        fuzzy_left = MAX_FUZZY_WORDS
        said = tokens(query)[:MAX_QUERY_TOKENS]
        for word, forms in zip(said, self._lem.query_forms(said, MAX_GUESSES), strict=True):
            if word.isdigit() or any(f in self._stop for f in forms):
                continue
            readings = self._readings(forms, 1.0)
            # Only a word neither the index nor the dictionaries know is read as a typo:
            # «квартал» is a real word, not a misspelt «карта».
            if not readings and fuzzy_left > 0 and not self._lem.known(word):
                fuzzy_left -= 1
                for form in forms:
                    for term, sim in self.similar(form):
                        readings += self._readings((term,), sim)
            out.append(readings)
        return out

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """Ranked hits for a citizen's question; empty when nothing fits well enough."""
        words = self._query_words(query)
        if not words or limit <= 0:
            return []
        gained: dict[int, float] = defaultdict(float)
        strong: set[str] = set()  # terms matched closely enough to count for the phrase bonus
        total = 0.0
        for readings in words:
            total += max(
                (sum(max(self._idf[t] for t in slot) for slot in r) / len(r) for r in readings),
                default=self._unknown_idf,
            )
            best: dict[int, float] = {}
            for reading in readings:
                for doc, value in self._reading_gain(reading, strong).items():
                    if doc not in best or value > best[doc]:  # the best reading's (gains are positive)
                        best[doc] = value
            for doc, value in best.items():
                gained[doc] += value
        base = {doc: value / total * self._entries[doc].rank for doc, value in gained.items()}
        if not base:
            return []
        # Only entries that the phrase bonus could still lift into the first `limit` need it computed.
        floor = max(MIN_SCORE, sorted(base.values(), reverse=True)[min(limit, len(base)) - 1])
        ranked = []
        for doc, value in base.items():
            e = self._entries[doc]
            if value + PHRASE_BONUS * e.rank < floor:
                continue
            # The bonus favours the entry one of whose phrases the question says most completely:
            # «прописка» is all of change-of-residence's «прописка», half of birth's «прописка дитини».
            coverage, said = self._coverage(doc, strong)
            raw = value + PHRASE_BONUS * coverage * e.rank
            if raw >= MIN_SCORE:
                # Beyond the cap of 1, only a name the question says whole tells two full matches apart.
                ranked.append(
                    (raw, said if coverage >= 1.0 else 0, e, raw if coverage >= 1.0 else min(raw, 1.0))
                )
        ranked.sort(key=lambda r: (-round(r[0], 6), -r[1], r[2].kind != "situation", r[2].id))
        return [
            SearchHit(e.kind, e.id, e.title, round(min(raw, 1.0), 3), e.card, round(lead, 3))
            for raw, _, e, lead in ranked[:limit]
        ]

    def _coverage(self, doc: int, terms: set[str]) -> tuple[float, int]:
        """The largest share of one of the entry's phrases whose words the matched terms fill, and how many
        words that phrase has (of two names said whole, the longer is the more specific)."""
        filled: dict[int, int] = defaultdict(int)  # phrase → a bit per word filled
        slots = self._phrase_slots[doc]
        for term in terms & slots.keys():  # in any order: the words filled are the same
            for phrase, words in slots[term]:
                filled[phrase] |= words
        lengths = self._phrase_len[doc]
        best = (0.0, 0)
        for phrase, words in filled.items():  # a loop, not max() over a generator: this runs per hit
            said = words.bit_count()
            if (found := (said / lengths[phrase], said)) > best:
                best = found
        return best

    def _reading_gain(self, reading: Reading, strong: set[str]) -> dict[int, float]:
        """Per document: the mean over the reading's words of the best sim × idf × field weight."""
        per_doc: dict[int, float] = defaultdict(float)
        share = 1 / len(reading)
        for slot in reading:
            if len(slot) == 1:  # the usual case: one exact term, no best-of to take
                ((term, sim),) = slot.items()
                if sim >= 0.85:
                    strong.add(term)
                factor = sim * share
                for doc, value in self._weighted[term]:
                    per_doc[doc] += value * factor
                continue
            slot_best: dict[int, float] = {}
            for term, sim in slot.items():
                for doc, value in self._weighted[term]:
                    value *= sim
                    if value > slot_best.get(doc, 0.0):
                        slot_best[doc] = value
                if sim >= 0.85:
                    strong.add(term)
            for doc, value in slot_best.items():
                per_doc[doc] += value * share
        return per_doc


def build_index(
    kb: Knowledge, lemmatizer: Lemmatizer | None = None, extra: Iterable[Entry] = ()
) -> SearchIndex:
    """The search index of a knowledge base (plus extra entries, e.g. for benchmarks)."""
    from knowledge.vocabulary import load_vocabulary

    return SearchIndex([*entries_of(kb), *extra], load_vocabulary(), lemmatizer or Lemmatizer())
