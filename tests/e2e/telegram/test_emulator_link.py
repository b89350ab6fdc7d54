"""The test kit's link to the emulator: a keep-alive connection is reused only while node still keeps it open.

node's http server (the emulator's) closes a keep-alive connection idle for `keepAliveTimeout`; aiohttp keeps one
for 15 s by default, so a request sent on a connection node is just closing failed with «Server disconnected»
(the kill test's processes logged it as a traceback). The kit's sessions keep a connection for less."""

from __future__ import annotations

import shutil
import subprocess

from testkit.telegram.adapter_base import EMULATOR_KEEPALIVE_S, emulator_session


def _node_keepalive_ms() -> int:
    node = shutil.which("node")
    assert node, "node is required for the Telegram end-to-end tests"
    script = "process.stdout.write(String(require('http').createServer().keepAliveTimeout))"
    return int(subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout)


def test_the_kit_drops_an_idle_connection_before_node_does() -> None:
    assert _node_keepalive_ms() > EMULATOR_KEEPALIVE_S * 1000


async def test_every_emulator_session_uses_the_short_keepalive() -> None:
    async with emulator_session() as http:
        connector = http.connector
        assert connector is not None
        assert connector._keepalive_timeout == EMULATOR_KEEPALIVE_S  # aiohttp's own field, pinned in pyproject
