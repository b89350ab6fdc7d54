"""The conversation corpus: it is well formed and big enough, its judge judges right, and the engine handles it
as issue 19 asks (≥ 95 % of the typed turns overall, no kind under 90 %; `python -m bench.conversation`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app import Bot
from dialogs.cards import with_cards
from dialogs.outcome import Kind, Outcome
from dialogs.scenario import load_scenarios
from knowledge import Knowledge
from testkit.conversation import TurnResult, differences, engine_voice, run_conversation, run_corpus
from testkit.corpus import (
    HELD_OUT,
    KINDS,
    PARTS,
    Conversation,
    Expect,
    Observed,
    Turn,
    judge,
    known_ids,
    load,
)
from testkit.net import ROOT

MIN_TURNS, MIN_CONVERSATIONS, MIN_BLIND = 300, 80, 0.25
THRESHOLD_OVERALL, THRESHOLD_PER_KIND = 0.95, 0.90  # the goal of issue 19
WRITTEN_BLIND = ("fresh2", HELD_OUT)  # by authors who never read how the bot understands (testkit/blind_check.py)
# the booking room's steps (dialogs/booking/: a new booking, a callback, a home visit, my bookings)
BOOKING_STEPS = {"service", "office", "priority", "day", "time", "confirm"}
BOOKING_STEPS |= {"cb-consent", "cb-topic", "cb-phone", "visit-service", "visit-consent", "visit-address"}
BOOKING_STEPS |= {"visit-phone", "cancel", "cancel-which", "move-which"}


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Conversation]]:
    return {part: load(part) for part in PARTS}


def _typed(conversations: list[Conversation]) -> list[Turn]:
    return [t for c in conversations for t in c.typed]


# --- the corpus is well formed ------------------------------------------------------------------------------


def test_the_corpus_is_big_enough_and_keeps_a_quarter_held_out(corpus: dict[str, list[Conversation]]) -> None:
    every = [c for part in PARTS for c in corpus[part]]
    turns = len(_typed(every))
    assert turns >= MIN_TURNS and len(every) >= MIN_CONVERSATIONS
    assert sum(len(c.turns) >= 2 for c in every) >= MIN_CONVERSATIONS  # multi-turn: typed, or pressed then typed
    # The part never tuned on (issue 19: at least a quarter): blind.yaml. The parts before it are tuning material.
    assert len(_typed(corpus[HELD_OUT])) / turns >= MIN_BLIND
    tuned = [c for part in PARTS if part not in WRITTEN_BLIND for c in corpus[part]]
    assert all(3 <= len(c.typed) <= 6 for c in tuned), [c.id for c in tuned if not 3 <= len(c.typed) <= 6]
    # the blind authors' own shapes: a scene set by presses may end in one typed turn
    assert all(1 <= len(c.typed) <= 6 for part in WRITTEN_BLIND for c in corpus[part])
    ids = Counter(c.id for c in every)
    assert not [i for i, n in ids.items() if n > 1]


def test_every_kind_is_in_both_parts(corpus: dict[str, list[Conversation]]) -> None:
    for part in PARTS:
        kinds = Counter(t.expect.counted_as for t in _typed(corpus[part]) if t.expect)
        assert set(kinds) == set(KINDS), (part, kinds)
        assert min(kinds.values()) >= 0.15 * sum(kinds.values()), (part, kinds)  # each kind weighs
    facets = {t.expect.facet for part in PARTS for t in _typed(corpus[part]) if t.expect and t.expect.facet}
    assert {"price", "term", "docs", "where", "hours", "result", "amount", "online"} <= facets


@pytest.mark.parametrize("part", ["holdout", "fresh", "fresh2", "blind"])
def test_the_held_out_parts_are_written_in_other_words(corpus: dict[str, list[Conversation]], part: str) -> None:
    """Short answers («ні», «дякую», «скільки чекати») recur; a turn of four words or more said in an earlier part
    is rare in a held-out one (authors who never saw each other's parts meet on a common phrase now and then:
    «хочу повернути дівоче прізвище після розлучення» was written twice), never more than 2 % of its turns."""
    earlier = {t.say for p in PARTS[: PARTS.index(part)] for t in _typed(corpus[p])}
    turns = _typed(corpus[part])
    shared = [t.say for t in turns if t.say in earlier and len((t.say or "").split()) >= 4]
    assert len(shared) <= 0.02 * len(turns), shared


def test_the_booking_steps_named_here_are_the_rooms() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "dialogs" / "booking").glob("*.py"))
    assert not [step for step in BOOKING_STEPS if f'"{step}"' not in source]


def test_every_id_the_corpus_names_exists(corpus: dict[str, list[Conversation]], kb: Knowledge) -> None:
    scenarios = with_cards(kb, load_scenarios())
    steps = {f"{sid}:{step.id}" for sid, s in scenarios.items() for step in s.steps}
    steps |= {f"booking:{step}" for step in BOOKING_STEPS}
    unknown = []
    for part in PARTS:
        for conversation in corpus[part]:
            for turn in conversation.typed:
                assert turn.expect is not None
                unknown += [f"{conversation.id}: {ref}" for ref in known_ids(turn.expect, kb)]
                unknown += [f"{conversation.id}: step {s}" for s in turn.expect.steps() if s not in steps]
                after = turn.expect.after
                if after is not None and after.scenario not in (None, "booking"):
                    assert after.scenario in scenarios, (conversation.id, after.scenario)
    assert not unknown


# --- the schema refuses what cannot be judged -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"say": "привіт"},  # a typed turn with no expectation
        {"say": "так", "press": "Так", "expect": {"kind": "answer", "step": "booking:confirm"}},
        {"press": "Записатися", "expect": {"kind": "intent", "intent": "booking"}},
        {"say": "паспорт", "expect": {"kind": "card"}},  # which card?
        {"say": "скарга", "expect": {"kind": "intent", "intent": "complain"}},  # not an intent
        {"say": "а де це", "expect": {"kind": "follow-up", "facet": "where"}},  # about what?
        {"say": "так", "expect": {"kind": "answer"}},  # where, or what changes?
        {"say": "так", "expect": {"kind": "answer", "step": "x:y", "colour": "red"}},
    ],
)
def test_a_turn_that_cannot_be_judged_is_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Turn.model_validate(raw)


# --- the judge ---------------------------------------------------------------------------------------------


def _expect(**fields: object) -> Expect:
    return Expect.model_validate(fields)


def test_the_judge_takes_a_facet_named_or_in_focus_alike(kb: Knowledge) -> None:
    price = _expect(kind="follow-up", facet="price", about="service:drs-passport-id-exchange")
    named = Observed(Outcome(Kind.FACET, "price:drs-passport-id-exchange"))
    in_focus = Observed(Outcome(Kind.FOLLOW_UP, "price:service:drs-passport-id-exchange"))
    assert judge(price, named, kb) is None and judge(price, in_focus, kb) is None
    assert judge(price, Observed(Outcome(Kind.FOLLOW_UP, "term:service:drs-passport-id-exchange")), kb)
    assert judge(price, Observed(Outcome(Kind.FOLLOW_UP, "price:service:drs-passport-id-lost")), kb)
    assert judge(price, Observed(Outcome(Kind.CARD, "drs-passport-id-exchange")), kb)
    assert judge(price, Observed(None), kb) == "nothing was noted"
    any_booking = _expect(kind="follow-up", facet="term", about=["booking"])
    assert judge(any_booking, Observed(Outcome(Kind.FOLLOW_UP, "term:booking:K7Q2")), kb) is None
    assert judge(any_booking, Observed(Outcome(Kind.FOLLOW_UP, "term:reminder:12")), kb)


def test_the_judge_takes_the_hours_answered_about_the_office_in_question_as_the_hours_intent(kb: Knowledge) -> None:
    hours = _expect(kind="intent", intent="hours")
    assert judge(hours, Observed(Outcome(Kind.INTENT, "hours")), kb) is None
    assert judge(hours, Observed(Outcome(Kind.FOLLOW_UP, "hours:booking:kartka-kryvorizhtsia")), kb) is None
    assert judge(hours, Observed(Outcome(Kind.FOLLOW_UP, "price:booking:kartka-kryvorizhtsia")), kb)
    assert judge(_expect(kind="intent", intent="contacts"), Observed(Outcome(Kind.FOLLOW_UP, "where:")), kb) is None
    assert judge(_expect(kind="intent", intent="operator"), Observed(Outcome(Kind.FOLLOW_UP, "hours:")), kb)


def test_the_judge_checks_the_state_after_the_turn(kb: Knowledge) -> None:
    time = _expect(
        kind="answer", step="booking:time", after={"step": "confirm", "answers": {"start": "2026121010*"}}
    )
    taken = Outcome(Kind.ANSWER, "booking:time")
    right = Observed(taken, "booking", "confirm", {"start": "202612101030", "svc": "x"})
    assert judge(time, right, kb) is None
    assert judge(time, Observed(taken, "booking", "confirm", {"start": "202612101430"}), kb)
    assert judge(time, Observed(taken, "booking", "time", {"start": "202612101030"}), kb)
    assert judge(time, Observed(Outcome(Kind.ANSWER, "booking:day"), "booking", "confirm", right.answers), kb)
    assert judge(time, Observed(Outcome(Kind.REASK, "booking:time"), "booking", "confirm", right.answers), kb)
    out = _expect(kind="answer", after={"scenario": None, "bookings": 0})
    assert judge(out, Observed(Outcome(Kind.ANSWER, "booking:x"), None, None, {}, None, 0), kb) is None
    assert judge(out, Observed(Outcome(Kind.ANSWER, "booking:x"), None, None, {}, None, 1), kb)
    assert judge(out, Observed(Outcome(Kind.ANSWER, "booking:x"), "booking", "x", {}, None, 0), kb)


def test_the_judge_reads_facts_from_the_knowledge(kb: Knowledge) -> None:
    fee = kb.services["drs-passport-id-exchange"].fee
    assert fee is not None and fee.amount_uah
    price = _expect(kind="facet", facet="price", service="drs-passport-id-exchange",
                    reply_has=["fee:drs-passport-id-exchange"], max_chars=300)  # fmt: skip
    noted = Outcome(Kind.FACET, "price:drs-passport-id-exchange")
    spaced = f"{int(fee.amount_uah):,}".replace(",", " ")  # «1 234» reads as 1234
    assert judge(price, Observed(noted, reply=f"💳 **{spaced} грн**"), kb) is None
    assert judge(price, Observed(noted, reply="💳 Вартість уточніть у Центрі"), kb)
    assert judge(price, Observed(noted, reply=f"{spaced} грн " + "дуже довго " * 40), kb)
    lacks = _expect(kind="answer", step="birth:q4", reply_lacks=["doc:birth:power-of-attorney"])
    listed = next(d.title for d in kb.situations["birth"].documents if d.id == "power-of-attorney")
    assert judge(lacks, Observed(Outcome(Kind.ANSWER, "birth:q4"), reply="• Паспорт"), kb) is None
    assert judge(lacks, Observed(Outcome(Kind.ANSWER, "birth:q4"), reply=f"• {listed}"), kb)
    assert known_ids(_expect(kind="intent", intent="operator", reply_has=["fee:no-such-service"]), kb)


def test_the_judge_of_a_search(kb: Knowledge) -> None:
    card = _expect(kind="card", service="drs-name-change", situation="name-change")
    assert judge(card, Observed(Outcome(Kind.CARD, "drs-name-change")), kb) is None
    assert judge(card, Observed(Outcome(Kind.SITUATION, "name-change")), kb) is None
    assert judge(card, Observed(Outcome(Kind.CARD, "drs-passport-id-exchange")), kb)
    nowhere = _expect(kind="out-of-scope")
    assert judge(nowhere, Observed(Outcome(Kind.MISS)), kb) is None
    assert judge(nowhere, Observed(Outcome(Kind.CARD, "kartka-kryvorizhtsia"), "k-kartka-kryvorizhtsia"), kb)
    assert judge(nowhere, Observed(Outcome(Kind.SEARCH), "ya-veteran", "who"), kb)


TINY = Conversation.model_validate(
    {
        "id": "tiny",
        "who": "a fixture",
        "turns": [
            {"say": "привіт", "expect": {"kind": "intent", "intent": "greeting"}},
            {"press": "Записатися"},
            {"press": "Документи і РАЦС"},
            {"press": "Паспорт після зміни прізвища"},
            {"say": "привіт", "expect": {"kind": "intent", "intent": "operator"}},  # planted: wrong
            {
                "say": "меню",
                "expect": {"kind": "answer", "after": {"scenario": None}},
            },  # planted: nothing noted
        ],
    }
)


async def test_the_harness_judges_a_conversation_on_the_engine(bot: Bot, kb: Knowledge) -> None:
    results = await run_conversation(bot, TINY, engine_voice(bot), kb, "fixture")
    assert [r.index for r in results] == [0, 4, 5]
    first, planted, menu = results
    assert first.ok and first.kind == "intent" and first.seen.outcome == Outcome(Kind.INTENT, "greeting")
    assert not planted.ok and planted.problem == "not that intent"
    assert planted.seen.scenario == "booking" and planted.seen.step == "priority"  # the presses set the scene
    assert planted.seen.answers["svc"] == "drs-passport-id-exchange"
    assert not menu.ok and menu.seen.scenario is None
    assert all(r.seen.reply and r.seconds > 0 for r in results)


async def test_a_press_with_no_such_button_fails_the_rest(bot: Bot, kb: Knowledge) -> None:
    broken = TINY.model_copy(update={"turns": [TINY.turns[1], Turn(press="Немає такої"), *TINY.turns[4:]]})
    results = await run_conversation(bot, broken, engine_voice(bot), kb)
    assert len(results) == 2 and all(
        (r.problem or "").startswith("setup: no button «Немає такої»") for r in results
    )


# --- the engine on the corpus --------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["fresh", "fresh2", "blind"])
async def test_every_turn_of_a_held_out_part_gets_an_answer(
    bot: Bot, kb: Knowledge, corpus: dict[str, list[Conversation]], part: str
) -> None:
    """Whatever it made of them, the bot answers every typed turn with words, never silence or a traceback."""
    report = await run_corpus(bot, {part: corpus[part]}, kb)
    assert len(report.results) == len(_typed(corpus[part]))
    silent = [f"{r.conversation} #{r.index}" for r in report.results if not r.seen.reply.strip()]
    assert not silent


@pytest.mark.xfail(
    strict=False,
    reason="issue 19: the goal the product work must reach; the lead switches this on after merging it",
)
async def test_the_engine_handles_the_corpus_as_issue_19_asks(
    bot: Bot, kb: Knowledge, corpus: dict[str, list[Conversation]]
) -> None:
    report = await run_corpus(bot, corpus, kb)
    assert report.meets(THRESHOLD_OVERALL, THRESHOLD_PER_KIND), "\n".join(report.table())


def test_the_corpus_files_are_its_parts() -> None:
    folder = Path(__file__).parent
    assert sorted(p.stem for p in folder.glob("*.yaml")) == sorted(PARTS)


def test_a_channel_that_changes_a_meaning_is_told_apart() -> None:
    def result(outcome: Outcome | None, reply: str = "Так") -> TurnResult:
        return TurnResult("", "c", 0, "так", "typed answer", None, Observed(outcome, reply=reply), 0.001)

    answered = Outcome(Kind.ANSWER, "booking:confirm")
    assert differences([result(answered)], [result(answered)]) == []
    assert differences([result(answered)], [result(Outcome(Kind.MISS))])
    assert differences([result(answered)], [result(answered, reply=" ")])  # silence
