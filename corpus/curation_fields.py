"""What a person may correct, and how a corrected value is checked, stored and shown.

A correction names a field of a case (a column of `cases`, or a few columns set together, such
as `place` or `penalty`) or of a document (a fact column of `documents`). The fields come from
the facts registry (nlp/facts.py): every case column a fact makes, plus the place, region,
penalty, title and year that corpus/cases.py writes out itself. A value is text, as a person
types it and as a spreadsheet holds it; lists are written "a; b". It is checked against the
registry's vocabularies, the gazetteer and the criminal code before anything is stored:

    >>> case_field("region").parse("Ulytau region")
    {'region': 'Ulytau region'}
    >>> case_field("penalty").parse("prison 5-7")
    {'penalty_kind': 'prison', 'penalty_min_years': 5.0, 'penalty_max_years': 7.0}
    >>> case_field("articles").parse("KZ-CC 256; KZ-CC 174")
    {'articles': '["KZ-CC 174", "KZ-CC 256"]'}

An empty value says the fact is not stated.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from nlp.criminal_code import codebook
from nlp.facts import Fact, case_columns, display_names, stored_facts
from nlp.gazetteer import Place, places
from nlp.vocabulary import COURT_LEVELS, PENALTY_KINDS, STAGES

from corpus.database import to_json

# Values of the `genders` case column (nlp.facts.Person).
GENDERS = ("female", "male")
# Kinds of penalty that are a term of years: a correction must say how long.
TERM_KINDS = ("prison", "restricted_freedom", "suspended")
# Plausible bounds of what people correct: ages of the accused, years of a term, years of a case.
AGES = (10, 100)
TERM_YEARS = (0, 50)
YEARS = (1950, 2100)
PEOPLE = (0, 10_000)
LIST_SEPARATOR = ";"


class BadValue(ValueError):
    """A value that does not fit its field; the message is one line for the user."""


@dataclass(frozen=True)
class Field:
    """One correctable field: `parse` turns the text a person gives into the columns it sets
    (raising BadValue), `show` reads the field back from a row as the same kind of text."""

    name: str
    meaning: str
    columns: tuple[str, ...]
    parse: Callable[[str], dict[str, Any]]
    show: Callable[[dict], str]


def _items(text: str) -> list[str]:
    return [v.strip() for v in text.split(LIST_SEPARATOR) if v.strip()]


def _loads(value: Any) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [value]
    return parsed if isinstance(parsed, list) else [parsed]


def _number(text: str, kind: type, bounds: tuple[int, int], what: str):
    try:
        value = kind(text)
    except ValueError:
        raise BadValue(f"{what} must be a number, not {text!r}") from None
    if not bounds[0] <= value <= bounds[1]:
        raise BadValue(f"{what} must be between {bounds[0]} and {bounds[1]}, not {text}")
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- vocabularies ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _place_names() -> dict[str, list[Place]]:
    """Every name of a gazetteer place, lower case (English, Russian, aliases, its id) -> places."""
    out: dict[str, list[Place]] = {}
    for place in places().values():
        for name in {place.id, *place.names}:
            out.setdefault(name.lower(), []).append(place)
    return out


def find_place(text: str, *, regions_only: bool = False) -> Place:
    what = "region" if regions_only else "place"
    found = [p for p in _place_names().get(text.strip().lower(), [])
             if not regions_only or p.kind == "region"]
    if not found:
        raise BadValue(f"{text!r} is not a {what} in the gazetteer (nlp/data/gazetteer.csv)")
    if len({p.id for p in found}) > 1:
        raise BadValue(f"{text!r} names several {what}s: use one of their ids "
                          f"({', '.join(sorted(p.id for p in found))})")
    return found[0]


def article_id(text: str) -> str:
    match = re.fullmatch(r"\s*([A-Z]{2}-CC)\s+(\d+(?:-\d+)?)\s*", text)
    if not match:
        raise BadValue(f"{text!r} is not an article: write the code and the number, e.g. \"KZ-CC 256\"")
    if (match[1], match[2]) not in codebook():
        raise BadValue(f"{match[1]} has no article {match[2]} (nlp/data/criminal_code.csv)")
    return f"{match[1]} {match[2]}"


def _choice(options) -> Callable[[str], str]:
    lookup = {o.lower(): o for o in options}

    def check(text: str) -> str:
        if text.lower() not in lookup:
            raise BadValue(f"{text!r} is not one of: {', '.join(options)}")
        return lookup[text.lower()]
    return check


def _event_date(text: str) -> str:
    for fmt, width in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if len(text) == width:
            return text
    raise BadValue(f"{text!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")


def penalty(text: str) -> dict[str, Any]:
    """"prison 7", "prison 5-7", "life", "fine" -> {kind, min_years, max_years}."""
    match = re.fullmatch(r"\s*([a-z_ ]+?)\s*(?:(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?)?\s*(?:years?)?\s*",
                         text.lower())
    kind = match[1].replace(" ", "_") if match else None
    if kind not in PENALTY_KINDS:
        raise BadValue(f"{text!r} is not a penalty: write its kind ({', '.join(PENALTY_KINDS)}) "
                          "and, for a term, its years, e.g. \"prison 7\" or \"prison 5-7\"")
    low = _number(match[2], float, TERM_YEARS, "years") if match[2] else None
    high = _number(match[3], float, TERM_YEARS, "years") if match[3] else low
    if kind in TERM_KINDS and low is None:
        raise BadValue(f"a {kind.replace('_', ' ')} penalty needs its years, e.g. \"{kind} 7\"")
    if low is not None and high < low:
        raise BadValue(f"{text!r}: the longer term comes second, e.g. \"prison 5-7\"")
    return {"kind": kind, "min_years": low, "max_years": high}


def penalty_text(kind: str | None, low: Any, high: Any) -> str:
    if not kind:
        return ""
    if low is None:
        return kind
    return f"{kind} {_fmt(low)}" if high in (None, low) else f"{kind} {_fmt(low)}-{_fmt(high)}"


# --- fields of a case -----------------------------------------------------------------------

def _scalar(column: str, check: Callable[[str], Any]) -> tuple[Callable, Callable]:
    return (lambda text: {column: check(text.strip()) if text.strip() else None},
            lambda row: _fmt(row.get(column)))


def _listed(column: str, check: Callable[[str], Any]) -> tuple[Callable, Callable]:
    def parse(text: str) -> dict:
        return {column: to_json(sorted({check(item) for item in _items(text)}))}
    return parse, lambda row: f"{LIST_SEPARATOR} ".join(_fmt(v) for v in _loads(row.get(column)))


def _place_columns(text: str) -> dict[str, Any]:
    if not text.strip():
        return {"place_id": None, "place": None, "region": None, "country": None, "latitude": None,
                "longitude": None}
    place = find_place(text)
    region = places().get(place.admin1_id) if place.admin1_id else None
    return {"place_id": place.id, "place": place.name_en,
            "region": region.name_en if region else (place.name_en if place.kind == "region" else None),
            "country": place.country, "latitude": place.lat, "longitude": place.lon}


def _penalty_columns(text: str) -> dict[str, Any]:
    p = penalty(text) if text.strip() else {"kind": None, "min_years": None, "max_years": None}
    return {"penalty_kind": p["kind"], "penalty_min_years": p["min_years"], "penalty_max_years": p["max_years"]}


def _count(what: str) -> Callable[[str], int]:
    return lambda text: _number(text, int, PEOPLE, what)


# Checks of values that no vocabulary of the registry covers, by column name.
_CHECKS: dict[str, Callable[[str], Any]] = {
    "articles": article_id,
    "genders": _choice(GENDERS),
    "ages": lambda text: _number(text, int, AGES, "an age"),
    "stage": _choice(STAGES),
    "court_level": _choice(COURT_LEVELS),
    "court": str,
}


def _check(fact: Fact, column: str, item: str) -> Callable[[str], Any] | None:
    """How a value of a fact's column is checked: a named check, the fact's word list
    (nlp.facts names_from), or a count of people; None when a person cannot correct it."""
    if column in _CHECKS:
        return _CHECKS[column]
    if fact.names_from:
        return lambda text: _choice(tuple(display_names(fact.name)))(text)
    if item == "integer":
        return _count("a count of people")
    return None


@lru_cache(maxsize=1)
def case_fields() -> dict[str, Field]:
    fields = [
        Field("place", "The main place of the case (a gazetteer place by name or id); sets its region, "
                       "country and coordinates too",
              ("place_id", "place", "region", "country", "latitude", "longitude"),
              _place_columns, lambda row: row.get("place_id") or ""),
        Field("region", "The region of the case (a gazetteer region, e.g. \"Ulytau region\")", ("region",),
              *_scalar("region", lambda t: find_place(t, regions_only=True).name_en)),
        Field("penalty", "The main penalty: its kind and, for a term, its years (\"prison 7\", \"prison 5-7\", "
                         "\"life\")", ("penalty_kind", "penalty_min_years", "penalty_max_years"),
              _penalty_columns,
              lambda row: penalty_text(row.get("penalty_kind"), row.get("penalty_min_years"),
                                       row.get("penalty_max_years"))),
        Field("first_event", "Earliest event date (YYYY, YYYY-MM or YYYY-MM-DD)", ("first_event",),
              *_scalar("first_event", _event_date)),
        Field("last_event", "Latest event date (YYYY, YYYY-MM or YYYY-MM-DD)", ("last_event",),
              *_scalar("last_event", _event_date)),
        Field("title", "The case's title", ("title",), *_scalar("title", str)),
        Field("year", "The year the case surfaced", ("year",),
              *_scalar("year", lambda t: _number(t, int, YEARS, "a year"))),
    ]
    for fact, column in case_columns():
        check = _check(fact, column.name, column.item) if column.aggregate != "custom" else None
        if check is None:
            continue
        make = _listed if column.many else _scalar
        fields.append(Field(column.name, column.meaning, (column.name,), *make(column.name, check)))
    return {f.name: f for f in fields}


def _named_field(fields: dict[str, Field], name: str, what: str) -> Field:
    if name not in fields:
        raise BadValue(f"{what} {name!r}; fields: {', '.join(sorted(fields))}")
    return fields[name]


def case_field(name: str) -> Field:
    return _named_field(case_fields(), name, "a case has no field")


# --- fields of a document -------------------------------------------------------------------

def _document_penalties(text: str) -> dict[str, Any]:
    return {"penalties": to_json([penalty(item) for item in _items(text)])}


def _show_penalties(row: dict) -> str:
    return f"{LIST_SEPARATOR} ".join(penalty_text(p.get("kind"), p.get("min_years"), p.get("max_years"))
                                     for p in _loads(row.get("penalties")))


@lru_cache(maxsize=1)
def document_fields() -> dict[str, Field]:
    special = {
        "is_case_report": _scalar("is_case_report", lambda t: {"1": 1, "0": 0}[_choice(("0", "1"))(t)]),
        "places": _listed("places", lambda t: find_place(t).id),
        "articles": _listed("articles", article_id),
        "penalties": (_document_penalties, _show_penalties),
        "event_dates": _listed("event_dates", _event_date),
    }
    fields = []
    for fact in stored_facts():
        if fact.column in special:
            parse, show = special[fact.column]
        elif fact.item == "json":  # objects (a court, people) are corrected on the case
            continue
        elif check := _check(fact, fact.column, fact.column_item or fact.item):
            parse, show = (_listed if fact.many else _scalar)(fact.column, check)
        else:
            continue
        fields.append(Field(fact.column, fact.meaning, (fact.column,), parse, show))
    return {f.name: f for f in fields}


def document_field(name: str) -> Field:
    return _named_field(document_fields(), name, "a document has no correctable field")


def field_of(target: str, name: str) -> Field:
    return case_field(name) if target == "case" else document_field(name)
