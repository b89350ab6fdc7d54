"""On a phone no button of the web chat breaks inside a word or a time («08:0/0», «Почати спочатк/у»): a label
wraps only between words, rows wrap whole buttons. Checked in headless Chromium on the buttons a citizen meets —
the main menu, the booking's days and times, a dialog's answers, a checklist's «Почати спочатку» — at 390 and
320 px, by asking the browser where each word of each label was laid out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from bot.app import Bot
from testkit.fake_sms import FakeTurboSms
from tests.handlers.test_web_page import ARTIFACTS, PHONE, _answered, _bots, _chromium, _settled, _walk_birth

NARROW = {"width": 320, "height": 640}  # the narrowest phone still sold (iPhone SE 1st gen., small Androids)

# For every button and link under an answer: the words of its label laid out on more than one line, and the
# buttons whose label sticks out of them or that stick out of their answer.
_BROKEN = """() => {
  const found = {split: [], overflow: [], count: 0};
  for (const el of document.querySelectorAll('#log .buttons button, #log .buttons a')) {
    found.count++;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const word = document.createRange();
        word.setStart(node, m.index);
        word.setEnd(node, m.index + m[0].length);
        const lines = [];  // one box per line: a box whose middle lies inside another's is on the same line
        for (const box of word.getClientRects()) {
          const middle = (box.top + box.bottom) / 2;
          if (box.width > 0 && !lines.some((l) => middle > l.top && middle < l.bottom)) lines.push(box);
        }
        if (lines.length > 1) found.split.push(el.textContent + ' ⟶ ' + m[0]);
      }
    }
    const answer = el.closest('.msg').getBoundingClientRect();
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1 || box.right > answer.right + 1 || box.left < answer.left - 1)
      found.overflow.push(el.textContent);
  }
  return found;
}"""


async def _press(page: Page, label: str) -> None:
    seen = await _bots(page)
    await page.locator("#log .msg.bot").last.locator(".buttons button", has_text=label).first.click()
    await _answered(page, seen)


# How many buttons of the last answer's first row stand on its first line.
_FIRST_LINE = """() => {
  const row = [...document.querySelectorAll('#log .msg.bot')].pop().querySelector('.buttons .row');
  const tops = [...row.children].map((b) => Math.round(b.getBoundingClientRect().top));
  return tops.filter((t) => t === tops[0]).length;
}"""


async def _check(page: Page, name: str, per_line: int = 0) -> int:
    """No label split inside a word at 390 px nor at 320, nothing sticking out (and the last answer's first row
    `per_line` buttons on one line); how many buttons there were."""
    counts = []
    for size in (NARROW, PHONE):
        await page.set_viewport_size(size)
        await page.wait_for_function("(w) => window.innerWidth === w", arg=size["width"])
        if per_line:
            assert await page.evaluate(_FIRST_LINE) == per_line, size
        found: dict[str, Any] = await page.evaluate(_BROKEN)
        await page.locator("#log .msg.bot").last.locator(".buttons").scroll_into_view_if_needed()
        await page.screenshot(path=str(ARTIFACTS / f"web-buttons-{name}-{size['width']}.png"))
        assert found["split"] == [] and found["overflow"] == [], (size, found)
        counts.append(int(found["count"]))
    assert counts[0] == counts[1]
    return counts[0]


@pytest.fixture()
def bot(sms_bot: Bot) -> Bot:
    """This module's bot verifies web phones by SMS through the fake TurboSMS (tests/conftest.py)."""
    return sms_bot


async def test_no_button_breaks_inside_a_word_or_a_time_on_a_phone(bot: Bot, fake_sms: FakeTurboSms) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with _chromium(bot) as (browser, url):
        page = await browser.new_page(viewport=PHONE)
        await page.goto(url)
        await page.locator("#log").get_by_text("Вітаю! Я Віза-бот").wait_for()
        await _settled(page)
        # the booking: its services, the priority question, the days and the times
        seen = await _bots(page)
        await page.fill("#text", "хочу записатися на прийом")
        await page.press("#text", "Enter")
        await _answered(page, seen)
        for label in ("Соцдопомога", "Допомога на проживання ВПО"):
            await _press(page, label)
        # a place only for a verified phone: the number, then the code the SMS brought (the fake TurboSMS)
        for typed in ("067 123 45 67", ""):
            seen = await _bots(page)
            await page.fill("#text", typed or fake_sms.last_code("380671234567"))
            await page.press("#text", "Enter")
            await _answered(page, seen)
        for label in (
            "Ні, не належу",
            "📅",
            "🕘",
            "Не записуватися",
        ):
            if label == "🕘":
                times = page.locator("#log .msg.bot").last.locator(".buttons button", has_text="🕘")
                assert await times.count() >= 4  # a full row of times, the case that broke
                await _check(page, "times", per_line=4)  # «🕘» over «10:00» where the row is narrow
            await _press(page, label)
        # a dialog to its checklist, which ends with «Почати спочатку»
        await _walk_birth(page)
        assert await page.locator("#log .buttons button", has_text="Почати спочатку").count() >= 1
        assert await _check(page, "all") > 40
