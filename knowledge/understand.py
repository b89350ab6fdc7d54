"""What a typed question means: non-service intents, the facet of a service it asks about, and search hits.

Pure: no messenger, no storage. Phrases live in data/intents.yaml. A question is read word by word (at most
MAX_WORDS words); each word is matched against the phrases' words by its lemmas, by stems, and — for a word no
dictionary knows — by edit similarity. The words of recognised intent and facet phrases are taken out before the
rest is searched, so «хочу записатися на прийом» is a booking and not «Прийом документів … Картки криворіжця»,
and «скільки коштує паспорт» searches for «паспорт». Answers about death or loss are dropped unless the question
says a death or loss word.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from knowledge.facts import NEGATIONS
from knowledge.loader import Knowledge

# the types of a meaning, re-exported: what is read is imported from here
from knowledge.meaning import Facet as Facet
from knowledge.meaning import Intent as Intent
from knowledge.meaning import IntentVocabulary as IntentVocabulary
from knowledge.meaning import Understanding as Understanding
from knowledge.meaning import load_intents as load_intents
from knowledge.phrasings import Learned, target_hit
from knowledge.search import MAX_GUESSES, MAX_QUERY_TOKENS, SearchHit, SearchIndex
from knowledge.text import parts, skeleton, words

ALSO_SCORE, MAX_ALSO = 0.85, 2  # another facet of the same question: said this well; at most this many
MAX_WORDS = 32  # words of a question read; a citizen's longest questions have about 30
MAX_FUZZY = 6  # unknown words compared by edit similarity per question (see search.MAX_GUESSES)
GAP = 2  # other words allowed between the words of one phrase
GAP_COST = 0.05  # what each such word takes from a facet phrase's score (said as written, it wins a tie)
FUZZY_MIN_LEN = 4
STEM_FUZZY_MIN_LEN = 5
# A confident answer: the top hit scores at least CONFIDENT_SCORE and leads the next by CONFIDENT_MARGIN.
# Calibrated on tests/knowledge/search_cases.yaml (bench/search_quality.py prints precision and coverage).
CONFIDENT_SCORE = 0.75
CONFIDENT_MARGIN = 0.08
CLEAR_SCORE, CLEAR_MARGIN = 0.6, 0.2  # … or, a little weaker, far ahead of every other hit


@dataclass(frozen=True)
class _Phrase:
    label: str  # "intent:<value>", "facet:<value>" or "death"
    size: int  # number of words
    whole: bool  # counts only when it is the whole meaningful question


_Placed = tuple["_Phrase", float, tuple[int, ...]]  # a phrase found, its score, the positions it takes
# A match of one phrase word at one question position: (phrase, word of the phrase, similarity).
_Match = tuple[int, int, float]


class _Matcher:
    """All phrases of the vocabulary, indexed by word forms, stems and (for typos) similarity."""

    def __init__(self, index: SearchIndex, labelled: Iterable[tuple[str, str]]) -> None:
        self._lem = index.lemmatizer
        self.phrases: list[_Phrase] = []
        self._exact: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._stems: dict[str, list[tuple[str, int, int]]] = defaultdict(list)  # by first 4 letters
        for label, text in labelled:
            whole = text.startswith("=")
            written = self._phrase_words(text.lstrip("="))
            if not written:
                raise ValueError(f"intents.yaml: phrase {text!r} has no words")
            pi = len(self.phrases)
            self.phrases.append(_Phrase(label, len(written), whole))
            for wi, word in enumerate(written):
                if word.endswith("*"):
                    stem = skeleton(word.rstrip("*"))
                    if len(stem) < 4:
                        raise ValueError(f"intents.yaml: stem {word!r} is shorter than 4 letters")
                    self._stems[stem[:4]].append((stem, pi, wi))
                else:
                    for form in self._lem.forms(word):
                        self._exact[form].append((pi, wi))
        self._fuzzy_terms = [t for t in self._exact if len(t) >= FUZZY_MIN_LEN]
        # stems by length, so that one C-level pass compares a word's prefix of that length with all of them
        by_length: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for group in self._stems.values():
            for stem, pi, wi in group:
                if len(stem) >= STEM_FUZZY_MIN_LEN:
                    by_length[len(stem)].append((stem, pi, wi))
        self._fuzzy_stems = {n: ([s for s, _, _ in group], group) for n, group in by_length.items()}

    @staticmethod
    def _phrase_words(text: str) -> list[str]:
        """Words of a phrase; a stem keeps its trailing «*»."""
        out = []
        for raw in text.split():
            found = words(raw.rstrip("*"))
            if found and raw.endswith("*"):
                found[-1] += "*"
            out += found
        return out

    def matches(self, token: str, forms: Sequence[str], fuzzy: bool) -> list[_Match]:
        """Phrase words a question token (with its lemma `forms`) matches; `fuzzy` allows a typo reading."""
        if token.isdigit():
            return []
        sk = skeleton(token)
        found = {(pi, wi): 1.0 for form in forms for pi, wi in self._exact.get(form, ())}
        for stem, pi, wi in self._stems.get(sk[:4], ()):
            if sk.startswith(stem):
                found[(pi, wi)] = 1.0
        if not found and fuzzy and len(sk) >= FUZZY_MIN_LEN:
            cutoff = 84.0 if len(sk) < 7 else 80.0
            for term, score, _ in process.extract(
                sk, self._fuzzy_terms, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                for key in self._exact[term]:
                    found[key] = max(found.get(key, 0.0), score / 100)
            for n, (stems, group) in self._fuzzy_stems.items():
                if len(sk) >= n:
                    for _, score, i in process.extract(
                        sk[:n], stems, scorer=fuzz.ratio, score_cutoff=80.0, limit=None
                    ):
                        _, pi, wi = group[i]
                        found[(pi, wi)] = max(found.get((pi, wi), 0.0), score / 100)
        return [(pi, wi, sim) for (pi, wi), sim in found.items()]


def _best_placement(size: int, where: dict[int, dict[int, float]]) -> tuple[float, tuple[int, ...]] | None:
    """Distinct positions for the words of one phrase, close together, with the largest total similarity."""
    if len(where) < size:
        return None
    options = [sorted(where[wi].items()) for wi in range(size)]
    best: tuple[float, tuple[int, ...]] | None = None
    for combo in itertools.product(*options):
        positions = tuple(p for p, _ in combo)
        if len(set(positions)) < size or max(positions) - min(positions) + 1 > size + GAP:
            continue
        score = sum(s for _, s in combo)
        if best is None or score > best[0] or (score == best[0] and min(positions) < min(best[1])):
            best = (score, positions)
    return best


def _unnegated(placed: list[_Placed], negations: set[int]) -> list[_Placed]:
    """The placed phrases less those with a word another phrase negates: in «до вас не доберусь, є виїзд?»
    «не доберусь» (cannot come) takes the word that «до вас … доберусь» (how to get there) would read."""
    negated = {p + 1 for _, _, positions in placed for p in positions if p in negations}
    return [
        (phrase, score, positions)
        for phrase, score, positions in placed
        if not any(p in negated and p - 1 not in positions for p in positions)
    ]


class Understander:
    """Reads a typed question; immutable after construction, safe to share."""

    def __init__(self, index: SearchIndex, kb: Knowledge) -> None:
        data = load_intents()
        self._index = index
        labelled: list[tuple[str, str]] = []
        self._weight: dict[Intent, float] = {}
        self._alone = {Intent.ELSEWHERE}  # a topic with no card here is the whole answer (care.yaml)
        for intent, spec in data.intents.items():
            self._weight[intent] = spec.weight
            if spec.alone:
                self._alone.add(intent)
            labelled += [(f"intent:{intent.value}", p) for p in spec.phrases]
        self._facet_order = list(data.facets)
        for facet, phrases in data.facets.items():
            labelled += [(f"facet:{facet.value}", p) for p in phrases]
        labelled += [("death", p) for p in data.death.phrases]
        # what has no card here (care.yaml): each topic's phrases mean the ELSEWHERE intent and name the topic
        labelled += [(f"topic:{t.id}", p) for t in (kb.care.topics if kb.care else ()) for p in t.phrases]
        self._targets: dict[str, SearchHit] = {}
        for ref in [*data.death.guarded, *(d.answer for d in data.defaults)]:
            kind, _, ident = ref.partition("/")
            if kind == "service" and ident in kb.services:
                service = kb.services[ident]
                self._targets[ref] = SearchHit("service", ident, service.title, 1.0, service.card)
            elif kind == "situation" and ident in kb.situations:
                self._targets[ref] = SearchHit("situation", ident, kb.situations[ident].title, 1.0)
            else:
                raise ValueError(f"intents.yaml names {ref!r}, which is not in the knowledge")
        self._guarded = frozenset(data.death.guarded)
        # A situation and the services it bundles lead to the same answer: they do not compete.
        self.related = {
            frozenset({f"situation/{sit.id}", f"service/{r.service}"})
            for sit in kb.situations.values()
            for r in sit.services
        }
        lem = index.lemmatizer
        self._defaults = {
            form: d.answer for d in data.defaults for w in d.words for t in words(w) for form in lem.forms(t)
        }
        self._matcher = _Matcher(index, labelled)
        self._kb = kb
        # The phrasings the Center attached (knowledge/phrasings.py): the one part that changes while it runs.
        self.learned = Learned(index)

    def understand(
        self, text: str, limit: int = 5, *, learned: bool | Learned = True, about_death: bool = False
    ) -> Understanding:
        """What `text` means; `learned`: an attached phrasing it says is its confident answer (these phrasings
        instead of the process's when given); `about_death`: the conversation is already about a death or a loss
        (what is in focus is guarded), so the guarded answers may be found without the text naming a death
        («за скільки роблять свідоцтво» after «помер батько»)."""
        said = words(text)[:MAX_WORDS]
        placed, consumed, meaningful = self._place(said)
        intents, facets, death, topic = self._read(placed)
        facet = facets[0] if facets else None
        rest = " ".join(w for pos, w in enumerate(said) if pos not in consumed)
        if intents and intents[0] in self._alone:
            rest = ""
        hits: list[SearchHit] = []
        default = None
        if rest and limit > 0:
            hits = self._index.search(rest, limit + len(self._guarded))
            if not (death or about_death):
                hits = [h for h in hits if f"{h.kind}/{h.id}" not in self._guarded]
            if hits and (default := self._default(said, meaningful - consumed)):
                first = replace(self._targets[default], score=hits[0].score)
                hits = [first, *(h for h in hits if f"{h.kind}/{h.id}" != default)]
            hits = hits[:limit]
        # a question that asks a facet names its subject no less clearly: only a confident match answers it; but
        # the documents of a life situation are its checklist («помер чоловік, що тепер з документами»)
        clear = facet is None or (facet == Facet.DOCS and bool(hits) and hits[0].kind == "situation")
        confident = hits[0] if hits and (default or self.is_confident(hits, clear=clear)) else None
        attached = learned if isinstance(learned, Learned) else self.learned if learned else None
        if attached is not None and limit > 0 and rest and (target := attached.match(text)) is not None:
            sure = target_hit(self._kb, target)
            if sure is not None:
                hits = [sure, *(h for h in hits if f"{h.kind}/{h.id}" != target)][:limit]
                confident = sure
        return Understanding(
            intents=intents,
            facet=facet if hits else None,
            hits=hits,
            confident=confident,
            topic=topic,
            also=facets[1:] if hits else (),
        )

    def guarded(self, kind: str, ident: str) -> bool:
        """Whether `kind/ident` (a service or a situation) is an answer offered only when a death or a loss is
        named (intents.yaml `death.guarded`)."""
        return f"{kind}/{ident}" in self._guarded

    def facet_asked(self, text: str) -> Facet | None:
        """The facet a question asks about even when it names no service («скільки коштує?», «а де це»), for a
        follow-up about the thing in focus (`understand` gives a facet only with search hits)."""
        facets = self.facets_asked(text)
        return facets[0] if facets else None

    def facets_asked(self, text: str) -> tuple[Facet, ...]:
        """`facet_asked`, then the other facets the same question asks in other words («а скільки коштує і
        де це робиться»)."""
        return self._read(self._place(words(text)[:MAX_WORDS])[0])[1]

    def _place(
        self, said: Sequence[str]
    ) -> tuple[list[tuple[_Phrase, float, tuple[int, ...]]], set[int], set[int]]:
        """The phrases the words say, placed; the positions they take; the positions of meaningful words."""
        where: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
        meaningful: set[int] = set()
        fuzzy_left = MAX_FUZZY
        lem = self._index.lemmatizer
        read = [(pos, token) for pos, word in enumerate(said) for token in parts(word)][:MAX_QUERY_TOKENS]
        all_forms = lem.query_forms([token for _, token in read], MAX_GUESSES)
        for (pos, token), forms in zip(read, all_forms, strict=True):
            if not token.isdigit() and not self._index.is_stopword(forms):
                meaningful.add(pos)
            fuzzy = fuzzy_left > 0 and token.isalpha() and not lem.known(token)
            found = self._matcher.matches(token, forms, fuzzy)
            if fuzzy and len(token) >= FUZZY_MIN_LEN:
                fuzzy_left -= 1
            for pi, wi, sim in found:
                slot = where[pi][wi]
                slot[pos] = max(slot.get(pos, 0.0), sim)
        placed: list[tuple[_Phrase, float, tuple[int, ...]]] = []
        wholes: list[tuple[_Phrase, float, tuple[int, ...]]] = []
        for pi, by_word in where.items():
            phrase = self._matcher.phrases[pi]
            best = _best_placement(phrase.size, by_word)
            if best is not None:
                (wholes if phrase.whole else placed).append((phrase, *best))
        placed = _unnegated(placed, {pos for pos, word in enumerate(said) if skeleton(word) in NEGATIONS})
        consumed = {p for phrase, _, positions in placed if phrase.label != "death" for p in positions}
        unexplained = meaningful - consumed
        for phrase, score, positions in wholes:
            if unexplained <= set(positions):
                placed.append((phrase, score, positions))
                consumed |= set(positions)
        return placed, consumed, meaningful

    def _default(self, said: Sequence[str], topical: set[int]) -> str | None:
        """The default answer when the question's only topic word has one (see `defaults` in the data)."""
        if len(topical) != 1:
            return None
        (pos,) = topical
        lem = self._index.lemmatizer
        return next((self._defaults[f] for f in lem.forms(said[pos]) if f in self._defaults), None)

    def _read(
        self, placed: Sequence[tuple[_Phrase, float, tuple[int, ...]]]
    ) -> tuple[tuple[Intent, ...], tuple[Facet, ...], bool, str | None]:
        intent_score: dict[Intent, tuple[float, int]] = {}
        facet_score: dict[Facet, float] = {}
        facet_span: dict[Facet, frozenset[int]] = {}
        death = False
        topics: dict[str, tuple[float, int]] = {}
        spans = [frozenset(positions) for _, _, positions in placed]
        for (phrase, score, positions), span in zip(placed, spans, strict=True):
            if phrase.label != "death" and any(span < other for other in spans):
                continue  # inside a longer phrase («з телефона через дію» is no «телефон»): the longer says it
            kind, _, value = phrase.label.partition(":")
            if kind in ("intent", "topic"):
                intent = Intent(value) if kind == "intent" else Intent.ELSEWHERE
                key = (score * self._weight.get(intent, 1.0), -min(positions))
                intent_score[intent] = max(intent_score.get(intent, key), key)
                if kind == "topic":
                    topics[value] = max(topics.get(value, key), key)
            elif kind == "facet":
                asked = Facet(value)
                # a word between the phrase's words costs a little: «скільки днів дають на розгляд» asks the
                # days (a phrase said as it is written), not what is paid («скільки … дають»)
                score -= GAP_COST * (max(positions) - min(positions) + 1 - phrase.size)
                if asked not in facet_score or score > facet_score[asked]:
                    facet_score[asked], facet_span[asked] = max(score, facet_score.get(asked, 0.0)), span
            else:
                death = True
        if Intent.BOOKING in intent_score and {Intent.MOVE_BOOKING, Intent.CANCEL_BOOKING} & set(intent_score):
            del intent_score[Intent.BOOKING]  # «записана на четвер, можна перезаписатись»: the change is meant
        intents = tuple(sorted(intent_score, key=lambda i: intent_score[i], reverse=True))
        ranked = sorted(facet_score, key=lambda f: (facet_score[f], -self._facet_order.index(f)), reverse=True)
        facets: list[Facet] = []
        taken: set[int] = set()
        for asked in ranked:  # the best, then others said in words of their own, each said well
            if not facets or (facet_score[asked] >= ALSO_SCORE and not taken & facet_span[asked]):
                facets.append(asked)
                taken |= facet_span[asked]
        return intents, tuple(facets[: 1 + MAX_ALSO]), death, max(topics, key=lambda t: topics[t], default=None)

    def margin(self, hits: Sequence[SearchHit]) -> float:
        """How far the first hit leads the first other hit that competes with it (not its own situation
        or one of its bundled services); the first hit's score when none does."""
        top = f"{hits[0].kind}/{hits[0].id}"
        for hit in hits[1:]:
            if frozenset({top, f"{hit.kind}/{hit.id}"}) not in self.related:
                return max(hits[0].raw, hits[0].score) - max(hit.raw, hit.score)
        return hits[0].score

    def is_confident(self, hits: Sequence[SearchHit], *, clear: bool = True) -> bool:
        """Whether the first hit is a confident single answer (see CONFIDENT_SCORE, CONFIDENT_MARGIN), or, when
        `clear` ones count, a clear one (CLEAR_SCORE, CLEAR_MARGIN)."""
        score, margin = (hits[0].score, self.margin(hits)) if hits else (0.0, 0.0)
        return (score >= CONFIDENT_SCORE and margin >= CONFIDENT_MARGIN) or (
            clear and score >= CLEAR_SCORE and margin >= CLEAR_MARGIN
        )


def build_understander(kb: Knowledge, index: SearchIndex) -> Understander:
    """The understander of a knowledge base and its search index."""
    return Understander(index, kb)
