"""«Журнал змін»: the staff audit log newest first, paged, filtered by actor and action, before → after; admins
only; no phone number even after a change that concerned a citizen's booking."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from handlers.web.staff.audit import PAGE_SIZE
from storage.clock import ManualClock
from tests.console.test_api import book, session, sign_in


@pytest.fixture()
async def client(console: Bot) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as c:
        yield c


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body)


async def test_newest_first_paged_and_filtered(console: Bot, client: TestClient[Any, Any], clock: ManualClock) -> None:
    async with console.uow_factory() as uow:
        for i in range(PAGE_SIZE + 5):
            await uow.audit.record("roman", "booking.mark", f"A{i:03d}", before={"mark": None},
                                   after={"mark": "arrived"})  # fmt: skip
            clock.advance(dt.timedelta(seconds=1))
        await uow.audit.record("oksana", "office.change", "office:main", before={"status": "open"},
                               after={"status": "closed"})  # fmt: skip
    assert await sign_in(client, "roman") == 303
    assert (await client.get("/staff/audit")).status == 403
    me = await session(client)
    await client.post("/staff/logout", data={"csrf": me["csrf"]})
    assert await sign_in(client, "anna") == 303

    first = await (await client.get("/staff/audit")).text()
    rows = _rows(first)
    assert len(rows) == PAGE_SIZE
    assert "oksana" in rows[0] and "office.change" in rows[0]
    assert "{&quot;status&quot;: &quot;open&quot;} → {&quot;status&quot;: &quot;closed&quot;}" in rows[0]
    assert "A054" in rows[1] and "A006" in rows[-1]
    assert "Старіші →" in first and "Новіші" not in first
    async with console.uow_factory() as uow:
        total = len(await uow.audit.page(limit=1000))  # with the fixture's office imports and three users
    second = await (await client.get("/staff/audit?page=2")).text()
    assert len(_rows(second)) == total - PAGE_SIZE
    assert "A000" in [r for r in _rows(second) if "booking.mark" in r][-1]
    assert "← Новіші" in second and "Старіші" not in second

    mine = _rows(await (await client.get("/staff/audit?actor=oksana")).text())
    assert len(mine) == 1 and "office:main" in mine[0]
    marks = await (await client.get("/staff/audit?action=booking.mark&page=2")).text()
    assert len(_rows(marks)) == 5 and all("booking.mark" in r for r in _rows(marks))
    assert '<option value="booking.mark" selected>' in marks
    none = await (await client.get("/staff/audit?actor=nobody&page=x")).text()
    assert "Записів немає" in none


async def test_the_log_shows_no_phone_number(console: Bot, client: TestClient[Any, Any]) -> None:
    """A registrar closes the day of a booked citizen (whose phone is verified): the log says what and who, never
    the phone."""
    await book(console, "booked-citizen", dt.date(2026, 12, 8))
    assert await sign_in(client, "roman") == 303
    me = await session(client)
    closed = await client.patch("/staff/api/offices/visa-main", json={"status": "closed", "note": "Ремонт"},
                                headers={"X-CSRF-Token": me["csrf"]})  # fmt: skip
    assert closed.status == 200
    await client.post("/staff/logout", data={"csrf": me["csrf"]})
    assert await sign_in(client, "anna") == 303
    page = await (await client.get("/staff/audit")).text()
    (row,) = [r for r in _rows(page) if "office.close-days" in r]
    assert "roman" in row and "office:visa-main" in row and "&quot;cancelled&quot;: 1" in row
    assert re.search(r"380\d{9}", page) is None  # the booked citizen's phone is +38067111NNNN
