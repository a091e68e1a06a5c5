"""The court that heard the case: its name as the report writes it, and its level.

The component `case_court` writes `doc._.court`: {"name", "level", "text", "start", "end"} or
None. The first court a report names is the main case's (a verdict's court leads the report);
a court's decision to ban an organisation is background, not the case's court. Patterns live in
data/court_cues.json; levels are nlp.vocabulary.COURT_LEVELS.

    >>> find_court("Специализированный межрайонный суд по уголовным делам города Семей приговорил ...", "ru")["level"]
    'district'
    >>> find_court("The Almaty City Court sentenced him on Monday.", "en")["level"]
    'city'
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from spacy.language import Language

from nlp.spans import ensure_extension, in_clutter_line, sentence_bounds, text_of
from nlp.vocabulary import COURT_LEVELS

# Tried in this order: "межрайонный суд ... города Семей" and "межрайонный суд ... области" are
# district-level courts; "суд ... области" alone is the regional court.
LEVEL_ORDER = ("supreme", "military", "district", "regional", "city")
assert set(LEVEL_ORDER) == set(COURT_LEVELS)


@lru_cache(maxsize=1)
def _cues() -> dict:
    data = json.loads(resources.files("nlp").joinpath("data/court_cues.json").read_text("utf-8"))
    return {lang: {"phrase": re.compile(c["phrase"]),
                   "levels": [(lvl, re.compile(c["levels"][lvl], re.I if lang == "ru" else 0)) for lvl in LEVEL_ORDER],
                   "skip": re.compile(c["skip"], re.I)}
            for lang, c in data.items()}


def find_court(text: str, lang: str) -> dict | None:
    cues = _cues()["en" if lang == "en" else "ru"]
    for m in cues["phrase"].finditer(text):
        name = m.group(0).strip()
        level = next((lvl for lvl, rx in cues["levels"] if rx.search(name)), None)
        if level is None or in_clutter_line(text, m.start()):
            continue
        s, e = sentence_bounds(text, m.start())
        if cues["skip"].search(text[s:e]):
            continue
        if lang == "en":
            name = re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", name)
        start = m.start() + m.group(0).index(name)
        return {"name": name, "level": level, "text": name, "start": start, "end": start + len(name)}
    return None


@Language.factory("case_court")
def make_case_court(nlp: Language, name: str):
    ensure_extension("court", default=None)
    lang = "en" if nlp.lang == "en" else "ru"

    def case_court(doc):
        doc._.court = find_court(text_of(doc), lang)
        return doc

    return case_court
