"""The dialog engine: an incoming message in, replies out; state in the database, no messenger SDK."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from dialogs import texts
from dialogs.cards import PREFIX as CARD_DIALOG
from dialogs.cards import packages, with_cards
from dialogs.checklist import worth_asking
from dialogs.flood import NOTICE as FLOOD_NOTICE
from dialogs.flood import FloodGate, FloodLimiter, Verdict
from dialogs.locks import KeyedLocks, Locks
from dialogs.messages import MAX_PAYLOAD_BYTES, Button, Incoming, Reply
from dialogs.payloads import Action, Payload, pack
from dialogs.redact import redact as redact  # the message log's masking, importable from here as before
from dialogs.rooms import Room, Rooms, Turn
from dialogs.scenario import UNKNOWN, Scenario, StepKind, next_step
from dialogs.views import CARD, OPEN, Views
from dialogs.words import (
    BACK_WORDS,
    FILLER_WORDS,
    FORGET_WORDS,
    HELP_WORDS,
    INTENT_WORDS,
    MENU_WORDS,
    NO_WORDS,
    UNKNOWN_WORDS,
    YES_WORDS,
)
from knowledge.loader import Knowledge
from knowledge.schema import Option
from knowledge.search import SearchHit, SearchIndex
from knowledge.text import clean
from knowledge.understand import CONFIDENT_SCORE, Facet, Intent, Understander, Understanding
from storage.clock import Clock
from storage.models import DialogState, User
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

MAX_TEXT = 500  # longer messages are read only this far
MISSES_BEFORE_HOTLINE = 2
FACET_SCORE = 0.75  # a facet question with no single clear service answers for each service found this well
# last_seen_at and a dialog's updated_at are kept to this precision (or finer, for a short STALE_SESSION)
SEEN_GRANULARITY = dt.timedelta(minutes=5)


def _logged(message: Incoming) -> str:
    """What the message log keeps of an incoming message: bounded, personal numbers masked, no shared contact."""
    if message.contact_shared:
        return "[контакт не збережено]"
    if message.text is not None:
        return redact(message.text[:MAX_TEXT])
    return f"[{(message.payload or '')[:MAX_PAYLOAD_BYTES]}]"


class Engine:
    """Walks citizens through scenarios and service cards; one call per incoming message."""

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
        locks: Locks | None = None,
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
        self._worth: dict[tuple[str, str, frozenset[tuple[str, str]]], bool] = {}
        self._uow = uow_factory
        self._stale_after = stale_after
        self._touch_every = min(SEEN_GRANULARITY, stale_after / 12)
        self._clock = clock or uow_factory.clock  # the units of work's, unless a test sets another
        # One step per citizen at a time; channels that open their own unit of work hold it too. With several
        # processes a shared implementation (bot/shared.py) orders them across processes as well.
        self.locks: Locks = KeyedLocks() if locks is None else locks

    async def handle(self, message: Incoming) -> list[Reply]:
        """Process one message in its own unit of work and return the replies to send."""
        async with self.locks.hold(f"{message.channel}:{message.user_id}"), self._uow() as uow:
            return await self.handle_in(uow, message)

    async def handle_in(self, uow: UnitOfWork, message: Incoming) -> list[Reply]:
        """Process one message inside the caller's unit of work (a channel middleware opened it, holding
        `self.locks` for the citizen)."""
        forget = message.payload == pack(Action.FORGET, "yes")
        verdict = await self.flood.verdict(message.channel, message.user_id, forget=forget)
        if verdict is not Verdict.PROCESS:  # too many too fast: never processed, nothing read or written
            return [Reply(FLOOD_NOTICE)] if verdict is Verdict.NOTICE else []
        user, state = await uow.users.with_state(message.channel, message.user_id)
        if message.payload == pack(Action.FORGET, "yes"):
            for owner in self.rooms:  # e.g. upcoming bookings are cancelled, their places freed
                await owner.forget(Turn(uow, user, state, message, self._clock()))
            await uow.outbox.forget(message.channel, message.user_id)  # notices not yet sent
            await uow.users.erase(
                user
            )  # everything about the citizen goes: state, log, bookings' personal data
            return [Reply(texts.FORGOTTEN, self._menu_rows())]
        now = self._clock()
        if now - user.last_seen_at > SEEN_GRANULARITY or not user.active:  # spare a write per message
            user.last_seen_at, user.active = now, True
        room = self.rooms.of_state(state)
        personal = message.text is not None and room is not None and room.personal(state)
        uow.messages.add(user.id, "in", texts.PERSONAL_NOT_LOGGED if personal else _logged(message))
        replies = await self._held(self.rooms.holder, Turn(uow, user, state, message, now))
        if replies is None:
            replies = await self._route(uow, user, state, message, now)
        for reply in replies:
            uow.messages.add(user.id, "out", reply.text, reply.buttons)
        if (
            now - state.updated_at > self._touch_every
        ):  # precise enough to tell a stale dialog; spares a write
            state.updated_at = now
        return replies

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

    def parse(self, raw: str) -> Payload | None:
        """A button payload this engine knows (its own prefixes and its rooms'), or None."""
        return self.rooms.parse(raw)

    async def _route(
        self, uow: UnitOfWork, user: User, state: DialogState, message: Incoming, now: dt.datetime
    ) -> list[Reply]:
        payload = self.rooms.parse(message.payload) if message.payload is not None else None
        if message.payload is not None and payload is None:
            return self._unknown_button(state)
        if state.scenario and now - state.updated_at > self._stale_after:
            # An unfinished dialog from long ago: its buttons restart politely; a typed question is still answered.
            if payload is None:
                self._reset(state)
                turn = Turn(uow, user, state, message, now)
                return [
                    Reply(texts.STALE_SESSION),
                    *await self._text(uow, user, state, message.text or "", turn),
                ]
            if payload.prefix in (
                Action.ANSWER,
                Action.NEXT,
                Action.BACK,
                Action.RESTART,
                Action.RESUME,
                Action.WORDING,
            ):
                return self._reset(state, texts.STALE_SESSION)
        room = self.rooms.of_state(state)
        if payload is not None and (owner := self.rooms.by_prefix.get(payload.prefix)) is not None:
            return await owner.button(Turn(uow, user, state, message, now), payload.args)
        if (
            room is not None and payload is None
        ):  # inside a room, typed text and shared contacts go to it first
            answer = await room.text(Turn(uow, user, state, message, now), message.text or "")
            if answer is not None:
                return answer
        if message.contact_shared:
            return [Reply(texts.CONTACT_NOT_NEEDED, self._menu_rows())]
        if payload is not None:
            return await self._button(uow, user, state, payload)
        return await self._text(uow, user, state, message.text or "", Turn(uow, user, state, message, now))

    # --- buttons -------------------------------------------------------------------------------

    async def _button(self, uow: UnitOfWork, user: User, state: DialogState, p: Payload) -> list[Reply]:
        a = p.args
        if p.prefix == Action.MENU:
            if not a:
                return self._reset(state)
            if a == ("sit",):
                return self.views.situations()
            if a == ("svc",):
                return self.views.services()
            if a == ("contacts",):
                return self.views.contacts()
            if len(a) == 2 and a[0] == "svc" and (group := self.views.service_group(a[1])):
                return group
        elif p.prefix == Action.SITUATION and len(a) == 1 and a[0] in self.scenarios:
            return await self._start(uow, user, state, self.scenarios[a[0]])
        elif p.prefix == Action.SERVICE and a and a[0] in self.kb.services:
            if len(a) == 1:  # a card opens as its own short dialog
                return await self._start(uow, user, state, self.scenarios[CARD_DIALOG + a[0]])
            if a[1] == CARD:  # back from a section: the card again, in place
                return self.views.service(a[0], replace=True)
            if a[1] == OPEN:  # the whole card from a checklist or a question: a new message, the place kept
                return self._resumable(state, self.views.service(a[0]))
            if len(a) == 2 and (replies := self.views.service_section(a[0], a[1])) and replies[0].text:
                return replies
        elif p.prefix == Action.ANSWER and len(a) == 3:
            return await self._answer(uow, user, state, a[0], a[1], a[2])
        elif p.prefix == Action.NEXT and len(a) == 2:
            sc = self.scenarios.get(state.scenario or "")
            step = sc.step(state.step or "") if sc else None
            if (a[0], a[1]) != (state.scenario, state.step) or step is None or step.kind != StepKind.INFO:
                return self._stale_button(state)  # «Далі» never skips a question
            return await self._advance(uow, user, state)
        elif p.prefix == Action.BACK and not a:
            return self._back(state)
        elif p.prefix == Action.RESTART and not a:
            if state.scenario in self.scenarios:
                return await self._start(uow, user, state, self.scenarios[state.scenario])
            return self._reset(state)
        elif p.prefix == Action.FORGET and not a:
            return self.views.forget_confirm()
        elif p.prefix == Action.FORGET and a == ("no",):
            return [Reply(texts.NOT_FORGOTTEN), *(self._current(state) or self.views.main_menu())]
        elif p.prefix == Action.RESUME and not a:
            return self._current(state) or self._reset(state)
        elif p.prefix == Action.WORDING and not a:
            sc = self.scenarios.get(state.scenario or "")
            step = sc.step(state.step or "") if sc else None
            if sc and step and step.kind == StepKind.CHECKLIST:
                return self.views.wording(sc, state.answers)
            return self._stale_button(state)
        return self._unknown_button(state)

    def _unknown_button(self, state: DialogState) -> list[Reply]:
        """A button from an old message or an older version of the bot: say so, keep the citizen's place."""
        return [Reply(texts.UNKNOWN_BUTTON), *(self._current(state) or self.views.main_menu())]

    async def _start(self, uow: UnitOfWork, user: User, state: DialogState, sc: Scenario) -> list[Reply]:
        state.scenario, state.step, state.answers, state.history, state.misses = sc.id, sc.start, {}, [], 0
        if sc.card is not None:
            intro = self.views.card_intro(sc)
        else:
            situation = self.packages[sc.id]
            intro = Reply(f"**{situation.title}**\n{situation.summary}")
        return [intro, *await self._enter(uow, user, state)]

    async def _answer(
        self, uow: UnitOfWork, user: User, state: DialogState, sc_id: str, step_id: str, value: str
    ) -> list[Reply]:
        sc = self.scenarios.get(sc_id)
        step = sc.step(step_id) if sc else None
        if sc is None or step is None or (sc_id, step_id) != (state.scenario, state.step):
            return self._stale_button(state)
        question = self.kb.questions.get(step.question or "")
        allowed = (
            {o.value for o in question.options} | ({UNKNOWN} if question.allow_unknown else set())
            if question
            else set()
        )
        if value not in allowed:
            return self._stale_button(state)
        state.answers = {**state.answers, step.question or step.id: value}
        return await self._advance(uow, user, state)

    async def _advance(self, uow: UnitOfWork, user: User, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        target = next_step(step, state.answers) if step else None
        if target is None:
            return self._reset(state)
        state.history = [*state.history, state.step or ""]
        state.step = target
        return await self._enter(uow, user, state)

    async def _enter(self, uow: UnitOfWork, user: User, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        if sc is None or step is None:  # a scenario removed by a newer version of the bot
            return self._reset(state)
        for _ in sc.steps:  # a question that changes nothing, given the answers so far, is not asked
            if step.kind != StepKind.QUESTION or self._worth_asking(
                sc.id, step.id, tuple(state.answers.items())
            ):
                break
            target = next_step(step, state.answers)
            following = sc.step(target) if target else None
            if following is None:
                return self._reset(state)
            state.step, step = following.id, following
        return self.views.step(sc, step, state.answers, bool(state.history))

    def _worth_asking(self, sc_id: str, step_id: str, answers: tuple[tuple[str, str], ...]) -> bool:
        """`worth_asking`, remembered: a pure function of the data and the answers, asked on every step."""
        key = (sc_id, step_id, frozenset(answers))
        if (known := self._worth.get(key)) is None:
            sc = self.scenarios[sc_id]
            step = sc.step(step_id)
            known = step is None or worth_asking(self.kb, self.packages[sc_id], sc, step, dict(answers))
            if len(self._worth) >= 65536:
                self._worth.clear()
            self._worth[key] = known
        return known

    def _back(self, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        if sc is None or not state.history:
            return self._reset(state)
        *rest, previous = state.history
        step = sc.step(previous)
        state.history, state.step = rest, previous
        if step and step.question:
            state.answers = {k: v for k, v in state.answers.items() if k != step.question}
        return self._current(state) or self._reset(state)

    def _current(self, state: DialogState) -> list[Reply] | None:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        if sc is None or step is None:
            return None
        return self.views.step(sc, step, state.answers, bool(state.history))

    def _stale_button(self, state: DialogState) -> list[Reply]:
        current = self._current(state)
        if current is None:
            return self._reset(state, texts.STALE_BUTTON_NO_STEP)
        return [Reply(texts.STALE_BUTTON), *current]

    def _reset(self, state: DialogState, prefix: str = "") -> list[Reply]:
        state.scenario, state.step, state.answers, state.history = None, None, {}, []
        return self.views.main_menu(prefix)

    # --- free text -----------------------------------------------------------------------------

    async def _text(
        self, uow: UnitOfWork, user: User, state: DialogState, raw: str, turn: Turn
    ) -> list[Reply]:
        notice = [Reply(texts.TOO_LONG)] if len(raw) > MAX_TEXT else []
        text = " ".join(clean(raw[:MAX_TEXT]).split())
        words = text.strip(" .!?")
        if not any(ch.isalnum() for ch in text):
            current = self._current(state)  # keep the citizen where they were
            return (
                [Reply(texts.TEXT_ONLY), *current] if current else [Reply(texts.TEXT_ONLY, self._menu_rows())]
            )
        if words.startswith("/start "):
            arg = " ".join(raw.split())[7:].strip()  # as written: a room's token is case-sensitive
            for room in self.rooms:
                if (linked := await room.deep_link(turn, arg)) is not None:
                    return linked
            return await self._deep_link(uow, user, state, words[7:].strip()) or self._reset(state)
        if words in MENU_WORDS:
            return self._reset(state)
        if (command := self.rooms.by_command.get(words)) is not None:  # «/my»: a room's button
            owner, args = command
            return await owner.button(turn, args)
        if words in FORGET_WORDS:
            return self.views.forget_confirm()
        if (meant := INTENT_WORDS.get(words)) is not None:  # «оператор» with no room to take it
            return self._resumable(state, self._intent(meant, None))
        if words in HELP_WORDS:
            return [Reply(texts.HELP, self._menu_rows())]
        if words in BACK_WORDS:
            return self._back(state)
        if (value := self._answer_from_text(state, words)) is not None:
            return await self._answer(uow, user, state, state.scenario or "", state.step or "", value)
        understood = self.understander.understand(text, limit=5)
        if state.misses and (understood.hits or understood.intents):  # an unchanged value still costs a flush
            state.misses = 0
        if (answer := await self._typed(turn, understood)) is not None:
            return notice + answer
        state.misses += 1
        if state.misses >= MISSES_BEFORE_HOTLINE:
            state.misses = 0
            rows = (*self.rooms.lost_rows(), *self._menu_rows())  # e.g. a person can take it from here
            return [*notice, Reply(texts.GIVE_UP, rows)]
        return [*notice, Reply(texts.NOT_UNDERSTOOD, self._menu_rows())]

    async def _typed(self, turn: Turn, understood: Understanding) -> list[Reply] | None:
        """The answer to a typed question that is not an answer to the current question; None if none."""
        uow, user, state = turn.uow, turn.user, turn.state
        hit, facet, hits = understood.confident, understood.facet, understood.hits
        strong = [i for i in understood.intents if i not in (Intent.GREETING, Intent.THANKS)]
        if strong:  # what the citizen wants to do wins over a service the words also name
            room = self.rooms.by_intent.get(strong[0])
            if room is not None:
                return await room.intent(turn, strong[0], hit)
            return self._resumable(state, self._intent(strong[0], hit))
        if hit is not None:
            if facet not in (None, Facet.DOCS) and (service := self._service_of(hit, hits)):
                return self._resumable(state, self.views.facet(service, facet or ""))
            sc_id = CARD_DIALOG + hit.id if hit.kind == "service" else self._situation_scenario(hit.id)
            if self._current(state) is None and sc_id in self.scenarios:  # open it rather than list buttons
                return await self._start(uow, user, state, self.scenarios[sc_id])
        if facet not in (None, Facet.DOCS) and hit is None:  # «скільки коштує паспорт»: each service meant
            services = [h.id for h in hits if h.kind == "service" and h.score >= FACET_SCORE][:3]
            if services:
                return self._resumable(state, self.views.facets(services, facet or ""))
        if understood.intents and not hits:  # a greeting or thanks alone
            return self._resumable(state, self._intent(understood.intents[0], None))
        question = self._current_question(state)
        if question is not None and hit is None:  # only a clear match is worth leaving the question for
            return [Reply(texts.NOT_AN_ANSWER), *question]
        if hits:  # inside a dialog, listed with «continue», so the citizen's place is not lost
            return self.views.search_results(hits, resume=self._current(state) is not None)
        return None

    def _service_of(self, hit: SearchHit, hits: list[SearchHit]) -> str | None:
        """The service a facet question is about: the hit itself, or the best hit among a situation's services."""
        if hit.kind == "service":
            return hit.id
        bundled = {ref.service for ref in self.kb.situations[hit.id].services}
        return next(
            (h.id for h in hits if h.kind == "service" and h.id in bundled and h.score >= CONFIDENT_SCORE),
            None,
        )

    def _situation_scenario(self, situation_id: str) -> str:
        return next(
            (sc.id for sc in self.scenarios.values() if sc.situation == situation_id and not sc.card), ""
        )

    def _current_question(self, state: DialogState) -> list[Reply] | None:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        return self._current(state) if step is not None and step.kind == StepKind.QUESTION else None

    def _resumable(self, state: DialogState, replies: list[Reply]) -> list[Reply]:
        """Replies to a side question; inside a dialog the last one offers to continue where the citizen was."""
        if self._current(state) is None or not replies:
            return replies
        *rest, last = replies
        resume = ((Button(texts.RESUME, pack(Action.RESUME)),),)
        return [*rest, Reply(last.text, (*resume, *last.buttons), last.link)]

    def _intent(self, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        """An honest answer to what a citizen says that is not a service (greeting, contacts, a human, …);
        the service the words also name, if any, is one tap away (its term, for «when will it be ready»)."""
        if intent in (Intent.GREETING, Intent.THANKS):
            return [Reply(texts.GREETING if intent == Intent.GREETING else texts.THANKS, self._menu_rows())]
        if intent in (Intent.CONTACTS, Intent.HOURS, Intent.PHONES):
            return self.views.contacts(replace=False)
        service = self._service_of(hit, [hit]) if hit else None
        if intent == Intent.READY and service:
            term = self.views.facet(service, Facet.TERM)[0]
            return [Reply(f"{term.text}\n\n{texts.READY_CHECK}", term.buttons)]
        # A wish no room takes (none is wired for it): what the Center offers instead, and the way there.
        text, section = texts.NO_ROOM.get(intent, (texts.READY_TODAY, "svc"))
        way = pack(Action.MENU, section)
        label = texts.HOTLINE_BUTTON if section == "contacts" else texts.MENU_SERVICES
        rows: list[tuple[Button, ...]] = [(Button(label, way),)]
        if hit is not None and (button := self.views.hit_button(hit)) is not None:
            rows.insert(0, (button,))
        return [Reply(text, (*rows, (Button(texts.MENU, pack(Action.MENU)),)))]

    async def _deep_link(
        self, uow: UnitOfWork, user: User, state: DialogState, arg: str
    ) -> list[Reply] | None:
        """`/start card_41-11` opens a card, `/start situation_<id>` a life situation (QR codes, leaflets)."""
        kind, _, key = arg.partition("_")
        if kind == "card" and (service := self.kb.service_by_card(key)):
            return await self._start(uow, user, state, self.scenarios[CARD_DIALOG + service.id])
        if kind == "service" and key in self.kb.services:
            return await self._start(uow, user, state, self.scenarios[CARD_DIALOG + key])
        if kind == "situation" and key in self.scenarios:
            return await self._start(uow, user, state, self.scenarios[key])
        return None

    def _menu_rows(self) -> tuple[tuple[Button, ...], ...]:
        return self.views.main_menu()[0].buttons

    def _answer_from_text(self, state: DialogState, words: str) -> str | None:
        """A typed answer to the current question («так», «не знаю», or an option's label)."""
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        question = (
            self.kb.questions.get(step.question or "") if step and step.kind == StepKind.QUESTION else None
        )
        if question is None:
            return None
        if words in UNKNOWN_WORDS and question.allow_unknown:
            return UNKNOWN
        best = max(question.options, key=lambda o: fuzz.ratio(words, clean(o.label)))
        if fuzz.ratio(words, clean(best.label)) >= 85:
            return best.value
        return _by_words(question.options, words)


def _label_words(label: str) -> list[str]:
    return [w for w in re.split(r"[^\w'’]+", clean(label)) if w]


def _by_words(options: list[Option], words: str) -> str | None:
    """The one option whose label the typed words point to: «так» → «Так, обоє», «обоє» → «Так, обоє»,
    «один» → «Ні, лише один». None when no option, or more than one, fits."""
    typed = [w for w in re.split(r"[^\w'’]+", words) if w and w not in FILLER_WORDS]
    if not typed or len(typed) > 4:
        return None
    fits = []
    for option in options:
        label = _label_words(option.label)
        first_yes = bool(label) and label[0] in YES_WORDS
        first_no = bool(label) and label[0] in NO_WORDS
        if all(
            (w in YES_WORDS and first_yes)
            or (w in NO_WORDS and first_no)
            or any(fuzz.ratio(w, lw) >= 85 for lw in label if len(lw) > 2)
            for w in typed
        ):
            fits.append(option.value)
    return fits[0] if len(fits) == 1 else None
