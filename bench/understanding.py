"""Issue 19: the understanding method chosen by measurement — the phrase matcher with the lexical search, a
character n-gram model (scikit-learn), the model as a fallback of the matcher, and the model as a re-ranker of
the matcher's hits; trained on the tuning cases only, scored on every held-out set (testkit/understanding.py).

Run: `.venv/bin/pip install -e '.[bench]'` once (scikit-learn), then `nice .venv/bin/python -m bench.understanding`
(add `--corpus /path/to/tests/conversations` to score the conversation corpus' typed turns as held-out sets too,
`--misses` to list what each method got wrong on the held-out sets).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.search_latency import synthetic
from knowledge import load_knowledge
from knowledge.search import build_index
from knowledge.text import tokens
from knowledge.understand import build_understander, load_intents
from testkit.search_quality import ROOT, TUNING, held_out_files, load_cases
from testkit.understanding import TARGET_PRECISION
from testkit.understanding_compare import Comparison, compare, corpus_cases, scale_figures


def _pct(ratio: Any) -> str:
    return f"{ratio.share:.1%} ({ratio.hit}/{ratio.total})" if ratio.total else "n/a"


def table(result: Comparison) -> str:
    lines = [
        "| held-out set | method | strict | top-1 | top-1 ≈ | off-topic rejected | intent | facet "
        "| confident precision | coverage | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result.rows:
        r = row.report
        right, total = row.strict
        lines.append(
            f"| {row.held_out} | {row.method} | {right / total:.1%} ({right}/{total}) | {_pct(r.top1)} "
            f"| {_pct(r.top1_related)} | {_pct(r.off_topic)} | {_pct(r.intent)} | {_pct(r.facet)} "
            f"| {_pct(r.confident)} | {_pct(r.coverage)} | {row.p50:.2f} | {row.p99:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--corpus", type=Path, help="the conversation corpus' folder (tuning.yaml, holdout.yaml)"
    )
    parser.add_argument("--folds", type=int, default=5, help="folds for the confidence thresholds")
    parser.add_argument(
        "--rounds", type=int, default=10, help="warm runs of each question (its latency: the least)"
    )
    parser.add_argument(
        "--classifier", choices=("lr", "svm"), default="lr", help="LogisticRegression or LinearSVC"
    )
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        help="also train with this many synthetic services (start-up, memory)",
    )
    parser.add_argument(
        "--product-data-only",
        action="store_true",
        help="the model learns intents.yaml and the knowledge only (the tuning cases choose its thresholds)",
    )
    parser.add_argument("--misses", action="store_true", help="list every held-out case that went wrong")
    args = parser.parse_args()
    kb = load_knowledge()
    understander = build_understander(kb, build_index(kb))
    held_out: dict[str, list[dict[str, Any]]] = {p.stem: load_cases(p) for p in held_out_files()}
    held_out["all search held-out"] = [c for cases in list(held_out.values()) for c in cases]
    skipped: dict[str, int] = {}
    if args.corpus:
        for part in ("tuning", "holdout"):
            cases, skipped[part] = corpus_cases(args.corpus, part)
            held_out[f"corpus {part}"] = cases
    tuning = load_cases(TUNING)
    result = compare(
        kb,
        understander,
        load_intents(),
        tuning,
        held_out,
        args.folds,
        args.rounds,
        args.classifier,
        not args.product_data_only,
    )
    if args.product_data_only:
        print(
            f"Trained on the product's intents and knowledge only; thresholds on {TUNING.relative_to(ROOT)}."
        )
    else:
        print(
            f"Trained on {TUNING.relative_to(ROOT)} ({len(tuning)} cases) and the product's intents and knowledge."
        )
    th = result.thresholds
    print(
        f"Thresholds (out-of-fold precision ≥ {TARGET_PRECISION:.0%} on the tuning cases, {args.folds} folds): "
        f"intent {th.intent:.2f}, facet {th.facet:.2f}, target {th.target:.2f}"
    )
    print(
        f"Start-up: import scikit-learn {result.import_s:.2f} s, train {result.train_s:.2f} s "
        f"(thresholds, not needed at run time: {result.threshold_s:.1f} s); RSS {result.rss_before_mb:.0f} → "
        f"{result.rss_after_mb:.0f} MB; model arrays {result.model_bytes / 2**20:.1f} MB, "
        f"{result.features} n-gram features, {len(kb.services)} services, {len(kb.situations)} situations"
    )
    print(
        f"The model by scikit-learn's own calls (vectorizer.transform, predict_proba): p50 "
        f"{result.library[0]:.2f} ms, p99 {result.library[1]:.2f} ms per question (the last held-out set)"
    )
    for part, n in skipped.items():
        print(
            f"corpus {part}: {len(held_out[f'corpus {part}'])} typed turns scored, {n} left out (unknown intents)"
        )
    print(table(result))
    if args.synthetic:
        words = sorted(
            {w for s in kb.services.values() for w in tokens(f"{s.title} {s.summary} {' '.join(s.grounds)}")}
        )
        extra = [(text, f"service/{e.id}") for e in synthetic(args.synthetic, words) for text, _ in e.texts]
        questions = [c["q"] for c in held_out["all search held-out"]]
        train_s, size, p50, p99 = scale_figures(
            kb, load_intents(), tuning, extra, questions, args.classifier, args.rounds
        )
        print(
            f"+{args.synthetic} synthetic services: train {train_s:.1f} s, model arrays {size / 2**20:.0f} MB, "
            f"model alone p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )
    if args.misses:
        for row in result.rows:
            print(f"{row.held_out} / {row.method}:")
            print("\n".join(row.report.misses))


if __name__ == "__main__":
    main()
