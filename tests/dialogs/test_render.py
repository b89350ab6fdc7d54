"""Splitting long texts: no part over the limit, nothing lost."""

from __future__ import annotations

import pytest

from dialogs.render import split


@pytest.mark.parametrize(
    "text",
    [
        "а" * 3000 + "\n" + "слово " * 1000,  # an overlong line after gathered text
        "рядок\n" * 2000,
        "без_пробілів" * 800,
        "",
    ],
)
def test_parts_never_exceed_the_limit_and_keep_the_words(text: str) -> None:
    parts = split(text, 3500)
    assert all(len(p) <= 3500 for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
