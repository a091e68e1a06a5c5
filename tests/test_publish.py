"""Publishing: the Datasette that `corpus serve` runs, through Datasette's own test client, over a
copy of the demo corpus. Expected rows come from the sample site's gold (crawler/sample_site/
articles.yml and CASES.md), not from what the pipeline happened to produce."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import urllib.parse
from pathlib import Path

import pytest
import yaml

from corpus.cli import cli
from corpus.schema import FTS, TABLES, ensure_schema
from corpus.search import fts_query, search_text
from corpus.serve import build, load_metadata
from corpus.database import open_db

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = yaml.safe_load((ROOT / "crawler" / "sample_site" / "articles.yml").read_text("utf-8"))
MALL_TITLE = "В Алматы осуждён мужчина, готовивший теракт в торгово-развлекательном центре"
XSS_TITLE = "<script>alert('xss')</script>"


def gold(case_key: str) -> list[dict]:
    """The sample articles of one gold case (articles.yml `case`)."""
    return [a for a in ARTICLES if a.get("case") == case_key]


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy (the backup API reads through the write-ahead log)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module")
def published_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo corpus: serving it never races a test that rebuilds the demo."""
    path = copy_db(demo_db, tmp_path_factory.mktemp("publish") / "corpus.db")
    db = open_db(path)
    if not db["similar_cases"].exists():
        # The grouping stage may not record similar cases yet: the query must still run.
        db["similar_cases"].create({"case_id": str, "similar_case_id": str, "score": float, "shared": str})
    db.conn.close()
    return path


class Client:
    """Datasette's test client (`datasette.client`) on one event loop, called synchronously."""

    def __init__(self, ds):
        self.ds = ds
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(ds.invoke_startup())

    def get(self, path: str, **params):
        if params:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        return self.loop.run_until_complete(self.ds.client.get(path))

    def post(self, path: str, **kwargs):
        return self.loop.run_until_complete(self.ds.client.post(path, **kwargs))

    def rows(self, path: str, **params) -> list[dict]:
        response = self.get(path, _shape="array", **params)
        assert response.status_code == 200, response.text
        return response.json()

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)


@pytest.fixture(scope="module")
def client(published_db):
    c = Client(build(published_db))
    yield c
    c.loop.close()


def case_of(client, title: str) -> str:
    """The case a report (found by its gold title) was grouped into."""
    rows = client.rows("/corpus.json", sql=(
        "select cd.case_id from case_documents cd join documents d on d.id = cd.document_id "
        "where d.title = :title"), title=title)
    assert len(rows) == 1, title
    return rows[0]["case_id"]


@pytest.fixture(scope="module")
def mall_case(client) -> str:
    return case_of(client, MALL_TITLE)


# --- metadata: the codebook is complete -------------------------------------------------------


def test_every_table_and_column_is_described(published_db):
    metadata, _ = load_metadata()
    tables = metadata["databases"]["corpus"]["tables"]
    db = open_db(published_db)
    missing = []
    for name in TABLES:
        spec = tables.get(name) or {}
        if not spec.get("description"):
            missing.append(name)
        described = spec.get("columns") or {}
        missing += [f"{name}.{column}" for column in db[name].columns_dict if not described.get(column)]
    assert not missing, f"describe these in metadata.yml: {missing}"


def test_metadata_has_license_source_facets_and_documented_queries():
    metadata, settings = load_metadata()
    assert metadata["license"] and metadata["license_url"] and metadata["source"]
    corpus = metadata["databases"]["corpus"]
    facets = corpus["tables"]["cases"]["facets"]
    assert {"region", "year", "stage"} <= {f["summary"] for f in facets if isinstance(f, dict) and "summary" in f}
    # Array facets read every row: one click away (more_facets), not on by default.
    more = corpus["tables"]["cases"]["more_facets"]
    assert {"articles", "outlets", "languages"} <= {f["array"] for f in more if isinstance(f, dict)}
    assert corpus["tables"]["raw_pages"]["hidden"] is True
    for name, query in corpus["queries"].items():
        assert query.get("title") and query.get("description"), name
    assert settings["sql_time_limit_ms"] <= 5000 and settings["facet_time_limit_ms"] <= 1000


def test_settings_come_from_metadata_and_the_command_line(published_db, tmp_path):
    ds = build(published_db, settings=[("sql_time_limit_ms", "1500")])
    assert ds.setting("sql_time_limit_ms") == 1500
    assert ds.setting("default_facet_size") == load_metadata()[1]["default_facet_size"]
    # Whatever the file is called, Datasette calls it "corpus", the name metadata.yml uses.
    other = copy_db(published_db, tmp_path / "snapshot-2024.db")
    assert [name for name in build(other).databases if not name.startswith("_")] == ["corpus"]


# --- canned queries, each against the gold ------------------------------------------------------


def test_every_canned_query_runs_on_the_demo_corpus(client, mall_case):
    queries = load_metadata()[0]["databases"]["corpus"]["queries"]
    params = {"q": "осудили", "case_id": mall_case, "place": "Almaty"}
    for name, query in queries.items():
        needed = {p: params[p] for p in params if f":{p}" in query["sql"]}
        rows = client.rows(f"/corpus/{name}.json", **needed)
        if name != "similar_cases":  # similar cases may not be recorded yet
            assert rows, name


def test_case_reports_lists_the_reports_of_the_mall_plot_case(client, mall_case):
    rows = client.rows("/corpus/case_reports.json", case_id=mall_case)
    expected = gold("almaty-mall-plot-2019")
    assert sorted((r["source"], r["lang"], r["title"]) for r in rows) == sorted(
        (a["outlet"], a["lang"], a["title"]) for a in expected)
    assert [r["lang"] for r in rows] == ["ru", "ru", "en"]  # Russian first, then English
    assert {r["published"] for r in rows} == {str(a["published"]) for a in expected}
    assert {r["outlet"] for r in rows} == {"Степной вестник", "Хабар-Инфо", "Steppe Monitor"}
    assert all(r["url"].startswith("http://127.0.0.1:") for r in rows)
    assert any(r["url"].endswith("/almaty-shopping-centre-plot-jailed") for r in rows)


def test_cases_per_year(client):
    years = {r["year"]: r for r in client.rows("/corpus/cases_per_year.json")}
    # 2019: the mall plot (April) and the Tajik cell (September), both verdicts in Almaty.
    assert years[2019]["cases"] >= 2 and years[2019]["verdicts"] >= 2
    # 2005: the Andijan trial, Uzbekistan's only case.
    assert years[2005]["cases"] == 1 and years[2005]["country_codes"] == "UZ"
    assert sum(r["cases"] for r in years.values()) == client.rows(
        "/corpus.json", sql="select count(*) as n from cases where year is not null")[0]["n"]


def test_penalty_length_by_article(client):
    rows = {r["article"]: r for r in client.rows("/corpus/penalty_by_article.json")}
    # Art. 287 (illegal firearms) is charged only in the mall plot: 10 years.
    assert rows["KZ-CC 287"]["cases"] == 1
    assert rows["KZ-CC 287"]["shortest_years"] == rows["KZ-CC 287"]["longest_years"] == 10
    # Art. 255: the Tajik cell's 18 years is the longest term; Kulekbayev was sentenced to death.
    assert rows["KZ-CC 255"]["longest_years"] == 18
    assert rows["KZ-CC 255"]["death"] >= 1
    assert rows["KZ-CC 255"]["article_title"] == "Act of terrorism"


def test_cases_by_region_and_article(client):
    rows = {(r["region"], r["article"]): r for r in client.rows("/corpus/cases_by_region_article.json")}
    # Almaty, art. 255: the mall plot, the Tajik cell and Kulekbayev.
    assert rows[("Almaty", "KZ-CC 255")]["cases"] >= 2
    assert rows[("Almaty", "KZ-CC 287")]["cases"] == 1
    assert rows[("Aktobe region", "KZ-CC 255")]["cases"] == 1


def test_cases_for_a_place_by_id_english_or_russian_name(client, mall_case):
    almaty = {r["case_id"] for r in client.rows("/corpus/cases_for_place.json", place="Almaty")}
    assert mall_case in almaty
    assert case_of(client, gold("almaty-tajik-cell-2019")[0]["title"]) in almaty
    assert {r["case_id"] for r in client.rows("/corpus/cases_for_place.json", place="Алматы")} == almaty
    assert {r["case_id"] for r in client.rows("/corpus/cases_for_place.json", place="kz-almaty")} == almaty
    # A region includes its towns: Zyryanovsk (now Altai) is in East Kazakhstan region.
    east = client.rows("/corpus/cases_for_place.json", place="kz-east-kazakhstan-region")
    assert case_of(client, gold("zyryanovsk-brother-recruitment")[0]["title"]) in {r["case_id"] for r in east}
    assert mall_case not in {r["case_id"] for r in east}


def test_similar_cases_query_has_the_agreed_shape(client, mall_case):
    rows = client.rows("/corpus/similar_cases.json", case_id=mall_case)
    for row in rows:
        assert {"similar_case_id", "title", "score", "shared"} <= set(row)
        assert row["similar_case_id"] != mall_case
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_map_query_gives_every_located_case_a_popup(client, mall_case):
    rows = client.rows("/corpus/map.json")
    located = client.rows("/corpus.json", sql="select count(*) as n from cases where latitude is not null")[0]["n"]
    assert len(rows) == located
    mall = next(r for r in rows if r["case_id"] == mall_case)
    assert (round(mall["latitude"], 1), round(mall["longitude"], 1)) == (43.3, 76.9)  # Almaty
    assert json.loads(mall["popup"])["link"] == f"cases/{mall_case}"


# --- search ---------------------------------------------------------------------------------------


def test_search_finds_inflected_russian_forms(client, mall_case):
    rows = client.rows("/corpus/search.json", q="осудили")
    reports = {r["title"]: r for r in rows if r["kind"] == "report"}
    # "В Алматы осуждён мужчина...": its text never says "осудили", only "осуждён".
    assert MALL_TITLE in reports
    text = client.rows("/corpus.json", sql="select title || text as t from documents where title = :t", t=MALL_TITLE)[0]["t"]
    assert "осудили" not in text and "осуждён" in text
    assert mall_case in {r["case_id"] for r in rows if r["kind"] == "case"}
    assert [r["kind"] for r in rows] == sorted(r["kind"] for r in rows)  # cases first
    # "вербовкой" (a form no report uses) finds the Zyryanovsk reports that say "вербовку", "вербовка".
    recruit = {r["title"] for r in client.rows("/corpus/search.json", q="вербовкой") if r["kind"] == "report"}
    assert {a["title"] for a in gold("zyryanovsk-brother-recruitment") if a["lang"] == "ru"} <= recruit


def test_search_stems_english_and_finds_places_across_languages(client):
    english = {r["title"] for r in client.rows("/corpus/search.json", q="convictions") if r["kind"] == "report"}
    grooming = [a["title"] for a in gold("zyryanovsk-brother-recruitment") if a["lang"] == "en"]
    assert grooming[0] in english  # "East Kazakhstan woman convicted of grooming..."
    # "Aktobe" (English) finds the Russian reports that say "Актобе".
    aktobe = client.rows("/corpus/search.json", q="Aktobe")
    assert {"ru", "en"} <= {r["lang"] for r in aktobe if r["kind"] == "report"}


def test_search_takes_any_input(client):
    for q in ['"', "AND OR NOT", "(", "*", "NEAR(", "'; drop table cases; --", ""]:
        assert client.get("/corpus/search.json", q=q).status_code == 200, q
    phrase = client.rows("/corpus/search.json", q='"осудили за вербовку"')
    assert any("вербовку" in r["title"] for r in phrase if r["kind"] == "report")


def test_table_search_box_matches_inflected_forms(client):
    rows = client.rows("/corpus/documents.json", _search="осудили")
    assert MALL_TITLE in {r["title"] for r in rows}


def test_search_text_lemmatises_and_names_places(tmp_path):
    """The Semey test from the issue, on a database with one document: "Семея" and "Семипалатинск"
    find a text that only says "Семей", "осудили" finds "осуждена", "convictions" finds "convicted"."""
    db = open_db(tmp_path / "corpus.db")
    db["sources"].insert({"name": "vestnik"})
    title, text = "Жительница Семей осуждена", "Приговор вынес суд города Семей."
    db["documents"].insert({"id": "d1", "url": "u1", "source": "vestnik", "lang": "ru", "title": title,
                            "text": text, "search_text": search_text(title, text, "ru")})
    db["documents"].insert({"id": "d2", "url": "u2", "source": "vestnik", "lang": "en", "title": "Man convicted",
                            "text": "A court in Semey convicted him.",
                            "search_text": search_text("Man convicted", "A court in Semey convicted him.", "en")})

    def found(query: str) -> set[str]:
        return {r[0] for r in db.execute(
            "select d.id from documents_fts join documents d on d.rowid = documents_fts.rowid "
            "where documents_fts match ?", [fts_query(query)])}

    assert found("Семея") == found("Семипалатинск") == found("Semey") == {"d1", "d2"}
    assert found("осудили") == {"d1"}
    assert found("convictions") == {"d2"}
    assert found("Астана") == set()


def test_ensure_schema_rebuilds_an_old_full_text_index(tmp_path):
    """A database from before search_text: the index gains the column and the stemming tokenizer,
    keeps its rows, and the next `corpus process` refills search_text; a second run changes nothing."""
    path = tmp_path / "old.db"
    db = open_db(path)
    db["documents"].disable_fts()
    db["cases"].disable_fts()
    db["sources"].insert({"name": "s"})
    db["documents"].insert({"id": "d1", "url": "u", "source": "s", "lang": "en", "title": "Court convicted",
                            "text": "t", "processed_hash": "h", "content_hash": "h"})
    db["documents"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")
    db.execute("ALTER TABLE documents DROP COLUMN search_text")
    db.conn.close()
    db = open_db(path)
    assert db["documents_fts"].columns_dict.keys() == set(FTS["documents"])
    assert "porter" in db["documents_fts"].schema
    assert db.execute("select processed_hash from documents").fetchone()[0] is None
    assert [r[0] for r in db.execute("select rowid from documents_fts where documents_fts match 'convictions'")] == [1]
    schema = db["documents_fts"].schema
    ensure_schema(db)
    assert db["documents_fts"].schema == schema and db["cases_fts"].exists()


# --- pages ------------------------------------------------------------------------------------------


def test_case_page_lists_reports_in_both_languages(client, mall_case):
    response = client.get(f"/corpus/cases/{mall_case}")
    assert response.status_code == 200
    html = response.text
    assert '<section class="case-reports-lang" data-lang="ru">' in html
    assert '<section class="case-reports-lang" data-lang="en">' in html
    for article in gold("almaty-mall-plot-2019"):
        assert article["title"] in html
    assert html.count('class="source-link"') == 3
    assert "KZ-CC 287" in html and "prison, 10 years" in html
    assert "<h2>Similar cases</h2>" in html


def test_case_page_says_why_each_report_is_in_the_case(client, mall_case):
    html = client.get(f"/corpus/cases/{mall_case}").text
    assert "<th>Why it is in this case</th>" in html
    lines = re.findall(r'<td class="case-why">([^<]*)</td>', html)
    assert len(lines) == 3 and all(line.startswith("Linked to ") for line in lines)
    assert all("place Almaty" in line and "no contradiction" in line for line in lines)
    assert not any("{" in line for line in lines)  # plain language, no JSON


def test_report_page_shows_the_text_and_links_the_case(client, mall_case):
    doc = client.rows("/corpus.json", sql="select id from documents where title = :t", t=MALL_TITLE)[0]["id"]
    html = client.get(f"/corpus/documents/{doc}").text
    assert f'href="/corpus/cases/{mall_case}"' in html
    assert "Степной вестник" in html and "максимальной безопасности" in html


def test_facets_are_on_by_default(client):
    data = client.get("/corpus/cases.json").json()
    assert {"region", "year", "stage"} <= set(data["facet_results"])
    html = client.get("/corpus/cases").text
    assert 'class="more-facets"' in html and "_facet_array=articles" in html
    more = client.get("/corpus/cases.json?_facet_array=articles&_facet_array=outlets&_facet_array=languages").json()
    assert {"region", "articles", "year", "outlets", "languages", "stage"} <= set(more["facet_results"])
    regions = {f["value"]: f["count"] for f in data["facet_results"]["region"]["results"]}
    assert regions["Almaty"] >= 2
    narrowed = client.get("/corpus/cases.json?region=Almaty").json()
    assert len(narrowed["rows"]) == regions["Almaty"] < len(data["rows"])


def test_query_results_link_ids_and_highlight_matches(client, mall_case):
    html = client.get("/corpus/search", q="осудили").text
    assert f'<a href="/corpus/cases/{mall_case}">' in html
    assert "<mark>осудили</mark>" in html or "<mark>Осудили</mark>" in html
    # The mall report never says "осудили": its "осуждён" is marked, matched through the lemma.
    assert "<mark>осуждён</mark>" in html or "<mark>Осуждён</mark>" in html


# --- security ---------------------------------------------------------------------------------------


def test_markup_in_titles_and_texts_is_escaped_everywhere(client):
    xss_doc = client.rows("/corpus.json", sql="select id from documents where title like '%<script>%'")[0]["id"]
    xss_case = case_of(client, client.rows("/corpus.json", sql="select title from documents where id = :i", i=xss_doc)[0]["title"])
    pages = [f"/corpus/documents/{xss_doc}", f"/corpus/cases/{xss_case}", "/corpus/documents?_search=fixture",
             "/corpus/cases", "/corpus/search?q=fixture", f"/corpus/case_reports?case_id={xss_case}",
             "/corpus/map"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.text
        assert XSS_TITLE not in html, page
        assert "<img src=x onerror" not in html.lower(), page
        assert "&lt;script&gt;alert(" in html or page == "/corpus/map", page


def test_no_endpoint_writes(client, published_db):
    before = hashlib.sha256(published_db.read_bytes()).hexdigest()
    assert client.ds.get_database("corpus").is_mutable is False
    for sql in ["delete from cases", "update documents set title = 'x'", "drop table cases",
                "insert into sources (name) values ('x')", "pragma query_only = 0",
                "attach database 'x.db' as x", "create table t (a)"]:
        response = client.get("/corpus.json", sql=sql)
        assert response.status_code == 400, sql
    for path in ["/corpus/search", "/corpus/cases", "/corpus/cases/x/-/update", "/-/dashboards/overview"]:
        assert client.post(path, data={"q": "x"}).status_code == 405, path
    assert hashlib.sha256(published_db.read_bytes()).hexdigest() == before


def test_live_mode_is_read_only_too(published_db):
    """--live opens the file mutable, for a crawl still writing it; PRAGMA query_only still refuses writes."""
    live = Client(build(published_db, live=True))
    try:
        assert live.ds.get_database("corpus").is_mutable
        with pytest.raises(sqlite3.OperationalError, match="readonly|query_only"):
            live.run(live.ds.get_database("corpus").execute_write("delete from cases"))
        assert live.rows("/corpus.json", sql="select count(*) as n from cases")[0]["n"] > 0
    finally:
        live.loop.close()


def test_serve_command_binds_localhost_and_rejects_bad_settings(runner, published_db, tmp_path):
    help_text = runner.invoke(cli, ["serve", "-h"]).output
    assert "127.0.0.1" in help_text and "--port" in help_text and "--live" in help_text
    snapshot = copy_db(published_db, tmp_path / "corpus.db")
    result = runner.invoke(cli, ["serve", "--db", str(snapshot), "--setting", "no_such_setting", "1"])
    assert result.exit_code == 2 and "unknown Datasette setting" in result.output
    result = runner.invoke(cli, ["serve", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 2 and "does not exist" in result.output
