"""Honest charts and counts: the dashboard, the comparison queries, the coverage table and the
default facets draw every case, say how many they draw and lack, count "not stated", show every
year and month (zeros included) and read the summary tables. A real SQLite file grouped by the
app's own code, served by the app's own Datasette."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from functools import partial
from pathlib import Path

import pytest

from corpus.cases import case_row, run_group
from corpus.database import open_db
from corpus.reference import load_reference_tables
from corpus.serve import build, load_metadata

from conftest import insert_processed_document

NOT_STATED = "not stated"


insert_doc = partial(insert_processed_document, source="monitor", published="2015-01-10")


SEVEN_YEARS = [{"kind": "prison", "min_years": 7, "max_years": 7}]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Five cases: two with the same 7-year term under one article (2015, 2018), one with a fine,
    one with no place, article or penalty (2018), one with no publication date; no case in 2016-2017."""
    path = tmp_path_factory.mktemp("charts") / "corpus.db"
    db = open_db(path)
    db["sources"].insert_all([{"name": "monitor", "title": "Monitor"}, {"name": "vestnik", "title": "Vestnik"}])
    load_reference_tables(db)  # the gazetteer and the criminal code, as `corpus process` loads them
    insert_doc(db, "a1", places=["kz-semey"], articles=["KZ-CC 256"], penalties=SEVEN_YEARS)
    insert_doc(db, "b1", places=["kz-taraz"], articles=["KZ-CC 256"], penalties=SEVEN_YEARS, published="2018-06-01",
               source="vestnik", lang="en")
    insert_doc(db, "c1", places=["kz-aktobe"], articles=["KZ-CC 174"], penalties=[{"kind": "fine"}],
               published="2018-05-02")
    insert_doc(db, "d1", text="nothing stated", published="2018-06-05")
    insert_doc(db, "e1", places=["kz-oral"], articles=["KZ-CC 405"], event_dates=["2016-03-01"], published=None)
    run_group(db, use_embeddings=False)
    assert db["cases"].count == 5
    db.conn.close()
    return path


def get(path: Path, url: str) -> dict:
    async def go():
        ds = build(path)
        await ds.invoke_startup()
        return await ds.client.get(url)

    response = asyncio.run(go())
    assert response.status_code == 200, response.text
    return response.json()


def chart_rows(path: Path, slug: str, country: str | None = None) -> list[dict]:
    """The rows a dashboard chart draws, by its own query (as datasette-dashboards runs it)."""
    chart = load_metadata()[0]["plugins"]["datasette-dashboards"]["overview"]["charts"][slug]
    sql = chart["query"].replace("[[ and country = :country ]]", " and country = :country" if country else "")
    params = {"sql": sql, "_shape": "objects", **({"country": country} if country else {})}
    return get(path, "/corpus.json?" + urllib.parse.urlencode(params))["rows"]


def note(rows: list[dict]) -> str:
    notes = [r["note"] for r in rows if r.get("note")]
    assert len(notes) == 1, notes
    return notes[0]


def canned(path: Path, name: str) -> list[dict]:
    return get(path, f"/corpus/{name}.json?_shape=objects")["rows"]


def test_year_is_the_year_of_the_first_report_only():
    member = {"places": [], "articles": [], "penalties": [], "event_dates": ["2016-03-01"], "published": None,
              "stage": None, "title": "t", "lang": "ru", "source": "monitor"}
    assert case_row("case-x", [member])["year"] is None
    assert case_row("case-x", [{**member, "published": "2019-02-03"}])["year"] == 2019


def test_years_are_continuous_with_zeros_and_not_stated(corpus):
    rows = chart_rows(corpus, "cases-per-year")
    per_year: dict[str, int] = {}
    for r in rows:
        per_year[r["year"]] = per_year.get(r["year"], 0) + r["cases"]
    assert per_year == {"2015": 1, "2016": 0, "2017": 0, "2018": 3, NOT_STATED: 1}
    assert note(rows) == '5 cases, all drawn; year not stated: 1 (the "not stated" bar)'
    table = {r["year"]: r["cases"] for r in canned(corpus, "cases_per_year")}
    assert table == {2015: 1, 2016: 0, 2017: 0, 2018: 3, NOT_STATED: 1}


def test_count_axes_tick_in_whole_numbers():
    charts = load_metadata()[0]["plugins"]["datasette-dashboards"]["overview"]["charts"]
    axes = []
    for slug, chart in charts.items():
        for layer in chart["display"].get("layer", [chart["display"]]):
            for channel in ("x", "y"):
                spec = (layer.get("encoding") or {}).get(channel) or {}
                if spec.get("field") in ("cases", "reports"):
                    axes.append((slug, spec.get("axis", {})))
    # Vega's tickMinStep alone still puts ticks at 0.5 on a short axis: labels of those are blanked.
    assert axes and all(a.get("format") == "d" and "datum.value % 1" in a.get("labelExpr", "") for _, a in axes), axes


def test_the_penalty_chart_accounts_for_every_case_and_counts_equal_terms(corpus):
    rows = chart_rows(corpus, "penalties-by-article")
    # The two 7-year terms under KZ-CC 256 are one mark that says 2, not two marks on top of each other.
    assert [(r["article"], r["shortest"], r["longest"], r["cases"]) for r in rows] == [("KZ-CC 256", 7, 7, 2)]
    assert note(rows) == ("2 of 5 cases drawn; not drawn: 2 with no penalty stated, "
                          "1 with another penalty or no term length")
    chart = load_metadata()[0]["plugins"]["datasette-dashboards"]["overview"]["charts"]["penalties-by-article"]
    assert chart["display"]["encoding"]["xOffset"]["field"] == "term"
    kz = chart_rows(corpus, "penalties-by-article", country="KZ")
    assert note(kz).startswith("2 of 4 cases drawn")  # the case with no place has no country


def test_not_stated_is_shown_and_counted_in_charts_and_tables(corpus):
    regions = {r["region"]: r["cases"] for r in chart_rows(corpus, "cases-by-region")}
    assert regions[NOT_STATED] == 1 and sum(regions.values()) == 5
    cross = canned(corpus, "cases_by_region_article")
    assert {(r["region"], r["article"]) for r in cross if NOT_STATED in (r["region"], r["article"])} == {
        (NOT_STATED, NOT_STATED)}
    assert sum(r["cases"] for r in cross) == 5
    penalties = {r["article"]: r for r in canned(corpus, "penalty_by_article")}
    assert penalties[NOT_STATED]["cases"] == 1 and penalties[NOT_STATED]["penalty_not_stated"] == 1
    assert penalties["KZ-CC 256"]["prison_cases"] == 2 and penalties["KZ-CC 256"]["average_years"] == 7
    queries = json.dumps(load_metadata()[0])
    assert "'unknown'" not in queries


def facet(path: Path, url: str, column: str) -> dict:
    results = get(path, url)["facet_results"]
    return {v["label"]: (v["count"], v["toggle_url"]) for v in results[column]["results"]}


def test_facets_count_not_stated_with_a_link_to_those_rows(corpus):
    regions = facet(corpus, "/corpus/cases.json", "region")
    count, link = regions[NOT_STATED]
    assert count == 1 and "region__isnull=1" in link
    assert facet(corpus, "/corpus/cases.json", "year")[NOT_STATED][0] == 1
    selected = get(corpus, "/corpus/cases.json?region__isnull=1&_shape=objects")
    assert len(selected["rows"]) == 1
    # On a filtered page the facets count that page's rows.
    assert {k: v[0] for k, v in facet(corpus, "/corpus/cases.json?year=2018", "region").items()} == {
        "Zhambyl region": 1, "Aktobe region": 1, NOT_STATED: 1}
    assert facet(corpus, "/corpus/documents.json", "source")["Vestnik"][0] == 1


def test_unfiltered_facets_read_the_summaries_only_while_they_describe_the_rows(corpus, tmp_path):
    import shutil
    import sqlite3

    copy = tmp_path / "corpus.db"
    shutil.copy(corpus, copy)
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("UPDATE summary_facets SET count = 99 WHERE tbl = 'documents' AND col = 'lang' AND value = 'en'")
    conn.close()
    assert facet(copy, "/corpus/documents.json", "lang")["en"][0] == 99  # read from the summary
    db = open_db(copy)
    insert_doc(db, "f1", lang="en")  # a crawl adds a report and refreshes nothing
    db.conn.close()
    assert facet(copy, "/corpus/documents.json", "lang")["en"][0] == 2  # counted live


def test_coverage_lists_every_month_with_zeros(corpus):
    months = {r["month"]: r for r in canned(corpus, "coverage_by_month")}
    assert list(months)[:3] == ["2015-01", "2015-02", "2015-03"] and "2018-06" in months
    assert months["2016-07"]["reports"] == 0
    assert months["2016-07"]["outlets_without_reports"] == "monitor, vestnik"
    assert (months["2018-06"]["reports"], months["2018-06"]["ru"], months["2018-06"]["en"]) == (2, 1, 1)
    assert months[NOT_STATED]["reports"] == 1
    chart = chart_rows(corpus, "coverage-by-language")
    assert {(r["month"], r["lang"]): r["reports"] for r in chart}[("2017-01", "ru")] == 0
    assert note(chart) == "5 reports; 4 drawn, publication date not stated: 1"
    heat = chart_rows(corpus, "coverage-by-outlet")
    assert len({r["month"] for r in heat}) == 24 and {r["outlet"] for r in heat} == {"monitor (ru)", "vestnik (en)"}


def test_list_facets_count_not_stated_once(corpus):
    results = get(corpus, "/corpus/cases.json?_facet_array=articles")["facet_results"]
    assert [k for k in results if k.startswith("articles")] == ["articles"]  # computed once
    articles = {v["label"]: (v["count"], v["toggle_url"]) for v in results["articles"]["results"]}
    assert articles["KZ-CC 256"][0] == 2 and articles[NOT_STATED][0] == 1
    assert "articles=%5B%5D" in articles[NOT_STATED][1]
    assert len(get(corpus, "/corpus/cases.json?articles=[]&_shape=objects")["rows"]) == 1
