"""The adapter's supergroup with forum topics, driven by aiogram's own Bot (real requests through the adapter to the
emulator) and by the operator and citizen clients: what the bot will see in the operators' group."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Update

from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import start_adapter
from testkit.telegram.operator import TelegramOperator

GROUP = -1001234567890
_tokens = itertools.count(900001)  # a range of its own: the emulator is shared by the session


@dataclass
class Forum:
    """A bare aiogram Bot in front of the adapter, a poller that keeps every update, and what it answers."""

    bot: Bot
    adapter: EmulatorAdapter
    operator: TelegramOperator
    citizen: TelegramCitizen
    updates: list[Update] = field(default_factory=list)
    react: Callable[[Update], Awaitable[None]] | None = None

    async def poll(self) -> None:
        while True:
            for update in await self.bot.get_updates(timeout=1):
                self.updates.append(update)
                if self.react is not None:
                    await self.react(update)

    async def topic(self, name: str = "№ 7 · Telegram · Олена") -> int:
        return (await self.bot.create_forum_topic(GROUP, name)).message_thread_id


def card_buttons() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Взяти", callback_data="ho:take:7"),
        InlineKeyboardButton(text="Закрити", callback_data="ho:close:7"),
    ]])  # fmt: skip


@pytest.fixture()
async def forum(emulator_url: str) -> AsyncIterator[Forum]:
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    token = f"{next(_tokens)}:ADAPTER-TOPICS"
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(adapter_url)))
    rig = Forum(
        bot,
        adapter,
        TelegramOperator(emulator_url, token, GROUP, 501, "Оксана", adapter),
        TelegramCitizen(emulator_url, token, keyboards=adapter.keyboards),
    )
    poller = asyncio.create_task(rig.poll())
    try:
        yield rig
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await rig.operator.close()
        await rig.citizen.close()
        await bot.session.close()
        await (
            runner.cleanup()
        )  # after an unfinished long poll's handler, which still needs the adapter's session
        await adapter.close()


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the update never came"
        await asyncio.sleep(0.02)


async def test_the_bot_posts_a_card_in_a_new_topic(forum: Forum) -> None:
    topic = await forum.bot.create_forum_topic(GROUP, "№ 7 · Telegram · Олена", icon_color=0xFFD67E)
    thread = topic.message_thread_id
    assert (topic.name, topic.icon_color) == ("№ 7 · Telegram · Олена", 0xFFD67E)
    assert forum.operator.topics()[thread].name == "№ 7 · Telegram · Олена"
    assert thread != await forum.topic("№ 8 · Viber · Петро")  # each topic its own thread

    sent = await forum.bot.send_message(GROUP, "<b>Звернення № 7</b>", message_thread_id=thread,
                                        parse_mode="HTML", reply_markup=card_buttons())  # fmt: skip
    assert (sent.chat.type, sent.chat.is_forum, sent.chat.title) == (
        "supergroup",
        True,
        "Оператори гарячої лінії",
    )
    assert (sent.message_thread_id, sent.is_topic_message) == (thread, True)
    general = await forum.bot.send_message(GROUP, "Зміна почалась")
    assert general.chat.type == "supergroup" and general.message_thread_id is None

    shown = await forum.operator.topic(thread)
    assert [m.service for m in shown] == ["forum_topic_created", None]
    assert shown[0].message_id == thread  # the thread id is its service message's id, as in Telegram
    assert shown[1].text == "<b>Звернення № 7</b>" and shown[1].buttons == [
        ("Взяти", "ho:take:7"),
        ("Закрити", "ho:close:7"),
    ]
    assert shown[1].raw["message_thread_id"] == thread  # stored by the emulator as a number

    edited = await forum.bot.edit_message_text(
        "Звернення № 7 — у роботі", chat_id=GROUP, message_id=sent.message_id
    )
    assert edited is True
    await forum.bot.edit_message_reply_markup(chat_id=GROUP, message_id=sent.message_id, reply_markup=None)
    assert (await forum.operator.topic(thread))[1].text == "Звернення № 7 — у роботі"


async def test_a_missing_thread_is_refused_and_the_topic_lifecycle(forum: Forum) -> None:
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await forum.bot.send_message(GROUP, "куди?", message_thread_id=424242)
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await forum.bot.create_forum_topic(4242, "приватний чат")
    thread = await forum.topic()
    assert await forum.bot.edit_forum_topic(GROUP, thread, name="№ 7 · Telegram · Олена ✅") is True
    assert await forum.bot.close_forum_topic(GROUP, thread) is True
    assert forum.operator.topics()[thread].closed and forum.operator.topics()[thread].name.endswith("✅")
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await forum.bot.send_message(GROUP, "у закриту тему", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await forum.bot.close_forum_topic(GROUP, thread)
    assert await forum.bot.reopen_forum_topic(GROUP, thread) is True
    await forum.bot.send_message(GROUP, "знову відкрита", message_thread_id=thread)
    services = [m.service for m in await forum.operator.topic(thread)]
    assert services == [
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        None,
    ]

    assert await forum.bot.delete_forum_topic(GROUP, thread) is True
    assert forum.operator.topics()[thread].deleted and await forum.operator.topic(thread) == []
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await forum.bot.send_message(GROUP, "у видалену тему", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_ID_INVALID"):
        await forum.bot.close_forum_topic(GROUP, thread)


async def test_an_operator_writes_in_a_topic_and_the_bot_gets_it_with_the_thread(forum: Forum) -> None:
    thread = await forum.topic()

    async def echo(update: Update) -> None:
        m = update.message
        if m is not None and m.chat.id == GROUP:
            await forum.bot.send_message(GROUP, f"отримано: {m.text}", message_thread_id=m.message_thread_id)

    forum.react = echo
    seen = await forum.operator.send_text("Добрий день, Олено!", thread)
    assert seen.texts == ["отримано: Добрий день, Олено!"]
    message = forum.updates[-1].message
    assert message is not None and message.from_user is not None
    assert (message.chat.id, message.chat.type, message.chat.is_forum) == (GROUP, "supergroup", True)
    assert (message.message_thread_id, message.is_topic_message) == (thread, True)
    assert (message.from_user.id, message.from_user.first_name) == (501, "Оксана")
    created = (
        message.reply_to_message
    )  # a message in a topic answers the topic's creation, as Telegram sends it
    assert created is not None and created.forum_topic_created is not None and created.message_id == thread

    seen = await forum.operator.command("/t 41-11", thread)
    command = forum.updates[-1].message
    assert command is not None and command.text == "/t 41-11" and command.message_thread_id == thread
    assert command.entities is not None and command.entities[0].type == "bot_command"
    assert seen.text == "отримано: /t 41-11"
    assert [m.text for m in await forum.operator.topic(thread) if not m.from_bot] == [
        "Добрий день, Олено!",
        "/t 41-11",
    ]

    forum.react = None  # the bot says nothing: the operator is done once the bot has fetched the message
    seen = await forum.operator.send_text("ще одне", thread)
    assert seen.texts == [] and forum.updates[-1].message is not None


async def test_a_button_pressed_in_the_group_carries_the_group_and_thread(forum: Forum) -> None:
    thread = await forum.topic()
    card = await forum.bot.send_message(
        GROUP, "Звернення № 7", message_thread_id=thread, reply_markup=card_buttons()
    )

    async def take(update: Update) -> None:
        query = update.callback_query
        if query is not None:
            assert await forum.bot.answer_callback_query(query.id, "Ви взяли звернення") is True
            await forum.bot.edit_message_text(f"Звернення № 7 — взяла {query.from_user.first_name}",
                                              chat_id=GROUP, message_id=card.message_id)  # fmt: skip
            await forum.bot.send_message(GROUP, "Нове повідомлення", message_thread_id=thread)

    forum.react = take
    seen = await forum.operator.press("ho:take:7")
    assert seen.texts == ["Звернення № 7 — взяла Оксана", "Нове повідомлення"]
    query = forum.updates[-1].callback_query
    assert query is not None and query.data == "ho:take:7" and query.message is not None
    assert (query.message.chat.id, query.message.chat.type, query.message.message_id) == (
        GROUP,
        "supergroup",
        card.message_id,
    )
    assert getattr(query.message, "message_thread_id", None) == thread

    # The message after a callback shares the callback's id in the emulator: deleting it deletes the message.
    newest = (await forum.operator.topic(thread))[-1]
    assert await forum.bot.delete_message(GROUP, newest.message_id) is True
    assert newest.message_id not in [m.message_id for m in await forum.operator.topic(thread)]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await forum.bot.delete_message(GROUP, newest.message_id)


async def test_a_topic_deleted_by_hand_refuses_everything(forum: Forum) -> None:
    thread = await forum.topic()
    card = await forum.bot.send_message(
        GROUP, "Звернення № 7", message_thread_id=thread, reply_markup=card_buttons()
    )
    photo = await forum.bot.send_photo(GROUP, "https://example.org/a.jpg", message_thread_id=thread)
    await forum.operator.delete_topic(thread)
    assert forum.operator.topics()[thread].deleted and await forum.operator.topic(thread) == []
    assert forum.updates == []  # Telegram tells the bot nothing
    refused = [
        forum.bot.send_message(GROUP, "ще тут?", message_thread_id=thread),
        forum.bot.copy_message(GROUP, GROUP, photo.message_id, message_thread_id=thread),
        forum.bot.send_photo(GROUP, "https://example.org/b.jpg", message_thread_id=thread),
        forum.bot.send_document(GROUP, "https://example.org/c.pdf", message_thread_id=thread),
    ]
    for call in refused:
        with pytest.raises(TelegramBadRequest, match="message thread not found"):
            await call
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await forum.bot.edit_message_text("взято", chat_id=GROUP, message_id=card.message_id)
    assert (await forum.bot.create_forum_topic(GROUP, "№ 7 · знову")).message_thread_id > thread


async def test_a_topic_closed_by_hand_tells_the_bot(forum: Forum) -> None:
    thread = await forum.topic()
    await forum.operator.close_topic(thread)
    await until(lambda: bool(forum.updates))
    message = forum.updates[-1].message
    assert message is not None and message.forum_topic_closed is not None and message.from_user is not None
    assert (message.message_thread_id, message.is_topic_message, message.from_user.id) == (thread, True, 501)
    assert forum.operator.topics()[thread].closed
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await forum.bot.send_message(GROUP, "у закриту тему", message_thread_id=thread)
    forum.adapter.refuse_closed_topics = False  # an admin bot that Telegram lets through
    await forum.bot.send_message(GROUP, "у закриту тему", message_thread_id=thread)
    await forum.operator.reopen_topic(thread)
    await until(lambda: len(forum.updates) == 2)
    assert (
        forum.updates[-1].message is not None and forum.updates[-1].message.forum_topic_reopened is not None
    )
    assert not forum.operator.topics()[thread].closed


async def test_copies_carry_photos_between_a_citizen_and_a_topic(forum: Forum) -> None:
    thread = await forum.topic()

    async def relay(update: Update) -> None:
        m = update.message
        if m is None:
            return
        if m.chat.type == "private":
            copy = await forum.bot.copy_message(GROUP, m.chat.id, m.message_id, message_thread_id=thread)
            assert copy.message_id > m.message_id
            await forum.bot.send_message(m.chat.id, "Передано оператору")
        elif m.message_thread_id == thread:
            await forum.bot.copy_message(forum.citizen.user_id, GROUP, m.message_id)

    forum.react = relay
    seen = await forum.citizen.send_photo("Ось мій паспорт")
    assert seen.texts == ["Передано оператору"]
    copied = await forum.operator.wait_for(lambda m: m.media == "photo", thread)
    sent = forum.updates[-1].message
    assert sent is not None and sent.photo is not None
    assert (copied.text, copied.file_id, copied.from_bot) == ("Ось мій паспорт", sent.photo[-1].file_id, True)
    await forum.citizen.send_document(file_name="довідка.pdf")
    copied = await forum.operator.wait_for(lambda m: m.media == "document", thread)
    assert copied.raw["document"]["file_name"] == "довідка.pdf"

    await forum.operator.send_photo(thread, caption="Зразок заяви")
    assert [m["caption"] for m in forum.operator.elsewhere] == [
        "Зразок заяви"
    ]  # the copy in the citizen's chat
    at_citizen = (await forum.citizen.history())[-1]["message"]
    assert at_citizen["photo"][0]["file_id"].startswith("operator-photo-")

    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await forum.bot.copy_message(GROUP, forum.citizen.user_id, 999_999, message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="can't be copied"):
        await forum.bot.copy_message(forum.citizen.user_id, GROUP, thread)  # the topic's service message


async def test_photos_and_documents_by_url_file_id_and_upload(forum: Forum) -> None:
    thread = await forum.topic()
    by_url = await forum.bot.send_photo(GROUP, "https://example.org/queue.jpg", caption="Черга",
                                        message_thread_id=thread, reply_markup=card_buttons())  # fmt: skip
    assert by_url.photo is not None and by_url.caption == "Черга" and by_url.message_thread_id == thread
    again = await forum.bot.send_photo(forum.citizen.user_id, by_url.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_id == by_url.photo[-1].file_id
    assert again.chat.type == "private"
    upload = BufferedInputFile(b"%PDF-1.4 test", filename="zayava.pdf")
    doc = await forum.bot.send_document(GROUP, upload, caption="Бланк", message_thread_id=thread)
    assert doc.document is not None and doc.document.file_name == "zayava.pdf"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await forum.bot.send_document(GROUP, "no-such-file-id", message_thread_id=thread)

    shown = [(m.media, m.text, m.buttons) for m in await forum.operator.topic(thread) if m.media]
    assert shown == [("photo", "Черга", card_buttons_seen()), ("document", "Бланк", [])]
    file = await forum.bot.get_file(doc.document.file_id)
    assert file.file_path is not None
    downloaded = await forum.bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"%PDF-1.4 test"

    async def thank(update: Update) -> None:
        await forum.bot.send_message(GROUP, "Фото отримано", message_thread_id=thread)

    forum.react = thank
    assert (await forum.operator.send_photo(thread)).texts == ["Фото отримано"]
    operator_photo = forum.updates[-1].message
    assert operator_photo is not None and operator_photo.photo is not None
    data = await forum.bot.download(operator_photo.photo[-1].file_id)
    assert data is not None and data.read().startswith(b"\x89PNG operator photo")


def card_buttons_seen() -> list[tuple[str, str]]:
    return [(b.text, b.callback_data or "") for row in card_buttons().inline_keyboard for b in row]
