"""End to end: `corpus demo --no-serve` (a real crawl over HTTP, spaCy, grouping), then a real
Datasette serving the result."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner

from corpus.cli import cli
from corpus.database import counts, open_db

from conftest import free_port, wait_for


def test_demo_builds_documents_mentions_and_a_cross_language_case(demo_db):
    db = open_db(demo_db)
    c = counts(db)
    assert c["documents"] >= 30
    assert c["mentions"] > c["documents"]
    assert c["cases"] >= 8
    langs = [json.loads(r["languages"]) for r in db.query("SELECT languages FROM cases")]
    assert any(set(ls) == {"ru", "en"} for ls in langs)
    # The April 2019 Almaty mall-plot verdict: its reports form one case, in both languages.
    mall = list(db.query(
        "SELECT c.id, c.penalty_max_years, c.place_id, d.lang FROM cases c "
        "JOIN case_documents cd ON cd.case_id = c.id JOIN documents d ON d.id = cd.document_id "
        "WHERE d.title LIKE '%торгово-развлекательном%' OR d.title LIKE '%shopping%'"))
    assert mall and len({r["id"] for r in mall}) == 1
    assert {r["lang"] for r in mall} == {"ru", "en"}
    assert mall[0]["penalty_max_years"] == 10 and mall[0]["place_id"] == "kz-almaty"


def test_demo_twice_leaves_the_same_row_counts(demo_db, sample_port):
    db = open_db(demo_db)
    before = counts(db)
    case_ids = sorted(r[0] for r in db.execute("SELECT id FROM cases"))
    db.conn.close()
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(demo_db), "--sample-port", str(sample_port)])
    assert result.exit_code == 0, result.output
    db = open_db(demo_db)
    after = counts(db)
    assert {k: v for k, v in after.items() if k != "crawl_runs"} == {k: v for k, v in before.items() if k != "crawl_runs"}
    assert after["crawl_runs"] == before["crawl_runs"] + 1
    assert sorted(r[0] for r in db.execute("SELECT id FROM cases")) == case_ids


@pytest.fixture(scope="module")
def datasette(demo_db):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "serve", "--db", str(demo_db), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def test_datasette_serves_documents(datasette):
    data = get_json(f"{datasette}/corpus/documents.json?_shape=array&_size=100")
    assert len(data) >= 30
    assert {"url", "title", "text", "lang", "source"} <= set(data[0])


def test_full_text_search_finds_a_russian_report(datasette):
    query = urllib.parse.quote("Таджикистана")
    data = get_json(f"{datasette}/corpus/documents.json?_search={query}&_shape=array")
    # Search matches lemmas and gazetteer places (corpus/search.py): "Таджикистана" also finds
    # "Таджикистане", and English reports that say "Tajikistan".
    assert data and all(("Таджикистан" in d["title"] + d["text"]) or ("Tajikistan" in d["title"] + d["text"])
                        for d in data)
    assert any(d["lang"] == "ru" for d in data) and any(d["lang"] == "en" for d in data)


def test_serve_is_read_only(datasette):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{datasette}/corpus.json?sql=" + urllib.parse.quote("DELETE FROM documents"), timeout=10)
    assert refused.value.code == 400
    data = get_json(f"{datasette}/corpus.json?_shape=array&sql=" + urllib.parse.quote("select count(*) as n from documents"))
    assert data[0]["n"] >= 30
