"""TelegramSender against a recording aiogram session: the cases the mutation benchmark (docs/MUTATION.md) found
untested — the requests' fields, the pacing keys, the waits after 429 and transient errors (the sleep is recorded,
never slept), the attempts' bound, the errors that return False instead of raising, the contact keyboard taken away
(in the next message or by a message of its own, deleted at once), files copied or fetched, and the default gates."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    CopyMessage,
    DeleteMessage,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from dialogs.messages import Attachment, Button, Reply
from handlers.telegram import sender as sender_module
from handlers.telegram.render import CONTACT_KEYBOARD, REMOVE_KEYBOARD
from handlers.telegram.sender import (
    GROUP_BURST,
    MAX_ATTEMPTS,
    OVERALL,
    PER_CHAT_BURST,
    REMOVER_TEXT,
    LocalRate,
    TelegramSender,
    global_burst,
)
from testkit.clocks import TEST_NOW

CHAT = 42
M = SendMessage(chat_id=CHAT, text="x")  # the method an exception names (only its type matters here)


class Session(BaseSession):
    """Records every Bot API call; `fail` holds what the next calls raise, in order (None: answer normally)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.fail: list[Exception | None] = []
        self._ids = itertools.count(100)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        if self.fail:
            error = self.fail.pop(0)
            if error is not None:
                raise error
        chat = Chat(id=CHAT, type="private")
        now = TEST_NOW
        if isinstance(method, SendMessage | SendPhoto | SendDocument):
            return Message(message_id=next(self._ids), date=now, chat=chat)  # type: ignore[return-value]
        if isinstance(method, CopyMessage):
            return MessageId(message_id=next(self._ids))  # type: ignore[return-value]
        if isinstance(method, EditMessageText | DeleteMessage):
            return True  # type: ignore[return-value]
        raise AssertionError(f"unexpected call {type(method).__name__}")

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:  # fmt: skip
        raise AssertionError("no downloads")
        yield b""  # pragma: no cover

    async def close(self) -> None:
        return None

    def sent(self) -> list[SendMessage]:
        return [c for c in self.calls if isinstance(c, SendMessage)]


class Gate:
    """A RateGate that lets everything through at once and records the keys asked, into a shared log."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def acquire(self, key: str) -> None:
        self.log.append(f"{self.name}:{key}")


class Rig:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> None:
        self.session = Session()
        self.paced: list[str] = []
        self.sleeps: list[float] = []
        self.blocked: list[int] = []
        self.events: list[str] = []

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        monkeypatch.setattr(sender_module, "asyncio", SimpleNamespace(sleep=sleep))
        gates = {"chat_gate": Gate("chat", self.paced), "global_gate": Gate("global", self.paced)}
        self.sender = TelegramSender(Bot("1:X", session=self.session), self.on_blocked, **{**gates, **kwargs})
        self.sender.note = self.events.append

    async def on_blocked(self, chat_id: int) -> None:
        self.blocked.append(chat_id)


@pytest.fixture()
def rig(monkeypatch: pytest.MonkeyPatch) -> Rig:
    return Rig(monkeypatch)


def retry(after: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(M, "Too Many Requests", retry_after=after)


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == sender_module.__name__]


# One message: its fields, its pacing, its retries.


async def test_a_message_is_html_with_its_markup_paced_for_the_chat_then_overall(rig: Rig) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[])
    assert await rig.sender.send_text(CHAT, "<b>Так</b>", markup) is True
    (sent,) = rig.session.calls
    assert isinstance(sent, SendMessage)
    assert (sent.chat_id, sent.text, sent.parse_mode) == (CHAT, "<b>Так</b>", "HTML")
    assert sent.reply_markup is markup and sent.disable_notification is None
    assert rig.paced == [f"chat:{CHAT}", f"global:{OVERALL}"] and OVERALL == "all"
    assert rig.sleeps == [] and rig.events == []


async def test_429_waits_what_telegram_asks_then_sends(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    rig.session.fail = [retry(7), retry(3)]
    assert await rig.sender.send_text(CHAT, "a") is True
    assert rig.sleeps == [7, 3] and rig.events == ["429", "429"]
    assert len(rig.session.sent()) == 3 and len(rig.paced) == 6  # each attempt paced again
    assert lines(caplog) == [
        (logging.WARNING, "telegram asks to wait 7s (attempt 1)"),
        (logging.WARNING, "telegram asks to wait 3s (attempt 2)"),
    ]


async def test_429_without_end_gives_up_after_the_attempts(rig: Rig) -> None:
    rig.session.fail = [retry(i) for i in range(1, 10)]
    assert await rig.sender.send_text(CHAT, "a") is False
    assert MAX_ATTEMPTS == 4 and len(rig.session.calls) == 4 and rig.sleeps == [1, 2, 3, 4]
    assert rig.blocked == []


@pytest.mark.parametrize("error", [TelegramNetworkError, TelegramServerError])
async def test_transient_errors_back_off_doubling_up_to_ten_seconds(
    rig: Rig, caplog: pytest.LogCaptureFixture, error: Any
) -> None:
    caplog.set_level(logging.INFO)
    rig.session.fail = [error(M, "down") for _ in range(4)]
    assert await rig.sender.send_text(CHAT, "a") is False
    assert rig.sleeps == [2, 4, 8, 10] and len(rig.session.calls) == 4
    assert lines(caplog)[0] == (logging.WARNING, f"telegram send failed ({error.__name__}), attempt 1")
    assert lines(caplog)[3][1].endswith("attempt 4")
    rig.session.fail = [error(M, "down")]
    rig.sleeps.clear()
    assert await rig.sender.send_text(CHAT, "a") is True and rig.sleeps == [2]


async def test_a_blocked_user_is_reported_once_and_not_retried(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rig.session.fail = [TelegramForbiddenError(M, "Forbidden: bot was blocked by the user")]
    assert await rig.sender.send_text(CHAT, "a") is False
    assert rig.blocked == [CHAT] and len(rig.session.calls) == 1 and rig.sleeps == []
    assert lines(caplog) == [(logging.INFO, "a user blocked the bot; marking them inactive")]


async def test_a_failing_blocked_hook_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_: int) -> None:
        raise RuntimeError("db down")

    rig = Rig(monkeypatch)
    rig.sender._on_blocked = broken
    caplog.set_level(logging.INFO)
    rig.session.fail = [TelegramForbiddenError(M, "Forbidden")]
    assert await rig.sender.send_text(CHAT, "a") is False
    assert (logging.ERROR, "could not mark a blocked user inactive") in lines(caplog)


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (TelegramBadRequest(M, "Bad Request: can't parse entities"), "telegram refused a message"),
        (RuntimeError("boom"), "unexpected error while sending to telegram"),
    ],
)
async def test_a_refused_or_broken_send_is_false_at_once(
    rig: Rig, caplog: pytest.LogCaptureFixture, error: Exception, logged: str
) -> None:
    caplog.set_level(logging.INFO)
    rig.session.fail = [error]
    assert await rig.sender.send_text(CHAT, "a") is False
    assert len(rig.session.calls) == 1 and rig.sleeps == [] and rig.blocked == []
    assert lines(caplog) == [(logging.ERROR, logged)]


# Replies: the monitoring notes, the outcome, the contact keyboard.


async def test_replies_go_in_order_each_noted_and_one_failure_makes_false(rig: Rig) -> None:
    rig.session.fail = [None, TelegramBadRequest(M, "refused"), None]
    replies = [Reply("перше"), Reply("друге"), Reply("третє")]
    assert await rig.sender.send_replies(CHAT, replies) is False
    assert [m.text for m in rig.session.sent()] == ["перше", "друге", "третє"]
    assert rig.events == ["ok", "failed", "ok"]
    assert await rig.sender.send_replies(CHAT, [Reply("ще")]) is True and rig.events[-1] == "ok"


async def test_the_contact_keyboard_goes_with_the_next_plain_message(rig: Rig) -> None:
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    assert rig.session.sent()[-1].reply_markup == CONTACT_KEYBOARD
    await rig.sender.send_replies(CHAT, [Reply("Дякую")])
    assert isinstance(rig.session.sent()[-1].reply_markup, ReplyKeyboardRemove)
    await rig.sender.send_replies(CHAT, [Reply("Далі")])  # removed once: nothing to remove any more
    assert rig.session.sent()[-1].reply_markup is None
    assert not [c for c in rig.session.calls if isinstance(c, DeleteMessage)]


async def test_a_turn_that_asks_for_the_phone_keeps_the_keyboard(rig: Rig) -> None:
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    await rig.sender.send_replies(CHAT, [Reply("Ще раз"), Reply("Номер?", ask_contact=True)])
    assert [m.reply_markup for m in rig.session.sent()[1:]] == [None, CONTACT_KEYBOARD]


async def test_a_contact_keyboard_not_delivered_is_not_taken_away(rig: Rig) -> None:
    rig.session.fail = [TelegramBadRequest(M, "refused")]
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    await rig.sender.send_replies(CHAT, [Reply("Дякую")])
    assert rig.session.sent()[-1].reply_markup is None


def inline(text: str) -> Reply:
    return Reply(text, buttons=((Button("Меню", payload="m"),),))


async def test_with_only_inline_buttons_a_remover_goes_first_and_is_deleted(rig: Rig) -> None:
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    before = len(rig.session.calls)
    assert await rig.sender.send_replies(CHAT, [inline("Меню")]) is True
    remover, delete, menu = rig.session.calls[before:]
    assert isinstance(remover, SendMessage) and isinstance(delete, DeleteMessage)
    assert (remover.text, remover.reply_markup, remover.disable_notification) == (
        REMOVER_TEXT,
        REMOVE_KEYBOARD,
        True,
    )
    assert REMOVER_TEXT == "⌨️"
    first_id = 100  # the session numbers messages from 100: the question, then the remover
    assert (delete.chat_id, delete.message_id) == (CHAT, first_id + 1)
    assert isinstance(menu, SendMessage) and isinstance(menu.reply_markup, InlineKeyboardMarkup)
    assert rig.paced == [f"chat:{CHAT}", f"global:{OVERALL}"] * 4  # the deletion is paced too
    await rig.sender.send_replies(CHAT, [inline("Знову")])  # gone: no second remover
    assert len(rig.session.calls) == before + 4


async def test_a_remover_that_fails_is_tried_again_next_time(rig: Rig) -> None:
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    rig.session.fail = [TelegramBadRequest(M, "refused")]
    before = len(rig.session.calls)
    await rig.sender.send_replies(CHAT, [inline("Меню")])
    assert not [c for c in rig.session.calls[before:] if isinstance(c, DeleteMessage)]
    await rig.sender.send_replies(CHAT, [inline("Меню")])
    assert any(isinstance(c, SendMessage) and c.text == REMOVER_TEXT for c in rig.session.calls[before + 2 :])


async def test_a_remover_that_cannot_be_deleted_is_left_quietly(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    rig.session.fail = [None, TelegramBadRequest(M, "message can't be deleted")]
    assert await rig.sender.send_replies(CHAT, [inline("Меню")]) is True
    assert lines(caplog) == [
        (
            logging.INFO,
            "could not delete the keyboard remover (Telegram server says - message can't be deleted)",
        )
    ]
    assert rig.session.sent()[-1].text == "Меню"


async def test_chats_with_a_keyboard_are_bounded_least_recent_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = Rig(monkeypatch, max_chats=2)
    ask = [Reply("Номер?", ask_contact=True)]
    for chat in (1, 2, 1, 3):  # chat 1 asked again: 2 is now the least recent, forgotten for 3
        await rig.sender.send_replies(chat, ask)
    for chat in (1, 2, 3):
        await rig.sender.send_replies(chat, [Reply("Дякую")])
    markups = {m.chat_id: m.reply_markup for m in rig.session.sent()[-3:]}
    assert isinstance(markups[1], ReplyKeyboardRemove) and isinstance(markups[3], ReplyKeyboardRemove)
    assert markups[2] is None


class YieldingGate:
    """Lets other tasks run before each message, as a real gate does when it waits."""

    async def acquire(self, key: str) -> None:
        await asyncio.sleep(0)


async def test_two_replies_at_once_both_taking_the_keyboard_away_never_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = Rig(monkeypatch, chat_gate=YieldingGate())
    await rig.sender.send_replies(CHAT, [Reply("Ваш номер?", ask_contact=True)])
    both = await asyncio.gather(
        *(rig.sender.send_replies(CHAT, [Reply(t)]) for t in ("Дякую", "Нагадування"))
    )
    assert both == [True, True]
    assert [type(m.reply_markup) for m in rig.session.sent()[1:]] == [
        ReplyKeyboardRemove,
        ReplyKeyboardRemove,
    ]


# Editing in place.


async def test_an_edit_replaces_text_and_buttons(rig: Rig) -> None:
    assert await rig.sender.edit_or_send(CHAT, 55, inline("**Картка**")) is True
    (edit,) = rig.session.calls
    assert isinstance(edit, EditMessageText)
    assert (edit.chat_id, edit.message_id, edit.text, edit.parse_mode) == (CHAT, 55, "<b>Картка</b>", "HTML")
    assert isinstance(edit.reply_markup, InlineKeyboardMarkup)
    assert rig.events == ["ok"] and rig.paced == [f"chat:{CHAT}", f"global:{OVERALL}"]


async def test_an_unchanged_message_is_fine_and_other_edit_failures_send_anew(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rig.session.fail = [TelegramBadRequest(M, "Bad Request: message is not modified")]
    assert await rig.sender.edit_or_send(CHAT, 5, Reply("a")) is True
    assert rig.session.sent() == [] and rig.events == []
    rig.session.fail = [TelegramBadRequest(M, "message to edit not found")]
    assert await rig.sender.edit_or_send(CHAT, 5, Reply("b")) is True
    assert [m.text for m in rig.session.sent()] == ["b"]
    assert (logging.INFO, "could not edit a message (Telegram server says - message to edit not found); sending a new one") in lines(caplog)  # fmt: skip
    rig.session.fail = [RuntimeError("boom")]
    assert await rig.sender.edit_or_send(CHAT, 5, Reply("c")) is True
    assert [m.text for m in rig.session.sent()] == ["b", "c"] and rig.events == ["ok", "ok"]
    assert (logging.ERROR, "edit failed; sending a new message") in lines(caplog)


async def test_no_edit_for_a_long_reply_a_contact_keyboard_or_one_shown(rig: Rig) -> None:
    long = Reply("рядок\n" * 1500)
    await rig.sender.edit_or_send(CHAT, 5, long)
    assert (
        not [c for c in rig.session.calls if isinstance(c, EditMessageText)] and len(rig.session.sent()) > 1
    )
    await rig.sender.edit_or_send(CHAT, 5, Reply("Номер?", ask_contact=True))
    assert not [c for c in rig.session.calls if isinstance(c, EditMessageText)]
    assert isinstance(rig.session.sent()[-1].reply_markup, ReplyKeyboardMarkup)
    await rig.sender.edit_or_send(CHAT, 5, Reply("Дякую"))  # the keyboard shown: a new message removes it
    assert not [c for c in rig.session.calls if isinstance(c, EditMessageText)]
    assert isinstance(rig.session.sent()[-1].reply_markup, ReplyKeyboardRemove)
    await rig.sender.edit_or_send(CHAT, 5, Reply("Далі"))
    assert isinstance(rig.session.calls[-1], EditMessageText)


# Any other call.


async def test_call_returns_the_result_retrying_like_a_send(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tries: list[int] = []

    def make(outcomes: list[Exception | None]) -> Callable[[], Awaitable[str]]:
        async def attempt() -> str:
            tries.append(1)
            error = outcomes.pop(0)
            if error is not None:
                raise error
            return "done"

        return attempt

    assert await rig.sender.call(CHAT, make([retry(5), TelegramServerError(M, "502"), None])) == "done"
    assert rig.sleeps == [5, 4] and rig.events == ["429"] and len(rig.paced) == 6
    assert lines(caplog) == [
        (logging.WARNING, "telegram asks to wait 5s (attempt 1)"),
        (logging.WARNING, "telegram call failed (TelegramServerError), attempt 2"),
    ]
    rig.sleeps.clear()
    assert await rig.sender.call(CHAT, make([TelegramNetworkError(M, "x")] * 4)) is None
    assert rig.sleeps == [2, 4, 8, 10]
    tries.clear()
    assert await rig.sender.call(CHAT, make([TelegramForbiddenError(M, "kicked"), None])) is None
    assert tries == [1] and rig.blocked == []
    assert lines(caplog)[-1] == (logging.INFO, "telegram refused a call: the bot was blocked or removed")
    with pytest.raises(TelegramBadRequest):
        await rig.sender.call(CHAT, make([TelegramBadRequest(M, "topic deleted")]))


# Files.


async def test_a_telegram_file_is_copied_from_its_chat(rig: Rig) -> None:
    file = Attachment("photo", url="https://x/p.jpg", origin="-1001:77")
    assert await rig.sender.send_attachment(CHAT, file, thread=9, caption="Фото") is True
    (copy,) = rig.session.calls
    assert isinstance(copy, CopyMessage)
    assert (copy.chat_id, copy.from_chat_id, copy.message_id) == (CHAT, -1001, 77)
    assert (copy.message_thread_id, copy.caption) == (9, "Фото")
    assert rig.paced == [f"chat:{CHAT}", f"global:{OVERALL}"]


async def test_a_photo_or_document_is_fetched_from_its_address(rig: Rig) -> None:
    assert await rig.sender.send_attachment(CHAT, Attachment("photo", url="https://x/p.jpg"), caption="c")
    assert await rig.sender.send_attachment(CHAT, Attachment("document", url="https://x/d.pdf"), thread=3)
    assert await rig.sender.send_attachment(CHAT, Attachment("video"))
    photo, doc, video = rig.session.calls
    assert isinstance(photo, SendPhoto) and (photo.chat_id, photo.photo, photo.caption) == (
        CHAT,
        "https://x/p.jpg",
        "c",
    )
    assert photo.message_thread_id is None
    assert isinstance(doc, SendDocument) and (doc.document, doc.caption, doc.message_thread_id) == ("https://x/d.pdf", None, 3)  # fmt: skip
    assert isinstance(video, SendDocument) and video.document == ""
    assert await rig.sender.send_attachment(CHAT, Attachment("photo"), thread=5, caption="у темі")
    assert await rig.sender.send_attachment(CHAT, Attachment("audio", url="https://x/a.ogg"), caption="звук")
    topic_photo, audio = rig.session.calls[3:]
    assert isinstance(topic_photo, SendPhoto)
    assert (topic_photo.photo, topic_photo.caption, topic_photo.message_thread_id) == ("", "у темі", 5)
    assert isinstance(audio, SendDocument) and (audio.document, audio.caption) == ("https://x/a.ogg", "звук")


async def test_a_refused_file_is_false_for_a_citizen_and_raised_in_a_topic(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    file = Attachment("photo", url="https://x/p.jpg")
    rig.session.fail = [TelegramBadRequest(M, "wrong file")]
    assert await rig.sender.send_attachment(CHAT, file) is False
    assert lines(caplog) == [(logging.INFO, "telegram refused a file (Telegram server says - wrong file)")]
    rig.session.fail = [TelegramBadRequest(M, "message thread not found")]
    with pytest.raises(TelegramBadRequest):
        await rig.sender.send_attachment(CHAT, file, thread=4)
    rig.session.fail = [TelegramForbiddenError(M, "blocked")]
    assert await rig.sender.send_attachment(CHAT, file) is False


async def test_a_reply_with_a_file_sends_it_before_its_text(rig: Rig) -> None:
    reply = Reply("Ось довідка", attachment=Attachment("document", url="https://x/d.pdf"))
    assert await rig.sender.send_replies(CHAT, [reply]) is True
    assert [type(c) for c in rig.session.calls] == [SendDocument, SendMessage]
    rig.session.fail = [TelegramBadRequest(M, "wrong file")]
    assert await rig.sender.send_replies(CHAT, [reply]) is False
    assert rig.session.sent()[-1].text == "Ось довідка"  # the text still goes


# The default pacing.


def test_the_overall_burst_is_a_tenth_of_a_second_at_least_one() -> None:
    assert (global_burst(30), global_burst(100), global_burst(5), global_burst(10)) == (3.0, 10.0, 1.0, 1.0)


async def _noop(_: int) -> None:
    return None


def test_the_default_gates_use_the_rates_given() -> None:
    sender = TelegramSender(Bot("1:X", session=Session()), _noop)
    chats, overall = sender._chats, sender._global
    assert isinstance(chats, LocalRate) and isinstance(overall, LocalRate)
    assert (chats.rate, chats.burst, chats._max_keys) == (1.0, PER_CHAT_BURST, 10_000) and PER_CHAT_BURST == 3
    assert (overall.rate, overall.burst, overall._max_keys) == (30.0, 3.0, 1)
    tuned = TelegramSender(
        Bot("1:X", session=Session()), _noop,
        per_chat_rate=2.0, per_chat_burst=5, global_rate=50.0, max_chats=7,
    )  # fmt: skip
    assert isinstance(tuned._chats, LocalRate) and isinstance(tuned._global, LocalRate)
    assert (tuned._chats.rate, tuned._chats.burst, tuned._chats._max_keys) == (2.0, 5, 7)
    assert (tuned._global.rate, tuned._global.burst) == (50.0, 5.0)


def test_the_default_group_gate_is_twenty_a_minute_with_a_burst_of_three() -> None:
    """Telegram's pace into a group (the operators'): ≈ 20 messages a minute; a hundred groups remembered."""
    groups = TelegramSender(Bot("1:X", session=Session()), _noop)._groups
    assert isinstance(groups, LocalRate)
    assert (groups.rate * 60, groups.burst, groups._max_keys) == (20.0, 3, 100) and GROUP_BURST == 3
    tuned = TelegramSender(Bot("1:X", session=Session()), _noop, group_rate=6.0)._groups
    assert isinstance(tuned, LocalRate) and tuned.rate == 0.1


async def test_a_group_is_paced_by_its_own_key_first_and_a_private_chat_never_by_a_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paced: list[str] = []
    rig = Rig(monkeypatch, group_gate=Gate("group", paced))
    for chat in (-1001, -1002, CHAT):
        assert await rig.sender.send_text(chat, "a") is True
    assert paced == ["group:-1001", "group:-1002"]  # each group its own bucket; the citizen's chat none


async def passes(gate: LocalRate, key: str) -> bool:
    """Whether `key` gets through within a tenth of a second."""
    try:
        await asyncio.wait_for(gate.acquire(key), 0.1)
    except TimeoutError:
        return False
    return True


async def test_a_local_gate_lets_a_burst_then_waits_per_key() -> None:
    gate = LocalRate(rate=0.01, burst=2)  # 2 at once, then one per 100 s
    assert [await passes(gate, "a") for _ in range(3)] == [True, True, False]
    assert await passes(gate, "b")  # another key has its own bucket


async def test_a_local_gate_refills_at_its_rate() -> None:
    gate = LocalRate(rate=20, burst=2)
    start = time.monotonic()
    for _ in range(6):
        await gate.acquire("a")
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 1.0  # 2 at once, 4 more at 20/s


async def test_a_local_gate_forgets_the_least_recent_key_beyond_its_bound() -> None:
    gate = LocalRate(rate=0.01, burst=1, max_keys=2)
    for key in ("a", "b", "a", "c"):  # a used again: b is the least recent, forgotten for c
        await passes(gate, key)
    assert list(gate._keys) == ["a", "c"]
    assert await passes(gate, "b")  # forgotten: a full burst again
    assert not await passes(gate, "c")  # remembered: still spent


def test_a_local_gate_remembers_ten_thousand_keys_by_default() -> None:
    gate = LocalRate(2.0, 5)  # as bot/app.py builds the shared per-chat gate's fallback
    assert (gate.rate, gate.burst, gate._max_keys) == (2.0, 5, 10_000)
