"""The chat page in real headless Chromium (Debian's package) driven by Playwright, as a citizen clicks."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from bot.app import Bot
from dialogs.messages import Reply
from testkit.clocks import TEST_NOW

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
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
        await page.locator("#log").get_by_text("Вітаю! Я Віза-бот").wait_for()
        await _walk_birth(page)
        text = await page.locator("#log").inner_text()
        assert "Реєстрація народження" in text and "Прописка дитини" in text
        assert "Допомога при народженні —" not in text  # answered «Ні, пізніше»
        await page.screenshot(path=str(ARTIFACTS / "web-chat-birth-checklist.png"), full_page=True)
        # Typing works too, and the answer is rendered as text, never as HTML.
        seen = await _bots(page)
        await page.fill("#text", "<b>прописка</b>")
        await page.press("#text", "Enter")
        await _answered(page, seen)
        assert await page.locator("#log .msg.me .text").last.text_content() == "<b>прописка</b>"
        assert await page.locator("#log b").count() == 0
        await browser.close()


# --- a chat that stays on screen, survives a reload, links phones and addresses, and passes axe -----------------


@asynccontextmanager
async def _chromium(bot: Bot) -> AsyncIterator[tuple[Browser, str]]:
    async with TestServer(bot.http, host="127.0.0.1") as server, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser, str(server.make_url("/"))
        finally:
            await browser.close()


async def _settled(page: Page) -> None:
    """The answer is in: no «відповідає…» bubble, nothing queued."""
    await page.wait_for_function(
        "() => !document.querySelector('#log .typing') && document.querySelector('#log .msg')"
    )


async def _bots(page: Page) -> int:
    return int(await page.locator("#log .msg.bot:not(.typing)").count())


_GEOMETRY = """(seen) => {
  const log = document.querySelector('#log').getBoundingClientRect();
  const fresh = [...document.querySelectorAll('#log .msg.bot:not(.typing)')].slice(seen);
  const buttons = fresh[fresh.length - 1].querySelectorAll('.buttons button, .buttons a');
  const last = buttons.length ? buttons[buttons.length - 1].getBoundingClientRect() : null;
  return {top: log.top, bottom: log.bottom, start: fresh[0].getBoundingClientRect().top, fresh: fresh.length,
          lastTop: last && last.top, lastBottom: last && last.bottom, jump: !document.querySelector('#jump').hidden,
          tall: fresh[fresh.length - 1].getBoundingClientRect().bottom - fresh[0].getBoundingClientRect().top};
}"""


async def _check_in_view(page: Page, seen: int) -> bool:
    """The newest answer's start is on screen and its last button is in view, or one tap («↓ До кнопок») away
    when the answer is taller than the screen. Returns whether that tap was needed."""
    g: dict[str, Any] = await page.evaluate(_GEOMETRY, seen)
    assert g["fresh"] >= 1
    assert g["top"] - 1 <= g["start"] <= g["bottom"] - 40, g  # the answer's first lines are visible
    assert g["lastTop"] is not None, "every answer of this walk has buttons"
    if g["top"] - 1 <= g["lastTop"] and g["lastBottom"] <= g["bottom"] + 1:
        assert not g["jump"]
        return False
    assert g["tall"] > g["bottom"] - g["top"] - 24, (
        g
    )  # hidden only because the answer is taller than the screen
    assert g["jump"], "a long answer offers «↓ До кнопок»"
    await page.click("#jump")
    g = await page.evaluate(_GEOMETRY, seen)
    assert g["top"] - 1 <= g["lastTop"] and g["lastBottom"] <= g["bottom"] + 1, g
    assert not g["jump"]
    return True


WALK = [  # the first steps of the birth dialog, which every version of it has
    ("Життєві ситуації", "Оберіть свою життєву ситуацію"),
    ("Народження дитини", "Чи перебувають батьки дитини у шлюбі?"),
    ("Не в шлюбі", "Батько дитини визнає батьківство"),
    ("Так, визнає", "Чи прийдуть оформлювати документи обоє батьків?"),
    ("Так, обоє", "зареєструвати (задекларувати) місце проживання дитини?"),
]
BIRTH = [  # (words of a question, the answer pressed): the birth dialog asks only those that matter, in its order
    ("Оберіть свою життєву ситуацію", "Народження дитини"),
    ("у шлюбі?", "Не в шлюбі"),
    ("визнає батьківство", "Так, визнає"),
    ("обоє батьків?", "Так, обоє"),
    ("місце проживання дитини?", "Так, одразу"),
    ("за різними адресами?", "Ні, за однією"),
    ("допомогу при народженні", "Ні, пізніше"),
]


async def _answered(page: Page, seen: int) -> None:
    """Wait until the answer to what was just sent is on the page (more bot messages than `seen`, none pending)."""
    await page.wait_for_function(
        "(n) => document.querySelectorAll('#log .msg.bot:not(.typing)').length > n"
        " && !document.querySelector('#log .typing')",
        arg=seen,
    )


async def _walk_birth(page: Page, each: Callable[[int], Awaitable[object]] | None = None) -> int:
    """Click like a citizen from the main menu to the birth checklist, each button once its question is on
    screen; `each(seen)` runs after every answer. Returns how many answers there were."""
    label, steps = "Життєві ситуації", 0
    while True:
        seen = await _bots(page)
        await page.get_by_role("button", name=label).last.click()
        await _answered(page, seen)
        steps += 1
        if each is not None:
            await each(seen)
        fresh = await page.locator("#log .msg.bot .text").all_text_contents()
        if any("Ваш перелік" in t for t in fresh[seen:]):
            return steps
        assert steps < 10, fresh[-1]
        label = next(answer for words, answer in BIRTH if words in fresh[-1])


async def test_each_answers_buttons_are_in_view_on_a_phone(bot: Bot) -> None:
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        await page.goto(url)
        await page.locator("#log").get_by_text("Вітаю! Я Віза-бот").wait_for()
        await _settled(page)
        assert await _check_in_view(page, 0) is False
        jumped: list[bool] = []

        async def check(seen: int) -> None:
            jumped.append(await _check_in_view(page, seen))

        assert await _walk_birth(page, check) >= 5
        assert jumped[-1], "the checklist is taller than a phone screen: its buttons are one tap away"
        assert not all(jumped), "a short question shows its buttons at once"
        await page.screenshot(path=str(ARTIFACTS / "web-chat-checklist-start-390.png"))


async def test_keyboard_alone_works(bot: Bot) -> None:
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        await page.goto(url)
        await _settled(page)
        for _ in range(12):  # Tab from the top to the first answer button
            await page.keyboard.press("Tab")
            if await page.evaluate("() => document.activeElement.closest('.buttons') !== null"):
                break
        focused = await page.evaluate("() => document.activeElement.textContent")
        assert "Життєві ситуації" in focused
        outline = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")  # a visible focus ring
        seen = await _bots(page)
        await page.keyboard.press("Enter")
        await page.locator("#log").get_by_text("Оберіть свою життєву ситуацію").last.wait_for()
        await _settled(page)
        assert await page.locator("#log .msg.me .text").last.text_content() == focused.strip()
        # Focus moves to the start of the new answer; Tab goes on to its buttons.
        assert await page.evaluate("() => document.activeElement.classList.contains('bot')")
        await page.keyboard.press("Tab")
        assert await page.evaluate(
            "(seen) => [...document.querySelectorAll('#log .msg.bot')][seen].contains(document.activeElement)",
            seen,
        )
        # Typing: the input has a label, Enter sends.
        assert await page.get_by_label("Ваше повідомлення").count() == 1
        await page.get_by_label("Ваше повідомлення").focus()
        await page.keyboard.type("Дякую")
        await page.keyboard.press("Enter")
        await page.locator("#log .msg.me", has_text="Дякую").wait_for()
        await _settled(page)
        assert await page.input_value("#text") == ""


async def test_reload_restores_the_conversation(bot: Bot) -> None:
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        await page.goto(url)
        await _settled(page)
        await page.fill("#text", "Добрий день")
        await page.press("#text", "Enter")
        await page.locator("#log .msg.me", has_text="Добрий день").wait_for()
        await _settled(page)
        for label, then in WALK[:4]:
            await page.get_by_role("button", name=label).last.click()
            await page.locator("#log").get_by_text(then).last.wait_for()
            await _settled(page)
        shown = """() => [...document.querySelectorAll('#log .msg')].map(m => [m.className, m.querySelector('.text').textContent,
                       [...m.querySelectorAll('.buttons button, .buttons a')].map(b => b.textContent)])"""
        before = await page.evaluate(shown)
        session = await page.evaluate("() => localStorage.getItem('viza-bot-session')")
        assert re.fullmatch(r"w-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", session)

        requests: list[str] = []
        page.on("request", lambda r: requests.append(f"{r.method} {urlsplit(r.url).path}"))
        await page.reload()
        await page.wait_for_function(
            "(n) => document.querySelectorAll('#log .msg').length >= n", arg=len(before)
        )
        await _settled(page)
        assert await page.evaluate(shown) == before  # same words, same buttons, the pressed labels
        assert "POST /api/chat" not in requests  # restoring sends nothing
        assert requests.count("GET /api/chat/history") == 1
        assert before[-1][2] and "Так, обоє" in " ".join(before[-1][2])
        assert await _check_in_view(page, len([m for m in before if "bot" in m[0]]) - 1) is False

        await page.get_by_role("button", name="Так, обоє").last.click()  # a restored button still works
        await page.locator("#log").get_by_text(WALK[3][1]).last.wait_for()

        fresh = await browser.new_context(viewport=PHONE)  # another profile: a new id, nothing to restore
        stranger = await fresh.new_page()
        await stranger.goto(url)
        await stranger.locator("#log").get_by_text("Вітаю! Я Віза-бот").wait_for()
        await _settled(stranger)
        assert await stranger.locator("#log .msg").count() == 1
        assert await stranger.evaluate("() => localStorage.getItem('viza-bot-session')") != session


async def test_phones_call_and_addresses_open_a_map(bot: Bot) -> None:
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        await page.goto(url)
        await _settled(page)
        await page.get_by_role("button", name="Контакти").last.click()
        await page.locator("#log").get_by_text("Контакти Центру").last.wait_for()
        await _settled(page)
        answer = page.locator("#log .msg.bot").last
        text = (await answer.locator(".text").text_content() or "").replace(" (відкрити на карті)", "")
        tel = {
            await a.get_attribute("href"): await a.text_content()
            for a in await answer.locator("a[href^='tel:']").all()
        }
        assert tel["tel:0800500459"] == "0 800 500 459"
        assert tel["tel:0983602004"] == "098-36-02-004"
        assert all(re.fullmatch(r"tel:(0\d{9}|\+380\d{9})", href or "") for href in tel)
        addresses = re.findall(r"Адреса: (.+)", text)
        maps = [
            await a.get_attribute("href") or ""
            for a in await answer.locator("a[href^='https://www.google.com/maps/']").all()
        ]
        assert addresses and len(maps) == len(addresses)
        for address, href in zip(addresses, maps, strict=True):
            parts = urlsplit(href)
            assert (parts.netloc, parts.path) == ("www.google.com", "/maps/search/")
            query = parse_qs(parts.query)
            assert query["api"] == ["1"]
            assert query["query"] == ["Кривий Ріг, " + re.sub(r"\s*\(колишн[^)]*\)$", "", address)]
        assert await page.locator("#log b, #log script, #log img").count() == 0  # still text, never HTML


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
async def test_axe_finds_nothing_serious(bot: Bot, size: dict[str, int]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert AXE.is_file(), "run `npm ci` (./scripts/test.sh does it)"
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=size, bypass_csp=True)  # axe comes in as an inline script
        await page.goto(url)
        await _settled(page)
        for label, then in WALK[:3]:
            await page.get_by_role("button", name=label).last.click()
            await page.locator("#log").get_by_text(then).last.wait_for()
            await _settled(page)
        await page.fill("#text", "Дякую")
        await page.press("#text", "Enter")
        await page.locator("#log .msg.me", has_text="Дякую").wait_for()
        await _settled(page)
        await page.get_by_role("button", name="Контакти").last.click()
        await page.locator("#log").get_by_text("Контакти Центру").last.wait_for()
        await _settled(page)
        await page.add_script_tag(path=str(AXE))
        violations: list[dict[str, Any]] = await page.evaluate(
            """() => axe.run().then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.map(n => n.target.join(' '))})))"""
        )
        name = f"web-chat-{size['width']}x{size['height']}"
        (ARTIFACTS / f"{name}-axe.json").write_text(
            json.dumps(violations, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], serious


async def test_an_operators_line_appears_without_a_reload(bot: Bot) -> None:
    """A line written for this web session outside its own requests (here: an operator's, as the handoff writes
    it) reaches the open page through the live connection, and is restored after a reload."""
    assert bot.handoff is not None
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(f"{r.method} {urlsplit(r.url).path}"))
        await page.goto(url)
        await _settled(page)
        session = await page.evaluate("() => localStorage.getItem('viza-bot-session')")
        async with bot.uow_factory() as uow:
            user, state = await uow.users.with_state("web", session)
            ticket = await bot.handoff.open(uow, user, state, mode="live", name=None, now=TEST_NOW)
            assert ticket is not None
            await uow.tickets.take(ticket.id, "501", "Оксана", TEST_NOW)
            line = Reply("👤 Оператор: Добрий день! Чим допомогти?")
            assert await bot.handoff.to_citizen(uow, ticket, line, operator_line=True)
        await page.locator("#log .msg.bot", has_text="Чим допомогти?").wait_for(timeout=10_000)
        assert "GET /api/chat/live" in requests and requests.count("GET /api/chat/history") == 1
        await page.reload()
        await page.locator("#log .msg.bot", has_text="Чим допомогти?").wait_for(timeout=10_000)
        assert await page.locator("#log .msg.bot", has_text="Чим допомогти?").count() == 1  # restored, once
