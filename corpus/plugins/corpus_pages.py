"""Readable pages (loaded by `corpus serve` from plugins/).

- The case page, /corpus/cases/<id>: the case's facts, its reports grouped by language with
  outlet, date and a link to the source, and its similar cases (templates/row-corpus-cases.html).
  Reports and similar cases come from the canned queries `case_reports` and `similar_cases` in
  metadata.yml, so the page and the JSON API show the same rows.
- The report page, /corpus/documents/<id>: headline, outlet, date, source link, its case, the
  text in paragraphs with each sentence a fact came from anchored (#s-<offset>) and its words
  marked, and the facts extracted (templates/row-corpus-documents.html, corpus/fact_sources.py).
  On the case page each fact links to those sentences in its reports.
- On table pages, links that add the facets a table lists under `more_facets` in metadata.yml
  (templates/_facet_results.html): array facets read every row, so they are not on by default.
- In canned-query results, case and document ids link to their pages, and the search snippet's
  [matched words] are highlighted. Values are escaped before any markup is added.
- /-/corpus.css: a few styles (column descriptions in a compact scrolling box).
"""

from __future__ import annotations

import json
import re
import sqlite3

from datasette import hookimpl
from datasette.utils import path_with_added_args, tilde_encode, urlsafe_components
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from corpus.fact_sources import case_fact_sources, fact_rows, report_text
from corpus.labels import LANGUAGES, load_served_labels, penalty_words, shared_text
from corpus.process import document_text
from corpus.schema import LIST_COLUMNS as SCHEMA_LISTS
from corpus.serve import DATABASE

CASE_LISTS = SCHEMA_LISTS["cases"]

ID_COLUMNS = {"case_id": "cases", "similar_case_id": "cases", "other_case_id": "cases", "document_id": "documents"}
# List columns of a case row (corpus.schema), except places and articles: the case page shows those its own way.
LIST_COLUMNS = tuple(c for c in CASE_LISTS if c not in ("places", "articles"))
MATCH = re.compile(r"\[([^\[\]]*)\]")


def _list(value) -> list:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [value]
    return parsed if isinstance(parsed, list) else [parsed]


def _link(url: str | None) -> str | None:
    # Only web addresses become links: a javascript: URL in the data stays text.
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def penalty_text(case: dict) -> str | None:
    """The penalty in words ("prison, 12 to 18 years", "life"); None when none is stated."""
    return penalty_words(case.get("penalty_kind"), case.get("penalty_min_years"), case.get("penalty_max_years"))


async def _canned(datasette, db, name: str, params: dict) -> list[dict]:
    query = await datasette.get_canned_query(db.name, name, None)
    if query is None:
        return []
    try:
        return [dict(row) for row in (await db.execute(query["sql"], params)).rows]
    except sqlite3.OperationalError:
        # A table a later stage fills (similar_cases) may not exist in an older database.
        return []


async def case_page(datasette, db, case_id: str) -> dict | None:
    row = (await db.execute("SELECT * FROM cases WHERE id = ?", [case_id])).first()
    if row is None:
        return None
    case = dict(row)
    for column in LIST_COLUMNS:
        case[column] = _list(case.get(column))
    case["penalty"] = penalty_text(case)
    # Values people corrected (corpus/curation.py) are the row's; the machine's are kept beside them.
    machine = json.loads(case.get("machine_values") or "{}")
    case["machine_values"] = [{"field": k, "value": v} for k, v in sorted(machine.items())]
    case["language_names"] = [LANGUAGES[lang] for lang in LANGUAGES if lang in case["languages"]] + [
        lang for lang in case["languages"] if lang not in LANGUAGES]
    articles = [dict(r) for r in (await db.execute(
        "SELECT a.value AS id, cc.title_en, cc.title_ru, cc.category "
        "FROM cases c, json_each(c.articles) a LEFT JOIN criminal_code cc ON cc.id = a.value "
        "WHERE c.id = ? ORDER BY a.key", [case_id])).rows]
    places = [dict(r) for r in (await db.execute(
        "SELECT p.value AS id, pl.name_en, pl.name_ru, pl.admin1_en, pl.country "
        "FROM cases c, json_each(c.places) p LEFT JOIN places pl ON pl.id = p.value "
        "WHERE c.id = ? ORDER BY p.key", [case_id])).rows]
    for article in articles:
        article["page"] = datasette.urls.row(db.name, "criminal_code", tilde_encode(article["id"]))
    reports = await _canned(datasette, db, "case_reports", {"case_id": case_id})
    for report in reports:
        report["href"] = _link(report.get("url"))
        report["page"] = datasette.urls.row(db.name, "documents", tilde_encode(report["document_id"]))
    order = list(LANGUAGES)
    languages = sorted({r["lang"] for r in reports}, key=lambda lang: (order.index(lang) if lang in order else len(order), lang))
    by_language = [{"lang": lang, "label": LANGUAGES.get(lang, lang),
                    "reports": [r for r in reports if r["lang"] == lang]} for lang in languages]
    similar = await _canned(datasette, db, "similar_cases", {"case_id": case_id})
    for other in similar:
        other["page"] = datasette.urls.row(db.name, "cases", tilde_encode(other["similar_case_id"]))
    history = [dict(r) for r in (await db.execute(
        "SELECT event, case_id, other_case_id, at FROM case_history WHERE case_id = ? OR other_case_id = ? "
        "ORDER BY at", [case_id, case_id])).rows]
    # Each fact's sources, the sentences of its reports it came from; what similar cases share, in words.
    labels = await load_served_labels(datasette, db.name)
    for other in similar:
        other["shared_list"] = [shared_text(item, labels) for item in _list(other.get("shared"))]
    members = "SELECT document_id FROM case_documents WHERE case_id = ?"
    texts = {r["id"]: document_text(dict(r)) for r in (await db.execute(
        f"SELECT id, title, text FROM documents WHERE id IN ({members})", [case_id])).rows}
    facts = fact_rows(await _mentions(db, f"m.document_id IN ({members})", [case_id]), labels, texts)
    for fact in facts:
        if fact["anchor"]:
            page = datasette.urls.row(db.name, "documents", tilde_encode(fact["document_id"]))
            fact["href"] = f"{page}#{fact['anchor']}"
    return {"case": case, "articles": articles, "places": places, "reports": reports,
            "by_language": by_language, "similar": similar, "history": history,
            "sources": case_fact_sources(case, facts)}


async def report_page(datasette, db, document_id: str) -> dict | None:
    row = (await db.execute(
        "SELECT d.*, s.title AS outlet, cd.case_id, c.title AS case_title FROM documents d "
        "LEFT JOIN sources s ON s.name = d.source LEFT JOIN case_documents cd ON cd.document_id = d.id "
        "LEFT JOIN cases c ON c.id = cd.case_id WHERE d.id = ?", [document_id])).first()
    if row is None:
        return None
    report = dict(row)
    report["href"] = _link(report.get("url"))
    report["articles"] = _list(report.get("articles"))
    report["language"] = LANGUAGES.get(report.get("lang"), report.get("lang"))
    if report.get("case_id"):
        report["case_page"] = datasette.urls.row(db.name, "cases", tilde_encode(report["case_id"]))
    # Its facts, each with the sentence it came from, anchored and highlighted in the text.
    labels = await load_served_labels(datasette, db.name)
    mentions = await _mentions(db, "m.document_id = ?", [document_id])
    text = document_text({"title": report.get("title"), "text": report.get("text") or ""})
    title = (report.get("title") or "").strip()
    report["facts"] = fact_rows(mentions, labels, {document_id: text})
    report["article_names"] = [labels.name("article", a) for a in report["articles"]]
    report["marked"] = report_text(text, len(title) if title else 0, mentions)
    return report


async def _mentions(db, where: str, params: list) -> list[dict]:
    """Mentions rows with their report's headline, outlet and date, in reading order."""
    try:
        rows = (await db.execute(
            "SELECT m.*, d.title AS report_title, d.source, s.title AS outlet, substr(d.published, 1, 10) AS published "
            "FROM mentions m JOIN documents d ON d.id = m.document_id LEFT JOIN sources s ON s.name = d.source "
            f"WHERE {where} ORDER BY d.published, m.document_id, m.start, m.id", params)).rows
    except sqlite3.OperationalError:
        # A database with no mentions table yet (nothing processed): no facts to show.
        return []
    return [dict(r) for r in rows]


PAGES = {"cases": ("case_page", case_page), "documents": ("report_page", report_page)}


def more_facets(datasette, database: str, table: str, request) -> list[dict]:
    """Links that add the facets a table lists under `more_facets` in metadata.yml (those not
    shown by default because they read every row, such as array facets), keeping the page's
    filters and facets; facets already on the page are left out."""
    links = []
    for spec in datasette.table_metadata(database, table).get("more_facets") or []:
        kind, column = next(iter(spec.items())) if isinstance(spec, dict) else ("column", spec)
        param = "_facet" if kind == "column" else f"_facet_{kind}"
        if column in request.args.getlist(param):
            continue
        links.append({"label": column if kind == "column" else f"{column} ({kind})",
                      "href": datasette.urls.path(path_with_added_args(request, {param: column}))})
    return links


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name == "table" and database == DATABASE and table and request is not None:
        return {"more_facets": more_facets(datasette, database, table, request)}
    if view_name != "row" or table not in PAGES or database != DATABASE or request is None:
        return {}
    name, load = PAGES[table]

    async def page_vars():
        pk = urlsafe_components(request.url_vars["pks"])[0]
        return {name: await load(datasette, datasette.get_database(database), pk)}

    return page_vars


STYLES = """
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 1em;
  max-height: 9em; overflow-y: auto; font-size: 0.85em; border: 1px solid #ddd; padding: 0.4em 0.6em; }
dl.column-descriptions dt { font-weight: bold; }
dl.column-descriptions dd { margin: 0; }
td mark { background: #fff3a8; }
"""


async def styles(request):
    return Response(STYLES, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():
    return [(r"^/-/corpus\.css$", styles)]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/corpus.css")]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table is not None or database != DATABASE or not isinstance(value, str) or not value:
        return None
    if column in ID_COLUMNS:
        href = datasette.urls.row(database, ID_COLUMNS[column], tilde_encode(value))
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "title" and row is not None:
        # A title links to the report when the row has one, else to the case.
        keys = row.keys()
        for key in ("document_id", "case_id"):
            if key in keys and row[key]:
                href = datasette.urls.row(database, ID_COLUMNS[key], tilde_encode(row[key]))
                return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "snippet":
        return Markup(MATCH.sub(r"<mark>\1</mark>", str(escape(value))))
    return None
