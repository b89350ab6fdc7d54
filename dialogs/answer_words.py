"""The words the reader of typed answers to a scenario's questions knows (dialogs/answers.py): fillers, words that
affirm after a leading yes or no, the first words of yes/no labels, negations, number words and question words.
Data only, kept apart from the reading so that either can be read whole."""

from __future__ import annotations

# Words that add nothing to a reply («тільки на себе» is «на себе»; «є у мене» is «є»).
EXTRA_FILLER = {
    *(
        "тільки",
        "лише",
        "только",
        "просто",
        "вже",
        "уже",
        "ще",
        "же",
        "ж",
        "от",
        "ось",
        "вот",
        "ну",
        "мабуть",
    ),
    *("мене", "мені", "нас", "нам", "меня", "мне", "в", "у", "з", "с", "зі", "со", "нього", "неї", "него"),
    *("він", "вона", "вони", "он", "она", "они", "мама", "тато", "батько", "отец", "мать", "це", "то", "там"),
    *("так", "да"),  # inside the rest of a reply: «так, так» adds nothing
}
# Words that add nothing to a choice typed by its label's words («тільки на себе» → «Лише на себе»).
CHOICE_FILLER = {
    "тільки",
    "лише",
    "только",
    "просто",
    "вже",
    "уже",
    "ще",
    "же",
    "ж",
    "мене",
    "мені",
    "меня",
    "мне",
}
# Words that, after a leading yes or no, say yes on their own («так, був»; «ні, була пенсіонеркою» contradicts).
AFFIRM = {
    "так",
    "да",
    "є",
    "есть",
    "був",
    "була",
    "було",
    "були",
    "маю",
    "ага",
    "угу",
    "yes",
    "звісно",
    "конечно",
}
# The first word of a label that makes its option the «yes» or the «no» one («Так, обоє», «Немає»).
YES_LEAD = {"так", "є", "yes"}
NO_LEAD = {"ні", "не", "немає", "нема", "no"}
WEAK_LEAD = {"не"}  # a «no» only alone: before a word it negates that word
NEGATION = {"не", "ні", "нє", "нет", "нема", "немає", "нету", "неа", "no", "ни", "без"}
NUMBER_WORDS = {
    **dict.fromkeys(("один", "одна", "одне", "одно", "одного"), 1),
    **dict.fromkeys(("два", "дві", "двоє", "двое", "двох", "двух"), 2),
    **dict.fromkeys(("три", "троє", "трое", "трьох", "трех"), 3),
    **dict.fromkeys(("чотири", "четверо", "четыре"), 4),
    **dict.fromkeys(("пять", "пятеро"), 5),
}
QUESTION_WORDS = {
    *("скільки", "де", "коли", "як", "чи", "що", "шо", "який", "яка", "які", "куди", "навіщо", "чому"),
    *("сколько", "где", "когда", "как", "что", "какие", "какой", "куда", "зачем", "почему", "можна", "можно"),
}
# Russian words of replies whose Ukrainian is a word of the options' labels (a label is compared word by word, and
# «потом» shares no letters with «пізніше»): read as that word when the reply as typed names no option.
RUSSIAN = {
    **dict.fromkeys(("потом", "позже", "позднее", "попозже"), "пізніше"),
    **dict.fromkeys(("сразу", "немедленно"), "одразу"),
    **dict.fromkeys(("родители", "родителей"), "батьки"),
    **dict.fromkeys(("меняли", "менял", "меняла", "изменяли", "изменял", "изменяла"), "змінювали"),
    **dict.fromkeys(("потерял", "потеряла", "потеряли", "потерян", "потеряно", "утерян", "утеряно"), "втрачене"),
    **dict.fromkeys(("потерялось", "потерялся", "потерялась", "потерялись", "нету"), "загубилося"),
    **dict.fromkeys(("украли", "украден", "украдено", "похитили", "похищен", "похищено"), "викрадене"),
    **dict.fromkeys(("испорчен", "испорчено", "испортился", "поврежден", "повреждено", "порван"), "пошкоджене"),
    **dict.fromkeys(("раздельно", "отдельно", "разных", "разным", "разные"), "різними"),
    **dict.fromkeys(("ребенок", "ребёнок", "ребенку", "ребёнку", "ребенка", "ребёнка", "детям"), "дитина"),
    **dict.fromkeys(("инвалид", "инвалидность", "инвалидностью", "инвалида"), "інвалідністю"),
    **dict.fromkeys(("военный", "военнослужащий", "военная", "военнослужащая", "военного"), "військовослужбовець"),
    **dict.fromkeys(("взрослый", "взрослая", "взрослому"), "дорослий"),
    **dict.fromkeys(("вдвоем", "вдвоём", "оба", "обе"), "обоє"),
    **dict.fromkeys(("льгота", "льготу", "льготы"), "пільга"),
    **dict.fromkeys(("коммуналку", "коммуналка", "коммунальные"), "комунальні"),
}
