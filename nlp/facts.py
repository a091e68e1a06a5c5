"""The facts registry: every case fact declared once, loading no model.

A fact is what extraction finds in one report (a place, an article of a criminal code, a
penalty, a count...). Each is declared here with its shape, its item type, its meaning, how it
is extracted, how a document stores it and how a case aggregates it over its reports. The store's
columns, `corpus process`, the case rows, `corpus extract`'s JSON, the export's list handling and
codebooks, the column descriptions Datasette shows and the evaluation all read this list, so a
new fact is one entry here plus its extractor.

    >>> FACTS["convicted_count"].many, FACTS["platforms"].many
    (False, True)
    >>> [c.name for c in FACTS["persons"].case_columns]
    ['genders', 'ages']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, make_dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterator, Optional, TypedDict

from nlp.names import person_keys


# --- item types: what one item of a fact holds (JSON-ready, so they stay plain dicts) -----------

class Place(TypedDict, total=False):
    id: str
    name: str
    admin1: str | None
    country: str
    lat: float | None
    lon: float | None
    role: str  # case | other
    text: str
    start: int
    end: int


class ArticleRef(TypedDict, total=False):
    code: str  # KZ-CC, KG-CC, RU-CC, UZ-CC, TJ-CC
    article: int | str
    part: int | None
    paragraph: int | None
    category: str | None
    text: str
    start: int
    end: int


class Penalty(TypedDict, total=False):
    kind: str  # nlp.vocabulary.PENALTY_KINDS
    min_years: float | None
    max_years: float | None
    regime: str | None
    confiscation: bool | None
    applies_to: str | None
    text: str
    start: int
    end: int


class EventDate(TypedDict, total=False):
    iso: str  # YYYY, YYYY-MM or YYYY-MM-DD
    precision: str  # year | month | day
    text: str
    start: int
    end: int


class Person(TypedDict, total=False):
    age: int | None
    gender: str | None  # male | female


class Court(TypedDict, total=False):
    name: str  # as the report writes it
    level: str | None  # nlp.vocabulary.COURT_LEVELS
    text: str
    start: int
    end: int


# --- declarations -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseColumn:
    """A column of `cases` made from one fact over the case's reports.

    `aggregate` names the rule corpus/cases.py applies: union (of list items, or of `part` of
    each item), max, furthest_stage, highest, most_common (of `part` of each value), or custom
    (a rule written out there, for places, penalties and dates)."""

    name: str
    meaning: str
    aggregate: str
    many: bool = False
    item: str = "text"
    part: str | None = None
    searchable: bool = False  # in the cases table's full-text index


@dataclass(frozen=True)
class Fact:
    name: str
    label: str  # for people: page headings, codebook titles
    meaning: str  # what it is, as a researcher reads it (codebook, Datasette column description)
    how: str  # how it is extracted
    many: bool  # a list of items, or one value
    item: str  # text | integer | real | boolean | json (objects)
    # corpus extract's JSON: the keys kept of each object item (empty: the value as it is).
    public_keys: tuple[str, ...] = ()
    public: bool = True
    # documents column (the report's case signature); None: not stored as a column.
    column: str | None = None
    column_item: str | None = None  # item type of the stored list, when it differs from `item`
    stored: Callable[[Any], Any] | None = None  # extracted value -> stored value
    # mentions rows: one per item, with these keys in mentions.value and the item's offsets.
    mention: str | None = None
    mention_keys: tuple[str, ...] = ()
    case_columns: tuple[CaseColumn, ...] = ()
    # Only a case report has it: a law explainer's articles describe no case.
    case_only: bool = True
    # Items carry offsets and belong to the frame they were found in (nlp.frames): the main
    # case's stay here, another case's go to `other_cases`.
    framed: bool = False
    # Gold scoring: the keys compared (objects), or the value itself.
    scored_keys: tuple[str, ...] = ()
    # Its key in the real-report labels (tests/realtext/, by the labelling guide), when labelled there.
    label_key: str | None = None
    # A word list in nlp/data whose rows give each value a display name: (file, value key, name key).
    names_from: tuple[str, str, str] | None = None

    @property
    def empty(self) -> Any:
        return [] if self.many else None

    def store(self, value: Any) -> Any:
        if self.stored:
            return self.stored(value)
        return list(value or []) if self.many else value


def _unique(values) -> list:
    return list(dict.fromkeys(values))


_FACTS: tuple[Fact, ...] = (
    Fact("is_case_report", "Case report",
         "1 when the text reports a specific criminal case at any stage; 0 for laws, statistics, warnings, other news",
         "nlp case_facts component (case terms plus a concrete legal fact, and not only a law or statistics)",
         many=False, item="boolean", column="is_case_report", stored=lambda v: int(bool(v)), case_only=False),
    Fact("doc_type", "Document type",
         "What the text is: case_report, statistics, explainer, warning or background; only case reports form cases",
         "nlp case_facts component (nlp/doc_types.py: a person and a stage of a proceeding, against cues of "
         "statistics, explanation, warnings and background in nlp/data/doc_type_cues.json)",
         many=False, item="text", column="doc_type", case_only=False, label_key="doc_type"),
    Fact("places", "Places",
         "Places where the case happened (court, offence, the accused's residence), as gazetteer ids",
         "nlp case_places component (gazetteer match, places in the role \"case\")",
         framed=True, many=True, item="json", public_keys=("name", "id", "admin1", "country", "lat", "lon", "role", "text"),
         column="places", column_item="text", stored=lambda v: _unique(p["id"] for p in v or []),
         mention="place", mention_keys=("id", "name", "admin1", "country", "role"),
         case_columns=(CaseColumn("places", "Gazetteer ids of the places where the case happened, over all its reports",
                                  "custom", many=True),),
         scored_keys=("id",)),
    Fact("other_places", "Other places",
         "Places named that are not where the case happened (origin, destination, dateline, another case)",
         "nlp case_places component (places in a role other than \"case\")",
         many=True, item="json", public=False, mention="place_other",
         mention_keys=("id", "name", "admin1", "country", "role"), case_only=False),
    Fact("articles", "Criminal-code articles",
         "Criminal-code articles cited by number, as \"KZ-CC 256\" without the part",
         "nlp case_articles component (patterns over \"ч. 2 ст. 256 УК РК\", \"Article 256 of the Criminal Code\")",
         framed=True, many=True, item="json", public_keys=("code", "article", "part", "paragraph", "text"),
         column="articles", column_item="text",
         stored=lambda v: sorted({f"{a['code']} {a['article']}" for a in v or []}),
         mention="article", mention_keys=("code", "article", "part", "paragraph"),
         case_columns=(CaseColumn("articles", "Criminal-code articles, as \"KZ-CC 256\" without the part, over all reports",
                                  "union", many=True, searchable=True),),
         scored_keys=("code", "article", "part", "paragraph")),
    Fact("penalties", "Penalties",
         "Penalties a court imposed, as objects {kind, min_years, max_years}",
         "nlp case_penalties component (terms a court imposed, not ones a law allows or a prosecutor asked for)",
         framed=True, many=True, item="json",
         public_keys=("kind", "min_years", "max_years", "regime", "confiscation", "applies_to", "text"),
         column="penalties", stored=lambda v: [{k: p.get(k) for k in ("kind", "min_years", "max_years")} for p in v or []],
         mention="penalty", mention_keys=("kind", "min_years", "max_years", "regime", "confiscation", "applies_to"),
         case_columns=(
             CaseColumn("penalty_kind", "Main kind of penalty (prison when any report imposes prison)", "custom"),
             CaseColumn("penalty_min_years", "Shortest term of penalty_kind imposed, in years", "custom", item="real"),
             CaseColumn("penalty_max_years", "Longest term of penalty_kind imposed, in years", "custom", item="real"),
         ),
         scored_keys=("kind", "min_years", "max_years")),
    Fact("event_dates", "Event dates",
         "Dated events of the case (offence, detention, trial, verdict), ISO with year, month or day precision",
         "nlp case_dates component (patterns for Russian and English calendar dates; relative dates "
         "resolved against publication)",
         framed=True, many=True, item="json", public_keys=("iso", "precision", "role", "text"),
         column="event_dates", column_item="text", stored=lambda v: _unique(d["iso"] for d in v or []),
         mention="event_date", mention_keys=("iso", "precision", "role"),
         case_columns=(CaseColumn("first_event", "Earliest event date over the case's reports", "custom"),
                       CaseColumn("last_event", "Latest event date over the case's reports", "custom")),
         scored_keys=("iso", "precision")),
    Fact("convicted_count", "People convicted",
         "People convicted in the case, as stated or as a plain sum of what is stated; null before a verdict",
         "nlp case_facts component (counts of people in sentences about the verdict, in the main case's frame)",
         many=False, item="integer", column="convicted_count", label_key="convicted_count",
         case_columns=(CaseColumn("convicted_count", "People convicted, as stated; the largest count over its reports",
                                  "max", item="integer"),)),
    Fact("accused_count", "People accused",
         "People detained, charged or tried in the case, as stated, at any stage",
         "nlp case_facts component (counts of people in sentences about the case, in the main case's frame)",
         many=False, item="integer", column="accused_count",
         case_columns=(CaseColumn("accused_count", "People detained, charged or tried, as stated; the largest count "
                                                  "over its reports", "max", item="integer"),)),
    Fact("orgs", "Organisations",
         "Banned organisations named, as canonical ids (nlp/data/organisations.jsonl)",
         "nlp case_facts component (phrase lists in nlp/data/organisations.jsonl)",
         many=True, item="text", column="orgs", mention="org",
         names_from=("organisations.jsonl", "id", "name_en"),
         case_columns=(CaseColumn("orgs", "Banned organisations named, over all reports (canonical ids)", "union",
                                  many=True, searchable=True),)),
    Fact("platforms", "Platforms",
         "Online platforms named (nlp/data/platforms.jsonl)",
         "nlp case_facts component (phrase lists in nlp/data/platforms.jsonl)",
         many=True, item="text", column="platforms", mention="platform",
         names_from=("platforms.jsonl", "name", "name"),
         case_columns=(CaseColumn("platforms", "Online platforms named, over all reports", "union", many=True, searchable=True),)),
    Fact("persons", "People",
         "People convicted or accused, with the age and gender stated, as objects {age, gender}",
         "nlp case_facts component (gendered nouns and endings, \"39-летняя жительница\", \"aged 39\")",
         many=True, item="json", column="persons",
         stored=lambda v: [{k: p.get(k) for k in ("age", "gender")} for p in v or []],
         case_columns=(CaseColumn("genders", "Genders of the people convicted or accused, where stated", "union",
                                  many=True, part="gender"),
                       CaseColumn("ages", "Ages of the people convicted or accused, where stated", "union",
                                  many=True, item="integer", part="age")),
         scored_keys=("age", "gender")),
    Fact("names", "Names",
         "Names of people that identify the case, as transliterated Latin keys",
         "nlp NER (spaCy for English, Natasha slovnet for Russian), reduced to a Latin key (nlp.names.name_key)",
         many=True, item="text", public=False, column="names",
         stored=lambda v: person_keys(v or []), case_only=False),
    Fact("stage", "Stage",
         "The furthest stage the report describes: detention, trial, verdict or appeal",
         "nlp case_facts component (cue lists in nlp/data/stage_cues.json)",
         many=False, item="text", column="stage", label_key="stage",
         case_columns=(CaseColumn("stage", "The furthest stage over the case's reports", "furthest_stage"),)),
    Fact("closed_before_trial", "Closed before trial",
         "1 when the report says the investigators or prosecutors closed the case before any trial (charges "
         "dropped, no crime found); 0 otherwise",
         "nlp case_facts component (cue lists in nlp/data/stage_cues.json), only in a report that tells of no "
         "court stage",
         many=False, item="boolean", column="closed_before_trial", stored=lambda v: int(bool(v)),
         case_columns=(CaseColumn("closed_before_trial", "1 when a report says the case was closed before trial",
                                  "max"),)),
    Fact("court", "Court",
         "The court that heard the case, as the report names it, with its level (district, city, military, "
         "regional, supreme), as an object {name, level}",
         "nlp case_court component (court phrases in nlp/data/court_cues.json)",
         framed=True, many=False, item="json", public_keys=("name", "level", "text"),
         column="court", stored=lambda v: {"name": v["name"], "level": v.get("level")} if v else None,
         mention="court", mention_keys=("name", "level"),
         case_columns=(CaseColumn("court", "The court named most often over the case's reports", "most_common",
                                  part="name", searchable=True),
                       CaseColumn("court_level", "The highest court level over the case's reports "
                                                 "(district, city, military, regional, supreme)", "highest",
                                  part="level")),
         scored_keys=("level",)),
)

FACTS: dict[str, Fact] = {f.name: f for f in _FACTS}


def _public_value(fact: Fact, value: Any) -> Any:
    if fact.public_keys and fact.many:
        return [{k: item.get(k) for k in fact.public_keys} for item in value]
    if fact.public_keys and value is not None:
        return {k: value.get(k) for k in fact.public_keys}
    return value


def framed_facts() -> Iterator[Fact]:
    return (f for f in _FACTS if f.framed)


def stored_facts() -> Iterator[Fact]:
    """Facts with a documents column, in declaration order."""
    return (f for f in _FACTS if f.column)


def case_columns() -> Iterator[tuple[Fact, CaseColumn]]:
    return ((f, c) for f in _FACTS for c in f.case_columns)


@lru_cache(maxsize=None)
def display_names(name: str) -> dict[str, str]:
    """{value: display name} for a fact whose values are ids ("isis" -> "Islamic State (ISIS)")."""
    fact = FACTS[name]
    if not fact.names_from:
        return {}
    file, key, label = fact.names_from
    rows = resources.files("nlp").joinpath(f"data/{file}").read_text("utf-8").splitlines()
    return {row[key]: row.get(label) or row[key] for row in map(json.loads, filter(str.strip, rows))}


# --- the typed result of extraction -------------------------------------------------------------

def _field(fact: Fact):
    kind = list if fact.many else Optional[Any]
    return (fact.name, kind, field(default_factory=list) if fact.many else field(default=None))


_Facts = make_dataclass("_Facts", [("lang", str)] + [_field(f) for f in _FACTS]
                        + [("other_cases", list, field(default_factory=list))])


class Facts(_Facts):  # type: ignore[misc, valid-type]
    """What extraction found in one text: `lang` plus one attribute per registered fact.

    Reads like a mapping too (`facts["places"]`), so code that takes plain data keeps working."""

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, **{f.name: getattr(self, f.name) for f in _FACTS}, "other_cases": self.other_cases}

    def public(self) -> dict[str, Any]:
        """`corpus extract`'s JSON: the public facts, each object item with its documented keys."""
        out: dict[str, Any] = {"lang": self.lang}
        for fact in _FACTS:
            if fact.public:
                out[fact.name] = _public_value(fact, getattr(self, fact.name))
        out["other_cases"] = [{name: _public_value(FACTS[name], value) for name, value in frame.items()}
                              for frame in self.other_cases]
        return out

    def document_columns(self) -> dict[str, Any]:
        """The documents row's fact columns (Python values; lists and objects still to be JSON-encoded)."""
        return {f.column: f.store(getattr(self, f.name)) for f in stored_facts()}
