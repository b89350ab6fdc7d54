"""The real app with Viber on, against a fake Viber REST API on loopback, served to a test client: what every
Viber test rig starts the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.viber.fake_api import FakeViberApi


def whole_app(bot: Bot) -> web.Application:
    return bot.http


@asynccontextmanager
async def viber_app(
    folder: Path,
    kb: Knowledge,
    index: SearchIndex,
    clock: ManualClock,
    token: str,
    app: Callable[[Bot], web.Application] = whole_app,
) -> AsyncIterator[tuple[Bot, FakeViberApi, TestClient]]:  # type: ignore[type-arg]
    """The bot built on SQLite in `folder` with Viber's `token`, `app(bot)` served; all stopped at the end."""
    api = FakeViberApi()
    api_url = await api.serve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder}/v.sqlite3",
        viber_auth_token=token,
        viber_api_url=api_url,
        viber_send_timeout=1.0,
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    try:
        async with TestClient(TestServer(app(bot), host="127.0.0.1")) as client:
            yield bot, api, client
    finally:
        await bot.close()
        await api.stop()
