"""Whether a wish about booking asks about the citizen's own appointment rather than for a new one: «на коли я
записаний», «во сколько я записана», «де мій запис», «покажіть мої записи» (then «Мої записи», not a new
booking); «хочу записатися», «запишіть мене на четвер» are new ones."""

from __future__ import annotations

import itertools

from dialogs.typed.text import tokens

# «записаний» and the past tense: the citizen is already booked («мене записали», «я записався»)
BOOKED = frozenset(
    {
        "записаний", "записана", "записані", "записаною", "записалася", "записався", "записалась", "записали",
        "записан", "записаны", "записался", "записалися",
    }
)
# what is asked about it: when, what time, where, whether
ASKING = frozenset(
    {
        "коли", "котру", "котрий", "котрої", "якого", "який", "яку", "куди", "де", "чи", "час", "число", "дату",
        "когда", "которое", "который", "какое", "какой", "какую", "куда", "где", "ли", "время", "сколько", "во",
        "дата", "день",
    }
)
MY = frozenset({"мій", "мої", "мого", "моїх", "моя", "мой", "мои", "моего", "моей", "моих"})


def asks_mine(text: str) -> bool:
    """True when `text` asks about a booking the citizen already has (see the module's docstring)."""
    said = [w.strip(".,!?;:") for w in tokens(text)]
    if BOOKED & set(said) and ASKING & set(said):
        return True
    return any(a in MY and b.startswith("запис") for a, b in itertools.pairwise(said))
