"""The deployment files (deploy/, docs/DEPLOY.md) work as shipped: nginx's configuration passes `nginx -t` and
serves a real bot process through it (TLS, the webhooks' and the chat's paths, Server-Sent Events unbuffered,
/metrics closed to other addresses, a per-address limit, a dead process skipped); the systemd units pass
`systemd-analyze verify` and keep their hardening.

Only the lines that must differ on a test machine are rewritten (ports, certificate and log paths), each one
counted, so the configuration under test is the shipped one. nginx runs as its own process on loopback ports
(`-p <tmp>`, pid and logs in <tmp>: safe without root) and is stopped after the module."""

from __future__ import annotations

import configparser
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings
from testkit.net import free_port
from testkit.servers import nginx_args, site_config, wait_for

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "deploy" / "nginx" / "viza-bot.conf"
UNITS = REPO / "deploy" / "systemd"
SESSION = "deploy-test-session"
# Addresses of this machine other than 127.0.0.1 (Linux routes all of 127.0.0.0/8 to loopback): a client bound to
# one of them is «another address» for nginx's allow lists and per-address limits.
OTHER = "127.0.0.2"
FLOODER, BYSTANDER = "127.0.0.3", "127.0.0.4"


@dataclass
class Nginx:
    root: Path
    http_port: int
    https_port: int
    bot_port: int
    dead_port: int
    conf: Path

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        source: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = self.connect(source)
        try:
            data = json.dumps(body).encode() if body is not None else None
            sent = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, body=data, headers={**sent, **(headers or {})})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def connect(self, source: str = "127.0.0.1") -> http.client.HTTPSConnection:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        return http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=ctx, timeout=10, source_address=(source, 0)
        )


@pytest.fixture(scope="module")
def bot_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """`python -m bot` as systemd runs it (LOG_FORMAT=json), on a SQLite file of its own."""
    root = tmp_path_factory.mktemp("deploy-bot")
    port = free_port()
    env = {**os.environ, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "LOG_FORMAT": "json",
           "DATABASE_URL": f"sqlite+aiosqlite:///{root}/bot.sqlite3",
           # this checkout's code, not whichever one the virtualenv has installed in editable mode (a worktree)
           "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]),
                                                     os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
    for token in ("TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN", "REDIS_URL"):
        env.pop(token, None)
    log = root / "bot.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=root, env=env, stdout=out, stderr=out, text=True
        )
    try:
        wait_for(port, proc, "the bot")
        yield port, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory, bot_process: tuple[int, Path]) -> Iterator[Nginx]:
    root = tmp_path_factory.mktemp("deploy-nginx")
    bot_port = bot_process[0]
    ports = {
        "http_port": free_port(),
        "https_port": free_port(),
        "bot_port": bot_port,
        "dead_port": free_port(),
    }
    conf = site_config(root, **ports)
    checked = subprocess.run([*nginx_args(root, conf), "-t"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([*nginx_args(root, conf, " daemon off;")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_for(ports["https_port"], proc, "nginx")
        # The master serving is this process in the foreground (no daemon of its own left behind).
        assert int((root / "nginx.pid").read_text()) == proc.pid
        yield Nginx(root, conf=conf, **ports)
    finally:
        proc.send_signal(signal.SIGTERM)  # nginx's fast shutdown
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_the_shipped_configuration_passes_nginx_t(tmp_path: Path) -> None:
    conf = site_config(tmp_path, http_port=free_port(), https_port=free_port(), bot_port=free_port(),
                       dead_port=free_port())  # fmt: skip
    result = subprocess.run([*nginx_args(tmp_path, conf), "-t"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr
    # A broken file fails the same check (the check can fail).
    site = tmp_path / "viza-bot.conf"
    site.write_text(site.read_text().replace("proxy_buffering off;", "proxy_buffering sometimes;"))
    result = subprocess.run([*nginx_args(tmp_path, conf), "-t"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "proxy_buffering" in result.stderr


def test_the_chat_and_health_work_through_nginx_and_a_dead_process_is_skipped(nginx: Nginx) -> None:
    # The upstream lists the live bot and a port nobody listens on (a process that died): every request of a
    # row still succeeds, POSTs too, since a refused connection means nothing was sent.
    for _ in range(4):
        status, headers, body = nginx.request("GET", "/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}
    status, headers, body = nginx.request("POST", "/api/chat", {"session": SESSION, "text": "/start"})
    assert status == 200, body
    assert json.loads(body)["replies"], body
    status, headers, body = nginx.request("POST", "/api/chat", {"session": SESSION, "text": "паспорт"})
    assert status == 200 and json.loads(body)["replies"]
    status, _, body = nginx.request("GET", f"/api/chat/history?session={SESSION}")
    assert status == 200 and json.loads(body)["messages"]
    status, headers, body = nginx.request("GET", "/")
    assert status == 200 and "text/html" in headers["Content-Type"]
    # The bot's security headers pass through; nginx adds HSTS and names no version.
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert not re.search(r"\d", headers["Server"]), headers["Server"]
    # A body over the app's limit is refused by nginx already.
    status, _, _ = nginx.request("POST", "/api/chat", {"session": SESSION, "text": "x" * (300 * 1024)})
    assert status == 413
    # Plain HTTP only redirects to HTTPS.
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    conn.request("GET", "/api/chat?x=1", headers={"Host": "bot.example.org"})
    resp = conn.getresponse()
    assert resp.status == 301 and resp.headers["Location"] == "https://bot.example.org/api/chat?x=1"
    conn.close()


def test_metrics_are_served_only_to_allowed_addresses(nginx: Nginx) -> None:
    for path in ("/metrics", f"/metrics/{nginx.bot_port}"):
        status, headers, body = nginx.request("GET", path)
        assert status == 200, path
        assert b"viza_messages_in_total" in body and headers["Content-Type"].startswith("text/plain")
        status, _, body = nginx.request("GET", path, source=OTHER)
        assert status == 403 and b"viza_" not in body, path
    # Only the bot processes' ports are reachable that way, not any local port.
    status, _, _ = nginx.request("GET", "/metrics/22")
    assert status == 404


def test_the_staff_console_is_served_only_to_the_centers_network(nginx: Nginx) -> None:
    status, headers, body = nginx.request("GET", "/staff/login")
    assert status == 200 and "Вхід до консолі" in body.decode()
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, _, _ = nginx.request("GET", "/staff/api/session")
    assert status == 401  # passed through to the bot, which wants a session
    for path in ("/staff/login", "/staff/api/session", "/staff/static/staff.css"):
        status, _, body = nginx.request("GET", path, source=OTHER)
        assert status == 403 and "консол" not in body.decode(errors="replace"), path
    status, headers, _ = nginx.request("GET", "/staff", source=OTHER)
    assert status == 301 and headers["Location"].endswith("/staff/")


def test_the_live_stream_passes_unbuffered(nginx: Nginx) -> None:
    conn = nginx.connect()
    try:
        started = time.monotonic()
        conn.request("GET", f"/api/chat/live?session={SESSION}&after=0")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["X-Accel-Buffering"] == "no"
        # The stream's first line arrives while the response is still open (a buffering proxy would hold it).
        assert resp.readline() == b"retry: 3000\n"
        assert time.monotonic() - started < 5
    finally:
        conn.close()


def test_one_address_is_limited_on_the_chat_and_others_are_not(nginx: Nginx) -> None:
    # Each request under a new session id, as a script rotating ids would send them: the bot's per-citizen flood
    # control cannot see them as one citizen; nginx's per-address limit does.
    statuses = []
    conn = nginx.connect(FLOODER)
    try:
        for i in range(150):
            conn.request("POST", "/api/chat", body=b"{}", headers={"Content-Type": "application/json",
                                                                    "X-Session": f"s{i}"})  # fmt: skip
            resp = conn.getresponse()
            body = resp.read()
            statuses.append(resp.status)
            if resp.status == 429:
                assert json.loads(body)["error"] and resp.headers["Content-Type"] == "application/json"
    finally:
        conn.close()
    assert 400 in statuses and statuses.count(429) >= 50, statuses  # 400: the bot refused the empty body
    status, _, body = nginx.request("POST", "/api/chat", {"session": "bystander", "text": "/start"},
                                    source=BYSTANDER)  # fmt: skip
    assert status == 200, body
    # The Telegram webhook is not limited per address (every update comes from Telegram's few servers): with
    # no Telegram configured the bot answers 404, never nginx's 429.
    status, _, _ = nginx.request("POST", "/telegram/webhook", {"update_id": 1}, source=FLOODER)
    assert status == 404


def test_the_bot_logs_json_lines(nginx: Nginx, bot_process: tuple[int, Path]) -> None:
    lines = [line for line in bot_process[1].read_text().splitlines() if line.strip()]
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)


def test_limits_match_the_app() -> None:
    site = SITE.read_text(encoding="utf-8")
    app = (REPO / "bot" / "app.py").read_text(encoding="utf-8")
    found = re.search(r"web\.Application\(client_max_size=(\d+) \* 1024\)", app)
    assert found, "bot/app.py no longer sets client_max_size as N * 1024: update this test and the nginx file"
    assert f"client_max_body_size {found[1]}k;" in site
    # nginx closes an idle upstream connection before the bot does (else a request may meet a closing socket).
    upstream = site[site.index("upstream viza_bot") :]
    keepalive = re.search(r"keepalive_timeout (\d+)s;", upstream[: upstream.index("}")])
    assert keepalive and int(keepalive[1]) < Settings.model_fields["web_idle_timeout"].default
    # The stream's quiet spells (the bot's keep-alive comment) are shorter than nginx's read timeout there.
    from handlers.web.live import KEEPALIVE

    live = site[site.index("location = /api/chat/live") :]
    read = re.search(r"proxy_read_timeout (\d+)s;", live[: live.index("}")])
    assert read and int(read[1]) > 2 * KEEPALIVE and "proxy_buffering off;" in live[: live.index("}")]
    # Nothing opens /metrics to everyone.
    for block in re.findall(r"location [^{]*metrics[^{]*\{([^}]*)\}", site):
        assert "deny all;" in block and "allow all" not in block and "0.0.0.0/0" not in block


# --- systemd ------------------------------------------------------------------------------------------------------


def _units_for_this_machine(root: Path) -> list[str]:
    """The units with the venv's interpreter in place of /opt/viza-bot's (verify checks that it exists)."""
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace("/opt/viza-bot/.venv/bin/python", sys.executable)
        (root / unit.name).write_text(text, encoding="utf-8")
    return ["viza-bot@8081.service", "viza-bot-migrate.service", "viza-bot.target"]


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def test_systemd_units_verify_and_are_hardened(tmp_path: Path) -> None:
    service = _unit("viza-bot@.service")["Service"]
    assert service["User"] not in ("", "root") and service["Restart"] == "on-failure"
    assert "HTTP_PORT=%i" in service["ExecStart"] and "EnvironmentFile" in service
    assert "TRUSTED_PROXIES=127.0.0.1,::1" in service["ExecStart"]  # the nginx in front names the web client
    # Exit status 2 is also a database not reachable at start: restarted like any other failure.
    assert "RestartPreventExitStatus" not in service
    assert _unit("viza-bot@.service")["Unit"]["StartLimitIntervalSec"] == "0"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}.items():
        assert service[key] == value, key
    assert int(service["LimitNOFILE"]) >= 4096
    unit = _unit("viza-bot@.service")["Unit"]
    assert "viza-bot-migrate.service" in unit["Wants"] and "viza-bot-migrate.service" in unit["After"]
    assert _unit("viza-bot-migrate.service")["Service"]["Type"] == "oneshot"
    assert _unit("viza-bot@.service")["Install"]["WantedBy"] == "viza-bot.target"

    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # a machine without systemd: the keys above are what can be checked
        return
    names = _units_for_this_machine(tmp_path)
    result = subprocess.run(
        [analyze, "verify", *names], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # verify exits 0 even for an unknown key or a wrong value; it says so on stderr.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr
    # The exposure score (0 safe … 10 unsafe) of the bot's processes stays at 2.0 or better.
    result = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", names[0]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    # The check can fail: a wrong value is reported.
    unit_file = tmp_path / "viza-bot@.service"
    unit_file.write_text(unit_file.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = subprocess.run(
        [analyze, "verify", names[0]], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "restart specifier" in result.stderr and "sometimes" in result.stderr
