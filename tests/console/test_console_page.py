"""The staff console in real headless Chromium (Playwright): a registrar signs in, closes the main office on
the offices page, the affected booking is listed, and a citizen in the web chat (POST /api/chat) is no longer
offered that office; axe-core finds nothing serious on the login and offices pages (the schedule forms open) at
1280×800 and 768×1024."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, async_playwright

from bot.app import Bot
from dialogs.booking.base import PREFIX
from dialogs.console.rules import MAX_FAILED
from dialogs.payloads import pack
from handlers.web.staff.auth import LOCKED_UA
from tests.console.conftest import PASSWORD
from tests.console.test_api import SERVICE, book
from tests.handlers.test_web_page import ARTIFACTS, AXE, CHROMIUM, FLAGS

TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}


async def _axe(page: Page, name: str) -> None:
    await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(
        """() => axe.run().then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(' '))})))"""
    )
    (ARTIFACTS / f"{name}-axe.json").write_text(json.dumps(violations, ensure_ascii=False, indent=2), "utf-8")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


async def _sign_in(page: Page, url: str, login: str, password: str) -> None:
    await page.goto(url + "/staff/login")
    await page.get_by_label("Логін").fill(login)
    await page.get_by_label("Пароль").fill(password)
    await page.get_by_role("button", name="Увійти").click()


async def test_a_registrar_closes_an_office_and_the_web_chat_stops_offering_it(console: Bot) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    booked = await book(console, "booked-citizen", dt.date(2026, 12, 8))
    async with console.uow_factory() as uow:
        user = await uow.users.get_or_create("web", "next-citizen")
        await uow.people.verify(user, "+380671119999", "sms")
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=DESKTOP)
        await _sign_in(page, url, "roman", "not the password")
        await page.get_by_text("Неправильний логін або пароль").wait_for()
        await _sign_in(page, url, "roman", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        assert await page.get_by_role("link", name="Офіси").get_attribute("aria-current") == "page"
        section = page.locator("section", has=page.get_by_role("heading", name="Головний офіс", exact=False))
        await section.get_by_label("Стан").select_option("closed")
        await section.get_by_label("Примітка", exact=False).fill("Будівлю пошкоджено; приймаємо в інших офісах")
        await section.get_by_role("button", name="Зберегти", exact=True).click()
        status = page.get_by_role("status")
        await status.wait_for()
        assert booked.code in await status.inner_text()
        assert "надіслано повідомлення з найближчим вільним часом: 1" in await status.inner_text()
        await page.screenshot(path=str(ARTIFACTS / "staff-offices-closed.png"), full_page=True)
        async with ClientSession() as citizen:
            answer = await citizen.post(url + "/api/chat",
                                        json={"session": "next-citizen", "payload": pack(PREFIX, "s", SERVICE)})  # fmt: skip
            replies = (await answer.json())["replies"]
        assert "поки неможливо" in replies[0]["text"] and "q:p:" not in json.dumps(replies)
        await page.get_by_role("button", name="Вийти").click()
        await page.get_by_role("heading", name="Вхід до консолі").wait_for()
        await browser.close()


async def test_five_wrong_passwords_lock_the_login_and_a_forged_form_is_refused(console: Bot) -> None:
    """In the browser: the lockout after MAX_FAILED wrong passwords (even the right one is refused then), and a
    change whose CSRF token is not the session's is refused without changing anything."""
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=DESKTOP)
        for _ in range(MAX_FAILED):
            await _sign_in(page, url, "anna", "not the password")
            await page.get_by_role("heading", name="Вхід до консолі").wait_for()
        await _sign_in(page, url, "anna", PASSWORD)
        await page.get_by_text(LOCKED_UA).wait_for()
        assert await page.get_by_role("heading", name="Офіси").count() == 0
        # Another member of staff signs in; the office form is posted with a forged token.
        await _sign_in(page, url, "roman", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        section = page.locator("section", has=page.get_by_role("heading", name="Головний офіс", exact=False))
        status_form = section.locator("form", has=page.get_by_label("Стан"))
        await status_form.locator('input[name="csrf"]').evaluate("input => { input.value = 'forged-token'; }")
        await section.get_by_label("Стан").select_option("closed")
        await section.get_by_label("Примітка", exact=False).fill("Підроблена зміна")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await status_form.get_by_role("button", name="Зберегти", exact=True).click()
        assert (await posted.value).status == 403
        await page.get_by_text("CSRF token missing or wrong").wait_for()
        await browser.close()
    async with console.uow_factory() as uow:
        main = await uow.offices.get("visa-main")
    assert main is None or main.status != "closed"


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["1280x800", "768x1024"])
async def test_axe_finds_nothing_serious_on_the_console(console: Bot, size: dict[str, int]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with TestServer(console.http, host="127.0.0.1") as server, async_playwright() as pw:
        url = str(server.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport=size, bypass_csp=True)  # axe comes in as an inline script
        await page.goto(url + "/staff/login")
        await _axe(page, f"staff-login-{size['width']}x{size['height']}")
        await _sign_in(page, url, "anna", PASSWORD)
        await page.get_by_role("heading", name="Офіси").wait_for()
        await _axe(page, f"staff-offices-{size['width']}x{size['height']}")
        for summary in await page.locator("summary").all():  # the schedule forms, open
            await summary.click()
        await page.get_by_label("Частка місць для пільговиків", exact=False).first.wait_for()
        await _axe(page, f"staff-offices-schedule-{size['width']}x{size['height']}")
        await browser.close()


def test_the_console_runs_no_inline_or_foreign_script(tmp_path: Path) -> None:
    """The console's pages are forms, one stylesheet and this server's own script files: never inline, never
    another origin's."""
    from handlers.web.staff.base import CSP

    policy = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
    assert "unsafe" not in CSP
