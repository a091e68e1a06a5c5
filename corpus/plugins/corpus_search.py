"""Search in Russian and English (loaded by `corpus serve` from plugins/).

- `search_query(q)`: the FTS5 expression for what a researcher typed (corpus/search.py): each
  term matches as typed, as a Russian lemma, as a gazetteer place, as an organisation under any
  of its aliases or as a person's name in either script. The canned queries use it.
- `escape_fts(q)`: Datasette builds the table search box's MATCH with `escape_fts(:search)`;
  registering the same function under that name, after Datasette's own (`trylast`), makes the
  search boxes on /corpus/documents and /corpus/cases match the same way.
- `place_ids(name)`: the gazetteer ids a place name can mean, as a JSON array (cases_for_place).
- `search_snippet(text, q)`: the words around the first match, every match [marked], lemma,
  place, alias and name matches included (corpus/highlight.py).
- The search page, /corpus/search (templates/query-corpus-search.html): cases and reports as
  cards, with the template filter `highlight` and the outlets' and languages' names.
- /-/corpus-search.css: table pages leave out the search_text columns (tokens for the index,
  not for reading); the JSON and CSV keep them.
"""

from __future__ import annotations

import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from corpus.highlight import pieces, snippet
from corpus.plugins.corpus_pages import LANGUAGES, MATCH, _list
from corpus.search import fts_query, place_ids
from corpus.serve import DATABASE

SEARCH_QUERY = "search"
SEARCH_TEMPLATE = f"query-{DATABASE}-{SEARCH_QUERY}.html"


def highlighted(text: str | None, query: str | None) -> Markup:
    """Text escaped, with the words the query matches in <mark>."""
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if matched else escape(piece)
                           for piece, matched in pieces(text, query))


def marks(marked: str | None) -> Markup:
    """A [marked] snippet as HTML: escaped, each [match] in <mark>."""
    return Markup(MATCH.sub(r"<mark>\1</mark>", str(escape(marked or ""))))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("search_query", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("place_ids", 1, place_ids, deterministic=True)
    conn.create_function("search_snippet", 2, snippet, deterministic=True)


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["highlight"] = highlighted
    env.filters["marks"] = marks


async def search_page(datasette, request) -> dict:
    """What the search page shows besides the rows: the outlets' and languages' names, and the
    links to the same results as JSON, as SQL and as an Atom feed."""
    db = datasette.get_database(DATABASE)
    outlets = {r["name"]: r["title"] or r["name"] for r in (await db.execute("SELECT name, title FROM sources")).rows}
    q = request.args.get("q") or ""
    args = urllib.parse.urlencode({"q": q})
    base = datasette.urls.database(DATABASE)
    return {
        "search": {
            "q": q,
            "outlets": outlets,
            "languages": LANGUAGES,
            "list": _list,
            "json_url": f"{base}/{SEARCH_QUERY}.json?{args}&_shape=array",
            "cases_feed": f"{base}/new_cases.atom?{args}",
            "reports_feed": f"{base}/new_reports.atom?{args}",
            "case_page": lambda case_id: datasette.urls.row(DATABASE, "cases", case_id),
            "report_page": lambda document_id: datasette.urls.row(DATABASE, "documents", document_id),
        }
    }


@hookimpl
def extra_template_vars(template, database, request, datasette):
    if template != SEARCH_TEMPLATE or database != DATABASE or request is None:
        return {}

    async def page_vars():
        return await search_page(datasette, request)

    return page_vars


SEARCH_STYLES = """
table.rows-and-columns th.col-search_text, table.rows-and-columns td.col-search_text { display: none; }
"""


async def search_styles(request):
    return Response(SEARCH_STYLES, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():
    return [(r"^/-/corpus-search\.css$", search_styles)]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/corpus-search.css")]
