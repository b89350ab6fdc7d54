"""Masking: the cases the mutation benchmark (docs/MUTATION.md) found untested — card numbers of every length by the
Luhn check, the placeholder chosen by the count of digits and their separators, a date range in brackets, a sum
before its currency, a passport series at the very start, and e-mail edge cases."""

from __future__ import annotations

import random

import pytest

from dialogs.redact import CARD, DOCUMENT, EMAIL, NUMBER, PHONE, redact


def luhn_valid(digits: str) -> bool:
    """The Luhn check written independently: every second digit from the right doubled, its digits summed."""
    doubled = "".join(str(int(c) * 2) if i % 2 else c for i, c in enumerate(reversed(digits)))
    return sum(int(c) for c in doubled) % 10 == 0


def with_check_digit(payload: str) -> str:
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def numbers(length: int, count: int = 25) -> list[str]:
    rng = random.Random(length)
    return [
        with_check_digit("".join(rng.choice("0123456789") for _ in range(length - 1))) for _ in range(count)
    ]


def broken(number: str) -> str:
    """The same number with its check digit wrong."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_the_reference_check_agrees_with_known_card_numbers() -> None:
    for known in ("4111111111111111", "378282246310005", "4222222222222", "30569309025904"):
        assert luhn_valid(known) and not luhn_valid(broken(known))


@pytest.mark.parametrize("length", [13, 14, 15, 17, 18, 19])
def test_card_numbers_of_every_length_are_told_by_the_luhn_check(length: int) -> None:
    for number in numbers(length):
        assert redact(f"картка {number}.") == f"картка {CARD}."
        other = PHONE if length <= 15 else NUMBER
        assert redact(f"номер {broken(number)}.") == f"номер {other}."


def test_twelve_and_twenty_digits_are_never_cards() -> None:
    for number in numbers(12) + numbers(20):
        assert redact(number) == (PHONE if len(number) == 12 else NUMBER)


def test_sixteen_digits_are_a_card_even_without_the_check() -> None:
    for number in numbers(16):
        assert redact(broken(number)) == CARD


def test_the_placeholder_follows_the_digits_and_their_separators() -> None:
    assert redact("67-123-45-67") == PHONE  # nine digits with separators: a phone, not an ID card
    assert redact("671234567") == DOCUMENT  # nine written together: an ID card's number
    assert redact("+123456789") == PHONE  # with «+» it is a phone whatever the count
    assert redact("+1234567890") == PHONE
    assert redact("+12345678") == PHONE
    assert redact("(123456789)") == DOCUMENT + ")"
    assert redact("12 34 56 78") == "12 34 56 78"  # eight digits with separators: a date or a code, kept
    assert redact("+12 34 56 78") == PHONE


def test_a_date_range_in_brackets_is_kept() -> None:
    text = "(12.03.2024 – 15.03.2024)"
    assert redact(text) == text
    assert redact("(з 01.01.2024 по 31.12.2024)") == "(з 01.01.2024 по 31.12.2024)"


def test_a_sum_written_together_before_its_currency_is_kept() -> None:
    for text in ("сплатив 1500000 грн", "1500000 ₴", "борг 12345678 гривень"):
        assert redact(text) == text
    assert redact("1500000") == PHONE


def test_a_passport_series_at_the_very_start_of_the_message() -> None:
    assert redact("КК123456") == "КК" + DOCUMENT
    assert redact("кк123456 дякую") == "кк" + DOCUMENT + " дякую"


def test_email_edge_cases() -> None:
    assert redact("@gmail.com") == "@gmail.com"  # a domain alone is nobody's address
    assert redact("пишіть на @gmail.com") == "пишіть на @gmail.com"
    assert redact("a@b.com і c@d.org, тел. 0671234567") == f"{EMAIL} і {EMAIL}, тел. {PHONE}"
    assert redact("ivan@example.com@spam.org") == f"{EMAIL}@spam.org"
