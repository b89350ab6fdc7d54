"""The outbox: messages to send to a citizen outside a conversation (a closed day, a reminder, an operator's relayed
line), and the repository bot/outbox.py sends them through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import JSON, BigInteger, Integer, String, Text, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock, system_clock
from storage.handoff import OPERATORS, WAITING, Ticket
from storage.models import Base, UTCDateTime


class Outbox(Base):
    """A message to send to a citizen outside a conversation (a closed day, a reminder); sent by a job."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # Button rows as the message log keeps them ([[{"text", "payload"} | {"text", "url"}]]), NULL for none.
    buttons: Mapped[list[list[dict[str, str]]] | None] = mapped_column(JSON(none_as_null=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An attachment to carry along (dialogs.messages.Attachment as a dict), NULL for none.
    media: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # Set on a message relayed between a citizen and the operators: it is deleted once sent, and with the
    # ticket's citizen on /forget.
    ticket_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)


class OutboxRepo:
    """Messages waiting to be sent (bot/outbox.py sends them); never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def add(
        self,
        channel: str,
        external_id: str,
        text: str,
        buttons: list[list[dict[str, str]]] | None = None,
        *,
        media: dict[str, str] | None = None,
        ticket_id: int | None = None,
    ) -> Outbox:
        message = Outbox(
            channel=channel,
            external_id=external_id,
            text=text,
            buttons=buttons or None,
            created_at=self._clock(),
            attempts=0,
            media=media,
            ticket_id=ticket_id,
        )
        self._s.add(message)
        await self._s.flush()
        return message

    async def due(
        self, limit: int = 50, max_attempts: int = 5, *, channels: Collection[str] | None = None
    ) -> list[Outbox]:
        """Unsent messages of these channels (all: None), oldest first (the lines of a conversation with an operator
        before the rest: an operator's reply never waits behind a closed day's hundreds of notices), that have not
        failed `max_attempts` times.
        A line for the operator group about a ticket still waiting in the queue without a topic is held: the
        group sees such a ticket only on its queue message until an operator takes it (then its lines go, in
        order). On PostgreSQL the rows are locked until the transaction ends and rows another sender holds are
        skipped: two processes never send the same message."""
        held = exists().where(
            Ticket.id == Outbox.ticket_id, Ticket.status == WAITING, Ticket.topic_id.is_(None)
        )
        query = (
            select(Outbox)
            .where(
                Outbox.sent_at.is_(None),
                Outbox.attempts < max_attempts,
                or_(Outbox.channel != OPERATORS, ~held),
            )
            .order_by(Outbox.ticket_id.is_(None), Outbox.id)  # a conversation's lines before bulk notices
            .limit(limit)
        )
        if channels is not None:
            query = query.where(Outbox.channel.in_(list(channels)))
        if self._s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await self._s.execute(query)).scalars())

    async def claim(self, id: int, now: dt.datetime, max_attempts: int) -> bool:
        """Take a due message for sending (marked sent now, one more attempt), unless another sender took it
        first or it has used up its attempts."""
        result = await self._s.execute(
            update(Outbox)
            .where(Outbox.id == id, Outbox.sent_at.is_(None), Outbox.attempts < max_attempts)
            .values(sent_at=now, attempts=Outbox.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def release(self, id: int) -> None:
        """A claimed message that was not delivered: due again (after its retry pause)."""
        await self._s.execute(
            update(Outbox)
            .where(Outbox.id == id)
            .values(sent_at=None)
            .execution_options(synchronize_session=False)
        )

    async def sent(self, id: int, now: dt.datetime) -> None:
        await self._s.execute(update(Outbox).where(Outbox.id == id).values(sent_at=now))

    async def failed(self, id: int) -> None:
        await self._s.execute(update(Outbox).where(Outbox.id == id).values(attempts=Outbox.attempts + 1))

    async def forget(self, channel: str, external_id: str) -> None:
        """/forget: messages to the citizen go, sent or not."""
        await self._s.execute(
            delete(Outbox).where(Outbox.channel == channel, Outbox.external_id == external_id)
        )

    async def forget_tickets(self, ticket_ids: list[int]) -> None:
        """/forget: what was being relayed about these tickets goes too."""
        if ticket_ids:
            await self._s.execute(delete(Outbox).where(Outbox.ticket_id.in_(ticket_ids)))

    async def drop(self, id: int) -> None:
        """A relayed message, once sent: nothing of it is kept."""
        await self._s.execute(delete(Outbox).where(Outbox.id == id))

    async def purge_sent_before(self, cutoff: dt.datetime) -> int:
        result = await self._s.execute(delete(Outbox).where(Outbox.sent_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
