"""ViberSender against a scripted fake Viber API on loopback: the cases the mutation benchmark (docs/MUTATION.md)
found untested — the request's address, token and body, the delivery result reported, refusals, retries after 5xx,
timeouts and refused connections (the backoff recorded, never slept), unexpected answers, the per-user hourly limit
(local or shared), the webhook's registration, background sends in order, and closing."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from dialogs.messages import Button, Reply
from handlers.viber import sender as sender_module
from handlers.viber.render import MIN_API_VERSION, render
from handlers.viber.sender import HOUR, QuietLimit, ViberSender

TOKEN = "secret-auth-token"
USER = "user-id-01=="


class FakeApi:
    """Answers each call with the next scripted answer: a dict (JSON, HTTP 200), an int (that HTTP status), a
    string (that raw body), or a float (hang that long, then answer ok); ok when the script is empty."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []  # (method, body, auth token)
        self.script: list[dict[str, Any] | int | str | float] = []
        self.tokens = iter(range(7_000_000_000, 8_000_000_000))
        self.app = web.Application()
        self.app.router.add_post("/pa/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls.append(
            (
                request.match_info["method"],
                await request.json(),
                request.headers.get("X-Viber-Auth-Token", ""),
            )
        )
        answer = self.script.pop(0) if self.script else None
        if isinstance(answer, float):
            await asyncio.sleep(answer)
            answer = None
        if isinstance(answer, int):
            return web.Response(status=answer, text="upstream error")
        if isinstance(answer, str):
            return web.Response(text=answer)
        return web.json_response(
            answer if answer is not None else {"status": 0, "message_token": next(self.tokens)}
        )

    def bodies(self, method: str = "send_message") -> list[dict[str, Any]]:
        return [body for name, body, _ in self.calls if name == method]


class Rig:
    def __init__(self, api: FakeApi, url: str) -> None:
        self.api, self.url = api, url
        self.results: list[tuple[str, str | None, int]] = []
        self.sleeps: list[float] = []
        self.events: list[str] = []
        self.waits: list[float | None] = []

    async def on_result(self, user: str, token: str | None, status: int) -> None:
        self.results.append((user, token, status))

    def sender(self, **kwargs: Any) -> ViberSender:
        sender = ViberSender(self.url + "/", TOKEN, "ЦНАП «Віза»", self.on_result, **kwargs)
        sender.note = self.events.append
        return sender


@pytest.fixture()
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    api = FakeApi()
    server = TestServer(api.app, host="127.0.0.1")
    await server.start_server()
    rig = Rig(api, str(server.make_url("/pa")))

    async def sleep(seconds: float) -> None:
        rig.sleeps.append(seconds)

    async def wait(tasks: Any, *, timeout: float | None = None) -> Any:
        rig.waits.append(timeout)
        return await asyncio.wait(tasks, timeout=timeout)

    fake = SimpleNamespace(sleep=sleep, create_task=asyncio.create_task, wait=wait)
    monkeypatch.setattr(sender_module, "asyncio", fake)
    yield rig
    await server.close()


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == sender_module.__name__]


async def test_a_message_is_posted_with_the_token_sender_and_receiver(rig: Rig) -> None:
    sender = rig.sender()
    (message,) = render(Reply("Добрий день", buttons=((Button("Меню", payload="m"),),)))
    assert await sender.send(USER, message) is True
    ((method, body, token),) = rig.api.calls
    assert (method, token) == ("send_message", TOKEN)
    assert body == {
        "sender": {"name": "ЦНАП «Віза»"},
        "min_api_version": MIN_API_VERSION,
        "receiver": USER,
        **message.to_dict(),
    }
    assert body["type"] == "text" and body["text"] == "Добрий день" and "keyboard" in body
    assert rig.results == [(USER, "7000000000", 0)]
    await sender.close()


def test_the_payload_leaves_out_what_is_not_set() -> None:
    sender = ViberSender("http://127.0.0.1:1/pa", TOKEN, "Віза", Rig(FakeApi(), "").on_result)
    (message,) = render(Reply("Текст"))
    plain = sender.payload(message.__class__(text="Текст"))
    assert plain == {
        "sender": {"name": "Віза"},
        "min_api_version": MIN_API_VERSION,
        "type": "text",
        "text": "Текст",
    }
    assert sender.payload(message, receiver="u")["receiver"] == "u"


async def test_replies_are_noted_and_one_refusal_makes_false(rig: Rig) -> None:
    sender = rig.sender()
    rig.api.script = [
        {"status": 0, "message_token": 1},
        {"status": 6, "status_message": "notSubscribed"},
        {"status": 0},
    ]
    ok = await sender.send_replies(USER, [Reply("один"), Reply("два"), Reply("три")])
    assert ok is False and rig.events == ["ok", "failed", "ok"]
    assert [b["text"] for b in rig.api.bodies()] == ["один", "два", "три"]
    assert rig.results == [(USER, "1", 0), (USER, None, 6), (USER, None, 0)]
    assert await sender.send_replies(USER, [Reply("чотири")]) is True
    await sender.close()


async def test_a_refusal_is_reported_logged_and_not_retried(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sender = rig.sender()
    rig.api.script = [{"status": 5, "message_token": 12}]
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is False
    assert rig.results == [(USER, "12", 5)] and len(rig.api.calls) == 1 and rig.sleeps == []
    assert lines(caplog) == [(logging.INFO, "viber refused a message: status 5")]
    rig.api.script = [{"status_message": "no status"}]
    assert await sender.send(USER, message) is False
    assert rig.results[-1] == (USER, None, -1)
    await sender.close()


async def test_server_errors_are_retried_with_a_doubling_backoff(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sender = rig.sender()  # 3 attempts, 0.5 s doubling
    (message,) = render(Reply("x"))
    rig.api.script = [500, 502, 503]
    assert await sender.send(USER, message) is False
    assert len(rig.api.calls) == 3 and rig.sleeps == [0.5, 1.0] and rig.results == []
    assert lines(caplog) == [
        (logging.WARNING, f"viber send failed (_ServerError), attempt {n}") for n in (1, 2, 3)
    ]
    rig.sleeps.clear()
    rig.api.script = [500]
    assert await sender.send(USER, message) is True and rig.sleeps == [0.5]
    rig.api.script = [499]  # not a server error: the answer's body is read (here not JSON)
    assert await sender.send(USER, message) is False
    await sender.close()


async def test_attempts_and_backoff_are_the_callers(rig: Rig) -> None:
    sender = rig.sender(attempts=4, backoff=0.25)
    (message,) = render(Reply("x"))
    rig.api.script = [500, 500, 500, 500]
    assert await sender.send(USER, message) is False
    assert len(rig.api.calls) == 4 and rig.sleeps == [0.25, 0.5, 1.0]
    await sender.close()


async def test_a_stalled_api_times_out_and_is_retried(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sender = rig.sender(timeout=0.5, attempts=2)
    (message,) = render(Reply("x"))
    rig.api.script = [1.5]
    assert await sender.send(USER, message) is True
    assert len(rig.api.calls) == 2 and rig.sleeps == [0.5]
    assert lines(caplog) == [(logging.WARNING, "viber send failed (TimeoutError), attempt 1")]
    await sender.close()


async def test_an_unreachable_api_is_false_after_the_attempts(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    results: list[object] = []

    async def on_result(*args: object) -> None:
        results.append(args)

    sender = ViberSender(f"http://127.0.0.1:{port}/pa", TOKEN, "Віза", on_result, attempts=2, backoff=0.001)
    caplog.set_level(logging.INFO)
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is False
    assert results == [] and [m for _, m in lines(caplog)] == [
        "viber send failed (ClientConnectorError), attempt 1",
        "viber send failed (ClientConnectorError), attempt 2",
    ]
    await sender.close()


async def test_an_unexpected_answer_is_false_at_once(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sender = rig.sender()
    rig.api.script = ["<html>maintenance</html>"]
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is False
    assert len(rig.api.calls) == 1 and rig.sleeps == [] and rig.results == []
    assert lines(caplog) == [(logging.ERROR, "unexpected error while sending to viber")]
    await sender.close()


async def test_a_failing_result_hook_is_logged_and_the_send_still_counts(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("db down")

    sender = ViberSender(rig.url, TOKEN, "Віза", broken)
    caplog.set_level(logging.INFO)
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is True
    assert lines(caplog) == [(logging.ERROR, "could not record a viber send result")]
    await sender.close()


async def test_set_webhook_subscribes_to_the_events_and_returns_the_answer(rig: Rig) -> None:
    sender = rig.sender()
    rig.api.script = [{"status": 0, "event_types": ["delivered"]}]
    answer = await sender.set_webhook("https://bot.example/viber/webhook")
    assert answer == {"status": 0, "event_types": ["delivered"]}
    ((method, body, token),) = rig.api.calls
    assert (method, token) == ("set_webhook", TOKEN)
    assert body == {
        "url": "https://bot.example/viber/webhook",
        "event_types": ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"],
        "send_name": True,
    }
    await sender.close()


# The hourly limit per user while they have not replied.


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


def test_the_quiet_limit_allows_a_hundred_an_hour_per_user() -> None:
    clock = Clock()
    quiet = QuietLimit(clock=clock)
    assert (quiet.limit, quiet.window, HOUR) == (100, 3600.0, 3600.0)
    assert all(quiet.allow("a") for _ in range(100))
    assert not quiet.allow("a") and quiet.allow("b")
    clock.now += HOUR - 1
    assert not quiet.allow("a")
    clock.now += 1  # the first hundred are an hour old now
    assert quiet.allow("a")


def test_the_window_slides_message_by_message() -> None:
    clock = Clock()
    quiet = QuietLimit(limit=2, window=10.0, clock=clock)
    assert quiet.allow("a")
    clock.now += 5
    assert quiet.allow("a") and not quiet.allow("a")
    clock.now += 5  # the first is out of the window, the second still in
    assert quiet.allow("a") and not quiet.allow("a")
    quiet.heard_from("a")
    assert quiet.allow("a") and quiet.allow("a") and not quiet.allow("a")
    quiet.heard_from("nobody")  # unknown: nothing to forget, no error


def test_users_with_nothing_recent_are_forgotten_beyond_1024() -> None:
    clock = Clock()
    quiet = QuietLimit(limit=1, window=10.0, clock=clock)
    for i in range(1023):
        quiet.allow(f"old-{i}")
    clock.now += 9
    quiet.allow("recent")
    clock.now += 1  # the old ones are exactly a window old, "recent" is not
    quiet.allow("new")  # 1025 users: the map is pruned
    assert set(quiet._sent) == {"recent", "new"}
    assert not quiet.allow("recent")  # still counted


def test_up_to_1024_users_are_kept_whatever_their_age() -> None:
    clock = Clock()
    quiet = QuietLimit(limit=1, window=10.0, clock=clock)
    for i in range(1023):
        quiet.allow(f"old-{i}")
    clock.now += 10
    quiet.allow("new")  # 1024 users: not pruned yet
    assert len(quiet._sent) == 1024
    quiet.allow("newer")
    assert set(quiet._sent) == {"new", "newer"}


async def test_a_user_over_the_limit_gets_nothing_sent(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sender = rig.sender(quiet_limit=QuietLimit(limit=1))
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is True
    assert await sender.send(USER, message) is False
    assert len(rig.api.calls) == 1
    assert lines(caplog) == [
        (logging.WARNING, "viber: 100 messages this hour without a reply from a user; message dropped")
    ]
    await sender.heard_from(USER)
    assert await sender.send(USER, message) is True
    await sender.close()


class Shared:
    def __init__(self, allow: bool) -> None:
        self.allowed, self.asked, self.heard = allow, [], []  # type: ignore[var-annotated]

    async def allow(self, user: str) -> bool:
        self.asked.append(user)
        return bool(self.allowed)

    async def heard_from(self, user: str) -> None:
        self.heard.append(user)


async def test_a_shared_count_replaces_the_local_one(rig: Rig) -> None:
    shared = Shared(allow=False)
    sender = rig.sender(quiet_limit=QuietLimit(limit=100), shared_quiet=shared)
    (message,) = render(Reply("x"))
    assert await sender.send(USER, message) is False and shared.asked == [USER] and rig.api.calls == []
    shared.allowed = True
    local = QuietLimit(limit=0)  # would refuse everything: not asked when the shared count is set
    sender.quiet = local
    assert await sender.send(USER, message) is True
    await sender.heard_from(USER)
    assert shared.heard == [USER]
    await sender.close()


async def test_heard_from_resets_the_local_count_without_a_shared_one(rig: Rig) -> None:
    sender = rig.sender(quiet_limit=QuietLimit(limit=1))
    sender.quiet.allow(USER)
    await sender.heard_from(USER)
    assert sender.quiet.allow(USER)
    await sender.close()


# Background sends.


async def test_scheduled_sends_go_in_order_and_close_waits_for_them(rig: Rig) -> None:
    sender = rig.sender()
    rig.api.script = [0.2]  # the first answer is slow: the second must still wait its turn
    sender.schedule(USER, [Reply("перше")])
    sender.schedule(USER, [Reply("друге")])
    assert len(sender._tasks) == 2
    await sender.close()
    assert [b["text"] for b in rig.api.bodies()] == ["перше", "друге"]
    assert sender._tasks == set() and rig.events == ["ok", "ok"]
    assert rig.waits == [5]  # close waits for the sends in flight five seconds at most
    assert sender._session is not None and sender._session.closed


async def test_close_without_anything_sent_is_fine() -> None:
    sender = ViberSender("http://127.0.0.1:1/pa", TOKEN, "Віза", Rig(FakeApi(), "").on_result)
    await sender.close()
    assert sender._session is None


async def test_one_users_slow_send_does_not_hold_up_another(rig: Rig) -> None:
    sender = rig.sender()
    rig.api.script = [0.5]  # the first user's answer is slow
    sender.schedule("first", [Reply("перше")])
    await asyncio.sleep(0.05)
    sender.schedule("second", [Reply("друге")])
    await sender.close()
    assert [user for user, _, _ in rig.results] == ["second", "first"]


async def test_without_monitoring_sends_work_and_the_timeout_is_ten_seconds(rig: Rig) -> None:
    sender = ViberSender(rig.url, TOKEN, "Віза", rig.on_result)
    assert sender._timeout.total == 10.0
    assert await sender.send_replies(USER, [Reply("x")]) is True
    await sender.close()
