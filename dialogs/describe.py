"""Where a citizen is in a dialog, in plain lines, for a person taking over (an operator's context card).

Built from the scenarios and the knowledge alone, so the composition root gives it to the handoff at construction
and the handoff never needs the engine."""

from __future__ import annotations

from dialogs.cards import packages, with_cards
from dialogs.checklist import build_checklist
from dialogs.messages import plain
from dialogs.scenario import Scenario
from knowledge.loader import Knowledge
from storage.models import DialogState


class Describer:
    """`describe(state)`: the situation or card, the answers given, the checklist they build."""

    def __init__(self, kb: Knowledge, scenarios: dict[str, Scenario]) -> None:
        self.kb = kb
        self.scenarios = with_cards(kb, scenarios)
        self.packages = packages(kb, self.scenarios)

    def __call__(self, state: DialogState) -> list[str]:
        return self.describe(state)

    def describe(self, state: DialogState) -> list[str]:
        """The lines (plain text, without the checklist's closing facts); none outside a scenario."""
        sc = self.scenarios.get(state.scenario or "")
        if sc is None:
            return []
        package = self.packages.get(sc.id)
        title = package.title if package is not None else sc.id
        lines = [f"🧭 {title}"]
        for question_id, value in state.answers.items():
            question = self.kb.questions.get(question_id)
            if question is None:
                continue
            label = next((o.label for o in question.options if o.value == value), "не знаю")
            lines.append(f"• {question.text} — {label}")
        if package is not None:
            checklist = build_checklist(self.kb, package, state.answers)
            lines += ["", "📝 Перелік:", *(f"• {d.title}" for d in checklist.documents)]
        return [plain(line) for line in lines]
