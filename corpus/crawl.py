"""The crawl stage: run the registry-driven spider into corpus.db, one `crawl_runs` row a run.

The crawl runs in a child process (`python -m corpus.crawl JOBFILE`): Twisted's reactor
cannot be restarted, and a child keeps each run's Scrapy state (and memory) apart from the
caller's.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from crawler.sources import Source

from corpus.store import StoreError, now, open_db, to_json

EXIT_OK, EXIT_SOURCE_ERRORS, EXIT_CONFIG = 0, 1, 2


class CrawlLocked(StoreError):
    """Another crawl holds the lock on this database."""


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


@contextmanager
def crawl_lock(db_path: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock beside the database; released even on a crash."""
    lock_path = db_path.with_name(db_path.name + ".crawl.lock")
    handle = open(lock_path, "w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlLocked(f"another crawl is running on {db_path} (lock {lock_path})") from None
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def _run_scrapy(settings: dict, spider_kwargs: dict, stats_path: str) -> None:
    """Child process body: one Scrapy crawl, its stats written to `stats_path` as JSON."""
    import logging

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as crawler_settings
    from crawler.spiders.news import NewsSpider

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    merged = Settings()
    merged.setmodule(crawler_settings, priority="project")
    merged.update(settings, priority="cmdline")
    process = CrawlerProcess(merged, install_root_handler=True)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, **spider_kwargs)
    process.start()
    Path(stats_path).write_text(json.dumps(crawler.stats.get_stats(), default=str))


def run_crawl(
    db_path: str | Path,
    sources: list[Source],
    *,
    sample: bool = False,
    since: str | None = None,
    refresh: bool = False,
    log_level: str = "WARNING",
    extra_settings: dict | None = None,
) -> CrawlResult:
    """Crawl `sources` into the database and record the run; returns its counts and exit code."""
    from crawler import settings as crawler_settings

    db_path = Path(db_path)
    db = open_db(db_path)
    with crawl_lock(db_path):
        with db.conn:
            for src in sources:
                db["sources"].upsert(
                    {"name": src.name, "title": src.title, "base_url": src.base_url,
                     "languages": ",".join(src.languages), "country": src.country}, pk="name")
            run_id = db["crawl_runs"].insert(
                {"started": now(), "status": "running", "sources": ",".join(s.name for s in sources)}
            ).last_pk
        seen = [r[0] for r in db.execute("SELECT canonical_url FROM documents UNION SELECT url FROM rejected_pages")]
        db.conn.close()

        with tempfile.TemporaryDirectory(prefix="corpus-crawl-") as tmp:
            seen_file = Path(tmp, "seen.txt")
            seen_file.write_text("\n".join(seen), "utf-8")
            stats_path = str(Path(tmp, "stats.json"))
            settings = {
                "LOG_LEVEL": log_level,
                "CORPUS_DB": str(db_path),
                "CORPUS_RUN_ID": run_id,
                "ITEM_PIPELINES": {**crawler_settings.ITEM_PIPELINES, "corpus.storage.StorePipeline": 900},
                "JOBDIR": None,
                **(crawler_settings.SAMPLE_OVERRIDES if sample else {}),
                **(extra_settings or {}),
            }
            spider_kwargs = {"sources": sources, "seen_file": str(seen_file), "since": since, "refresh": refresh}
            job = Path(tmp, "job.pickle")
            job.write_bytes(pickle.dumps((settings, spider_kwargs, stats_path)))
            child = subprocess.run([sys.executable, "-m", "corpus.crawl", str(job)])
            stats = json.loads(Path(stats_path).read_text()) if Path(stats_path).exists() else {}

    per_source = {
        src.name: {key: int(stats.get(f"source/{src.name}/{key}", 0))
                   for key in ("pages", "stored", "unchanged", "rejected", "errors")}
        for src in sources
    }
    errors = int(stats.get("source_errors", 0)) + int(stats.get("log_count/ERROR", 0))
    if child.returncode != 0:
        status, code = "failed", EXIT_SOURCE_ERRORS
        errors += 1
    elif errors:
        status, code = "finished with errors", EXIT_SOURCE_ERRORS
    else:
        status, code = "ok", EXIT_OK
    result = CrawlResult(
        run_id=run_id, status=status, exit_code=code,
        fetched=int(stats.get("response_received_count", 0)),
        stored=int(stats.get("pages_stored", 0)), unchanged=int(stats.get("pages_unchanged", 0)),
        rejected=int(stats.get("pages_rejected", 0)), errors=errors, per_source=per_source,
    )
    db = open_db(db_path)
    with db.conn:
        db["crawl_runs"].update(run_id, {
            "finished": now(), "status": status, "exit_code": code,
            "pages_fetched": result.fetched, "documents_stored": result.stored,
            "pages_rejected": result.rejected, "errors": errors,
            "source_counts": to_json(per_source),
            "error_log": to_json({k: v for k, v in stats.items() if "error" in k.lower() or "exception" in k}),
        })
    db.conn.close()
    return result


if __name__ == "__main__":
    _run_scrapy(*pickle.loads(Path(sys.argv[1]).read_bytes()))
