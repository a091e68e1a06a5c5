"""What kind of text a report is: a case report, or statistics, an explainer, a warning, background.

Only case reports form cases. A case report names a person (or a group of people) and a stage of
a proceeding against them (detention, charge, trial, verdict, appeal); the other kinds are told by
their cues (counts and periods; what the law says and what it punishes; appeals to the public;
repatriation, analysis, history). Sentences of other cases mentioned in passing (nlp.frames) do
not count. Cues live in data/doc_type_cues.json; the stage cues in data/stage_cues.json.

    >>> document_type("Суд Актобе приговорил 27-летнего жителя города к 5 годам за пропаганду терроризма.", "ru")
    'case_report'
    >>> document_type("За 2023 год в Казахстане осуждены 122 человека за терроризм и экстремизм, против 124 годом ранее.", "ru")
    'statistics'
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Iterable

from nlp.frames import find_frames, main_text
from nlp.prefilter import Beginnings, lowered
from nlp.spans import in_clutter_line, sentences
from nlp.vocabulary import LANGUAGES

DOC_TYPES = ("case_report", "statistics", "explainer", "warning", "background")
OTHER_KINDS = ("warning", "explainer", "background", "statistics")
EXTRA = ("proceeding", "case_opened", "example", "period")
# Where a proceeding told in the first lines makes a case report even among other cues.
LEAD_CHARS = 600
COURT = re.compile(r"(?<![а-яё])суд(?:ом|а|у|е)?(?![а-яё])|\bcourt\b", re.I)


def _data(name: str) -> dict:
    return json.loads(resources.files("nlp").joinpath(f"data/{name}").read_text("utf-8"))


def _any(patterns: Iterable[str], flags: int = re.I) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


@lru_cache(maxsize=1)
def _cues() -> dict[str, dict[str, re.Pattern]]:
    kinds, stages = _data("doc_type_cues.json"), _data("stage_cues.json")
    out = {}
    for lang in LANGUAGES:
        person = kinds[lang]["person"]
        out[lang] = {kind: _any(kinds[lang][kind]) for kind in OTHER_KINDS}
        out[lang]["person"] = _any(person[:-1])
        out[lang]["surname"] = _any(person[-1:], 0)  # a capitalised surname shape: case matters
        out[lang]["action"] = _any([p for stage in ("appeal", "verdict", "trial", "detention") for p in stages[lang][stage]]
                                   + kinds[lang]["proceeding"])
        out[lang]["case_opened"] = _any(kinds[lang]["case_opened"])
        out[lang]["example"] = _any(kinds[lang]["example"])
        out[lang]["period"] = _any(kinds[lang]["period"])
        out[lang]["topic"] = _any(stages["topic"][lang])
    return out


@lru_cache(maxsize=1)
def _beginnings() -> dict[str, dict[str, Beginnings]]:
    return {lang: {kind: Beginnings(pattern) for kind, pattern in cues.items()} for lang, cues in _cues().items()}


def features(text: str, lang: str, names: Iterable[str] = (), main: str | None = None,
             topic: bool = False) -> Counter:
    """Counts of the cues: sentences telling a proceeding (`proc`, `proc_lead` in the lead),
    sentences of statistics, warnings, explanation, background; and whether the main text has a
    person, a stage of a proceeding, a court, and the topic at all."""
    key = "en" if lang == "en" else "ru"
    cues = _cues()[key]
    names = [n for n in names if len(n) > 3]
    main = main if main is not None else main_text(text, find_frames(text, lang))
    # Sentences where no cue of a kind can begin are not searched for it.
    beginnings, low = _beginnings()[key], lowered(main)

    def has_person(s: str) -> bool:
        return bool(cues["person"].search(s) or cues["surname"].search(s) or any(n in s for n in names))

    def found(kind: str, s: str, start: int) -> bool:
        return beginnings[kind].may_match(low, start, start + len(s)) and bool(cues[kind].search(s))

    out: Counter = Counter()
    read = 0  # characters of the report read so far, page furniture left out
    seen: set[str] = set()
    for start, end, _ in sentences(main):
        s = main[start:end]
        if not s.strip() or _furniture(main, start, s):
            continue
        # A headline repeated by the page (title, heading, breadcrumb) is read once: its copies
        # would count its cues again and push the report's first sentences out of the lead.
        said = " ".join(s.split())
        if said in seen:
            continue
        seen.add(said)
        lead, read = read < LEAD_CHARS, read + len(s)
        stats = _statistics_cues(cues, s) if beginnings["statistics"].may_match(low, start, end) else 0
        # A count of people detained or convicted is statistics, not one proceeding. (Whether the
        # sentence names a person is asked last: it is the dearest question.)
        if stats < 2 and (found("action", s, start) and has_person(s) or found("case_opened", s, start)):
            out["proc"] += 1
            out["proc_lead"] += lead
        out["statistics"] += stats >= 2 or bool(stats and not has_person(s))
        out["example"] += found("example", s, start)
        for kind in ("warning", "explainer", "background"):
            out[kind] += found(kind, s, start)
    # nlp.frames takes statistics sentences out of the main text: a round-up that cites an example
    # case is told by the whole text's.
    if out["example"]:
        out["statistics_all"] = sum(_stats_sentence(cues, text[a:b], has_person) for a, b, _ in sentences(text)
                                    if not _furniture(text, a, text[a:b]))
    out["person"] = has_person(main)
    out["action"] = found("action", main, 0)
    out["court"] = bool(COURT.search(main))
    out["topic"] = topic or bool(cues["topic"].search(text))
    return out


def _statistics_cues(cues: dict, s: str) -> int:
    """How many statistics cues a sentence has. A reporting period ("in 2019", "с начала года")
    counts only beside a count or another statistics cue: alone, a year dates an event of a
    story ("the movement was banned in 2005")."""
    counts = len(cues["statistics"].findall(s))
    return counts + len(cues["period"].findall(s)) if counts else 0


def _stats_sentence(cues: dict, s: str, has_person) -> bool:
    stats = _statistics_cues(cues, s)
    return stats >= 2 or bool(stats and not has_person(s))


def _furniture(text: str, start: int, s: str) -> bool:
    """Menus, currency tickers, counters: a line of page furniture, or more digits and signs than letters."""
    return in_clutter_line(text, start) or sum(map(str.isalpha, s)) * 2 < len(s) - sum(map(str.isspace, s))


def decide(f: Counter) -> str:
    if not f["topic"] and not f["proc"]:
        return "background"
    proceeding = bool(f["action"] and (f["person"] or f["court"]) or f["proc"])
    best = max(OTHER_KINDS, key=lambda kind: f[kind])
    # A case told as an example of a round-up, a warning or an explanation does not make it a case report.
    if f["example"] and (f[best] or f["statistics_all"]):
        return best if f[best] else "statistics"
    # A proceeding wins over one stray cue of another kind, and over as many as it has sentences.
    if proceeding and (f["proc"] >= max(1, f[best]) or f[best] <= 1):
        return "case_report"
    # A proceeding told in the lead wins over a few cues of another kind, not over a text full of them.
    if f[best] and not (proceeding and f["proc_lead"] and f[best] <= f["proc"] + 1):
        return best
    if proceeding:
        return "case_report"
    return best if f[best] else "background"


def document_type(text: str, lang: str, names: Iterable[str] = (), main: str | None = None,
                  topic: bool = False) -> str:
    """`topic`: the caller already knows the text is on topic (an extremism or terrorism article
    of a criminal code, a banned organisation named)."""
    return decide(features(text, lang, names, main, topic))
