"""Shared vocabularies: the closed lists every stage agrees on, in one light module (no models).

    >>> furthest_stage(["trial", "verdict", None])
    'verdict'
"""

from __future__ import annotations

from typing import Iterable

# Languages with an extraction pipeline; a document in another language is stored, not processed.
LANGUAGES: tuple[str, ...] = ("ru", "en")

# Stages of a case, earliest first: a report's stage is the furthest it describes.
STAGES: tuple[str, ...] = ("detention", "trial", "verdict", "appeal")

# What a court imposed (nlp.penalties); "death" is kept apart from life for older reports.
PENALTY_KINDS: tuple[str, ...] = ("prison", "restricted_freedom", "fine", "life", "death", "suspended", "other")

# Court levels, lowest first (the `court_level` fact).
COURT_LEVELS: tuple[str, ...] = ("district", "city", "military", "regional", "supreme")

# Width of the document embeddings (multilingual-e5-small).
EMBEDDING_DIM = 384


def furthest_stage(stages: Iterable[str | None]) -> str | None:
    known = [s for s in stages if s in STAGES]
    return max(known, key=STAGES.index) if known else None


def highest_court(levels: Iterable[str | None]) -> str | None:
    known = [lvl for lvl in levels if lvl in COURT_LEVELS]
    return max(known, key=COURT_LEVELS.index) if known else None
