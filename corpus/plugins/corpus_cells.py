"""Cells and facets for people (loaded by `corpus serve` from plugins/): lists as comma-separated
labels, codes as names, facts in words; the JSON API keeps the stored values.

- A JSON array is shown as its items, comma-separated, each by name: languages ("Russian
  (русский)"), countries ("Kazakhstan"), outlets, places, criminal-code articles with their titles,
  organisations with their full names; an article or place links to its row, a report id to its page.
- A JSON object is shown as "key: value" pairs; a mention's value as the fact in words, its frame as
  "main case" or "other case", its sentence linked to the report page at that sentence
  (documents/<id>#s-<sentence_start>) with the fact's words marked.
- Facet values by name (templates/_facet_results.html uses the `facet_labels` filter).
- The names are read once, at startup, from the reference tables (corpus/labels.py).
"""

from __future__ import annotations

import json

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from corpus.labels import Labels, fact_label, load_served_labels, served_labels, shared_text, word_list_columns
from corpus.serve import DATABASE

# What the codes of a column are (the items of a list column, or a single value).
CODE_COLUMNS = {
    "country": "country", "lang": "language", "languages": "language", "outlets": "outlet", "source": "outlet",
    "places": "place", "place_id": "place", "admin1_id": "place", "articles": "article",
    # Organisations (ids of a word list), by the facts registry.
    **{column: kind for column, (_, kind) in word_list_columns().items()},
}
# Lists of codes joined by commas in a query's result (cases_per_year).
COMMA_LISTS = {"country_codes": "country"}
# Columns that hold report ids.
REPORT_LISTS = {"documents"}
# Rows an article or a place links to.
CODE_ROWS = {"article": "criminal_code", "place": "places"}


def frame_text(frame) -> str:
    """A mention's frame as a person reads it: 0 is the report's main case."""
    if frame in (None, ""):
        return ""
    return "main case" if int(frame) == 0 else f"other case {int(frame)}"


def fact_role(raw) -> str:
    """The role stored with a fact (a place's or a date's: offence, court, residence...), or ""."""
    value = _json(raw)
    return str(value.get("role") or "") if isinstance(value, dict) else ""


def _safe_link(link) -> bool:
    # A page of this site or a web address: a javascript: URL in the data never becomes a link.
    return isinstance(link, str) and (link.startswith(("http://", "https://")) or ":" not in link.split("/")[0])


def _json(value):
    if not isinstance(value, str) or value[:1] not in ("[", "{"):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _name(datasette, database: str, labels: Labels, kind: str | None, item) -> Markup:
    if isinstance(item, dict):
        return escape(_object_text(labels, item))
    if isinstance(item, list):
        return escape(", ".join(map(str, item)))
    text = labels.name(kind, item) if kind else str(item)
    if kind in CODE_ROWS and text != str(item):
        href = datasette.urls.row(database, CODE_ROWS[kind], tilde_encode(str(item)))
        return Markup('<a class="label" href="{}" title="{}">{}</a>').format(href, item, text)
    if text != str(item):
        return Markup('<span class="label" title="{}">{}</span>').format(item, text)
    return escape(text)


def _object_text(labels: Labels, value: dict) -> str:
    """An object in words: a penalty, a person, a court, or "key: value" pairs."""
    if "kind" in value and ("min_years" in value or "max_years" in value):
        return fact_label("penalty", value, labels)
    if "name" in value and "level" in value:
        return fact_label("court", value, labels)
    parts = []
    for key, item in value.items():
        if item in (None, "", [], {}):
            continue
        kind = CODE_COLUMNS.get(key)
        if isinstance(item, list):
            item = ", ".join(labels.name(kind, i) if kind and not isinstance(i, (dict, list)) else
                             (_object_text(labels, i) if isinstance(i, dict) else str(i)) for i in item)
        elif isinstance(item, dict):
            item = _object_text(labels, item)
        elif kind:
            item = labels.name(kind, item)
        parts.append(f"{key}: {item}")
    return "; ".join(parts)


def _sentence(datasette, database: str, row) -> Markup | None:
    """A mention's sentence with its words marked, linked to the report page at that sentence."""
    keys = row.keys()
    sentence = row["sentence"]
    if not sentence or "document_id" not in keys:
        return None
    start = row["sentence_start"] if "sentence_start" in keys else None
    words = row["text"] if "text" in keys else None
    body = escape(sentence)
    if words and words in sentence:
        at = sentence.index(words)
        body = escape(sentence[:at]) + Markup("<mark>{}</mark>").format(words) + escape(sentence[at + len(words):])
    if start is None:
        return Markup(body)
    document = row["document_id"]
    # On a table page a foreign key arrives expanded, as {"value", "label"}.
    document = document.get("value") if isinstance(document, dict) else document
    href = datasette.urls.row(database, "documents", tilde_encode(str(document))) + f"#s-{int(start)}"
    return Markup('<a class="fact-source" href="{}">{}</a>').format(href, body)


def cell_html(datasette, database: str, labels: Labels, row, value, column: str, table: str | None) -> Markup | None:
    """The cell as a person reads it, or None to leave it to Datasette."""
    html = _cell(datasette, database, labels, row, value, column, table)
    # Datasette shows its own rendering for an empty answer: an empty list stays an empty cell.
    return html if html is None or str(html) else Markup("&nbsp;")


def _cell(datasette, database: str, labels: Labels, row, value, column: str, table: str | None) -> Markup | None:
    if table == "mentions" and row is not None:
        if column == "value":
            return escape(fact_label(row["kind"], _json(value) if _json(value) is not None else value, labels))
        if column == "sentence":
            return _sentence(datasette, database, row)
    if column == "frame" and table == "mentions":
        return escape(frame_text(value))
    if not isinstance(value, str) or not value:
        return None
    if column in COMMA_LISTS:
        return Markup(", ").join(_name(datasette, database, labels, COMMA_LISTS[column], v.strip())
                                 for v in value.split(",") if v.strip())
    parsed = _json(value)
    kind = CODE_COLUMNS.get(column)
    if isinstance(parsed, list):
        if column == "shared":
            return escape("; ".join(shared_text(str(item), labels) for item in parsed))
        if column in REPORT_LISTS:
            return Markup(", ").join(
                Markup('<a href="{}">{}</a>').format(datasette.urls.row(database, "documents", tilde_encode(str(d))), d)
                for d in parsed)
        return Markup(", ").join(_name(datasette, database, labels, kind, item) for item in parsed)
    if isinstance(parsed, dict):
        if column == "popup" and _safe_link(parsed.get("link")):
            # The map query's popup (datasette-cluster-map reads the JSON; the page shows a link).
            return Markup('<a href="{}">{}</a> {}').format(parsed["link"], parsed.get("title") or "",
                                                          parsed.get("description") or "")
        return escape(_object_text(labels, parsed))
    if kind and parsed is None:
        return _name(datasette, database, labels, kind, value)
    return None


@hookimpl
def startup(datasette):
    async def inner():
        if DATABASE in datasette.databases:
            await load_served_labels(datasette, DATABASE)

    return inner


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database != DATABASE:
        return None
    labels = served_labels(datasette)
    if labels is not None:
        return cell_html(datasette, database, labels, row, value, column, table)

    async def later():
        return cell_html(datasette, database, await load_served_labels(datasette, DATABASE), row, value, column, table)

    return later


def name_of(datasette, code, kind: str) -> str:
    """A code by name on a page (`{{ c.country|name_of("country") }}`); the code itself before the
    names are read."""
    labels = served_labels(datasette)
    return labels.name(kind, code) if labels is not None else ("" if code is None else str(code))


def facet_labels(results: list, datasette, database: str) -> list:
    """Facet results with each value's label by name (countries, languages, articles, outlets...)."""
    labels = served_labels(datasette)
    if database != DATABASE or labels is None:
        return results
    out = []
    for info in results:
        kind = CODE_COLUMNS.get(info.get("name"))
        if not kind:
            out.append(info)
            continue
        values = [{**v, "label": labels.name(kind, v.get("value"))} if v.get("value") not in (None, "") and
                  str(v.get("label")) == str(v.get("value")) else v for v in info.get("results", [])]
        out.append({**info, "results": values})
    return out


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["facet_labels"] = lambda results, database: facet_labels(results, datasette, database)
    env.filters["fact_role"] = fact_role
    env.filters["name_of"] = lambda code, kind: name_of(datasette, code, kind)
