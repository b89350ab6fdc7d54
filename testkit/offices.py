"""The Center's staff confirming the offices, for rigs that run `python -m bot` as deployed: the first start imports
the damaged main office and «Я-Ветеран» as «unconfirmed» (no booking there until staff set them open in the
console), so a load run that books at the main office confirms them first, as the Center would."""

from __future__ import annotations

import asyncio

from storage.clock import Clock, ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.staff import OfficeCache
from storage.uow import UnitOfWorkFactory
from testkit.clocks import TEST_NOW


async def confirm_offices(database_url: str, clock: Clock | None = None) -> list[str]:
    """Set every unconfirmed office open (audited as the rig); wait until every process's office cache has
    seen it. The offices confirmed. `clock`: the time of the audit line (the rig's own; default a fixed
    moment, since tests never read the wall clock — the processes run on theirs)."""
    engine = make_engine(database_url)
    try:
        async with UnitOfWorkFactory(make_sessionmaker(engine), clock=clock or ManualClock(TEST_NOW))() as uow:
            confirmed = []
            for row in await uow.offices.all():
                if row.status == "unconfirmed":
                    row.status = "open"
                    await uow.audit.record("load-rig", "office.change", f"office:{row.office}",
                                     before={"status": "unconfirmed"}, after={"status": "open"})  # fmt: skip
                    confirmed.append(row.office)
    finally:
        await engine.dispose()
    if confirmed:
        await asyncio.sleep(OfficeCache.TTL.total_seconds() + 0.5)  # another process sees it within its TTL
    return confirmed
