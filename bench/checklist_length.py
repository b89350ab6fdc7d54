"""How long the personal checklists are, on a phone: every path of every scenario and card, and the transcripts.

Run: `.venv/bin/python -m bench.checklist_length`. A phone line is taken as 38 characters and a screen as 22
lines (a 390×844 phone in Telegram or the web chat, default font); a checklist should fit in about two screens.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import textwrap

from bot.app import build
from bot.settings import Settings
from dialogs.cards import packages, with_cards
from dialogs.checklist import build_checklist, worth_asking
from dialogs.messages import plain
from dialogs.render import checklist_text
from dialogs.scenario import UNKNOWN, Scenario, StepKind, load_scenarios, next_step
from knowledge import Knowledge, load_knowledge
from knowledge.schema import LifeSituation
from storage.clock import system_clock
from testkit.transcript import EngineChannel, all_names, load

LINE, SCREEN = 38, 22


def phone_lines(text: str) -> int:
    return sum(max(1, len(textwrap.wrap(line, LINE))) for line in plain(text).split("\n"))


def final_answers(kb: Knowledge, situation: LifeSituation, sc: Scenario) -> list[dict[str, str]]:
    """The answers at the end of every path, walked as the engine walks (questions that change nothing skipped)."""
    out: list[dict[str, str]] = []

    def go(step_id: str | None, answers: dict[str, str]) -> None:
        step = sc.step(step_id) if step_id else None
        if step is None:
            return
        if step.kind == StepKind.CHECKLIST:
            out.append(answers)
        elif step.kind == StepKind.QUESTION and worth_asking(kb, situation, sc, step, answers):
            question = kb.questions[step.question or ""]
            for value in [o.value for o in question.options] + ([UNKNOWN] if question.allow_unknown else []):
                given = {**answers, question.id: value}
                go(next_step(step, given), given)
        else:
            go(next_step(step, answers), answers)

    go(sc.start, {})
    return out


async def transcripts() -> list[tuple[str, int, int]]:
    """The checklists the transcripts end with: (transcript, characters, phone lines)."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        bot = await build(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/b.sqlite3", _env_file=None), clock=system_clock)  # type: ignore[call-arg]
        try:
            for name in all_names():
                citizen = EngineChannel(bot.engine, user=name)
                for turn in load(name):
                    if "say" in turn:
                        seen = await citizen.send_text(turn["say"])
                    elif "payload" in turn:
                        seen = await citizen.press(turn["payload"])
                    else:
                        match = [p for t, p in seen.buttons if turn["press"] in t]
                        if not match:
                            break
                        seen = await citizen.press(match[0])
                    text = "\n".join(seen.texts)
                    if "Ваш перелік" in text:
                        found.append((name, len(plain(text)), phone_lines(text)))
        finally:
            await bot.close()
    return found


def main() -> None:
    kb = load_knowledge()
    everything = with_cards(kb, load_scenarios())
    sizes: list[int] = []
    worst: tuple[int, str] = (0, "")
    for sc_id, situation in packages(kb, everything).items():
        for answers in final_answers(kb, situation, everything[sc_id]):
            n = phone_lines(checklist_text(kb, build_checklist(kb, situation, answers), True))
            sizes.append(n)
            worst = max(worst, (n, sc_id))
    sizes.sort()
    print(
        f"every path: {len(sizes)} checklists; phone lines median {statistics.median(sizes):.0f}, "
        f"p90 {sizes[int(0.9 * (len(sizes) - 1))]}, max {worst[0]} ({worst[1]}); screens of {SCREEN} lines: "
        f"median {statistics.median(sizes) / SCREEN:.1f}"
    )
    print("| transcript | characters | phone lines | screens |\n|---|---|---|---|")
    for name, chars, lines in asyncio.run(transcripts()):
        print(f"| {name} | {chars} | {lines} | {lines / SCREEN:.1f} |")


if __name__ == "__main__":
    main()
