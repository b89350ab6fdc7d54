"""The comparison of understanding methods (testkit/understanding.py, run by bench/understanding.py) on tiny
inputs: it trains, scores every method on every held-out set, and its pieces do what the figures assume."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_knowledge
from knowledge.search import SearchHit, build_index
from knowledge.understand import Facet, Intent, Understanding, build_understander, load_intents
from testkit.search_quality import TUNING, load_cases
from testkit.understanding import NONE, CharModel, Thresholds, TrainingSet, fallback, model_reading, rerank
from testkit.understanding_compare import METHODS, compare, corpus_cases

TINY = TrainingSet(
    intent=[
        ("привіт", "greeting"),
        ("добрий день", "greeting"),
        ("дякую", "thanks"),
        ("спасибо", "thanks"),
        ("паспорт", NONE),
        ("картка криворіжця", NONE),
    ],
    facet=[
        ("скільки коштує", "price"),
        ("сколько стоит", "price"),
        ("які документи", "docs"),
        ("паспорт", NONE),
    ],
    target=[
        ("картка криворіжця", "service/kartka-kryvorizhtsia"),
        ("карточка криворожанина", "service/kartka-kryvorizhtsia"),
        ("загубив паспорт", "service/drs-passport-id-lost"),
        ("потерял паспорт", "service/drs-passport-id-lost"),
        ("привіт", NONE),
    ],
)


def _hit(ident: str, score: float) -> SearchHit:
    return SearchHit("service", ident, ident, score)


@pytest.mark.parametrize("classifier", ["lr", "svm"])
def test_the_fast_arithmetic_is_the_librarys(classifier: str) -> None:
    pytest.importorskip("sklearn")
    model = CharModel(TINY, [], classifier)
    for text in ("кпртка кривоіжця скока стоит", "загубила паспорт", "привіт дякую", "", "123 ?!"):
        fast, library = model.probabilities(text), model.library_probabilities(text)
        for name in ("intent", "facet", "target"):
            assert [label for label, _ in fast[name]] == [label for label, _ in library[name]]
            assert [p for _, p in fast[name]] == pytest.approx([p for _, p in library[name]], abs=1e-9)
    assert model.probabilities("карточку криворожанина")["target"][0][0] == "service/kartka-kryvorizhtsia"
    assert model.probabilities("потеряла паспорт")["target"][0][0] == "service/drs-passport-id-lost"


def test_the_comparison_runs_on_a_tiny_input() -> None:
    pytest.importorskip("sklearn")
    kb = load_knowledge()
    understander = build_understander(kb, build_index(kb))
    cases = load_cases(TUNING)
    tuning, held = cases[:40], {"tiny": cases[200:206]}
    result = compare(kb, understander, load_intents(), tuning, held, folds=2, rounds=1, classifier="svm")
    assert [(r.held_out, r.method) for r in result.rows] == [("tiny", m) for m in METHODS]
    for row in result.rows:
        assert row.strict[1] == 6
        assert 0 < row.p50 <= row.p99
    matcher = result.rows[0]
    assert matcher.report.top1.total == sum(c["expect"] != "none" for c in held["tiny"])
    assert 0 < result.thresholds.target <= 1.01
    assert result.features > 1000 and result.model_bytes > 0 and result.train_s > 0


def test_the_model_reading_keeps_none_and_thresholds() -> None:
    kb = load_knowledge()
    th = Thresholds(intent=0.5, facet=0.5, target=0.6)
    probs = {
        "intent": [("greeting", 0.7), (NONE, 0.3)],
        "facet": [("price", 0.4), (NONE, 0.6)],
        "target": [("service/kartka-kryvorizhtsia", 0.55), ("situation/birth", 0.3), (NONE, 0.15)],
    }
    got = model_reading(probs, th, kb)
    assert got.intents == (Intent.GREETING,)
    assert got.facet is None  # below its threshold
    assert [f"{h.kind}/{h.id}" for h in got.hits] == ["service/kartka-kryvorizhtsia", "situation/birth"]
    assert got.confident is None  # 0.55 < 0.6
    quiet = model_reading({**probs, "target": [(NONE, 0.8), ("situation/birth", 0.2)]}, th, kb)
    assert quiet.hits == [] and quiet.facet is None


def test_fallback_and_rerank_keep_the_matchers_confident_answer() -> None:
    passport, card = _hit("drs-passport-id-lost", 0.9), _hit("kartka-kryvorizhtsia", 0.7)
    matcher = Understanding(intents=(), facet=Facet.PRICE, hits=[passport, card], confident=passport)
    model = Understanding(intents=(Intent.THANKS,), facet=None, hits=[card], confident=card)
    got = fallback(matcher, model)
    assert got.confident == passport and got.intents == (Intent.THANKS,) and got.facet == Facet.PRICE
    lost = Understanding(intents=(), facet=None, hits=[], confident=None)
    assert fallback(lost, model).confident == card
    assert fallback(lost, Understanding((), None, [card], None)).hits == []
    unsure = Understanding(intents=(), facet=None, hits=[passport, card], confident=None)
    probs = {"target": [("service/kartka-kryvorizhtsia", 0.95), ("service/drs-passport-id-lost", 0.01)]}
    assert rerank(unsure, model, probs).hits[0] == card


def test_corpus_turns_become_cases(tmp_path: Path) -> None:
    (tmp_path / "holdout.yaml").write_text(
        """conversations:
- id: a
  turns:
  - say: вийшла заміж треба міняти паспорт
    expect: {kind: card, service: drs-passport-id-exchange}
  - say: скільки коштує
    expect: {kind: follow-up, facet: price, about: "service:drs-passport-id-exchange"}
  - press: Так
  - say: скока платят переселенцам
    expect: {kind: facet, facet: amount, service: idp-living-allowance}
- id: b
  turns:
  - say: народила вчора шо робить
    expect: {kind: situation, situation: birth}
  - say: до котрої працюєте
    expect: {kind: intent, intent: [hours, contacts]}
  - say: хочу написати скаргу
    expect: {kind: intent, intent: complaint}
  - say: купити квиток на потяг
    expect: {kind: out-of-scope}
  - say: яка погода завтра
    expect: {kind: intent, intent: weather}
""",
        encoding="utf-8",
    )
    cases, skipped = corpus_cases(tmp_path, "holdout")
    assert cases == [
        {"q": "вийшла заміж треба міняти паспорт", "expect": "service/drs-passport-id-exchange"},
        {"q": "скока платят переселенцам", "expect": "service/idp-living-allowance", "facet": "amount"},
        {"q": "народила вчора шо робить", "expect": "situation/birth"},
        {"q": "до котрої працюєте", "expect": "none", "intent": "hours"},
        {"q": "хочу написати скаргу", "expect": "none", "intent": "complaint"},
        {"q": "купити квиток на потяг", "expect": "none"},
    ]
    assert skipped == 1  # the weather: no label of the understander
