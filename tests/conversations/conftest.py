"""The corpus runs on Monday 7 December 2026 at 09:00 Kyiv (testkit/conversation.py CORPUS_NOW): «завтра» is
Tuesday the 8th, «в четвер» the 10th."""

from __future__ import annotations

import pytest

from storage.clock import ManualClock
from testkit.conversation import corpus_clock


@pytest.fixture()
def clock() -> ManualClock:
    return corpus_clock()
