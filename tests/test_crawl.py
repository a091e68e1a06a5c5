"""The crawler tested as it runs: a real Scrapy crawl of the sample site over HTTP."""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest

from crawler.sample_site.server import load_articles, serve
from crawler.sources import sample_sources
from corpus.crawl import run_crawl
from corpus.store import open_db


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, sample_port):
    path = tmp_path_factory.mktemp("crawl") / "corpus.db"
    with serve(port=sample_port) as base:
        first = run_crawl(path, sample_sources(base), sample=True)
        second = run_crawl(path, sample_sources(base), sample=True)
    return path, first, second


def test_every_case_article_is_stored_and_irrelevant_ones_are_rejected(crawled):
    path, first, _ = crawled
    db = open_db(path)
    articles = load_articles()
    titles = {r["title"] for r in db.query("SELECT title FROM documents")}
    irrelevant = [a for a in articles if a.case is None]
    # No irrelevant story becomes a document; each is recorded with a reason.
    assert not titles & {a.title for a in irrelevant}
    assert db["rejected_pages"].count >= len(irrelevant)
    reasons = {r["reason"] for r in db.query("SELECT reason FROM rejected_pages")}
    assert all(reasons)
    # Nearly every case report gets through (a bombing report with no court terms may not).
    case_titles = {a.title for a in articles if a.case}
    assert len(titles & case_titles) >= len(case_titles) - 2
    assert first.exit_code == 0 and first.errors == 0


def test_windows_1251_pages_are_decoded(crawled):
    path, _, _ = crawled
    db = open_db(path)
    vestnik = list(db.query("SELECT title, text FROM documents WHERE source = 'vestnik'"))
    assert vestnik
    expected = {a.title for a in load_articles() if a.outlet == "vestnik"}
    assert {r["title"] for r in vestnik} <= expected
    assert all("суд" in r["text"].lower() or "суд" in r["title"].lower() for r in vestnik[:3])


def test_metadata_comes_from_json_ld_and_meta_tags(crawled):
    path, _, _ = crawled
    db = open_db(path)
    habar = db.execute("SELECT published, author, section FROM documents WHERE source = 'habar' LIMIT 1").fetchone()
    assert habar[0].startswith("20") and "T09:00:00" in habar[0]
    assert habar[2]
    monitor = db.execute("SELECT published FROM documents WHERE source = 'monitor' LIMIT 1").fetchone()
    assert monitor[0].endswith("T08:00:00Z")


def test_second_run_stores_nothing_new(crawled):
    path, first, second = crawled
    db = open_db(path)
    assert second.stored == 0
    assert db["documents"].count == first.stored
    assert db["crawl_runs"].count == 2
    runs = list(db.query("SELECT status, finished FROM crawl_runs ORDER BY id"))
    assert all(r["status"] == "ok" and r["finished"] for r in runs)


def test_robots_txt_is_obeyed(crawled):
    path, _, _ = crawled
    db = open_db(path)
    assert not list(db.query("SELECT url FROM raw_pages WHERE url LIKE '%/print/%'"))


def test_raw_pages_keep_provenance(crawled):
    path, _, _ = crawled
    db = open_db(path)
    row = next(db.query("SELECT r.* FROM documents d JOIN raw_pages r ON r.id = d.raw_id WHERE d.source = 'vestnik'"))
    body = gzip.decompress(row["body_gz"])
    assert row["status"] == 200 and row["encoding"] == "cp1251"
    assert "windows-1251" in json.loads(row["headers"])["Content-Type"]
    assert body.decode("cp1251")


def test_reprints_are_marked_not_dropped(crawled):
    path, _, _ = crawled
    db = open_db(path)
    dupes = list(db.query("SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL"))
    for d in dupes:
        assert db["documents"].get(d["duplicate_of"])


def test_sample_site_serves_three_outlets(sample_port):
    with serve(port=0) as base:
        with urllib.request.urlopen(base + "/robots.txt") as r:
            assert b"Disallow: /vestnik/print/" in r.read()
        with urllib.request.urlopen(base + "/habar/sitemap-news.xml") as r:
            assert b"<news:publication_date>" in r.read()
        with urllib.request.urlopen(base + "/monitor/rss.xml") as r:
            assert b"<rss" in r.read()
        with urllib.request.urlopen(base + "/vestnik/news/?page=2") as r:
            assert "windows-1251" in r.headers["Content-Type"]
