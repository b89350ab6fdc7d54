"""Worker processes that start together: each prints «ready» once set up, waits for «go» on stdin, does its part
and prints its result as the last line of its stdout (the booking race, the per-person race)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

TIMEOUT = 120.0  # seconds a worker may take after «go»


def run_together(module: str, argvs: Sequence[Sequence[str]]) -> tuple[list[str], float]:
    """Run `python -m module *argv` once per argv; once every one is ready, start them together. Returns each
    worker's last stdout line (in argv order) and the seconds from «go» to the last result."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", module, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for argv in argvs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(
                    f"worker did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
                )
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            if proc.returncode != 0:
                raise RuntimeError(f"worker failed ({proc.returncode}): {err[-2000:]}")
            results.append(out.strip().splitlines()[-1])
        return results, time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
