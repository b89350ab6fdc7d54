"""kill -9 under load, for real: two `python -m bot` processes on PostgreSQL and Redis behind the shipped nginx
site, Telegram through the emulator and Viber by signed callbacks (bench/load.py's harness, at a small scale).
One process is killed (SIGKILL) while citizens are mid-walk; the messengers' redelivery (the relay for Telegram,
the citizen for Viber) goes on to the other process.

Nothing acknowledged may be lost: every update that got a 200 is saved, every booking code shown is active, every
citizen told «нагадаю» has reminders, every question acknowledged has a ticket, and no place is booked twice. The
only loss allowed is a reply whose step was saved when the process died before sending it (the citizen asks
again), and only to a citizen whose request the kill caught: on Telegram one whose update had to be sent again
(the 200 comes after the replies), on Viber one waiting for its replies at the kill (they go after the 200)."""

from __future__ import annotations

from pathlib import Path

from testkit.load import harness, phase

CITIZENS = 40


async def test_a_process_killed_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    async with harness() as stack:
        row = await phase("kill", stack, CITIZENS, tmp_path, seed=0, kill_after=0.3)
    verify = row["verify"]
    assert {k: v for k, v in verify.items() if k != "bookings in the database"} == {
        "telegram updates acknowledged, not saved": 0,
        "viber updates acknowledged, not saved": 0,
        "booking codes shown, not active": 0,
        "citizens told «нагадаю», without reminders": 0,
        "questions acknowledged, without a ticket": 0,
        "slots with more bookings than windows": 0,
    }, row
    assert row["bookings_shown"] >= 1
    # The kill hit work in flight or new connections, and the survivor went on serving.
    nginx = row["nginx"]
    died = nginx.get("502: lost with the killed process, sent again by the messenger", 0)
    assert died + nginx.get("refused by the dead process, passed to the other", 0) >= 1, row
    assert nginx.get("answered 200 by process 1", 0) > nginx.get("answered 200 by process 0", 0), row
    waiting = sum(row["citizens_waiting"].values())
    lost = {k: n for k, n in row["error_kinds"].items() if "its reply never came" in k}
    # No other kind of failure: no 5xx left unanswered, no traceback, no stuck walk.
    assert row["error_kinds"] == lost, row
    assert sum(lost.values()) <= waiting, row
    assert row["replies_lost"] == sum(lost.values()), row
    assert row["replies_lost_outside_the_kill"] == 0, row  # only citizens whose request the kill caught
    assert row["walks_done"] + sum(lost.values()) == CITIZENS, row
