"""The survey room: the citizen's answer to «Як пройшов ваш візит?» (sent by the reminders' dispatcher, see
service.py). A button 1–5, or a typed «5», «п'ять», «все добре» while the room has them; then an optional comment
(typed: personal, never logged; «Пропустити» ends it); then thanks. Reached only from the survey's message: no
menu rows, no intents, no commands."""

from __future__ import annotations

from dialogs import texts as common
from dialogs.messages import Button, Reply
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack
from dialogs.rooms import QuietRoom, Row, Turn
from dialogs.survey import rules, texts
from dialogs.survey.service import NAME, PREFIX, STATE, Asked, button, score_rows
from dialogs.typed import norm
from dialogs.words import BACK_WORDS, FORGET_WORDS, HELP_WORDS, MENU_WORDS
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.models import DialogState
from storage.surveys import VisitSurvey

MENU: Row = (Button(common.MENU, pack(Action.MENU)),)
PASS_THROUGH = MENU_WORDS | HELP_WORDS | FORGET_WORDS | BACK_WORDS  # these mean what they mean everywhere


class SurveyRoom(QuietRoom):
    prefix = PREFIX
    name = NAME
    holds = False
    intents: frozenset[Intent] = frozenset()

    def personal(self, state: DialogState) -> bool:
        return state.scenario == NAME and state.step == "comment"  # free text: never logged

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        return []  # it declares none

    # --- the citizen's presses and words ----------------------------------------------------------------

    async def _mine(self, turn: Turn, raw: str) -> VisitSurvey | None:
        """The survey with this id, if it asks about one of this citizen's visits and was sent."""
        if not raw.isdigit():
            return None
        survey = await turn.uow.surveys.get(int(raw))
        if survey is None or survey.asked_at is None:
            return None
        return survey if await turn.uow.surveys.citizen(survey) == turn.user.id else None

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        verb, rest = (args[0], args[1:]) if args else ("", ())
        survey = await self._mine(turn, rest[0]) if rest else None
        if survey is None or rules.too_old(survey.visit_day, turn.now):
            STATE.leave(turn.state)
            return [Reply(texts.STALE, (MENU,))]
        if verb == "s" and len(rest) == 2 and rest[1].isdigit() and int(rest[1]) in rules.SCORES:
            return await self._scored(turn, survey, int(rest[1]))
        if verb == "k":
            STATE.leave(turn.state)
            return [Reply(texts.THANKS_SCORE, (MENU,))]
        return [Reply(common.UNKNOWN_BUTTON, (MENU,))]

    async def _scored(self, turn: Turn, survey: VisitSurvey, score: int, comment: str = "") -> list[Reply]:
        if survey.score is not None and STATE.load(turn.state).survey != str(survey.id):
            return [Reply(texts.ALREADY, (MENU,))]  # answered, and the room left: once per visit
        await turn.uow.surveys.score(survey, score, turn.now)
        if comment:
            return await self._commented(turn, survey, comment)
        STATE.save(turn.state, Asked(survey=str(survey.id)), "comment")
        return [Reply(texts.COMMENT, ((Button(texts.SKIP, button("k", str(survey.id))),),))]

    async def _commented(self, turn: Turn, survey: VisitSurvey, text: str) -> list[Reply]:
        await turn.uow.surveys.comment(survey, text)
        STATE.leave(turn.state)
        return [Reply(texts.THANKS, (MENU,))]

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        state = turn.state
        if state.scenario != NAME:
            return None
        said = norm(text).strip(" .!")
        if said in PASS_THROUGH or said.startswith("/"):
            STATE.leave(state)
            return None  # «меню», /start, /forget work at every step
        survey = await self._mine(turn, STATE.load(state).survey)
        if survey is None or rules.too_old(survey.visit_day, turn.now):
            STATE.leave(state)
            return None
        if state.step == "comment":
            turn.note(Kind.ANSWER, "survey:comment")
            return await self._commented(turn, survey, text)
        score = rules.read_score(text)
        if score is not None:
            turn.note(Kind.ANSWER, "survey:score")
            return await self._scored(turn, survey, score)
        if (both := rules.split_score(text)) is not None:
            turn.note(Kind.ANSWER, "survey:score")
            return await self._scored(turn, survey, *both)
        STATE.leave(state)  # not an answer: a question or anything else is read as usual
        return None


__all__ = ["SurveyRoom", "score_rows"]
