"""Russian lemmas with pymorphy3, cached per word form.

spaCy's own pymorphy3 lemmatizer parses every token afresh; news text repeats its words,
so a cache keyed on the form makes the lemmatizer about ten times faster. Without a tagger
there is no part of speech to choose between parses: the most probable parse's normal form
is the lemma (used for the lemmatised search column, not for extraction).
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    if not word or not any(ch.isalpha() for ch in word):
        return word
    parses = _morph().parse(word)
    return parses[0].normal_form if parses else word.lower()


@Language.factory("pymorphy3_lemmatizer")
def make_lemmatizer(nlp: Language, name: str):
    def pymorphy3_lemmatizer(doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = lemma(token.lower_)
        return doc

    return pymorphy3_lemmatizer
