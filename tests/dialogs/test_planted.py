"""Tests that catch one-line bugs planted by hand in the engine and the checklist (issue 13, «tests that can
fail»). Each test names the bug it is for; each was seen failing with that bug planted."""

from __future__ import annotations

from dialogs import texts
from dialogs.checklist import build_checklist
from dialogs.render import checklist_text
from dialogs.scenario import UNKNOWN
from knowledge import Knowledge
from testkit.transcript import EngineChannel

GIBBERISH = ["фывапр олдж", "щшгнек ывапы", "хзщшг ролдж"]

# --- the misses counter (planted: not reset after a question the bot understood) -----------------------------


async def test_a_miss_an_understood_question_and_a_miss_is_not_two_misses_in_a_row(
    citizen: EngineChannel,
) -> None:
    await citizen.send_text("/start")
    assert (await citizen.send_text(GIBBERISH[0])).texts == [texts.NOT_UNDERSTOOD]
    understood = await citizen.send_text("контакти")  # an intent: answered, so the misses start again
    assert texts.NOT_UNDERSTOOD not in understood.texts and texts.GIVE_UP not in understood.texts
    assert (await citizen.send_text(GIBBERISH[1])).texts == [texts.NOT_UNDERSTOOD]  # not the hotline yet
    assert (await citizen.send_text(GIBBERISH[2])).texts == [texts.GIVE_UP]  # two in a row: now it is


async def test_a_service_question_between_misses_also_starts_them_again(citizen: EngineChannel) -> None:
    await citizen.send_text("/start")
    await citizen.send_text(GIBBERISH[0])
    answered = await citizen.send_text("скільки коштує паспорт")  # a facet of a card, answered on the side
    assert "Вартість" in answered.text
    assert (await citizen.send_text(GIBBERISH[1])).texts == [texts.NOT_UNDERSTOOD]


async def test_two_misses_in_a_row_offer_the_hotline_and_then_count_again(citizen: EngineChannel) -> None:
    await citizen.send_text("/start")
    assert (await citizen.send_text(GIBBERISH[0])).texts == [texts.NOT_UNDERSTOOD]
    assert (await citizen.send_text(GIBBERISH[1])).texts == [texts.GIVE_UP]
    assert (await citizen.send_text(GIBBERISH[2])).texts == [texts.NOT_UNDERSTOOD]


# --- a document's condition (planted: shown for a known answer, hidden for «не знаю») --------------------------


def test_a_condition_is_shown_for_not_know_and_left_out_for_a_known_answer(kb: Knowledge) -> None:
    checked = 0
    for situation in kb.situations.values():
        for doc in situation.documents:
            if not doc.when or not doc.condition:
                continue
            unknown = {q: UNKNOWN for q in doc.when}
            known = {q: values[0] for q, values in doc.when.items()}
            for answers, expected in ((unknown, doc.condition), (known, None)):
                checklist = build_checklist(kb, situation, answers)
                items = [d for d in checklist.documents if d.id == doc.id and d.title == doc.title]
                if (
                    not items
                ):  # left out by a service's own condition, or shown under another document's title
                    continue
                assert items[0].condition == expected, (situation.id, doc.id, answers)
                shown = checklist_text(kb, checklist, martial_law=False)
                line = next(x for x in shown.splitlines() if doc.title in x)
                assert (doc.condition in line) is (expected is not None), (situation.id, doc.id, line)
                checked += 1
    assert checked >= 10  # both ways, over the real data


def test_a_card_documents_condition_follows_the_same_rule(kb: Knowledge) -> None:
    checked = 0
    for situation in kb.situations.values():
        curated = {name for doc in situation.documents for name in doc.services}
        for ref in situation.services:
            if ref.service in curated:  # the situation lists that service's documents itself
                continue
            for doc in kb.services[ref.service].documents:
                if not doc.when or not doc.condition:
                    continue
                for answers, expected in (
                    ({q: UNKNOWN for q in doc.when}, doc.condition),
                    ({q: values[0] for q, values in doc.when.items()}, None),
                ):
                    items = [
                        d
                        for d in build_checklist(kb, situation, answers).documents
                        if d.id == doc.id and d.title == doc.title and d.services == (ref.service,)
                    ]
                    if items:
                        assert items[0].condition == expected, (situation.id, ref.service, doc.id, answers)
                        checked += 1
    assert checked >= 4
