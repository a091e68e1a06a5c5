"""The nlp library: spaCy pipelines that turn a news text into case facts, and the
embeddings and grouping that turn documents into cases. It knows nothing of the store.

    >>> from nlp import extract
    >>> extract("Суд приговорил жителя Семея к 7 годам лишения свободы по ч. 2 ст. 256 УК РК.")["articles"][0]["article"]
    256
"""

import warnings

# natasha's morphology imports pkg_resources, which warns on every start.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

from nlp.extraction import extract, extract_many  # noqa: E402

__all__ = ["extract", "extract_many"]
