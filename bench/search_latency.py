"""Search latency p50/p99: the real knowledge, and the same with 1,000 synthetic services loaded.

Run: `.venv/bin/python -m bench.search_latency` (after `./scripts/test.sh` has set up .venv).
Queries are the citizen questions of tests/knowledge/search_cases.yaml. "cold" is every query's first run
(lemma and typo caches empty); "warm" repeats them. A baseline in the same run times a bare rapidfuzz
`process.extractOne` of each query over all titles, so figures from a noisy machine can be compared.
"understand" is the whole reading of a typed question (intents, facet, search, guard: knowledge/understand.py).
"gibberish" are 500-character texts of random letters, each new (every cache misses): the bound on the work.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from knowledge import load_knowledge
from knowledge.search import SUMMARY, TITLE, Entry, SearchIndex, build_index
from knowledge.text import Lemmatizer, tokens
from knowledge.understand import build_understander

ROOT = Path(__file__).resolve().parents[1]


def queries() -> list[str]:
    cases = yaml.safe_load((ROOT / "tests" / "knowledge" / "search_cases.yaml").read_text(encoding="utf-8"))
    return [c["q"] for c in cases]


def synthetic(n: int, words: Sequence[str], seed: int = 7) -> list[Entry]:
    """`n` fake services whose texts mix real knowledge words with made-up ones (a larger vocabulary)."""
    rnd = random.Random(seed)
    letters = "абвгдеєжзиіїйклмнопрстуфхцчшщьюя"
    out = []
    for i in range(n):
        made_up = ["".join(rnd.choice(letters) for _ in range(rnd.randint(5, 11))) for _ in range(6)]
        pool = [*rnd.sample(list(words), 10), *made_up]
        title = " ".join(rnd.sample(pool, 5))
        texts = (
            (title, TITLE),
            *((" ".join(rnd.sample(pool, 2)), TITLE) for _ in range(6)),
            (" ".join(rnd.sample(pool, 12)), SUMMARY),
        )
        out.append(Entry("service", f"synthetic-{i}", title, None, texts))
    return out


def gibberish(n: int, count: int, seed: int = 11) -> list[str]:
    """`count` texts of `n` characters: random Cyrillic "words" of 3–9 letters."""
    rnd = random.Random(seed)
    letters = "абвгдеєжзиіїйклмнопрстуфхцчшщьюя"
    out = []
    for _ in range(count):
        text = ""
        while len(text) < n:
            text += "".join(rnd.choice(letters) for _ in range(rnd.randint(3, 9))) + " "
        out.append(text[:n])
    return out


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[str], object], qs: Sequence[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter_ns()
            fn(q)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def row(name: str, samples: Sequence[float]) -> str:
    return (
        f"| {name} | {len(samples)} | {statistics.median(samples):.3f} | {percentile(samples, 0.99):.3f} | "
        f"{max(samples):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="warm repetitions of the query set")
    parser.add_argument("--synthetic", type=int, default=1000)
    args = parser.parse_args()
    kb = load_knowledge()
    qs = queries()
    words = sorted(
        {w for s in kb.services.values() for w in tokens(f"{s.title} {s.summary} {' '.join(s.grounds)}")}
    )
    print("| run | queries | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    for label, extra in (
        ("real knowledge", []),
        (f"+{args.synthetic} synthetic services", synthetic(args.synthetic, words)),
    ):
        index: SearchIndex = build_index(kb, Lemmatizer(), extra)
        titles = [e.title for e in index._entries]
        understander = build_understander(kb, index)

        def baseline(q: str, t: list[str] = titles) -> object:
            return process.extractOne(q, t, scorer=fuzz.WRatio)

        print(row(f"{label}: cold (first run of each query)", timed(index.search, qs, 1)))
        print(row(f"{label}: warm", timed(index.search, qs, args.rounds)))
        print(row(f"{label}: understand, warm", timed(understander.understand, qs, args.rounds)))
        print(row(f"{label}: search, 500-char gibberish", timed(index.search, gibberish(500, 200, 1), 1)))
        print(
            row(
                f"{label}: understand, 500-char gibberish",
                timed(understander.understand, gibberish(500, 200, 2), 1),
            )
        )
        print(row(f"{label}: baseline rapidfuzz extractOne over titles", timed(baseline, qs, args.rounds)))


if __name__ == "__main__":
    main()
