"""Typed answers to a scenario's questions, and the facts a typed text states about its other questions.

Pure functions of the question data and the text (no state, no I/O), read in this order:
- «не знаю», «хз», «незнаю» → the «не знаю» answer, where the question offers it;
- an option's label as typed, or nearly («не в шлюбі», «лише на себе»);
- yes or no, in all their forms («так», «ага», «є», «да», «нема», «не було», «нет»), alone or leading a longer
  reply («так пенсіонер був», «ні, не був», «є у мене», «нема в нас») whose rest does not contradict it
  («так, не був», «ні, була пенсіонеркою», «так, прийде один» are asked again, never guessed);


- a phrase an option says it is stated by (`Option.said`, knowledge/facts.py: «тільки на себе», «батька не буде»);
- the words of one label, or a fragment of them («обоє», «один», «себе»);
- the content words of a short reply that name one option of a choice more than any other, each word the same up
  to its ending or a typo («пільга на комуналку» → «Пільга на комунальні послуги», «я на пенсії» → «Я пенсіонер
  / пенсіонерка»), a negated word only an option that negates it («пріоритету нема»); a tie is asked again;


- the same two readings of a Russian reply with its words in Ukrainian (answer_words.RUSSIAN: «потом» →
  «пізніше»), as the labels are compared word by word;


- a number that falls in one option's range («15», «мені 17», «двоє»), or counts what the question asks about.

`Answers.read` adds the facts: a text that settles other questions of the same scenario («не заміжня, батька
не буде») answers them too; the runner then does not ask them (dialogs/runner.py `Runner.take`). The words it
knows are dialogs/answer_words.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from dialogs.answer_shape import (
    KIN_SKELETONS,
    LONGEST_LEAD,
    NO,
    YES,
    affirmed_reply,
    clean_label,
    content,
    in_words,
    label_content,
    label_words,
    labels_of,
    lead,
    negated_reply,
    negates,
    polar_option,
    rest_polarity,
)
from dialogs.answer_words import (
    CHOICE_FILLER,
    EXTRA_FILLER,
    NUMBER_WORDS,
    QUESTION_WORDS,
    RUSSIAN,
)
from dialogs.scenario import UNKNOWN, Scenario, StepKind
from dialogs.typed.counts import counts_children, read_count
from dialogs.words import FILLER_WORDS, NO_WORDS, UNKNOWN_WORDS, YES_WORDS
from knowledge.facts import Facts, Match, same_word
from knowledge.loader import Knowledge
from knowledge.schema import Option, Question
from knowledge.text import clean, skeleton, words
from storage.models import DialogState

MAX_CHOICE_WORDS = 4  # a longer text is not a choice by its words
_SPLIT = re.compile(r"[^\w'’]+")
_RANGE = re.compile(r"(\d+)\s*[–—-]\s*(\d+)")
_FROM = re.compile(r"(\d+)\D{0,12}(?:і більше|и более|або більше|\+)")
_UNTIL = re.compile(r"до (\d+)")
_LONG_UNKNOWN = tuple(u for u in UNKNOWN_WORDS if len(u) >= 6)  # those a typo of «не знаю» is compared with


@dataclass(frozen=True)
class Reading:
    """What a typed reply says to one question: an option's value (or «unknown»), or a contradiction."""

    value: str | None = None
    conflict: bool = False  # a yes or no whose other words say the opposite: ask again, never guess


@dataclass(frozen=True)
class Typed:
    """A typed text read inside a scenario: the answer to the question on screen and the other questions of
    the scenario the text settles (question id → value)."""

    value: str | None
    settled: dict[str, str] = field(default_factory=dict)


def _unknown(joined: str) -> bool:
    if in_words(joined, UNKNOWN_WORDS):
        return True
    typed = joined.split()
    for size in range(min(LONGEST_LEAD, len(typed)), 0, -1):
        if " ".join(typed[:size]) in UNKNOWN_WORDS:
            return lead(typed[size:]) is None  # «не знаю, а що?»; «не знаю, ні» is not a «не знаю»
    # «не знаюю», «незнаюь»: any of them at 88 or more (rapidfuzz compares them all in one call)
    found = process.extractOne(joined, _LONG_UNKNOWN, scorer=fuzz.ratio, score_cutoff=88) if len(joined) >= 6 else None
    return found is not None


def read_answer(
    question: Question, text: str, facts: Facts | None = None, phrases: list[Match] | None = None
) -> Reading:
    """What a typed reply says to `question` (see the module's order). `phrases`: the text's phrases of
    `question` found already (`Facts.matches`), if the caller has them."""
    typed = words(text)
    if not typed:
        return Reading()
    joined = " ".join(typed)
    if _unknown(joined):
        return Reading(UNKNOWN if question.allow_unknown else None)
    best, score = question.options[0], -1.0
    for option in question.options:  # the first of the closest labels
        if (ratio := fuzz.ratio(joined, clean_label(option.label))) > score:
            best, score = option, ratio
    if score >= 85 and negates(joined) == negates(clean_label(best.label)):
        return Reading(best.value)  # nearly the label, negated alike («не військовозобовязаний» is no «Так, …»)
    # `phrases` found none (not None, never looked for): the text states no option (`settled` of nothing is {})
    said = facts.settled(text, [question.id], phrases).get(question.id) if facts and phrases != [] else None
    found = lead(typed)
    if found is not None:
        polar, rest = found
        target = polar_option(question, polar)
        if target is not None:
            rest = [w for w in rest if w not in FILLER_WORDS and w not in EXTRA_FILLER]
            if not rest:
                return Reading(target.value)
            rest_says = rest_polarity(rest)
            if rest_says is not None:
                return Reading(target.value) if rest_says == polar else Reading(conflict=True)
            other = said or by_words(question, " ".join(rest))
            return Reading(target.value) if other in (None, target.value) else Reading(conflict=True)
    if (shaped := negated_reply(question, text, said)) is not None:
        return Reading(shaped)  # «дітей нема», «льгот нет никаких», «у мене нічого такого нема»
    if (shaped := affirmed_reply(question, text, said)) is not None:
        return Reading(shaped)  # «свидетельство о смерти есть»
    if said is not None and not opens_a_question(typed, question):  # «а де приймає я ветеран» asks, not says
        return Reading(said)
    replies = [(joined, text)]
    if not asks_something(text, question) and (ukrainian := " ".join(RUSSIAN.get(w, w) for w in typed)) != joined:
        replies.append((ukrainian, ukrainian))  # «потом» → «пізніше»
    for plain, reply in replies:
        if (chosen := by_words(question, plain)) is not None:
            return Reading(chosen)
        if (chosen := by_content(question, reply)) is not None:
            return Reading(chosen)
    return Reading(by_number(question.options, typed) or by_count(question, typed))


def by_words(question: Question, text: str) -> str | None:
    """The one option whose label (or its `names`) the typed words point to: «так» → «Так, обоє», «обоє» →
    «Так, обоє», «один» → «Прийде один з батьків», «тільки на себе» → «Лише на себе», «мама» → «Батько / мати».
    None when none, or several, fit."""
    typed = [w for w in _SPLIT.split(text) if w and w not in FILLER_WORDS and w not in CHOICE_FILLER]
    if not typed or len(typed) > MAX_CHOICE_WORDS:
        return None
    fits = []
    for value, first_yes, first_no, named in labels_of(question).choice:
        if all(
            (first_yes and in_words(w, YES_WORDS))
            or (first_no and in_words(w, NO_WORDS))
            or any(fuzz.ratio(w, lw) >= 85 for lw in named)
            for w in typed
        ):
            fits.append(value)
    return fits[0] if len(fits) == 1 else None


MAX_CONTENT_WORDS = 4  # a reply with more content words is not a choice named by them
NUMBER_SKELETONS = frozenset(skeleton(w) for w in NUMBER_WORDS)
CHILDREN_STEMS = ("дит", "дет")  # a question about children («діти до 14 років»), as skeletons


def by_content(question: Question, text: str) -> str | None:
    """The one option of a choice that a short reply's content words name more than any other option: each typed
    word the same as a label's word up to its ending or a typo, negated alike; an option whose word the reply
    negates (or affirms, where the label negates it) is out; of a yes-or-no question only the words its labels
    do not share with it count. None for a question, a long reply, a tie, or a reply most of whose words name no
    option (asked again, never guessed)."""
    own = labels_of(question).own
    lead_words = [w for w in words(text)[:2] if RUSSIAN.get(w, w) not in own]
    if asks_something(text, question) or any(w in QUESTION_WORDS for w in lead_words):
        return None  # «а де це оформити»: a question of its own
    typed = content(text)
    shape = labels_of(question)
    if any(w in KIN_SKELETONS for w, _ in typed):
        # a relative who names no option is whom the reply is about («как представитель брата»)
        typed = [(w, neg) for w, neg in typed if w not in KIN_SKELETONS or any(same_word(n, w) for n in shape.named)]
    if not typed or len(typed) > MAX_CONTENT_WORDS:
        return None
    # a yes-or-no question's yes label may repeat its words («Так, свідоцтво втрачено» / «Ні»): those name no
    # option (Labels.content leaves them out); where both labels say more, their words tell them apart («Так,
    # одразу» / «Ні, пізніше»)
    scores: dict[str, int] = {}
    for value, label in shape.content:
        hits, against = 0, False
        for word, negative in typed:
            same = [neg for lw, neg in label if same_word(lw, word)]
            if any(neg == negative for neg in same):
                hits += 1
            elif same:
                against = True
        if not against and hits:
            scores[value] = hits
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]) or 2 * ranked[0][1] < len(typed):
        return None  # none named, two named alike, or most of the words name nothing: asked again
    return ranked[0][0]


def number_in(typed: list[str]) -> int | None:
    """The one number a short reply names («2», «двоє», «мені 17»); None if none or several."""
    found = [int(w) for w in typed if w.isdigit()] + [NUMBER_WORDS[w] for w in typed if w in NUMBER_WORDS]
    return found[0] if len(found) == 1 and len(typed) <= MAX_CHOICE_WORDS else None


def _span(label: str) -> tuple[int, float] | None:
    text = clean(label)
    if m := _RANGE.search(text):
        return int(m[1]), int(m[2])
    if m := _FROM.search(text):
        return int(m[1]), float("inf")
    if m := _UNTIL.search(text):
        return 0, int(m[1])
    digits = re.findall(r"\d+", text)
    return (int(digits[0]), int(digits[0])) if len(digits) == 1 else None


def by_number(options: list[Option], typed: list[str]) -> str | None:
    """The one option whose label's range holds the number typed («15» → «14–15 років»)."""
    n = number_in(typed)
    if n is None:
        return None
    fits = [o.value for o in options if (span := _span(o.label)) and span[0] <= n <= span[1]]
    return fits[0] if len(fits) == 1 else None


def by_count(question: Question, typed: list[str]) -> str | None:
    """A count answering «Чи є у вас …?»: «двоє», «2» → yes, «0» → no; of children, as named one by one or
    with their age («сын 8 лет», «трое детей» → yes, when the question asks about children)."""
    if "є" not in label_words(question.text):
        return None  # no «Чи є …?»: nothing a count answers
    n = number_in(typed)
    asked = [word for word, _ in label_content(question.text)]
    children = any(a.startswith(CHILDREN_STEMS) for a in asked)
    if n is None and children and len(typed) <= 2 * MAX_CHOICE_WORDS:  # ages make a count longer
        n = read_count(" ".join(typed))
    if n is None:
        return None
    said = [w for w in typed if not (children and counts_children(w))]
    counted = [w for w, _ in content(" ".join(said)) if not w.isdigit() and w not in NUMBER_SKELETONS]
    if any(not any(same_word(a, w) for a in asked) for w in counted):
        return None  # «один власник» to «Чи є інші співвласники?» counts no co-owners: not a count of them
    option = polar_option(question, YES if n > 0 else NO)
    return option.value if option else None


OPENERS = frozenset({"а", "і", "и", "й", "ну", "так"})  # words before a question's first word («а де …»)


def asks_something(text: str, question: Question | None = None) -> bool:
    """Whether a text reads as a question of its own («а скільки платять переселенцям?»): its statements are
    then not taken as answers, so the question gets its answer. A question word that starts one of the
    `question`'s labels asks nothing («как представитель брата» for «Як представник»)."""
    if "?" in text:
        return True
    return opens_a_question(words(text), question)


def opens_a_question(typed: list[str], question: Question | None = None) -> bool:
    """Whether the words open with a question word, perhaps after «а», «і» («а де зараз приймає …»)."""
    head = typed[1:2] if typed[:1] and typed[0] in OPENERS else typed[:1]
    first = head[0] if head else ""
    return first in QUESTION_WORDS and (question is None or RUSSIAN.get(first, first) not in labels_of(question).own)



def scenario_questions(sc: Scenario) -> list[str]:
    return list(dict.fromkeys(st.question for st in sc.steps if st.kind == StepKind.QUESTION and st.question))


class Answers:
    """Reads typed text against the scenario a citizen is in (`read`) or is about to open (`opening`)."""

    def __init__(self, kb: Knowledge, scenarios: dict[str, Scenario]) -> None:
        self.kb = kb
        self.scenarios = scenarios
        self.facts = Facts(kb.questions.values())
        self._asked = {sc.id: scenario_questions(sc) for sc in scenarios.values()}

    def opening(self, sc_id: str, text: str) -> dict[str, str]:
        """The questions of a scenario that the text opening it already settles («народила, не заміжня»). The
        name of what is opened states nothing about the citizen («що оформити в я ветеран» is no «я ветеран»)."""
        if sc_id not in self.scenarios:
            return {}
        return self.facts.settled(self._unnamed(sc_id, text), self._asked.get(sc_id, []))

    def _unnamed(self, sc_id: str, text: str) -> str:
        """The text without the title of the situation or service a scenario is about (hyphens as spaces)."""
        sc = self.scenarios[sc_id]
        about = self.kb.situations.get(sc.situation) or self.kb.services.get(sc.card or sc.situation)
        if about is None:
            return text
        title = " ".join(words(about.title.replace("-", " ")))
        said = " ".join(words(text.replace("-", " ")))
        unnamed = re.sub(rf"(?<!\w){re.escape(title)}(?!\w)", " ", said) if title else said
        return unnamed if unnamed != said else text

    def read(self, state: DialogState, text: str) -> Typed | None:
        """The answer to the question on screen and the questions the text settles; None if it says neither
        (or contradicts itself: the question is asked again)."""
        sc = self.scenarios.get(state.scenario or "")
        step = sc.step(state.step or "") if sc else None
        if sc is None or step is None:
            return None
        question = self.kb.questions.get(step.question or "") if step.kind == StepKind.QUESTION else None
        value = None
        asked = self._asked[sc.id]
        found = self.facts.matches(text, asked)  # the phrases of the scenario's questions, found once
        if question is not None:
            mine = [m for m in found if m.question == question.id]  # what `matches(text, [question.id])` finds
            reading = read_answer(question, text, self.facts, mine)
            if reading.conflict:
                return None
            value = reading.value
        settled = self.facts.settled(text, asked, found) if found and not asks_something(text) else {}
        if question is not None:
            stated = settled.pop(question.id, None)
            value = value or stated
        if value is None and not settled:
            return None
        return Typed(value, settled)
