"""`corpus serve` under abuse: odd paths, many distinct URLs, responses that vary by visitor,
queries that try to allocate gigabytes or hold every SQL thread. A small real corpus made by
the app's own schema code, served by the app's own Datasette (its test client, or a real
`corpus serve` process on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest
from datasette.plugins import pm

from corpus.database import open_db
from corpus.response_cache import ResponseCache, cached_app, entry_bytes
from corpus.serve import build
from conftest import free_port, wait_for
from test_publish import Client


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    """Forty reports in four cases."""
    path = tmp_path_factory.mktemp("abuse") / "corpus.db"
    db = open_db(path)
    db["sources"].insert({"name": "monitor", "title": "Monitor"})
    db["documents"].insert_all(
        {"id": f"d{i:03d}", "url": f"http://x/{i}", "source": "monitor", "lang": "en", "title": f"Report {i}",
         "text": f"Report {i}: convicted in Semey. " * 20, "published": f"20{10 + i % 15}-01-01"}
        for i in range(40))
    db["cases"].insert_all({"id": f"case-{i}", "title": f"Case {i}", "region": "Abai region"} for i in range(4))
    db["case_documents"].insert_all(
        {"case_id": f"case-{i % 4}", "document_id": f"d{i:03d}", "similarity": 1.0} for i in range(40))
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def client(corpus_db):
    c = Client(build(corpus_db))
    yield c
    c.loop.close()


# --- odd paths are 404s, not 500s with a traceback -------------------------------------------

ODD_PATHS = [
    "/a/b/c/d",
    "/corpus/cases/a/b",
    "/corpus/documents/d001/x/y",
    "/corpus/cases/no-such-case",
    "/corpus/no_such_table/1/2/3",
    "/corpus/cases/" + "x" * 5000,
    "/" + "/".join(["a"] * 400),
    "/-/no-such-page",
    "/corpus/cases/~ZZ~",
]


def test_odd_paths_are_404_without_a_traceback(client, capfd):
    for path in ODD_PATHS:
        response = client.get(path)
        assert response.status_code == 404, (path[:60], response.status_code)
    # Percent-encoded junk is redirected to Datasette's tilde form, which is then a 404.
    for path in ["/corpus/cases/%ff%fe%00", "/corpus/cases/a%2Fb/c", "/%7E%2E%2E/%25%25"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert client.get(response.headers["location"]).status_code == 404, path
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


# --- a real `corpus serve` process ------------------------------------------------------------


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path):
        self.proc, self.url, self.log = proc, url, log

    def get(self, path: str, **params) -> tuple:
        """(status, headers (any case), body, seconds taken, time.monotonic() when it ended)."""
        if params:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        ended = time.monotonic()
        return status, headers, body, ended - started, ended

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


@pytest.fixture(scope="module")
def server(corpus_db, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "corpus.cli", "serve", "--db", str(corpus_db), "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        yield Server(proc, f"http://127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


HUGE_VALUE_SQL = "select length(hex(randomblob(450000000)))"
# Counts for ever: only the time limit (sql_time_limit_ms, 3 s) stops it.
ENDLESS_SQL = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"


def test_a_query_that_asks_for_gigabytes_fails_at_once_without_allocating_them(server):
    peak_before = server.peak_rss_mb()
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda i: server.get("/corpus.json", sql=HUGE_VALUE_SQL, _shape="objects"),
                                range(3)))
    for status, _, body, seconds, _ in answers:
        assert status == 400 and "too big" in json.loads(body)["error"], body[:200]
        assert seconds < 2
    assert server.peak_rss_mb() < peak_before + 100


def test_pages_are_served_at_once_while_slow_visitor_queries_run(server):
    with ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(server.get, "/corpus.json", sql=ENDLESS_SQL, _n=str(i)) for i in range(8)]
        # The first answer is a query turned away: the others hold every turn and are running.
        first = next(as_completed(slow, timeout=60)).result()
        assert first[0] == 503 and b"try again" in first[2], first[:3]
        assert first[1]["Retry-After"]
        status, headers, _, page_seconds, page_ended = server.get("/corpus/documents", _sort="title", source="monitor")
        answers = [future.result() for future in slow]
    assert status == 200 and headers["x-corpus-cache"] == "miss"
    assert page_seconds < 2
    ran = [a for a in answers if a[0] != 503]
    assert ran and all(a[0] == 400 and b"too long" in a[2] and a[3] > 2.5 for a in ran)
    assert page_ended < min(a[4] for a in ran)  # answered while they were still running


# --- the response cache: bounded memory, and Vary and Cache-Control honoured ------------------


def test_a_response_for_one_visitor_is_not_served_to_another(client):
    def cache_state(path, **headers) -> str:
        response = client.run(client.ds.client.get(path, headers=headers))
        assert response.status_code == 200
        return response.headers["x-corpus-cache"]

    # Datasette marks a response to a request with a cookie `private, no-store`: never kept.
    assert cache_state("/corpus/cases.json?_size=1", cookie="theme=dark") == "miss"
    assert cache_state("/corpus/cases.json?_size=1") == "miss"
    assert cache_state("/corpus/cases.json?_size=1") == "hit"
    # A kept response varies on Cookie and Authorization: a request with either is not given it.
    assert cache_state("/corpus/cases.json?_size=1", cookie="theme=dark") == "miss"
    assert cache_state("/corpus/cases.json?_size=1", authorization="Bearer x") == "miss"
    assert cache_state("/corpus/cases.json?_size=1") == "hit"
    assert cache_state("/corpus/cases.json?_size=2", authorization="Bearer x") == "miss"
    assert cache_state("/corpus/cases.json?_size=2") == "miss"


def real_responses(corpus_db, monkeypatch) -> list[list[dict]]:
    """The ASGI messages of a few real answers of the app (no cache): a HEAD of the style sheet,
    the cases as JSON and as an HTML table page."""
    monkeypatch.setenv("CORPUS_CACHE_MB", "0")
    app = build(corpus_db).app()
    answers = []
    for method, path in [("HEAD", "/-/corpus.css"), ("GET", "/corpus/cases.json"), ("GET", "/corpus/cases")]:
        messages: list[dict] = []

        async def send(message, messages=messages):
            messages.append(message)

        asyncio.run(app(request_scope(method, path, ""), receive_nothing, send))
        assert messages[0]["status"] == 200
        answers.append(messages)
    return answers


async def receive_nothing():
    return {"type": "http.request", "body": b"", "more_body": False}


def request_scope(method: str, path: str, query: str) -> dict:
    return {"type": "http", "http_version": "1.1", "method": method, "scheme": "http", "root_path": "",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8001"), (b"user-agent", b"test")],
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8001)}


def replaying(answers: list[list[dict]]):
    """An ASGI app that answers request number i with answer i % len(answers), copied."""
    count = [0]

    async def app(scope, receive, send):
        messages = answers[count[0] % len(answers)]
        count[0] += 1
        for message in messages:
            copied = {**message}
            if "headers" in copied:
                copied["headers"] = [(bytes(bytearray(k)), bytes(bytearray(v))) for k, v in copied["headers"]]
            if "body" in copied:
                copied["body"] = bytes(bytearray(copied["body"]))
            await send(copied)

    return app


def request_distinct_urls(app, requests: int, query_bytes: int) -> None:
    """`requests` distinct URLs through `app`, each with a query string of `query_bytes`, half
    of them HEAD requests."""
    async def drain(message):
        pass

    async def run():
        for i in range(requests):
            query = f"n={i}&pad=" + "x" * query_bytes
            await app(request_scope(("HEAD", "GET")[i % 2], f"/corpus/cases/{i}", query), receive_nothing, drain)

    asyncio.run(run())


def memory_grown_by(app, requests: int, query_bytes: int) -> int:
    """Bytes Python holds more after request_distinct_urls than before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        request_distinct_urls(app, requests, query_bytes)
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_ten_thousand_long_distinct_urls_keep_the_cache_within_its_budget(corpus_db, monkeypatch):
    # The smallest real answer (a style sheet) under long URLs: what the key and headers cost
    # is most of what the cache holds.
    answers = real_responses(corpus_db, monkeypatch)[:1]
    monkeypatch.setenv("CORPUS_CACHE_MB", "1")
    plugin = pm.get_plugin("corpus_cache.py")
    app = plugin.asgi_wrapper(datasette=build(corpus_db))(replaying(answers))
    assert memory_grown_by(app, 10_000, query_bytes=2000) < 1.25 * 1024 * 1024


def test_the_cache_counts_keys_headers_and_entries(corpus_db, monkeypatch):
    answers = real_responses(corpus_db, monkeypatch)
    largest = max(sum(len(m.get("body", b"")) for m in messages) for messages in answers)
    budget = 1024 * 1024
    cache = ResponseCache(budget)
    grown = memory_grown_by(cached_app(replaying(answers), cache, lambda scope: False), 5_000, 500)
    # What the cache counts covers what it holds; besides it Python may still hold the last answer
    # handed out (one body) and a little of the request machinery.
    assert grown <= cache.size + largest + 64 * 1024
    assert 0 < cache.size <= budget
    # The entry cap binds before the bytes do: a budget that holds far more than 50 of the answers.
    roomy = 200 * largest + budget
    few = ResponseCache(roomy, max_entries=50)
    request_distinct_urls(cached_app(replaying(answers), few, lambda scope: False), 2_000, 0)
    assert len(few) == 50 and few.size <= roomy
    # A HEAD answer, with its empty body, still costs its key and headers.
    head, _ = few.entries[next(k for k in few.entries if k[0] == "HEAD")][:2]
    assert entry_bytes(("HEAD", b"h", b"", "", "/", b""), head, b"", ()) > 500
