"""/forget leaves no trace in the SQLite files: not in the database, not in the WAL, not among delivery keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select
from sqlalchemy import text as sql

from bot.app import Bot
from dialogs.messages import Incoming
from storage.db import make_sessionmaker
from storage.models import ProcessedUpdate

WORDS = "прописка Zyxwvutsrq-Квітень-4417"  # what the citizen typed: unique in the files
CITIZEN = "viber-Qpwoeiruty-id=="  # their Viber id


def _files(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bot.sqlite3")}


def _traces(tmp_path: Path) -> list[str]:
    found = []
    for name, data in _files(tmp_path).items():
        for secret in (WORDS, "Zyxwvutsrq", CITIZEN, "Qpwoeiruty"):
            if secret.encode() in data:
                found.append(f"{secret} in {name}")
    return found


async def _talk(bot: Bot) -> None:
    for text in ("/start", WORDS, WORDS + " ще раз"):
        await bot.engine.handle(Incoming("viber", CITIZEN, text=text))
    async with bot.uow_factory() as uow:  # a key as a Viber subscribe without a token was stored before
        uow.updates.mark("viber", f"subscribed:{CITIZEN}:1700000000000")
        uow.updates.mark("viber", f"started:{CITIZEN}:1700000000001")
        uow.updates.mark("viber", "5123456789012345678")  # an ordinary message_token: kept
    await bot.uow_factory.write_log()


async def test_forget_leaves_nothing_in_the_database_or_the_wal(bot: Bot, tmp_path: Path) -> None:
    await _talk(bot)
    # Part of it reached the database file by a checkpoint (as every 256 commits), part is still in the WAL only.
    with sqlite3.connect(tmp_path / "bot.sqlite3") as other:
        other.execute("PRAGMA wal_checkpoint(PASSIVE)")
    await bot.engine.handle(Incoming("viber", CITIZEN, text=WORDS + " втретє"))
    await bot.uow_factory.write_log()
    assert _traces(tmp_path)  # the test can see them

    await bot.engine.handle(Incoming("viber", CITIZEN, payload="f:yes"))

    assert _traces(tmp_path) == []
    async with make_sessionmaker(bot.db)() as s:
        keys = list((await s.execute(select(ProcessedUpdate.key))).scalars())
    assert keys == ["5123456789012345678"]
    assert (tmp_path / "bot.sqlite3-wal").stat().st_size == 0  # truncated, not just reset


async def test_another_citizens_data_stays(bot: Bot, tmp_path: Path) -> None:
    await bot.engine.handle(Incoming("web", "stays", text="прописка Stayingword-8812"))
    await _talk(bot)
    await bot.engine.handle(Incoming("viber", CITIZEN, payload="f:yes"))
    await bot.uow_factory.write_log()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as other:
        logged = [row[0] for row in other.execute("SELECT text FROM message_log")]
    assert "прописка Stayingword-8812" in logged and not any("Zyxwvutsrq" in line for line in logged)


async def test_the_bots_connections_delete_securely(bot: Bot) -> None:
    """Not left to how the SQLite library was compiled (Debian's has it on by default; others do not)."""
    async with bot.uow_factory() as uow:
        found = await uow.session.scalar(sql("PRAGMA secure_delete"))
        assert found == 1
