"""The coordinator of a distributed crawl (`corpus crawl --distributed REDIS_URL`): the
`DistributedRunner` publishes the crawl job in Redis, starts the local crawler processes, and
is the one writer that drains their pages into corpus.db. The crawler side is
crawler/distributed.py.

Pages reach the store through Redis: each crawler process pushes its finished items onto the
job's `items` list; the writer moves one at a time onto `storing` (LMOVE, atomic), stores it
in one transaction, then removes it. A writer killed mid-page leaves the page on `storing`
(or `items`), and the next run on the same database stores those leftovers before it starts
(storing is an upsert, so a page written twice is written once). Runs are kept apart by a
key prefix per database and run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import redis

from crawler import stats as crawl_stats
from crawler.distributed import JOB_KEY, JOB_TTL, decode, keys, redact
from crawler.job import CrawlJob

from corpus.crawl import CrawlConfigError, JobOutcome
from corpus.page_store import AddressAlias, store_page
from corpus.database import open_db
from corpus.locks import HeldLock

log = logging.getLogger(__name__)

SEEN_CHUNK = 10_000
JOIN_WAIT = 300.0  # seconds to wait for a remote crawler process when none runs here
STOP_WAIT = 60.0   # seconds local crawler processes get to stop when the coordinator fails
MAX_WRITER_MESSAGES = 20


class DistributedError(CrawlConfigError):
    """Redis cannot be reached, or no crawler process ever joined (exit code 2)."""


def connect(redis_url: str) -> redis.Redis:
    try:
        server = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        server.ping()
    except (ValueError, redis.RedisError) as exc:
        raise DistributedError(f"cannot use Redis at {redact(redis_url)}: {redact(str(exc))}") from None
    return server


def namespace(db_path: Path) -> str:
    """The key namespace of one database's distributed crawls (host and path: two machines'
    /var/lib/corpus/corpus.db are two corpora)."""
    where = f"{socket.gethostname()}:{db_path.resolve()}"
    return "corpus:" + hashlib.sha1(where.encode()).hexdigest()[:10] + ":"


class Writer:
    """Stores items from Redis lists into the database, counting outcomes like StorePipeline."""

    def __init__(self, server: redis.Redis, db, run_id: int, alias: AddressAlias | None = None):
        self.server, self.db, self.run_id, self.alias = server, db, run_id, alias
        self.stats: Counter = Counter()
        self.messages: list[str] = []

    def _inc(self, key: str, n: int = 1) -> None:
        self.stats[key] += n

    def store_next(self, source_key: str, storing_key: str, failed_key: str) -> bool:
        """Store the next page of `source_key`; False when there is none. A page that cannot be
        stored (malformed) is set aside on `failed_key` and counted as an error; a database
        error (disk full, read-only) stops the writer with the page still in Redis."""
        raw = self.server.lmove(source_key, storing_key, "LEFT", "RIGHT")
        if raw is None:
            return False
        try:
            item = decode(raw)
            outcome = store_page(self.db, item, self.run_id, self.alias)
        except (ValueError, KeyError, TypeError, AttributeError, sqlite3.IntegrityError) as exc:
            self.server.rpush(failed_key, raw)
            self.server.lrem(storing_key, 1, raw)
            self.stats[crawl_stats.SOURCE_ERRORS] += 1
            if len(self.messages) < MAX_WRITER_MESSAGES:
                self.messages.append(f"a page could not be stored ({type(exc).__name__}: {exc}); kept in {failed_key}")
            log.error("writer: a page could not be stored: %s", exc)
            return True
        crawl_stats.count_outcome(self._inc, item["source"], outcome)
        self.server.lrem(storing_key, 1, raw)
        return True

    def recover(self, space: str) -> int:
        """Store the pages a previous, interrupted run on this database left in Redis."""
        n = 0
        for key in list(self.server.scan_iter(match=space + "*:storing")) + \
                list(self.server.scan_iter(match=space + "*:items")):
            while self.store_next(key, key, space + "failed"):
                n += 1
        return n


class DistributedRunner:
    """Runs a job on a shared Redis frontier: `workers` crawler processes here, any number
    elsewhere (`corpus crawl-worker`), this process the one writer."""

    def __init__(self, db_path: Path, run_id: int, redis_url: str, workers: int, lock: HeldLock):
        self.db_path, self.run_id, self.redis_url, self.workers, self.lock = db_path, run_id, redis_url, workers, lock
        self.children: list[subprocess.Popen] = []
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Every crawler process, here and elsewhere, is asked through Redis (and the local
        ones by SIGTERM too)."""
        self.stopping.set()
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def run(self, job: CrawlJob) -> JobOutcome:
        """Run the job to its end; the outcome's return code is non-zero when a crawler process
        failed, was killed or vanished."""
        self.lock.note(redis=redact(self.redis_url))
        db = open_db(self.db_path)
        db.execute("PRAGMA synchronous = NORMAL")
        try:
            return self._coordinate(db, job)
        finally:
            db.conn.close()

    def _coordinate(self, db, job: CrawlJob) -> JobOutcome:
        redis_url, children = self.redis_url, self.children
        server = connect(redis_url)
        space = namespace(self.db_path)
        other = server.get(JOB_KEY)
        if other and not json.loads(other).get("prefix", "").startswith(space):
            raise DistributedError(f"Redis at {redact(redis_url)} is running another corpus's crawl job "
                                   "(give each corpus its own Redis database number: redis://host:6379/N)")
        writer = Writer(server, db, self.run_id, AddressAlias.from_setting(job.settings.get(AddressAlias.SETTING)))
        recovered = writer.recover(space)
        if recovered:
            log.warning("stored %d page(s) left in Redis by an interrupted run", recovered)
        for key in server.scan_iter(match=space + "*"):
            if not key.endswith(b"failed"):  # pages set aside stay for someone to look at
                server.delete(key)
        prefix = f"{space}{self.run_id}:"
        k = keys(prefix)
        # What the store has is claimed in Redis, across processes, instead of travelling in the job.
        for i in range(0, len(job.seen), SEEN_CHUNK):
            server.sadd(k["claimed"], *job.seen[i:i + SEEN_CHUNK])
        server.set(JOB_KEY, json.dumps({"prefix": prefix, "job": replace(job, seen=[]).to_dict()}), ex=JOB_TTL)

        host = socket.gethostname()
        # The URL (and its password) goes by environment, not on the command line.
        env = {**os.environ, "CORPUS_REDIS_URL": redis_url}
        for i in range(self.workers):
            children.append(subprocess.Popen(
                [sys.executable, "-m", "corpus.cli", "crawl-worker", "--worker-id", f"{host}-{os.getpid()}-{i + 1}"],
                env=env))
        deadline = time.monotonic() + JOIN_WAIT
        refreshed = 0.0
        try:
            while True:
                if time.monotonic() - refreshed > 1:
                    server.expire(JOB_KEY, JOB_TTL)
                    refreshed = time.monotonic()
                    if self.stopping.is_set() and not server.exists(k["stop"]):
                        server.set(k["stop"], "1")
                if writer.store_next(k["items"], k["storing"], k["failed"]):
                    continue
                local_running = any(child.poll() is None for child in children)
                remote_running = next(server.scan_iter(match=k["worker"] + "*"), None) is not None
                if not local_running and not remote_running and not server.llen(k["items"]):
                    if children or server.scard(k["joined"]):
                        break
                    if time.monotonic() > deadline:
                        raise DistributedError(f"no crawler process joined within {JOIN_WAIT:g} s "
                                               f"(run `corpus crawl-worker {redact(redis_url)}`)")
                time.sleep(0.1)
        finally:
            server.delete(JOB_KEY)
            _stop_children(children)
        per_worker = {worker.decode(): json.loads(v) for worker, v in server.hgetall(k["stats"]).items()}
        stats = crawl_stats.merge(list(per_worker.values()))
        for key, n in writer.stats.items():
            stats[key] = stats.get(key, 0) + n
        stats[crawl_stats.WORKERS] = {worker: crawl_stats.pages_fetched(s) for worker, s in per_worker.items()}
        vanished = sorted(w.decode() for w in server.smembers(k["joined"]) if w.decode() not in per_worker)
        if vanished:
            writer.messages.append(f"crawler process(es) stopped without reporting: {', '.join(vanished)}")
        if writer.messages:
            stats[crawl_stats.source_key("writer", crawl_stats.ERROR_MESSAGES)] = writer.messages
        for key in server.scan_iter(match=prefix + "*"):
            server.delete(key)
        # A process that failed, was killed or vanished makes the run fail, whatever the others
        # did: the requests it had taken are lost to this run, so its validators must not be kept.
        returncode = next((child.returncode for child in children if child.returncode), 1 if vanished else 0)
        return JobOutcome(stats, returncode)


def _stop_children(children: list[subprocess.Popen]) -> None:
    """Local crawler processes still running when the coordinator gives up: SIGTERM, then SIGKILL."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        child.terminate()
    for child in running:
        try:
            child.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
