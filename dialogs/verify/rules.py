"""The one-time code's rules, pure: its shape, lifetime, attempts, resend pause and daily and per-address caps;
its keyed digest (a code is never stored or compared in the clear); what a typed reply means."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=5)  # a code works this long
MAX_ATTEMPTS = 3  # wrong entries before a new code is needed
RESEND_AFTER = dt.timedelta(seconds=60)  # a new code only this long after the last one
PER_DAY = 5  # codes a day to one number (every session and citizen together)
DAY = dt.timedelta(days=1)
PER_ADDRESS = 10  # codes asked from one web client address an hour (SMS pumping costs real money)
ADDRESS_WINDOW = dt.timedelta(hours=1)
SMS_ACTION = "sms"  # the action of per-address records (storage/people.py)

_CODE = re.compile(r"(?<!\d)(\d(?:[\s\-]?\d){5})(?!\d)")
RESEND = (
    "не прийшов", "не прийшло", "не приходить", "не пришел", "не пришёл", "не пришло", "не приходит",
    "надіслати ще", "надішліть ще", "надiслати ще", "ще раз", "ще код", "новий код", "інший код", "повторно",
    "отправить ещё", "отправить еще", "отправьте ещё", "отправьте еще", "ещё раз", "еще раз", "новый код",
    "нема коду", "немає коду", "нет кода", "де код", "где код", "resend",
)  # fmt: skip
OTHER_NUMBER = ("інший номер", "другой номер", "змінити номер", "поміняти номер", "не той номер", "не тот номер")
CANCEL = (
    "скасувати", "відміна", "відмінити", "отмена", "отменить", "не треба", "не надо", "не хочу", "стоп",
    "вийти", "выйти", "cancel",
)  # fmt: skip


def new_code() -> str:
    """Six random digits (the system's CSPRNG)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def digest(secret: bytes, user_id: int, phone: str, code: str) -> str:
    """The code as stored: a keyed hash bound to the citizen and the number it was sent to."""
    message = f"sms-code:{user_id}:{phone}:{code}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def matches(stored: str, secret: bytes, user_id: int, phone: str, code: str) -> bool:
    """Whether a typed code is the one sent, compared in constant time."""
    return hmac.compare_digest(stored, digest(secret, user_id, phone, code))


def _words(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace("’", "'").split()).strip(" .!?,")


def read_code(text: str) -> str | None:
    """Six digits in a reply («123456», «123 456», «код 123-456»), or None."""
    found = _CODE.findall(text)
    if len(found) != 1:
        return None
    return re.sub(r"\D", "", found[0])


def wants_resend(text: str) -> bool:
    said = _words(text)
    return any(phrase.replace("ё", "е") in said for phrase in RESEND)


def wants_other_number(text: str) -> bool:
    said = _words(text)
    return any(phrase in said for phrase in OTHER_NUMBER)


def wants_out(text: str) -> bool:
    said = _words(text)
    return said in CANCEL or any(said.startswith(word + " ") for word in CANCEL[:4])


def resend_in(last_sent: dt.datetime | None, now: dt.datetime) -> int:
    """Seconds until another code may be sent (0: now)."""
    if last_sent is None:
        return 0
    left = (last_sent + RESEND_AFTER - now).total_seconds()
    return max(0, int(left + 0.999))
