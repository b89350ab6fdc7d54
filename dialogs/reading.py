"""Reading typed text: an answer to the question on screen, a command, a deep link, or a question for search.

What the citizen types is read in a fixed order: a `/start` link (a room's first, then a card's or situation's),
the menu, an intent's fixed words («оператор»), a room's command («/my»), forget, help, back, an answer to the
current question («так», «не знаю», a label), and last `knowledge.understand` (a room's intent, a facet, a
confident match that opens its dialog, search results).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable

from dialogs import focus, question, texts
from dialogs.answers import Answers
from dialogs.cards import PREFIX as CARD_DIALOG
from dialogs.focus import FOLLOW_INTENTS, FollowUps
from dialogs.messages import Button, Reply
from dialogs.office_answers import fit
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack
from dialogs.rooms import Rooms, Turn
from dialogs.runner import Runner
from dialogs.scenario import StepKind
from dialogs.words import (
    BACK_WORDS,
    FORGET_WORDS,
    HELP_WORDS,
    INTENT_WORDS,
    MENU_WORDS,
)
from knowledge.search import SearchHit
from knowledge.text import clean, reading_one, words
from knowledge.understand import CONFIDENT_MARGIN, CONFIDENT_SCORE, Facet, Intent, Understander, Understanding
from storage.models import DialogState

MAX_TEXT = 4000  # longer messages are read only this far (dialogs/question.py finds the question in them)
MISSES_BEFORE_HOTLINE = 2
# Facets whose answer about a named service is its card («які документи на єМалятко», «що таке єМалятко»).
NAMED_IS_CARD = (None, Facet.DOCS, Facet.ABOUT)
FACET_SCORE = 0.75  # a facet question with no single clear service answers for each service found this well
ALSO_CHARS = 400  # what the answers to the other facets of one question may add to the first's …
MAX_BOTH = 700  # … within this together (a reply to one question fits a phone's screen, ≈ 600)


class Reader:
    """Turns one typed message into replies, with the runner for the scenarios and the rooms for the rest."""

    def __init__(self, runner: Runner, rooms: Rooms, understander: Understander) -> None:
        self.runner = runner
        self.rooms = rooms
        self.understander = understander
        self.kb = runner.kb
        self.views = runner.views
        self.scenarios = runner.scenarios
        self.answers = Answers(self.kb, self.scenarios)
        self.follow = FollowUps(self.kb, self.views)  # follow-ups about the thing in focus

    async def read(self, turn: Turn, raw: str) -> list[Reply]:
        """The replies to typed text (never None: a miss says so, and twice offers a way out)."""
        with reading_one():  # the many readers below clean and split the same text once
            return await self._read(turn, raw)

    async def _read(self, turn: Turn, raw: str) -> list[Reply]:
        state, run = turn.state, self.runner
        notice = [Reply(texts.TOO_LONG)] if len(raw) > MAX_TEXT else []
        text = " ".join(clean(raw[:MAX_TEXT]).split())
        words = text.strip(" .!?")
        if not any(ch.isalnum() for ch in text):
            current = run.current(state)  # keep the citizen where they were
            return (
                [Reply(texts.TEXT_ONLY), *current] if current else [Reply(texts.TEXT_ONLY, run.menu_rows())]
            )
        if words.startswith("/start "):
            arg = " ".join(raw.split())[7:].strip()  # as written: a room's token is case-sensitive
            for room in self.rooms:
                if (linked := await room.deep_link(turn, arg)) is not None:
                    return linked
            return self._deep_link(state, words[7:].strip()) or run.reset(state)
        if words in MENU_WORDS:
            return run.reset(state)
        if (meant := INTENT_WORDS.get(words)) is not None:  # «оператор», «людина»: the room that takes it
            turn.note(Kind.INTENT, meant.value)
            if (taker := self.rooms.by_intent.get(meant)) is not None:
                return await taker.intent(turn, meant, None)
            return run.resumable(state, self.intent(meant, None))
        if (command := self.rooms.by_command.get(words)) is not None:  # «/my»: a room's button
            owner, args = command
            return await owner.button(turn, args)
        if words in FORGET_WORDS:
            turn.note(Kind.INTENT, Intent.FORGET.value)
            return self.views.forget_confirm()
        if words in HELP_WORDS:
            return [Reply(texts.HELP, run.menu_rows())]
        if words in BACK_WORDS:
            return run.back(state)
        if (typed := self.answers.read(state, words)) is not None:  # «так», «нема», «не заміжня», …
            turn.note(Kind.ANSWER, f"{state.scenario}:{state.step}")
            return run.take(state, typed.value, typed.settled)
        about = self.follow.focus(state)  # after «помер батько», «за скільки роблять свідоцтво» is about the death
        grief = about is not None and self.understander.guarded(about.kind, about.id)
        asked, understood = question.find(self.understander, text, about_death=grief)  # a long story: what asks
        if state.misses and (understood.hits or understood.intents):  # an unchanged value still costs a flush
            state.misses = 0
        if (answer := await self._typed(turn, understood, text, asked)) is not None:
            return notice + answer
        turn.note(Kind.MISS)
        state.misses += 1
        if state.misses >= MISSES_BEFORE_HOTLINE:
            state.misses = 0
            rows = (*self.rooms.lost_rows(), *run.menu_rows())  # e.g. a person can take it from here
            return [*notice, Reply(texts.GIVE_UP, rows)]
        return [*notice, Reply(texts.NOT_UNDERSTOOD, run.menu_rows())]

    async def _typed(
        self, turn: Turn, understood: Understanding, text: str = "", asked: str = ""
    ) -> list[Reply] | None:
        """The answer to a typed question that is not an answer to the current question; None if none.
        `text` is the whole message (facts it states settle questions), `asked` the part read as its question
        (a long message's question; the whole text when it is short)."""
        asked = asked or text
        state, run = turn.state, self.runner
        hit, facet, hits = understood.confident, understood.facet, understood.hits
        strong = [i for i in understood.intents if i not in (Intent.GREETING, Intent.THANKS)]
        if strong:  # what the citizen wants to do wins over a service the words also name
            turn.note(Kind.INTENT, strong[0].value)
            room = self.rooms.by_intent.get(strong[0])
            if hit is not None:  # «нагадайте подати на допомогу при народженні»: what follow-ups are about
                focus.put(state, focus.SERVICE if hit.kind == "service" else focus.SITUATION, hit.id)
                if hit.kind == "situation":
                    self.follow.opened(state, hit.id, hits)
            if room is not None:  # «записатися на єМалятко»: the service, not the situation «Народження»
                where = (state.scenario, state.step)
                taken = await room.intent(turn, strong[0], self._named_service(hit, hits))
                # a room that left the citizen in their scenario (a complaint, the home visit) answered on the
                # way: offer to continue there
                return run.resumable(state, taken) if (state.scenario, state.step) == where else taken
            if strong[0] in FOLLOW_INTENTS and (
                answer := await self.follow.intent(turn, strong[0], hit, text=asked, found=bool(hits))
            ):
                return run.resumable(state, answer)  # hours, address, phones, «ready» of what is in focus
            return run.resumable(state, self.intent(strong[0], hit))
        if hit is not None:
            if facet not in NAMED_IS_CARD and (service := self._service_of(hit, hits, facet)):
                turn.note(Kind.FACET, f"{facet}:{service}")
                focus.put(state, focus.SERVICE, service)
                views = self.views

                async def of_service(asked: Facet) -> list[Reply]:
                    return views.facet(service, asked)

                return run.resumable(state, await self._facets(turn, of_service, facet, understood.also))
            if facet not in NAMED_IS_CARD and hit.kind == "situation" and not self._free(state):
                focus.put(state, focus.SITUATION, hit.id)  # «а де зараз приймає Я-Ветеран» from inside a dialog
                return run.resumable(state, await self._facets(turn, self._follow(turn), facet, understood.also))
            sc_id = CARD_DIALOG + hit.id if hit.kind == "service" else self._situation_scenario(hit.id)
            if self._free(state) and sc_id in self.scenarios:  # open it rather than list buttons
                turn.note(Kind.CARD if hit.kind == "service" else Kind.SITUATION, hit.id)
                opened = run.start(state, self.scenarios[sc_id], self.answers.opening(sc_id, text))
                if hit.kind == "situation":
                    self.follow.opened(state, hit.id, hits)
                return opened
        if facet is not None and hit is None:  # «скільки коштує паспорт»: each service meant
            services = [h.id for h in hits if h.kind == "service" and h.score >= FACET_SCORE]
            if facet == Facet.AMOUNT:  # «скільки дають на дитину»: the payments found, their situations' too
                services = self._payments(h for h in hits if h.score >= FACET_SCORE) or services
            services = services[:3]
            if facet is not None and self.follow.about_focus(
                state,
                [h.id for h in hits],
                bool(services) or asked != text,  # a story names what it is about
            ):
                answer = await self._facets(turn, self._follow(turn), facet, understood.also)
                return run.resumable(state, answer)  # the thing in focus
            if services and facet not in NAMED_IS_CARD:  # a service's documents are its card, opened or listed
                turn.note(Kind.FACET, f"{facet}:{services[0]}")
                if len(services) == 1:  # a facet of the one service meant: what follow-ups are about
                    focus.put(state, focus.SERVICE, services[0])
                return run.resumable(state, self.views.facets(services, facet or ""))
        if not hits and (asked_too := self.understander.facets_asked(asked)):  # «скільки коштує?»
            follow_up = await self._facets(turn, self._follow(turn), asked_too[0], asked_too[1:])
            return run.resumable(state, follow_up)
        if (
            facet is None
            and hit is None
            and focus.HOW_MUCH & set(words(asked))
            and (
                not hits
                or self.follow.about_focus(state, [h.id for h in hits], self._standing_out(hits) is not None)
            )
        ):  # «а на дитину скільки» about the allowance in focus: its amount (of a service, its price)
            return run.resumable(state, await self.follow.facet(turn, self.follow.how_much(state)))
        if understood.intents and not hits:  # a greeting or thanks alone
            turn.note(Kind.INTENT, understood.intents[0].value)
            return run.resumable(state, self.intent(understood.intents[0], None))
        at_question = run.at_question(state)
        if at_question and hit is None:  # only a clear match is worth leaving the question for
            turn.note(Kind.REASK, f"{state.scenario}:{state.step}")
            return [Reply(self._not_an_answer(state)), *(run.current_question(state) or ())]
        if hits:  # inside a dialog, listed with «continue», so the citizen's place is not lost
            turn.note(Kind.SEARCH)
            if not at_question:  # at a question a typed answer it could not read is no new subject
                self.follow.listed(state, hits, hit or self._standing_out(hits))
            return self.views.search_results(hits, resume=run.in_step(state))
        return None

    def _follow(self, turn: Turn) -> Callable[[Facet], Awaitable[list[Reply]]]:
        async def about_focus(asked: Facet) -> list[Reply]:
            return await self.follow.facet(turn, asked)

        return about_focus

    @staticmethod
    async def _facets(
        turn: Turn, answer: Callable[[Facet], Awaitable[list[Reply]]], first: Facet, also: Iterable[Facet]
    ) -> list[Reply]:
        """The answer to a facet, and under it the lines of the others the same question asks («скільки коштує і
        де роблять»), their titles once; what the turn is noted as is the first's."""
        replies = await answer(first)
        outcome, others = turn.outcome, [await answer(asked) for asked in also]
        turn.outcome = outcome
        if not replies or not any(others):
            return replies
        head = replies[-1]
        lines = head.text.split("\n")
        for more in (r[-1].text.split("\n") for r in others if r):
            lines += more[1:] if more[0] == lines[0] else more
        limit = max(len(head.text), min(len(head.text) + ALSO_CHARS, MAX_BOTH))
        return [*replies[:-1], dataclasses.replace(head, text=fit(lines, limit))]

    def _not_an_answer(self, state: DialogState) -> str:
        """The re-ask's lead with one example of a typed answer: «так» to a yes-or-no question, else the first
        words of the first option («у шлюбі»)."""
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        question = self.kb.questions.get(step.question or "") if step is not None else None
        if question is None or not question.options:
            return texts.NOT_AN_ANSWER
        label = question.options[0].label
        first = words(label)[:1]
        if first and first[0] in ("так", "ні"):
            example = first[0]  # «Так, обоє»: a yes is typed as «так»
        else:
            example = " ".join(label.split(",")[0].split()[:3]).casefold()
        return texts.NOT_AN_ANSWER_EXAMPLE.format(example=example)

    def _free(self, state: DialogState) -> bool:
        """Whether a confident match may open its dialog: outside any dialog, or at the end of one (its
        checklist is shown: a card or situation named now is a new subject, as it would be from the menu)."""
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        return step is None or step.kind == StepKind.CHECKLIST

    def _standing_out(self, hits: list[SearchHit]) -> SearchHit | None:
        """The first hit of a list when it stands out clearly enough to be what follow-ups are about."""
        top = hits[0] if hits else None
        if (
            top is not None
            and top.score >= focus.SOFT_SCORE
            and self.understander.margin(hits) >= focus.SOFT_MARGIN
        ):
            return top
        return None

    def _service_of(self, hit: SearchHit, hits: list[SearchHit], facet: Facet | None = None) -> str | None:
        """The service a facet question is about: the hit itself, or the best hit among a situation's services
        (for an amount, the best payment among them: «скільки платять на поховання» means the assistance)."""
        if hit.kind == "service":
            return hit.id
        bundled = {ref.service for ref in self.kb.situations[hit.id].services}
        found = [h.id for h in hits if h.kind == "service" and h.id in bundled and h.score >= CONFIDENT_SCORE]
        if facet == Facet.AMOUNT:
            found = [s for s in found if self.kb.services[s].amount] or self._payments([hit]) or found
        return next(iter(found), None)

    def _named_service(self, hit: SearchHit | None, hits: list[SearchHit]) -> SearchHit | None:
        """The hit a room's wish is about: a situation's service when the words name it clearly (it scores as a
        confident answer would and leads the situation's other services by the confident margin), else the hit."""
        if hit is None or hit.kind != "situation":
            return hit
        bundled = {ref.service for ref in self.kb.situations[hit.id].services}
        found = [h for h in hits if h.kind == "service" and h.id in bundled]
        if not found or found[0].score < CONFIDENT_SCORE:
            return hit
        if len(found) > 1 and found[0].score - found[1].score < CONFIDENT_MARGIN:
            return hit
        return found[0]

    def _payments(self, hits: Iterable[SearchHit]) -> list[str]:
        """The payment services (those with an amount) among hits and the services of the situations hit."""
        found: list[str] = []
        for hit in hits:
            ids = (
                [hit.id]
                if hit.kind == "service"
                else [r.service for r in self.kb.situations[hit.id].services]
            )
            found += [s for s in ids if self.kb.services[s].amount and s not in found]
        return found

    def _situation_scenario(self, situation_id: str) -> str:
        return next(
            (sc.id for sc in self.scenarios.values() if sc.situation == situation_id and not sc.card), ""
        )

    def intent(self, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        """An honest answer to what a citizen says that no room takes (greeting, contacts, a human, …);
        the service the words also name, if any, is one tap away (its term, for «when will it be ready»)."""
        if intent in (Intent.GREETING, Intent.THANKS):
            text = texts.GREETING if intent == Intent.GREETING else texts.THANKS
            return [Reply(text, self.runner.menu_rows())]
        if intent in (Intent.CONTACTS, Intent.HOURS, Intent.PHONES):
            return self.views.contacts(replace=False)
        if intent == Intent.FORGET:  # «видаліть мої дані», «забути мене»: the /forget confirmation
            return self.views.forget_confirm()
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

    def _deep_link(self, state: DialogState, arg: str) -> list[Reply] | None:
        """`/start card_41-11` opens a card, `/start situation_<id>` a life situation (QR codes, leaflets)."""
        kind, _, key = arg.partition("_")
        if kind == "card" and (service := self.kb.service_by_card(key)):
            return self.runner.start(state, self.scenarios[CARD_DIALOG + service.id])
        if kind == "service" and key in self.kb.services:
            return self.runner.start(state, self.scenarios[CARD_DIALOG + key])
        if kind == "situation" and key in self.scenarios:
            return self.runner.start(state, self.scenarios[key])
        return None
