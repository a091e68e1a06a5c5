"""Distributed crawling on scrapy-redis: crawler processes on one machine or many share one
frontier, and a single writer stores what they find.

    corpus crawl --distributed redis://10.0.0.5:6379/0 --workers 2   # the machine with corpus.db
    corpus crawl-worker redis://10.0.0.5:6379/0                      # any other machine, any number

The same `NewsSpider` runs in every crawler process with scrapy-redis's scheduler: requests
go to one shared Redis priority queue (popped atomically, so no two processes take the same
request) and through one shared Redis dupefilter. Article links are claimed in a shared Redis
set of canonical URLs (`claim`), pre-filled with the URLs the store already has, so a page
reached from two listings, or from two processes, is fetched once. Each process runs the
crawler's item pipelines itself (extraction, language, relevance, hashing: the CPU work) and
pushes the finished item onto a Redis list; the coordinator (`corpus crawl --distributed`,
in corpus/distributed.py) is the one writer that drains that list into corpus.db, in one
transaction per page. SQLite therefore only ever has one writer, on one machine.

Everything a job shares lives under one key prefix, `corpus:<db>:<run>:`:

    job (at `corpus:job`)  the job's prefix and its `CrawlJob` (crawler/job.py), as JSON
    requests, dupefilter   scrapy-redis's queue and fingerprints
    claimed                canonical URLs stored or queued
    items, storing         pages waiting for the writer / being written
    worker:<id>            a process's heartbeat ("busy" or "idle"), expiring after HEARTBEAT_TTL
    joined, stats          worker ids that took part; their Scrapy stats (JSON) when they finish,
                           the new ETag/Last-Modified of feeds and sitemaps among them

Requests and items travel as JSON, never pickle: a source or discovery method in a request's
meta goes by name, bytes as base64. Redis still has to be trusted (a private address and a
password: anyone who can write to it can steer the crawl).

A process stops when the shared queue is empty and every live process has been idle for two
checks in a row; a process that dies stops sending heartbeats and is not waited for. The
requests it had taken are lost to this run (scrapy-redis pops without acknowledgement): their
pages are not in the store, so the next run finds them again.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
import dataclasses
import json
import logging
import os
import re
import socket
import time
import uuid
import warnings
from typing import Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler import settings as crawler_settings
from crawler.job import CrawlJob, run_job
from crawler.sources import Discovery, Source
from crawler.spiders.news import NewsSpider
from crawler.stats import FINISH_REASON, PAGES_QUEUED

JOB_KEY = "corpus:job"
JOB_TTL = 60        # the coordinator refreshes the job key; a dead coordinator's job expires
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TTL = 30  # default seconds without a heartbeat before a process counts as gone
IDLE_CHECKS = 2     # consecutive all-idle checks before a process stops
MAX_QUEUED_ITEMS = 500  # pages waiting for the writer before a crawler process pauses
# The settings a job may carry to its crawler processes (anything else is ignored: settings
# from Redis must not load classes or write files on a crawler machine).
JOB_SETTINGS = frozenset({
    "LOG_LEVEL", "CORPUS_CONTACT", "CORPUS_ALLOWED_PRIVATE", "CORPUS_HEARTBEAT_TTL", "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "DOWNLOAD_TIMEOUT",
    "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX", "ROBOTSTXT_OBEY",
    "RELEVANCE_TERMS",
})
# Request classes a queued request may name (Request.to_dict writes "_class" for subclasses).
REQUEST_CLASSES = frozenset({"scrapy.http.request.form.FormRequest", "scrapy.http.request.json_request.JsonRequest"})

log = logging.getLogger(__name__)
# scrapy-redis 0.9.1 still passes `spider=` to the stats collector and calls Spider.log().
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")


class WorkerError(Exception):
    """Redis cannot be reached, or no job was published there within the wait."""


# --- the wire format -----------------------------------------------------------------------

def encode(obj: Any) -> bytes:
    """JSON for requests and items: bytes as {"$b": base64}, sources and discovery methods by
    name (the receiving spider has the same sources)."""

    def convert(value):
        if isinstance(value, bytes):
            return {"$b": base64.b64encode(value).decode("ascii")}
        if isinstance(value, Source):
            return {"$source": value.name}
        if isinstance(value, Discovery):
            return {"$method": dataclasses.asdict(value)}
        if isinstance(value, dict):
            # Scrapy's headers are keyed by bytes; HTTP header names are ASCII.
            return {(k.decode("latin-1") if isinstance(k, bytes) else str(k)): convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return json.dumps(convert(obj), ensure_ascii=False).encode("utf-8")


def decode(data: bytes, sources: dict[str, Source] | None = None) -> Any:
    def hook(obj: dict):
        if "$b" in obj and len(obj) == 1:
            return base64.b64decode(obj["$b"])
        if "$source" in obj and len(obj) == 1:
            return (sources or {})[obj["$source"]]
        if "$method" in obj and len(obj) == 1:
            return Discovery(**obj["$method"])
        return obj

    return json.loads(data, object_hook=hook)


def redact(url: str) -> str:
    """A Redis URL without its password, for messages and logs."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def keys(prefix: str) -> dict[str, str]:
    """The Redis keys of the job with this prefix."""
    names = ("requests", "dupefilter", "claimed", "items", "storing", "failed", "joined", "stats", "stop")
    return {name: f"{prefix}{name}" for name in names} | {"worker": f"{prefix}worker:"}


def distributed_settings(prefix: str, redis_url: str) -> dict:
    """The Scrapy settings that put a crawl on the shared Redis frontier."""
    k = keys(prefix)
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.JsonPriorityQueue",
        "SCHEDULER_QUEUE_KEY": k["requests"],
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        # Never flush on close: the queue and fingerprints belong to the job, not to one
        # process; the coordinator deletes them when the job is over.
        "SCHEDULER_PERSIST": True,
        "CORPUS_JOB_PREFIX": prefix,
    }


# --- Scrapy components ---------------------------------------------------------------------

class JsonPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue with requests as JSON (`encode`) instead of pickle."""

    def _encode_request(self, request):
        return encode(request.to_dict(spider=self.spider))

    def _decode_request(self, encoded_request):
        data = decode(encoded_request, self.spider.sources_by_name)
        if data.get("_class") not in REQUEST_CLASSES:
            data.pop("_class", None)  # never import a class named by whoever wrote to Redis
        return request_from_dict(data, spider=self.spider)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler that marks this process busy when it takes a request, and
    keeps requests the spider took from the shared queue (`TAKEN` in meta) for this process."""

    TAKEN = "corpus_taken"

    def open(self, spider):
        super().open(spider)
        self.taken: deque = deque()
        spider.shared_queue = self.queue

    def enqueue_request(self, request):
        if request.meta.pop(self.TAKEN, False):
            self.taken.append(request)
            return True
        return super().enqueue_request(request)

    def next_request(self):
        request = self.taken.popleft() if self.taken else super().next_request()
        if request is not None:
            self.spider.set_state("busy")
        return request

    def has_pending_requests(self):
        return bool(self.taken) or super().has_pending_requests()


class RedisItemPipeline:
    """The last pipeline of a crawler process: hands each finished item to the writer."""

    def __init__(self, server: redis.Redis, key: str, stats):
        self.server, self.key, self.stats = server, key, stats

    @classmethod
    def from_crawler(cls, crawler):
        prefix = crawler.settings.get("CORPUS_JOB_PREFIX")
        server = redis.Redis.from_url(crawler.settings.get("REDIS_URL"))
        return cls(server, keys(prefix)["items"], crawler.stats)

    async def process_item(self, item, spider=None):
        # Back-pressure: while the writer is behind, this process waits instead of filling
        # Redis's memory with pages (the reactor keeps running, heartbeats included).
        while self.server.llen(self.key) >= MAX_QUEUED_ITEMS:
            await asyncio.sleep(0.5)
        self.server.rpush(self.key, encode(dict(item)))
        self.stats.inc_value(PAGES_QUEUED)
        return item


class DistributedNewsSpider(NewsSpider):
    """The news spider on a shared frontier: article URLs are claimed in Redis, discovery
    pages go through the shared dupefilter (fetched once per job, by whichever process gets
    there first), and the process stays up while any other still has work that may feed it."""

    def __init__(self, *args, redis_url: str, prefix: str, worker_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources_by_name = {s.name: s for s in self.sources}
        self.server = redis.Redis.from_url(redis_url)
        self.prefix = prefix
        self.keys = keys(prefix)
        self.worker_id = worker_id
        self.state = "busy"
        self.idle_checks = 0
        self.heartbeat = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def opened(self, spider=None):
        from twisted.internet import task

        self.ttl = self.crawler.settings.getint("CORPUS_HEARTBEAT_TTL", HEARTBEAT_TTL)
        self.server.sadd(self.keys["joined"], self.worker_id)
        self.set_state("busy")
        self.heartbeat = task.LoopingCall(self.beat)
        self.heartbeat.start(HEARTBEAT_SECONDS, now=False)

    def set_state(self, state: str) -> None:
        self.state = state
        self.server.set(self.keys["worker"] + self.worker_id, state, ex=self.ttl)

    def job_over(self) -> bool:
        """The coordinator asked to stop (SIGTERM), or the job is gone (its coordinator died)."""
        job = self.server.get(JOB_KEY)
        return bool(self.server.exists(self.keys["stop"])) or not job or json.loads(job).get("prefix") != self.prefix

    def beat(self) -> None:
        # An exception would end the LoopingCall for good, and the process would look dead.
        try:
            self.set_state(self.state)
            if self.state == "idle":
                self.take(self.crawler.settings.getint("CONCURRENT_REQUESTS"))
            if self.job_over() and not self.stopping:
                self.stopping = True
                self.logger.warning("the coordinator stopped the job: stopping")
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="shutdown"))
        except redis.RedisError as exc:
            self.logger.warning("heartbeat failed: %s", exc)

    def take(self, n: int) -> None:
        """Scrapy looks at an idle spider's scheduler every 5 s: hand the engine up to `n`
        requests another process has just queued, now (engine.crawl wakes it)."""
        for _ in range(n):
            request = self.shared_queue.pop()
            if request is None:
                return
            request.meta[SharedScheduler.TAKEN] = True
            self.crawler.engine.crawl(request)

    def others_busy(self) -> bool:
        if self.server.zcard(self.keys["requests"]):
            return True
        pattern = self.keys["worker"] + "*"
        states = [self.server.get(key) for key in self.server.scan_iter(match=pattern, count=100)]
        return any(state == b"busy" for state in states)

    def idle(self, spider=None):
        try:
            self.set_state("idle")
            if self.job_over():
                return
            busy = self.others_busy()
        except redis.RedisError as exc:
            raise DontCloseSpider(f"Redis unreachable ({exc}): not stopping on a guess") from None
        if busy:
            self.idle_checks = 0
            raise DontCloseSpider("other crawler processes still have work")
        self.idle_checks += 1
        if self.idle_checks < IDLE_CHECKS:
            raise DontCloseSpider("checking once more before stopping")

    def _discovery(self, url, src, method, page=1):
        # Registry URLs are fetched on every run, but once per job across all processes.
        return super()._discovery(url, src, method, page).replace(dont_filter=False)

    def claim(self, canonical: str) -> bool:
        return bool(self.server.sadd(self.keys["claimed"], canonical))

    def closed(self, reason: str) -> None:
        super().closed(reason)
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        # The heartbeat key stays until run_worker has written the final stats: the coordinator
        # waits for it.


# --- a crawler process ---------------------------------------------------------------------

def wait_for_job(server: redis.Redis, wait: float) -> dict:
    deadline = time.monotonic() + wait
    while True:
        data = server.get(JOB_KEY)
        if data:
            return json.loads(data)
        if time.monotonic() >= deadline:
            raise WorkerError(f"no crawl job published in Redis within {wait:g} s (start `corpus crawl --distributed`)")
        time.sleep(0.5)


def run_worker(redis_url: str, worker_id: str | None = None, wait: float = 60.0) -> int:
    """Run one crawler process on the job published in Redis (`corpus crawl-worker`); returns
    its exit status. Its Scrapy stats go to the job's `stats` hash for the coordinator to add up.
    Raises WorkerError when Redis cannot be reached or no job comes within `wait` seconds."""
    worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    try:
        server = redis.Redis.from_url(redis_url)
    except ValueError as exc:
        raise WorkerError(f"not a Redis URL: {redact(redis_url)} ({exc})") from None
    try:
        return _work(server, redis_url, worker_id, wait)
    except redis.RedisError as exc:
        raise WorkerError(redact(str(exc))) from None


def _work(server: redis.Redis, redis_url: str, worker_id: str, wait: float) -> int:
    published = wait_for_job(server, wait)
    prefix = published["prefix"]
    job = CrawlJob.from_dict(published["job"])
    ignored = sorted(set(job.settings) - JOB_SETTINGS)
    if ignored:
        log.warning("ignoring settings the job may not set: %s", ", ".join(ignored))
    job.settings = {k: v for k, v in job.settings.items() if k in JOB_SETTINGS}
    extra = {**distributed_settings(prefix, redis_url),
             "ITEM_PIPELINES": {**crawler_settings.ITEM_PIPELINES, "crawler.distributed.RedisItemPipeline": 900}}
    stats = run_job(job, DistributedNewsSpider, extra, redis_url=redis_url, prefix=prefix, worker_id=worker_id)
    # Stats first, then the heartbeat goes: the coordinator reads stats once no heartbeat is left.
    server.hset(keys(prefix)["stats"], worker_id, json.dumps(stats, default=str))
    server.delete(keys(prefix)["worker"] + worker_id)
    # Stopped on request ("shutdown") is a clean end too; the run's status says which it was.
    return 0 if stats.get(FINISH_REASON) in ("finished", "shutdown") else 1
