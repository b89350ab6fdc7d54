"""What the survey says to a citizen (Ukrainian; short and polite)."""

from __future__ import annotations

import datetime as dt

ASK = (
    "Добрий день! Як пройшов ваш візит до Центру «Віза»{when}?\n\n"
    "Оцініть, будь ласка, від 1 до 5: 1 — дуже погано, 5 — чудово."
)
COMMENT = "Дякуємо за оцінку! Можете написати, що було добре чи що покращити, або натисніть «Пропустити»."
SKIP = "Пропустити"
THANKS = "Дякуємо за відгук! Його прочитають у Центрі «Віза»."
THANKS_SCORE = "Дякуємо! Гарного дня."
ALREADY = "Цей візит ви вже оцінили. Дякуємо!"
STALE = "Це опитування вже закрите. Дякуємо!"
AGAIN = "Оцініть, будь ласка, числом від 1 до 5 або натисніть кнопку."

_MONTHS = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
           "листопада", "грудня")  # fmt: skip


def when(visit_day: dt.date, today: dt.date) -> str:
    """« вчора» or « 5 грудня»: the visit's day as the question names it."""
    if (today - visit_day).days == 1:
        return " вчора"
    return f" {visit_day.day} {_MONTHS[visit_day.month - 1]}"
