"""Search, the search page and the Atom alerts on the demo corpus, through the Datasette that
`corpus serve` runs (its test client, over a copy of the demo). Expected cases come from the
sample site's gold (crawler/sample_site/articles.yml), not from what the pipeline produced."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from corpus.plugins.corpus_atom import FEED_ENTRIES
from corpus.serve import build
from test_publish import Client, copy_db

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
ARTICLES = yaml.safe_load((ROOT / "crawler" / "sample_site" / "articles.yml").read_text("utf-8"))
ATOM = "{http://www.w3.org/2005/Atom}"
# The demo's URLs in the README's search and alerts examples.
EXAMPLE_URL = re.compile(r"http://127\.0\.0\.1:8001(/corpus/[\w.]+\.(?:json|atom)(?:\?[^'\s]*)?)")
# The README's prose examples: "осудили" finds "осуждён".
PROSE_EXAMPLE = re.compile(r'"([^"]+)"\s+finds\s+"([^"]+)"')


def gold_titles(case_key: str) -> set[str]:
    return {a["title"] for a in ARTICLES if a.get("case") == case_key}


@pytest.fixture(scope="module")
def search_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo whose newest case's title holds markup and an ampersand."""
    path = copy_db(demo_db, tmp_path_factory.mktemp("search") / "corpus.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cases SET title = 'Fixture <&> case' WHERE id = "
                     "(SELECT id FROM cases ORDER BY first_published DESC, id LIMIT 1)")
    return path


@pytest.fixture(scope="module")
def client(search_db):
    c = Client(build(search_db))
    yield c
    c.loop.close()


def case_of(client, title: str) -> str:
    rows = client.rows("/corpus.json", sql="select cd.case_id from case_documents cd join documents d "
                                           "on d.id = cd.document_id where d.title = :t", t=title)
    return rows[0]["case_id"]


def hits(client, q: str, kind: str) -> set[str]:
    key = "case_id" if kind == "case" else "document_id"
    return {r[key] for r in client.rows("/corpus/search.json", q=q) if r["kind"] == kind}


def feed(client, path: str, **params) -> ET.Element:
    response = client.get(path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def entry_links(root: ET.Element) -> list[str]:
    return [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]


# --- the README's examples ------------------------------------------------------------------------


def test_every_search_and_alert_example_in_the_readme_finds_something(client):
    urls = EXAMPLE_URL.findall(README)
    assert len(urls) >= 10, urls
    for url in urls:
        path, _, query = url.partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        params.pop("_shape", None)
        if path.endswith(".atom"):
            assert feed(client, path, **params).findall(f"{ATOM}entry"), url
        else:
            assert client.rows(path, **params), url


def test_every_prose_search_example_in_the_readme_finds_something(client):
    examples = PROSE_EXAMPLE.findall(README[README.index("**Search.**"):README.index("**Alerts.**")])
    assert {"Семея", "Semey", "осудили", "Kulekbayev", "ИГИЛ", "Актюбинской", "Алмате"} <= {q for q, _ in examples}
    for query, _ in examples:
        assert client.rows("/corpus/search.json", q=query), query


# --- names, organisations, places -----------------------------------------------------------------


def test_a_name_finds_the_same_reports_in_either_script(client):
    kulekbayev = {r["id"] for r in client.rows("/corpus.json", sql="select id from documents where title in "
                                               "(select value from json_each(:t))",
                                               t=json.dumps(sorted(gold_titles("kulekbayev-almaty-2016"))))}
    assert len(kulekbayev) == 5
    assert hits(client, "Kulekbayev", "report") == hits(client, "Кулекбаев", "report") == kulekbayev
    assert hits(client, "Kulekbaev", "report") == kulekbayev
    # The cases table's search box too.
    case = case_of(client, "Руслан Кулекбаев приговорён к смертной казни")
    assert {r["id"] for r in client.rows("/corpus/cases.json", _search="Kulekbayev")} == {case}


def test_an_organisation_finds_the_same_cases_under_any_alias(client):
    isis = hits(client, "ISIS", "case")
    assert case_of(client, "Жительницу ВКО осудили за вербовку младшего брата в ИГИЛ") in isis
    assert hits(client, "ИГИЛ", "case") == hits(client, "Islamic State", "case") == isis
    box = {r["id"] for r in client.rows("/corpus/cases.json", _search="ИГИЛ")}
    assert box == {r["id"] for r in client.rows("/corpus/cases.json", _search="ISIS")} and box


def test_places_in_any_form_in_search_the_cases_box_and_cases_for_place(client):
    aktobe = case_of(client, next(iter(gold_titles("aktobe-attacks-2016"))))
    almaty_mall = case_of(client, "В Алматы осуждён мужчина, готовивший теракт в торгово-развлекательном центре")
    kulekbayev = case_of(client, "Руслан Кулекбаев приговорён к смертной казни")
    assert aktobe in hits(client, "Актюбинской", "case")
    assert aktobe in {r["id"] for r in client.rows("/corpus/cases.json", _search="Актюбинской")}
    for_place = lambda place: {r["case_id"] for r in client.rows("/corpus/cases_for_place.json", place=place)}  # noqa: E731
    assert {almaty_mall, kulekbayev} <= for_place("Алмате") == for_place("Almaty")
    # The Kulekbayev reports mention the Aktobe attacks in passing: that is no Aktobe case.
    assert aktobe in for_place("Aktobe") and kulekbayev not in for_place("Aktobe")
    assert aktobe in for_place("Актюбинской")
    assert hits(client, "Семея", "report") == hits(client, "Semey", "report") != set()


# --- the search page ------------------------------------------------------------------------------


def test_the_search_page_shows_cards_with_highlights_and_links(client):
    html = client.get("/corpus/search", q="осудили").text
    mall_doc = client.rows("/corpus.json", sql="select id from documents where title like 'В Алматы осуждён%'")[0]["id"]
    assert 'class="search-card case-card"' in html and 'class="search-card report-card"' in html
    assert f'href="/corpus/documents/{mall_doc}"' in html
    assert "<mark>осуждён</mark>" in html  # matched through the lemma of "осудили"
    assert "Степной вестник" in html and "Russian (русский)" in html  # outlet titles and language names
    for shown in ("Custom SQL query", "Run SQL", '["', "-0."):
        assert shown not in html, shown  # no SQL form, no JSON arrays, no rank
    assert "/corpus/search.json?q=" in html and "/corpus/new_cases.atom?q=" in html
    assert 'class="sql-link"' in html  # the SQL, one click away


def test_the_search_page_says_when_nothing_is_found_and_takes_any_input(client):
    assert "Nothing found" in client.get("/corpus/search", q="zzzqqqxxx").text
    for q in ['"', "AND OR NOT", "(", "*", "NEAR(", "[x]", "<&>"]:
        response = client.get("/corpus/search", q=q)
        assert response.status_code == 200 and "<&>" not in response.text, q


# --- alerts ---------------------------------------------------------------------------------------


def test_new_cases_feed_is_atom_newest_first_and_links_to_case_pages(client):
    root = feed(client, "/corpus/new_cases.atom")
    entries = root.findall(f"{ATOM}entry")
    n_cases = client.rows("/corpus.json", sql="select count(*) as n from cases")[0]["n"]
    assert len(entries) == min(n_cases, FEED_ENTRIES)
    published = [e.find(f"{ATOM}published").text for e in entries]
    assert published == sorted(published, reverse=True)
    for link in entry_links(root):
        path = urllib.parse.urlparse(link).path
        assert path.startswith("/corpus/cases/case-")
        assert client.get(path).status_code == 200
    # The title with markup is escaped text in the XML, and reads back as written.
    assert entries[0].find(f"{ATOM}title").text == "Fixture <&> case"
    assert b"Fixture &lt;&amp;&gt; case" in client.get("/corpus/new_cases.atom").content


def test_feeds_filter_by_search_words_region_and_article(client):
    isis = {urllib.parse.urlparse(link).path.rsplit("/", 1)[1] for link in
            entry_links(feed(client, "/corpus/new_cases.atom", q="ИГИЛ"))}
    assert isis == hits(client, "ISIS", "case")
    almaty = entry_links(feed(client, "/corpus/new_cases.atom", region="Алматы", article="KZ-CC 255"))
    mall = case_of(client, "В Алматы осуждён мужчина, готовивший теракт в торгово-развлекательном центре")
    assert any(link.endswith(f"/cases/{mall}") for link in almaty)
    assert all(link.rsplit("/", 1)[1] in {r["case_id"] for r in client.rows("/corpus/cases_for_place.json",
                                                                            place="Almaty")} for link in almaty)
    assert entry_links(feed(client, "/corpus/new_cases.atom", article="255")) != []
    assert entry_links(feed(client, "/corpus/new_cases.atom", article="999")) == []
    reports = entry_links(feed(client, "/corpus/new_reports.atom", q="Kulekbayev"))
    assert {link.rsplit("/", 1)[1] for link in reports} == hits(client, "Kulekbayev", "report")
    assert all("/corpus/documents/" in link for link in reports)


def test_a_feed_for_an_unknown_region_is_a_one_line_error(client):
    response = client.get("/corpus/new_cases.atom", region="Atlantis")
    assert response.status_code == 400
    assert response.text.startswith("Error: ") and response.text.count("\n") == 1


def test_the_cases_and_reports_tables_link_to_the_feed_of_what_they_show(client):
    html = client.get("/corpus/cases", region="Almaty", _search="ИГИЛ").text
    assert "/corpus/new_cases.atom?q=%D0%98%D0%93%D0%98%D0%9B&region=Almaty" in html
    assert "Subscribe to new cases" in html
    assert "/corpus/new_reports.atom" in client.get("/corpus/documents").text


def test_table_pages_leave_out_the_search_tokens(client):
    css = client.get("/-/corpus-search.css").text
    assert "td.col-search_text" in css and "display: none" in css
    assert "/-/corpus-search.css" in client.get("/corpus/cases").text
    assert "search_text" in client.rows("/corpus/cases.json")[0]  # the JSON keeps them


def test_a_merge_by_a_person_refreshes_the_case_search_tokens(demo_db, tmp_path):
    """People's merges rebuild case rows outside `corpus group` (corpus/curation.py): the merged
    case is found in the cases table's search box by the other case's person."""
    from corpus.curation import merge_cases
    from corpus.database import open_db
    from corpus.search import fts_query

    db = open_db(copy_db(demo_db, tmp_path / "corpus.db"))
    cases = dict(db.execute("select d.title, cd.case_id from case_documents cd join documents d "
                            "on d.id = cd.document_id").fetchall())
    kulekbayev = cases["Руслан Кулекбаев приговорён к смертной казни"]
    mall = cases["В Алматы осуждён мужчина, готовивший теракт в торгово-развлекательном центре"]
    merge_cases(db, mall, kulekbayev, note="test", by="tester")
    search_text = db.execute("select search_text from cases where id = ?", [mall]).fetchone()[0]
    assert "nameklkbv" in search_text.split() and "orgisis" in search_text.split()
    found = {r[0] for r in db.execute("select c.id from cases_fts f join cases c on c.rowid = f.rowid "
                                      "where cases_fts match ?", [fts_query("Kulekbayev")])}
    assert found == {mall}
