"""A real crawl of a local site where everything goes wrong (crawler/sample_site/faults.py):
errors, encodings, redirects, robots.txt, size limits, binaries. One crawl, then a second."""

from __future__ import annotations

import gzip
import json

import pytest

from crawler.sample_site.faults import FAULT_TEST_SETTINGS, KAZAKH_TEXT, KAZAKH_TITLE, fault_sources, serve_faults
from corpus.crawl import run_crawl
from corpus.database import open_db


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "corpus.db"
    log: list[dict] = []
    with serve_faults(log=log) as (base, site):
        first = run_crawl(path, fault_sources(base), sample=True, extra_settings=FAULT_TEST_SETTINGS)
        first_hits = dict(site.hits)
        second = run_crawl(path, fault_sources(base), sample=True, extra_settings=FAULT_TEST_SETTINGS)
        second_hits = {k: v - first_hits.get(k, 0) for k, v in site.hits.items()}
    return {"db": open_db(path), "base": base, "site": site, "first": first, "second": second,
            "first_hits": first_hits, "second_hits": second_hits, "log": log}


def document(f, path: str) -> dict | None:
    return next(f["db"].query("SELECT * FROM documents WHERE url = ?", [f["base"] + path]), None)


def raw(f, path: str) -> dict:
    return next(f["db"].query("SELECT * FROM raw_pages WHERE url = ?", [f["base"] + path]))


def rejected(f, path: str) -> str | None:
    row = f["db"].execute("SELECT reason FROM rejected_pages WHERE url = ?", [f["base"] + path]).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("path, encoding", [
    ("/articles/utf8.html", "utf-8"),
    ("/articles/cp1251.html", "cp1251"),
    ("/articles/koi8r.html", "koi8-r"),
    ("/articles/header-says-1251.html", "utf-8"),   # the header lies: the bytes are UTF-8
    ("/articles/header-says-utf8.html", "cp1251"),  # the header lies: the bytes are windows-1251
    ("/articles/meta-koi8r.html", "koi8-r"),
])
def test_each_encoding_is_decoded_from_the_bytes(faults, path, encoding):
    article = faults["site"].article(path)
    doc = document(faults, path)
    assert doc is not None, path
    assert doc["title"] == article.title
    assert article.paragraphs[1][:60] in doc["text"]
    assert doc["lang"] == "ru"
    assert raw(faults, path)["encoding"] == encoding


def test_broken_html_still_yields_the_article(faults):
    doc = document(faults, "/articles/broken.html")
    article = faults["site"].article("/articles/broken.html")
    assert doc["title"] == article.title
    assert article.paragraphs[-1][:60] in doc["text"]


def test_a_kazakh_page_is_stored_and_flagged_not_judged(faults):
    doc = document(faults, "/articles/kazakh.html")
    assert doc["lang"] == "kk" and doc["relevance"] is None
    assert doc["title"] == KAZAKH_TITLE and KAZAKH_TEXT[0][:40] in doc["text"]


def test_a_500_is_retried_and_the_page_stored(faults):
    assert faults["first_hits"]["/articles/flaky.html"] == 2
    assert document(faults, "/articles/flaky.html") is not None
    assert not any("flaky" in m for m in faults["first"].error_messages.get("faults", []))


def test_a_same_site_redirect_is_followed_and_both_urls_kept(faults):
    doc = document(faults, "/articles/moved.html")
    assert doc is not None
    assert raw(faults, "/articles/moved.html")["final_url"] == faults["base"] + "/articles/moved-here.html"


def test_a_404_is_an_error_and_is_recorded_as_gone(faults):
    assert rejected(faults, "/articles/missing.html") == "HTTP 404"
    assert any("missing.html: HTTP 404" in m for m in faults["first"].error_messages["faults"])
    assert faults["second_hits"].get("/articles/missing.html", 0) == 0  # not fetched again


def test_a_slow_page_times_out_is_retried_once_and_reported(faults):
    assert faults["first_hits"]["/articles/slow.html"] == 2  # the request and one retry
    assert document(faults, "/articles/slow.html") is None
    assert rejected(faults, "/articles/slow.html") is None  # transient: tried again next run
    assert any("slow.html: DownloadTimeoutError" in m for m in faults["first"].error_messages["faults"])
    assert faults["second_hits"]["/articles/slow.html"] >= 1


def test_a_redirect_loop_is_stopped_at_the_first_repeat(faults):
    assert faults["first_hits"]["/articles/loop-a.html"] == 1
    assert any("redirect loop" in m and "loop-a.html" in m for m in faults["first"].error_messages["faults"])
    assert document(faults, "/articles/loop-a.html") is None


def test_redirects_off_the_registry_or_to_private_addresses_are_refused(faults):
    paths = [entry["path"] for entry in faults["log"]]
    assert "/articles/never.html" not in paths          # the localhost redirect was not followed
    assert faults["first"].per_source["faults"]["refused"] >= 5
    for path in ("/articles/to-offsite.html", "/articles/to-loopback.html", "/articles/to-localhost.html"):
        assert document(faults, path) is None


def test_robots_txt_disallow_is_obeyed(faults):
    assert "/private/secret.html" not in faults["first_hits"]
    assert "/robots.txt" in faults["first_hits"]


def test_off_registry_links_are_never_fetched(faults):
    db = faults["db"]
    assert not list(db.query("SELECT url FROM raw_pages WHERE url LIKE '%example.%'"))
    assert not list(db.query("SELECT url FROM rejected_pages WHERE url LIKE '%example.%'"))


def test_an_oversized_page_is_cut_off_and_recorded(faults):
    assert rejected(faults, "/articles/huge.html") == "larger than DOWNLOAD_MAXSIZE"
    assert document(faults, "/articles/huge.html") is None
    assert faults["second_hits"].get("/articles/huge.html", 0) == 0


@pytest.mark.parametrize("path", ["/articles/image.html", "/articles/binary.html"])
def test_binary_files_with_an_html_name_are_rejected(faults, path):
    assert "binary" in rejected(faults, path)
    assert document(faults, path) is None


def test_the_run_reports_source_errors_with_exit_code_1(faults):
    first = faults["first"]
    assert first.exit_code == 1 and first.status == "finished with errors"
    assert first.errors == 3  # 404, timeout, redirect loop: nothing counted twice
    assert first.stored == 10
    row = faults["db"]["crawl_runs"].get(first.run_id)
    assert row["exit_code"] == 1 and row["errors"] == 3
    counts = json.loads(row["source_counts"])["faults"]
    assert counts["stored"] == 10 and counts["errors"] == 3
    assert len(json.loads(row["error_log"])["messages"]["faults"]) == 3


def test_every_request_names_the_crawler_and_its_contact(faults):
    agents = {entry["headers"].get("User-Agent") for entry in faults["log"]}
    assert len(agents) == 1
    assert agents.pop().startswith("extremism-cases-corpus/")


def test_second_run_stores_nothing_new_and_refetches_only_what_failed(faults):
    second = faults["second"]
    assert second.stored == 0 and second.updated == 0
    hits = faults["second_hits"]
    # Stored and recorded pages are not fetched again; the feed is (the last run had errors,
    # so its validators were not kept), and so are the pages that failed transiently.
    assert hits.get("/articles/utf8.html", 0) == 0
    assert hits["/feed.xml"] == 1
    assert faults["db"]["documents"].count == 10


def test_raw_pages_are_gzip_with_status_headers_and_fetch_time(faults):
    row = raw(faults, "/articles/koi8r.html")
    assert row["status"] == 200 and row["fetched_at"]
    assert json.loads(row["headers"])["Content-Type"] == "text/html; charset=koi8-r"
    first_word = faults["site"].article("/articles/koi8r.html").title.split()[0]
    assert first_word in gzip.decompress(row["body_gz"]).decode("koi8-r")
