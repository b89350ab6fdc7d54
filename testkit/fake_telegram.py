"""A fake aiogram session: records every Bot API call, answers like Telegram, never touches a network."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageText,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message

from testkit.clocks import TEST_NOW


class FakeSession(BaseSession):
    """`fail_next` holds exceptions to raise on the next calls (429, 403, …), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.fail_next: list[Exception] = []
        self._ids = itertools.count(1)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if isinstance(method, SendMessage):
            chat = Chat(id=int(method.chat_id), type="private")
            return Message(
                message_id=next(self._ids), date=TEST_NOW, chat=chat, text=method.text
            )  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery | EditMessageText | SetMyCommands | DeleteMessage):
            return True  # type: ignore[return-value]
        raise AssertionError(f"unexpected Bot API call in a unit test: {type(method).__name__}")

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:  # fmt: skip
        raise AssertionError("unit tests never download anything")
        yield b""  # pragma: no cover

    async def close(self) -> None:
        return None

    def sent(self) -> list[SendMessage]:
        return [c for c in self.calls if isinstance(c, SendMessage)]
