"""The crawler tested as it runs: a real Scrapy crawl of the sample site over HTTP."""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import urllib.request
from importlib import resources

import pytest
import yaml
import scrapy
from scrapy.http import XmlResponse
from scrapy.utils.test import get_crawler

from crawler.sample_site.server import load_articles, serve
from crawler.sources import sample_sources
from crawler.spiders.news import NewsSpider, listed_day
from crawler.stats import source_key
from crawler.urls import canonicalize
from corpus.cli import cli
from corpus.crawl import job_dir, run_crawl
from corpus.database import document_id, open_db
from corpus.rebuild import rebuild_documents


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, sample_port):
    path = tmp_path_factory.mktemp("crawl") / "corpus.db"
    log: list[dict] = []
    with serve(port=sample_port, log=log) as base:
        first = run_crawl(path, sample_sources(base), sample=True)
        first_requests = len(log)
        second = run_crawl(path, sample_sources(base), sample=True)
    return path, first, second, log[first_requests:]


def test_every_case_article_is_stored_and_irrelevant_ones_are_rejected(crawled):
    path, first, _, _ = crawled
    db = open_db(path)
    articles = load_articles()
    titles = {r["title"] for r in db.query("SELECT title FROM documents")}
    irrelevant = [a for a in articles if a.case is None]
    # No irrelevant story becomes a document; each is recorded with a reason.
    assert not titles & {a.title for a in irrelevant}
    assert db["rejected_pages"].count >= len(irrelevant)
    reasons = {r["reason"] for r in db.query("SELECT reason FROM rejected_pages")}
    assert all(reasons)
    # Each rejected HTML page keeps its raw response, for `corpus reextract` to judge again.
    assert not list(db.query("SELECT url FROM rejected_pages WHERE raw_id IS NULL "
                             "OR raw_id NOT IN (SELECT id FROM raw_pages)"))
    # Nearly every case report gets through (a bombing report with no court terms may not).
    case_titles = {a.title for a in articles if a.case}
    assert len(titles & case_titles) >= len(case_titles) - 2
    assert first.exit_code == 0 and first.errors == 0


def test_windows_1251_pages_are_decoded(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    vestnik = list(db.query("SELECT title, text FROM documents WHERE source = 'vestnik'"))
    assert vestnik
    expected = {a.title for a in load_articles() if a.outlet == "vestnik"}
    assert {r["title"] for r in vestnik} <= expected
    assert all("суд" in r["text"].lower() or "суд" in r["title"].lower() for r in vestnik[:3])


def test_metadata_comes_from_json_ld_and_meta_tags(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    habar = db.execute("SELECT published, author, section FROM documents WHERE source = 'habar' LIMIT 1").fetchone()
    assert habar[0].startswith("20") and "T09:00:00" in habar[0]
    assert habar[2]
    monitor = db.execute("SELECT published FROM documents WHERE source = 'monitor' LIMIT 1").fetchone()
    assert monitor[0].endswith("T08:00:00Z")


def test_second_run_stores_nothing_new(crawled):
    path, first, second, _ = crawled
    db = open_db(path)
    assert second.stored == 0 and second.updated == 0
    assert db["documents"].count == first.stored
    # A raw page for each document and each rejected page (all HTML on the sample site).
    assert db["raw_pages"].count == first.stored + first.rejected
    assert db["crawl_runs"].count == 2
    runs = list(db.query("SELECT status, finished FROM crawl_runs ORDER BY id"))
    assert all(r["status"] == "ok" and r["finished"] for r in runs)


def test_second_run_asks_for_feeds_and_sitemaps_conditionally(crawled):
    path, _, second, log = crawled
    conditional = {e["path"]: e for e in log if e["path"] in ("/habar/sitemap-news.xml", "/monitor/rss.xml")}
    assert set(conditional) == {"/habar/sitemap-news.xml", "/monitor/rss.xml"}
    for entry in conditional.values():
        assert entry["headers"].get("If-None-Match", "").startswith('"')
        assert entry["headers"].get("If-Modified-Since")
        assert entry["status"] == 304
    assert second.per_source["habar"]["not_modified"] == 1 and second.per_source["monitor"]["not_modified"] == 1
    # No article page was fetched again; only the listing (which has no validators) was.
    assert not [e for e in log if e["path"].startswith(("/habar/", "/monitor/"))
                and not e["path"].endswith((".xml",))]
    db = open_db(path)
    assert {r["source"] for r in db.query("SELECT source FROM http_validators")} == {"habar", "monitor"}


def test_robots_txt_is_obeyed(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    assert not list(db.query("SELECT url FROM raw_pages WHERE url LIKE '%/print/%'"))


def test_raw_pages_keep_provenance(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    row = next(db.query("SELECT r.* FROM documents d JOIN raw_pages r ON r.id = d.raw_id WHERE d.source = 'vestnik'"))
    body = gzip.decompress(row["body_gz"])
    assert row["status"] == 200 and row["encoding"] == "cp1251"
    assert "windows-1251" in json.loads(row["headers"])["Content-Type"]
    assert row["url"] and row["final_url"] and row["fetched_at"]
    assert body.decode("cp1251")


def test_reprints_are_marked_not_dropped(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    dupes = list(db.query("SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL"))
    for d in dupes:
        assert db["documents"].get(d["duplicate_of"])["duplicate_of"] is None  # links point at the original


def test_the_near_verbatim_reprint_points_at_the_original(crawled):
    """habar's `almaty-trc-terror-plot-10-years` reprints vestnik's `almaty-mall-plot-verdict`
    with a new first line, other wording in places and the last paragraph dropped."""
    path, _, _, _ = crawled
    db = open_db(path)
    by_title = {a.slug: a.title for a in load_articles()}
    original = next(db.query("SELECT * FROM documents WHERE title = ?", [by_title["almaty-mall-plot-verdict"]]))
    reprint = next(db.query("SELECT * FROM documents WHERE title = ?", [by_title["almaty-trc-terror-plot-10-years"]]))
    assert original["content_hash"] != reprint["content_hash"]  # not an exact copy
    assert reprint["duplicate_of"] == original["id"]  # the earlier one is the original
    assert original["duplicate_of"] is None
    # No other pair of the sample site is a near-duplicate: 44 reports, 13 cases, one reprint.
    assert db.execute("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL").fetchone()[0] == 1


def test_since_skips_older_articles_without_recording_them(tmp_path, sample_port):
    path = tmp_path / "since.db"
    with serve(port=0) as base:
        result = run_crawl(path, sample_sources(base), sample=True, since="2019-01-01")
    db = open_db(path)
    published = [r[0][:10] for r in db.execute("SELECT published FROM documents")]
    assert published and min(published) >= "2019-01-01"
    older = [a for a in load_articles() if a.published.isoformat() < "2019-01-01"]
    assert older
    # Listing pages carry no dates: vestnik's older pages are fetched, then dropped after extraction.
    assert result.per_source["vestnik"]["skipped_old"] > 0
    assert result.per_source["habar"]["skipped_old"] + result.per_source["monitor"]["skipped_old"] > 0
    # Not rejected: a later run without --since may still store them.
    rejected = {r[0] for r in db.execute("SELECT reason FROM rejected_pages")}
    assert not any("since" in r for r in rejected)
    assert result.exit_code == 0


def test_feed_dates_are_read_as_rfc_822_whatever_their_form():
    assert listed_day("Mon, 1 Jan 2024 10:00:00 +0000") == "2024-01-01"  # one-digit day
    assert listed_day("Tue, 02 Jul 2024 08:00:00 GMT") == "2024-07-02"
    assert listed_day("2 Jul 2024 23:30 -0500") == "2024-07-02"  # no weekday; the publisher's day
    assert listed_day("2024-07-02T08:00:00+05:00") == "2024-07-02"
    assert listed_day("yesterday") is None and listed_day(None) is None


def test_since_skips_a_feed_item_with_a_one_digit_day_before_fetching_it():
    src = sample_sources("http://127.0.0.1:9")[0]
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, sources=[src], since="2024-01-02")
    feed = ("<rss><channel>"
            "<item><link>http://127.0.0.1:9/old</link><pubDate>Mon, 1 Jan 2024 10:00:00 +0000</pubDate></item>"
            "<item><link>http://127.0.0.1:9/new</link><pubDate>Wed, 3 Jan 2024 10:00:00 +0000</pubDate></item>"
            "</channel></rss>")
    request = scrapy.Request("http://127.0.0.1:9/rss", meta={"source": src, "discovery_url": "http://127.0.0.1:9/rss"})
    response = XmlResponse(request.url, body=feed.encode(), request=request)
    assert [r.url for r in spider.parse_feed(response)] == ["http://127.0.0.1:9/new"]
    assert crawler.stats.get_value(source_key(src.name, "skipped_old")) == 1


def test_a_clean_finish_leaves_no_job_directory(crawled):
    path, _, _, _ = crawled
    assert not job_dir(path).exists()


def test_reextract_rebuilds_documents_without_the_network(crawled, tmp_path, runner, monkeypatch):
    src, _, _, _ = crawled
    path = tmp_path / "copy.db"
    with sqlite3.connect(src) as a, sqlite3.connect(path) as b:
        a.backup(b)
    db = open_db(path)
    before = {r["id"]: r for r in db.query("SELECT id, title, text, published, lang, content_hash, duplicate_of FROM documents")}
    with db.conn:
        db.execute("UPDATE documents SET text = 'x', title = NULL, content_hash = 'stale'")
    db.conn.close()

    def no_network(*args, **kwargs):
        raise AssertionError("reextract tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    result = runner.invoke(cli, ["reextract", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert f"re-extracted {len(before)} pages: {len(before)} documents changed" in result.output
    after = {r["id"]: r for r in open_db(path).query(
        "SELECT id, title, text, published, lang, content_hash, duplicate_of FROM documents")}
    assert after == before


def test_reextract_stores_a_page_that_a_stricter_lexicon_rejected(tmp_path, sample_port, monkeypatch):
    """A crawl with a stricter gate (the packaged lexicon with a higher threshold) turns away
    case reports; `corpus reextract` with the packaged lexicon, without the network, makes
    them documents from their kept raw responses, and leaves the irrelevant pages rejected."""
    terms = yaml.safe_load(resources.files("crawler").joinpath("relevance_terms.yml").read_text("utf-8"))
    terms["threshold"] = 14.0
    strict = tmp_path / "strict_terms.yml"
    strict.write_text(yaml.safe_dump(terms, allow_unicode=True), "utf-8")
    path = tmp_path / "corpus.db"
    with serve(port=sample_port) as base:
        result = run_crawl(path, sample_sources(base), sample=True, extra_settings={"RELEVANCE_TERMS": str(strict)})
    assert result.exit_code == 0 and result.rejected > 0
    articles = load_articles()
    case_titles = {a.title for a in articles if a.case}
    irrelevant_titles = {a.title for a in articles if a.case is None}
    db = open_db(path)
    before = {r["title"] for r in db.query("SELECT title FROM documents")} & case_titles
    rejected_before = db["rejected_pages"].count
    assert len(before) < len(case_titles) - 3  # the strict gate turned case reports away
    db.conn.close()

    def no_network(*args, **kwargs):
        raise AssertionError("reextract tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    db = open_db(path)
    counts = rebuild_documents(db)
    titles = {r["title"] for r in db.query("SELECT title FROM documents")}
    assert titles & case_titles == case_titles and not titles & irrelevant_titles
    admitted = len(case_titles) - len(before)
    assert counts["rejected"] == rejected_before and counts["admitted"] == admitted
    assert db["rejected_pages"].count == rejected_before - admitted
    # The admitted pages are documents like any other: with their raw page, hash and relevance.
    assert not list(db.query("SELECT id FROM documents WHERE raw_id IS NULL OR content_hash IS NULL "
                             "OR relevance IS NULL"))
    # Judging again changes nothing.
    again = rebuild_documents(db)
    assert again["admitted"] == 0 and again["changed"] == 0


def test_runs_shows_the_history_with_per_source_detail(crawled, runner):
    path, _, _, _ = crawled
    result = runner.invoke(cli, ["runs", "--db", str(path), "--detail"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["run", "started", "status"]
    assert lines[1].lstrip().startswith("2") and " ok " in lines[1]
    # Under each run a per-source table: the second run found habar's sitemap not modified.
    header = next(line for line in lines if line.split()[:1] == ["source"])
    habar = next(line for line in lines if line.split()[:1] == ["habar"])
    assert habar[header.index("not modified"):].split()[0] == "1"
    rows = [json.loads(line) for line in runner.invoke(cli, ["runs", "--db", str(path), "--json"]).output.splitlines()]
    assert [r["id"] for r in rows] == [2, 1]
    assert rows[1]["source_counts"]["monitor"]["stored"] > 0


def test_document_ids_are_canonical_urls(crawled):
    path, _, _, _ = crawled
    db = open_db(path)
    for row in db.query("SELECT id, canonical_url FROM documents"):
        assert row["id"] == document_id(row["canonical_url"]) and row["canonical_url"] == canonicalize(row["canonical_url"])


def test_sample_site_serves_three_outlets(sample_port):
    with serve(port=0) as base:
        with urllib.request.urlopen(base + "/robots.txt") as r:
            assert b"Disallow: /vestnik/print/" in r.read()
        with urllib.request.urlopen(base + "/habar/sitemap-news.xml") as r:
            assert b"<news:publication_date>" in r.read()
            assert r.headers["ETag"] and r.headers["Last-Modified"]
        with urllib.request.urlopen(base + "/monitor/rss.xml") as r:
            assert b"<rss" in r.read()
        with urllib.request.urlopen(base + "/vestnik/news/?page=2") as r:
            assert "windows-1251" in r.headers["Content-Type"]
