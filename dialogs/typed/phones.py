"""Ukrainian phone numbers as typed («067 123-45-67», «+38 (050) …», «8 067 …») in one form, +380…, and
masked for showing back (the number is personal data)."""

from __future__ import annotations

import re

MOBILE_CODES = frozenset(
    {
        "39",
        "50",
        "63",
        "66",
        "67",
        "68",
        "73",
        "75",
        "77",
        "89",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
        "97",
        "98",
        "99",
    }
)
_PHONE = re.compile(r"(?<![\d])(\+?\s?(?:3\s?8\s?)?\(?\s?0\s?\d\s?\d\s?\)?(?:[\s\-–—.]?\d){7})(?!\d)")


def masked_phone(phone: str) -> str:
    """A number as a message that is logged may show it: «+380 67 ••• •• 67» (its last two digits)."""
    only = re.sub(r"\D", "", phone)
    if len(only) != 12:
        return "+" + "•" * max(len(only) - 2, 0) + only[-2:]
    return f"+{only[:3]} {only[3:5]} ••• •• {only[-2:]}"


def read_phone(text: str, *, mobile_only: bool = True) -> str | None:
    """A Ukrainian phone number written anywhere in a text as +380XXXXXXXXX («мій 067 123-45-67»,
    «+38 (050) 123 45 67», «80671234567»); `mobile_only`: a mobile operator's code only."""
    said = text.replace("\u00a0", " ")
    for m in _PHONE.finditer(said):
        digits = re.sub(r"\D", "", m.group(1))
        national = digits[-10:]
        national_ok = len(national) == 10 and national[0] == "0" and len(digits) in (10, 12)
        if national_ok and (not mobile_only or national[1:3] in MOBILE_CODES):
            return "+38" + national
    digits = re.sub(r"\D", "", said)
    if len(digits) == 11 and digits.startswith("80") and (not mobile_only or digits[2:4] in MOBILE_CODES):
        return "+3" + digits  # the old long-distance «8 067 …»
    return None

