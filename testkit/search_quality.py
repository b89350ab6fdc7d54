"""Search and understanding quality: the figures of an understander over question cases (tests/knowledge/*.yaml),
for the benchmark (bench/search_quality.py) and tests/knowledge/test_understand.py.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.search import SearchHit
from knowledge.understand import Understanding

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "tests" / "knowledge"
TUNING = CASES_DIR / "search_cases.yaml"


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cases


def held_out_files() -> list[Path]:
    return sorted(CASES_DIR.glob("search_holdout*.yaml"))


def ref(hit: SearchHit | None) -> str:
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
        refs = [ref(h) for h in got.hits]
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
            report.confident.add(ref(got.confident) == expect)
            if ref(got.confident) != expect:
                wrong.append(f"CONFIDENT WRONG {ref(got.confident)}")
        if wrong:
            report.misses.append(f"    {case['q'][:70]!r} (expect {expect}): {'; '.join(wrong)}")
    return report
