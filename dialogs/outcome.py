"""What the engine made of one message, in a form the rest can count: the conversation corpus
(bench/conversation.py, tests/conversations/), the Center's record of questions it could not answer, and
statistics. A room or the reader notes the outcome on the turn (`Turn.note`); the engine tells its observers.

Targets are short strings:
- CARD: a service id (its card or its dialog was opened); SITUATION: a situation id;
- FACET: "<facet>:<service id>" (a question about one facet of a named service);
- FOLLOW_UP: "<facet>:<focus>" (a question that named nothing, answered about the thing in focus,
  "<kind>:<id>", see dialogs/focus.py);
- ANSWER: "<scenario or room>:<step>" (a typed answer the step took as its button);
- REASK: "<scenario or room>:<step>" (a typed answer the step could not read; the step asked again);
- INTENT: an intent's value (knowledge.understand.Intent), e.g. "operator", "complaint";
- SEARCH: "" (search results were listed); MISS: "" (not understood); BUTTON: the payload's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    CARD = "card"
    SITUATION = "situation"
    FACET = "facet"
    FOLLOW_UP = "follow-up"
    ANSWER = "answer"
    REASK = "reask"
    INTENT = "intent"
    SEARCH = "search"
    MISS = "miss"
    BUTTON = "button"


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    target: str = ""


class OutcomeObserver(Protocol):
    def understood(self, channel: str, outcome: Outcome) -> None:
        """What the engine made of one message of `channel` (called inside the turn, before its commit)."""
        ...
