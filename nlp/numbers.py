"""Numbers written as digits or words, in Russian and English ("семи", "трех", "seven")."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from nlp.spans import literal_alternation


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, int]]:
    return json.loads(resources.files("nlp").joinpath("data/number_words.json").read_text("utf-8"))


@lru_cache(maxsize=4)
def cardinal_pattern(lang: str) -> str:
    """A regex alternation matching a number in digits or words (longest first)."""
    table = _words()[f"{lang}_cardinal"]
    words = sorted(table, key=len, reverse=True)
    return r"(?:\d+(?:[.,]\d+)?|" + literal_alternation(words) + ")"


@lru_cache(maxsize=4)
def ordinal_pattern(lang: str) -> str:
    words = sorted(_words()[f"{lang}_ordinal"], key=len, reverse=True)
    return "(?:" + literal_alternation(words) + ")"


def to_number(token: str, lang: str) -> float | None:
    token = token.strip().lower().replace("ё", "е")
    if re.fullmatch(r"\d+(?:[.,]\d+)?", token):
        return float(token.replace(",", "."))
    words = _words()
    for table in (f"{lang}_cardinal", f"{lang}_ordinal"):
        if token in words[table]:
            return float(words[table][token])
    return None


def as_int_or_float(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)
