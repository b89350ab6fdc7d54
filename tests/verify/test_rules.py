"""The one-time code's pure rules: its shape, digest, the words that mean «again», «another number», «stop»."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.typed import masked_phone
from dialogs.verify import rules

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


def test_codes_are_six_random_digits() -> None:
    codes = {rules.new_code() for _ in range(300)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 290


def test_the_digest_is_keyed_and_bound_to_the_citizen_and_the_number() -> None:
    stored = rules.digest(b"k1", 7, "380671234567", "123456")
    assert "123456" not in stored and len(stored) == 64
    assert rules.matches(stored, b"k1", 7, "380671234567", "123456")
    assert not rules.matches(stored, b"k2", 7, "380671234567", "123456")  # another key
    assert not rules.matches(stored, b"k1", 8, "380671234567", "123456")  # another citizen
    assert not rules.matches(stored, b"k1", 7, "380501234567", "123456")  # another number
    assert not rules.matches(stored, b"k1", 7, "380671234567", "123457")


@pytest.mark.parametrize(
    ("text", "code"),
    [("123456", "123456"), ("123 456", "123456"), ("код: 123-456", "123456"), ("мій код 000123", "000123"),
     ("12345", None), ("1234567", None), ("123456 і 654321", None), ("не пришел код", None)],
)  # fmt: skip
def test_a_code_in_a_reply(text: str, code: str | None) -> None:
    assert rules.read_code(text) == code


@pytest.mark.parametrize(
    "text",
    ["не пришел код", "Не прийшов код", "надіслати ще раз", "Надішліть ще раз, будь ласка", "отправить ещё раз",
     "отправьте еще раз", "код не прийшло", "новий код", "де код?"],
)  # fmt: skip
def test_resend_in_words(text: str) -> None:
    assert rules.wants_resend(text)


@pytest.mark.parametrize("text", ["123456", "дякую", "так", "інший номер"])
def test_not_resend(text: str) -> None:
    assert not rules.wants_resend(text)


@pytest.mark.parametrize("text", ["скасувати", "Отмена", "не треба", "стоп!", "не хочу"])
def test_giving_up_in_words(text: str) -> None:
    assert rules.wants_out(text)


@pytest.mark.parametrize("text", ["не пришел код", "0671234567", "так"])
def test_not_giving_up(text: str) -> None:
    assert not rules.wants_out(text)


def test_the_resend_pause() -> None:
    assert rules.resend_in(None, NOW) == 0
    assert rules.resend_in(NOW, NOW + dt.timedelta(seconds=20)) == 40
    assert rules.resend_in(NOW, NOW + dt.timedelta(seconds=59, milliseconds=500)) == 1
    assert rules.resend_in(NOW, NOW + dt.timedelta(seconds=60)) == 0


def test_a_number_as_a_logged_message_shows_it() -> None:
    assert masked_phone("380671234567") == "+380 67 ••• •• 67"
    assert masked_phone("+380671234567") == "+380 67 ••• •• 67"
    assert masked_phone("4915112345678") == "+•••••••••••78"
