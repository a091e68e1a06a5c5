"""Unattended runs: a crawl killed with SIGKILL resumes without losing or duplicating a
document, and two crawls never run on one database at once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.job import CrawlJob
from crawler.sample_site.gate import Gate
from crawler.sample_site.mirror import mirror_sources, serve_mirror
from crawler.sources import sample_sources
from crawler.urls import canonicalize
from corpus.cli import cli
from corpus.crawl import CrawlLocked, _prepare_job, crawl_lock, job_dir, lock_path, run_crawl
from corpus.database import open_db

PAGES = 30
LET_THROUGH = 10
# Two pages in flight at a time, each answering in 0.15 s: the crawl takes a few seconds,
# long enough to be killed in the middle.
SLOW = {"CONCURRENT_REQUESTS_PER_DOMAIN": 2}
CRAWL = ("import sys; from crawler.sample_site.mirror import mirror_sources; from corpus.crawl import run_crawl; "
         "run_crawl(sys.argv[1], mirror_sources(sys.argv[2]), sample=True, extra_settings={'CONCURRENT_REQUESTS_PER_DOMAIN': 2})")


def count_done(path: Path) -> int:
    """Pages the store has: documents and rejected pages."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM rejected_pages)"
                                ).fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_until_gone(pid: int, timeout: float = 30) -> None:
    """Wait until every thread of `pid` has exited. A killed multi-threaded process shows its
    main thread as a zombie while the other threads still exit and still hold its files (and
    the crawl lock), so the main thread's state alone is not enough."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().split(")")[-1].split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
        if all(state in ("Z", "X") for state in states):
            return  # gone, or a zombie whose threads have all closed their files
        time.sleep(0.02)
    raise TimeoutError(f"process {pid} is still running")


def stored_paths(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        return {urlsplit(r[0]).path for r in conn.execute("SELECT url FROM documents")}


def rejected_paths(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        return {urlsplit(r[0]).path for r in conn.execute("SELECT url FROM rejected_pages")}


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path):
    path = tmp_path / "corpus.db"
    log: list[dict] = []
    # The site answers LET_THROUGH article pages, then holds the rest until the kill: the
    # crawl cannot finish before it, however slow the machine.
    gate = Gate(lambda p: p.startswith("/news/"), let_through=LET_THROUGH)
    with serve_mirror(pages=PAGES, delay=0.15, log=log, gate=gate) as (base, mirror):
        parent = subprocess.Popen([sys.executable, "-c", CRAWL, str(path), base])
        deadline = time.time() + 60
        while count_done(path) < 6:
            assert time.time() < deadline and parent.poll() is None, "the crawl did not get going"
            time.sleep(0.05)
        holder = json.loads(lock_path(path).read_text())
        # The whole process tree dies at once, as on an OOM kill or a lost machine.
        os.kill(holder["pid"], signal.SIGKILL)
        os.kill(holder["child"], signal.SIGKILL)
        parent.wait()
        wait_until_gone(holder["child"])  # a killed process lets go of the lock when it is gone
        done = stored_paths(path) | rejected_paths(path)
        assert 6 <= len(done) <= LET_THROUGH
        assert (job_dir(path) / "requests.queue" / "frontier.sqlite").exists()
        gate.drop_held()  # their crawler is gone; the resumed run's requests are answered
        fetched_before = len(log)

        result = run_crawl(path, mirror_sources(base), sample=True, extra_settings=SLOW)

    assert result.resumed and result.status == "ok", result
    db = open_db(path)
    assert [r["status"] for r in db.query("SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "ok"]
    assert db["crawl_runs"].get(2)["resumed"] == 1
    pages = {canonicalize(base + mirror.url(i)) for i in range(PAGES)}
    stored = [canonicalize(r[0]) for r in db.execute("SELECT url FROM documents")]
    rejected = [canonicalize(r[0]) for r in db.execute("SELECT url FROM rejected_pages")]
    # Every page is accounted for exactly once: none lost, none stored twice.
    assert len(stored) == len(set(stored)) and not set(stored) & set(rejected)
    assert set(stored) | set(rejected) == pages
    assert db.execute("SELECT count(DISTINCT raw_id) FROM documents").fetchone()[0] == len(stored)
    # The resumed run went on from the frontier: no page finished before the kill was
    # fetched again; the ones in flight (fetched, not yet stored) were, once.
    articles = Counter(e["path"] for e in log if e["path"].startswith("/news/"))
    assert set(articles) == {mirror.url(i) for i in range(PAGES)}
    assert all(articles[p] == 1 for p in done)
    assert max(articles.values()) <= 2
    resumed = Counter(e["path"] for e in log[fetched_before:] if e["path"].startswith("/news/"))
    assert set(resumed) == {mirror.url(i) for i in range(PAGES)} - done
    assert not job_dir(path).exists()  # a clean finish removes the frontier
    assert max(e["in_flight"] for e in log) <= 2  # per-domain concurrency held throughout


def test_a_job_left_by_other_sources_or_options_is_not_resumed(tmp_path):
    job = job_dir(tmp_path / "corpus.db")
    config = CrawlJob(sample_sources("http://127.0.0.1:9"), sample=True).identity()
    assert _prepare_job(job, config) is False  # a fresh job
    (job / "requests.queue").mkdir()
    assert _prepare_job(job, config) is True  # the same configuration: resumed
    assert (job / "requests.queue").exists()
    other = CrawlJob(sample_sources("http://127.0.0.1:9")[:1], since="2024-01-01", sample=True).identity()
    assert _prepare_job(job, other) is False  # other sources or --since: started afresh
    assert not (job / "requests.queue").exists()


def test_a_second_crawl_on_the_same_database_is_refused(tmp_path, runner):
    path = tmp_path / "corpus.db"
    open_db(path).conn.close()
    with crawl_lock(path):
        holder = json.loads(lock_path(path).read_text())
        assert holder["pid"] == os.getpid()
        with pytest.raises(CrawlLocked, match="another crawl is running"):
            run_crawl(path, sample_sources("http://127.0.0.1:9"), sample=True)
        result = runner.invoke(cli, ["crawl", "--sample", "--sample-port", "0", "--db", str(path)])
        assert result.exit_code == 2 and "another crawl is running" in result.output
    assert open_db(path)["crawl_runs"].count == 0  # a refused run leaves no trace
