"""The message log keeps each bot line's buttons (the web chat shows a conversation again from them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert, select, text

from bot.app import Bot
from dialogs.messages import Button, Incoming
from storage.db import make_engine, make_sessionmaker
from storage.messages import button_rows
from storage.migrate import upgrade
from storage.models import MessageLog, User
from tests.storage.test_postgres import pg_bot, postgres_url  # noqa: F401  (fixtures: a throwaway server)


async def _lines(bot: Bot, user: str) -> list[MessageLog]:
    async with bot.uow_factory() as uow:
        found = await uow.users.get("web", user)
        assert found is not None
        return await uow.messages.recent(found.id, 100)


async def _walk_and_check(bot: Bot, user: str) -> None:
    replies = await bot.engine.handle(Incoming("web", user, payload="s:birth"))
    lines = await _lines(bot, user)
    assert [line.direction for line in lines] == ["in"] + ["out"] * len(replies)
    assert lines[0].text == "[s:birth]" and lines[0].buttons is None
    for line, reply in zip(lines[1:], replies, strict=True):
        assert line.buttons == (button_rows(reply.buttons) or None)
    assert lines[-1].buttons and lines[-1].buttons[0][0]["payload"].startswith("a:birth:")
    # A citizen line and a bot line without buttons are SQL NULL, not a JSON «null».
    async with make_sessionmaker(bot.db)() as s:
        nulls = (await s.execute(text("SELECT count(*) FROM message_log WHERE buttons IS NULL"))).scalar_one()
    assert nulls >= 1


def test_button_rows_shape() -> None:
    rows = ((Button("Так", payload="a:x:q:yes"), Button("Сайт", url="https://example.org/")),)
    assert button_rows(rows) == [
        [{"text": "Так", "payload": "a:x:q:yes"}, {"text": "Сайт", "url": "https://example.org/"}]
    ]
    assert button_rows(()) == []


async def test_bot_lines_keep_their_buttons_on_sqlite(bot: Bot) -> None:
    await _walk_and_check(bot, "buttons-sqlite")


async def test_bot_lines_keep_their_buttons_on_postgres(pg_bot: Bot) -> None:  # noqa: F811
    await _walk_and_check(pg_bot, "buttons-pg")


async def test_migration_0004_keeps_existing_lines(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/old.sqlite3")
    await upgrade(engine, "0003")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, channel, external_id, language, created_at, "
                "last_seen_at, active, held_by_operator) VALUES (1, 'web', 'old', 'uk', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 0)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO message_log (user_id, direction, text, created_at) "
                "VALUES (1, 'out', 'Вітаю!', '2026-01-01 00:00:00')"
            )
        )
    await upgrade(engine)
    async with make_sessionmaker(engine)() as s:
        line = (await s.execute(select(MessageLog))).scalar_one()
        assert (line.text, line.buttons) == ("Вітаю!", None)
        await s.execute(
            insert(MessageLog).values(
                user_id=1, direction="out", text="Ще", buttons=[[{"text": "Меню", "payload": "m"}]],
                created_at=dt.datetime(2026, 1, 1, 0, 1, tzinfo=dt.UTC),
            )
        )
        await s.commit()
        stored = (await s.execute(select(MessageLog.buttons).where(MessageLog.text == "Ще"))).scalar_one()
        assert stored == [[{"text": "Меню", "payload": "m"}]]
        assert (await s.execute(select(User.external_id))).scalar_one() == "old"
    await engine.dispose()
