"""Throwaway servers on loopback for the tests and the benchmarks: PostgreSQL, redis-server, and nginx with the
shipped site (deploy/nginx/viza-bot.conf) rewritten for loopback ports.

Only the lines of the site that must differ on a test machine are rewritten (ports, certificate and log paths),
each one counted, so the configuration under test is the shipped one."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from testkit.net import ROOT, free_port

SITE = ROOT / "deploy" / "nginx" / "viza-bot.conf"

# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, "PostgreSQL is not installed: ./scripts/test.sh installs Debian's postgresql package"
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and the server refuse to run as root; the Debian package's `postgres` user runs them.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "viza-pg-") -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port (the tests' and the benchmarks'), stopped after."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")

    def run(args: list[str]) -> None:
        subprocess.run(_as_postgres(args), check=True, capture_output=True, timeout=120)

    run([pg_bin("initdb"), "-D", str(data), "--auth=trust", "--username=postgres", "--encoding=UTF8"])
    port = free_port()
    options = f"-p {port} -h 127.0.0.1 -k {sock} -c fsync=off"
    run([pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(base / "log"), "start"])
    try:
        run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "viza"])
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/viza"
    finally:
        run([pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


# --- redis-server -------------------------------------------------------------------------------------------------


def _redis_server(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed: ./scripts/test.sh installs Debian's redis-server package"
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--daemonize", "no", "--dir", str(workdir)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:  # ready when it answers PING
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def throwaway_redis(port: int | None = None) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A redis-server on a free loopback port with no persistence: (url, stop, start again on that port)."""
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="viza-redis-"))
    procs = [_redis_server(port, workdir)]

    def stop() -> None:
        _stop(procs[-1])

    def start() -> None:
        procs.append(_redis_server(port, workdir))

    try:
        yield f"redis://127.0.0.1:{port}/0", stop, start
    finally:
        for proc in procs:
            if proc.poll() is None:
                _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


# --- nginx with the shipped site --------------------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    assert found, (
        f"{name} is not installed: ./scripts/test.sh installs Debian's {package} package "
        f"(or run: sudo apt-get install {package})"
    )
    return found


def _replace(text: str, pattern: str, repl: str, count: int) -> str:
    """`pattern` replaced exactly `count` times: a changed configuration fails here, not silently."""
    new, made = re.subn(pattern, repl, text, flags=re.M)
    assert made == count, f"{pattern!r} occurs {made} times in {SITE.name}, expected {count}"
    return new


def self_signed(root: Path) -> tuple[Path, Path]:
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [_tool("openssl", "openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=bot.example.org"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def site_config(root: Path, *, http_port: int, https_port: int, bot_port: int, dead_port: int) -> Path:
    """nginx.conf for this machine: the shipped site inside an `http` block, with loopback ports, the test's
    certificate, and every path nginx writes under `root`."""
    cert, key = self_signed(root)
    site = SITE.read_text(encoding="utf-8")
    site = _replace(site, r"^(\s*server )127\.0\.0\.1:8081\b", rf"\g<1>127.0.0.1:{bot_port}", 1)
    site = _replace(site, r"^(\s*server )127\.0\.0\.1:8082\b", rf"\g<1>127.0.0.1:{dead_port}", 1)
    site = _replace(site, r"^\s*listen \[::\]:(80|443)\b.*$", "", 2)  # a container may have no IPv6
    site = _replace(site, r"^(\s*listen )80;", rf"\g<1>127.0.0.1:{http_port};", 1)
    site = _replace(site, r"^(\s*listen )443 ", rf"\g<1>127.0.0.1:{https_port} ", 1)
    site = _replace(site, r"/etc/letsencrypt/live/bot\.example\.org/fullchain\.pem", str(cert), 1)
    site = _replace(site, r"/etc/letsencrypt/live/bot\.example\.org/privkey\.pem", str(key), 1)
    site = _replace(site, r"/var/log/nginx/", f"{root}/", 2)
    site = _replace(site, re.escape("(?<viza_port>80[0-9][0-9])"), f"(?<viza_port>{bot_port})", 1)
    (root / "viza-bot.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {root}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                          "uwsgi", "scgi"))  # fmt: skip
    conf = root / "nginx.conf"
    conf.write_text(
        f"worker_processes 1;\nevents {{ worker_connections 256; }}\nhttp {{\n{temp}\n"
        f"    access_log {root}/access.log;\n    include {root}/viza-bot.conf;\n}}\n",
        encoding="utf-8",
    )
    root.chmod(0o755)  # as root, nginx's workers run as `nobody`
    return conf


def nginx_args(root: Path, conf: Path, *extra: str) -> list[str]:
    return [_tool("nginx", "nginx"), "-p", str(root), "-c", str(conf), "-e", str(root / "error.log"),
            "-g", f"pid {root}/nginx.pid; error_log {root}/error.log warn;{''.join(extra)}"]  # fmt: skip


def wait_for(port: int, proc: subprocess.Popen[str], what: str, deadline: float = 60) -> None:
    until = time.monotonic() + deadline
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc.poll() is None, f"{what} exited ({proc.returncode})"
            assert time.monotonic() < until, f"{what} did not come up"
            time.sleep(0.1)
