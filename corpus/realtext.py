"""Scoring on real reports: the development set in tests/realtext/ (labels and references only)
against a folder of the retrieved texts, one `<sha1>.txt` per page.

Each field is scored as the labelling guide defines it: facts of the main case are gold, facts
listed under `acceptable_extra` are neither rewarded nor penalised. Places are compared by
gazetteer id (so "Oskemen" and "Ust-Kamenogorsk" are one place); dates without a year are
resolved against the page's publication date when it is known, the way a reader would.

    scores = score(load_records([Path("tests/realtext/ru-case.jsonl")]), Path("texts"))
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nlp.evaluate import Score
from nlp.facts import FACTS
from nlp.vocabulary import LANGUAGES


class RealTextError(Exception):
    """A labels file or a texts folder the user can fix."""


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class RealScores:
    fields: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))
    accuracy: dict[tuple[str, str], Accuracy] = field(default_factory=lambda: defaultdict(Accuracy))
    errors: list[dict] = field(default_factory=list)
    pages: int = 0
    missing: list[str] = field(default_factory=list)


SET_FIELDS = ("places", "articles", "articles_by_number", "sentences", "event_dates")
# Scalar facts labelled on case reports (nlp.facts label_key): scored as accuracy, null included.
LABELLED_SCALARS = tuple(f for f in FACTS.values() if f.label_key and not f.many)
ACCURACY_FIELDS = ("is_case_report", *(f.label_key for f in LABELLED_SCALARS),
                   "relevance_gate_recall_on_case_reports")
GATE = "relevance_gate"


REQUIRED = {"id": str, "sha1": str, "chars": int, "lang": str, "relevant": bool, "is_case_report": bool}


def load_records(paths: list[Path]) -> list[dict]:
    """The labelled records of the files, checked for the keys scoring reads."""
    records = []
    for path in paths:
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RealTextError(f"{path}: cannot read it as UTF-8 text ({exc.__class__.__name__})") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise RealTextError(f"{path}:{n}: not JSON ({exc})") from None
            if not isinstance(record, dict):
                raise RealTextError(f"{path}:{n}: a labelled record is a JSON object")
            for key, kind in REQUIRED.items():
                if not isinstance(record.get(key), kind):
                    raise RealTextError(f"{path}:{n}: {key!r} missing or not {kind.__name__}")
            if record["lang"] not in LANGUAGES:
                raise RealTextError(f"{path}:{n}: lang {record['lang']!r} is not one of {', '.join(LANGUAGES)}")
            records.append(record)
    return records


def read_text(record: dict, texts: Path) -> str | None:
    """The page's text as retrieved, or None when it is missing or not the labelled text."""
    path = texts / f"{record['sha1']}.txt"
    if not path.is_file():
        return None
    text = path.read_bytes().decode("utf-8")
    if hashlib.sha1(text.encode("utf-8")).hexdigest() != record["sha1"] or len(text) != record["chars"]:
        return None
    return text


# --- normalising gold and predictions --------------------------------------------------------

def _place_index() -> dict[str, str]:
    from nlp.gazetteer import places

    index: dict[str, str] = {}
    # English names first: an alias never takes a name that is another place's own.
    for place in places().values():
        index.setdefault(_fold(place.name_en), place.id)
    for place in places().values():
        for name in place.names:
            index.setdefault(_fold(name), place.id)
    return index


def _fold(name: str) -> str:
    name = name.lower().replace("oblast", "region").replace("province", "region")
    return re.sub(r"[^a-zа-яё0-9]+", " ", name).strip()


def place_key(name: str, index: dict[str, str]) -> str:
    return index.get(_fold(name), _fold(name))


def article_key(item: dict, with_part: bool = True) -> tuple:
    number = str(item.get("article")).replace("–", "-")
    return (item.get("code"), number, item.get("part")) if with_part else (item.get("code"), number)


KIND = {"suspended": "other", "death": "other"}
# The labelling guide's words where the extractor's differ.
LABEL_VALUES = {"stage": {"detention": "pretrial"}}


def _years(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 2)


def sentence_key(item: dict) -> tuple:
    return (KIND.get(item.get("kind"), item.get("kind")), _years(item.get("min_years")), _years(item.get("max_years")))


def resolve_partial(partial: str, published: dt.date | None) -> str:
    """"--03-14" -> the latest 14 March on or before publication; kept as it is without a date."""
    if published is None:
        return partial
    m = re.fullmatch(r"--(\d{2})(?:-(\d{2}))?", partial)
    if not m:
        return partial
    month, day = int(m[1]), int(m[2]) if m[2] else None
    year = published.year
    if (month, day or 1) > (published.month, published.day):
        year -= 1
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def _published(record: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(record["published"][:10]) if record.get("published") else None
    except ValueError:
        return None


def gold_sets(record: dict, index: dict[str, str]) -> tuple[dict[str, set], dict[str, set]]:
    """(gold, acceptable extra) per set field."""
    published = _published(record)

    def sets(facts: dict) -> dict[str, set]:
        # A year-less date is resolved wherever the labels put it (some extras list them as dates).
        dates = {resolve_partial(d, published) for d in
                 [*(facts.get("event_dates") or []), *(facts.get("event_dates_partial") or [])]}
        return {
            "places": {place_key(p, index) for p in facts.get("places") or []},
            "articles": {article_key(a) for a in facts.get("articles") or []},
            "articles_by_number": {article_key(a, False) for a in facts.get("articles") or []},
            "sentences": {sentence_key(s) for s in facts.get("sentences") or []},
            "event_dates": dates,
        }

    return sets(record), sets(record.get("acceptable_extra") or {})


def predicted_sets(facts) -> dict[str, set]:
    return {
        "places": {p["id"] for p in facts.places},
        "articles": {article_key(a) for a in facts.articles},
        "articles_by_number": {article_key(a, False) for a in facts.articles},
        "sentences": {sentence_key(p) for p in facts.penalties},
        "event_dates": {d["iso"] for d in facts.event_dates},
    }


# --- scoring ------------------------------------------------------------------------------------

def score(records: list[dict], texts: Path) -> RealScores:
    from crawler.relevance import score as relevance
    from nlp import extract_many

    out = RealScores()
    present = []
    for record in records:
        text = read_text(record, texts)
        if text is None:
            out.missing.append(record["id"])
        else:
            present.append((record, text))
    out.pages = len(present)
    index = _place_index()
    predictions = extract_many([(text, record["lang"], record.get("published")) for record, text in present])
    for (record, text), facts in zip(present, predictions):
        langs = (record["lang"], "all")
        relevant = relevance(None, text).relevant
        for lang in langs:
            gate = out.fields[(lang, GATE)]
            gate.tp += relevant and record["relevant"]
            gate.fp += relevant and not record["relevant"]
            gate.fn += (not relevant) and record["relevant"]
            if record["is_case_report"]:
                acc = out.accuracy[(lang, "relevance_gate_recall_on_case_reports")]
                acc.total += 1
                acc.right += relevant
        if not relevant and record["is_case_report"]:
            out.errors.append({"id": record["id"], "field": GATE, "missing": ["relevant"], "extra": []})
        if not record["relevant"]:
            continue  # a look-alike: only the gate is scored on it
        want, extra = gold_sets(record, index)
        got = predicted_sets(facts)
        for name in SET_FIELDS:
            counted = got[name] - (extra[name] - want[name])
            for lang in langs:
                s = out.fields[(lang, name)]
                s.tp += len(counted & want[name])
                s.fp += len(counted - want[name])
                s.fn += len(want[name] - counted)
            if counted != want[name]:
                out.errors.append({"id": record["id"], "field": name, "missing": sorted(map(str, want[name] - counted)),
                                   "extra": sorted(map(str, counted - want[name]))})
        checks = {"is_case_report": (bool(record["is_case_report"]), bool(facts.is_case_report))}
        for fact in LABELLED_SCALARS:
            if record["is_case_report"] or not fact.case_only:
                guess = facts[fact.name]
                checks[fact.label_key] = (record.get(fact.label_key), LABEL_VALUES.get(fact.name, {}).get(guess, guess))
        for name, (gold, guess) in checks.items():
            for lang in langs:
                acc = out.accuracy[(lang, name)]
                acc.total += 1
                acc.right += gold == guess
            if gold != guess:
                out.errors.append({"id": record["id"], "field": name, "missing": [str(gold)], "extra": [str(guess)]})
    return out


def format_scores(scores: RealScores) -> str:
    lines = [f"{scores.pages} pages scored" + (f"; {len(scores.missing)} texts missing or changed: "
                                               f"{', '.join(scores.missing[:10])}" if scores.missing else "")]
    lines.append(f"{'field':<40}{'lang':<6}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>5}{'fn':>5}")
    for name in (*SET_FIELDS, GATE):
        for lang in (*LANGUAGES, "all"):
            s = scores.fields.get((lang, name))
            if s:
                lines.append(f"{name:<40}{lang:<6}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.tp:>6}{s.fp:>5}{s.fn:>5}")
    lines.append(f"{'accuracy':<40}{'lang':<6}{'acc':>7}{'n':>7}")
    for name in ACCURACY_FIELDS:
        for lang in (*LANGUAGES, "all"):
            a = scores.accuracy.get((lang, name))
            if a:
                lines.append(f"{name:<40}{lang:<6}{a.value:>7.3f}{a.total:>7}")
    return "\n".join(lines)
