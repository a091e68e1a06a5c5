"""Names for the codes the store keeps: what a page shows a person instead of an id.

Countries ("KZ" -> "Kazakhstan") and places ("kz-semey" -> "Semey") come from the places table
(the gazetteer), criminal-code articles ("KZ-CC 256" -> its title) from criminal_code, outlets
("habar" -> the outlet's name) from sources, organisations ("isis" -> "Islamic State (ISIS)")
from the organisations word list (nlp/data), languages from the list below. A code without a name
is shown as it is.

    >>> labels = Labels(countries={"KZ": "Kazakhstan"})
    >>> labels.name("country", "KZ"), labels.name("country", "XX")
    ('Kazakhstan', 'XX')
"""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass, field

from nlp.facts import FACTS, display_names

LANGUAGES = {"ru": "Russian (русский)", "en": "English", "kk": "Kazakh (қазақша)", "other": "other"}


def _word_list_names() -> dict[str, dict[str, str]]:
    """{mention kind: {id: name}} for the facts whose values are ids of a word list (organisations)."""
    return {f.mention: display_names(f.name) for f in FACTS.values() if f.names_from and f.mention}


@dataclass
class Labels:
    countries: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    articles: dict[str, str] = field(default_factory=dict)
    outlets: dict[str, str] = field(default_factory=dict)
    named: dict[str, dict[str, str]] = field(default_factory=_word_list_names)

    def name(self, kind: str, code) -> str:
        """The name of `code` of a kind (country, place, article, outlet, org, language)."""
        if code is None:
            return ""
        text = str(code)
        if kind == "article":
            title = self.articles.get(text)
            return f"{text}: {title}" if title else text
        names = {"country": self.countries, "place": self.places, "outlet": self.outlets,
                 "language": LANGUAGES}.get(kind) or self.named.get(kind, {})
        return names.get(text) or names.get(text.upper() if kind == "country" else text) or text


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        # An older or partial database may lack a reference table: its codes stay codes.
        return []


def load_labels(conn: sqlite3.Connection) -> Labels:
    """The names of a corpus database's codes, read once from its reference tables (a few
    hundred rows)."""
    return Labels(
        countries={code: name for code, name in _rows(
            conn, "SELECT country, name_en FROM places WHERE kind = 'country' AND name_en IS NOT NULL")},
        places={pid: name for pid, name in _rows(conn, "SELECT id, name_en FROM places WHERE name_en IS NOT NULL")},
        articles={aid: title for aid, title in _rows(
            conn, "SELECT id, title_en FROM criminal_code WHERE title_en IS NOT NULL")},
        outlets={name: title for name, title in _rows(conn, "SELECT name, title FROM sources WHERE title IS NOT NULL")},
    )


def penalty_words(kind: str | None, low, high) -> str | None:
    """A penalty in words ("prison, 12 to 18 years", "life"); None when none is stated."""
    if not kind:
        return None
    text = kind.replace("_", " ")
    if high is not None:
        text += f", {high:g} years" if low in (None, high) else f", {low:g} to {high:g} years"
    return text


def fact_label(kind: str, value, labels: Labels) -> str:
    """A fact (a mentions row's kind and decoded value) in words: "Aktobe", "KZ-CC 255, part 2:
    <its title>", "prison, 7 years", "2016-06-05", "Islamic State (ISIS)", "<court> (district)"."""
    if not isinstance(value, dict):
        return labels.name("org" if kind == "org" else "", value)
    if kind in ("place", "place_other"):
        return labels.places.get(value.get("id") or "") or value.get("name") or value.get("id") or ""
    if kind == "article":
        number = f"{value.get('code')} {value.get('article')}"
        title = labels.articles.get(number)
        parts = "".join(f", {key} {value[key]}" for key in ("part", "paragraph") if value.get(key) is not None)
        return f"{number}{parts}: {title}" if title else number + parts
    if kind == "penalty":
        return penalty_words(value.get("kind"), value.get("min_years"), value.get("max_years")) or ""
    if kind == "event_date":
        return str(value.get("iso") or "")
    if kind == "court":
        return f"{value.get('name')} ({value['level']})" if value.get("level") else str(value.get("name") or "")
    return "; ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, "", []))


# The names of a served database, read at startup (corpus serve): keyed by the Datasette instance.
_SERVED: "weakref.WeakKeyDictionary[object, Labels]" = weakref.WeakKeyDictionary()


def served_labels(datasette) -> Labels | None:
    """The names `load_served_labels` read for this server, or None before it ran."""
    return _SERVED.get(datasette)


async def load_served_labels(datasette, database: str) -> Labels:
    labels = _SERVED.get(datasette)
    if labels is None:
        labels = _SERVED[datasette] = await datasette.get_database(database).execute_fn(load_labels)
    return labels


def word_list_columns() -> dict[str, tuple[str, str]]:
    """{column: (what it holds, mention kind)} for the fact columns whose values are ids of a word
    list: the organisations' column holds ids that `Labels.name(kind, id)` names."""
    return {f.column: (f.label.lower(), f.mention) for f in FACTS.values() if f.names_from and f.column and f.mention}


def shared_text(item: str, labels: Labels) -> str:
    """One criterion two similar cases share (nlp.cases.shared_criteria: "column: values"), in
    words: an organisation by its name, the penalty kind as "penalty"."""
    key, sep, values = item.partition(": ")
    if not sep:
        return item
    name, kind = {"penalty_kind": ("penalty", None), **word_list_columns()}.get(key, (key, None))
    if kind:
        values = ", ".join(labels.name(kind, v) for v in values.split(", "))
    return f"{name}: {values}"
