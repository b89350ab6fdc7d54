"""Floods cannot stall the queue (issue 20), measured through the telegram-test-api emulator with Telegram's pace
for the operator group on: 300 web tickets from 300 addresses, then a genuine citizen's reply from an operator, a
closed day's notice, a genuine question and a reminder each arrive within 10 s of their due time, the flood's
requests never wait for the outbox, and the 300 waiting tickets cost the group a few edits of one queue message,
not 300 topics (the scenario: testkit/telegram/flood.py; the same run is `python -m bench.flood --tickets`)."""

from __future__ import annotations

from pathlib import Path

from knowledge import Knowledge
from knowledge.search import SearchIndex
from testkit.telegram.flood import run_flood

DUE_WITHIN = 10.0  # seconds: the bar for what a citizen is owed behind a flood


async def test_300_flood_tickets_stall_nobody_behind_them(
    emulator_url: str, tmp_path: Path, kb: Knowledge, index: SearchIndex
) -> None:
    f = await run_flood(emulator_url, tmp_path, kb, index, tickets=300)
    assert len(f.request_ms) == 300
    # The requests that queued the tickets never waited for the group's pace (it would be minutes).
    assert max(f.request_ms) < 3000, sorted(f.request_ms)[-5:]
    assert f.reply_s < DUE_WITHIN and f.closure_s < DUE_WITHIN, f
    assert f.question_s < DUE_WITHIN and f.reminder_s < DUE_WITHIN, f
    # 300 waiting tickets: a few edits of one queue message, no topic of their own (the genuine one's only).
    assert f.group_calls_flood <= 12 and f.group_calls <= 30, f
    assert f.topics == 1, f
    assert "Черга до оператора: 301." in f.board and "… і ще 293 у черзі." in f.board, f.board
