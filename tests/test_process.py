"""`python -m bot` as an administrator runs it: it serves, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from testkit.net import free_port


def test_serves_the_web_chat_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HTTP_PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3"}
    for token in ("TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN"):
        env.pop(token, None)
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the bot did not come up"
                time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert "stopped" in output and "Traceback" not in output
    assert f"web chat on http://127.0.0.1:{port}/" in output
    # The purge runs at start: a routine job's run is not worth an INFO line (nor is loading dictionaries).
    assert "apscheduler" not in output and "purged" not in output and "pymorphy3" not in output, output
    assert "Context impl" not in output and "Running upgrade" in output  # a migration is worth a line
    assert "setup plugin" not in output, output  # alembic lists its plugins at INFO on every start
