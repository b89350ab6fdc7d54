"""The suite passes whatever the date and hour it runs at: the date-sensitive packages run again under libfaketime
at two moments that once broke them (03:00 Kyiv, inside the reminders' night rule, in summer time; and 23:30 Kyiv
on New Year's Eve, the last minutes of a year, in winter time).

Inside a test the system clock raises (tests/conftest.py), so code that forgets its injected clock fails in the
normal run already; these runs catch the rest: a test that reads the time itself (`time.time()`, a library's
`now`), and the processes tests start (`python -m bot`, PostgreSQL), which see the faked time too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)

# The packages whose tests compute with dates and hours: booking (days, horizons, held places), reminders (the
# night rule, ready-by dates, monthly duties), the handoff (the hotline's hours), the outbox's retries, the
# retention purges and the staff commands.
DATE_SENSITIVE = [
    "tests/booking",
    "tests/reminders",
    "tests/handoff",
    "tests/test_outbox.py",
    "tests/test_staff_cli.py",
    "tests/test_staff_priority.py",
    "tests/storage/test_retention.py",
    "tests/storage/test_booking_storage.py",
    "tests/dialogs/test_engine.py",
    "tests/survey",  # the morning after a visit: nights, Sundays, three days
    "tests/verify",  # the SMS code's 5 minutes, 60 s, a day and an hour
]

MOMENTS = {
    # UTC moments: 03:00 on 15 June 2027 in Kyiv (EEST, +3), and 23:30 on 31 December 2026 in Kyiv (EET, +2).
    "03:00 Kyiv 2027-06-15": "@2027-06-15 00:00:00",
    "23:30 Kyiv 2026-12-31": "@2026-12-31 21:30:00",
}


def _libfaketime() -> str:
    found = next((path for path in LIBFAKETIME if Path(path).exists()), None)
    if found is None:
        # scripts/test.sh installs it (Debian's faketime); without it this check cannot run, and must not pass.
        pytest.fail("libfaketime is missing: install Debian's faketime package (scripts/test.sh does)")
    return found


def _faked_env(start: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LD_PRELOAD=_libfaketime(),
        FAKETIME=start,  # «@…»: the clock starts there and runs on
        # The monotonic clock is faked too (it runs on from the same start): with it left real, libfaketime 0.9.10
        # turns Python's time.sleep (clock_nanosleep on an absolute monotonic deadline) into EINVAL.
        FAKETIME_DONT_RESET="1",  # child processes continue the same faked clock instead of starting it again
        TZ="UTC",
    )
    return env


def test_the_faked_clock_really_moves_the_date() -> None:
    """Guards the check itself: under the faked clock a child process sees the faked date, not today's."""
    probe = "import datetime as dt; print(dt.datetime.now(dt.UTC).isoformat())"  # wall clock ok: the faked one
    for start in MOMENTS.values():
        out = subprocess.run(
            [sys.executable, "-c", probe], env=_faked_env(start), capture_output=True, text=True, check=True
        ).stdout
        assert out.startswith(start[1:11]), (start, out)


@pytest.mark.timeout(1800)  # the two runs below, each bounded by its own timeout
def test_the_date_sensitive_tests_pass_at_both_moments(tmp_path: Path) -> None:
    """Both moments at once, one process each (output to files: no pipe fills while the other is waited for);
    the suite's own process only waits, so the two cores share them."""
    assert shutil.which("faketime") or _libfaketime()
    runs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for n, (moment, start) in enumerate(MOMENTS.items()):
        log = tmp_path / f"moment-{n}.log"
        with log.open("wb") as out:
            command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--timeout=300",
                       f"--basetemp={tmp_path / str(n)}", *DATE_SENSITIVE]  # fmt: skip
            runs[moment] = (subprocess.Popen(command, cwd=ROOT, env=_faked_env(start), stdout=out,
                                             stderr=subprocess.STDOUT), log)  # fmt: skip
    try:
        for run, _ in runs.values():
            run.wait(timeout=1500)
    finally:
        for run, _ in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()
    for moment, (run, log) in runs.items():
        output = log.read_text(errors="replace").strip()
        summary = output.splitlines()[-1] if output else ""
        assert run.returncode == 0, f"at {moment}:\n{output[-8000:]}"
        passed = re.search(r"(\d+) passed", summary)
        assert passed and int(passed.group(1)) > 300, summary  # the packages really ran
        print(f"at {moment}: {summary}")
