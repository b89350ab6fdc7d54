"""Tickets: a citizen handed to a hotline operator. The row is the truth for the queue, the operator group's
topic and the statistics (wait, handle time, rating).

Life of a ticket: `waiting` (in the queue; a `live` ticket holds the citizen, a `question` left out of hours does
not) → `open` (an operator took it) → `closed` (by the operator, the citizen, idleness, or /forget), or back to
`waiting` when an operator passes it on. Every change of status is one conditional UPDATE, so two operators (or
two bot processes) pressing «Взяти» at once give the ticket to exactly one of them. A citizen has at most one
ticket that is not closed: a partial unique index, not a check followed by an insert. The rows and the names of
statuses are storage/tickets.py (importable from here too); this module is the repository and the hold cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.tickets import (
    ACTIVE,
    BY_CITIZEN,
    BY_OPERATOR,
    CLOSE_TOPIC,
    CLOSED,
    ERASE_TOPIC,
    FORGOTTEN,
    IDLE,
    LIVE,
    OPEN,
    OPERATORS,
    QUESTION,
    STATUSES,
    WAITING,
    OperatorBoard,
    Ticket,
    holds,
)

# The rows and names of storage/tickets.py are given here too: callers import them from here.
__all__ = [
    "ACTIVE", "BY_CITIZEN", "BY_OPERATOR", "CLOSED", "CLOSE_TOPIC", "ERASE_TOPIC", "FORGOTTEN", "IDLE", "LIVE",
    "OPEN", "OPERATORS", "QUESTION", "STATUSES", "WAITING", "HoldCache", "OperatorBoard", "Ticket", "Tickets",
    "holds",
]


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class HoldCache:
    """Which citizens a ticket holds, kept between units of work where they run one at a time (SQLite, like the
    citizen and booking caches), so a citizen's message needs no query to learn whether an operator has them.
    Emptied by any change to who is held (`Tickets` calls `changed`), a rolled-back unit of work, and another
    connection's commit (SQLite's data_version); then the next look reads the active tickets once."""

    def __init__(self) -> None:
        self.held: frozenset[int] | None = None

    def clear(self) -> None:
        self.held = None


class Tickets:
    """Ticket rows; never commits (the unit of work does)."""

    def __init__(self, session: AsyncSession, cache: HoldCache | None = None) -> None:
        self._s = session
        self._cache = cache

    def _changed(self) -> None:
        """Who is held may have changed: what is cached goes."""
        if self._cache is not None:
            self._cache.clear()

    async def holding(self, user_id: int) -> bool:
        """Whether a ticket holds the citizen (`holds`)."""
        if self._cache is None:
            return holds(await self.active_for(user_id))
        if self._cache.held is None:
            rows = await self._s.execute(select(Ticket).where(Ticket.status.in_(ACTIVE)))
            self._cache.held = frozenset(
                t.user_id for t in rows.scalars() if t.user_id is not None and holds(t)
            )
        return user_id in self._cache.held

    async def open(
        self,
        user: User,
        *,
        mode: str,
        priority_group: str | None,
        subject: str | None,
        name: str | None,
        now: dt.datetime,
        person: str | None = None,
    ) -> Ticket | None:
        """A new ticket, or None when the citizen (or the person, by a verified phone) already has one that is
        not closed (the unique indexes decide, so a double tap on two processes opens one)."""
        self._changed()
        ticket = Ticket(
            user_id=user.id,
            channel=user.channel,
            status=WAITING,
            mode=mode,
            priority=priority_group is not None,
            priority_group=priority_group,
            subject=subject,
            name=name,
            created_at=now,
            last_activity_at=now,
            citizen_lines=0,
            person=person,
        )
        try:
            async with self._s.begin_nested():
                self._s.add(ticket)
                await self._s.flush()
        except IntegrityError:
            return None
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self._s.get(Ticket, ticket_id, populate_existing=True)

    async def count(self, status: str) -> int:
        """How many tickets have this status (an indexed count: ix_tickets_status_created)."""
        found = await self._s.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == status))
        return int(found or 0)

    async def active_for(self, user_id: int) -> Ticket | None:
        query = select(Ticket).where(Ticket.user_id == user_id, Ticket.status.in_(ACTIVE))
        return (await self._s.execute(query)).scalars().first()

    async def active_for_person(self, person: str) -> Ticket | None:
        """The person's ticket that is not closed, on whichever channel or session they opened it."""
        query = select(Ticket).where(Ticket.person == person, Ticket.status.in_(ACTIVE))
        return (await self._s.execute(query)).scalars().first()

    async def by_topic(self, topic_id: int) -> Ticket | None:
        """The ticket a topic belongs to (the newest, should a topic id ever be reused)."""
        query = select(Ticket).where(Ticket.topic_id == topic_id).order_by(Ticket.id.desc()).limit(1)
        return (await self._s.execute(query)).scalars().first()

    async def ahead_of(self, ticket: Ticket) -> int:
        """How many waiting live tickets come before this one: priority first, then the oldest."""
        earlier = (Ticket.created_at < ticket.created_at) | (
            (Ticket.created_at == ticket.created_at) & (Ticket.id < ticket.id)
        )
        if ticket.priority:
            first = Ticket.priority.is_(True) & earlier
        else:
            first = Ticket.priority.is_(True) | earlier
        query = select(func.count()).where(
            Ticket.status == WAITING, Ticket.mode == LIVE, Ticket.id != ticket.id, first
        )
        return int((await self._s.execute(query)).scalar_one())

    async def queue(self) -> list[Ticket]:
        """The waiting tickets in the order operators should take them."""
        query = (
            select(Ticket)
            .where(Ticket.status == WAITING)
            .order_by(Ticket.mode, Ticket.priority.desc(), Ticket.created_at, Ticket.id)
        )
        return list((await self._s.execute(query)).scalars())

    async def taken(self) -> list[Ticket]:
        """The tickets an operator has open, the longest-held first (the console's inbox)."""
        query = select(Ticket).where(Ticket.status == OPEN).order_by(Ticket.taken_at, Ticket.id)
        return list((await self._s.execute(query)).scalars())

    async def take(self, ticket_id: int, operator_id: str, operator_name: str, now: dt.datetime) -> bool:
        """Give a waiting ticket to this operator; False when someone else has it or it is closed."""
        self._changed()
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == WAITING)
            .values(
                status=OPEN,
                operator_id=operator_id,
                operator_name=operator_name,
                taken_at=func.coalesce(Ticket.taken_at, now),
                last_activity_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def release(self, ticket_id: int, operator_id: str, now: dt.datetime) -> bool:
        """The operator who holds it passes it back to the queue."""
        self._changed()
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == OPEN, Ticket.operator_id == operator_id)
            .values(status=WAITING, operator_id=None, operator_name=None, last_activity_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def close(
        self, ticket_id: int, reason: str, now: dt.datetime, *, operator: tuple[str, str] | None = None
    ) -> bool:
        """Close a ticket that is not closed yet; True only for the call that closed it."""
        self._changed()
        values: dict[str, Any] = {"status": CLOSED, "closed_at": now, "close_reason": reason}
        if operator is not None:  # an operator closing a waiting ticket is its operator
            values["operator_id"] = func.coalesce(Ticket.operator_id, operator[0])
            values["operator_name"] = func.coalesce(Ticket.operator_name, operator[1])
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status != CLOSED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def touch(self, ticket_id: int, now: dt.datetime, *, by_citizen: bool = False) -> None:
        values: dict[str, Any] = {"last_activity_at": now}
        if by_citizen:
            values["citizen_lines"] = Ticket.citizen_lines + 1
        await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def set_priority(self, ticket_id: int, group: str) -> None:
        await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(priority=True, priority_group=group)
            .execution_options(synchronize_session=False)
        )

    async def set_topic(self, ticket_id: int, topic_id: int | None, *, was: int | None) -> bool:
        """Point the ticket at a (new) topic, only if it still points where the caller saw it: of two
        processes opening a topic for one ticket, one wins and the other deletes its own."""
        condition = Ticket.topic_id.is_(None) if was is None else Ticket.topic_id == was
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, condition)
            .values(topic_id=topic_id)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def offered(self, ticket_id: int, now: dt.datetime) -> bool:
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.offered_at.is_(None), Ticket.status == WAITING)
            .values(offered_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def to_question(self, ticket_id: int, now: dt.datetime) -> bool:
        """A live ticket nobody took becomes a question answered in working hours (the citizen is let go)."""
        self._changed()
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == WAITING, Ticket.mode == LIVE)
            .values(mode=QUESTION, last_activity_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def rate(self, ticket_id: int, user_id: int, rating: int) -> bool:
        """The citizen's rating of a closed ticket of theirs, once."""
        result = await self._s.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id,
                Ticket.user_id == user_id,
                Ticket.status == CLOSED,
                Ticket.rating.is_(None),
            )
            .values(rating=rating)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def comment(self, ticket_id: int, user_id: int, comment: str) -> bool:
        result = await self._s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.user_id == user_id, Ticket.status == CLOSED)
            .values(comment=comment)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def overdue(self, *, waited_since: dt.datetime, idle_since: dt.datetime) -> list[Ticket]:
        """Live tickets waiting since before `waited_since` that were not offered a callback yet, and tickets
        (open, or live and waiting) with nothing said since `idle_since`."""
        query = select(Ticket).where(
            or_(
                and_(
                    Ticket.status == WAITING,
                    Ticket.mode == LIVE,
                    Ticket.offered_at.is_(None),
                    Ticket.created_at <= waited_since,
                ),
                and_(
                    or_(Ticket.status == OPEN, and_(Ticket.status == WAITING, Ticket.mode == LIVE)),
                    Ticket.last_activity_at <= idle_since,
                ),
            )
        )
        return list((await self._s.execute(query.order_by(Ticket.id))).scalars())

    async def recent_waits(self, since: dt.datetime) -> list[dt.timedelta]:
        """How long the live tickets taken since `since` waited (the honest basis of an estimate)."""
        query = select(Ticket.created_at, Ticket.taken_at).where(
            Ticket.mode == LIVE, Ticket.taken_at.is_not(None), Ticket.taken_at >= since
        )
        return [taken - created for created, taken in (await self._s.execute(query)).all() if taken]

    async def operators_since(self, since: dt.datetime) -> int:
        """Operators who took or held a ticket lately: the ones on duty, as far as the bot can tell."""
        query = select(func.count(func.distinct(Ticket.operator_id))).where(
            Ticket.operator_id.is_not(None), Ticket.last_activity_at >= since
        )
        return int((await self._s.execute(query)).scalar_one())

    async def all(self, *, since: dt.datetime | None = None) -> list[Ticket]:
        query = select(Ticket).order_by(Ticket.id)
        if since is not None:
            query = query.where(Ticket.created_at >= since)
        return list((await self._s.execute(query)).scalars())

    async def erase_personal(self, user_id: int, now: dt.datetime) -> list[int]:
        """/forget: the citizen's open tickets are closed and every ticket of theirs loses what is personal
        (name, comment, the link to them); the anonymous figures stay. Returns the ids closed now."""
        self._changed()
        closing = list(
            (
                await self._s.execute(
                    select(Ticket.id).where(Ticket.user_id == user_id, Ticket.status.in_(ACTIVE))
                )
            ).scalars()
        )
        for ticket_id in closing:
            await self.close(ticket_id, FORGOTTEN, now)
        await self._s.execute(
            update(Ticket)
            .where(Ticket.user_id == user_id)
            .values(user_id=None, name=None, comment=None, person=None)
            .execution_options(synchronize_session=False)
        )
        return closing

    # --- the group's queue message ------------------------------------------------------------------------

    async def board(self, chat_id: int) -> OperatorBoard | None:
        return await self._s.get(OperatorBoard, chat_id, populate_existing=True)

    async def board_posted(self, chat_id: int, message_id: int, shown: str, now: dt.datetime) -> bool:
        """Record a newly posted queue message; False when another process recorded one first."""
        try:
            async with self._s.begin_nested():
                self._s.add(OperatorBoard(chat_id=chat_id, message_id=message_id, shown=shown, updated_at=now))
                await self._s.flush()
        except IntegrityError:
            return False
        return True

    async def board_shown(self, chat_id: int, message_id: int, shown: str, now: dt.datetime) -> None:
        await self._s.execute(
            update(OperatorBoard)
            .where(OperatorBoard.chat_id == chat_id, OperatorBoard.message_id == message_id)
            .values(shown=shown, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def board_gone(self, chat_id: int, message_id: int) -> None:
        """The queue message was deleted by hand: the next refresh posts a new one."""
        await self._s.execute(
            delete(OperatorBoard).where(OperatorBoard.chat_id == chat_id, OperatorBoard.message_id == message_id)
        )

    async def purge_before(self, cutoff: dt.datetime) -> int:
        """Closed tickets older than the statistics need."""
        self._changed()
        result = await self._s.execute(
            delete(Ticket).where(Ticket.status == CLOSED, Ticket.closed_at < cutoff)
        )
        return _rowcount(result)
