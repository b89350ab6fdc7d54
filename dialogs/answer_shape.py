"""The shape of a typed reply, for dialogs/answers.py: the yes or no it starts with and what its other words
say, the option a bare yes or no picks, a reply's content words (each with whether it is negated), and a no read
by its shape («дітей нема», «не військовозобовязаний»). Pure functions of a question and a text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dialogs.answer_words import (
    AFFIRM,
    CHOICE_FILLER,
    KIN,
    NEGATION,
    NO_LEAD,
    NONE_WORDS,
    WEAK_LEAD,
    YES_LEAD,
)
from dialogs.typed.yesno import negated
from dialogs.words import FILLER_WORDS, NO_WORDS, YES_WORDS
from knowledge.facts import LIGHT, NEGATED_AFTER, NEGATED_BEFORE, NEGATIONS, forms, same_word
from knowledge.schema import Option, Question
from knowledge.text import clean, skeleton, words

YES, NO = "yes", "no"
LONGEST_LEAD = 4  # words of the longest yes/no phrase
LONGEST_STATEMENT = 6  # words of a short statement read by its shape
_REPEATS = re.compile(r"(.)\1+")
# The endings of a verb's forms (past, present, infinitive; skeletons: no «ь»): «не працював», «не служить».
_VERB = re.compile(r"(?:[аиоуеяю]в|[уюаи]е|[аиоеяуы]л[аои]?|ю|[иаяеую]т|ти|тися|тся|вся|лся|лася)$")


def squeeze(text: str) -> str:
    """Repeated letters once: «таак» → «так», «нееет» → «нет»."""
    return _REPEATS.sub(r"\1", text)


def in_words(phrase: str, known: set[str]) -> bool:
    # squeezing (a substitution with a group, run partly in Python) only when some letter repeats
    return phrase in known or (_REPEATS.search(phrase) is not None and squeeze(phrase) in known)


def lead(typed: list[str]) -> tuple[str, list[str]] | None:
    """The yes or no a reply starts with, and the words after it; None if it starts with neither."""
    for size in range(min(LONGEST_LEAD, len(typed)), 0, -1):
        phrase = " ".join(typed[:size])
        yes, no = in_words(phrase, YES_WORDS), in_words(phrase, NO_WORDS)
        if phrase in WEAK_LEAD and size < len(typed):
            return None  # «не зрозуміла», «не працював»: a word negated, not a «no»
        if yes != no:
            return (YES if yes else NO), typed[size:]
    return None


def polarity(text: str) -> str | None:
    """«yes» or «no» when the whole text is one of them, or starts with one and says nothing against it."""
    typed = words(text)
    found = lead(typed)
    if found is None:
        return None
    said, rest = found
    rest_said = rest_polarity(rest)
    return said if rest_said in (None, said) else None


def rest_polarity(rest: list[str]) -> str | None:
    """What the words after a yes or no say on their own: a negation says no, a yes word yes."""
    if any(w in NEGATION for w in rest):
        return NO
    if any(w in AFFIRM for w in rest):
        return YES
    return None


def polar_option(question: Question, said: str) -> Option | None:
    """The one option a bare yes or no picks: the one whose label starts with it («Так, обоє», «Немає»)."""
    fits = led_by(question, YES_LEAD if said == YES else NO_LEAD)
    if not fits and len(question.options) == 2:  # «Так, обоє» / «Прийде один з батьків»: «ні» is the other
        others = led_by(question, NO_LEAD if said == YES else YES_LEAD)
        fits = [o for o in question.options if len(others) == 1 and o is not others[0]]
    return fits[0] if len(fits) == 1 else None


def led_by(question: Question, first: set[str]) -> list[Option]:
    return [o for o in question.options if (label := label_words(o.label)) and label[0] in first]


# Labels, names and question texts are the knowledge's, a bounded set read on every typed answer: what is made of
# them once is kept (never a citizen's text: that is read each time).
@lru_cache(maxsize=4096)
def label_words(label: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[^\w'’]+", clean(label)) if w)


@lru_cache(maxsize=4096)
def clean_label(label: str) -> str:
    return clean(label)


@lru_cache(maxsize=4096)
def label_content(label: str) -> tuple[tuple[str, bool], ...]:
    """`content` of a label, a name or a question text (the knowledge's own words only)."""
    return tuple(content(label))


def negates(text: str) -> bool:
    return any(w in NEGATION for w in words(text))


def _polar_side(question: Question, side: str) -> Option | None:
    """The option of a yes-or-no question on `side` (YES or NO); None when the question is a choice among more
    (a question of two options counts as yes-or-no when it has both a yes and a no)."""
    target = polar_option(question, side)
    other = NO if side == YES else YES
    two_sided = len(question.options) == 2 and polar_option(question, other) is not None
    return target if target is not None and (is_yes_no(question) or two_sided) else None


def negated_reply(question: Question, text: str, said: str | None) -> str | None:
    """The «no» option of a yes-or-no question for a short reply that says no by its shape: a negation anywhere,
    no yes-word, no question, and either «none» said («дітей нема», «у мене нічого такого нема») or a word of
    the question negated («не військовозобовязаний», «я не військовий»). Not when the reply only
    repeats a negation of the question («Чи є член сім'ї, який не проживає разом?» — «не проживає син»), nor
    when the phrase it states is an option that is itself a negation («Садочки не працюють»)."""
    if not negated(text):
        return None
    target = _polar_side(question, NO)
    if target is None:
        return None  # a choice among more than a yes and a no («Не в шлюбі» is one of three)
    if said is not None and said != target.value:
        stated = next((o for o in question.options if o.value == said), None)
        if stated is not None and any(neg for _, neg in label_content(stated.label)):
            return None  # a negated statement of its own: the phrase read it
    asked = label_content(question.text)
    typed = content(text)
    if any(neg and any(same_word(a, w) for a, was in asked if was) for w, neg in typed):
        return None  # the question's own negation, repeated
    phrases = [*question.topics, *(p for o in question.options for p in (o.label, *o.said, *o.names))]
    about = [a for a, _ in asked] + [w for p in phrases for w, _ in label_content(p)]
    if set(words(text)) & NONE_WORDS:
        return target.value  # «дітей нема», «льгот нет никаких»
    for word, neg in typed:
        verb = bool(_VERB.search(word)) or word in MODALS
        if neg and (not verb or any(same_word(a, word) for a in about)):
            return target.value  # «не военнообязанный», «я не пенсіонерка», «не отримую» (asked about)
    return None  # «не працював» to «Чи був пенсіонером?»: something else done or not, not what is asked


# Words that say a thing is there («свідоцтво є», «оригинал имеется»), as skeletons.
PRESENCE = frozenset(skeleton(w) for w in ("є", "есть", "маю", "имею", "имеется", "наявне", "наявний", "наявні"))


def affirmed_reply(question: Question, text: str, said: str | None) -> str | None:
    """The «yes» option of a yes-or-no question for a short statement that what it asks about is there: a word
    of presence and, for at least half of its other content words, the question's own words; no negation, no
    question («свидетельство о смерти есть» to «Чи є у вас оригінал свідоцтва про смерть?»). Not «у мене є
    питання»: the question does not ask about a question."""
    typed = words(text)
    if said is not None or negates(text) or "?" in text or len(typed) > LONGEST_STATEMENT:
        return None
    if not any(skeleton(w) in PRESENCE for w in typed):
        return None
    target = _polar_side(question, YES)
    if target is None:
        return None
    about = [a for a, _ in label_content(question.text)] + [w for t in question.topics for w, _ in label_content(t)]
    named = [w for w, _ in content(text) if w not in PRESENCE]
    if named and 2 * sum(any(same_word(a, w) for a in about) for w in named) >= len(named):
        return target.value
    return None


# Words that name no option: pronouns, particles, yes and no (compared as skeletons, knowledge.text.skeleton).
NOT_CONTENT = LIGHT | NEGATIONS | frozenset(
    skeleton(w)
    for w in (
        *FILLER_WORDS, *CHOICE_FILLER, *AFFIRM, *YES_LEAD,
        *("мене", "мені", "нас", "нам", "меня", "мне", "себе", "себя", "ти", "ты", "ви", "вы", "він", "вона"),
        *("вони", "он", "она", "они", "є", "есть", "маю", "имею", "це", "то", "там", "тут", "от", "ось", "вот"),
        *("хочу", "хочемо", "треба", "потрібно", "надо", "нужно", "буде", "будет", "ой", "ага", "угу", "дуже"),
    )
)  # fmt: skip


KIN_SKELETONS = frozenset(skeleton(w) for w in KIN)
# Verbs of ability and wish, whose endings are no verb's ending («не може прийти»): what follows is negated.
MODALS = frozenset(
    skeleton(w) for w in ("може", "можу", "можемо", "можуть", "могу", "можем", "хочу", "хоче", "хочемо", "хочет")
)


def content(text: str) -> list[tuple[str, bool]]:
    """The content words of a text as skeletons, each with whether a negation next to it turns it around
    («пріоритету немає», «не працюю», «без пріоритету»)."""
    typed = forms(text)
    out = []
    for i, word in enumerate(typed):
        if word in NOT_CONTENT:
            continue
        before = typed[i - 1] if i > 0 else ""
        after = typed[i + 1] if i + 1 < len(typed) else ""
        out.append((word, before in NEGATED_BEFORE or after in NEGATED_AFTER))
    return out


def is_yes_no(question: Question) -> bool:
    """A yes-or-no question («Так, свідоцтво втрачено» / «Ні»): its labels repeat the question's words, so
    naming them says neither yes nor no."""
    return bool(led_by(question, YES_LEAD)) and bool(led_by(question, NO_LEAD - WEAK_LEAD))


@dataclass(frozen=True)
class Labels:
    """What a question's own words give the readers of a typed reply (dialogs/answers.py), worked out once."""

    own: frozenset[str]  # the words of its option labels
    bare: bool  # a yes-or-no question one of whose labels says nothing more («Ні»): its yes label's words repeat it
    named: frozenset[str]  # the content words of every label and name
    # per option: its value and its labels' and names' content words (a bare question's own words left out)
    content: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]
    # per option: its value, whether its label starts with a yes, with a no, and its label's and names' words of
    # three letters or more (those a typed word is compared with)
    choice: tuple[tuple[str, bool, bool, tuple[str, ...]], ...]


# Questions are the knowledge's, read-only and loaded once: each question object's Labels are kept, keyed by the
# object itself (a question made anew, by a reload or a test, is another object and gets its own; the entry holds
# the question, so its id is not reused meanwhile).
_LABELS: dict[int, tuple[Question, Labels]] = {}
_LABELS_MAX = 4096


def labels_of(question: Question) -> Labels:
    kept = _LABELS.get(id(question))
    if kept is not None and kept[0] is question:
        return kept[1]
    made = _labels(question)
    if len(_LABELS) >= _LABELS_MAX:
        _LABELS.clear()
    _LABELS[id(question)] = (question, made)
    return made


def _labels(question: Question) -> Labels:
    bare = is_yes_no(question) and any(not label_content(o.label) for o in question.options)
    asked = [w for w, _ in label_content(question.text)] if bare else []
    content = []
    choice = []
    for option in question.options:
        found = [found for name in (option.label, *option.names) for found in label_content(name)]
        content.append((option.value, tuple((lw, neg) for lw, neg in found if not any(same_word(a, lw) for a in asked))))
        label = label_words(option.label)
        first_yes = bool(label) and label[0] in YES_LEAD
        first_no = bool(label) and label[0] in NO_LEAD
        named = (*label, *(w for n in option.names for w in label_words(n)))
        choice.append((option.value, first_yes, first_no, tuple(w for w in named if len(w) > 2)))
    return Labels(
        own=frozenset(w for o in question.options for w in label_words(o.label)),
        bare=bare,
        named=frozenset(w for o in question.options for n in (o.label, *o.names) for w, _ in label_content(n)),
        content=tuple(content),
        choice=tuple(choice),
    )
