"""The inbox in real headless Chromium (Playwright): a web citizen on the chat page asks for an operator, an
operator signed in to the console sees the ticket appear without a reload, takes it and answers, and the
citizen's page shows the answer live; axe-core finds nothing serious on the inbox and a ticket's page at 1280×800
and 768×1024."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, async_playwright

from bot.app import Bot
from tests.console.conftest import PASSWORD
from tests.console.test_console_page import DESKTOP, TABLET, _axe, _sign_in
from tests.console.test_inbox import desk_bot  # noqa: F401  (the fixture)
from tests.handlers.test_web_page import ARTIFACTS, CHROMIUM, FLAGS, _settled

ANSWER = "Добрий день! Довідку про доходи видає податкова, з паспортом."


async def _citizen_asks(page: Page, url: str) -> None:
    await page.goto(url + "/")
    await _settled(page)
    await page.fill("#text", "оператор")
    await page.press("#text", "Enter")
    await page.locator("#log .msg.bot", has_text="Передаю розмову оператору").wait_for(timeout=10_000)


async def test_an_operator_answers_a_web_citizen_from_the_inbox(desk_bot: Bot) -> None:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    async with TestServer(desk_bot.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        operator = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await _sign_in(operator, url, "oksana", PASSWORD)
        await operator.get_by_role("link", name="Звернення").click()
        await operator.get_by_role("heading", name="Звернення").wait_for()
        assert await operator.locator("#waiting tbody tr").count() == 0
        citizen = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await _citizen_asks(citizen, url)
        take = operator.get_by_role("button", name="Взяти", exact=False)
        await take.wait_for(timeout=10_000)  # the list was polled: no reload
        await take.click()
        await operator.get_by_role("heading", name="Звернення №", exact=False).wait_for()
        await citizen.locator("#log .msg", has_text="на зв'язку").wait_for(timeout=10_000)
        await operator.get_by_label("Відповідь громадянину").fill(ANSWER)
        await operator.get_by_role("button", name="Надіслати", exact=True).click()
        await citizen.locator("#log .msg", has_text="видає податкова").wait_for(timeout=10_000)
        await citizen.fill("#text", "Дякую! А по суботах працюєте?")
        await citizen.press("#text", "Enter")
        await operator.locator("#talk li.citizen", has_text="по суботах").wait_for(timeout=10_000)
        await operator.screenshot(path=str(ARTIFACTS / "staff-inbox-ticket.png"), full_page=True)
        await operator.get_by_role("button", name="Закрити звернення").click()
        await citizen.locator("#log .msg", has_text="Оцініть, будь ласка").wait_for(timeout=10_000)
        await browser.close()


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["1280x800", "768x1024"])
async def test_axe_finds_nothing_serious_on_the_inbox(desk_bot: Bot, size: dict[str, Any]) -> None:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    async with TestServer(desk_bot.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        citizen = await (await browser.new_context(viewport=size)).new_page()
        await _citizen_asks(citizen, url)
        page = await (await browser.new_context(viewport=size, bypass_csp=True)).new_page()  # axe is inline
        await _sign_in(page, url, "anna", PASSWORD)
        await page.goto(url + "/staff/inbox")
        await page.get_by_role("button", name="Взяти", exact=False).wait_for()
        await _axe(page, f"staff-inbox-{size['width']}x{size['height']}")
        await page.get_by_role("button", name="Взяти", exact=False).click()
        await page.get_by_label("Відповідь громадянину").fill("Вітаю!")
        await page.get_by_role("button", name="Надіслати", exact=True).click()
        await page.locator("#talk li.operator", has_text="Вітаю!").wait_for(timeout=10_000)
        await _axe(page, f"staff-inbox-ticket-{size['width']}x{size['height']}")
        await browser.close()
