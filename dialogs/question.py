"""Finding the question in a long message: a story with its question at the end is answered.

The understander reads at most MAX_WORDS words of what it is given, so a longer message is read in parts, the
likeliest question first: its sentences with a question mark or a question word, the last first; then the words
just before and up to the last of them (the story around the question); then the end and the beginning of the
message. The first part understood as a confident match wins, else the first that finds anything (services or
an intent that asks for something), else nothing. At most MAX_PARTS parts are read, so a message of
reading.MAX_TEXT characters costs a few understandings, not one per sentence.
"""

from __future__ import annotations

import re
from dataclasses import replace

from knowledge.text import words
from knowledge.understand import MAX_WORDS, Intent, Understander, Understanding

MAX_PARTS = 7
SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+|\n+")  # «Питання таке: …» — the clause after a colon
QUESTION_WORDS = frozenset(
    {
        # Ukrainian and surzhyk
        "як", "де", "куди", "коли", "скільки", "скіки", "чи", "що", "шо", "який", "яка", "які", "яке", "якого",
        "чому", "навіщо", "можна", "підкажіть", "підскажіть", "скажіть", "порадьте", "допоможіть", "потрібно",
        "треба", "нада", "хочу", "звідки", "котрої",
        # Russian
        "как", "где", "куда", "когда", "сколько", "скока", "ли", "что", "какой", "какая", "какие", "какое",
        "почему", "зачем", "можно", "подскажите", "скажите", "посоветуйте", "помогите", "нужно", "надо",
    }
)  # fmt: skip
# Intents that ask for something (a greeting or thanks in a story is politeness, not its question).
_ASKING = frozenset(set(Intent) - {Intent.GREETING, Intent.THANKS})


def sentences(text: str) -> list[str]:
    """Its sentences; one longer than MAX_WORDS words (a story typed without full stops) in its clauses."""
    found: list[str] = []
    for sentence in (s.strip() for s in SENTENCE_END.split(text)):
        if len(words(sentence)) > MAX_WORDS:
            found += [c.strip() for c in sentence.split(",")]
        elif sentence:
            found.append(sentence)
    return [s for s in found if s]


def _asks(sentence: str) -> bool:
    return "?" in sentence or any(w in QUESTION_WORDS for w in words(sentence))


def parts(text: str) -> tuple[list[str], list[str]]:
    """The parts of a long message to read: its questions (the last sentences with a question mark, else with a
    question word), the last first; then its context (the story up to the last question, the end and the
    beginning of the message), without duplicates."""
    said = sentences(text)
    marked = [i for i in reversed(range(len(said))) if "?" in said[i]][:3]
    asking = marked or [i for i in reversed(range(len(said))) if _asks(said[i])][:2]
    context: list[str] = []
    if asking:  # the story just before the last question, and the question
        window: list[str] = []
        for s in reversed(said[: asking[0] + 1]):
            window = words(s) + window
            if len(window) >= MAX_WORDS:
                break
        context.append(" ".join(window[-MAX_WORDS:]))
    every = words(text)
    context += [" ".join(every[-MAX_WORDS:]), " ".join(every[:MAX_WORDS])]
    questions = [said[i] for i in asking]
    return questions, [c for c in dict.fromkeys(context) if c and c not in questions]


def find(
    understander: Understander, text: str, limit: int = 5, *, about_death: bool = False
) -> tuple[str, Understanding]:
    """The part of `text` that holds its question, and what it means. A text of at most MAX_WORDS words is
    read whole, as it is. In a longer one, a question that names a service (or asks for something) is answered
    as it is; a question that names nothing («куди мені йти і що взяти?») asks its facet about the service the
    story names (the intents of the story itself are not its question: «дзвонила на гарячу лінію»).
    `about_death`: the conversation is about a death already (Understander.understand)."""
    if len(words(text)) <= MAX_WORDS:
        return text, understander.understand(text, limit=limit, about_death=about_death)
    questions, context = parts(text)
    weak: tuple[str, Understanding] | None = None
    for part in questions:
        got = understander.understand(part, limit=limit, about_death=about_death)
        if got.confident is not None:
            return part, got
        if weak is None and (got.hits or _ASKING & set(got.intents)):
            weak = (part, got)
    if weak is not None:
        return weak
    asked = questions[0] if questions else ""
    facet = understander.facet_asked(asked) if asked else None
    for part in context:
        got = understander.understand(part, limit=limit, about_death=about_death)
        if not questions and (got.hits or _ASKING & set(got.intents)):
            return part, got  # a story with no question: what it names
        if got.hits:
            return asked, replace(got, intents=(), facet=facet or got.facet)
    return (asked, understander.understand(asked, limit=limit, about_death=about_death)) if asked else (text, got)
