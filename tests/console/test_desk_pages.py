"""The Today and Callbacks pages in real headless Chromium (Playwright): a registrar opens Today and marks a due
booking arrived with one click; axe-core finds nothing serious on both pages at 1280×800 and 768×1024."""

from __future__ import annotations

import datetime as dt

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from bot.app import Bot
from storage.clock import ManualClock
from tests.console.conftest import PASSWORD
from tests.console.test_callbacks import requests
from tests.console.test_console_page import DESKTOP, TABLET, _axe, _sign_in
from tests.console.test_today import MONDAY, at, book_day, row
from tests.handlers.test_web_page import ARTIFACTS, CHROMIUM, FLAGS


async def test_a_registrar_marks_a_booking_arrived_in_one_click(console: Bot, clock: ManualClock) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    booked = await book_day(console, "citizen", MONDAY, 0)
    later = await book_day(console, "later", MONDAY, 4)
    assert booked.start is not None
    at(clock, booked.start + dt.timedelta(minutes=3))
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=DESKTOP)
        await _sign_in(page, url, "roman", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        await page.get_by_role("link", name="Сьогодні").click()
        await page.get_by_role("heading", name="Сьогодні: Головний офіс", exact=False).wait_for()
        line = page.get_by_role("row", name=booked.code, exact=False)
        assert "очікується" in await line.inner_text()
        await line.get_by_role("button", name="Прийшов", exact=False).first.click()
        await page.get_by_role("status").wait_for()
        assert f"{booked.code}: прийшов" in await page.get_by_role("status").inner_text()
        assert "прийшов" in await page.get_by_role("row", name=booked.code, exact=False).inner_text()
        await page.screenshot(path=str(ARTIFACTS / "staff-today-marked.png"), full_page=True)
        await browser.close()
    assert (await row(console, booked.code)).status == "arrived"
    assert (await row(console, later.code)).status == "booked"


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["1280x800", "768x1024"])
async def test_axe_finds_nothing_serious_on_today_and_callbacks(
    console: Bot, clock: ManualClock, size: dict[str, int]
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await requests(console)
    claimed = await book_day(console, "veteran", MONDAY, 0, priority=True)
    await book_day(console, "citizen", MONDAY, 2)
    assert claimed.start is not None
    at(clock, claimed.start + dt.timedelta(minutes=1))
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=size, bypass_csp=True)  # axe comes in as an inline script
        await _sign_in(page, url, "roman", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        await page.goto(url + "/staff/today")
        await page.get_by_role("button", name="Прийшов, пільгу підтверджено", exact=False).first.wait_for()
        await _axe(page, f"staff-today-{size['width']}x{size['height']}")
        await page.goto(url + "/staff/callbacks")
        await page.get_by_role("heading", name="Дзвінки й виїзди").wait_for()
        await _axe(page, f"staff-callbacks-{size['width']}x{size['height']}")
        await page.get_by_role("button", name="Показати номер").first.click()
        await page.locator(".phone").wait_for()
        await _axe(page, f"staff-callbacks-shown-{size['width']}x{size['height']}")
        await page.screenshot(path=str(ARTIFACTS / f"staff-callbacks-{size['width']}x{size['height']}.png"))
        await browser.close()
