"""Search quality on an independent set of realistic citizen questions (tests/knowledge/search_cases.yaml)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge import Knowledge, search
from knowledge.search import SearchIndex

CASES = yaml.safe_load((Path(__file__).parent / "search_cases.yaml").read_text(encoding="utf-8"))
ON_TOPIC = [c for c in CASES if c["expect"] != "none"]
# Not about the Center at all; questions with an `intent` (greetings, booking, …) are tested in test_understand.
OFF_TOPIC = [c for c in CASES if c["expect"] == "none" and "intent" not in c]


def _top(index: SearchIndex, q: str) -> str:
    hits = index.search(q, limit=1)
    return f"{hits[0].kind}/{hits[0].id}" if hits else "none"


def test_case_set_is_large_and_varied() -> None:
    assert len(CASES) >= 80
    langs = Counter(c["lang"] for c in CASES)
    assert langs["ru"] >= 0.2 * len(CASES) and langs["surzhyk"] >= 0.1 * len(CASES)
    assert len(OFF_TOPIC) >= 10


def test_every_expected_target_exists(kb: Knowledge) -> None:
    for case in ON_TOPIC:
        kind, _, ident = case["expect"].partition("/")
        pool = kb.services if kind == "service" else kb.situations
        assert ident in pool, case


def test_top1_accuracy_at_least_90_percent(index: SearchIndex) -> None:
    misses = [(c["q"], c["expect"], _top(index, c["q"])) for c in ON_TOPIC]
    misses = [m for m in misses if m[1] != m[2]]
    accuracy = 1 - len(misses) / len(ON_TOPIC)
    report = "\n".join(f"  {q!r}: expected {e}, got {g}" for q, e, g in misses)
    assert accuracy >= 0.90, f"top-1 accuracy {accuracy:.1%}; misses:\n{report}"


@pytest.mark.parametrize("case", OFF_TOPIC, ids=lambda c: c["q"][:30])
def test_off_topic_gets_nothing(index: SearchIndex, case: dict[str, str]) -> None:
    assert index.search(case["q"]) == []


def test_off_topic_set_catches_a_lower_threshold(kb: Knowledge, monkeypatch: pytest.MonkeyPatch) -> None:
    # The off-topic cases include chatty questions sharing one weak word with the knowledge (scores 0.2–0.3):
    # had the threshold been 0.2, test_off_topic_gets_nothing would fail for them.
    monkeypatch.setattr(search, "MIN_SCORE", 0.2)
    lowered = search.build_index(kb)
    answered = [c["q"] for c in OFF_TOPIC if lowered.search(c["q"])]
    assert len(answered) >= 2, answered


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("мунеципальна ння", "service/municipal-nanny"),
        ("выплаты переселенцам", "service/idp-living-allowance"),
        ("прописатися", "situation/change-of-residence"),
        ("41-139", "service/care-fact-act"),
    ],
)
def test_examples_from_the_issue(index: SearchIndex, query: str, expected: str) -> None:
    assert _top(index, query) == expected


def test_results_are_ranked_with_scores_and_limited(index: SearchIndex) -> None:
    hits = index.search("допомога ВПО", limit=3)
    assert 1 <= len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 < h.score <= 1 for h in hits)


@pytest.mark.parametrize("junk", ["", "   ", "🙂🙂🙂", "\u200b\u202e", "?!?!", "a" * 10_000, "що як де"])
def test_junk_gets_nothing_and_no_error(index: SearchIndex, junk: str) -> None:
    assert index.search(junk) == []


# A second set, written by someone who saw neither the first set nor the data's keywords, and never tuned on.
HOLDOUT = yaml.safe_load((Path(__file__).parent / "search_holdout.yaml").read_text(encoding="utf-8"))


def test_holdout_top1_accuracy_at_least_90_percent(index: SearchIndex) -> None:
    on_topic = [c for c in HOLDOUT if c["expect"] != "none"]
    hits = sum(_top(index, c["q"]) == c["expect"] for c in on_topic)
    assert hits / len(on_topic) >= 0.90, f"holdout top-1 {hits}/{len(on_topic)}"


def test_holdout_off_topic_mostly_gets_nothing(index: SearchIndex) -> None:
    # Measured 17 of 19: «день народження» and «живуть» (жити) still reach a card. No more may slip.
    off = [c for c in HOLDOUT if c["expect"] == "none"]
    answered = [c["q"] for c in off if index.search(c["q"])]
    assert len(answered) <= 2, f"holdout off-topic questions answered: {answered}"
