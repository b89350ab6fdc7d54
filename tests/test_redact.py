"""Masking in the message log: personal numbers and addresses go, whatever separates their digits; dates, times,
codes, card numbers of services and sums stay.

Speed: `.venv/bin/python -m tests.test_redact` prints µs per 500-character message for the old phone-only mask
and this one (`_bench`)."""

from __future__ import annotations

import random
import re
import time
import timeit

import pytest

from dialogs.engine import redact as engine_redact
from dialogs.redact import CARD, DOCUMENT, EMAIL, PHONE, redact

MASKED = [
    # phones, whatever stands between the digits
    ("067‑123‑45‑67", PHONE),  # U+2011 non-breaking hyphen
    ("067–123–45–67", PHONE),  # en dash
    ("067—123—45—67", PHONE),  # em dash
    ("067−123−45−67", PHONE),  # minus sign
    ("067/123/45/67", PHONE),
    ("067_123_45_67", PHONE),
    ("067\u200b123\u200b45\u200b67", PHONE),  # zero-width space
    ("0\u200c6\u200d7\u2060123\ufeff4567", PHONE),  # joiners, word joiner, BOM
    ("067\u00ad123\u00ad45\u00ad67", PHONE),  # soft hyphen
    ("067\u00a0123\u202f45\u200967", PHONE),  # no-break, narrow and thin spaces
    ("067 - 123 - 45 - 67", PHONE),
    ("+380 (67) 123 45 67", PHONE),
    ("+38(067)1234567", PHONE),
    ("+380671234567", PHONE),
    ("(067) 123-45-67", PHONE),
    ("8 067 123 45 67", PHONE),
    ("0671234567", PHONE),
    ("097-82-88-145", PHONE),
    ("123-45-67", PHONE),  # a local number
    ("٠٦٧١٢٣٤٥٦٧", PHONE),  # Arabic-Indic digits
    ("０６７１２３４５６７", PHONE),  # full-width digits
    ("067.123.45.67", PHONE),
    # e-mail addresses
    ("ivan.petrenko@gmail.com", EMAIL),
    ("my_name+tag@mail.example.org", EMAIL),
    ("іван@укр.нет", EMAIL),
    # documents and cards
    ("3012345678", DOCUMENT),  # РНОКПП
    ("001234567", DOCUMENT),  # ID card
    ("4149 4993 1234 5678", CARD),
    ("4149499312345678", CARD),
    ("4149-4993-1234-5678", CARD),
]

PASSPORTS = ["КК123456", "КК № 123456", "KK 123456", "кк123456", "МЕ№123456"]  # Cyrillic, Latin look-alikes

KEPT = [
    "12.03.2024",
    "12/03/2024",
    "12-03-2024",
    "2024-03-12",
    "01.01.2024-31.12.2024",
    "з 01.01.2024 по 31.12.2024",
    "20240312",
    "з 10:30 до 17:00",
    "08:00-17:00",
    "код K7M-4QX",
    "K7M4QX",
    "інформаційна картка 41-11",
    "рішення від 27.06.2024 № 502",
    "1 500 грн",
    "1500 грн",
    "1 500 000 грн",
    "1 500 000",
    "150000.00 грн",
    "до 150000 грн",
    "2020–2024",
    "1990-2000 роки",
    "ЄДРПОУ 12345678",
    "4 дітей, 2 квартири, 3 кімнати",
    "індекс 50000",
    "квартира 45, будинок 12",
    "сума 150000",
    "ДОКК123456",  # not a two-letter series
    "дитині 2 роки і 5 місяців",
]


@pytest.mark.parametrize(("raw", "placeholder"), MASKED)
def test_personal_numbers_are_masked_in_a_sentence(raw: str, placeholder: str) -> None:
    logged = redact(f"мої дані: {raw}, дякую")
    assert logged == f"мої дані: {placeholder}, дякую"


@pytest.mark.parametrize("raw", PASSPORTS)
def test_passport_numbers_are_masked(raw: str) -> None:
    logged = redact(f"паспорт {raw} виданий")
    assert "123456" not in logged and DOCUMENT in logged


@pytest.mark.parametrize("raw", KEPT)
def test_dates_times_codes_and_sums_are_kept(raw: str) -> None:
    assert redact(raw) == raw
    assert redact(f"питання: {raw}?") == f"питання: {raw}?"


def test_several_in_one_message_and_a_date_next_to_a_phone() -> None:
    text = "запис на 12.03.2024 067 123 45 67, пошта a.b@ukr.net, РНОКПП 3012345678, сума 1 500 грн"
    assert redact(text) == f"запис на 12.03.2024 {PHONE}, пошта {EMAIL}, РНОКПП {DOCUMENT}, сума 1 500 грн"


def test_no_digit_of_a_phone_survives_any_separator() -> None:
    separators = "\u2011\u2010\u2012\u2013\u2014\u2015\u2212-/_. \u00a0\u200b\u200c\u200d\u2060\ufeff\u00ad"
    for sep in separators:
        logged = redact("дзвоніть " + sep.join(["+380", "67", "987", "65", "43"]))
        assert not re.search(r"\d", logged), repr(sep)


def test_the_engine_uses_it() -> None:
    assert engine_redact is redact


def test_it_stays_cheap_on_hostile_text() -> None:
    """Every message passes through it: even 500 characters of digits and separators cost well under a millisecond."""
    rng = random.Random(7)
    worst = "".join(rng.choice("0123456789 -\u200b/КК@") for _ in range(500))
    started = time.perf_counter()
    for _ in range(100):
        redact(worst)
    assert (time.perf_counter() - started) / 100 < 0.002


def _bench() -> None:
    old = re.compile(r"\+?\d[\d\s().-]{7,}\d")
    prose = (
        "Добрий день, мені потрібно оформити паспорт для дитини 2015 року народження, ми живемо на вулиці "
        "Шевченка 12, квартира 45. Чи можна записатися на 12.03.2024 о 10:30? Мій номер 067-123-45-67, пошта "
        "ivan@gmail.com. Скільки коштує, 1 500 грн? "
    ) * 3
    rng = random.Random(1)
    texts = {
        "prose": prose[:500],
        "digits": "".join(rng.choice("0123456789 -") for _ in range(500)),
        "letters": "".join(rng.choice("абвгдежзийклмнопрстуфхцчшщьюя ") for _ in range(500)),
    }
    for name, text in texts.items():
        before = min(timeit.repeat(lambda t=text: old.sub("[телефон]", t), number=2000, repeat=5)) / 2000
        after = min(timeit.repeat(lambda t=text: redact(t), number=2000, repeat=5)) / 2000
        print(f"{name:8s} before {before * 1e6:6.1f} µs   after {after * 1e6:6.1f} µs")


if __name__ == "__main__":
    _bench()
