"""Search and understanding quality on the tuning set and every held-out set (the cases and the figures:
testkit/search_quality.py).

Run: `.venv/bin/python -m bench.search_quality` (add `--calibrate` for the confidence threshold grid,
`--misses` to list what went wrong).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from knowledge import load_knowledge
from knowledge.search import build_index
from knowledge.understand import Understander, build_understander
from testkit.search_quality import ROOT, TUNING, evaluate, held_out_files, load_cases, ref


def calibrate(understander: Understander, cases: Sequence[dict[str, Any]]) -> None:
    """Precision and coverage of confident answers for a grid of (score, margin) thresholds."""
    rows = []
    for case in cases:
        hits = understander.understand(case["q"]).hits
        if hits:
            rows.append((hits[0].score, understander.margin(hits), ref(hits[0]) == case["expect"]))
    right_top1 = sum(ok for *_, ok in rows)
    print("| min score | min margin | confident | right | precision | coverage |\n|---|---|---|---|---|---|")
    for score in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        for margin in (0.0, 0.01, 0.03, 0.05, 0.08, 0.1, 0.15):
            chosen = [ok for s, m, ok in rows if s >= score and m >= margin]
            right = sum(chosen)
            precision = right / len(chosen) if chosen else 1.0
            print(
                f"| {score} | {margin} | {len(chosen)} | {right} | {precision:.1%} | "
                f"{right / right_top1:.1%} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibrate", action="store_true", help="print the confidence threshold grid")
    parser.add_argument("--misses", action="store_true", help="list every case that went wrong")
    parser.add_argument("--tuning-only", action="store_true", help="skip the held-out sets")
    args = parser.parse_args()
    kb = load_knowledge()
    understander = build_understander(kb, build_index(kb))
    if args.calibrate:
        calibrate(understander, load_cases(TUNING))
        return
    for path in [TUNING] if args.tuning_only else [TUNING, *held_out_files()]:
        cases = load_cases(path)
        report = evaluate(understander.understand, cases, frozenset(understander.related))
        role = "tuning" if path == TUNING else "held-out"
        print(f"{path.relative_to(ROOT)} ({role}, {len(cases)} cases)")
        print("\n".join(report.lines()))
        if args.misses:
            print("\n".join(report.misses))


if __name__ == "__main__":
    main()
