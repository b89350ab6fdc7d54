"""The rows of the operator handoff: a ticket (a citizen handed to a hotline operator, with its statuses, modes and
reasons of closing), the operator group's queue message, and `holds` (whether a ticket holds its citizen).
The repository over them is storage/handoff.py, which also gives these names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime

WAITING = "waiting"
OPEN = "open"
CLOSED = "closed"
STATUSES = (WAITING, OPEN, CLOSED)
ACTIVE = (WAITING, OPEN)

OPERATORS = "operators"  # the outbox channel of the operator group (external id: the ticket id)
ERASE_TOPIC = "erase"  # the attachment kind of an outbox row that deletes a ticket's topic
CLOSE_TOPIC = "close"  # the attachment kind of a topic's last line: posted, then the topic is closed

LIVE = "live"  # asked within the hotline's hours: the citizen waits in the chat
QUESTION = "question"  # left for the next working hours: answered on the citizen's channel

# Why a ticket was closed.
BY_OPERATOR = "operator"
BY_CITIZEN = "citizen"
IDLE = "idle"
FORGOTTEN = "forgotten"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_topic_id", "topic_id"),
        Index("ix_tickets_user_id", "user_id"),
        # One ticket that is not closed per citizen: the database refuses a second one.
        Index(
            "uq_tickets_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        # And one per person (a verified phone), whatever the channel or session (migration 0012).
        Index(
            "uq_tickets_active_person",
            "person",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # NULL once the citizen asked to be forgotten: the ticket stays as an anonymous statistic.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default=WAITING)
    mode: Mapped[str] = mapped_column(String(8), default=LIVE)
    priority: Mapped[bool] = mapped_column(default=False)
    priority_group: Mapped[str | None] = mapped_column(String(24), default=None)
    subject: Mapped[str | None] = mapped_column(
        String(48), default=None
    )  # the situation or service on screen
    name: Mapped[str | None] = mapped_column(
        String(64), default=None
    )  # the citizen's display name (personal)
    topic_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the operator group's forum topic
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)  # callback offer sent
    operator_id: Mapped[str | None] = mapped_column(String(24), default=None)
    operator_name: Mapped[str | None] = mapped_column(String(64), default=None)
    close_reason: Mapped[str | None] = mapped_column(String(12), default=None)
    citizen_lines: Mapped[int] = mapped_column(Integer, default=0)  # messages the citizen sent in it
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    # The person (storage/people.py) of a citizen with a verified phone: one open ticket per person.
    person: Mapped[str | None] = mapped_column(String(32), default=None, index=True)


class OperatorBoard(Base):
    """The operator group's one queue message (handlers/telegram/operators.py `QueueBoard`): which message it is
    and what it shows (a digest), shared by every bot process and kept across restarts (migration 0012)."""

    __tablename__ = "operator_boards"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger)
    shown: Mapped[str] = mapped_column(String(64))  # sha256 of the text and buttons it shows
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def holds(ticket: Ticket | None) -> bool:
    """Whether a citizen's active ticket holds them (the bot stays silent and relays): a live ticket waiting for
    an operator, or any ticket an operator has open. The one place this fact lives (migration 0009)."""
    return ticket is not None and (
        ticket.status == OPEN or (ticket.status == WAITING and ticket.mode == LIVE)
    )
