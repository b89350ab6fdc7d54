"""The operator group: a Telegram supergroup with forum topics, one topic per ticket an operator took.

A waiting ticket costs the group no message of its own: `QueueBoard` keeps ONE message in the group's General
topic listing the queue with a «Взяти» per ticket, edited in place when the queue changes (at most once per run
of the outbox's group lane, so a flood of tickets is a few edits, not a topic each). The topic of a ticket opens
when an operator takes it.

`operators_router` translates what operators do there into `OperatorEvent`s for the desk (dialogs.handoff.desk)
and posts the desk's lines in the topic; `TopicPoster` is how anything reaches a ticket's topic (the outbox's
channel `operators`): it opens the topic with the context card on the first line of a taken ticket, and opens a
new one when the old was deleted or closed by hand, so a citizen is never lost with their topic.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from functools import partial

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from dialogs.handoff.desk import Desk, OperatorEvent
from dialogs.handoff.service import HandoffService
from dialogs.handoff.texts import CHANNELS
from dialogs.messages import Reply
from handlers.telegram.render import OutMessage, render
from handlers.telegram.routers import attachment
from handlers.telegram.sender import TelegramSender
from storage.clock import Clock
from storage.handoff import CLOSE_TOPIC as CLOSE
from storage.handoff import ERASE_TOPIC as ERASE
from storage.handoff import OPEN, WAITING
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

TOPIC_GONE = ("thread not found", "topic_deleted", "topic_closed", "topic not found", "message thread")
TITLE_CHARS = 128  # Telegram's limit for a topic's name


def _gone(exc: TelegramBadRequest) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in TOPIC_GONE)


class InChat(Filter):
    """Updates from one chat only (a coroutine: aiogram would run a plain callable in a thread)."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.id == self.chat_id


class TopicPoster:
    """Posts a ticket's lines in its forum topic; the outbox's sender for the channel `operators`."""

    def __init__(
        self,
        sender: TelegramSender,
        chat_id: int,
        uows: UowFactory,
        service: HandoffService,
    ) -> None:
        self.sender = sender
        self.chat_id = chat_id
        self._uows = uows
        self.handoff = service
        self._clock = uows.clock
        self._locks: dict[str, asyncio.Lock] = {}

    async def send(self, ticket_id: str, reply: Reply) -> bool:
        """Deliver one line (an empty one only makes sure the topic exists); True when it is in the topic.
        Lines of one ticket go one at a time, in order."""
        lock = self._locks.setdefault(ticket_id, asyncio.Lock())
        async with lock:
            delivered = await self._send(int(ticket_id), reply)
        if len(self._locks) > 1000:
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return delivered

    async def _send(self, ticket_id: int, reply: Reply) -> bool:
        kind = reply.attachment.kind if reply.attachment is not None else None
        if kind == ERASE:
            return await self._erase(ticket_id)
        if kind == CLOSE:  # the ticket ended on the citizen's side or by the sweep: a last line, then closed
            reply = Reply(reply.text)
        for _ in range(2):  # once more in a new topic if the old one is gone
            topic = await self._topic(ticket_id)
            if topic is None:  # a ticket that ended before anyone took it: nothing to post (the row goes)
                return await self._untaken(ticket_id)
            try:
                posted = await self._post(topic, reply)
            except TelegramBadRequest as exc:
                if not _gone(exc):
                    log.warning("the operator group refused a line of ticket %s (%s)", ticket_id, exc)
                    return False
                log.info("ticket %s: its topic is gone; opening a new one", ticket_id)
                async with self._uows() as uow:
                    await uow.tickets.set_topic(ticket_id, None, was=topic)
                continue
            if posted and kind == CLOSE:
                await self.close(topic)
            return posted
        return False

    async def _post(self, topic: int, reply: Reply) -> bool:
        if reply.attachment is not None:
            caption = reply.text[:1000] or None
            return await self.sender.send_attachment(
                self.chat_id, reply.attachment, thread=topic, caption=caption
            )
        if not reply.text:
            return True
        for part in render(reply):
            sent = await self.sender.call(self.chat_id, partial(self._send_part, part, topic))
            if sent is None:
                return False
        return True

    async def _send_part(self, part: OutMessage, topic: int) -> Message:
        return await self.sender.bot.send_message(
            self.chat_id, part.text, parse_mode="HTML", reply_markup=part.keyboard, message_thread_id=topic
        )

    async def _topic(self, ticket_id: int) -> int | None:
        """The ticket's topic, opened (with its context card) if it has none."""
        async with self._uows() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                return None
            if ticket.topic_id is not None:
                return ticket.topic_id
            if ticket.status != OPEN:  # never taken: it was a line of the queue message, not a topic
                return None
            channel = CHANNELS.get(ticket.channel, ticket.channel)
            title = f"№{ticket.id} · {channel} · {ticket.name or 'без імені'}"[:TITLE_CHARS]
            card = await self.handoff.context_card(uow, ticket_id, self._clock())
        created = await self.sender.call(
            self.chat_id, lambda: self.sender.bot.create_forum_topic(self.chat_id, title)
        )
        if created is None:
            return None
        topic = created.message_thread_id
        async with self._uows() as uow:
            won = await uow.tickets.set_topic(ticket_id, topic, was=None)
            if not won:  # another process opened one first: ours goes
                ticket = await uow.tickets.get(ticket_id)
                theirs = ticket.topic_id if ticket else None
        if not won:
            await self._delete(topic)
            return theirs
        if card is not None:
            await self._post(topic, card)
        return topic

    async def _untaken(self, ticket_id: int) -> bool:
        """True (the line is done with) when the ticket is gone or ended without a topic; False (tried again
        later) when it is waiting again, i.e. it changed between the outbox's look and now."""
        async with self._uows() as uow:
            ticket = await uow.tickets.get(ticket_id)
            return ticket is None or ticket.status != WAITING

    async def _erase(self, ticket_id: int) -> bool:
        """The citizen asked to be forgotten: their topic goes with everything said in it."""
        async with self._uows() as uow:
            ticket = await uow.tickets.get(ticket_id)
            topic = ticket.topic_id if ticket else None
            if topic is not None:
                await uow.tickets.set_topic(ticket_id, None, was=topic)
        if topic is not None:
            await self._delete(topic)
        return True

    async def _delete(self, topic: int) -> None:
        try:
            await self.sender.call(
                self.chat_id, lambda: self.sender.bot.delete_forum_topic(self.chat_id, topic)
            )
        except TelegramBadRequest as exc:
            log.info("could not delete a topic (%s)", exc)

    async def close(self, topic: int) -> None:
        try:
            await self.sender.call(
                self.chat_id, lambda: self.sender.bot.close_forum_topic(self.chat_id, topic)
            )
        except TelegramBadRequest as exc:
            log.info("could not close a topic (%s)", exc)

    async def reply(self, topic: int | None, replies: list[Reply]) -> None:
        """The desk's lines, in the topic they answer."""
        for reply in replies:
            try:
                if topic is None:
                    continue
                await self._post(topic, reply)
            except TelegramBadRequest as exc:
                log.info("could not answer in a topic (%s)", exc)


class QueueBoard:
    """The group's one message about the queue (`HandoffService.queue_board`), posted in the General topic and
    edited in place; `refresh` is the outbox group lane's `before`. Which message it is and what it shows live in
    the database (`Tickets.board`), so every bot process edits the same one and a restart keeps it; only a change
    of the queue costs a call, and the group's pace (TelegramSender) spaces those."""

    def __init__(self, sender: TelegramSender, chat_id: int, uows: UowFactory, service: HandoffService) -> None:
        self.sender = sender
        self.chat_id = chat_id
        self._uows = uows
        self.handoff = service
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            async with self._uows() as uow:
                board = await self.handoff.queue_board(uow)
                row = await uow.tickets.board(self.chat_id)
                known = (row.message_id, row.shown) if row is not None else None
            part = render(board)[0]
            keyboard = part.keyboard.model_dump_json() if part.keyboard is not None else ""
            shown = hashlib.sha256(f"{part.text}\n{keyboard}".encode()).hexdigest()
            if known is not None:
                if known[1] == shown:
                    return
                edited = await self._edit(known[0], part)
                if edited is None:  # Telegram did not answer: the next run tries again
                    return
                async with self._uows() as uow:
                    if edited:
                        await uow.tickets.board_shown(self.chat_id, known[0], shown, self._uows.clock())
                        return
                    await uow.tickets.board_gone(self.chat_id, known[0])
            await self._post(part, shown)

    async def _post(self, part: OutMessage, shown: str) -> None:
        sent = await self.sender.call(
            self.chat_id,
            lambda: self.sender.bot.send_message(
                self.chat_id, part.text, parse_mode="HTML", reply_markup=part.keyboard
            ),
        )
        if sent is None:
            return
        async with self._uows() as uow:
            won = await uow.tickets.board_posted(self.chat_id, sent.message_id, shown, self._uows.clock())
        if not won:  # another process posted one first: ours goes, theirs is edited from now on
            try:
                await self.sender.call(
                    self.chat_id, lambda: self.sender.bot.delete_message(self.chat_id, sent.message_id)
                )
            except TelegramBadRequest as exc:
                log.info("could not delete a second queue message (%s)", exc)

    async def _edit(self, message_id: int, part: OutMessage) -> bool | None:
        """The board edited in place: True; False when it is gone (deleted by hand: a new one is posted); None
        when Telegram did not answer."""
        try:
            edited = await self.sender.call(
                self.chat_id,
                lambda: self.sender.bot.edit_message_text(
                    text=part.text, chat_id=self.chat_id, message_id=message_id, parse_mode="HTML",
                    reply_markup=part.keyboard,  # type: ignore[arg-type]
                ),
            )
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                return True
            log.info("the queue message could not be edited (%s); posting a new one", exc)
            return False
        return None if edited is None else True


def _event(message: Message) -> OperatorEvent | None:
    person = message.from_user
    if person is None or person.is_bot:
        return None
    topic = message.message_thread_id if message.is_topic_message else None
    return OperatorEvent(
        operator_id=str(person.id),
        operator_name=person.first_name,
        topic_id=topic,
        text=message.text or message.caption,
        attachment=attachment(message),
        topic_closed=message.forum_topic_closed is not None,
    )


def operators_router(
    chat_id: int, desk: Desk, poster: TopicPoster, clock: Clock
) -> Router:
    """Only the operator group's updates; from anyone not on the operators' list nothing is done."""
    router = Router(name="operators")
    router.message.filter(InChat(chat_id))
    router.callback_query.filter(InChat(chat_id))

    @router.message()
    async def on_message(message: Message, uow: UnitOfWork) -> None:
        event = _event(message)
        if event is None or not desk.allowed(event.operator_id):
            return  # someone else in the group: ignored
        outcome = await desk.handle(uow, event, clock())
        topic = event.topic_id
        uow.after_commit(lambda: poster.reply(topic, outcome.replies))

    @router.callback_query()
    async def on_button(query: CallbackQuery, uow: UnitOfWork) -> None:
        message = query.message
        if (
            message is None
            or isinstance(message, InaccessibleMessage)
            or not desk.allowed(str(query.from_user.id))
        ):
            uow.after_commit(query.answer)
            return
        topic = message.message_thread_id
        event = OperatorEvent(
            str(query.from_user.id), query.from_user.first_name, topic, payload=query.data or ""
        )
        outcome = await desk.handle(uow, event, clock())
        if topic is None:  # the queue message: the answer is the button's toast, not a message in the group
            note = outcome.replies[0].text if outcome.replies else None
            uow.after_commit(lambda: query.answer(note))
            return

        async def after() -> None:
            await query.answer()
            await poster.reply(topic, outcome.replies)
            if outcome.close_topic and topic is not None:
                await poster.close(topic)

        uow.after_commit(after)

    return router
