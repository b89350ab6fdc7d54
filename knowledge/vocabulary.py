"""Search vocabulary: stop words and citizen synonyms (data/search.yaml)."""

from __future__ import annotations

from importlib import resources

import yaml

from knowledge.schema import Strict, Text


class SynonymGroup(Strict):
    """Words citizens type (`variants`) and the words of the knowledge they mean (`means`)."""

    means: Text
    variants: list[Text]


class SearchVocabulary(Strict):
    stopwords: list[str]
    synonyms: list[SynonymGroup]


def load_vocabulary() -> SearchVocabulary:
    """The vocabulary shipped with the package."""
    text = (resources.files("knowledge") / "data" / "search.yaml").read_text(encoding="utf-8")
    return SearchVocabulary.model_validate(yaml.safe_load(text))
