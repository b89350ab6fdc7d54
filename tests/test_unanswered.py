"""What the Center needs to know: the messages the bot could not answer (and typed answers a step re-asked),
recorded masked and tied to no citizen, grouped by similar text by `python -m bot unanswered`, purged after a
year."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import staff
from bot.app import Bot
from bot.maintenance import UNANSWERED_RETENTION, purge_expired
from dialogs.console.similar import SIMILAR, group, normal
from dialogs.messages import Incoming, Reply
from dialogs.outcome import Kind, Outcome
from dialogs.reading import MAX_TEXT
from dialogs.rooms import Turn
from dialogs.turns import Turns
from storage.clock import ManualClock
from storage.models import UnansweredQuestion
from storage.unanswered import Unanswered
from testkit.people import verify_citizen
from testkit.transcript import EngineChannel

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC


def _at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _asked(*texts: str) -> list[Unanswered]:
    return [
        Unanswered("miss", t, "web", None, _at(1, 8) + dt.timedelta(minutes=i)) for i, t in enumerate(texts)
    ]


async def _rows(bot: Bot) -> list[UnansweredQuestion]:
    async with bot.uow_factory() as uow:
        return list((await uow.session.execute(select(UnansweredQuestion))).scalars().all())


# --- grouping: pure ------------------------------------------------------------------------------------------------


def test_normal_folds_case_punctuation_spacing_and_look_alike_letters() -> None:
    assert normal("  Скільки   коштуЄ паспорт?!! ") == "скільки коштуе паспорт"
    assert normal("сім’я, ґанок, їжа") == "сімя ганок іжа"
    assert normal("🙂 ...") == ""


SAME = [  # what a citizen types for one question: case, punctuation, a typo, another word order
    "скільки коштує паспорт",
    "скільки коштуе паспорт?",
    "Скільки коштує паспорт!!",
    "скількі коштує   паспорт",
    "скилькы коштуе паспорт",
    "паспорт скільки коштує",
    "а скільки коштує паспорт",
]
APART = [  # questions about something else, each its own group
    "де зробити паспорт",
    "паспорт",
    "скільки коштує закордонний паспорт",
    "скільки коштує витяг",
    "коли буде готовий паспорт",
]


def test_one_question_in_many_spellings_is_one_group_and_other_questions_stay_apart() -> None:
    groups = group(_asked(*SAME, *APART, "скільки коштує паспорт"))
    assert [(g.text, g.count) for g in groups] == [
        ("скільки коштує паспорт", len(SAME) + 1),
        *((text, 1) for text in reversed(APART)),  # equally frequent: the latest first
    ]


@pytest.mark.parametrize("threshold", [SIMILAR - 10, SIMILAR + 10])
def test_the_threshold_is_where_the_measured_pairs_say(
    threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """85 sits between the worst pair of one question (91) and the best pair of two (79): 75 merges
    «скільки коштує закордонний паспорт» into «скільки коштує паспорт», 95 splits «скилькы коштуе паспорт» off."""
    monkeypatch.setattr("dialogs.console.similar.SIMILAR", threshold)
    counts = sorted((g.count for g in group(_asked(*SAME, *APART))), reverse=True)
    assert counts != [len(SAME), 1, 1, 1, 1, 1]


def test_a_group_shows_its_most_common_wording_channel_and_context_and_its_last_moment() -> None:
    asked = [
        Unanswered("miss", "Де зробити паспорт?", "telegram", None, _at(1, 8)),
        Unanswered("reask", "де зробити паспорт", "viber", "birth:q2", _at(1, 9)),
        Unanswered("miss", "де зробити паспорт", "web", "card:x", _at(2, 9)),
        Unanswered("miss", "де зробити  паспорт ", "telegram", None, _at(2, 10)),
        Unanswered("miss", "Де зробити паспорт?", "web", "card:x", _at(3, 9)),
    ]
    (g,) = group(asked)
    assert (g.text, g.count, g.last_seen) == ("де зробити паспорт", 5, _at(3, 9))
    assert (g.channel, g.context) == ("web", "card:x")  # telegram 2, web 2: the one seen last
    assert group([]) == []
    (nothing,) = group(_asked("???", "!!!"))  # no words at all: one group, not merged with questions
    assert nothing.count == 2 and nothing.context is None


# --- what the engine records -----------------------------------------------------------------------------------


async def test_a_miss_and_a_reask_are_recorded_masked_bounded_and_tied_to_no_citizen(bot: Bot) -> None:
    citizen = EngineChannel(bot.engine, "u-1", "web")
    await citizen.send_text("ббб ввв 0671234567 ггг 4111 1111 1111 1111")  # means nothing: a miss
    await citizen.press("s:birth")
    await citizen.send_text("ззз ккк")  # typed nonsense at a question: it is asked again
    await citizen.send_text("ъъъ " * MAX_TEXT)  # longer than what is kept, whatever MAX_TEXT is
    await citizen.press("m")  # a button is no question
    rows = await _rows(bot)
    assert [(r.kind, r.channel, r.context) for r in rows] == [
        ("miss", "web", None),
        ("reask", "web", "birth:q1"),
        ("reask", "web", "birth:q1"),
    ]
    assert rows[0].text == "ббб ввв [телефон] ггг [номер картки]"
    assert rows[1].text == "ззз ккк" and len(rows[2].text) == MAX_TEXT
    assert all(r.created_at == bot.uow_factory.clock() for r in rows)
    assert set(UnansweredQuestion.__table__.columns.keys()) == {
        "id", "kind", "text", "channel", "context", "created_at"
    }  # fmt: skip
    await citizen.press(
        "f:yes"
    )  # /forget erases the citizen; the rows name nobody, so they stay as they were
    assert [(r.kind, r.text) for r in await _rows(bot)] == [(r.kind, r.text) for r in rows]


async def test_a_personal_step_is_never_recorded_even_when_its_room_reasks(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone typed at the verify room's number step (a callback needs a verified phone) that the room cannot
    read, and an address at the home visit's step that a room re-asks (here it notes a re-ask, as a room that
    cannot read it does): the engine neither logs nor records either."""
    heard: list[Outcome] = []

    class Heard:
        def understood(self, channel: str, outcome: Outcome) -> None:
            heard.append(outcome)

    bot.engine.observers.append(Heard())
    citizen = EngineChannel(bot.engine, "u-2", "web")
    await citizen.press("q:cb")
    await citizen.send_text("Петренко 067 12 34 56")
    assert heard[-1] == Outcome(Kind.REASK, "verify:phone")
    assert await _rows(bot) == []
    room = next(r for r in bot.engine.rooms if r.name == "booking")
    original = room.text

    async def reasking(turn: Turn, text: str) -> list[Reply] | None:
        turn.note(Kind.REASK, f"booking:{turn.state.step}")
        return await original(turn, text)

    monkeypatch.setattr(room, "text", reasking)
    await verify_citizen(bot.uow_factory, "web", "u-2")
    await citizen.press("q:v:kartka-kryvorizhtsia")
    await citizen.press("q:vy")
    await citizen.send_text("Петренко, Тиха")
    assert heard[-1] == Outcome(Kind.REASK, "booking:visit-address")
    assert await _rows(bot) == []


async def test_a_redelivered_update_is_recorded_once(bot: Bot) -> None:
    turns = Turns(bot.engine, bot.uow_factory)
    message = Incoming("viber", "v-1", text="ббб ввв ггг")
    assert await turns.take(message, key="token-1") is not None
    assert await turns.take(message, key="token-1") is None  # the turn is rolled back whole
    assert [(r.kind, r.text, r.channel) for r in await _rows(bot)] == [("miss", "ббб ввв ггг", "viber")]


async def test_the_record_is_kept_a_year(bot: Bot, clock: ManualClock) -> None:
    async with bot.uow_factory() as uow:
        uow.unanswered.add("miss", "старе питання", "web", None)
    clock.advance(UNANSWERED_RETENTION - dt.timedelta(days=1))
    async with bot.uow_factory() as uow:
        uow.unanswered.add("miss", "нове питання", "web", None)
    await purge_expired(bot.uow_factory, dt.timedelta(days=30))  # the message log's retention does not apply
    assert [r.text for r in await _rows(bot)] == ["старе питання", "нове питання"]
    clock.advance(dt.timedelta(days=2))
    await purge_expired(bot.uow_factory, dt.timedelta(days=30))
    assert [r.text for r in await _rows(bot)] == ["нове питання"]


# --- the staff command -----------------------------------------------------------------------------------------

KNOWN = [  # (moment UTC, kind, text, channel, context); Kyiv is UTC+2 in December
    (_at(30, 21, month=11), "miss", "скільки коштує паспорт", "web", None),  # 23:00 on 30.11 in Kyiv: before
    (_at(30, 22, 30, month=11), "miss", "де зробити паспорт", "telegram", None),  # 00:30 on 01.12: inside
    (_at(1, 8), "miss", "скільки коштує паспорт", "web", None),
    (_at(1, 9), "miss", "скільки коштуе паспорт?", "telegram", None),
    (_at(2, 8), "miss", "Де зробити паспорт?", "telegram", None),
    (_at(2, 12), "miss", "Скільки коштує паспорт!!", "web", "card:drs-passport-id"),
    (_at(3, 10), "miss", "скільки коштує паспорт", "viber", None),
    (_at(3, 15), "miss", "де зробити паспорт", "telegram", None),
    (_at(3, 16), "reask", "шо", "web", "birth:q2"),
    (_at(3, 22, 30), "miss", "скільки коштує паспорт", "web", None),  # 00:30 on 04.12 in Kyiv: after
]
EXPECTED = [
    {"text": "скільки коштує паспорт", "count": 4, "last_seen": "2026-12-03T12:00:00+02:00", "channel": "web",
     "context": "card:drs-passport-id"},
    {"text": "де зробити паспорт", "count": 3, "last_seen": "2026-12-03T17:00:00+02:00", "channel": "telegram",
     "context": None},
    {"text": "шо", "count": 1, "last_seen": "2026-12-03T18:00:00+02:00", "channel": "web", "context": "birth:q2"},
]  # fmt: skip


async def _record_known(bot: Bot, clock: ManualClock) -> None:
    for moment, kind, text, channel, context in KNOWN:
        clock.now = moment
        async with bot.uow_factory() as uow:
            uow.unanswered.add(kind, text, channel, context)
    clock.now = _at(4, 7)


async def _run(bot: Bot, clock: ManualClock, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await staff.unanswered_run(list(argv), bot.settings, clock=clock, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_the_command_groups_a_period_most_frequent_first(bot: Bot, clock: ManualClock) -> None:
    await _record_known(bot, clock)
    code, out, _ = await _run(bot, clock, "--since", "2026-12-01", "--until", "2026-12-03", "--json")
    assert code == 0 and json.loads(out) == EXPECTED
    code, out, _ = await _run(bot, clock, "--since", "2026-12-01", "--json")  # up to today: 04.12 too
    assert [(g["text"], g["count"]) for g in json.loads(out)] == [
        ("скільки коштує паспорт", 5), ("де зробити паспорт", 3), ("шо", 1)
    ]  # fmt: skip
    code, out, _ = await _run(bot, clock, "--since", "2026-12-03", "--until", "2026-12-03")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["count", "last", "seen", "channel", "context", "text"]
    assert lines[1].split() == [
        "1",
        "2026-12-03",
        "18:00",
        "web",
        "birth:q2",
        "шо",
    ]  # equally frequent: latest first
    assert lines[3].split() == ["1", "2026-12-03", "12:00", "viber", "-", "скільки", "коштує", "паспорт"]
    assert lines[-1] == "3 group(s) of 3 message(s), 2026-12-03 – 2026-12-03"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--json"], "--since"),
        (["--since", "01.12.2026"], "YYYY-MM-DD"),
        (["--since", "2026-12-03", "--until", "2026-12-01"], "before --since"),
    ],
)
async def test_a_wrong_argument_is_one_line(bot: Bot, clock: ManualClock, argv: list[str], says: str) -> None:
    code, out, err = await _run(bot, clock, *argv)
    assert (code, out) == (2, "") and says in err and err.count("\n") == 1


def test_python_m_bot_unanswered(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "unanswered", "--since", "2026-12-01", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
