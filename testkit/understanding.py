"""The understanding method compared by measurement (issue 19): the phrase matcher with the lexical search
(knowledge/understand.py), a character n-gram model (scikit-learn: TfidfVectorizer char_wb 2–5, sublinear tf,
LogisticRegression or LinearSVC), the model as the matcher's fallback and as its re-ranker — for
bench/understanding.py and its test (tests/knowledge/test_understanding_bench.py).

scikit-learn is a `bench` extra (pyproject.toml), imported only here and only when a model is trained.

The model is three classifiers over one vectorizer, trained on the TUNING data only:
- intent: the intent phrases of knowledge/data/intents.yaml and the tuning cases' first intents; «none» for
  the tuning cases without an intent and for the services' titles and keywords;
- facet: the facet phrases and the tuning cases' facets; «none» for the tuning cases without a facet, the
  intent phrases and the services' titles and keywords;
- target (service/<id>, situation/<id> or «none»): the knowledge's titles, short titles, keywords and sample
  questions, and the tuning cases' `expect` (off-topic and intent-only questions are «none»).
An answer is confident when its probability reaches a threshold chosen on out-of-fold predictions of the
tuning cases (k-fold), as the lowest one whose confident answers are right at least TARGET_PRECISION of the
time — never on held-out data.

The model's answers are given as an `Understanding`, so testkit/search_quality.py scores all four methods
with the same figures; `strict` adds one number per case: target, first intent and facet all as expected.
The comparison of the methods on every case set is testkit/understanding_compare.py.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge.loader import Knowledge
from knowledge.search import SearchHit
from knowledge.understand import Facet, Intent, IntentVocabulary, Understanding
from testkit.search_quality import _expected_facet, _expected_intent, ref

NONE = "none"
TARGET_PRECISION = 0.95  # confident answers right this often out of fold on the tuning cases
FOLDS = 5
SVM_SCALE = 5.0  # LinearSVC decision values → softmax
HIT_FLOOR = 0.02  # a target below this probability is not listed as a hit
Labelled = list[tuple[str, str]]


@dataclass
class TrainingSet:
    intent: Labelled = field(default_factory=list)
    facet: Labelled = field(default_factory=list)
    target: Labelled = field(default_factory=list)
    # the tuning cases, split into folds for the thresholds (the rest above is in every fold's training)
    cases: list[dict[str, Any]] = field(default_factory=list)


def _case_labels(case: dict[str, Any]) -> tuple[str, str, str]:
    return (
        _expected_intent(case) or NONE,
        _expected_facet(case) or NONE,
        str(case["expect"]),
    )


def fixed_examples(kb: Knowledge, vocabulary: IntentVocabulary) -> TrainingSet:
    """What the model learns from the product's own data (intents.yaml and the knowledge)."""
    data = TrainingSet()
    for intent, spec in vocabulary.intents.items():
        data.intent += [(p.lstrip("="), intent.value) for p in spec.phrases]
        data.facet += [(p.lstrip("="), NONE) for p in spec.phrases]
    for facet, phrases in vocabulary.facets.items():
        data.facet += [(p.lstrip("="), facet.value) for p in phrases]
    for s in kb.services.values():
        texts = [s.title, s.short_title, *s.keywords, *s.questions]
        data.target += [(t, f"service/{s.id}") for t in texts if t]
        data.intent += [(t, NONE) for t in [s.title, *s.keywords]]
        data.facet += [(t, NONE) for t in [s.title, *s.keywords]]
    for sit in kb.situations.values():
        texts = [sit.title, *sit.keywords, *sit.questions]
        data.target += [(t, f"situation/{sit.id}") for t in texts if t]
    return data


class CharModel:
    """The three classifiers over one character n-gram vectorizer; deterministic (fixed seeds, one thread).

    `probabilities` does the vectorizer's and the classifiers' arithmetic itself (the n-grams of the text, their
    sublinear tf × idf, L2-normalised, times the stacked coefficients, a softmax per classifier): the same numbers
    as scikit-learn's `predict_proba` (tests/knowledge/test_understanding_bench.py checks it) without its per-call
    validation, which costs more than the arithmetic on one short question. `classifier`: "lr" is multinomial
    LogisticRegression; "svm" is LinearSVC, its decision values turned into a softmax (× SVM_SCALE)."""

    def __init__(
        self, fixed: TrainingSet, cases: Sequence[dict[str, Any]], classifier: str = "lr", c: float = 10.0
    ) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC
        from threadpoolctl import threadpool_limits

        intent, facet, target = list(fixed.intent), list(fixed.facet), list(fixed.target)
        for case in cases:
            i, f, t = _case_labels(case)
            intent.append((case["q"], i))
            facet.append((case["q"], f))
            target.append((case["q"], t))
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self.vectorizer.fit([t for t, _ in [*intent, *facet, *target]])
        self.classifiers: dict[str, Any] = {}
        with threadpool_limits(1):  # two threads on a shared 2-core machine are slower than one
            for name, rows in (("intent", intent), ("facet", facet), ("target", target)):
                clf: Any = (
                    LogisticRegression(C=c, max_iter=1000, tol=1e-3, random_state=0)
                    if classifier == "lr"
                    else LinearSVC(C=1.0, random_state=0)
                )
                clf.fit(self.vectorizer.transform([t for t, _ in rows]), [label for _, label in rows])
                self.classifiers[name] = clf
        self.scale = 1.0 if classifier == "lr" else SVM_SCALE
        self._np = np
        self._analyze = self.vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        self._idf = self.vectorizer.idf_
        self._weights = np.hstack([c.coef_.T for c in self.classifiers.values()]) * self.scale
        self._bias = np.concatenate([c.intercept_ for c in self.classifiers.values()]) * self.scale
        self._blocks = []
        at = 0
        for name, clf in self.classifiers.items():
            self._blocks.append((name, [str(label) for label in clf.classes_], at, at + len(clf.classes_)))
            at += len(clf.classes_)

    def probabilities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        """Per classifier: (label, probability), the six most probable first."""
        np = self._np
        counts = Counter(g for g in self._analyze(text) if g in self._vocabulary)
        if counts:
            index = np.fromiter((self._vocabulary[g] for g in counts), dtype=np.intp, count=len(counts))
            weight = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self._idf[
                index
            ]
            weight /= np.sqrt(weight @ weight)
            scores = weight @ self._weights[index] + self._bias
        else:
            scores = self._bias.copy()
        out = {}
        for name, labels, lo, hi in self._blocks:
            block = scores[lo:hi]
            p = np.exp(block - block.max())
            p /= p.sum()
            order = np.argsort(-p, kind="stable")[:6]
            out[name] = [(labels[i], float(p[i])) for i in order]
        return out

    def library_probabilities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        """The same as `probabilities`, by scikit-learn's own calls (for the check and the latency figure)."""
        x = self.vectorizer.transform([text])
        out = {}
        for name, clf in self.classifiers.items():
            if self.scale == 1.0:
                p = clf.predict_proba(x)[0]
            else:
                d = clf.decision_function(x)[0] * self.scale
                p = self._np.exp(d - d.max())
                p /= p.sum()
            order = self._np.argsort(-p, kind="stable")[:6]
            out[name] = [(str(clf.classes_[i]), float(p[i])) for i in order]
        return out

    def size_bytes(self) -> int:
        """Memory of the arrays used at run time (the n-gram vocabulary dict is in the process' RSS, not here)."""
        return int(self._weights.nbytes + self._bias.nbytes + self._idf.nbytes)


@dataclass(frozen=True)
class Thresholds:
    intent: float = 0.5
    facet: float = 0.5
    target: float = 0.5


def _hit(label: str, score: float, kb: Knowledge) -> SearchHit:
    kind, _, ident = label.partition("/")
    if kind == "service":
        s = kb.services[ident]
        return SearchHit("service", ident, s.title, score, s.card)
    return SearchHit("situation", ident, kb.situations[ident].title, score)


def model_reading(
    probs: dict[str, list[tuple[str, float]]], th: Thresholds, kb: Knowledge, limit: int = 5
) -> Understanding:
    """The model's answer as an Understanding: an intent or facet only when confident; the targets as hits
    unless «none» is the most probable; the first hit confident when its probability reaches the threshold."""
    intent, p_intent = probs["intent"][0]
    facet, p_facet = probs["facet"][0]
    targets = probs["target"]
    hits: list[SearchHit] = []
    if targets[0][0] != NONE:
        hits = [_hit(label, p, kb) for label, p in targets if label != NONE and p >= HIT_FLOOR][:limit]
    return Understanding(
        intents=(Intent(intent),) if intent != NONE and p_intent >= th.intent else (),
        facet=Facet(facet) if hits and facet != NONE and p_facet >= th.facet else None,
        hits=hits,
        confident=hits[0] if hits and hits[0].score >= th.target else None,
    )


def fallback(matcher: Understanding, model: Understanding) -> Understanding:
    """The matcher first; the model where the matcher has nothing, or no confident answer and the model has."""
    intents = matcher.intents or model.intents
    if matcher.confident is not None or model.confident is None:
        hits, confident = matcher.hits, matcher.confident
    else:
        top = model.confident
        hits = [top, *(h for h in matcher.hits if ref(h) != ref(top))][: max(len(matcher.hits), 1)]
        confident = top
    facet = (matcher.facet or model.facet) if hits else None
    return Understanding(intents=intents, facet=facet, hits=hits, confident=confident)


def rerank(
    matcher: Understanding, model: Understanding, probs: dict[str, list[tuple[str, float]]]
) -> Understanding:
    """The model re-orders the matcher's hits (mean of the search score and the model's probability); the
    first is confident when the matcher was confident of it or the model is."""
    p = dict(probs["target"])
    scored = sorted(matcher.hits, key=lambda h: -(h.score + p.get(ref(h), 0.0)) / 2)
    confident = None
    if scored:
        top = scored[0]
        if (matcher.confident is not None and ref(matcher.confident) == ref(top)) or (
            model.confident is not None and ref(model.confident) == ref(top)
        ):
            confident = top
    intents = matcher.intents or model.intents
    facet = (matcher.facet or model.facet) if scored else None
    return Understanding(intents=intents, facet=facet, hits=scored, confident=confident)


def _lowest_precise(rows: Sequence[tuple[float, bool]], target: float) -> float:
    """The lowest threshold whose confident answers (score ≥ it) are right at least `target` of the time."""
    best = 1.01
    for t in sorted({s for s, _ in rows}, reverse=True):
        chosen = [ok for s, ok in rows if s >= t]
        if sum(chosen) / len(chosen) >= target:
            best = t
    return best


def choose_thresholds(
    fixed: TrainingSet,
    cases: Sequence[dict[str, Any]],
    folds: int = FOLDS,
    target: float = TARGET_PRECISION,
    classifier: str = "lr",
    learn_cases: bool = True,
) -> Thresholds:
    """Thresholds from out-of-fold predictions on the tuning cases (each case predicted by a model that did
    not see it); without `learn_cases` the model never sees them and predicts them all in one fold."""
    rows: dict[str, list[tuple[float, bool]]] = {"intent": [], "facet": [], "target": []}
    step = folds if learn_cases else 1
    for k in range(step):
        train = [c for i, c in enumerate(cases) if i % step != k] if learn_cases else []
        model = CharModel(fixed, train, classifier)
        for case in cases[k::step]:
            probs = model.probabilities(case["q"])
            for name, expected in zip(("intent", "facet", "target"), _case_labels(case), strict=True):
                label, p = probs[name][0]
                if label != NONE:
                    rows[name].append((p, label == expected))
    return Thresholds(**{name: _lowest_precise(r, target) for name, r in rows.items()})


def strict_accuracy(
    understand: Callable[[str], Understanding],
    cases: Sequence[dict[str, Any]],
    related: frozenset[frozenset[str]] = frozenset(),
) -> tuple[int, int]:
    """Cases whose first hit (none when none is expected; or the situation that bundles the expected service,
    or a service the expected situation bundles, as top-1 ≈), first intent and facet are all as expected."""
    right = 0
    for case in cases:
        got = understand(case["q"])
        intent, facet, expect = _case_labels(case)
        first = ref(got.hits[0]) if got.hits else NONE
        ok = first == expect or frozenset({first, expect}) in related
        ok = ok and (got.intents[0].value if got.intents else NONE) == intent
        ok = ok and (facet == NONE or (got.facet is not None and got.facet.value == facet))
        right += ok
    return right, len(cases)


def latency_ms(
    readers: dict[str, Callable[[str], Any]], questions: Sequence[str], rounds: int = 5
) -> dict[str, tuple[float, float]]:
    """p50 and p99 in ms over the questions of each reader's warm time for that question, the least of `rounds`
    runs (one unmeasured run first): on a 2-core machine shared with other work a single run measures the
    machine's pauses more than the code. The readers take turns on each question."""
    for q in questions:
        for read in readers.values():
            read(q)
    least: dict[str, list[float]] = {name: [float("inf")] * len(questions) for name in readers}
    gc.disable()
    try:
        for _ in range(rounds):
            for i, q in enumerate(questions):
                for name, read in readers.items():
                    start = time.perf_counter()
                    read(q)
                    least[name][i] = min(least[name][i], (time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    out = {}
    for name, samples in least.items():
        samples.sort()
        out[name] = statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return out


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc), MB."""
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
