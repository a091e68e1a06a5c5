"""Serving at scale: the shape of the canned search and of the table pages that keeps their cost
bounded on a large corpus (BENCHMARKS.md, "Serving at scale"), checked on small real databases
made by the app's own schema code and served by the app's own Datasette."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from corpus.schema import INDEXES
from corpus.search import fts_query, search_text
from corpus.serve import build, load_metadata
from corpus.database import open_db

SEARCH_LIMIT = 1000  # matches ranked (metadata.yml, query "search")
SHOWN = 50  # reports (and cases) shown


def get(ds, path: str):
    async def go():
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,100 English reports that all say "convicted" (each with its own term frequency and length,
    so no two rank alike), 30 that also name Semey, one case per ten reports."""
    path = tmp_path_factory.mktemp("scale") / "corpus.db"
    db = open_db(path)
    db["sources"].insert({"name": "monitor", "title": "Monitor"})
    docs, links, cases = [], [], []
    for i in range(1100):
        title = f"Report {i}"
        text = " ".join(["convicted"] * (1 + i % 5) + [f"filler{j}" for j in range(i)])
        if i % 37 == 0:
            text += " in Semey"
        docs.append({"id": f"d{i:04d}", "url": f"http://x/{i}", "source": "monitor", "lang": "en", "title": title,
                     "text": text, "published": f"20{10 + i % 15}-01-01", "stage": ("verdict", "trial")[i % 2],
                     "is_case_report": 1, "articles": '["KZ-CC 256"]', "search_text": search_text(title, text, "en")})
        if i % 10 == 0:
            cases.append({"id": f"case-{i // 10}", "title": f"Case {i // 10}", "region": ("Almaty", "Abai region")[i // 10 % 2],
                          "year": 2010 + i % 15, "stage": "verdict", "articles": '["KZ-CC 256"]', "outlets": '["monitor"]',
                          "languages": '["en"]', "last_published": f"20{10 + i % 15}-01-01", "n_documents": 10})
        links.append({"case_id": f"case-{i // 10}", "document_id": f"d{i:04d}", "similarity": 1.0})
    db["documents"].insert_all(docs)
    db["cases"].insert_all(cases)
    db["case_documents"].insert_all(links)
    db.conn.close()
    return path


def ranked(path, query: str, newest: int | None) -> list[str]:
    """Document ids by BM25 over every match, or over the `newest` matches by rowid."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "select d.id, bm25(documents_fts) as score, documents_fts.rowid from documents_fts "
        "join documents d on d.rowid = documents_fts.rowid where documents_fts match ?", [fts_query(query)]).fetchall()
    conn.close()
    if newest is not None:
        rows = sorted(rows, key=lambda r: -r[2])[:newest]
    return [r[0] for r in sorted(rows, key=lambda r: r[1])]


def search(path, q: str) -> list[dict]:
    response = get(build(path), f"/corpus/search.json?_shape=array&q={q}")
    assert response.status_code == 200, response.text
    return response.json()


def test_search_ranks_every_match_when_there_are_few(corpus):
    rows = search(corpus, "Semey")
    reports = [r["document_id"] for r in rows if r["kind"] == "report"]
    assert len(reports) == 30  # all of them: fewer than 50 match
    assert reports == ranked(corpus, "Semey", None)
    assert [r["kind"] for r in rows] == sorted(r["kind"] for r in rows)  # cases first


def test_search_of_a_common_word_ranks_the_newest_matches_and_shows_the_best(corpus):
    rows = search(corpus, "convictions")
    reports = [r for r in rows if r["kind"] == "report"]
    cases = [r for r in rows if r["kind"] == "case"]
    assert len(reports) == SHOWN and len(cases) <= SHOWN
    # The best 50 of the newest 1,000 matching reports, best first (BM25 over the whole index).
    assert [r["document_id"] for r in reports] == ranked(corpus, "convictions", SEARCH_LIMIT)[:SHOWN]
    assert [r["rank"] for r in reports] == sorted(r["rank"] for r in reports)
    # The trade-off: the best match of all is among the 100 oldest, which are not ranked.
    assert ranked(corpus, "convictions", None)[0] not in {r["document_id"] for r in reports}
    assert all("[convicted]" in r["snippet"] for r in reports)
    assert all(r["case_id"] == f"case-{int(r['document_id'][1:]) // 10}" for r in reports)
    # Cases are found through their matching reports (again among the newest 1,000).
    assert [r["rank"] for r in cases] == sorted(r["rank"] for r in cases)
    assert all(int(r["case_id"].split("-")[1]) >= 10 for r in cases)


def test_default_facets_and_sorted_pages_use_indexes(corpus):
    metadata, settings = load_metadata()
    tables = metadata["databases"]["corpus"]["tables"]
    assert settings["suggest_facets"] is False
    conn = sqlite3.connect(corpus)
    for table, sort in (("documents", "published"), ("cases", "last_published")):
        spec = tables[table]
        assert spec["sort_desc"] == sort
        # Array facets read every row's JSON: offered under more_facets, not computed by default.
        # Default facets are plain columns (counted as `summary` facets, plugins/corpus_facets.py).
        assert all(isinstance(f, dict) and list(f) == ["summary"] for f in spec["facets"]), spec["facets"]
        facets = [f["summary"] for f in spec["facets"]]
        assert any(isinstance(f, dict) and "array" in f for f in spec["more_facets"])
        for column in facets:
            plan = " ".join(r[3] for r in conn.execute(
                f"explain query plan select {column}, count(*) from {table} group by {column}"))
            assert "COVERING INDEX" in plan, (table, column, plan)
        for column in facets:
            if column == "is_case_report":
                continue
            # A page filtered by a facet value reads its newest rows in index order, no sort step.
            plan = " ".join(r[3] for r in conn.execute(
                f"explain query plan select * from {table} where {column} = 'x' order by {sort} desc limit 51"))
            assert "TEMP B-TREE" not in plan, (table, column, plan)
    conn.close()
    assert ("cases", ["last_published"], False) in INDEXES


def test_more_facets_are_one_click_away(corpus):
    ds = build(corpus)
    html = get(ds, "/corpus/cases?region=Almaty").text
    assert 'class="more-facets"' in html
    assert "/corpus/cases?region=Almaty&amp;_facet_array=articles" in html
    data = get(ds, "/corpus/cases.json?region=Almaty&_facet_array=articles").json()
    assert set(data["facet_results"]) == {"region", "year", "stage", "articles"}
    assert data["facet_results"]["articles"]["results"][0] == {
        **data["facet_results"]["articles"]["results"][0], "value": "KZ-CC 256", "count": 55}
    # A facet already on the page is not offered again.
    html = get(ds, "/corpus/cases?_facet_array=articles").text
    assert "_facet_array=articles&amp;_facet_array=articles" not in html
