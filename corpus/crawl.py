"""The crawl stage: run the registry-driven spider into corpus.db, one `crawl_runs` row a run.

`run_crawl` builds one `CrawlJob` (crawler/job.py) and hands it to a runner, which returns
the crawl's stats:

- `LocalRunner`: one child process (`python -m crawler.job JOBFILE`) whose item pipelines
  store the pages (corpus/page_store.py). Twisted's reactor cannot be restarted, and a child
  keeps each run's Scrapy state (and memory) apart from the caller's.
- `DistributedRunner` (corpus/distributed.py): crawler processes on a shared Redis frontier,
  this process the one writer.

What the application hands the crawl, and takes back:

- the URLs it already has (documents and rejected pages), so they are not fetched again (a
  rejected HTML page keeps its raw response: `corpus reextract` judges it again offline);
- the validators (ETag, Last-Modified) of feeds and sitemaps, for conditional requests; the
  new ones are saved only for sources that finished without errors, so a failed run never
  hides its articles behind a 304 next time;
- a job directory beside the database (`corpus.db.crawl-job/`): the crawl frontier of a local
  run, which survives SIGKILL (crawler/frontier.py). The next run with the same sources and
  options resumes it; a clean finish removes it.

A lock file beside the database (`corpus.db.crawl.lock`, an flock that the child inherits)
keeps two crawls from overlapping; it names the parent and child process ids.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ContextManager, Iterator, Protocol

from crawler import settings as crawler_settings, stats as crawl_stats
from crawler.job import CrawlJob
from crawler.sources import Source
from crawler.urls import canonicalize

from corpus.database import now, open_db, to_json
from corpus.locks import HeldLock, Locked, exclusive
from corpus.page_store import AddressAlias
from corpus.transaction import transaction

EXIT_OK, EXIT_SOURCE_ERRORS, EXIT_CONFIG = 0, 1, 2

log = logging.getLogger(__name__)


class CrawlLocked(Locked):
    """Another crawl holds the lock on this database."""


class CrawlConfigError(Exception):
    """The crawl cannot start as configured (exit code 2)."""


@dataclass
class CrawlResult:
    run_id: int
    status: str
    exit_code: int
    pages_fetched: int
    stored: int
    unchanged: int
    rejected: int
    errors: int
    per_source: dict[str, dict[str, int]]
    updated: int = 0
    resumed: bool = False
    error_messages: dict[str, list[str]] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds the spider ran (Scrapy's elapsed_time_seconds)
    workers: dict[str, int] = field(default_factory=dict)  # distributed: pages fetched per crawler process


@dataclass
class JobOutcome:
    stats: dict       # the crawl's Scrapy stats (crawler/stats.py), added up over its processes
    returncode: int   # non-zero when a crawler process failed, was killed or vanished


class Runner(Protocol):
    def run(self, job: CrawlJob) -> JobOutcome:
        """Run the job to its end (or until stopped)."""

    def stop(self) -> None:
        """Ask every crawler process to stop gracefully (on SIGTERM); `run` then returns."""


def job_dir(db_path: str | Path) -> Path:
    """Where a crawl keeps its resumable frontier: beside the database."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".crawl-job")


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".crawl.lock")


def crawl_lock(db_path: Path) -> ContextManager[HeldLock]:
    """An exclusive, non-blocking lock beside the database; released even on a crash."""
    return exclusive(lock_path(db_path), f"another crawl is running on {db_path}", CrawlLocked)


class LocalRunner:
    """Runs a job in one child process (`python -m crawler.job`) that stores what it finds."""

    def __init__(self, db_path: Path, run_id: int, lock: HeldLock):
        self.db_path, self.run_id, self.lock = db_path, run_id, lock
        self.child: subprocess.Popen | None = None

    def run(self, job: CrawlJob) -> JobOutcome:
        with tempfile.TemporaryDirectory(prefix="corpus-crawl-") as tmp:
            stats_path = Path(tmp, "stats.json")
            job = replace(job, stats_path=str(stats_path), settings={
                **job.settings,
                "CORPUS_DB": str(self.db_path),
                "CORPUS_RUN_ID": self.run_id,
                "ITEM_PIPELINES": {**crawler_settings.ITEM_PIPELINES, "corpus.page_store.StorePipeline": 900},
                # A progress line on a terminal, a log line every 30 s elsewhere (corpus.progress).
                "EXTENSIONS": {"corpus.crawl_progress.CrawlProgress": 500},
                "JOBDIR": str(job_dir(self.db_path)),
            })
            job_file = Path(tmp, "job.json")
            job_file.write_text(job.to_json(), "utf-8")
            self.child = subprocess.Popen([sys.executable, "-m", "crawler.job", str(job_file)],
                                          pass_fds=[self.lock.fileno()])
            self.lock.note(child=self.child.pid)
            returncode = self.child.wait()
            stats = json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {}
        return JobOutcome(stats, returncode)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)


@contextmanager
def _forwarding_signals(runner: Runner) -> Iterator[None]:
    """While the crawl runs, record how it ends whatever signal this process gets.

    A SIGTERM here stops the runner's crawler processes gracefully (Scrapy keeps its
    frontier), so `systemctl stop` is an orderly interruption. A SIGINT is ignored: Ctrl-C in
    a terminal reaches the children directly, and a second one would force Scrapy to stop uncleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = (signal.signal(signal.SIGTERM, lambda signum, frame: runner.stop()),
                signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def _seen(db) -> list[str]:
    """Canonical URLs the store has: documents (under any URL they were found at) and
    rejected pages."""
    rows = db.execute("SELECT canonical_url FROM documents UNION SELECT url FROM documents "
                      "UNION SELECT url FROM rejected_pages")
    return sorted({canonicalize(r[0]) for r in rows if r[0]})


def _validators(db, sources: list[Source]) -> dict[str, dict]:
    names = [s.name for s in sources]
    return {r["url"]: {"etag": r["etag"], "last_modified": r["last_modified"]} for r in db.query(
        f"SELECT url, etag, last_modified FROM http_validators WHERE source IN ({', '.join('?' * len(names))})",
        names)}


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


def _contact(extra_settings: dict, sample: bool) -> str:
    contact = extra_settings.get("CORPUS_CONTACT") or os.environ.get("CORPUS_CONTACT")
    if sample and not contact:
        contact = "local test crawl"
    if not contact:
        raise CrawlConfigError(
            "set CORPUS_CONTACT (an e-mail address or URL where site owners can reach you) before crawling "
            "real outlets: it goes into the User-Agent")
    return contact


def check_sources(sources: list[Source], *, sample: bool = False, log_level: str = "ERROR",
                  extra_settings: dict | None = None) -> list:
    """Fetch each discovery URL of `sources` once and say what a crawl would find there
    (crawler/health.py); needs no database and takes no lock. Runs Scrapy in this process."""
    from crawler.health import CHECKS, MethodCheck, SourceCheckSpider
    from crawler.job import run_job

    extra_settings = dict(extra_settings or {})
    job = CrawlJob(sources, sample=sample, settings={
        "LOG_LEVEL": log_level, "CORPUS_CONTACT": _contact(extra_settings, sample), **extra_settings})
    stats = run_job(job, spider_cls=SourceCheckSpider)
    return [MethodCheck(**c) for c in stats.get(CHECKS, [])]


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
    lock: HeldLock | None = None,
    alias: AddressAlias | None = None,
) -> CrawlResult:
    """Crawl `sources` into the database and record the run; returns its counts and exit code.

    `sample` is for local sites (the bundled sample site, the test sites): no delays, and
    the sources' own `host:port` may be fetched although it is a loopback address.
    `distributed` is a Redis URL: the crawl runs on a shared scrapy-redis frontier with
    `workers` crawler processes here (and any `corpus crawl-worker` elsewhere), and this
    process stores what they find (corpus/distributed.py). `lock` is the crawl lock when the
    caller holds it already (`corpus update`); otherwise the crawl takes it. `alias` stores the
    pages of a site served at another address under its own (`sample_alias`).
    """
    extra_settings = dict(extra_settings or {})
    if alias:
        extra_settings[AddressAlias.SETTING] = alias.setting()
    job = CrawlJob(sources, since=since, refresh=refresh, sample=sample, settings={
        "LOG_LEVEL": log_level, "CORPUS_CONTACT": _contact(extra_settings, sample), **extra_settings})
    db_path = Path(db_path)
    open_db(db_path).conn.close()  # a bad database file is reported before the lock is taken
    with nullcontext(lock) if lock else crawl_lock(db_path) as lock:
        run_id, resumed = _start(db_path, job, resumable=not distributed)
        lock.note(run_id=run_id, db=str(db_path))

        runner: Runner
        if distributed:
            from corpus.distributed import DistributedRunner

            runner = DistributedRunner(db_path, run_id, distributed, workers, lock)
        else:
            runner = LocalRunner(db_path, run_id, lock)
        try:
            with _forwarding_signals(runner):
                outcome = runner.run(job)
        except CrawlConfigError as exc:
            _record_failure(db_path, run_id, str(exc))
            raise
        result = _result(run_id, sources, outcome, resumed)
        _record(db_path, result, outcome.stats, alias)
    return result


def sample_alias(served_base: str) -> AddressAlias | None:
    """The bundled sample site served on another port than its own (8765, where its pages say
    they live): its pages are stored under its own address, so a sample crawl's documents do not
    depend on the port."""
    from crawler.sample_site.server import SAMPLE_PORT

    own = f"http://127.0.0.1:{SAMPLE_PORT}"
    served = served_base.rstrip("/")
    return None if served == own else AddressAlias(served=served, stored=own)


def _start(db_path: Path, job: CrawlJob, resumable: bool) -> tuple[int, bool]:
    """Record the run's start (and the end of any run that died without recording it); fill
    the job with what the store has. Returns the run id and whether a frontier is resumed."""
    db = open_db(db_path)
    with transaction(db):
        # We hold the lock, so a run still marked running died without recording its end.
        db.execute("UPDATE crawl_runs SET status = 'interrupted', exit_code = ? WHERE status = 'running'",
                   [EXIT_SOURCE_ERRORS])
        alias = AddressAlias.from_setting(job.settings.get(AddressAlias.SETTING))
        for src in job.sources:
            db["sources"].upsert(
                {"name": src.name, "title": src.title, "base_url": alias.to_stored(src.base_url) if alias else src.base_url,
                 "languages": ",".join(src.languages), "country": src.country}, pk="name")
        # A distributed crawl's frontier is in Redis, not in a job directory.
        resumed = _prepare_job(job_dir(db_path), job.identity()) if resumable else False
        run_id = db["crawl_runs"].insert(
            {"started": now(), "status": "running", "sources": ",".join(s.name for s in job.sources),
             "resumed": int(resumed)}).last_pk
    if not job.refresh:
        job.seen, job.validators = _seen(db), _validators(db, job.sources)
        if alias:  # what the store has, at the address this crawl fetches it from
            job.seen = [alias.to_served(u) for u in job.seen]
            job.validators = {alias.to_served(u): v for u, v in job.validators.items()}
    db.conn.close()
    return run_id, resumed


def _record_failure(db_path: Path, run_id: int, message: str) -> None:
    db = open_db(db_path)
    with transaction(db):
        db["crawl_runs"].update(run_id, {"finished": now(), "status": "failed", "exit_code": EXIT_CONFIG,
                                         "error_log": to_json({"messages": {"": [message]}})})
    db.conn.close()


def _record(db_path: Path, result: CrawlResult, stats: dict, alias: AddressAlias | None = None) -> None:
    """The run's end: its counts, the new validators of the sources that had no errors, and
    (after a finished run) no frontier left to resume."""
    finished = result.status in ("ok", "finished with errors")
    if finished:
        shutil.rmtree(job_dir(db_path), ignore_errors=True)
    db = open_db(db_path)
    with transaction(db):
        if finished:
            clean = {name for name, c in result.per_source.items() if not c["errors"]}
            for url, v in (stats.get(crawl_stats.NEW_VALIDATORS) or {}).items():
                if v.get("source") in clean:
                    url = alias.to_stored(url) if alias else url
                    db["http_validators"].upsert({"url": url, **v, "updated_at": now()}, pk="url")
        db["crawl_runs"].update(result.run_id, {
            "finished": now(), "status": result.status, "exit_code": result.exit_code,
            "pages_fetched": result.pages_fetched, "documents_stored": result.stored,
            "pages_rejected": result.rejected, "errors": result.errors,
            "source_counts": to_json(result.per_source),
            "workers": to_json(result.workers) if result.workers else None,
            "error_log": to_json({"messages": result.error_messages, **crawl_stats.error_details(stats)}),
        })
    db.conn.close()


def _result(run_id: int, sources: list[Source], outcome: JobOutcome, resumed: bool) -> CrawlResult:
    stats, returncode = outcome.stats, outcome.returncode
    errors = crawl_stats.error_count(stats)
    reason = stats.get(crawl_stats.FINISH_REASON)
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
        run_id=run_id, status=status, exit_code=code, pages_fetched=crawl_stats.pages_fetched(stats),
        stored=crawl_stats.outcome_total(stats, "stored"), unchanged=crawl_stats.outcome_total(stats, "unchanged"),
        rejected=crawl_stats.outcome_total(stats, "rejected"), updated=crawl_stats.outcome_total(stats, "updated"),
        errors=errors, per_source=crawl_stats.per_source(stats, [s.name for s in sources]), resumed=resumed,
        error_messages=crawl_stats.error_messages(stats),
        elapsed=float(stats.get(crawl_stats.ELAPSED, 0.0)), workers=stats.get(crawl_stats.WORKERS) or {},
    )
