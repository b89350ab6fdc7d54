"""Viber: the same transcripts, signed webhooks refused when wrong, replays handled once, a hung API survived."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import func, select
from viberbot.api.messages import TextMessage

from dialogs.messages import Reply
from handlers.viber.render import render
from handlers.viber.sender import QuietLimit, ViberSender
from storage.db import make_sessionmaker
from storage.models import MessageLog, User
from storage.uow import UnitOfWorkFactory
from testkit.transcript import all_names, load, play
from testkit.viber.citizen import ViberCitizen, sign
from tests.e2e.viber.conftest import TOKEN, ViberRig


@pytest.mark.parametrize("name", all_names())
async def test_transcript_in_viber(citizen: ViberCitizen, name: str) -> None:
    await play(citizen, load(name))


async def _count(rig: ViberRig, model: type) -> int:
    await rig.bot.uow_factory.write_log()  # message-log lines are written in batches
    async with make_sessionmaker(rig.bot.db)() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_keyboard_is_readable_and_always_has_menu(citizen: ViberCitizen) -> None:
    seen = await citizen.send_text("прописка")
    message = citizen.api.to(citizen.user)[-1]
    buttons = message["keyboard"]["Buttons"]
    assert message["keyboard"]["Type"] == "keyboard" and len(buttons) <= 24
    assert all(b["Columns"] in (1, 2, 3, 6) and b["ActionType"] == "reply" and b["Silent"] for b in buttons)
    assert buttons[-1]["ActionBody"] == "m"
    assert "<b>" not in seen.text and "**" not in seen.text
    assert citizen.api.auth_tokens == {TOKEN}


async def test_conversation_started_answers_in_the_response(citizen: ViberCitizen) -> None:
    event = {"event": "conversation_started", "timestamp": 1, "message_token": 1, "type": "open",
             "user": {"id": citizen.user, "name": "Громадянин"}, "subscribed": False}  # fmt: skip
    resp = await citizen.post(event)
    body = await resp.json()
    assert resp.status == 200 and body["type"] == "text" and "Віза-бот" in body["text"]
    assert body["keyboard"]["Buttons"] and body["sender"]["name"]
    assert citizen.api.sent == []  # nothing may be sent before the user subscribes


@pytest.mark.parametrize("case", ["wrong token", "tampered body", "missing header", "malformed json"])
async def test_bad_callbacks_are_refused_and_change_nothing(viber: ViberRig, case: str) -> None:
    citizen = viber.citizen()
    body = json.dumps(citizen.message_event({"type": "text", "text": "/start"})).encode()
    headers = {"Content-Type": "application/json", "X-Viber-Content-Signature": sign(body, TOKEN)}
    if case == "wrong token":
        headers["X-Viber-Content-Signature"] = sign(body, "another-token")
    elif case == "tampered body":
        body = body.replace(b"/start", b"/stArt")
    elif case == "missing header":
        del headers["X-Viber-Content-Signature"]
    else:
        body = b'{"event": "message", "sender": '
        headers["X-Viber-Content-Signature"] = sign(body, TOKEN)
    resp = await viber.client.post("/viber/webhook", data=body, headers=headers)
    assert resp.status == (400 if case == "malformed json" else 403)
    await asyncio.sleep(0.2)
    assert viber.api.sent == []
    assert await _count(viber, User) == 0 and await _count(viber, MessageLog) == 0


async def test_a_replayed_callback_is_handled_once(viber: ViberRig) -> None:
    citizen = viber.citizen()
    event = citizen.message_event({"type": "text", "text": "/start"}, token=424242)
    for _ in range(3):  # Viber retries for an hour
        assert (await citizen.post(event)).status == 200
    await asyncio.sleep(0.5)
    assert len(viber.api.to(citizen.user)) == 1
    assert await _count(viber, MessageLog) == 2  # one question, one answer


async def test_unsubscribed_user_is_marked_inactive_and_gets_nothing(viber: ViberRig) -> None:
    citizen = viber.citizen()
    await citizen.send_text("/start")
    sent = len(viber.api.sent)
    resp = await citizen.post(
        {"event": "unsubscribed", "timestamp": 1, "user_id": citizen.user, "message_token": 9}
    )
    assert resp.status == 200
    await asyncio.sleep(0.2)
    assert len(viber.api.sent) == sent
    async with UnitOfWorkFactory(make_sessionmaker(viber.bot.db), clock=viber.bot.uow_factory.clock)() as uow:
        user = await uow.users.get("viber", citizen.user)
        assert user is not None and user.active is False


async def test_delivery_reports_are_recorded(viber: ViberRig) -> None:
    citizen = viber.citizen()
    await citizen.send_text("/start")
    await asyncio.sleep(0.2)
    async with UnitOfWorkFactory(make_sessionmaker(viber.bot.db), clock=viber.bot.uow_factory.clock)() as uow:
        token = "5000000000"
        assert await uow.deliveries.status("viber", token) == "sent"
    for event in ("seen", "delivered"):  # out of order: «seen» must stay
        await citizen.post(
            {"event": event, "timestamp": 1, "message_token": int(token), "user_id": citizen.user}
        )
    await citizen.post(
        {"event": "failed", "timestamp": 1, "message_token": 1, "user_id": citizen.user, "desc": "x"}
    )
    async with UnitOfWorkFactory(make_sessionmaker(viber.bot.db), clock=viber.bot.uow_factory.clock)() as uow:
        assert await uow.deliveries.status("viber", token) == "seen"
        assert await uow.deliveries.status("viber", "1") == "failed"


async def test_shared_contact_is_not_stored(viber: ViberRig) -> None:
    citizen = viber.citizen()
    seen = await citizen._act(
        citizen.message_event(
            {"type": "contact", "contact": {"name": "Марія", "phone_number": "+380971234567"}}
        )
    )
    assert "не зберігаємо" in seen.text
    await viber.bot.uow_factory.write_log()  # message-log lines are written in batches
    async with make_sessionmaker(viber.bot.db)() as s:
        assert "[контакт не збережено]" in (await s.execute(select(MessageLog.text))).scalars().all()
    async with make_sessionmaker(viber.bot.db)() as s:
        logged = (await s.execute(select(MessageLog.text))).scalars().all()
    assert not any("380971234567" in t for t in logged)


async def test_5xx_is_retried_with_backoff(viber: ViberRig) -> None:
    viber.api.fail_500 = 2
    citizen = viber.citizen()
    seen = await citizen.send_text("/start")
    assert "Віза-бот" in seen.text  # delivered on the third attempt


async def test_the_callback_is_answered_once_its_replies_are_sent(viber: ViberRig) -> None:
    """A 200 says the step is saved and answered: a process killed after it loses nothing of it (bench/load.py
    lost 31 replies queued to be sent after the 200)."""
    citizen = viber.citizen()
    resp = await citizen.post(citizen.message_event({"type": "text", "text": "/start"}))
    assert resp.status == 200
    assert any("Віза-бот" in m.get("text", "") for m in viber.api.to(citizen.user))  # already sent


async def test_a_hung_viber_api_holds_the_callback_only_so_long(
    viber: ViberRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handlers.viber.webhook.REPLY_WITHIN", 0.3)
    viber.api.hang = 5.0
    citizen = viber.citizen()
    started = time.monotonic()
    resp = await citizen.post(citizen.message_event({"type": "text", "text": "/start"}))
    assert resp.status == 200 and time.monotonic() - started < 1.5  # the sending goes on in the background


async def test_hung_viber_api_times_out_and_web_chat_stays_responsive(viber: ViberRig) -> None:
    viber.api.hang = 5.0  # longer than the bot's 1 s send timeout
    citizen = viber.citizen()
    resp = await citizen.post(citizen.message_event({"type": "text", "text": "/start"}))
    assert resp.status == 200  # answered after REPLY_WITHIN at most; the sending goes on in the background
    start = time.monotonic()
    web = await viber.client.post("/api/chat", json={"session": "w1", "text": "прописка"})
    assert web.status == 200 and time.monotonic() - start < 1.0
    # A send on its own gives up after its timeout and retries instead of waiting for the stalled API.
    results: list[tuple[str, str | None, int]] = []

    async def record(user: str, token: str | None, status: int) -> None:
        results.append((user, token, status))

    sender = ViberSender(
        viber.bot.settings.viber_api_url, TOKEN, "Віза-бот", record, timeout=0.2, attempts=2, backoff=0.05
    )
    start = time.monotonic()
    assert await sender.send(citizen.user, TextMessage(text="тест")) is False
    assert time.monotonic() - start < viber.api.hang
    await sender.close()
    assert results == []


async def test_set_webhook_command(viber: ViberRig) -> None:
    assert viber.bot.viber is not None
    await viber.bot.viber.set_webhook("https://bot.example.invalid/")
    (hook,) = viber.api.webhooks
    assert hook["url"] == "https://bot.example.invalid/viber/webhook"
    assert {"conversation_started", "subscribed", "unsubscribed"} <= set(hook["event_types"])


def test_quiet_limit_allows_100_per_hour_until_the_user_replies() -> None:
    now = [0.0]
    limit = QuietLimit(clock=lambda: now[0])
    assert all(limit.allow("u") for _ in range(100))
    assert not limit.allow("u")
    now[0] += 3601
    assert limit.allow("u")  # an hour later
    assert all(limit.allow("v") for _ in range(100)) and not limit.allow("v")
    limit.heard_from("v")
    assert limit.allow("v")  # they wrote back


async def test_webhook_handshake_is_acknowledged(viber: ViberRig) -> None:
    citizen = viber.citizen()
    resp = await citizen.post({"event": "webhook", "timestamp": 1, "message_token": 1, "chat_hostname": "x"})
    assert resp.status == 200 and (await resp.json())["status"] == "ok"
    assert viber.api.sent == [] and await _count(viber, User) == 0


async def test_subscribed_gets_the_welcome(viber: ViberRig) -> None:
    citizen = viber.citizen()
    seen = await citizen._act(
        {
            "event": "subscribed",
            "timestamp": 1,
            "message_token": 77,
            "user": {"id": citizen.user, "name": "Г"},
        }
    )
    assert "Віза-бот" in seen.text
    assert any(payload == "m:svc" for _, payload in seen.buttons)


async def test_one_users_replies_keep_their_order_through_retries(viber: ViberRig) -> None:
    sender = viber.bot.viber.sender  # type: ignore[union-attr]
    viber.api.fail_500 = 1  # the first part is retried after a backoff; the later reply must still wait
    long = Reply("перша\n" + "а" * 7000 + "\nостання")  # more than one Viber message
    expected = len(render(long)) + 1
    sender.schedule("order-user", [long])
    sender.schedule("order-user", [Reply("наступна відповідь")])
    for _ in range(100):
        await asyncio.sleep(0.05)
        if len(viber.api.to("order-user")) == expected:
            break
    texts = [m["text"] for m in viber.api.to("order-user")]
    assert texts[0].startswith("перша") and texts[-1] == "наступна відповідь"


def test_quiet_limit_forgets_users_it_no_longer_needs() -> None:
    now = [0.0]
    limit = QuietLimit(clock=lambda: now[0])
    for i in range(3000):
        now[0] += 2.0  # each user wrote to long ago for the window to matter
        limit.allow(f"user-{i}")
    assert len(limit._sent) <= 2048
