"""The real bot (python -m bot's object graph, long polling) against the telegram-test-api emulator on loopback."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from tests.e2e.telegram.adapter import EmulatorAdapter
from tests.e2e.telegram.citizen import TelegramCitizen
from tests.e2e.telegram.operator import TelegramOperator

ROOT = Path(__file__).resolve().parents[3]
_tokens = itertools.count(100001)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """One emulator process for the session (each test uses its own bot token, so chats never mix)."""
    node = shutil.which("node")
    assert node, "node is required for the Telegram end-to-end tests"
    assert (ROOT / "node_modules" / "telegram-test-api").is_dir(), "run `npm ci` (./scripts/test.sh does it)"
    port = free_port()
    proc = subprocess.Popen(
        [node, str(ROOT / "tests/e2e/telegram/emulator.js"), str(port)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("ready"), f"emulator did not start: {line}"
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    for pipe in (proc.stdin, proc.stdout):
        if pipe:
            pipe.close()


@dataclass
class TelegramRig:
    bot: Bot
    adapter: EmulatorAdapter
    emulator_url: str
    token: str

    def citizen(self) -> TelegramCitizen:
        return TelegramCitizen(self.emulator_url, self.token, keyboards=self.adapter.keyboards)


async def start_adapter(emulator_url: str) -> tuple[EmulatorAdapter, web.AppRunner, str]:
    adapter = EmulatorAdapter(emulator_url)
    runner = web.AppRunner(adapter.app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return adapter, runner, f"http://127.0.0.1:{port}"


@pytest.fixture()
async def rig(
    emulator_url: str, tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[TelegramRig]:
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    token = f"{next(_tokens)}:TEST-TOKEN"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/tg.sqlite3",
        telegram_bot_token=token,
        telegram_api_server=adapter_url,
        telegram_per_chat_rate=50,  # pacing has its own unit tests; transcripts need not wait for it
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    assert bot.telegram is not None
    await bot.telegram.set_commands()
    polling = asyncio.create_task(bot.telegram.run_polling())
    try:
        yield TelegramRig(bot, adapter, emulator_url, token)
    finally:
        try:
            await bot.telegram.dispatcher.stop_polling()
        except RuntimeError:  # the test ended before polling started
            polling.cancel()
        await asyncio.wait_for(asyncio.gather(polling, return_exceptions=True), timeout=10)
        await bot.close()
        await adapter.close()
        await runner.cleanup()


@pytest.fixture()
async def citizen(rig: TelegramRig) -> AsyncIterator[TelegramCitizen]:
    c = rig.citizen()
    yield c
    await c.close()


OPERATOR_CHAT_ID = -1001234567890  # the operators' supergroup with forum topics


@pytest.fixture()
async def make_operator(rig: TelegramRig) -> AsyncIterator[Callable[..., TelegramOperator]]:
    """Operators in the group of `rig`'s bot: `make_operator(user_id=…, name=…)`; closed at the end."""
    made: list[TelegramOperator] = []

    def make(user_id: int = 501, name: str = "Оксана", chat_id: int = OPERATOR_CHAT_ID) -> TelegramOperator:
        made.append(TelegramOperator(rig.emulator_url, rig.token, chat_id, user_id, name, rig.adapter))
        return made[-1]

    yield make
    for operator in made:
        await operator.close()
