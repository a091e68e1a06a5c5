"""The crawl stage: run the registry-driven spider into corpus.db, one `crawl_runs` row a run.

The crawl runs in a child process (`python -m corpus.crawl JOBFILE`): Twisted's reactor
cannot be restarted, and a child keeps each run's Scrapy state (and memory) apart from the
caller's.

What the application hands the crawl, and takes back:

- the URLs it already has (documents and rejected pages), so they are not fetched again;
- the validators (ETag, Last-Modified) of feeds and sitemaps, for conditional requests; the
  new ones are saved only for sources that finished without errors, so a failed run never
  hides its articles behind a 304 next time;
- a job directory beside the database (`corpus.db.crawl-job/`): the crawl frontier, which
  survives SIGKILL (crawler/frontier.py). The next run with the same sources and options
  resumes it; a clean finish removes it.

A lock file beside the database (`corpus.db.crawl.lock`, an flock that the child inherits)
keeps two crawls from overlapping; it names the parent and child process ids.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import urlsplit

from crawler.sources import Source
from crawler.urls import canonicalize

from corpus.store import StoreError, now, open_db, to_json

EXIT_OK, EXIT_SOURCE_ERRORS, EXIT_CONFIG = 0, 1, 2
COUNTS = ("pages", "stored", "updated", "unchanged", "rejected", "errors", "refused", "not_modified",
          "skipped", "skipped_old")

log = logging.getLogger(__name__)


class CrawlLocked(StoreError):
    """Another crawl holds the lock on this database."""


class CrawlConfigError(Exception):
    """The crawl cannot start as configured (exit code 2)."""


@dataclass
class CrawlResult:
    run_id: int
    status: str
    exit_code: int
    fetched: int
    stored: int
    unchanged: int
    rejected: int
    errors: int
    per_source: dict[str, dict[str, int]]
    updated: int = 0
    resumed: bool = False
    error_messages: dict[str, list[str]] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds the spider ran (Scrapy's elapsed_time_seconds)
    workers: dict[str, int] = field(default_factory=dict)  # distributed: responses per crawler process


def job_dir(db_path: str | Path) -> Path:
    """Where a crawl keeps its resumable frontier: beside the database."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".crawl-job")


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".crawl.lock")


@contextmanager
def crawl_lock(db_path: Path) -> Iterator[IO[str]]:
    """An exclusive, non-blocking lock beside the database; released even on a crash."""
    path = lock_path(db_path)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise CrawlLocked(f"another crawl is running on {db_path} (lock {path}: {holder or 'no pid'})") from None
        _write_lock(handle, {"pid": os.getpid()})
        yield handle
    finally:
        handle.close()


def _write_lock(handle: IO[str], info: dict) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(info))
    handle.flush()


def _run_scrapy(settings: dict, spider_kwargs: dict, stats_path: str) -> None:
    """Child process body: one Scrapy crawl, its stats written to `stats_path` as JSON."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as crawler_settings
    from crawler.spiders.news import NewsSpider

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    # trafilatura warns about every page it finds no main text in: the pipeline reports those.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    merged = Settings()
    merged.setmodule(crawler_settings, priority="project")
    merged.update(settings, priority="cmdline")
    process = CrawlerProcess(merged)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, **spider_kwargs)
    process.start()
    Path(stats_path).write_text(json.dumps(crawler.stats.get_stats(), default=str))


def _seen(db) -> list[str]:
    """Canonical URLs the store has: documents (under any URL they were found at) and
    rejected pages."""
    rows = db.execute("SELECT canonical_url FROM documents UNION SELECT url FROM documents "
                      "UNION SELECT url FROM rejected_pages")
    return sorted({canonicalize(r[0]) for r in rows if r[0]})


def _job_config(sources: list[Source], since: str | None, refresh: bool, sample: bool) -> dict:
    return {"sources": [[s.name, s.base_url] for s in sources], "since": since, "refresh": refresh, "sample": sample}


def _prepare_job(job: Path, config: dict) -> bool:
    """Keep a job directory left by an interrupted run with the same configuration (and say
    so); clear one left by a different configuration."""
    config_file = job / "job.json"
    if job.exists():
        try:
            if json.loads(config_file.read_text("utf-8")) == config:
                return True
        except (OSError, ValueError):
            pass
        log.warning("discarding %s: left by a crawl with other sources or options", job)
        shutil.rmtree(job)
    job.mkdir(parents=True)
    config_file.write_text(json.dumps(config), "utf-8")
    return False


@contextmanager
def _forwarding_signals(children: list[subprocess.Popen], stop: threading.Event | None = None) -> Iterator[None]:
    """While the crawl's child processes run, record how they end whatever signal this process gets.

    A SIGTERM here is passed on to the children (Scrapy then stops gracefully and keeps its
    frontier), so `systemctl stop` is an orderly interruption. A SIGINT is not: Ctrl-C in a
    terminal reaches the children directly, and a second one would force Scrapy to stop uncleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum, frame):
        if stop is not None:
            stop.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, forward), signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def run_crawl(
    db_path: str | Path,
    sources: list[Source],
    *,
    sample: bool = False,
    since: str | None = None,
    refresh: bool = False,
    log_level: str = "WARNING",
    extra_settings: dict | None = None,
    distributed: str | None = None,
    workers: int = 2,
) -> CrawlResult:
    """Crawl `sources` into the database and record the run; returns its counts and exit code.

    `sample` is for local sites (the bundled sample site, the test sites): no delays, and
    the sources' own `host:port` may be fetched although it is a loopback address.
    `distributed` is a Redis URL: the crawl runs on a shared scrapy-redis frontier with
    `workers` crawler processes here (and any `corpus crawl-worker` elsewhere), and this
    process stores what they find (corpus/distributed.py).
    """
    from crawler import settings as crawler_settings

    extra_settings = dict(extra_settings or {})
    contact = extra_settings.get("CORPUS_CONTACT") or os.environ.get("CORPUS_CONTACT")
    if sample and not contact:
        contact = "local test crawl"
    if not contact:
        raise CrawlConfigError(
            "set CORPUS_CONTACT (an e-mail address or URL where site owners can reach you) before crawling "
            "real outlets: it goes into the User-Agent")
    db_path = Path(db_path)
    db = open_db(db_path)
    with crawl_lock(db_path) as lock:
        with db.conn:
            # We hold the lock, so a run still marked running died without recording its end.
            db.execute("UPDATE crawl_runs SET status = 'interrupted', exit_code = ? WHERE status = 'running'",
                       [EXIT_SOURCE_ERRORS])
            for src in sources:
                db["sources"].upsert(
                    {"name": src.name, "title": src.title, "base_url": src.base_url,
                     "languages": ",".join(src.languages), "country": src.country}, pk="name")
            job = job_dir(db_path)
            # A distributed crawl's frontier is in Redis, not in a job directory.
            resumed = False if distributed else _prepare_job(job, _job_config(sources, since, refresh, sample))
            run_id = db["crawl_runs"].insert(
                {"started": now(), "status": "running", "sources": ",".join(s.name for s in sources),
                 "resumed": int(resumed)}).last_pk
        seen = _seen(db)
        names = [s.name for s in sources]
        validators = {r["url"]: {"etag": r["etag"], "last_modified": r["last_modified"]} for r in db.query(
            f"SELECT url, etag, last_modified FROM http_validators WHERE source IN ({', '.join('?' * len(names))})",
            names)}
        db.conn.close()

        with tempfile.TemporaryDirectory(prefix="corpus-crawl-") as tmp:
            seen_file = Path(tmp, "seen.txt")
            seen_file.write_text("\n".join(seen), "utf-8")
            validators_file = Path(tmp, "validators.json")
            validators_file.write_text(json.dumps(validators), "utf-8")
            validators_out = Path(tmp, "validators-out.json")
            stats_path = Path(tmp, "stats.json")
            private = sorted({f"{urlsplit(s.base_url).hostname}:{urlsplit(s.base_url).port or 80}"
                              for s in sources}) if sample else []
            settings = {
                "LOG_LEVEL": log_level,
                "CORPUS_DB": str(db_path),
                "CORPUS_RUN_ID": run_id,
                "ITEM_PIPELINES": {**crawler_settings.ITEM_PIPELINES, "corpus.storage.StorePipeline": 900},
                "JOBDIR": str(job),
                "CORPUS_ALLOWED_PRIVATE": private,
                **({"CORPUS_CONTACT": contact} if contact else {}),
                **(crawler_settings.SAMPLE_OVERRIDES if sample else {}),
                **extra_settings,
            }
            spider_kwargs = {"sources": sources, "seen_file": str(seen_file), "since": since, "refresh": refresh,
                             "validators_file": str(validators_file), "validators_out": str(validators_out)}
            children: list[subprocess.Popen] = []
            if distributed:
                from crawler.distributed import redact

                from corpus.distributed import DistributedError, coordinate

                shared = {k: v for k, v in settings.items()
                          if k not in ("CORPUS_DB", "CORPUS_RUN_ID", "ITEM_PIPELINES", "JOBDIR")}
                _write_lock(lock, {"pid": os.getpid(), "run_id": run_id, "db": str(db_path),
                                   "redis": redact(distributed)})
                writer_db = open_db(db_path)
                writer_db.execute("PRAGMA synchronous = NORMAL")
                stop = threading.Event()
                try:
                    with _forwarding_signals(children, stop):
                        stats, new_validators, returncode = coordinate(
                            writer_db, db_path, run_id, distributed, workers, shared, sources, since, refresh,
                            seen, validators, children, stop)
                except DistributedError as exc:
                    with writer_db.conn:
                        writer_db["crawl_runs"].update(run_id, {"finished": now(), "status": "failed",
                                                                "exit_code": EXIT_CONFIG,
                                                                "error_log": to_json({"messages": {"": [str(exc)]}})})
                    raise CrawlConfigError(str(exc)) from None
                finally:
                    writer_db.conn.close()
            else:
                job_file = Path(tmp, "job.pickle")
                job_file.write_bytes(pickle.dumps((settings, spider_kwargs, str(stats_path))))
                children.append(subprocess.Popen([sys.executable, "-m", "corpus.crawl", str(job_file)],
                                                 pass_fds=[lock.fileno()]))
                _write_lock(lock, {"pid": os.getpid(), "child": children[0].pid, "run_id": run_id,
                                   "db": str(db_path)})
                with _forwarding_signals(children):
                    returncode = children[0].wait()
                stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
                new_validators = json.loads(validators_out.read_text()) if validators_out.exists() else {}

        result = _result(run_id, sources, stats, returncode, resumed)
        if result.status in ("ok", "finished with errors"):
            shutil.rmtree(job, ignore_errors=True)
        db = open_db(db_path)
        with db.conn:
            clean = {name for name, c in result.per_source.items() if not c["errors"]}
            if result.status in ("ok", "finished with errors"):
                for url, v in new_validators.items():
                    if v.get("source") in clean:
                        db["http_validators"].upsert({"url": url, **v, "updated_at": now()}, pk="url")
            db["crawl_runs"].update(run_id, {
                "finished": now(), "status": result.status, "exit_code": result.exit_code,
                "pages_fetched": result.fetched, "documents_stored": result.stored,
                "pages_rejected": result.rejected, "errors": result.errors,
                "source_counts": to_json(result.per_source),
                "workers": to_json(result.workers) if result.workers else None,
                "error_log": to_json({"messages": result.error_messages,
                                      **{k: v for k, v in stats.items()
                                         if ("error" in k.lower() or "exception" in k) and "/error_messages" not in k
                                         and not k.startswith("source/")}}),
            })
        db.conn.close()
    return result


def _result(run_id: int, sources: list[Source], stats: dict, returncode: int, resumed: bool) -> CrawlResult:
    per_source = {src.name: {key: int(stats.get(f"source/{src.name}/{key}", 0)) for key in COUNTS}
                  for src in sources}
    # Per source, and the writer's of a distributed crawl.
    messages = {key.split("/")[1]: value for key, value in stats.items()
                if key.startswith("source/") and key.endswith("/error_messages") and value}
    errors = int(stats.get("source_errors", 0)) + int(stats.get("log_count/ERROR", 0))
    reason = stats.get("finish_reason")
    if returncode != 0 or not stats:
        how = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        status, code = f"failed ({how})", EXIT_SOURCE_ERRORS
        errors += 1
    elif reason != "finished":
        status, code = f"interrupted ({reason})", EXIT_SOURCE_ERRORS
    elif errors:
        status, code = "finished with errors", EXIT_SOURCE_ERRORS
    else:
        status, code = "ok", EXIT_OK
    return CrawlResult(
        run_id=run_id, status=status, exit_code=code,
        fetched=int(stats.get("response_received_count", 0)),
        stored=int(stats.get("pages_stored", 0)), unchanged=int(stats.get("pages_unchanged", 0)),
        rejected=int(stats.get("pages_rejected", 0)), errors=errors, per_source=per_source,
        updated=int(stats.get("pages_updated", 0)), resumed=resumed, error_messages=messages,
        elapsed=float(stats.get("elapsed_time_seconds", 0.0)), workers=stats.get("workers") or {},
    )


if __name__ == "__main__":
    _run_scrapy(*pickle.loads(Path(sys.argv[1]).read_bytes()))
