"""The dialog engine: an incoming message in, replies out; state in the database, no messenger SDK.

One turn per message: flood control, the citizen and their dialog state, the message log, then routing — a
room that holds the citizen, a room's button, typed text inside a room, the engine's own buttons
(dialogs.runner) or typed text (dialogs.reading). The engine names no room: it asks the registry
(dialogs.rooms)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from dialogs import focus, offices, texts
from dialogs.cards import packages, with_cards
from dialogs.context import TurnContext
from dialogs.flood import NOTICE as FLOOD_NOTICE
from dialogs.flood import FloodGate, FloodLimiter, Verdict
from dialogs.messages import MAX_PAYLOAD_BYTES, Incoming, Reply
from dialogs.outcome import Kind, Outcome, OutcomeObserver
from dialogs.payloads import Action, Payload, pack
from dialogs.reading import MAX_TEXT, Reader
from dialogs.redact import redact as redact  # the message log's masking, importable from here as before
from dialogs.rooms import Room, Rooms, Turn
from dialogs.runner import Runner
from dialogs.scenario import Scenario
from dialogs.turns import Turns as _Turns
from dialogs.views import Views
from dialogs.words import FORGET_WORDS
from knowledge.loader import Knowledge
from knowledge.search import SearchIndex
from knowledge.text import clean
from knowledge.understand import Understander
from storage.clock import Clock
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

# last_seen_at and a dialog's updated_at are kept to this precision (or finer, for a short STALE_SESSION)
SEEN_GRANULARITY = dt.timedelta(minutes=5)
# A stale dialog's step buttons restart politely; the others (menus, cards, rooms) still work.
STEP_BUTTONS = (Action.ANSWER, Action.NEXT, Action.BACK, Action.RESTART, Action.RESUME, Action.WORDING)


def _logged(message: Incoming) -> str:
    """What the message log keeps of an incoming message: bounded, personal numbers masked, no shared contact."""
    if message.contact_shared:
        return "[контакт не збережено]"
    if message.text is not None:
        return redact(message.text[:MAX_TEXT])
    return f"[{(message.payload or '')[:MAX_PAYLOAD_BYTES]}]"


class Engine:
    """Walks citizens through scenarios, service cards and rooms; one call per incoming message."""

    def __init__(
        self,
        kb: Knowledge,
        index: SearchIndex,
        scenarios: dict[str, Scenario],
        uow_factory: UowFactory,
        *,
        martial_law: bool = True,
        stale_after: dt.timedelta = dt.timedelta(hours=24),
        clock: Clock | None = None,
        understander: Understander | None = None,
        rooms: Sequence[Room] = (),
        flood: FloodGate | None = None,
        observers: Sequence[OutcomeObserver] = (),
        contexts: Sequence[TurnContext] = (),
    ) -> None:
        self.kb = kb
        # Per-citizen flood control, asked first (one process's own, or shared through bot/shared.py).
        self.flood: FloodGate = FloodLimiter() if flood is None else flood
        self.index = index
        self.scenarios = with_cards(kb, scenarios)  # the life situations' and one per service card
        self.packages = packages(kb, self.scenarios)
        self.rooms = Rooms(rooms)  # checked here: prefixes, names, intents and commands each owned once
        self.views = Views(kb, self.scenarios, self.packages, martial_law, self.rooms)
        self.understander = understander or Understander(index, kb)
        self.runner = Runner(kb, self.scenarios, self.packages, self.views)
        self.reader = Reader(self.runner, self.rooms, self.understander)
        self._uow = uow_factory
        self._stale_after = stale_after
        self._touch_every = min(SEEN_GRANULARITY, stale_after / 12)
        self._clock = clock or uow_factory.clock  # the units of work's, unless a test sets another
        self.observers = list(observers)  # hear what each message turned out to be (dialogs/outcome.py)
        self.contexts = list(contexts)  # what the world says around an answer (dialogs/context.py)
        # Tests' and benchmarks' convenience (`handle`): turns of their own, with locks of their own. The
        # bot's channels and workers go through the composition root's pipeline (bot/app.py), never this.
        self._turns = _Turns(self, uow_factory)

    async def handle(self, message: Incoming) -> list[Reply]:
        """One message through a whole turn (dialogs/turns.py) of this engine's own; the replies to send."""
        return await self._turns.take(message) or []

    async def handle_in(self, uow: UnitOfWork, message: Incoming) -> list[Reply]:
        """Process one message inside the caller's unit of work (a turn opened it, holding the citizen's lock;
        dialogs/turns.py)."""
        forget = message.payload == pack(Action.FORGET, "yes")
        verdict = await self.flood.verdict(message.channel, message.user_id, forget=forget)
        if verdict is not Verdict.PROCESS:  # too many too fast: never processed, nothing read or written
            return [Reply(FLOOD_NOTICE)] if verdict is Verdict.NOTICE else []
        await offices.refresh(uow)  # the offices as staff set them, for this turn (dialogs/offices.py)
        for context in self.contexts:
            await context.refresh(uow)
        user, state = await uow.users.with_state(message.channel, message.user_id)
        if forget:
            for owner in self.rooms:  # e.g. upcoming bookings are cancelled, their places freed
                await owner.forget(Turn(uow, user, state, message, self._clock()))
            await uow.outbox.forget(message.channel, message.user_id)  # notices not yet sent
            await uow.users.erase(
                user
            )  # everything about the citizen goes: state, log, bookings' personal data
            return [Reply(texts.FORGOTTEN, self.runner.menu_rows())]
        now = self._clock()
        if now - user.last_seen_at > SEEN_GRANULARITY or not user.active:  # spare a write per message
            user.last_seen_at, user.active = now, True
        room = self.rooms.of_state(state)
        personal = message.text is not None and room is not None and room.personal(state)
        uow.messages.add(user.id, "in", texts.PERSONAL_NOT_LOGGED if personal else _logged(message))
        turn = Turn(uow, user, state, message, now)
        replies = await self._held(self.rooms.holder, turn)
        if replies is None:
            replies = await self._route(turn)
            if turn.then is not None:  # a room handed the turn on: its payload is pressed for the citizen
                pressed = Incoming(message.channel, message.user_id, payload=turn.then)
                replies = [*replies, *await self._route(Turn(uow, user, state, pressed, now))]
        for context in self.contexts:
            replies = context.around(turn, replies)
        for reply in replies:
            uow.messages.add(user.id, "out", reply.text, reply.buttons)
        self._record(turn, personal)
        if (
            now - state.updated_at > self._touch_every
        ):  # precise enough to tell a stale dialog; spares a write
            state.updated_at = now
        return replies

    def _record(self, turn: Turn, personal: bool) -> None:
        """Tell the observers what the message turned out to be; keep what the bot could not answer (masked,
        with no citizen identifier) for the Center."""
        message, outcome = turn.message, turn.outcome
        if outcome is None and message.payload is not None:
            outcome = Outcome(Kind.BUTTON, message.payload.split(":", 1)[0])
        if outcome is None:
            return
        if outcome.kind in (Kind.MISS, Kind.REASK) and message.text and not personal:
            state = turn.state
            context = outcome.target or (f"{state.scenario}:{state.step}" if state.scenario else state.focus)
            turn.uow.unanswered.add(outcome.kind.value, _logged(message), message.channel, context)
        turn.uow.consultations.add(message.channel, outcome.kind.value, outcome.target)  # statistics, no id
        for observer in self.observers:
            observer.understood(message.channel, outcome)

    def parse(self, raw: str) -> Payload | None:
        """A button payload this engine knows (its own prefixes and its rooms'), or None."""
        return self.rooms.parse(raw)

    async def _held(self, holder: Room | None, turn: Turn) -> list[Reply] | None:
        """A citizen a room holds (an operator's conversation): that room gets the message first (a wish to be
        forgotten is the engine's own). None: route it as usual."""
        message = turn.message
        if holder is None or not await holder.holding(turn):
            return None
        if message.payload is not None and message.payload.split(":", 1)[0] == Action.FORGET:
            return None
        if message.text is not None and clean(message.text).strip(" .!?") in FORGET_WORDS:
            return None
        return await holder.text(turn, message.text or "")

    async def _route(self, turn: Turn) -> list[Reply]:
        state, message, run = turn.state, turn.message, self.runner
        focus.expire(state, turn.now, self._stale_after)  # the focus goes with a stale session
        payload = self.rooms.parse(message.payload) if message.payload is not None else None
        if message.payload is not None and payload is None:
            return run.unknown_button(state)
        if state.scenario and turn.now - state.updated_at > self._stale_after:
            # An unfinished dialog from long ago: its buttons restart politely; a typed question is still answered.
            if payload is None:
                run.reset(state)
                return [Reply(texts.STALE_SESSION), *await self.reader.read(turn, message.text or "")]
            if payload.prefix in STEP_BUTTONS:
                return run.reset(state, texts.STALE_SESSION)
        if payload is not None and (owner := self.rooms.by_prefix.get(payload.prefix)) is not None:
            return await owner.button(turn, payload.args)
        room = self.rooms.of_state(state)
        if (
            room is not None and payload is None
        ):  # inside a room, typed text and shared contacts go to it first
            answer = await room.text(turn, message.text or "")
            if answer is not None:
                return answer
        if message.contact_shared:
            return [Reply(texts.CONTACT_NOT_NEEDED, run.menu_rows())]
        if payload is not None:
            return run.press(state, payload)
        return await self.reader.read(turn, message.text or "")
