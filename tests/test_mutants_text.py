"""Written from the mutation benchmark's survivors in knowledge/text.py (docs/MUTATION.md): the lemmatizer must
read Ukrainian with the Ukrainian dictionary and Russian with the Russian one (a mutant that built the Ukrainian
analyzer with pymorphy3's default language, i.e. Russian twice, survived every selected test)."""

from knowledge.text import Lemmatizer, skeleton

LEMMAS = Lemmatizer()


def test_a_ukrainian_only_form_gets_its_ukrainian_lemma() -> None:
    # «дітей» is not a Russian word; only the Ukrainian dictionary knows it as a form of «дитина».
    assert LEMMAS.known("дітей")
    assert skeleton("дитина") in LEMMAS.forms("дітей")
    assert skeleton("свідоцтво") in LEMMAS.forms("свідоцтва")


def test_a_russian_only_form_gets_its_russian_lemma() -> None:
    # «детей» is Russian only: its lemma «ребёнок» comes from the Russian dictionary.
    assert LEMMAS.known("детей")
    assert skeleton("ребёнок") in LEMMAS.forms("детей")
