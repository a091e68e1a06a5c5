"""The organisations' alias table (the word list the facts registry names), loading no model.

One row per banned organisation: its canonical id, its names in English and Russian, and every
form it is written in (`patterns_en`, `patterns_ru`, matched in any case; `patterns_case_sensitive`,
matched as written, for short forms such as "IS" that are also ordinary words). Extraction
(nlp/case_facts.py) and search (corpus/search.py) both read it from here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.naming import word_list


def organisations() -> list[dict]:
    """The table's rows, read from the file the facts registry names for organisations."""
    return word_list("org")


def aliases(org: dict) -> list[str]:
    """Every form of an organisation matched in any case: its patterns and its two names."""
    forms = [p for key in ("patterns_en", "patterns_ru") for p in org.get(key, [])]
    return forms + [name for name in (org.get("name_en"), org.get("name_ru")) if name]


@lru_cache(maxsize=256)
def alias_pattern(ids: frozenset[str] | None = None) -> re.Pattern:
    """One regex over every alias of every organisation (or of those in `ids`), a named group
    per organisation (`o0`, `o1`... its row in the table), longest forms first, whole words only:

    >>> m = alias_pattern().search("членов ИГИЛ осудили")
    >>> organisations()[int(m.lastgroup[1:])]["id"]
    'isis'
    """
    groups = []
    for i, org in enumerate(organisations()):
        if ids is not None and org["id"] not in ids:
            continue
        loose = sorted({a for a in aliases(org)}, key=len, reverse=True)
        exact = sorted(org.get("patterns_case_sensitive") or [], key=len, reverse=True)
        alternatives = [f"(?i:{'|'.join(map(re.escape, loose))})"] + [re.escape(x) for x in exact]
        groups.append(f"(?P<o{i}>{'|'.join(alternatives)})")
    # An empty set of organisations matches nothing.
    return re.compile(rf"(?<![\w-])(?:{'|'.join(groups)})(?![\w-])" if groups else r"(?!)")


def find_aliases(text: str, ids: frozenset[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, organisation id) of every alias written in `text` (of the organisations in `ids`)."""
    table = organisations()
    return [(m.start(), m.end(), table[int(m.lastgroup[1:])]["id"]) for m in alias_pattern(ids).finditer(text)]
