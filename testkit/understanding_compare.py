"""The comparison of understanding methods (testkit/understanding.py: the trained model, the fallback and the
re-ranker, against the matcher) on every case set, with their latency, memory and size at scale; and the
conversation corpus's typed turns read as cases. Run by bench/understanding.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import Knowledge
from knowledge.understand import Facet, Intent, IntentVocabulary, Understander, Understanding
from testkit.search_quality import Report, evaluate
from testkit.understanding import (
    FOLDS,
    NONE,
    CharModel,
    Labelled,
    Thresholds,
    choose_thresholds,
    fallback,
    fixed_examples,
    latency_ms,
    model_reading,
    rerank,
    rss_mb,
    strict_accuracy,
)

# ------------------------------------------------------------------ the conversation corpus, optional
CORPUS_KINDS = ("card", "situation", "facet", "intent", "out-of-scope")


def corpus_cases(folder: Path, part: str) -> tuple[list[dict[str, Any]], int]:
    """Typed turns of the conversation corpus (another helper's, read where it lies) whose expectation is a
    card, situation, facet of a service, intent the understander knows, or out of scope — as cases of
    testkit/search_quality.py. Follow-ups (about the thing in focus) and answers inside a room are not
    questions a context-free reader can get right, so they are left out; so are intents it has no label for.
    Returns the cases and how many turns were left out."""
    raw = yaml.safe_load((folder / f"{part}.yaml").read_text(encoding="utf-8"))
    known = {i.value for i in Intent}
    cases, skipped = [], 0
    for conversation in raw["conversations"]:
        for turn in conversation["turns"]:
            if "say" not in turn:
                continue
            expect = turn.get("expect") or {}
            kind = expect.get("kind")
            services = expect.get("service")
            services = [services] if isinstance(services, str) else list(services or [])
            intents = expect.get("intent")
            intents = [intents] if isinstance(intents, str) else list(intents or [])
            case: dict[str, Any] | None = None
            if kind in ("card", "facet") and services:
                case = {"q": turn["say"], "expect": f"service/{services[0]}"}
                if kind == "facet" and expect.get("facet") in {f.value for f in Facet}:
                    case["facet"] = expect["facet"]
            elif kind == "situation":
                case = {"q": turn["say"], "expect": f"situation/{expect['situation']}"}
            elif kind == "intent" and intents and intents[0] in known:
                case = {"q": turn["say"], "expect": NONE, "intent": intents[0]}
            elif kind == "out-of-scope":
                case = {"q": turn["say"], "expect": NONE}
            if case is None:
                skipped += kind in CORPUS_KINDS
            else:
                cases.append(case)
    return cases, skipped


# ------------------------------------------------------------------ the comparison
METHODS = ("matcher", "model", "fallback", "rerank")


@dataclass
class Row:
    held_out: str
    method: str
    report: Report
    strict: tuple[int, int]
    p50: float
    p99: float


@dataclass
class Comparison:
    thresholds: Thresholds
    import_s: float
    train_s: float
    threshold_s: float
    rss_before_mb: float
    rss_after_mb: float
    model_bytes: int
    features: int
    rows: list[Row] = field(default_factory=list)
    library: tuple[float, float] = (0.0, 0.0)  # p50, p99 of the model by scikit-learn's own calls (last set)


def compare(
    kb: Knowledge,
    understander: Understander,
    vocabulary: IntentVocabulary,
    tuning: Sequence[dict[str, Any]],
    held_out: Mapping[str, Sequence[dict[str, Any]]],
    folds: int = FOLDS,
    rounds: int = 5,
    classifier: str = "lr",
    learn_cases: bool = True,
) -> Comparison:
    """Train on `tuning` (and the product's data), then score the four methods on each held-out set; without
    `learn_cases` the model learns the product's data only (what a bot could train on at start-up) and the
    tuning cases only choose its thresholds."""
    rss_before = rss_mb()
    start = time.perf_counter()
    import sklearn.linear_model  # noqa: F401  (the import's cost is part of the start-up)

    import_s = time.perf_counter() - start
    fixed = fixed_examples(kb, vocabulary)
    start = time.perf_counter()
    thresholds = choose_thresholds(fixed, tuning, folds, classifier=classifier, learn_cases=learn_cases)
    threshold_s = time.perf_counter() - start
    start = time.perf_counter()
    model = CharModel(fixed, tuning if learn_cases else [], classifier)
    train_s = time.perf_counter() - start
    result = Comparison(
        thresholds=thresholds,
        import_s=import_s,
        train_s=train_s,
        threshold_s=threshold_s,
        rss_before_mb=rss_before,
        rss_after_mb=rss_mb(),
        model_bytes=model.size_bytes(),
        features=len(model.vectorizer.vocabulary_),
    )

    def by_model(q: str) -> Understanding:
        return model_reading(model.probabilities(q), thresholds, kb)

    def by_fallback(q: str) -> Understanding:
        return fallback(understander.understand(q), by_model(q))

    def by_rerank(q: str) -> Understanding:
        probs = model.probabilities(q)
        return rerank(understander.understand(q), model_reading(probs, thresholds, kb), probs)

    readers: dict[str, Callable[[str], Understanding]] = {
        "matcher": understander.understand,
        "model": by_model,
        "fallback": by_fallback,
        "rerank": by_rerank,
    }
    related = frozenset(understander.related)
    for name, cases in held_out.items():
        timing = latency_ms(
            {**readers, "library": model.library_probabilities}, [c["q"] for c in cases], rounds
        )
        for method, read in readers.items():
            report, strict = evaluate(read, cases, related), strict_accuracy(read, cases, related)
            result.rows.append(Row(name, method, report, strict, *timing[method]))
        result.library = timing["library"]
    return result


def scale_figures(
    kb: Knowledge,
    vocabulary: IntentVocabulary,
    tuning: Sequence[dict[str, Any]],
    extra: Labelled,
    questions: Sequence[str],
    classifier: str = "lr",
    rounds: int = 5,
) -> tuple[float, int, float, float]:
    """The model with `extra` (text, target) examples of more services: training seconds, bytes of its arrays,
    p50 and p99 ms of a question."""
    fixed = fixed_examples(kb, vocabulary)
    fixed.target += extra
    start = time.perf_counter()
    model = CharModel(fixed, tuning, classifier)
    train_s = time.perf_counter() - start
    p50, p99 = latency_ms({"model": model.probabilities}, questions, rounds)["model"]
    return train_s, model.size_bytes(), p50, p99
