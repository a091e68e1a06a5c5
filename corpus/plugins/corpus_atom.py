"""Alerts: Atom feeds of new cases and new reports (loaded by `corpus serve` from plugins/).

- /corpus/new_cases.atom: the newest cases first (by their first report), each entry linking to
  its case page.
- /corpus/new_reports.atom: the newest reports first (by publication date), each entry linking to
  its report page.

Both take the same optional query parameters, combined with AND: `q` (search words, matched as
on the search page: corpus/search.py), `region` (a place or region in English or Russian, or a
gazetteer id, as cases_for_place reads it: a region includes its towns), `article` ("KZ-CC 256",
or "256" for that article of any code). At most FEED_ENTRIES entries. The cases and reports
table pages, and the search page, link to the feed of what they show ("subscribe").
The XML is written with xml.etree, which escapes every text.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from corpus.search import place_ids
from corpus.serve import DATABASE

ATOM = "http://www.w3.org/2005/Atom"
# Entries per feed: a feed reader polls it, and keeps what it has already seen.
FEED_ENTRIES = 50
# Search matches read per feed, newest collected first (as the search query reads them).
SEARCH_MATCHES = 1000
PARAMETERS = ("q", "region", "article")
# Characters XML 1.0 does not allow, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

FILTERS = """within as (
  select value as id from json_each(place_ids(:region))
  union
  select p.id from places p join json_each(place_ids(:region)) t on p.admin1_id = t.value
),
report_matches as materialized (
  select rowid from documents_fts where :q != '' and documents_fts match search_query(:q)
  order by rowid desc limit {limit}
)""".format(limit=SEARCH_MATCHES)

CASES_SQL = """
with {filters},
case_matches as (
  select cd.case_id as id from report_matches m
  join documents d on d.rowid = m.rowid join case_documents cd on cd.document_id = d.id
  union
  select c.id from (select rowid from cases_fts where :q != '' and cases_fts match search_query(:q)
                    order by rowid desc limit {limit}) m join cases c on c.rowid = m.rowid
)
select c.id, c.title, c.place, c.region, c.year, c.stage, c.articles, c.n_documents,
       c.first_published, c.last_published, c.updated_at
from cases c
where (:q = '' or c.id in (select id from case_matches))
  and (:region = '' or c.place_id in (select id from within))
  and (:article = '' or exists (select 1 from json_each(c.articles) a
                                where a.value = :article or a.value like '% ' || :article))
order by c.first_published desc, c.id
limit {entries}
""".format(filters=FILTERS, limit=SEARCH_MATCHES, entries=FEED_ENTRIES)

REPORTS_SQL = """
with {filters}
select d.id, d.title, d.source, s.title as outlet, d.lang, d.published, d.fetched_at, d.url,
       cd.case_id, substr(d.text, 1, 400) as opening
from documents d
left join sources s on s.name = d.source
left join case_documents cd on cd.document_id = d.id
where (:q = '' or d.rowid in (select rowid from report_matches))
  and (:region = '' or exists (select 1 from json_each(d.places) p where p.value in (select id from within)))
  and (:article = '' or exists (select 1 from json_each(d.articles) a
                                where a.value = :article or a.value like '% ' || :article))
order by d.published desc, d.id
limit {entries}
""".format(filters=FILTERS, entries=FEED_ENTRIES)


def _text(value) -> str:
    return NOT_XML.sub("", "" if value is None else str(value))


def _timestamp(value: str | None) -> str:
    """An Atom date (RFC 3339) from a stored date or timestamp; now when there is none."""
    value = (value or "").strip()
    for length, pattern in ((19, "%Y-%m-%dT%H:%M:%S"), (19, "%Y-%m-%d %H:%M:%S"), (10, "%Y-%m-%d")):
        try:
            parsed = datetime.strptime(value[:length], pattern)
            return parsed.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
        except ValueError:
            continue
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text=None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def feed_xml(title: str, feed_url: str, page_url: str, author: str, entries: list[dict]) -> bytes:
    """An Atom feed document. Each entry: id, title, link, updated, published, summary."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "title", title)
    _add(feed, "id", feed_url)
    _add(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    _add(feed, "link", rel="alternate", href=page_url, type="text/html")
    _add(feed, "updated", max((e["updated"] for e in entries), default=_timestamp(None)))
    _add(_add(feed, "author"), "name", author)
    for e in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", e["link"])
        _add(entry, "title", e["title"])
        _add(entry, "link", rel="alternate", href=e["link"], type="text/html")
        _add(entry, "updated", e["updated"])
        _add(entry, "published", e["published"])
        _add(entry, "summary", e["summary"])
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _params(request) -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip() for name in PARAMETERS}


def _filters_text(params: dict[str, str]) -> str:
    said = [f"{name} {value!r}" for name, value in params.items() if value]
    return f" ({', '.join(said)})" if said else ""


def feed_query(params: dict[str, str]) -> str:
    """The query string of a feed's URL, with only the filters given."""
    given = {k: v for k, v in params.items() if v}
    return "?" + urllib.parse.urlencode(given) if given else ""


def _bad_request(message: str) -> Response:
    return Response.text(f"Error: {message}\n", status=400)


async def _feed(datasette, request, kind: str) -> Response:
    params = _params(request)
    if params["region"] and not json.loads(place_ids(params["region"])):
        return _bad_request(f"no place or region is called {params['region']!r} in the gazetteer "
                            "(give a name in English or Russian, or an id from the places table)")
    db = datasette.get_database(DATABASE)
    rows = [dict(r) for r in (await db.execute(CASES_SQL if kind == "cases" else REPORTS_SQL, params)).rows]
    site = (datasette.metadata("title") or DATABASE)
    table = "cases" if kind == "cases" else "documents"
    feed_url = datasette.absolute_url(request, datasette.urls.path(f"/{DATABASE}/new_{kind}.atom{feed_query(params)}"))
    page = datasette.urls.table(DATABASE, table)
    if params["q"]:
        page = datasette.urls.database(DATABASE) + "/search?" + urllib.parse.urlencode({"q": params["q"]})
    entries = []
    for row in rows:
        link = datasette.absolute_url(request, datasette.urls.row(DATABASE, table, tilde_encode(row["id"])))
        if kind == "cases":
            articles = ", ".join(json.loads(row["articles"] or "[]"))
            facts = [row["place"] or row["region"], str(row["year"] or ""), row["stage"], articles,
                     f"{row['n_documents']} report(s)"]
            entries.append({"link": link, "title": row["title"] or row["id"],
                            "updated": _timestamp(row["last_published"] or row["updated_at"]),
                            "published": _timestamp(row["first_published"]),
                            "summary": "; ".join(f for f in facts if f)})
        else:
            entries.append({"link": link, "title": row["title"] or row["id"],
                            "updated": _timestamp(row["published"] or row["fetched_at"]),
                            "published": _timestamp(row["published"] or row["fetched_at"]),
                            "summary": f"{row['outlet'] or row['source'] or ''}: {row['opening'] or ''}"})
    title = f"{site}: new {'cases' if kind == 'cases' else 'reports'}{_filters_text(params)}"
    body = feed_xml(title, feed_url, datasette.absolute_url(request, page), site, entries)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


async def new_cases(datasette, request):
    return await _feed(datasette, request, "cases")


async def new_reports(datasette, request):
    return await _feed(datasette, request, "reports")


@hookimpl
def register_routes():
    return [(rf"^/{DATABASE}/new_cases\.atom$", new_cases), (rf"^/{DATABASE}/new_reports\.atom$", new_reports)]


# Table filters that say the same as a feed parameter: the search box, and the region and article filters.
TABLE_FILTERS = {"q": ("_search",), "region": ("region", "region__exact"),
                 "article": ("articles__arraycontains",)}


def table_feed_url(datasette, table: str, args) -> str:
    """The feed of what a cases or reports table page shows: its search words, region and article."""
    params = {name: next((args.get(a) for a in names if args.get(a)), "") for name, names in TABLE_FILTERS.items()}
    if table == "documents":
        params["region"] = ""  # documents have no region column; the feed's region filter reads their places
    kind = "cases" if table == "cases" else "reports"
    return datasette.urls.path(f"/{DATABASE}/new_{kind}.atom{feed_query(params)}")


@hookimpl
def extra_body_script(view_name, database, table, request, datasette):
    """A "subscribe" line under the title of the cases and reports tables, with a link to the feed
    of what the page shows (filters included), and the feed announced to browsers."""
    if view_name != "table" or database != DATABASE or table not in ("cases", "documents") or request is None:
        return ""
    url = table_feed_url(datasette, table, request.args)
    label = "Subscribe to new cases" if table == "cases" else "Subscribe to new reports"
    # JSON with "<" escaped is safe inside a <script> element.
    data = json.dumps({"url": url, "label": label + " (Atom feed)"}).replace("<", "\\u003c")
    return (
        "(function () {\n"
        f"  var feed = {data};\n"
        "  var link = document.createElement('link');\n"
        "  link.rel = 'alternate'; link.type = 'application/atom+xml'; link.href = feed.url; link.title = feed.label;\n"
        "  document.head.appendChild(link);\n"
        "  var p = document.createElement('p'); p.className = 'subscribe-line';\n"
        "  var a = document.createElement('a'); a.className = 'subscribe'; a.href = feed.url; a.textContent = feed.label;\n"
        "  p.appendChild(a);\n"
        "  var header = document.querySelector('.page-header') || document.querySelector('h1');\n"
        "  if (header) { header.insertAdjacentElement('afterend', p); }\n"
        "})();"
    )
