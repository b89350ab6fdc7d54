"""Every transcript in tests/e2e/transcripts, played against the engine."""

from __future__ import annotations

import pytest

from testkit.transcript import EngineChannel, all_names, load, play


@pytest.mark.parametrize("name", all_names())
async def test_transcript(citizen: EngineChannel, name: str) -> None:
    await play(citizen, load(name))
