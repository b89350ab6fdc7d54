"""The chat page in real headless Chromium (Debian's package) driven by Playwright, as a citizen clicks."""

from __future__ import annotations

import shutil
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from bot.app import Bot

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_walk_birth_to_checklist_by_clicking(bot: Bot) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with TestServer(bot.http, host="127.0.0.1") as server, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # a small phone
        await page.goto(str(server.make_url("/")))
        await page.get_by_text("Вітаю! Я Віза-бот").wait_for()
        # Click like a citizen: each button once its question is on the screen (two questions share «Ні, пізніше»).
        walk = [
            ("Життєві ситуації", "Оберіть свою життєву ситуацію"),
            ("Народження дитини", "Чи перебувають батьки дитини у шлюбі?"),
            ("Не в шлюбі", "Чи прийдуть оформлювати документи обоє батьків?"),
            ("Так, обоє", "зареєструвати (задекларувати) місце проживання дитини?"),
            ("Так, одразу", "подати заяву на допомогу при народженні дитини?"),
            ("Ні, пізніше", "Ваш перелік: Народження дитини"),
        ]
        for label, then in walk:
            await page.get_by_role("button", name=label).last.click()
            await page.get_by_text(then).last.wait_for()
        text = await page.locator("#log").inner_text()
        assert "Реєстрація народження" in text and "Прописка дитини" in text
        assert "Допомога при народженні —" not in text  # answered «Ні, пізніше»
        await page.screenshot(path=str(ARTIFACTS / "web-chat-birth-checklist.png"), full_page=True)
        # Typing works too, and the answer is rendered as text, never as HTML.
        await page.fill("#text", "<b>прописка</b>")
        await page.press("#text", "Enter")
        await page.get_by_text("Ось що я знайшов").wait_for()
        assert await page.locator("#log b").count() == 0
        await browser.close()
