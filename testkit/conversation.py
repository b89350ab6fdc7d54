"""The conversation corpus run on the real object graph: each conversation a fresh citizen, each typed turn judged
(testkit/corpus.py) from what the engine noted (an observer on `bot.engine.observers`), the dialog state after the
turn (read through a unit of work) and the reply; the shares by kind and part, and the latency of a turn.

The same conversations run on any channel a transcript runs on (testkit/transcript.py `Channel`): the engine
itself (`EngineChannel`), the web chat's JSON API (`WebChannel`), Viber's signed webhooks
(testkit/viber/citizen.py) and Telegram's emulator (testkit/telegram/citizen.py); a `Voice` says which channel
and which citizen the engine sees, so the state can be read back.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp.test_utils import TestClient

from bot.app import Bot
from dialogs.outcome import Outcome
from dialogs.payloads import Action, pack
from knowledge.loader import Knowledge
from storage.clock import ManualClock
from testkit.corpus import KINDS, PARTS, Conversation, Observed, judge
from testkit.people import verify_citizen
from testkit.transcript import Channel, EngineChannel, Seen
from testkit.transcript import seen as transcript_seen

# Monday 7 December 2026, 09:00 in Kyiv: a working day; «завтра» is Tuesday the 8th, «в четвер» the 10th.
CORPUS_NOW = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)


def corpus_clock() -> ManualClock:
    return ManualClock(CORPUS_NOW)


class Recorder:
    """An outcome observer: what the engine made of the last message (one conversation runs at a time)."""

    def __init__(self) -> None:
        self.last: Outcome | None = None

    def understood(self, channel: str, outcome: Outcome) -> None:
        self.last = outcome


@dataclass
class Voice:
    """A citizen on a channel: how they type and press, and who the engine sees (its channel and user id)."""

    channel: Channel
    name: str
    user: str


class WebChannel:
    """A citizen on the web chat: `POST /api/chat` with their session."""

    def __init__(self, client: TestClient, session: str) -> None:  # type: ignore[type-arg]
        self.client, self.session = client, session

    async def _post(self, body: dict[str, str]) -> Seen:
        resp = await self.client.post("/api/chat", json={"session": self.session, **body})
        assert resp.status == 200, await resp.text()
        replies = (await resp.json())["replies"]
        return Seen(
            [r["text"] for r in replies],
            [(b["text"], b.get("payload", "")) for r in replies for row in r["buttons"] for b in row],
        )

    async def send_text(self, text: str) -> Seen:
        return await self._post({"text": text})

    async def press(self, payload: str) -> Seen:
        return await self._post({"payload": payload})


_citizens = itertools.count(1)


def engine_voice(bot: Bot) -> Voice:
    """A fresh citizen talking to the engine directly."""
    user = f"corpus-{next(_citizens)}"
    return Voice(EngineChannel(bot.engine, user=user, channel="test"), "test", user)


def web_voice(client: TestClient) -> Voice:  # type: ignore[type-arg]
    session = f"corpus-web-{next(_citizens)}"
    return Voice(WebChannel(client, session), "web", session)


@dataclass
class TurnResult:
    part: str
    conversation: str
    index: int  # of the turn in the conversation, from 0
    say: str
    kind: str  # what it counts as (testkit.corpus.KINDS)
    problem: str | None  # None: handled as expected
    seen: Observed
    seconds: float

    @property
    def ok(self) -> bool:
        return self.problem is None


async def observe(bot: Bot, voice: Voice, outcome: Outcome | None, seen: Seen) -> Observed:
    """The turn as seen from outside: the outcome noted, the state and bookings now, the reply."""
    reply = "\n".join(seen.texts)
    async with bot.uow_factory() as uow:
        user = await uow.users.get(voice.name, voice.user)
        if user is None:  # forgotten (or never seen)
            return Observed(outcome, reply=reply)
        state = await uow.states.get(user.id)
        bookings = len(await uow.bookings.active_for(user.id))
        return Observed(
            outcome, state.scenario, state.step, dict(state.answers), state.focus, bookings, reply
        )


async def run_conversation(
    bot: Bot, conversation: Conversation, voice: Voice, kb: Knowledge, part: str = ""
) -> list[TurnResult]:
    """Play every turn of one conversation as one citizen; judge each typed turn; then forget the citizen."""
    recorder = Recorder()
    bot.engine.observers.append(recorder)
    results: list[TurnResult] = []
    seen = transcript_seen(bot.engine.views.main_menu())  # a fresh citizen's first press: the main menu
    broken: str | None = None  # a setup press that found no button: the rest cannot be judged
    # The corpus is about understanding, not verifying: its citizens' phones are verified beforehand, as a
    # returning citizen's are (the verify room has tests of its own).
    await verify_citizen(bot.uow_factory, voice.name, voice.user)
    try:
        for i, turn in enumerate(conversation.turns):
            if turn.press is not None:
                match = [p for label, p in seen.buttons if turn.press in label]
                if broken is None and not match:
                    broken = f"setup: no button «{turn.press}» among {[label for label, _ in seen.buttons]}"
                if broken is None:
                    seen = await voice.channel.press(match[0])
                continue
            assert turn.say is not None and turn.expect is not None
            expect = turn.expect
            if broken is not None:
                results.append(
                    TurnResult(
                        part, conversation.id, i, turn.say, expect.counted_as, broken, Observed(None), 0.0
                    )
                )
                continue
            recorder.last = None
            started = time.perf_counter()
            seen = await voice.channel.send_text(turn.say)
            seconds = time.perf_counter() - started
            observed = await observe(bot, voice, recorder.last, seen)
            problem = judge(expect, observed, kb)
            results.append(
                TurnResult(part, conversation.id, i, turn.say, expect.counted_as, problem, observed, seconds)
            )
        # The citizen leaves as /forget leaves: their bookings are cancelled, so the places they took are free for
        # the next conversation (the corpus runs on one database, at one moment).
        await voice.channel.press(pack(Action.FORGET, "yes"))
    finally:
        bot.engine.observers.remove(recorder)
    return results


# --- the figures ---------------------------------------------------------------------------------------------


@dataclass
class Score:
    ok: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.ok / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.share:6.1%} ({self.ok}/{self.total})"


@dataclass
class Report:
    results: list[TurnResult] = field(default_factory=list)

    def score(self, part: str | None = None, kind: str | None = None) -> Score:
        chosen = [
            r for r in self.results if (part is None or r.part == part) and (kind is None or r.kind == kind)
        ]
        return Score(sum(r.ok for r in chosen), len(chosen))

    def by_kind(self, part: str | None = None) -> dict[str, Score]:
        return {kind: self.score(part, kind) for kind in KINDS}

    def parts(self) -> list[str]:
        order = {part: i for i, part in enumerate(PARTS)}  # tuning first, then the held-out parts
        return sorted({r.part for r in self.results}, key=lambda p: (order.get(p, len(order)), p))

    def latency_ms(self) -> dict[str, float]:
        """p50, p95, p99 and the maximum of a typed turn, in milliseconds."""
        times = sorted(r.seconds * 1000 for r in self.results if r.seconds > 0)
        if len(times) < 2:
            return {}
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": times[-1]}

    def table(self) -> list[str]:
        """A markdown table: one row per kind and overall, one column per part and both together."""
        parts = self.parts()
        lines = [
            "| kind | " + " | ".join(parts) + " | all |",
            "|---|" + "---|" * (len(parts) + 1),
        ]
        for kind in (*KINDS, None):
            cells = [str(self.score(p, kind)) for p in [*parts, None]]
            lines.append(f"| {kind or '**overall**'} | " + " | ".join(cells) + " |")
        return lines

    def failures(self) -> list[str]:
        lines = []
        for r in self.results:
            if not r.ok:
                lines.append(f"- [{r.part} {r.conversation} #{r.index} {r.kind}] «{r.say}»: {r.problem}")
                lines.append(f"    seen: {r.seen.describe()}")
        return lines

    def meets(self, overall: float, per_kind: float) -> bool:
        return self.score().share >= overall and all(s.share >= per_kind for s in self.by_kind().values())

    def by_file(self) -> dict[str, dict[str, Score]]:
        return {part: self.by_kind(part) for part in self.parts()}


def outcome_kinds(results: list[TurnResult]) -> dict[str, int]:
    """How often each outcome kind was noted (what the engine made of the corpus)."""
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        counts[r.seen.outcome.kind.value if r.seen.outcome else "none"] += 1
    return dict(counts)


async def run_corpus(
    bot: Bot,
    parts: dict[str, list[Conversation]],
    kb: Knowledge,
    voice: Callable[[Bot], Voice] = engine_voice,
) -> Report:
    """Every conversation of every part, each as a fresh citizen."""
    report = Report()
    for part, conversations in parts.items():
        for conversation in conversations:
            report.results += await run_conversation(bot, conversation, voice(bot), kb, part)
    return report


def differences(on_engine: list[TurnResult], on_channel: list[TurnResult]) -> list[str]:
    """Where a channel made something else of the same conversation than the engine did: the outcome noted, the
    place in the dialog, the verdict (empty: the channel changed nothing of what the messages meant)."""
    found = []
    for a, b in zip(on_engine, on_channel, strict=True):
        left = (a.seen.outcome, a.seen.scenario, a.seen.step, a.ok)
        right = (b.seen.outcome, b.seen.scenario, b.seen.step, b.ok)
        if left != right or not b.seen.reply.strip():
            found.append(f"{a.conversation} #{a.index} «{a.say}»: engine {left}, channel {right}")
    return found


def sample(conversations: list[Conversation], size: int, *, presses: bool = True) -> list[Conversation]:
    """`size` conversations spread evenly over the list (without pressed turns if `presses` is False)."""
    chosen = [c for c in conversations if presses or all(t.press is None for t in c.turns)]
    step = max(1, len(chosen) // size)
    return chosen[::step][:size]
