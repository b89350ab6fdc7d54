"""The telegram-test-api emulator (node, emulator.js beside this file) on a free loopback port, and the adapter
(adapter.py) in front of it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from testkit.net import ROOT, free_port
from testkit.telegram.adapter import EmulatorAdapter

EMULATOR_JS = ROOT / "testkit" / "telegram" / "emulator.js"


def _command(node: str, port: int) -> list[str]:
    return [node, str(EMULATOR_JS), str(port)]


@contextmanager
def emulator() -> Iterator[str]:
    """The emulator as a child process, for a synchronous caller (the tests' session fixture): its URL."""
    node = shutil.which("node")
    assert node, "node is required for the Telegram end-to-end tests"
    assert (ROOT / "node_modules" / "telegram-test-api").is_dir(), "run `npm ci` (./scripts/test.sh does it)"
    port = free_port()
    proc = subprocess.Popen(
        _command(node, port),
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("ready"), f"emulator did not start: {line}"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for pipe in (proc.stdin, proc.stdout):
            if pipe:
                pipe.close()


async def start_emulator() -> tuple[asyncio.subprocess.Process, str]:
    """The emulator as an asyncio child process (the benchmarks'): the process and its URL; the caller stops it."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *_command("node", port), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    assert (await proc.stdout.readline()).startswith(b"ready")
    return proc, f"http://127.0.0.1:{port}"


async def start_adapter(emulator_url: str) -> tuple[EmulatorAdapter, web.AppRunner, str]:
    """The adapter in front of the emulator on a free loopback port: the adapter, its runner, its URL."""
    adapter = EmulatorAdapter(emulator_url)
    runner = web.AppRunner(adapter.app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return adapter, runner, f"http://127.0.0.1:{port}"
