"""The scenario runner: moves a citizen through a life situation's or a service card's dialog.

Pure on the dialog state (no database, no rooms): the core buttons (menus, answers, «Далі», back, restart,
resume, the exact wording, service cards) and the steps they lead to, a question skipped when no answer to it
would change the checklist (`checklist.worth_asking`)."""

from __future__ import annotations

import dataclasses

from dialogs import focus, texts
from dialogs.cards import PREFIX as CARD_DIALOG
from dialogs.checklist import worth_asking
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, Payload, pack
from dialogs.rooms import Row
from dialogs.scenario import UNKNOWN, Scenario, Step, StepKind, next_step
from dialogs.views import CARD, OPEN, Views
from knowledge.loader import Knowledge
from knowledge.schema import LifeSituation
from storage.models import DialogState

WORTH_CACHE = 65536  # remembered «worth asking» answers before the memo starts again


class Runner:
    """The scenarios' steps and the engine's own buttons, on one citizen's `DialogState`."""

    def __init__(
        self,
        kb: Knowledge,
        scenarios: dict[str, Scenario],
        packages: dict[str, LifeSituation],
        views: Views,
    ) -> None:
        self.kb = kb
        self.scenarios = scenarios
        self.packages = packages
        self.views = views
        self._worth: dict[tuple[str, str, frozenset[tuple[str, str]]], bool] = {}

    def press(self, state: DialogState, p: Payload) -> list[Reply]:
        """A button with one of the engine's own prefixes."""
        a = p.args
        if p.prefix == Action.MENU:
            if not a:
                return self.reset(state)
            if a == ("sit",):
                return self.views.situations()
            if a == ("svc",):
                return self.views.services()
            if a == ("contacts",):
                return self.views.contacts()
            if len(a) == 2 and a[0] == "svc" and (group := self.views.service_group(a[1])):
                return group
        elif p.prefix == Action.SITUATION and len(a) == 1 and a[0] in self.scenarios:
            return self.start(state, self.scenarios[a[0]])
        elif p.prefix == Action.SERVICE and a and a[0] in self.kb.services:
            focus.put(state, focus.SERVICE, a[0])  # a card, its dialog or one of its sections
            if len(a) == 1:  # a card opens as its own short dialog
                return self.start(state, self.scenarios[CARD_DIALOG + a[0]])
            if a[1] == CARD:  # back from a section: the card again, in place
                return self.views.service(a[0], replace=True)
            if a[1] == OPEN:  # the whole card from a checklist or a question: a new message, the place kept
                return self.resumable(state, self.views.service(a[0]))
            if len(a) == 2 and (replies := self.views.service_section(a[0], a[1])) and replies[0].text:
                return replies
        elif p.prefix == Action.ANSWER and len(a) == 3:
            return self.answer(state, a[0], a[1], a[2])
        elif p.prefix == Action.NEXT and len(a) == 2:
            sc = self.scenarios.get(state.scenario or "")
            step = sc.step(state.step or "") if sc else None
            if (a[0], a[1]) != (state.scenario, state.step) or step is None or step.kind != StepKind.INFO:
                return self.stale_button(state)  # «Далі» never skips a question
            return self.advance(state)
        elif p.prefix == Action.BACK and not a:
            return self.back(state)
        elif p.prefix == Action.RESTART and not a:
            if state.scenario in self.scenarios:
                return self.start(state, self.scenarios[state.scenario])
            return self.reset(state)
        elif p.prefix == Action.FORGET and not a:
            return self.views.forget_confirm()
        elif p.prefix == Action.FORGET and a == ("no",):
            return [Reply(texts.NOT_FORGOTTEN), *(self.current(state) or self.views.main_menu())]
        elif p.prefix == Action.RESUME and not a:
            return self.current(state) or self.reset(state)
        elif p.prefix == Action.WORDING and not a:
            sc = self.scenarios.get(state.scenario or "")
            step = sc.step(state.step or "") if sc else None
            if sc and step and step.kind == StepKind.CHECKLIST:
                return self.views.wording(sc, state.answers)
            return self.stale_button(state)
        return self.unknown_button(state)

    def unknown_button(self, state: DialogState) -> list[Reply]:
        """A button from an old message or an older version of the bot: say so, keep the citizen's place."""
        return [Reply(texts.UNKNOWN_BUTTON), *(self.current(state) or self.views.main_menu())]

    def start(self, state: DialogState, sc: Scenario, settled: dict[str, str] | None = None) -> list[Reply]:
        """The scenario from its first step; `settled`: answers the text that opened it already gives
        («народила, не заміжня»), whose questions are then not asked."""
        state.scenario, state.step, state.answers, state.history, state.misses = sc.id, sc.start, {}, [], 0
        state.answers = dict(settled or {})
        if (about := focus.of_scenario(sc)) is not None:
            focus.put(state, about.kind, about.id)
        if sc.card is not None:
            intro = self.views.card_intro(sc)
        else:
            situation = self.packages[sc.id]
            intro = Reply(f"**{situation.title}**\n{situation.summary}")
        return [intro, *self._noted(self._taken(settled or {}), self.enter(state))]

    def take(self, state: DialogState, value: str | None, settled: dict[str, str]) -> list[Reply]:
        """A typed reply inside a scenario: `value` answers the question on screen, `settled` the other
        questions the text states. A statement that changes an earlier answer wins (the later word counts),
        said plainly, and the path is walked again from the start with the answers as they now are."""
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        if sc is None or step is None:
            return self.reset(state)
        changed = {q: old for q, new in settled.items() if (old := state.answers.get(q)) not in (None, new)}
        fresh = {q: v for q, v in settled.items() if q not in changed and state.answers.get(q) != v}
        state.answers = {**state.answers, **settled}
        note = [self._change(q, old, settled[q]) for q, old in changed.items()]
        if fresh:
            note.append(self._taken(fresh))
        if changed or step.kind != StepKind.QUESTION:
            if value is not None and step.question:
                state.answers[step.question] = value
            return self._noted("\n".join(note), self.replay(state))
        if value is not None:
            return self._noted("\n".join(note), self.answer(state, sc.id, step.id, value))
        return self._noted("\n".join(note), self.current(state) or self.reset(state))

    def replay(self, state: DialogState) -> list[Reply]:
        """The path walked again from the first step with the answers kept: to the first question still open."""
        sc = self.scenarios.get(state.scenario or "")
        if sc is None:
            return self.reset(state)
        state.step, state.history = sc.start, []
        return self.enter(state)

    def _label(self, qid: str, value: str) -> str:
        question = self.kb.questions.get(qid)
        if value == UNKNOWN:
            return texts.UNKNOWN_ANSWER
        return next((o.label for o in question.options if o.value == value), value) if question else value

    def _taken(self, settled: dict[str, str]) -> str:
        if not settled:
            return ""
        # Once each: alike questions of other paths (the veteran's and the family's benefit) share a label.
        labels = dict.fromkeys(self._label(q, v) for q, v in settled.items())
        return texts.SETTLED.format(", ".join(f"«{label}»" for label in labels))

    def _change(self, qid: str, old: str, new: str) -> str:
        return texts.CHANGED.format(new=self._label(qid, new), old=self._label(qid, old))

    @staticmethod
    def _noted(note: str, replies: list[Reply]) -> list[Reply]:
        """`note` said first, in the same message as the step (so the citizen sees why a question is gone)."""
        if not note or not replies:
            return replies
        first, *rest = replies
        return [dataclasses.replace(first, text=f"{note}\n\n{first.text}"), *rest]

    def answer(self, state: DialogState, sc_id: str, step_id: str, value: str) -> list[Reply]:
        sc = self.scenarios.get(sc_id)
        step = sc.step(step_id) if sc else None
        if sc is None or step is None or (sc_id, step_id) != (state.scenario, state.step):
            return self.stale_button(state)
        question = self.kb.questions.get(step.question or "")
        allowed = (
            {o.value for o in question.options} | ({UNKNOWN} if question.allow_unknown else set())
            if question
            else set()
        )
        if value not in allowed:
            return self.stale_button(state)
        state.answers = {**state.answers, step.question or step.id: value}
        return self.advance(state)

    def advance(self, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        target = next_step(step, state.answers) if step else None
        if target is None:
            return self.reset(state)
        state.history = [*state.history, state.step or ""]
        state.step = target
        return self.enter(state)

    def enter(self, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        if sc is None or step is None:  # a scenario removed by a newer version of the bot
            return self.reset(state)
        for _ in sc.steps:  # a question already settled, or that changes nothing, is not asked
            if step.kind != StepKind.QUESTION:
                break
            if step.question in state.answers:  # settled by what the citizen typed earlier
                state.history = [*state.history, step.id]
            elif self._worth_asking(sc.id, step.id, tuple(state.answers.items())):
                break
            target = next_step(step, state.answers)
            following = sc.step(target) if target else None
            if following is None:
                return self.reset(state)
            state.step, step = following.id, following
        return self.views.step(sc, step, state.answers, bool(state.history))

    def _worth_asking(self, sc_id: str, step_id: str, answers: tuple[tuple[str, str], ...]) -> bool:
        """`worth_asking`, remembered: a pure function of the data and the answers, asked on every step."""
        key = (sc_id, step_id, frozenset(answers))
        if (known := self._worth.get(key)) is None:
            sc = self.scenarios[sc_id]
            step = sc.step(step_id)
            known = step is None or worth_asking(self.kb, self.packages[sc_id], sc, step, dict(answers))
            if len(self._worth) >= WORTH_CACHE:
                self._worth.clear()
            self._worth[key] = known
        return known

    def back(self, state: DialogState) -> list[Reply]:
        sc = self.scenarios.get(state.scenario or "")
        if sc is None or not state.history:
            return self.reset(state)
        *rest, previous = state.history
        step = sc.step(previous)
        state.history, state.step = rest, previous
        if step and step.question:
            state.answers = {k: v for k, v in state.answers.items() if k != step.question}
        return self.current(state) or self.reset(state)

    def _at(self, state: DialogState) -> tuple[Scenario, Step] | None:
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        return None if sc is None or step is None else (sc, step)

    def in_step(self, state: DialogState) -> bool:
        """Whether the citizen is at a step of a scenario (`current` would show one), without rendering it."""
        return self._at(state) is not None

    def at_question(self, state: DialogState) -> bool:
        """Whether that step is a question (`current_question` would show one)."""
        at = self._at(state)
        return at is not None and at[1].kind == StepKind.QUESTION

    def current(self, state: DialogState) -> list[Reply] | None:
        """The step the citizen is at, shown again; None outside a scenario."""
        at = self._at(state)
        return None if at is None else self.views.step(at[0], at[1], state.answers, bool(state.history))

    def current_question(self, state: DialogState) -> list[Reply] | None:
        return self.current(state) if self.at_question(state) else None

    def stale_button(self, state: DialogState) -> list[Reply]:
        current = self.current(state)
        if current is None:
            return self.reset(state, texts.STALE_BUTTON_NO_STEP)
        return [Reply(texts.STALE_BUTTON), *current]

    def reset(self, state: DialogState, prefix: str = "") -> list[Reply]:
        """Out of any dialog, to the main menu (with `prefix` said first)."""
        state.scenario, state.step, state.answers, state.history = None, None, {}, []
        return self.views.main_menu(prefix)

    def resumable(self, state: DialogState, replies: list[Reply]) -> list[Reply]:
        """Replies to a side question; inside a dialog the last one offers to continue where the citizen was."""
        if not replies or not self.in_step(state):
            return replies
        *rest, last = replies
        resume = ((Button(texts.RESUME, pack(Action.RESUME)),),)
        return [*rest, Reply(last.text, (*resume, *last.buttons), last.link)]

    def menu_rows(self) -> tuple[Row, ...]:
        return self.views.main_menu()[0].buttons
