"""Relevance filter: is this page about an extremism or terrorism case?

A bilingual lexicon (`relevance_terms.yml`) of weighted patterns is scored per page: offence
terms (`topic`), steps of a criminal proceeding (`legal`) and security agencies (`actors`),
after look-alike phrases (drills, drugs "запрещённые вещества", a prior record "судимый")
are masked. Pages that fail are recorded by the application with their reason and score.

>>> score("Суд приговорил блогера", "Его признали виновным в разжигании межнациональной розни.").relevant
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Verdict:
    relevant: bool
    score: float
    reason: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    pattern: str
    kind: str  # "topic", "legal" or "actors"
    weight: float
    regex: re.Pattern


@dataclass(frozen=True)
class Chronology:
    entry: re.Pattern
    min_entries: int
    min_legal: float


@dataclass(frozen=True)
class Lexicon:
    threshold: float
    terms: tuple[Term, ...]
    mask: re.Pattern | None
    chronology: Chronology | None = None


def _word_start(pattern: str) -> re.Pattern:
    # A term must begin a word: "суд" must not match inside "сосуд".
    return re.compile(rf"(?<!\w)(?:{pattern})", re.I)


def load_lexicon(text: str) -> Lexicon:
    """Build a lexicon from the YAML text of a terms file (the format of relevance_terms.yml)."""
    data = yaml.safe_load(text)
    terms = []
    for kind in ("topic", "legal", "actors"):
        for pattern, weight in (data.get(kind) or {}).items():
            regex = _word_start(str(pattern))
            if regex.groups:
                raise ValueError(f"relevance term {pattern!r}: use (?:...) groups")
            terms.append(Term(str(pattern), kind, float(weight), regex))
    masks = data.get("mask") or []
    mask = _word_start("|".join(f"(?:{m})" for m in masks)) if masks else None
    chronology = None
    if data.get("chronology"):
        c = data["chronology"]
        # Case-sensitive: a dateline's city is written in capitals.
        chronology = Chronology(re.compile(c["entry"], re.M), int(c["min_entries"]), float(c["min_legal"]))
    return Lexicon(float(data["threshold"]), tuple(terms), mask, chronology)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return load_lexicon(resources.files("crawler").joinpath("relevance_terms.yml").read_text("utf-8"))


def score(title: str | None, text: str, lex: Lexicon | None = None) -> Verdict:
    """Judge one page: relevant when it names an offence in scope and a step of a criminal
    proceeding, with enough weight between them. `lex` defaults to the packaged lexicon."""
    lex = lex or lexicon()
    page = f"{title or ''}\n{text}".replace("ё", "е").replace("Ё", "Е")
    if lex.mask:
        page = lex.mask.sub(lambda m: " " * len(m.group()), page)
    found = {t: m.group().lower() for t in lex.terms if (m := t.regex.search(page))}
    weight = {kind: sum(t.weight for t in found if t.kind == kind) for kind in ("topic", "legal", "actors")}
    total = sum(weight.values())
    names = tuple(sorted(set(found.values())))
    if not weight["topic"]:
        return Verdict(False, total, "no extremism or terrorism terms", names)
    if not weight["legal"]:
        return Verdict(False, total, "no court or law-enforcement terms", names)
    chronology = lex.chronology
    if chronology and weight["legal"] < chronology.min_legal \
            and len(chronology.entry.findall(page)) >= chronology.min_entries:
        return Verdict(False, total, "a chronology of events with no proceeding of its own", names)
    if total < lex.threshold:
        return Verdict(False, total, f"score {total:.1f} below threshold {lex.threshold}", names)
    return Verdict(True, total, "ok", names)
