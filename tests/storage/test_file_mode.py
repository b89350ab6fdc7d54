"""The SQLite database holds phones, names and addresses: its file and the -wal and -shm beside it are the bot's
user's only (0600), whatever the umask; a file left readable by others is tightened at start, with one log line."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import upgrade


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def loose_umask() -> Iterator[None]:
    """The common default: new files readable by everybody (0644)."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


async def _open_and_write(database: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
        async with engine.begin() as conn:  # a write: the WAL and its index exist while the engine is open
            await conn.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            await conn.execute(text("INSERT INTO probe VALUES (1)"))
        files = {p.name: _mode(p) for p in database.parent.iterdir()}
        assert {database.name, f"{database.name}-wal", f"{database.name}-shm"} <= set(files)
        assert files == dict.fromkeys(files, 0o600), files
    finally:
        await engine.dispose()


async def test_a_fresh_database_and_its_wal_are_created_0600(tmp_path: Path, loose_umask: None) -> None:
    database = tmp_path / "fresh" / "bot.sqlite3"
    await _open_and_write(database)
    assert _mode(database) == 0o600 and _mode(database.parent) == 0o700


async def test_an_existing_readable_file_is_tightened_once_with_one_log_line(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "old.sqlite3"
    database.touch(mode=0o644)
    wal = tmp_path / "old.sqlite3-wal"
    wal.touch(mode=0o644)
    database.chmod(0o644)
    wal.chmod(0o644)
    with caplog.at_level(logging.INFO, logger="storage.db"):
        make_engine(f"sqlite+aiosqlite:///{database}")
        make_engine(f"sqlite+aiosqlite:///{database}")  # the next start: nothing to say
    lines = [r.getMessage() for r in caplog.records if r.name == "storage.db"]
    assert len(lines) == 1 and "old.sqlite3 0644" in lines[0] and "old.sqlite3-wal 0644" in lines[0], lines
    assert _mode(database) == 0o600 and _mode(wal) == 0o600
    await _open_and_write(database)
