"""The web chat's HTTP side attacked: hostile bodies and content types get a short 4xx and one log line, never a
500 or a traceback; every response carries security headers; the page keeps working under its CSP, and only the
sites allowed may frame it."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright
from pydantic import ValidationError

from bot.app import Bot, build
from bot.settings import Settings
from handlers.web import routes, security
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.clock import ManualClock
from testkit.net import free_port
from tests.conftest import make_settings
from tests.handlers.test_web_page import CHROMIUM, FLAGS

JSON = {"Content-Type": "application/json"}


@pytest.fixture()
async def client(bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as c:
        yield c


@pytest.fixture(autouse=True)
def _fresh_log_limits() -> Iterator[None]:
    security._REFUSED_LINES.reset()
    yield


def _assert_one_short_line(caplog: pytest.LogCaptureFixture) -> None:
    records = [
        r for r in caplog.records if r.name != "aiohttp.access"
    ]  # the test server's; `python -m bot` has none
    assert [r.name for r in records] == ["handlers.web.refused"], [(r.name, r.getMessage()) for r in records]
    assert records[0].levelno < logging.WARNING and records[0].exc_info is None
    assert "\n" not in records[0].getMessage()
    assert "Traceback" not in caplog.text


HOSTILE = {
    "lone surrogate in payload": b'{"session": "w-h", "payload": "\\ud800"}',
    "lone surrogate in text": b'{"session": "w-h", "text": "\\udfff x"}',
    "NUL in text": b'{"session": "w-h", "text": "a\\u0000b"}',
    "nested 1,000 deep": b'{"session": "w-h", "text": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "nested 100,000 deep": b"[" * 100_000,
    "integer of 5,000 digits": b'{"session": "w-h", "text": ' + b"7" * 5000 + b"}",
    "integer of 5,000 digits as the body": b"7" * 5000,
    "UTF-8 byte order mark": b'\xef\xbb\xbf{"session": "w-h", "text": "hi"}',
    "UTF-16": '{"session": "w-h", "text": "hi"}'.encode("utf-16"),
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_json_is_a_400_and_one_line(
    client: TestClient,  # type: ignore[type-arg]
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    caplog.set_level(logging.INFO)
    resp = await client.post("/api/chat", data=body, headers=JSON)
    assert resp.status == 400
    assert set(await resp.json()) == {"error"}
    _assert_one_short_line(caplog)
    async with bot.uow_factory() as uow:
        assert await uow.users.get("web", "w-h") is None  # nothing reached the engine


CHARSETS = ["rot13", "hex", "base64", "utf-16", "latin-1", "utf-8-sig", "idna", "zip", "utf-32"]


@pytest.mark.parametrize("charset", CHARSETS)
async def test_a_charset_other_than_utf8_is_a_415_and_one_line(
    client: TestClient,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
    charset: str,
) -> None:
    caplog.set_level(logging.INFO)
    resp = await client.post(
        "/api/chat",
        data=b'{"session": "w-c", "text": "hi"}',
        headers={"Content-Type": f"application/json; charset={charset}"},
    )
    assert resp.status == 415
    assert "UTF-8" in (await resp.json())["error"]
    _assert_one_short_line(caplog)


SIMPLE = {  # what a page on another site can POST without the browser asking us first
    "text/plain": {"Content-Type": "text/plain"},
    "text/plain;charset=UTF-8": {"Content-Type": "text/plain;charset=UTF-8"},
    "form": {"Content-Type": "application/x-www-form-urlencoded"},
    "multipart": {"Content-Type": "multipart/form-data; boundary=x"},
    "no content type": {},
    "json look-alike": {"Content-Type": "application/json-seq"},
}


@pytest.mark.parametrize("headers", SIMPLE.values(), ids=SIMPLE.keys())
async def test_only_json_is_processed(
    client: TestClient,  # type: ignore[type-arg]
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    caplog.set_level(logging.INFO)
    resp = await client.post(
        "/api/chat",
        data=b'{"session": "w-simple", "text": "/start"}',
        headers={"Origin": "https://evil.example", **headers},
    )
    assert resp.status == 415
    assert "application/json" in (await resp.json())["error"]
    _assert_one_short_line(caplog)
    async with bot.uow_factory() as uow:
        assert await uow.users.get("web", "w-simple") is None


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        "Application/Json;Charset=UTF8",
    ],
)
async def test_json_in_utf8_is_answered(client: TestClient, content_type: str) -> None:  # type: ignore[type-arg]
    resp = await client.post(
        "/api/chat",
        data='{"session": "w-ok", "text": "паспорт"}'.encode(),
        headers={"Content-Type": content_type},
    )
    assert resp.status == 200
    assert (await resp.json())["replies"]


# --- security headers ----------------------------------------------------------------------------------------------


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


async def test_every_response_carries_the_security_headers(bot: Bot) -> None:
    async def boom(_: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    bot.http.router.add_get("/boom", boom)  # a handler that fails: aiohttp's own 500 page
    async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
        responses = {
            "page": await client.get("/"),
            "favicon": await client.get("/favicon.svg"),
            "healthz": await client.get("/healthz"),
            "chat": await client.post("/api/chat", json={"session": "w-hd", "text": "паспорт"}),
            "chat 400": await client.post("/api/chat", data=b"{", headers=JSON),
            "chat 415": await client.post("/api/chat", data=b"{}"),
            "history": await client.get("/api/chat/history", params={"session": "w-hd"}),
            "404": await client.get("/no/such/page"),
            "405": await client.get("/api/chat"),
            "500": await client.get("/boom"),
        }
        for name, resp in responses.items():
            headers = resp.headers
            assert headers["Server"] == security.SERVER_NAME, name
            assert headers["X-Content-Type-Options"] == "nosniff", name
            assert headers["Referrer-Policy"] == "no-referrer", name
            assert headers["X-Frame-Options"] == "SAMEORIGIN", name
            csp = _directives(headers["Content-Security-Policy"])
            assert csp["frame-ancestors"] == ["'self'"], name
            assert csp["default-src"] == ["'none'"], name
        assert responses["500"].status == 500 and "Traceback" not in await responses["500"].text()


async def test_the_csp_allows_exactly_the_pages_inline_script_and_style(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/")
    html = await resp.text()
    csp = _directives(resp.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert csp["script-src"] == ["'self'", *security.inline_hashes(html)["script"]]
    assert csp["style-src"] == ["'self'", *security.inline_hashes(html)["style"]]
    assert csp["connect-src"] == ["'self'"] and csp["img-src"] == ["'self'"]
    assert "style=" not in html  # a style attribute would need 'unsafe-inline'


def test_inline_hashes_are_the_standard_sha256_sources() -> None:
    # The hash of `alert(1)` as every CSP tutorial and the browsers' own console messages give it.
    page = "<script>alert(1)</script><script src='x.js'></script><style>b{}</style>"
    assert security.inline_hashes(page)["script"] == ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
    assert len(security.inline_hashes(page)["style"]) == 1


async def test_frame_ancestors_setting_allows_embedding_there(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path).model_copy(
        update={"web_frame_ancestors": "https://viza.kr.ua https://*.kr.ua"}
    )
    embedded = await build(settings, kb=kb, index=index, clock=clock)
    try:
        async with TestClient(TestServer(embedded.http, host="127.0.0.1")) as client:
            for path in ("/", "/healthz", "/nowhere"):
                resp = await client.get(path)
                csp = _directives(resp.headers["Content-Security-Policy"])
                assert csp["frame-ancestors"] == ["'self'", "https://viza.kr.ua", "https://*.kr.ua"]
                assert "X-Frame-Options" not in resp.headers  # it could name only one origin
    finally:
        await embedded.close()


@pytest.mark.parametrize(
    "value",
    [
        "viza.kr.ua",
        "https://viza.kr.ua; script-src *",
        "https://a'b",
        "*",
        "'none'",
        "javascript:x",
        "https://x/path",
    ],
)
def test_frame_ancestors_must_be_origins(value: str) -> None:
    with pytest.raises(ValidationError, match=r"web_frame_ancestors"):
        Settings(web_frame_ancestors=value, _env_file=None)  # type: ignore[call-arg]


def test_frame_ancestors_are_normalised() -> None:
    settings = Settings(web_frame_ancestors="  https://viza.kr.ua\thttp://localhost:8000 ", _env_file=None)  # type: ignore[call-arg]
    assert settings.web_frame_ancestors.split() == ["https://viza.kr.ua", "http://localhost:8000"]


# --- in a real browser -------------------------------------------------------------------------------------------------


async def _framed(chat: Bot, outer_port: int) -> tuple[bool, list[str]]:
    """Whether the chat page, framed by another site (another port is another origin) on `outer_port`, shows its
    greeting; and what Chromium said about the content security policy."""
    async with TestServer(chat.http, host="127.0.0.1") as server, async_playwright() as pw:
        chat_url = str(server.make_url("/"))

        async def outer(_: web.Request) -> web.Response:
            return web.Response(text=f'<!doctype html><title>o</title><iframe src="{chat_url}"></iframe>',
                                content_type="text/html")  # fmt: skip

        app = web.Application()
        app.router.add_get("/", outer)
        async with TestServer(app, host="127.0.0.1", port=outer_port) as outer_site:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                page = await browser.new_page()
                console: list[str] = []
                page.on("console", lambda m: console.append(m.text))
                await page.goto(str(outer_site.make_url("/")))
                greeting = page.frame_locator("iframe").locator("#log").get_by_text("Вітаю! Я Віза-бот")
                try:
                    await greeting.wait_for(timeout=5000)
                    shown = True
                except PlaywrightTimeout:
                    shown = False
                return shown, [t for t in console if "Content Security Policy" in t or "frame-ancestors" in t]
            finally:
                await browser.close()


async def test_the_page_works_under_its_csp_and_sends_json(bot: Bot) -> None:
    async with TestServer(bot.http, host="127.0.0.1") as server, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = await browser.new_page()
            violations: list[str] = []
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
            )
            await page.goto(str(server.make_url("/")))
            await page.locator("#log").get_by_text("Вітаю! Я Віза-бот").wait_for()  # the inline script ran
            colour = await page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
            assert colour == "rgb(31, 95, 168)"  # the inline style applied
            await page.fill("#text", "паспорт")
            await page.press("#text", "Enter")  # the page's own POST is JSON, or the server would refuse it
            await page.locator("#log .msg.me", has_text="паспорт").wait_for()
            await page.wait_for_function("() => !document.querySelector('#log .typing')")
            assert await page.locator("#log .error").count() == 0
            # A script injected into the page (as stored XSS would be) does not run.
            await page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
                " document.body.append(s); }"
            )
            assert await page.evaluate("() => window.pwned") is None
        finally:
            await browser.close()
    assert len(violations) == 1 and "script-src" in violations[0], violations  # the injected one only


async def test_another_site_can_frame_the_chat_only_when_allowed(
    bot: Bot, tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> None:
    port = free_port()
    shown, console = await _framed(bot, port)
    assert not shown and any("frame-ancestors" in line for line in console), console

    settings = make_settings(tmp_path).model_copy(update={"web_frame_ancestors": f"http://127.0.0.1:{port}"})
    framed = await build(settings, kb=kb, index=index, clock=clock)
    try:
        shown, console = await _framed(framed, port)
        assert shown and console == [], console
    finally:
        await framed.close()


async def test_a_body_sent_too_slowly_is_a_408(
    client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(routes, "BODY_TIMEOUT", 0.3)
    caplog.set_level(logging.INFO)

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"session": "w-slow",'
        await asyncio.sleep(2)  # the rest never comes in time
        yield b' "text": "hi"}'

    resp = await client.post("/api/chat", data=trickle(), headers=JSON)
    assert resp.status == 408
    _assert_one_short_line(caplog)
