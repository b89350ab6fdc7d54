"""Search and understanding quality on the tuning set and every held-out set.

Run: `.venv/bin/python -m testkit.search_quality` (add `--calibrate` for the confidence threshold grid,
`--misses` to list what went wrong).

A case is `q` (the question), `expect` (service/<id>, situation/<id> or none), optionally `intent` (the intent
that must come first) and `facet`. Figures:
- top-1 / top-3: on-topic cases whose expected answer is the first hit / among the first three;
  top-1 ≈: the first hit is the expected answer, or the situation that bundles the expected service (or a
  service the expected situation bundles) — the same checklist, reached one step earlier or later;
- off-topic rejection: cases with `expect: none` and no `intent` that get neither intents nor hits;
- intent-only quiet: cases with `expect: none` and an `intent` that get no hits;
- intent accuracy: cases with `intent` whose first intent is it; spurious intents: cases without `intent`
  that get one;
- facet accuracy: cases with `facet` that get it; spurious facets: on-topic cases without `facet` that get one
  (only for files that use `facet` at all);
- confident precision: confident answers that are right; coverage: right top-1 answers that are confident.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge import load_knowledge
from knowledge.search import SearchHit, build_index
from knowledge.understand import Understander, Understanding, build_understander

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "tests" / "knowledge"
TUNING = CASES_DIR / "search_cases.yaml"


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cases


def held_out_files() -> list[Path]:
    return sorted(CASES_DIR.glob("search_holdout*.yaml"))


def _ref(hit: SearchHit | None) -> str:
    return f"{hit.kind}/{hit.id}" if hit else "none"


def _expected_intent(case: dict[str, Any]) -> str | None:
    value = case.get("intent")
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value in (None, "none") else str(value)


def _expected_facet(case: dict[str, Any]) -> str | None:
    value = case.get("facet")
    return None if value in (None, "none") else str(value)


@dataclass
class Ratio:
    hit: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hit += ok
        self.total += 1

    @property
    def share(self) -> float:
        return self.hit / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.hit}/{self.total} = {self.share:.1%}" if self.total else "n/a"


@dataclass
class Report:
    top1: Ratio = field(default_factory=Ratio)
    top1_related: Ratio = field(default_factory=Ratio)
    top3: Ratio = field(default_factory=Ratio)
    off_topic: Ratio = field(default_factory=Ratio)
    intent_quiet: Ratio = field(default_factory=Ratio)
    intent: Ratio = field(default_factory=Ratio)
    spurious_intent: Ratio = field(default_factory=Ratio)
    facet: Ratio = field(default_factory=Ratio)
    spurious_facet: Ratio = field(default_factory=Ratio)
    confident: Ratio = field(default_factory=Ratio)  # precision
    coverage: Ratio = field(default_factory=Ratio)
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"  top-1 {self.top1}; top-1 ≈ {self.top1_related}; top-3 {self.top3}",
            f"  off-topic rejection {self.off_topic}; intent-only questions without hits {self.intent_quiet}",
            f"  intent accuracy {self.intent}; spurious intents {self.spurious_intent}",
            f"  facet accuracy {self.facet}; spurious facets {self.spurious_facet}",
            f"  confident precision {self.confident}; coverage of right top-1 {self.coverage}",
        ]


def evaluate(
    understand: Any, cases: Sequence[dict[str, Any]], related: frozenset[frozenset[str]] = frozenset()
) -> Report:
    """Figures of `understand(q) -> Understanding` over `cases`; `related`: pairs of a situation and a
    service it bundles."""
    report = Report()
    uses_facets = any("facet" in c for c in cases)
    for case in cases:
        got: Understanding = understand(case["q"])
        expect, intent, facet = case["expect"], _expected_intent(case), _expected_facet(case)
        refs = [_ref(h) for h in got.hits]
        first_intent = got.intents[0].value if got.intents else None
        wrong = []
        if expect != "none":
            report.top1.add(refs[:1] == [expect])
            report.top1_related.add(
                bool(refs) and (refs[0] == expect or frozenset({refs[0], expect}) in related)
            )
            report.top3.add(expect in refs[:3])
            if refs[:1] != [expect]:
                wrong.append(f"top-1 {refs[:1] or 'none'}")
            if refs[:1] == [expect]:
                report.coverage.add(got.confident is not None)
            if uses_facets and facet is None:
                report.spurious_facet.add(got.facet is not None)
                if got.facet is not None:
                    wrong.append(f"spurious facet {got.facet.value}")
        elif intent is None:
            report.off_topic.add(not got.hits and not got.intents)
            if got.hits or got.intents:
                wrong.append(f"off-topic answered {refs[:1]} {first_intent}")
        else:
            report.intent_quiet.add(not got.hits)
            if got.hits:
                wrong.append(f"intent question got hits {refs[:2]}")
        if intent is not None:
            report.intent.add(first_intent == intent)
            if first_intent != intent:
                wrong.append(f"intent {first_intent}, expected {intent}")
        else:
            report.spurious_intent.add(first_intent is not None)
            if first_intent is not None:
                wrong.append(f"spurious intent {first_intent}")
        if facet is not None:
            report.facet.add(got.facet is not None and got.facet.value == facet)
            if got.facet is None or got.facet.value != facet:
                wrong.append(f"facet {got.facet}, expected {facet}")
        if got.confident is not None:
            report.confident.add(_ref(got.confident) == expect)
            if _ref(got.confident) != expect:
                wrong.append(f"CONFIDENT WRONG {_ref(got.confident)}")
        if wrong:
            report.misses.append(f"    {case['q'][:70]!r} (expect {expect}): {'; '.join(wrong)}")
    return report


def calibrate(understander: Understander, cases: Sequence[dict[str, Any]]) -> None:
    """Precision and coverage of confident answers for a grid of (score, margin) thresholds."""
    rows = []
    for case in cases:
        hits = understander.understand(case["q"]).hits
        if hits:
            rows.append((hits[0].score, understander.margin(hits), _ref(hits[0]) == case["expect"]))
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
