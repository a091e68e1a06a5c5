"""Relevance filter: is this page about an extremism or terrorism case?

A bilingual lexicon (`relevance_terms.yml`) of case-term stems is scored per page. Pages
that fail are recorded by the application with their reason and score, not stored.
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
class Lexicon:
    threshold: float
    topic: dict[str, float]
    legal: dict[str, float]
    pattern: re.Pattern


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = yaml.safe_load(resources.files("crawler").joinpath("relevance_terms.yml").read_text("utf-8"))
    topic = {k.lower(): float(v) for k, v in data["topic"].items()}
    legal = {k.lower(): float(v) for k, v in data["legal"].items()}
    terms = sorted(set(topic) | set(legal), key=len, reverse=True)
    # Word-start match: the stem must begin a word; "суд" must not match inside "сосуд".
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(t) for t in terms) + r")", re.I)
    return Lexicon(float(data["threshold"]), topic, legal, pattern)


def score(title: str | None, text: str) -> Verdict:
    lex = lexicon()
    found = {m.group(1).lower() for m in lex.pattern.finditer(f"{title or ''}\n{text}")}
    topic = sum(lex.topic[t] for t in found if t in lex.topic)
    legal = sum(lex.legal[t] for t in found if t in lex.legal)
    total = topic + legal
    if not topic:
        return Verdict(False, total, "no extremism or terrorism terms", tuple(sorted(found)))
    if not legal:
        return Verdict(False, total, "no court or law-enforcement terms", tuple(sorted(found)))
    if total < lex.threshold:
        return Verdict(False, total, f"score {total:.1f} below threshold {lex.threshold}", tuple(sorted(found)))
    return Verdict(True, total, "ok", tuple(sorted(found)))
