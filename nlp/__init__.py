"""The nlp library: spaCy pipelines that turn a news text into case facts, and the
embeddings and grouping that turn documents into cases. It knows nothing of the store.

Importing it loads no model: the pipelines are built on first use.

    >>> from nlp import extract
    >>> extract("Суд приговорил жителя Семея к 7 годам лишения свободы по ч. 2 ст. 256 УК РК.").articles[0]["article"]
    256
"""

from __future__ import annotations

import warnings
from typing import Any

# natasha's morphology imports pkg_resources, which warns on every start.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

__all__ = ["extract", "extract_many"]


def __getattr__(name: str) -> Any:
    # extract and extract_many import spaCy: only when someone asks for them.
    if name in __all__:
        from nlp import extraction

        return getattr(extraction, name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
