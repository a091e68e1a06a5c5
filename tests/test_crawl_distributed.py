"""Distributed crawl on scrapy-redis: a real redis-server on 127.0.0.1, real crawler processes
sharing its frontier, the generated mirror site, and one writer storing into a real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import scrapy
from scrapy.utils.request import request_from_dict

from crawler import stats as crawl_stats
from crawler.distributed import JOB_KEY, decode, encode, keys
from crawler.pipelines import STEPS
from crawler.sample_site.gate import HOLD_LIMIT, Gate
from crawler.sample_site.mirror import mirror_sources, serve_mirror
from crawler.sample_site.server import SampleSite, load_articles, serve
from crawler.sources import sample_sources
from crawler.urls import canonicalize
from corpus.cli import cli
from corpus.crawl import CrawlConfigError, run_crawl
from corpus.distributed import namespace
from corpus.database import open_db
from test_crawl_resume import count_done

from conftest import free_port

PAGES = 120
# Requests one crawler process may have in flight. A gate that holds article pages until
# more than this many wait at once opens only when both processes are fetching: the start
# barrier of the tests that check that both took part. The bound is CONCURRENT_REQUESTS,
# which Scrapy keeps exactly (a request counts from the moment it enters the downloader);
# the per-domain limit alone was seen exceeded by one. Held pages never time out on the
# crawler's side, so every one that waits is a live request.
PER_PROCESS = 4
BARRIER = {"CONCURRENT_REQUESTS": PER_PROCESS, "CONCURRENT_REQUESTS_PER_DOMAIN": PER_PROCESS,
           "DOWNLOAD_TIMEOUT": HOLD_LIMIT + 20}


def is_mirror_article(path: str) -> bool:
    return path.startswith("/news/")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server (the Debian package, installed by `make test`) on a free loopback port."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: `make test` installs it (apt-get install redis-server)"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.time() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.time() < deadline and server.poll() is None, "redis-server did not start"
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def fresh_redis(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def article_fetches(log: list[dict], base: str, mirror) -> Counter:
    """How many times each article page of the mirror was requested."""
    paths = {urlsplit(base + mirror.url(i)).path for i in range(PAGES)}
    return Counter(entry["path"] for entry in log if urlsplit(entry["path"]).path in paths)


def stored_and_rejected(path) -> tuple[list[str], list[str]]:
    db = open_db(path)
    stored = [canonicalize(r[0]) for r in db.execute("SELECT url FROM documents")]
    rejected = [canonicalize(r[0]) for r in db.execute("SELECT url FROM rejected_pages")]
    db.conn.close()
    return stored, rejected


@pytest.mark.redis
@pytest.mark.slow
def test_two_crawler_processes_fetch_every_page_once_and_store_it_once(tmp_path, fresh_redis):
    path = tmp_path / "corpus.db"
    log: list[dict] = []
    # Without the barrier one process may do all the work (the other still starting): every
    # page once holds either way; both taking part is what the barrier guarantees.
    gate = Gate(is_mirror_article, open_above=PER_PROCESS)
    with serve_mirror(pages=PAGES, delay=0.02, log=log, gate=gate) as (base, mirror):
        result = run_crawl(path, mirror_sources(base), sample=True, distributed=fresh_redis, workers=2,
                           extra_settings=BARRIER)
        fetches = article_fetches(log, base, mirror)
        assert result.status == "ok", result
        # Every article page requested exactly once, by one of the two processes.
        assert len(fetches) == PAGES and set(fetches.values()) == {1}, fetches.most_common(3)
        # Both processes fetched (more article requests waited at once than one may send),
        # and their counts add up to the responses of the run.
        assert gate.opened_by_load and not gate.expired, (gate.most_held, result.workers)
        assert len(result.workers) == 2 and all(n > 0 for n in result.workers.values()), result.workers
        assert sum(result.workers.values()) == result.pages_fetched
        stored, rejected = stored_and_rejected(path)
        pages = {canonicalize(base + mirror.url(i)) for i in range(PAGES)}
        assert len(stored) == len(set(stored)) and len(rejected) == len(set(rejected))
        assert set(stored) | set(rejected) == pages and not set(stored) & set(rejected)
        assert result.stored == len(stored) and result.rejected == len(rejected)
        assert sum(1 for _ in range(PAGES) if mirror.relevant(_)) <= len(stored)

        # The run is recorded with its processes; Redis is left clean.
        row = open_db(path)["crawl_runs"].get(result.run_id)
        assert json.loads(row["workers"]) == result.workers and row["status"] == "ok"
        assert list(redis.Redis.from_url(fresh_redis).scan_iter()) == []

        # A second distributed run fetches no article again: the store's URLs are pre-claimed.
        log.clear()
        again = run_crawl(path, mirror_sources(base), sample=True, distributed=fresh_redis, workers=2)
        assert again.status == "ok" and again.stored == 0
        assert article_fetches(log, base, mirror) == Counter()


@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_started_elsewhere_joins_through_the_cli(tmp_path, fresh_redis):
    """One local crawler process plus a `corpus crawl-worker` process, the way a second machine
    joins: the sample site is crawled once, as by a crawl in one process."""
    path = tmp_path / "corpus.db"
    log: list[dict] = []
    site = SampleSite()
    articles = {site.url_of(a) for a in load_articles()}
    # The barrier: article pages wait until both processes are fetching (see PER_PROCESS), so
    # the worker from elsewhere takes part however long either process takes to start.
    gate = Gate(lambda p: p in articles, open_above=PER_PROCESS)
    worker = subprocess.Popen([sys.executable, "-m", "corpus.cli", "crawl-worker", fresh_redis, "--wait", "60",
                               "--worker-id", "elsewhere"])
    try:
        with serve(port=free_port(), log=log, gate=gate) as base:
            result = run_crawl(path, sample_sources(base), sample=True, distributed=fresh_redis, workers=1,
                               extra_settings=BARRIER)
            assert gate.opened_by_load and not gate.expired, gate.most_held
            assert result.status == "ok", result
            assert worker.wait(60) == 0
            fetches = Counter(_path(base + e["path"]) for e in log)
            # Next run: feeds and sitemaps are asked with the validators the processes sent back.
            again = run_crawl(path, sample_sources(base), sample=True, distributed=fresh_redis, workers=2)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert again.status == "ok" and again.stored == 0
    # As in one process (test_crawl.py): habar's sitemap and monitor's feed answer 304.
    assert again.per_source["habar"]["not_modified"] == 1 and again.per_source["monitor"]["not_modified"] == 1
    db = open_db(path)
    run = db["crawl_runs"].get(1)
    assert "elsewhere" in json.loads(run["workers"]) and len(json.loads(run["workers"])) == 2
    # The sample site has 44 articles: 35 stored, 9 rejected, as a crawl in one process stores them.
    assert db["documents"].count == 35 and db["rejected_pages"].count == 9
    pages = {_path(r[0]) for r in db.execute("SELECT url FROM documents UNION SELECT url FROM rejected_pages")}
    assert len(pages) == 44 and all(fetches[p] == 1 for p in pages), {p: fetches[p] for p in pages if fetches[p] != 1}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_unreachable_redis_is_a_clear_error_and_the_run_is_recorded_as_failed(tmp_path, runner):
    path = tmp_path / "corpus.db"
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = runner.invoke(cli, ["crawl", "--db", str(path), "--sample", "--sample-port", str(free_port()),
                                 "--distributed", url])
    assert result.exit_code == 2
    assert f"cannot use Redis at {url}" in result.output and "Traceback" not in result.output
    run = open_db(path)["crawl_runs"].get(1)
    assert run["status"] == "failed" and run["exit_code"] == 2


@pytest.mark.redis
def test_a_worker_with_no_job_says_so(fresh_redis, runner):
    result = runner.invoke(cli, ["crawl-worker", fresh_redis, "--wait", "0.5"])
    assert result.exit_code == 2 and "no crawl job published" in result.output


@pytest.mark.redis
def test_another_corpus_job_on_the_same_redis_database_is_refused(tmp_path, fresh_redis):
    server = redis.Redis.from_url(fresh_redis)
    server.set(JOB_KEY, json.dumps({"prefix": "corpus:0123456789:7:"}))
    with pytest.raises(CrawlConfigError, match="another corpus's crawl job"):
        run_crawl(tmp_path / "corpus.db", sample_sources("http://127.0.0.1:9"), sample=True, distributed=fresh_redis)
    assert server.get(JOB_KEY)  # the other job is left alone


@pytest.mark.redis
def test_pages_left_in_redis_by_an_interrupted_writer_are_stored_by_the_next_run(tmp_path, fresh_redis):
    """A coordinator killed with pages still queued: the next run on the same database stores them."""
    path = tmp_path / "corpus.db"
    port = free_port()
    with serve(port=port) as base:
        sources = sample_sources(base)
        url = base + "/monitor/"  # any page; the item is built as a crawler process would build it
        html = (f"<html><head><title>Court jails man for extremism</title></head><body><article><p>"
                + "A court in Almaty sentenced a local resident to five years in prison for propaganda of "
                  "terrorism under Article 256 of the Criminal Code. " * 4 + "</p></article></body></html>")
        item = {"source": "monitor", "url": url + "left-over", "final_url": url + "left-over", "status": 200,
                "headers": {"Content-Type": "text/html"}, "body": html.encode(), "encoding": "utf-8",
                "text_html": html, "fetched_at": "2026-01-01T00:00:00+00:00"}
        for step in STEPS:
            item = step().process_item(item)
        assert not item.get("rejected"), item.get("rejected")
        server = redis.Redis.from_url(fresh_redis)
        server.rpush(namespace(path) + "41:storing", encode(item))
        result = run_crawl(path, sources, sample=True, distributed=fresh_redis, workers=1)
    assert result.status == "ok"
    urls = [r[0] for r in open_db(path).execute("SELECT url FROM documents")]
    assert url + "left-over" in urls and len(urls) == 36


def test_requests_and_items_travel_as_json_not_pickle():
    src = sample_sources("http://127.0.0.1:9")[0]
    request = scrapy.Request("http://127.0.0.1:9/a", headers={"If-None-Match": '"x"'},
                             meta={"source": src, "method": src.discovery[0], "page": 2})
    data = encode(request.to_dict())
    assert json.loads(data)["meta"]["source"] == {"$source": src.name}
    back = request_from_dict(decode(data, {src.name: src}))
    assert back.meta["source"] is src and back.meta["method"] == src.discovery[0] and back.meta["page"] == 2
    assert back.headers.getlist("If-None-Match") == [b'"x"'] and back.url == request.url
    item = {"body": b"\x00\xff", "rejected": ("reason", 0.5)}
    assert decode(encode(item)) == {"body": b"\x00\xff", "rejected": ["reason", 0.5]}


def test_merged_stats_add_counts_and_finish_only_when_every_process_finished():
    a = {"response_received_count": 3, "source/x/pages": 2, "elapsed_time_seconds": 5.0, "finish_reason": "finished",
         "source/x/error_messages": ["a"], "validators": {"http://x/rss": {"source": "x", "etag": '"1"'}}}
    b = {"response_received_count": 4, "source/x/pages": 1, "elapsed_time_seconds": 7.0, "finish_reason": "shutdown",
         "source/x/error_messages": ["b"], "validators": {"http://x/sitemap.xml": {"source": "x", "etag": '"2"'}}}
    merged = crawl_stats.merge([a, b])
    assert merged["response_received_count"] == 7 and merged["source/x/pages"] == 3
    assert merged["elapsed_time_seconds"] == 7.0 and merged["finish_reason"] == "shutdown"
    assert merged["source/x/error_messages"] == ["a", "b"]
    assert set(merged["validators"]) == {"http://x/rss", "http://x/sitemap.xml"}  # every process's feeds
    assert crawl_stats.merge([a, a])["finish_reason"] == "finished"
    assert keys("p:")["items"] == "p:items"


def test_the_worker_unit_runs_the_crawl_worker_command():
    root = Path(__file__).resolve().parent.parent
    unit = (root / "deploy" / "corpus-crawl-worker.service").read_text("utf-8")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.split("=", 1)[1].split()[1:] == ["crawl-worker", "--wait", "3600"]
    assert "Restart=always" in unit and "CORPUS_CONTACT=" in unit and "CORPUS_REDIS_URL=" in unit
    assert "deploy/corpus-crawl-worker.service" in (root / "README.md").read_text("utf-8")


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.redis
@pytest.mark.slow
def test_a_crawler_process_killed_mid_crawl_is_not_waited_for_and_the_next_run_completes(tmp_path, fresh_redis):
    path = tmp_path / "corpus.db"
    pages_total = 60
    script = ("import sys; from crawler.sample_site.mirror import mirror_sources; from corpus.crawl import run_crawl; "
              "r = run_crawl(sys.argv[1], mirror_sources(sys.argv[2]), sample=True, distributed=sys.argv[3], "
              "workers=2, extra_settings={'CONCURRENT_REQUESTS_PER_DOMAIN': 2, 'CORPUS_HEARTBEAT_TTL': 8}); "
              "print(r.status)")
    # Ten article pages are answered, the rest held until the kill: no process can finish first.
    gate = Gate(is_mirror_article, let_through=10)
    with serve_mirror(pages=pages_total, delay=0.15, gate=gate) as (base, mirror):
        coordinator = subprocess.Popen([sys.executable, "-c", script, str(path), base, fresh_redis],
                                       stdout=subprocess.PIPE, text=True)
        deadline = time.time() + 90
        while count_done(path) < 5:
            assert time.time() < deadline and coordinator.poll() is None, "the crawl did not get going"
            time.sleep(0.2)
        workers = _children(coordinator.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        gate.open()
        out, _ = coordinator.communicate(timeout=120)  # ends although a process never said goodbye
        assert "failed (killed by signal 9)" in out
        stored, rejected = stored_and_rejected(path)
        assert len(stored) == len(set(stored)) and len(stored) + len(rejected) <= pages_total

        again = run_crawl(path, mirror_sources(base), sample=True, distributed=fresh_redis, workers=2)
    assert again.status == "ok", again
    stored, rejected = stored_and_rejected(path)
    pages = {canonicalize(base + mirror.url(i)) for i in range(pages_total)}
    assert len(stored) == len(set(stored)) and set(stored) | set(rejected) == pages
    db = open_db(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r["status"] for r in db.query("SELECT status FROM crawl_runs ORDER BY id")] == \
        ["failed (killed by signal 9)", "ok"]


@pytest.mark.redis
@pytest.mark.slow
def test_sigterm_stops_every_crawler_process_and_the_writer_keeps_what_they_fetched(tmp_path, fresh_redis):
    """`systemctl stop` on the coordinator: the stop goes to the crawler processes through
    Redis (it would reach those on other machines the same way), the pages already fetched are
    stored, the run is recorded as interrupted, and the next run completes."""
    path = tmp_path / "corpus.db"
    pages_total = 80
    script = ("import sys; from crawler.sample_site.mirror import mirror_sources; from corpus.crawl import run_crawl; "
              "r = run_crawl(sys.argv[1], mirror_sources(sys.argv[2]), sample=True, distributed=sys.argv[3], "
              "workers=1, extra_settings={'CONCURRENT_REQUESTS': 2, 'CONCURRENT_REQUESTS_PER_DOMAIN': 2, "
              f"'DOWNLOAD_TIMEOUT': {HOLD_LIMIT + 20}}}); "
              "print(r.status, r.exit_code)")
    # Ten article pages are answered, the rest held until the stop is in Redis, and later ones
    # turned away: the run cannot finish before the stop, nor store more than it was let have.
    let_through = 10
    gate = Gate(is_mirror_article, let_through=let_through)
    server = redis.Redis.from_url(fresh_redis)
    with serve_mirror(pages=pages_total, delay=0.2, gate=gate) as (base, mirror):
        coordinator = subprocess.Popen([sys.executable, "-c", script, str(path), base, fresh_redis],
                                       stdout=subprocess.PIPE, text=True)
        # A process "on another machine": the SIGTERM does not reach it, only the stop in Redis.
        remote = subprocess.Popen([sys.executable, "-m", "corpus.cli", "crawl-worker", "--wait", "60"],
                                  env={**os.environ, "CORPUS_REDIS_URL": fresh_redis})
        deadline = time.time() + 90
        while count_done(path) < 5:
            assert time.time() < deadline and coordinator.poll() is None, "the crawl did not get going"
            time.sleep(0.2)
        coordinator.send_signal(signal.SIGTERM)
        while next(server.scan_iter(match="*:stop"), None) is None:
            assert time.time() < deadline and coordinator.poll() is None, "the stop never reached Redis"
            time.sleep(0.1)
        gate.turn_away()
        out, _ = coordinator.communicate(timeout=120)
        assert out.split() == ["interrupted", "(shutdown)", "1"], out
        assert remote.wait(30) == 0
        stored, rejected = stored_and_rejected(path)
        # At most the pages let through and those held: two processes, each with at most
        # CONCURRENT_REQUESTS (2) in flight.
        assert len(stored) == len(set(stored)) and 5 <= len(stored) + len(rejected) <= let_through + 2 * 2
        assert list(redis.Redis.from_url(fresh_redis).scan_iter()) == []

        gate.open()  # the site is back
        again = run_crawl(path, mirror_sources(base), sample=True, distributed=fresh_redis, workers=2)
    assert again.status == "ok", again
    stored, rejected = stored_and_rejected(path)
    assert len(stored) == len(set(stored))
    assert set(stored) | set(rejected) == {canonicalize(base + mirror.url(i)) for i in range(pages_total)}
