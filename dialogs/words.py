"""Typed words every part of the dialog understands the same way (the menu, help, forget, yes/no).

A neutral module, so a room reads «меню» as the engine does without importing the engine."""

from __future__ import annotations

from knowledge.understand import Intent

MENU_WORDS = {"/start", "/menu", "меню", "start", "почати", "начать", "головне меню"}
HELP_WORDS = {"/help", "допомога", "help", "помощь"}
FORGET_WORDS = {"/forget", "забудь мене", "забудь меня", "видалити мої дані", "удалить мои данные"}
BACK_WORDS = {"назад", "back", "/back"}
YES_WORDS = {"так", "да", "yes", "ага", "угу", "звісно", "конечно"}
NO_WORDS = {"ні", "нет", "no", "ни", "неа"}
# Words that say nothing about which option is meant («я опікун» → «Опікун»).
FILLER_WORDS = {"я", "ми", "мы", "ну", "а", "і", "и", "й", "в", "у", "на", "це", "это", "мій", "моя", "мой"}
UNKNOWN_WORDS = {"не знаю", "незнаю", "хз", "не уверен", "не впевнений", "не впевнена"}
# Typed words that always mean one intent, whether or not a room takes it.
INTENT_WORDS = dict.fromkeys(
    ("/operator", "оператор", "оператора", "людина", "живий оператор", "живой оператор"), Intent.OPERATOR
)
