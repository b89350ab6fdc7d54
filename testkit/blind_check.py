"""A tool for the author of a new blind part of the conversation corpus (testkit/corpus.py): it checks a part
without showing how the bot understands typed text, so the author stays blind to it.

  python -m testkit.blind_check FILE.yaml        the schema, ids and facts; and every press made before a
                                                 conversation's first typed turn (setup by buttons only)
  python -m testkit.blind_check --explore "Записатися" "Документи"
                                                 presses buttons from the main menu and prints each reply, its
                                                 buttons and the dialog state (scenario:step, answers)

It never sends a typed text. A press after a typed turn is reported, not run: which buttons it finds depends on
how the typed turn was understood. How blind.yaml was written: docs/BENCHMARKS.md (issue 19, sixth session).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.payloads import Action, pack
from knowledge import Knowledge, load_knowledge
from knowledge.search import build_index
from testkit.conversation import corpus_clock, engine_voice, observe
from testkit.corpus import Conversation, CorpusFile, facts, known_ids
from testkit.people import verify_citizen
from testkit.transcript import seen as transcript_seen


async def with_bot(job: Callable[[Bot, Knowledge], Awaitable[list[str]]]) -> list[str]:
    kb = load_knowledge()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{Path(folder) / 'blind.sqlite3'}")
        bot = await build(settings, kb=kb, index=build_index(kb), clock=corpus_clock())
        try:
            return await job(bot, kb)
        finally:
            await bot.close()


async def press_through(bot: Bot, labels: list[str], show: bool = False) -> list[str]:
    """Press `labels` (or fragments of them) from the main menu as a fresh citizen; what went wrong, if anything
    (`show`: and every reply on the way). The citizen is forgotten after, so a place booked is free again."""
    voice = engine_voice(bot)
    await verify_citizen(bot.uow_factory, voice.name, voice.user)
    seen = transcript_seen(bot.engine.views.main_menu())
    lines = [f"main menu: {[label for label, _ in seen.buttons]}"] if show else []
    try:
        for label in labels:
            match = [payload for text, payload in seen.buttons if label in text]
            if not match:
                return [*lines, f"no button «{label}» among {[text for text, _ in seen.buttons]}"]
            seen = await voice.channel.press(match[0])
            if show:
                state = await observe(bot, voice, None, seen)
                lines += [
                    f"--- «{label}» → {state.scenario}:{state.step} answers {state.answers}",
                    "\n".join(seen.texts)[:1500],
                    f"buttons: {[text for text, _ in seen.buttons]}",
                ]
        return lines
    finally:
        await voice.channel.press(pack(Action.FORGET, "yes"))


def setup_presses(conversation: Conversation) -> tuple[list[str], bool]:
    """The presses before the first typed turn, and whether a press comes after one."""
    first = next((i for i, t in enumerate(conversation.turns) if t.say is not None), len(conversation.turns))
    before = [t.press for t in conversation.turns[:first] if t.press is not None]
    return before, any(t.press is not None for t in conversation.turns[first:])


async def check(path: Path) -> list[str]:
    conversations = CorpusFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).conversations

    async def job(bot: Bot, kb: Knowledge) -> list[str]:
        problems = [f"duplicate id {i}" for i, n in Counter(c.id for c in conversations).items() if n > 1]
        for c in conversations:
            presses, late = setup_presses(c)
            if late:
                problems.append(f"{c.id}: a press after a typed turn cannot be checked blind")
            for turn in c.typed:
                assert turn.expect is not None
                problems += [f"{c.id}: unknown id {name}" for name in known_ids(turn.expect, kb)]
                for ref in [*turn.expect.reply_has, *turn.expect.reply_lacks]:
                    try:
                        facts(ref, kb)
                    except (ValueError, KeyError, StopIteration) as error:
                        problems.append(f"{c.id}: fact {ref}: {error}")
            if presses:
                problems += [f"{c.id}: setup {p}" for p in await press_through(bot, presses)]
        turns = sum(len(c.typed) for c in conversations)
        return [f"{len(conversations)} conversations, {turns} typed turns", *(problems or ["no setup problems"])]

    return await with_bot(job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, help="a corpus part to check")
    parser.add_argument("--explore", nargs="+", metavar="LABEL", help="button labels to press from the menu")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.explore:
        lines = asyncio.run(with_bot(lambda bot, _kb: press_through(bot, args.explore, show=True)))
    elif args.file:
        lines = asyncio.run(check(args.file))
    else:
        parser.error("give a file or --explore")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
