"""Amounts of payments in the knowledge: every payment says how much, who pays and decides, from a dated source;
an amount without its source fails `python -m knowledge check`; «скільки платять» is the amount, not the price."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import Knowledge
from knowledge.check import run_check
from knowledge.schema import MAX_AMOUNT_TEXT
from knowledge.search import SearchIndex
from knowledge.understand import Facet, Understander, build_understander

# The services that pay something (the issue names the first three); each must say how much.
PAYMENTS = {
    "idp-living-allowance",
    "drs-birth-assistance",
    "drs-funeral-assistance",
    "municipal-nanny",
    "pub-veteran-utility-benefits",
}


def test_every_payment_has_its_amount_with_a_dated_public_source(kb: Knowledge) -> None:
    with_amount = {s.id for s in kb.services.values() if s.amount is not None}
    assert with_amount == PAYMENTS
    for sid in PAYMENTS:
        amount = kb.services[sid].amount
        assert amount is not None and amount.text, sid
        assert amount.source.url and amount.source.url.startswith("https://"), sid
        assert amount.source.as_of is not None and amount.source.as_of.year >= 2025, sid
        assert len(amount.text) <= MAX_AMOUNT_TEXT
        assert "грн" in amount.text or "%" in amount.text, sid  # a number, not «уточніть»


def test_the_state_payments_name_the_pension_fund_as_payer_and_decider(kb: Knowledge) -> None:
    for sid in ("idp-living-allowance", "drs-birth-assistance", "drs-funeral-assistance"):
        amount = kb.services[sid].amount
        assert amount is not None
        assert "Пенсійн" in amount.paid_by and "Пенсійн" in amount.decided_by, sid
        assert "Центр" in amount.decided_by, sid  # says the Center does not set it


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(Path(str(resources.files("knowledge") / "data")), dst)
    return dst


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_shipped_amounts_pass_the_check() -> None:
    assert run_check() == []


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda a: a.pop("source"), "amount.source"),
        (lambda a: a["source"].pop("as_of"), "as_of"),
        (lambda a: a["source"].pop("url"), "url"),
        (lambda a: a.pop("paid_by"), "amount.paid_by"),
        (lambda a: a.update(text="9" * (MAX_AMOUNT_TEXT + 1)), "amount.text"),
    ],
    ids=["no source", "no date", "no url", "no payer", "too long"],
)
def test_an_amount_without_its_source_or_payer_fails_the_check(
    data_copy: Path, change: Callable[[dict[str, Any]], None], said: str
) -> None:
    _edit(data_copy / "services" / "drs-funeral-assistance.yaml", lambda raw: change(raw["amount"]))
    problems = run_check(data_copy)
    assert problems, "a broken amount passed the check"
    assert any("drs-funeral-assistance.yaml" in p and said in p for p in problems), problems


def test_an_amount_not_yet_sourced_may_name_only_who_decides(data_copy: Path) -> None:
    _edit(data_copy / "services" / "municipal-nanny.yaml", lambda raw: raw["amount"].pop("text"))
    assert run_check(data_copy) == []


@pytest.fixture(scope="module")
def understander(kb: Knowledge, index: SearchIndex) -> Understander:
    return build_understander(kb, index)


@pytest.mark.parametrize(
    ("question", "facet"),
    [
        ("скільки платять переселенцям", Facet.AMOUNT),
        ("допомога на поховання скільки платять", Facet.AMOUNT),
        ("скока щас платят впо", Facet.AMOUNT),
        ("скильки дають при народжені дитини", Facet.AMOUNT),
        ("какой размер выплаты на похороны", Facet.AMOUNT),
        ("яка сума допомоги на дитину", Facet.AMOUNT),
        ("скільки виплачують за няню", Facet.AMOUNT),
        ("скільки грошей дають переселенцям", Facet.AMOUNT),
        ("сколько платят за рождение ребенка", Facet.AMOUNT),
        ("скільки коштує допомога впо", Facet.PRICE),
        ("скільки платити за паспорт", Facet.PRICE),
        ("сколько платить за прописку", Facet.PRICE),
        ("чи платно оформити допомогу на поховання", Facet.PRICE),
    ],
)
def test_the_amount_of_a_payment_is_not_the_price_of_a_service(
    understander: Understander, question: str, facet: Facet
) -> None:
    got = understander.understand(question)
    assert got.hits, question
    assert got.facet is facet, (question, got.facet)
