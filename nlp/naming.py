"""Where an organisation or an online platform is named in a text: their word lists (in
nlp/data/, as the facts registry names them) and patterns, without a spaCy pipeline.

`nlp.case_facts` finds which are named; `locate_named` says where one is first named, so that a
stored fact can point at its sentence.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from nlp.facts import FACTS
from nlp.spans import in_clutter_line, literal_alternation


@lru_cache(maxsize=None)
def word_list(kind: str) -> list[dict]:
    """The rows of the word list of a mention kind ("org", "platform"), the file the facts
    registry names for it (nlp.facts, `names_from`)."""
    file = next(f.names_from[0] for f in FACTS.values() if f.mention == kind and f.names_from)
    path = resources.files("nlp").joinpath(f"data/{file}")
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def platform_pattern() -> tuple[re.Pattern, list[str]]:
    """Every platform in one regex, a group per platform (`p0`, `p1`...), read in one pass; each
    platform's words as a tree of shared beginnings. Words match whole, so "Telegram" is found
    inside "Telegram-канале" but "VK" (case-sensitive) not inside other words."""
    groups, names = [], []
    for i, p in enumerate(word_list("platform")):
        loose = sorted({w.lower() for w in [p["name"], *p.get("patterns", [])]}, key=len, reverse=True)
        alts = [f"(?i:{literal_alternation(loose)})"] + [re.escape(x) for x in p.get("patterns_case_sensitive", [])]
        groups.append(f"(?P<p{i}>{'|'.join(alts)})")
        names.append(p["name"])
    return re.compile(rf"(?<![\w.])(?:{'|'.join(groups)})(?![\w])"), names


@lru_cache(maxsize=1)
def _org_patterns() -> dict[str, re.Pattern]:
    """Each organisation's forms as one whole-word regex, as nlp.case_facts' phrase matchers take
    them (any case, and the case-sensitive forms as written)."""
    from nlp.organisations import aliases  # it reads its rows through word_list, above

    out = {}
    for org in word_list("org"):
        loose = sorted({f.lower() for f in aliases(org)}, key=len, reverse=True)
        alts = [f"(?i:{literal_alternation(loose)})"] + [re.escape(x) for x in org.get("patterns_case_sensitive", [])]
        out[org["id"]] = re.compile(rf"(?<![\w])(?:{'|'.join(alts)})(?![\w])")
    return out


def locate_named(kind: str, value: str, text: str) -> tuple[int, int] | None:
    """Where an organisation (kind "org", its id) or a platform (kind "platform", its name) is
    first named in `text` outside page furniture, as (start, end); None when not found. The
    extraction keeps their ids only; this gives their facts a sentence to point at.

        >>> locate_named("platform", "Telegram", "He posted on Telegram.")
        (13, 21)
    """
    if kind == "org":
        pattern = _org_patterns().get(value)
        matches = pattern.finditer(text) if pattern else iter(())
    elif kind == "platform":
        pattern, names = platform_pattern()
        matches = (m for m in pattern.finditer(text) if names[int(m.lastgroup[1:])] == value)
    else:
        return None
    for m in matches:
        if not in_clutter_line(text, m.start()):
            return m.start(), m.end()
    return None
