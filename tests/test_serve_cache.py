"""The response cache of an immutable corpus (plugins/corpus_cache.py), through the real
Datasette app with its plugins, on a copy of the demo corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.response_cache import ResponseCache, entry_bytes
from corpus.serve import build
from test_publish import Client, copy_db


@pytest.fixture(scope="module")
def db(demo_db, tmp_path_factory) -> Path:
    return copy_db(demo_db, tmp_path_factory.mktemp("cache") / "corpus.db")


def test_an_immutable_corpus_answers_a_repeated_url_from_the_cache(db):
    client = Client(build(db))
    first = client.get("/corpus/search.json", q="осуждён")
    second = client.get("/corpus/search.json", q="осуждён")
    assert first.status_code == second.status_code == 200
    assert first.headers["x-corpus-cache"] == "miss" and second.headers["x-corpus-cache"] == "hit"
    assert first.json()["rows"] == second.json()["rows"] and first.json()["rows"]
    assert client.get("/corpus/search.json", q="Semey").headers["x-corpus-cache"] == "miss"
    # Errors are not kept.
    assert client.get("/corpus/no_such_table").status_code == 404
    assert client.get("/corpus/no_such_table").headers.get("x-corpus-cache") == "miss"


def test_no_cache_for_a_live_file_a_login_or_when_turned_off(db, monkeypatch):
    live = Client(build(db, live=True))
    assert "x-corpus-cache" not in live.get("/corpus/cases.json").headers
    client = Client(build(db))
    response = client.loop.run_until_complete(client.ds.client.get("/corpus/cases.json",
                                                                    cookies={"ds_actor": "x"}))
    assert response.status_code == 200 and "x-corpus-cache" not in response.headers
    monkeypatch.setenv("CORPUS_CACHE_MB", "0")
    off = Client(build(db))
    assert "x-corpus-cache" not in off.get("/corpus/cases.json").headers


def test_least_recently_used_pages_go_first():
    ok = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
    one = entry_bytes(("a",), ok, b"aaaa", ())
    cache = ResponseCache(max_bytes=2 * one)
    cache.put(("a",), [], ok, b"aaaa")
    cache.put(("b",), [], ok, b"bbbb")
    assert cache.get(("a",), []) is not None  # a is now the most recently used
    cache.put(("c",), [], ok, b"cccc")
    assert cache.get(("b",), []) is None and cache.get(("a",), []) and cache.get(("c",), [])
    assert len(cache) == 2 and cache.size == 2 * one
    assert not cache.put(("big",), [], ok, b"x" * 2 * one)  # larger than the whole cache: not kept
    assert cache.get(("big",), []) is None and cache.size == 2 * one
