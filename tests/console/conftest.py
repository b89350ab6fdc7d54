"""The console's tests: a bot built as `python -m bot` builds it (the offices imported) with three staff users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Bot, build
from dialogs.console import accounts
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from tests.conftest import make_settings

PASSWORD = "довгий пароль 2026"


@pytest.fixture()
async def console(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[Bot]:
    built = await build(make_settings(tmp_path), kb=kb, index=index, clock=clock, import_offices=True)
    async with built.uow_factory() as uow:
        for login, role in (("anna", "admin"), ("roman", "registrar"), ("oksana", "operator")):
            await accounts.add_user(uow, login, role, PASSWORD, "test")
        # The data imports the damaged main office as «unconfirmed» (issue 22); these tests start after the
        # Center confirmed it, so it takes bookings.
        main = await uow.offices.get("visa-main")
        assert main is not None and main.status == "unconfirmed"
        main.status = "open"
        await uow.offices.put(main)
    yield built
    await built.close()
