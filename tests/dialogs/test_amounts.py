"""«Скільки платять?»: a payment's amount, who pays and decides it and the source's date, through the engine —
apart from the fee of the service («скільки коштує»). The expected words are read from the knowledge."""

from __future__ import annotations

import pytest

from dialogs import texts
from dialogs.render import amount_text
from knowledge import Knowledge
from knowledge.schema import Amount, Service
from testkit.transcript import EngineChannel

SIMPLE_ANSWER = 600  # a reply to a simple question fits one phone screen


def _amount(kb: Knowledge, service_id: str) -> Amount:
    amount = kb.services[service_id].amount
    assert amount is not None and amount.text is not None, service_id
    return amount


def _plain(text: str) -> str:
    return text.replace("**", "")


@pytest.mark.parametrize(
    ("question", "service_id"),
    [
        ("скільки платять переселенцям", "idp-living-allowance"),
        ("скока щас платят впо", "idp-living-allowance"),
        ("сколько дают переселенцам", "idp-living-allowance"),
        ("допомога на поховання скільки платять", "drs-funeral-assistance"),
        ("какой размер выплаты на похороны пенсионера", "drs-funeral-assistance"),
        ("скоко платят на похорон", "drs-funeral-assistance"),
        ("скілки дають при народженні дитини", "drs-birth-assistance"),
        ("сколько платят за рождение ребенка", "drs-birth-assistance"),
        ("скока платят за няню", "municipal-nanny"),
        ("скільки знижка убд на комуналку", "pub-veteran-utility-benefits"),
    ],
)
async def test_how_much_a_payment_pays_who_pays_it_and_the_sources_date(
    citizen: EngineChannel, kb: Knowledge, question: str, service_id: str
) -> None:
    amount = _amount(kb, service_id)
    seen = await citizen.send_text(question)
    text = _plain(seen.text)
    assert kb.services[service_id].short_title in text
    assert amount.text in text and amount.paid_by in text and amount.decided_by in text
    assert amount.source.as_of is not None and f"{amount.source.as_of:%d.%m.%Y}" in text
    assert texts.HOTLINE in text
    assert "Вартість: безоплатно" not in text and "Вартість уточніть" not in text  # the old, wrong answers
    assert len(seen.text) <= SIMPLE_ANSWER, len(seen.text)
    assert any("Уся картка" in label for label, _ in seen.buttons)  # the way on


async def test_a_vague_question_lists_the_payments_it_may_mean_each_with_its_amount(
    citizen: EngineChannel, kb: Knowledge
) -> None:
    seen = await citizen.send_text("яка сума допомоги на дитину")
    text = _plain(seen.text)
    for service_id in ("drs-birth-assistance", "idp-living-allowance"):  # both pay for a child
        amount = _amount(kb, service_id)
        assert amount.text in text and amount.paid_by in text
        assert amount.source.as_of is not None and f"{amount.source.as_of:%d.%m.%Y}" in text
        assert any(kb.services[service_id].short_title in label for label, _ in seen.buttons)
    assert "не виплата" not in text  # the services that pay nothing are left out
    assert len(seen.text) <= SIMPLE_ANSWER, len(seen.text)


async def test_the_fee_of_applying_and_the_amount_paid_are_told_apart(
    citizen: EngineChannel, kb: Knowledge
) -> None:
    idp = kb.services["idp-living-allowance"]
    amount = _amount(kb, idp.id)
    assert idp.fee is not None and idp.fee.free
    asked_price = _plain((await citizen.send_text("скільки коштує оформити допомогу впо")).text)
    assert "Оформлення безоплатне" in asked_price and amount.text in asked_price
    assert asked_price.index("Оформлення безоплатне") < asked_price.index(amount.text)
    asked_amount = _plain((await citizen.send_text("а скільки платять впо")).text)
    assert amount.text in asked_amount and "Оформлення безоплатне" in asked_amount
    assert len(asked_price) <= SIMPLE_ANSWER and len(asked_amount) <= SIMPLE_ANSWER


async def test_a_payment_whose_fee_no_source_names_says_so_instead_of_guessing(
    citizen: EngineChannel, kb: Knowledge
) -> None:
    funeral = kb.services["drs-funeral-assistance"]
    assert funeral.fee is None
    text = _plain((await citizen.send_text("чи платно оформити допомогу на поховання")).text)
    assert _amount(kb, funeral.id).text in text
    assert "джерела не кажуть" in text and texts.HOTLINE in text
    assert "Вартість уточніть у Центрі" not in text


@pytest.mark.parametrize(
    ("question", "service_id"),
    [
        ("скільки платять за паспорт", "drs-passport-id-lost"),
        ("скока дают за картку криворіжця", "kartka-kryvorizhtsia"),
    ],
)
async def test_a_service_that_pays_nothing_says_so_kindly_with_its_fee(
    citizen: EngineChannel, kb: Knowledge, question: str, service_id: str
) -> None:
    service = kb.services[service_id]
    assert service.amount is None and service.fee is not None
    text = _plain((await citizen.send_text(question)).text)
    assert service.short_title in text
    assert "не виплата" in text
    assert ("безоплатно" if service.fee.free else f"{service.fee.amount_uah:.0f} грн") in text


async def test_the_card_shows_the_amount_beside_the_fee(citizen: EngineChannel, kb: Knowledge) -> None:
    amount = _amount(kb, "idp-living-allowance")
    text = _plain((await citizen.press("v:idp-living-allowance:card")).text)
    assert "Вартість: безоплатно" in text and f"Сума виплати: {amount.text}" in text


async def test_an_amount_after_a_card_in_the_middle_of_its_dialog_keeps_the_place(
    citizen: EngineChannel, kb: Knowledge
) -> None:
    await citizen.send_text("допомога на проживання впо")  # opens the card's dialog and its first question
    seen = await citizen.send_text("скільки платять переселенцям")
    assert _amount(kb, "idp-living-allowance").text in _plain(seen.text)


def test_an_amount_no_source_gives_names_who_decides_and_the_hotline(kb: Knowledge) -> None:
    nanny = kb.services["municipal-nanny"]
    amount = _amount(kb, nanny.id)
    unsourced: Service = nanny.model_copy(update={"amount": amount.model_copy(update={"text": None})})
    text = amount_text(unsourced)
    assert amount.decided_by in text and amount.paid_by in text and texts.HOTLINE in text
    assert "грн" not in text.split("🏦")[0]  # no number guessed
