"""Starting the bot as a person would: what setup prints, and a wrong setting is one line that names it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import maintenance
from bot.app import Bot
from bot.settings import ConfigError, Settings, describe, load_settings
from testkit.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def _run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.sqlite3", **env}
    for token in ("TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN"):
        full.pop(token, None)
    return subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=full, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def _lines(stderr: str, word: str) -> list[str]:
    return [line for line in stderr.splitlines() if word in line]


def test_a_busy_port_is_one_line_naming_http_port(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = _run_bot(tmp_path, HTTP_PORT=str(port), HTTP_HOST="127.0.0.1")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    named = _lines(result.stderr, "HTTP_PORT")
    assert named == [
        f"Port {port} on 127.0.0.1 is in use: set HTTP_PORT to a free port (or stop the other program)."
    ], result.stderr
    assert result.stderr.splitlines()[-1] == named[0]  # the last thing the person sees
    assert " ERROR " not in result.stderr


def test_an_invalid_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = _run_bot(tmp_path, HTTP_PORT="abc")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "Invalid setting HTTP_PORT=abc: Input should be a valid integer (use a whole number)"
    ]


@pytest.mark.parametrize("kind", ["not async", "no server"])
def test_a_database_it_cannot_open_is_one_line_naming_database_url(tmp_path: Path, kind: str) -> None:
    url = (
        f"sqlite:///{tmp_path}/sync.sqlite3"
        if kind == "not async"
        else f"postgresql+asyncpg://viza:s3cret@127.0.0.1:{free_port()}/viza"
    )
    result = _run_bot(tmp_path, DATABASE_URL=url, HTTP_PORT=str(free_port()))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    named = _lines(result.stderr, "DATABASE_URL=")
    assert len(named) == 1 and result.stderr.splitlines()[-1] == named[0], result.stderr
    assert "s3cret" not in result.stderr  # the password is never printed


def test_every_wrong_variable_gets_its_own_line_and_secrets_stay_hidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("HTTP_PORT", "70000")
    monkeypatch.setenv("MARTIAL_LAW", "maybe")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert sorted(caught.value.lines) == [
        "Invalid setting HTTP_PORT=70000: Input should be less than or equal to 65535",
        "Invalid setting LOG_LEVEL=loud: use DEBUG, INFO, WARNING or ERROR",
        "Invalid setting MARTIAL_LAW=maybe: Input should be a valid boolean (use true or false)",
    ]
    for name in ("HTTP_PORT", "MARTIAL_LAW", "LOG_LEVEL"):
        monkeypatch.delenv(name)
    with pytest.raises(ValidationError) as webhook:
        Settings(telegram_bot_token="123:very-secret", telegram_mode="webhook", _env_file=None)
    assert describe(webhook.value) == [
        "Invalid settings: TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET"
    ]


async def test_routine_jobs_do_not_log_at_info(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    writes = 0
    write_log = bot.uow_factory.write_log

    async def counted() -> None:
        nonlocal writes
        writes += 1
        await write_log()

    monkeypatch.setattr(bot.uow_factory, "write_log", counted)
    monkeypatch.setattr(maintenance, "LOG_WRITE_EVERY", dt.timedelta(seconds=0.05))
    caplog.set_level(logging.DEBUG)
    scheduler = maintenance.start_housekeeping(bot.uow_factory, dt.timedelta(days=30))
    try:
        for _ in range(100):
            if writes >= 4:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert writes >= 4  # the log writer ran several ticks
    assert any("purged 0" in r.getMessage() for r in caplog.records)  # and the purge ran, at DEBUG
    loud = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith(("apscheduler", "bot", "storage"))
    ]
    assert loud == []


# --- scripts/run.sh and scripts/_venv.sh, with a stand-in for Python that records what it is asked to do ---

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
case "$1 $2" in
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip") if [ -n "${PIP_FAILS:-}" ]; then echo "ERROR: no matching distribution"; exit 1; fi ;;
esac
exit 0
"""


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """scripts/ and pyproject.toml in a fresh folder, and a fake Python 3.11 that records its calls."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return tmp_path


def _script(checkout: Path, *command: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = checkout / "calls.txt"
    calls.unlink(missing_ok=True)
    full = {**os.environ, "PYTHON": str(checkout / "fake-python"), "CALLS": str(calls), **env}
    result = subprocess.run(command, cwd=checkout, env=full, capture_output=True, text=True, timeout=60)
    return result, calls.read_text().splitlines() if calls.exists() else []


def _installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("-m pip install -e")]


def test_run_sh_says_what_it_sets_up_and_installs_only_the_runtime(checkout: Path) -> None:
    first, calls = _script(checkout, "bash", "scripts/run.sh")
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == [
        "Setting up the Python environment in .venv (first run, about a minute)…",
        "Installing dependencies (first run needs network access to pypi.org)…",
        "Starting the bot…",
    ]
    assert _installs(calls) == ["-m pip install -e ."]  # no dev extra
    assert calls[-1] == "-m bot"

    second, calls = _script(checkout, "bash", "scripts/run.sh", "set-webhooks", "https://x")
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")  # nothing extra
    assert calls == ["-m bot set-webhooks https://x"]


def test_run_and_test_do_not_reinstall_each_others_environment(checkout: Path) -> None:
    def setup(kind: str) -> tuple[str, list[str]]:
        result, calls = _script(checkout, "bash", "-c", f"source scripts/_venv.sh {kind}")
        assert result.returncode == 0, result.stderr
        return result.stderr, _installs(calls)

    assert setup("run")[1] == ["-m pip install -e ."]
    assert setup("dev") == ("Installing the dev tools into .venv…\n", ["-m pip install -e .[dev,bench]"])
    assert setup("run") == ("", [])  # dev includes the runtime
    assert setup("dev") == ("", [])
    with (checkout / "pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    assert setup("run") == (
        "pyproject.toml has changed: updating the dependencies in .venv…\n",
        ["-m pip install -e ."],
    )
    assert setup("dev")[1] == ["-m pip install -e .[dev,bench]"]
    assert setup("run") == ("", [])


def test_a_failed_install_shows_pips_output(checkout: Path) -> None:
    result, _ = _script(checkout, "bash", "scripts/run.sh", PIP_FAILS="1")
    assert result.returncode != 0
    assert "ERROR: no matching distribution" in result.stderr
    assert "Installing failed" in result.stderr.splitlines()[-1]
    assert not list((checkout / ".venv").glob(".installed-*"))  # the next run tries again
