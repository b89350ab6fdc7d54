"""The citizen's side of the operator handoff, a room of the engine (dialogs.rooms): payloads `o:…`, the OPERATOR
intent, `/operator`. While a ticket holds the citizen (storage.handoff.holds), every message comes here
first: it is relayed to the ticket's topic and the bot says nothing of its own, except what a citizen must know
(how to end the conversation, what could not be passed on)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from dialogs import texts as common
from dialogs.handoff import rules, texts
from dialogs.handoff.service import END_ROW, PREFIX, HandoffService, rating_buttons
from dialogs.messages import Button, Reply
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack, parse, payload_id
from dialogs.redact import redact
from dialogs.rooms import QuietRoom, Row, Turn
from dialogs.typed import tokens, yes_no
from dialogs.words import MENU_WORDS
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.handoff import BY_CITIZEN, FORGOTTEN, LIVE, OPEN, QUESTION, WAITING, Ticket, holds
from storage.models import DialogState

NAME = "operator"
QUESTION_STEP = "question"
COMMENT_STEP = "comment"  # comment:<ticket id>
MENU = (Button(common.MENU, pack(Action.MENU)),)
DECLARED = "declared"  # the priority group of a citizen who said so in the queue
NO_COMMENT_WORDS = 3  # «ні, дякую» after a rating is no comment, a longer «ні …» is one
# Tickets opened from one web address (the client behind a trusted proxy) in a window: an office or a family
# behind one address asks a few times an hour; a script with fresh sessions is refused politely after that.
TICKETS_PER_ADDRESS = 10
TICKET_WINDOW = dt.timedelta(hours=1)
CALLBACK_STEMS = ("передзвон", "перетелефон", "перезвон", "зателефонуйте мені", "позвоните мне")


def _b(text: str, *args: str) -> Button:
    return Button(text, pack(PREFIX, *args))


class Buttons:
    """The payloads of this room's buttons that other rooms show (dialogs.events.HandoffButtons)."""

    def operator(self) -> str:
        return pack(PREFIX)


BUTTONS = Buttons()


class HandoffRoom(QuietRoom):
    """Asking for a person, waiting in the queue, talking to an operator, ending and rating."""

    prefix = PREFIX
    name = NAME
    intents = frozenset({Intent.OPERATOR})
    holds = True
    commands: ClassVar[dict[str, tuple[str, ...]]] = {
        "/operator": (),
        "оператор": (),
        "оператора": (),
        "живий оператор": (),
        "живой оператор": (),
        "людина": (),
    }

    def __init__(self, service: HandoffService) -> None:
        self.handoff = service

    # --- its buttons elsewhere ------------------------------------------------------------------------

    def lost_rows(self) -> tuple[Row, ...]:
        """Not understood twice: a person can take it from here."""
        return ((_b(texts.OPERATOR_BUTTON),),)

    async def holding(self, turn: Turn) -> bool:
        """Held while a live ticket waits for an operator or one is open: the ticket says it."""
        return await turn.uow.tickets.holding(turn.user.id)

    def personal(self, state: DialogState) -> bool:
        return state.scenario == NAME and (state.step or "").startswith(COMMENT_STEP)

    async def forget(self, turn: Turn) -> None:
        """The citizen's ticket closes now; the erase that follows deletes its topic with what they said in it
        (storage.citizens.Users.erase queues that, for a retention purge too)."""
        ticket = await turn.uow.tickets.active_for(turn.user.id)
        if ticket is not None:
            await turn.uow.tickets.close(ticket.id, FORGOTTEN, turn.now)
        if self.handoff.kick is not None:
            turn.uow.after_commit(self.handoff.kick)

    # --- asking for a person ----------------------------------------------------------------------------

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        words = (turn.message.text or "").casefold()
        if any(stem in words for stem in CALLBACK_STEMS):  # «передзвоніть мені»: a callback, not a chat
            rows = (*self._callback_row(), (_b(texts.CHAT_INSTEAD),), MENU)
            return [Reply(texts.CALLBACK_OFFER, rows)]
        return await self._request(turn)

    async def _request(self, turn: Turn) -> list[Reply]:
        uow, user, now = turn.uow, turn.user, turn.now
        if not self.handoff.enabled:
            return [Reply(texts.UNAVAILABLE, (*self._callback_row(), MENU))]
        ticket = await self.handoff.existing(uow, user)
        if ticket is not None:
            return await self._already(turn, ticket)
        if not await self.handoff.is_open(uow, now):
            opening = await self.handoff.next_opening(uow, now)
            text = texts.CLOSED_HOURS.format(when=texts.when(opening, now))
            offer = ((*self._callback(), _b(texts.LEAVE_QUESTION, "q")), MENU)
            return [Reply(text, offer)]
        if not await self._address_allows(turn):
            return [Reply(texts.TOO_MANY_TICKETS, (*self._callback_row(), MENU))]
        ticket = await self.handoff.open(uow, user, turn.state, mode=LIVE, name=turn.message.name, now=now)
        if ticket is None:  # opened meanwhile (a double tap on another process, the person elsewhere)
            ticket = await self.handoff.existing(uow, user)
            return await self._already(turn, ticket) if ticket else []
        place, minutes = await self.handoff.place(uow, ticket, now)
        rows: tuple[tuple[Button, ...], ...] = (END_ROW,)
        if not ticket.priority:
            rows = ((_b(texts.PRIORITY, "p"),), END_ROW)
        return [Reply(texts.QUEUED.format(place=place, minutes=minutes), rows)]

    async def _address_allows(self, turn: Turn) -> bool:
        """A web client's address (the peer, or X-Forwarded-For from a trusted proxy) opens at most
        TICKETS_PER_ADDRESS tickets a TICKET_WINDOW; messengers carry no address (an account is the limit)."""
        origin = turn.message.origin
        if origin is None:
            return True
        people = turn.uow.people
        return await people.allow(people.client(origin), "ticket", TICKETS_PER_ADDRESS, TICKET_WINDOW)

    def _callback(self) -> tuple[Button, ...]:
        """The booking room's hotline callback, the one way out of the queue (when booking is wired)."""
        booking = self.handoff.booking
        return (Button(texts.CALLBACK, booking.callback()),) if booking is not None else ()

    def _callback_row(self) -> tuple[tuple[Button, ...], ...]:
        return (row,) if (row := self._callback()) else ()

    async def _already(self, turn: Turn, ticket: Ticket) -> list[Reply]:
        if ticket.user_id != turn.user.id:  # the same person on another channel or session
            channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
            return [Reply(texts.ELSEWHERE.format(channel=channel), (MENU,))]
        if ticket.status == OPEN:  # an open ticket holds the citizen (an answered question too)
            return [Reply(texts.WITH_OPERATOR, (END_ROW,))]
        if ticket.mode == QUESTION:
            return [Reply(texts.QUESTION_LEFT.format(when=""), (MENU,))]
        place, minutes = await self.handoff.place(turn.uow, ticket, turn.now)
        return [Reply(texts.QUEUED_AGAIN.format(place=place, minutes=minutes), (END_ROW,))]

    # --- buttons ------------------------------------------------------------------------------------------

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        verb, *rest = args or ("",)
        if verb == "":
            return await self._request(turn)
        if verb == "end":
            return await self._end(turn)
        if verb == "q":
            return await self._leave_question(turn)
        if verb == "wait":
            ticket = await turn.uow.tickets.active_for(turn.user.id)
            if ticket is None:
                return await self._request(turn)
            await turn.uow.tickets.touch(ticket.id, turn.now)  # choosing to wait is not going quiet
            return await self._already(turn, ticket)
        if verb == "p":
            return await self._priority(turn)
        if (
            verb == "r"
            and len(rest) == 2
            and (ticket_id := payload_id(rest[0])) is not None
            and (rating := payload_id(rest[1])) is not None
        ):
            return await self._rate(turn, ticket_id, rating)
        if verb == "skip":
            self._leave(turn.state)
            return [Reply(texts.COMMENT_THANKS, (MENU,))]
        return [Reply(common.STALE_BUTTON_NO_STEP, (MENU,))]

    async def _end(self, turn: Turn) -> list[Reply]:
        ticket = await turn.uow.tickets.active_for(turn.user.id)
        if ticket is None or not await self.handoff.close(turn.uow, ticket, BY_CITIZEN, turn.now):
            return [Reply(texts.NOT_ENDED, (MENU,))]
        await self.handoff.closing_line(turn.uow, ticket, texts.OP_CITIZEN_ENDED)
        return [Reply(texts.ENDED_BY_CITIZEN, (*rating_buttons(ticket.id), MENU))]

    async def _leave_question(self, turn: Turn) -> list[Reply]:
        """Out of hours, or nobody free: a waiting ticket becomes a question (what was written stays with it);
        without one, the citizen writes the question first."""
        ticket = await turn.uow.tickets.active_for(turn.user.id)
        if ticket is not None and ticket.status == WAITING:
            if ticket.mode == LIVE and await turn.uow.tickets.to_question(ticket.id, turn.now):  # let go
                channel = texts.CHANNELS.get(ticket.channel, ticket.channel)
                await self.handoff.to_operators(
                    turn.uow, ticket, Reply(texts.OP_QUESTION.format(channel=channel))
                )
            return [Reply(texts.QUESTION_LEFT.format(when=await self._when(turn)), (MENU,))]
        if ticket is not None:
            return await self._already(turn, ticket)
        turn.state.scenario, turn.state.step = NAME, QUESTION_STEP
        return [Reply(texts.ASK_QUESTION, ((_b(common.MENU.replace("🏠 ", "❌ "), "skip"),),))]

    async def _when(self, turn: Turn) -> str:
        if await self.handoff.is_open(turn.uow, turn.now):
            return ""
        return texts.when(await self.handoff.next_opening(turn.uow, turn.now), turn.now)

    async def _priority(self, turn: Turn) -> list[Reply]:
        ticket = await turn.uow.tickets.active_for(turn.user.id)
        if ticket is None or ticket.status != WAITING:
            return [Reply(common.STALE_BUTTON_NO_STEP, (END_ROW,) if ticket else (MENU,))]
        if not ticket.priority:
            await turn.uow.tickets.set_priority(ticket.id, DECLARED)
            ticket.priority, ticket.priority_group = True, DECLARED
            turn.user.veteran = True
            await self.handoff.to_operators(
                turn.uow, ticket, Reply(texts.OP_PRIORITY.format(group="так (зі слів громадянина)"))
            )
        place, _ = await self.handoff.place(turn.uow, ticket, turn.now)
        return [Reply(texts.PRIORITY_NOTED.format(place=place), (END_ROW,))]

    async def _rate(self, turn: Turn, ticket_id: int, rating: int) -> list[Reply]:
        if rating not in rules.RATINGS:
            return [Reply(common.STALE_BUTTON_NO_STEP, (MENU,))]
        if not await turn.uow.tickets.rate(ticket_id, turn.user.id, rating):
            ticket = await turn.uow.tickets.get(ticket_id)
            mine = ticket is not None and ticket.user_id == turn.user.id and ticket.rating is not None
            return [Reply(texts.RATED_ALREADY if mine else common.STALE_BUTTON_NO_STEP, (MENU,))]
        if await self.holding(
            turn
        ):  # an older ticket rated mid-conversation: what follows is for the operator
            return [Reply(texts.RATED, (END_ROW,))]
        turn.state.scenario, turn.state.step = NAME, f"{COMMENT_STEP}:{ticket_id}"
        return [Reply(texts.RATE_THANKS, ((_b(texts.SKIP, "skip"),), MENU))]

    # --- typed text -----------------------------------------------------------------------------------------

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        ticket = await turn.uow.tickets.active_for(turn.user.id)
        if holds(ticket):
            assert ticket is not None
            return await self._held(turn, text, ticket)
        state = turn.state
        if state.scenario != NAME or turn.message.payload is not None:
            return None
        if state.step == QUESTION_STEP:
            return await self._question(turn, text)
        if (state.step or "").startswith(COMMENT_STEP + ":"):
            ticket_id = (state.step or "").partition(":")[2]
            self._leave(state)
            if len(tokens(text)) <= NO_COMMENT_WORDS and yes_no(text) is False:  # «ні», «не треба»: skip
                turn.note(Kind.ANSWER, "operator:comment")
                return [Reply(texts.COMMENT_THANKS, (MENU,))]
            if ticket_id.isdigit() and text.strip():
                comment = redact(" ".join(text.split())[: rules.MAX_COMMENT])
                await turn.uow.tickets.comment(int(ticket_id), turn.user.id, comment)
            return [Reply(texts.COMMENT_THANKS, (MENU,))]
        return None

    async def _question(self, turn: Turn, text: str) -> list[Reply]:
        message = turn.message
        if not text.strip() and message.attachment is None:
            return [Reply(texts.ASK_QUESTION)]
        self._leave(turn.state)
        ticket = await self.handoff.existing(turn.uow, turn.user)
        if ticket is not None and ticket.user_id != turn.user.id:
            return await self._already(turn, ticket)
        if ticket is None:
            if not await self._address_allows(turn):
                return [Reply(texts.TOO_MANY_TICKETS, (*self._callback_row(), MENU))]
            ticket = await self.handoff.open(
                turn.uow, turn.user, turn.state, mode=QUESTION, name=message.name, now=turn.now
            )
            ticket = ticket or await self.handoff.existing(turn.uow, turn.user)
        if ticket is None or ticket.user_id != turn.user.id:
            return await self._already(turn, ticket) if ticket else [Reply(texts.UNAVAILABLE, (MENU,))]
        note = await self.handoff.from_citizen(
            turn.uow, ticket, turn.user, text=text, attachment=message.attachment,
            contact=message.contact_shared, now=turn.now,
        )  # fmt: skip
        answer = texts.QUESTION_LEFT.format(when=await self._when(turn))
        return [Reply(f"{note}\n\n{answer}" if note else answer, (MENU,))]

    async def _held(self, turn: Turn, text: str, ticket: Ticket) -> list[Reply] | None:
        """A message from a citizen an operator holds (or who waits for one)."""
        uow, user, message = turn.uow, turn.user, turn.message
        if message.payload is not None:
            if parse(message.payload, {PREFIX}) is not None:
                return None  # its own buttons: «Завершити розмову», the rating, the priority
            callback = self.handoff.booking.callback() if self.handoff.booking is not None else None
            if message.payload == callback and ticket.status == WAITING:
                # A callback instead of waiting: the ticket ends, the booking room takes it from here.
                if await uow.tickets.close(ticket.id, "callback", turn.now):  # the citizen is let go
                    await self.handoff.closing_line(uow, ticket, texts.OP_CALLBACK)
                return None
            return [Reply(self._reminder(ticket), (END_ROW,))]
        words = " ".join(text.lower().split()).strip(" .!?")
        if message.text is not None and words in MENU_WORDS:
            return [Reply(self._reminder(ticket), (END_ROW,))]
        if message.text is not None and words in self.commands:  # asked again: where they stand
            return await self._already(turn, ticket)
        first = ticket.status == WAITING and ticket.citizen_lines == 0
        note = await self.handoff.from_citizen(
            uow, ticket, user, text=message.text, attachment=message.attachment,
            contact=message.contact_shared, now=turn.now,
        )  # fmt: skip
        if note is not None:
            return [Reply(note, (END_ROW,))]
        return [Reply(texts.PASSED_ON, (END_ROW,))] if first else []

    @staticmethod
    def _reminder(ticket: Ticket) -> str:
        return texts.IN_CONVERSATION if ticket.status == OPEN else texts.IN_QUEUE

    @staticmethod
    def _leave(state: DialogState) -> None:
        if state.scenario == NAME:
            state.scenario, state.step = None, None
