"""The admin pages in real headless Chromium (Playwright): an admin attaches a question citizens could not find to
a card on «Що не знайшли» and the web chat answers it with that card; the users and audit pages; axe-core finds
nothing serious on the three pages at 1280×800 and 768×1024."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from bot.app import Bot
from storage.clock import ManualClock
from tests.console.conftest import PASSWORD
from tests.console.test_console_page import DESKTOP, TABLET, _axe, _sign_in
from tests.console.test_unanswered_page import QUESTION, TARGET, TITLE, _record
from tests.handlers.test_web_page import ARTIFACTS, CHROMIUM, FLAGS


async def test_an_admin_attaches_a_question_and_the_web_chat_answers_it(console: Bot, clock: ManualClock) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await _record(console, clock)
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        async with ClientSession() as citizen:
            answer = await citizen.post(url + "/api/chat", json={"session": "asker-1", "text": QUESTION})
            before = (await answer.json())["replies"]
        assert not before[0]["text"].startswith(TITLE)
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=DESKTOP)
        await _sign_in(page, url, "anna", PASSWORD)
        await page.get_by_role("link", name="Що не знайшли").click()
        await page.get_by_role("heading", name="Що не знайшли громадяни").wait_for()
        group = page.locator("section", has=page.get_by_role("heading", name=f"«{QUESTION}»"))
        await group.get_by_label("Картка або життєва ситуація", exact=False).fill(TARGET)
        await group.get_by_role("button", name="Прив’язати").click()
        status = page.get_by_role("status")
        await status.wait_for()
        assert TARGET in await status.inner_text()
        assert await page.get_by_role("heading", name=f"«{QUESTION}»").count() == 0
        await page.screenshot(path=str(ARTIFACTS / "staff-unanswered-attached.png"), full_page=True)
        async with ClientSession() as citizen:
            answer = await citizen.post(url + "/api/chat", json={"session": "asker-2", "text": QUESTION})
            after = (await answer.json())["replies"]
        assert after[0]["text"].startswith(TITLE)
        await page.get_by_role("link", name="Журнал змін").click()
        await page.get_by_role("heading", name="Журнал змін").wait_for()
        assert "unanswered.attach" in await page.locator("tbody tr").first.inner_text()
        await browser.close()


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["1280x800", "768x1024"])
async def test_axe_finds_nothing_serious_on_the_admin_pages(
    console: Bot, clock: ManualClock, size: dict[str, int]
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await _record(console, clock)
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=size, bypass_csp=True)  # axe comes in as an inline script
        await _sign_in(page, url, "anna", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        shown: dict[str, Any] = {"unanswered": "Що не знайшли громадяни", "users": "Користувачі",
                                 "audit": "Журнал змін"}  # fmt: skip
        for path, heading in shown.items():
            await page.goto(f"{url}/staff/{path}")
            await page.get_by_role("heading", name=heading, exact=True).wait_for()
            name = f"staff-{path}-{size['width']}x{size['height']}"
            await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            await _axe(page, name)
        await browser.close()
