"""The HTTP server under idle and slow connections, with real sockets on loopback: `python -m bot` keeps answering
when a thousand clients send half a request, and its log stays short."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import os
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import Bot
from handlers.web import security
from handlers.web.security import ConnectionGuard, RateLimit, quiet_floods
from testkit.net import free_port

HALF = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # the headers never end
SLOW_CLIENTS = 1100
FD_SOFT, FD_HARD = (
    512,
    1024,
)  # the bot raises the soft limit to the hard one; 1,100 clients are still too many


def _request(port: int, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        if body is None:
            conn.request(method, path)
        else:
            conn.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - started
    finally:
        conn.close()


def _limit_files() -> None:  # in the bot's process, before it starts
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_SOFT, FD_HARD))


@pytest.fixture()
def room_for_clients() -> Iterator[None]:
    """This test process holds 1,100 sockets itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW_CLIENTS + 200
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_thousand_slow_clients_do_not_stop_the_bot(tmp_path: Path, room_for_clients: None) -> None:
    port = free_port()
    env = {**os.environ, "HTTP_PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/h.sqlite3"}
    for name in ("TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN", "WEB_MAX_CONNECTIONS"):
        env.pop(name, None)
    log_path = tmp_path / "bot.log"
    clients: list[socket.socket] = []
    with log_path.open("w") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, preexec_fn=_limit_files)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _request(port, "GET", "/healthz")[0] == 200
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
        assert re.search(rf"Max open files\s+{FD_HARD}\s+{FD_HARD}", limits), (
            limits
        )  # raised to the hard limit
        lines_before = len(log_path.read_text().splitlines())

        started = time.monotonic()
        for _ in range(SLOW_CLIENTS):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(HALF)
            clients.append(client)
        opened = time.monotonic() - started

        slowest = 0.0
        for i in range(3):
            status, took = _request(port, "GET", "/healthz")
            assert status == 200
            slowest = max(slowest, took)
            status, took = _request(port, "POST", "/api/chat", {"session": f"w-slow-{i}", "text": "паспорт"})
            assert status == 200
            slowest = max(slowest, took)
        assert slowest < 1.5, slowest

        closed = 0
        for client in clients:
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):  # still open
                closed += client.recv(1) == b""
        # The server closed the ones idle longest so as to stay under its descriptor limit.
        assert SLOW_CLIENTS - (FD_HARD - security.FD_RESERVE) <= closed < SLOW_CLIENTS, closed
        output = log_path.read_text()
        new_lines = output.splitlines()[lines_before:]
        assert len(new_lines) <= 2, new_lines  # one line says connections were closed; no line per client
        limit = FD_HARD - security.FD_RESERVE
        assert any(f"connections closed to stay under {limit} open" in line for line in new_lines), new_lines
        assert "Traceback" not in output and "Too many open files" not in output
        print(f"\n{SLOW_CLIENTS} half requests opened in {opened:.2f} s; slowest answer {slowest * 1000:.0f} ms; "
              f"{closed} closed by the server; {len(new_lines)} log lines")  # fmt: skip
    finally:
        for client in clients:
            client.close()
        proc.terminate()
        proc.wait(timeout=20)


# --- the pieces, in one process ---------------------------------------------------------------------------------------


async def _serve(
    app: web.Application, limit: int, **runner_options: float
) -> tuple[web.AppRunner, asyncio.Server, int]:
    runner = web.AppRunner(app, access_log=None, **runner_options)  # type: ignore[arg-type]
    await runner.setup()
    assert runner.server is not None
    server = await asyncio.get_running_loop().create_server(
        ConnectionGuard(runner.server, limit), "127.0.0.1", 0
    )
    return runner, server, server.sockets[0].getsockname()[1]


async def _closed(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), within) == b""
    except (TimeoutError, ConnectionError):
        return False


async def test_the_idle_longest_go_first_and_a_request_in_progress_stays(bot: Bot) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        started.set()
        await release.wait()
        return web.Response(text="done")

    bot.http.router.add_get("/slow", slow)
    runner, server, port = await _serve(bot.http, limit=20)
    try:
        busy_r, busy_w = await asyncio.open_connection("127.0.0.1", port)  # the oldest, but inside a request
        busy_w.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await started.wait()
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(25)]
        for _, writer in idle:
            writer.write(HALF)
        await asyncio.sleep(0.1)
        closed = await asyncio.gather(*(_closed(reader, 0.2) for reader, _ in idle))
        assert closed[:6] == [True] * 6 and not any(closed[6:]), (
            closed
        )  # 26 opened, 20 allowed: the first six
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(), 2)).startswith(b"HTTP/1.1 200")
        release.set()
        assert (await asyncio.wait_for(busy_r.read(4000), 2)).endswith(b"done")
        for _, w in [*idle, (busy_r, busy_w), (reader, writer)]:
            w.close()
    finally:
        server.close()
        await runner.cleanup()


async def test_when_every_connection_is_inside_a_request_the_longest_one_goes(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(security, "BUSY_GRACE", 0.0)  # a body sent a byte at a time for a long while
    entered = asyncio.Queue[None]()
    release = asyncio.Event()

    async def stuck(_: web.Request) -> web.Response:
        entered.put_nowait(None)
        await release.wait()
        return web.Response(text="late")

    bot.http.router.add_get("/stuck", stuck)
    runner, server, port = await _serve(bot.http, limit=2)
    try:
        first = await asyncio.open_connection("127.0.0.1", port)
        first[1].write(b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        await entered.get()
        second = await asyncio.open_connection("127.0.0.1", port)
        second[1].write(b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        await entered.get()
        third = await asyncio.open_connection("127.0.0.1", port)
        assert await _closed(first[0], 1) and not await _closed(second[0], 0.2)
        for _, writer in (first, second, third):
            writer.close()
    finally:
        release.set()
        server.close()
        await runner.cleanup()


async def test_a_connection_without_a_whole_request_is_closed_after_the_idle_timeout(bot: Bot) -> None:
    """aiohttp 3.14.5 arms `keepalive_timeout` when a connection opens: the deadline for the first request's
    headers (older versions let a client that never finished its headers keep its socket forever)."""
    runner, server, port = await _serve(bot.http, limit=100, keepalive_timeout=0.5)
    try:
        silent_r, silent_w = await asyncio.open_connection("127.0.0.1", port)
        half_r, half_w = await asyncio.open_connection("127.0.0.1", port)
        half_w.write(HALF)
        started = time.monotonic()
        assert await _closed(silent_r, 3) and await _closed(half_r, 3)
        assert time.monotonic() - started < 2.5
        silent_w.close()
        half_w.close()
    finally:
        server.close()
        await runner.cleanup()


def test_accept_failures_are_one_line_not_a_storm(caplog: pytest.LogCaptureFixture) -> None:
    """Python 3.11 logs a failed accept() with a traceback up to 100 times per wake-up of the loop."""
    quiet_floods()
    for flood in (security._ACCEPT_LINES, security._BAD_HTTP_LINES):
        flood.reset()
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(5000):
                loop.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(24, "Too many open files"),
                })  # fmt: skip
    finally:
        loop.close()
    assert len(caplog.records) == 1, len(caplog.records)
    assert caplog.records[0].exc_info is None and "\n" not in caplog.records[0].getMessage()
    assert caplog.records[0].getMessage().endswith("out of file descriptors (OSError: Too many open files)")


def test_a_rate_limited_line_says_how_many_were_left_out() -> None:
    now = [0.0]
    limit = RateLimit(burst=2, period=10.0, clock=lambda: now[0])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", ("a",), None)
    assert [limit.filter(logging.makeLogRecord(record.__dict__)) for _ in range(5)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    now[0] = 10.0
    again = logging.makeLogRecord(record.__dict__)
    assert limit.filter(again) and again.getMessage() == "boom a (3 more like it not logged)"


async def test_broken_http_is_logged_briefly(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    quiet_floods()
    security._BAD_HTTP_LINES.reset()
    runner, server, port = await _serve(bot.http, limit=100)
    try:
        with caplog.at_level(logging.DEBUG, logger="aiohttp.server"):
            for _ in range(30):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
                head = await asyncio.wait_for(reader.read(), 2)
                assert b" 400 Bad Request" in head and b"Traceback" not in head
                writer.close()
    finally:
        server.close()
        await runner.cleanup()
    lines = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert 1 <= len(lines) <= 5 and all(r.exc_info is None for r in lines), [r.getMessage() for r in lines]
    assert all("127.0.0.1" not in r.getMessage() for r in lines)
