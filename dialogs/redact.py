"""Masking of personal data in what the message log keeps: phones, e-mail addresses, document and card numbers.

It runs on every incoming message, so it is one regular-expression pass over the text (plus a search for «@»
when the text has one), and Python code runs only for a run of at least six digits (its cost per message:
docs/BENCHMARKS.md, «Masking»).

A run of digits may be split by anything a citizen or a keyboard puts between digits: spaces of every width,
hyphens and dashes (U+2010…U+2015, U+2212, the non-breaking U+2011), dots, «/», «_», brackets, and invisible
characters (zero-width space, joiners, word joiner, BOM, soft hyphen, direction marks). Digits of every script
count (`\\d` is Unicode). What such a run is decides the placeholder:

- a date («12.03.2024», «2024-03-12»), a year range («2020–2024»), a sum with thousands grouped («1 500 000») or
  followed by a currency, or eight digits with separators: kept;
- 13–19 digits that are 16 long or pass the Luhn check: «[номер картки]» (a payment card);
- seven digits or more written without separators: nine («ID-картка»), or ten not starting with 0 (РНОКПП),
  «[номер документа]»; eight (a date or a company's ЄДРПОУ code) kept; otherwise «[телефон]»;
- otherwise, up to 15 digits: «[телефон]»; longer: «[номер]».

The six digits of an old-style passport number, after two letters (Cyrillic or Latin look-alikes: «КК123456», or
«КК № 123456» with the letters in capitals), are «[номер документа]» (the two letters of the series stay; alone they
tell nothing); an e-mail address is «[ел. пошта]».

Kept on purpose: times («10:30»), booking codes («K7M-4QX»), service card numbers («41-11»), sums («1 500 грн»),
anything with fewer than seven digits.
"""

from __future__ import annotations

import re
import unicodedata

PHONE = "[телефон]"
EMAIL = "[ел. пошта]"
DOCUMENT = "[номер документа]"
CARD = "[номер картки]"
NUMBER = "[номер]"

# What may stand between two digits of one number.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEP = f"[\\s{_INVISIBLE}{_DASHES}./_()\\[\\]]"
# Cyrillic capitals and the Latin capitals that look like them; the same in lower case
_CAPITALS = "А-ЯҐЄІЇABCEHIKMOPTX"
_LETTERS = _CAPITALS + "а-яґєіїabcehikmoptx"

# A run of digits, possibly split: at least six (a passport's), or five after «+» or «(».
_RUN = re.compile(rf"[\d+(](?:{_SEP}{{0,3}}\d){{5,}}")
_DATE = re.compile(
    r"(?:(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:\d{4}|\d{2})"
    r"|\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?![./]?\d)"
)
# What precedes an old passport's six digits: two capitals and an optional «№», or two letters right before them.
_SERIES = re.compile(
    rf"(?:(?<!\w)[{_CAPITALS}]{{2}}[\s\u00a0]{{0,2}}(?:№[\s\u00a0]?)?|(?<!\w)[{_LETTERS}]{{2}})$"
)
# An e-mail address is found from its «@» (a literal is searched fast), its local part read backwards.
_DOMAIN = re.compile(r"@[\w\-]+(?:\.[\w\-]+)*\.\w{2,}")
_LOCAL = frozenset("._+-")  # besides letters and digits, and «_»
_MONEY = re.compile(r"[1-9]\d{0,2}(?:[\s\u00a0\u202f\u2009.,]\d{3})+")  # thousands grouped
_YEARS = re.compile(rf"(?:19|20)\d\d\s*[{_DASHES}/]\s*(?:19|20)\d\d")
_CURRENCY = re.compile(r"[\s\u00a0]*(?:грн|гривень|гривні|гривня|₴|uah|usd|eur|євро|\$|€|коп)", re.IGNORECASE)


def _digits(run: str) -> str:
    """The run's digits as ASCII (digits of any script count)."""
    return "".join(str(unicodedata.decimal(c)) for c in run if c.isdecimal())


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _number(run: str, before: str, after: str) -> str:
    """The placeholder for a run of digits, or the run itself when it is not personal."""
    body = run.lstrip("+(")
    if date := _DATE.match(body):  # a date, or a date and what follows it («з 01.01.2024 по …»)
        head = run[: len(run) - len(body) + date.end()]
        return head + _RUN.sub(_replace, run[len(head) :]) if len(head) < len(run) else run
    digits = _digits(body)
    n = len(digits)
    if n == 6 and len(body) == 6 and _SERIES.search(before):
        return DOCUMENT
    if n < 7 or _MONEY.fullmatch(body) or _YEARS.fullmatch(body) or _CURRENCY.match(after):
        return run
    if 13 <= n <= 19 and (n == 16 or _luhn(digits)):
        return CARD
    if len(body) == n and not run.startswith("+"):  # written without separators
        if n == 9 or (n == 10 and digits[0] != "0"):
            return DOCUMENT
        if n == 8:
            return run
    elif n == 8 and not run.startswith("+"):
        return run
    return PHONE if n <= 15 else NUMBER


def _emails(text: str) -> str:
    parts: list[str] = []
    last = 0
    for m in _DOMAIN.finditer(text):
        start = i = m.start()
        while i > last and (text[i - 1].isalnum() or text[i - 1] in _LOCAL):
            i -= 1
        if i < start:
            parts += (text[last:i], EMAIL)
            last = m.end()
    return "".join((*parts, text[last:])) if parts else text


def _replace(m: re.Match[str]) -> str:
    start, end = m.span()
    return _number(m.group(), m.string[max(0, start - 8) : start], m.string[end : end + 12])


def redact(text: str) -> str:
    """The text for the message log, with phones, e-mail addresses, document and card numbers masked."""
    if "@" in text:
        text = _emails(text)
    return _RUN.sub(_replace, text)
