"""Russian lemmas and the gender of first names, with pymorphy3, cached per word form (no spaCy:
the search column uses them too).

News text repeats its words, so a cache keyed on the form is about ten times faster than
parsing every token afresh. Without a tagger there is no part of speech to choose between
parses: the most probable parse's normal form is the lemma.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    if not word or not any(ch.isalpha() for ch in word):
        return word
    try:
        parses = _morph().parse(word)
    except ValueError:  # pymorphy3 looks up each character's Unicode name; some have none
        return word.lower()
    return parses[0].normal_form if parses else word.lower()


@lru_cache(maxsize=200_000)
def is_known(word: str) -> bool:
    """Whether pymorphy3's dictionary has the word form (an unknown one is a guess: a name, a
    rare or foreign word)."""
    try:
        return _morph().word_is_known(word)
    except ValueError:
        return False


@lru_cache(maxsize=20_000)
def is_female_first_name(word: str) -> bool:
    """Whether the word is a woman's first name in any case ("Татьяну", "Ольгой"): every reading of
    it as a first name is feminine. Not "Руслана" (his genitive or her nominative). The masculine
    readings are not offered as their converse: the dictionary reads some place names ("Алматы")
    and Kazakh women's names ("Сауле") as men's."""
    try:
        parses = _morph().parse(word)
    except ValueError:
        return False
    genders = {"femn" in p.tag for p in parses if "Name" in p.tag}
    return genders == {True}
