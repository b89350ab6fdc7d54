"""Citizens and their dialog state: found or created in one round trip, cached between messages where units of work
run one at a time (SQLite), erased whole on /forget and after their retention. Repositories never commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict

from sqlalchemy import and_, bindparam, delete, exists, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.booking import ACTIVE as BOOKING_ACTIVE
from storage.booking import Booking, Bookings
from storage.clock import Clock
from storage.codes import PhoneCode
from storage.desk import Desk
from storage.handoff import CLOSED as TICKET_CLOSED
from storage.handoff import ERASE_TOPIC, OPERATORS, Ticket, Tickets
from storage.messages import MessageLogs
from storage.models import DialogState, MessageLog, ProcessedUpdate, User
from storage.outbox import OutboxRepo
from storage.people import VerifiedPhone
from storage.reminders import PENDING, SENDING, Reminder, Reminders
from storage.sqlite import SCRUB_AFTER_COMMIT
from storage.surveys import Surveys

log = logging.getLogger(__name__)

_USER_WITH_STATE = (
    select(User, DialogState)
    .outerjoin(DialogState, DialogState.user_id == User.id)
    .where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
)


CitizenKey = tuple[str, str]  # (channel, external_id)
WEB_CHANNEL = "web"  # an anonymous web chat session (handlers/web): its own, shorter retention
# Delivery keys that once held a Viber id, «<kind>:<id>:<timestamp>» (`Users.erase` deletes them).
LEGACY_KEY_KINDS = ("subscribed", "started")


class CitizenCache:
    """Citizens seen lately with their dialog state, kept between units of work: a dialog step then needs no
    query to find where the citizen is (bounded; least recently used first out).

    Valid only where one process owns the database and runs its units of work one at a time, which is how we use
    SQLite (`UnitOfWorkFactory(serialize=True)`); never with PostgreSQL, where several processes write. The objects
    are the ORM instances of the last unit of work, attached again to the next one's session. An entry is dropped
    whenever the database may differ from it: the unit of work that served it rolled back, or the row was changed
    by a statement rather than through the objects (`Users.erase`, `Users.deactivate`; code that adds such a
    statement must drop the entry too). All entries go when another connection has committed to the database
    (SQLite's data_version, checked as each unit of work starts), e.g. an administrator's edit."""

    def __init__(self, size: int = 5000) -> None:
        self._size = size
        self._entries: OrderedDict[CitizenKey, tuple[User, DialogState]] = OrderedDict()

    def get(self, key: CitizenKey) -> tuple[User, DialogState] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: CitizenKey, value: tuple[User, DialogState]) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def drop(self, key: CitizenKey) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Users:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        cache: CitizenCache | None = None,
        logs: MessageLogs | None = None,
        tickets: Tickets | None = None,
    ) -> None:
        self._s = session
        self._clock = clock
        self._tickets = tickets  # the unit of work's (its hold cache learns of the tickets an erase closes)
        self._cache = cache
        self._logs = logs
        self._served: list[CitizenKey] = []  # cache entries this unit of work used or made

    def forget_served(self) -> None:
        """The unit of work rolled back: what it served from or put in the cache may differ from the database."""
        if self._cache is not None:
            for key in self._served:
                self._cache.drop(key)
        self._served.clear()

    async def get(self, channel: str, external_id: str) -> User | None:
        return (
            await self._s.execute(
                select(User).where(User.channel == channel, User.external_id == external_id)
            )
        ).scalar_one_or_none()

    async def by_id(self, user_id: int) -> User | None:
        """The citizen with this id; None once erased."""
        return await self._s.get(User, user_id)

    async def recipients(self, user_ids: set[int]) -> dict[int, tuple[str, bool]]:
        """Each citizen's external id and whether they still take messages, by user id (the erased are absent)."""
        rows = await self._s.execute(
            select(User.id, User.external_id, User.active).where(User.id.in_(user_ids))
        )
        return {row.id: (row.external_id, bool(row.active)) for row in rows}

    async def is_active(self, user_id: int) -> bool | None:
        """Whether the citizen still takes messages; None once erased."""
        return await self._s.scalar(select(User.active).where(User.id == user_id))

    async def get_or_create(self, channel: str, external_id: str) -> User:
        """The citizen, created on first contact; a concurrent first contact is resolved by the unique key."""
        user = await self.get(channel, external_id)
        if user is not None:
            return user
        try:
            async with self._s.begin_nested():
                now = self._clock()
                user = User(channel=channel, external_id=external_id, created_at=now, last_seen_at=now)
                self._s.add(user)
                await self._s.flush()
                # Created together: whoever loses the race on the user loses it on the state too.
                self._s.add(DialogState(user_id=user.id, answers={}, history=[], misses=0, updated_at=now))
        except IntegrityError:
            user = await self.get(channel, external_id)
            assert user is not None
        return user

    async def with_state(self, channel: str, external_id: str) -> tuple[User, DialogState]:
        """The citizen and their dialog state in one round trip (none when cached); both created on first contact."""
        key = (channel, external_id)
        if self._cache is not None and (cached := self._cache.get(key)) is not None:
            self._served.append(key)
            if not (self._in_session(cached[0]) or self._in_session(cached[1])):  # no other copy loaded here
                self._s.add_all(cached)  # attached as they were last committed: no query
                return cached
            self._cache.drop(key)
        row = (
            await self._s.execute(_USER_WITH_STATE, {"channel": channel, "external_id": external_id})
        ).first()
        if row is not None and row[1] is not None:
            found = (row[0], row[1])
        else:
            user = row[0] if row is not None else await self.get_or_create(channel, external_id)
            found = (user, await DialogStates(self._s, self._clock).get(user.id))
        if self._cache is not None:
            self._served.append(key)
            self._cache.put(key, found)
        return found

    def _in_session(self, obj: object) -> bool:
        if not self._s.identity_map:  # the usual case: a fresh session
            return False
        key = inspect(obj).key
        return key is not None and key in self._s.identity_map

    async def erase(self, user: User) -> None:
        """Delete the citizen and, by cascade, their dialog state and message log. Their bookings stay as
        anonymous counts without personal data (their visits' scores too, without the comments); their monthly counts, reminders, verified phone, codes sent and the
        messages queued to them go. The per-person counts (storage/people.py) stay: they hold no number, and being
        forgotten must not give a fresh quota."""
        if self._cache is not None:
            self._cache.drop((user.channel, user.external_id))
        if self._logs is not None:
            self._logs.discard(user.id)
        # Explicitly, not by the foreign keys' ON DELETE: nothing depends on SQLite's foreign_keys pragma.
        await Surveys(self._s).erase(user.id)  # before the bookings lose their citizen
        await Desk(self._s, self._clock).erase_notes(user.id)  # staff's notes on their requests (before the link goes)
        await Bookings(self._s, self._clock).erase_personal(user.id)
        await OutboxRepo(self._s, self._clock).forget(user.channel, user.external_id)
        await Reminders(self._s, self._clock).erase(user.id)
        await self._erase_tickets(user.id)
        await self._s.execute(delete(VerifiedPhone).where(VerifiedPhone.user_id == user.id))
        await self._s.execute(delete(PhoneCode).where(PhoneCode.user_id == user.id))
        await self._s.execute(delete(MessageLog).where(MessageLog.user_id == user.id))
        await self._s.execute(delete(DialogState).where(DialogState.user_id == user.id))
        await self._erase_update_keys(user.channel, user.external_id)
        await self._s.delete(user)
        await self._scrub_after_commit()

    async def _erase_update_keys(self, channel: str, external_id: str) -> None:
        """Delivery keys that hold the citizen's id. Keys are made without ids now (handlers/viber/webhook.py);
        these went in before, a Viber subscribe or deep-link callback without a message_token: «subscribed:<id>:…»."""
        for kind in LEGACY_KEY_KINDS:
            prefix = f"{kind}:{external_id}:"
            await self._s.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.channel == channel,
                    ProcessedUpdate.key >= prefix,
                    ProcessedUpdate.key < prefix[:-1] + ";",  # the index's range of keys starting with prefix
                )
            )

    async def _scrub_after_commit(self) -> None:
        """On SQLite, leave no trace of the erased rows in the database files once this commits: the unit of
        work then truncates the WAL (`storage.sqlite.truncate_wal`). PostgreSQL keeps deleted rows as dead tuples
        until VACUUM and in its WAL until the segments are recycled; that is the database server's to manage."""
        if self._s.get_bind().dialect.name == "sqlite":
            self._s.info[SCRUB_AFTER_COMMIT] = True

    async def _erase_tickets(self, user_id: int) -> None:
        """Open tickets close; every ticket keeps only its anonymous figures; relays in flight go."""
        rows = (
            await self._s.execute(select(Ticket.id, Ticket.topic_id).where(Ticket.user_id == user_id))
        ).all()
        await (self._tickets or Tickets(self._s)).erase_personal(user_id, self._clock())
        outbox = OutboxRepo(self._s, self._clock)
        await outbox.forget_tickets([ticket for ticket, _ in rows])
        for ticket, topic in rows:
            if topic is not None:  # the operator group's topic goes with what the citizen said in it
                await outbox.add(OPERATORS, str(ticket), "", media={"kind": ERASE_TOPIC})

    async def expired(
        self, seen_before: dt.datetime, web_seen_before: dt.datetime, now: dt.datetime, limit: int
    ) -> list[User]:
        """Citizens whose retention is over (bot/maintenance.py erases them): last seen before `seen_before`, or
        `web_seen_before` for an anonymous web session, with nothing still ahead of them: no booking to come (nor
        a home visit not yet scheduled), no reminder to send, no ticket an operator has not closed (so no operator
        holding the conversation). Those wait until it is over."""
        lapsed = or_(
            and_(User.channel == WEB_CHANNEL, User.last_seen_at < web_seen_before),
            and_(User.channel != WEB_CHANNEL, User.last_seen_at < seen_before),
        )
        booking_ahead = exists().where(
            Booking.user_id == User.id,
            Booking.status.in_(BOOKING_ACTIVE),
            or_(Booking.start.is_(None), Booking.start > now),
        )
        reminder_ahead = exists().where(Reminder.user_id == User.id, Reminder.status.in_((PENDING, SENDING)))
        ticket_open = exists().where(Ticket.user_id == User.id, Ticket.status != TICKET_CLOSED)
        query = (
            select(User)
            .where(lapsed, ~booking_ahead, ~reminder_ahead, ~ticket_open)
            .order_by(User.id)
            .limit(limit)
        )
        return list((await self._s.execute(query)).scalars())

    async def deactivate(self, channel: str, external_id: str) -> None:
        """The citizen blocked the bot or unsubscribed: send them nothing until they write again."""
        if self._cache is not None:
            self._cache.drop((channel, external_id))
        await self._s.execute(
            update(User).where(User.channel == channel, User.external_id == external_id).values(active=False)
        )


class DialogStates:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def get(self, user_id: int) -> DialogState:
        """The user's state, a fresh empty one if they have none."""
        state = await self._s.get(DialogState, user_id)
        if state is None:
            state = DialogState(user_id=user_id, answers={}, history=[], misses=0, updated_at=self._clock())
            self._s.add(state)
        return state
