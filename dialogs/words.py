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
# More ways to say yes or no to a step's question (dialogs/typed.py reads them with the sets above): a
# confirmation («підтверджую», «все вірно») and a refusal («не треба», «не хочу»), Ukrainian, Russian,
# surzhyk.
MORE_YES_WORDS = {
    "так так", "ага", "угу", "звичайно", "авжеж", "аякже", "звісно що так", "так звісно", "да конечно",
    "підтверджую", "підтверджую запис", "підтвердити", "підтверджуємо", "підтвердіть", "подтверждаю",
    "подтвердить", "згоден", "згодна", "згодні", "погоджуюсь", "погоджуюся", "согласен", "согласна",
    "ок", "окей", "ok", "okay", "добре", "гаразд", "давайте", "давай", "хорошо", "ладно", "підходить",
    "подходит", "вірно", "все вірно", "правильно", "все правильно", "верно", "все верно", "так вірно",
    "записуйте", "запишіть", "записывайте", "ес", "yes", "йес", "тк", "таг",
}  # fmt: skip
MORE_NO_WORDS = {
    "ні ні", "нет нет", "неа", "ніт", "не", "нє", "нее", "ниет", "не треба", "не потрібно", "не хочу",
    "не надо", "не нужно", "відмова", "не згоден", "не згодна", "не согласен", "не согласна",
    "не належу", "не пільговик", "не пільговичка", "не льготник", "не отношусь", "не відношусь",
    "ні не належу", "нi",
}  # fmt: skip
