"""A crawl frontier that survives SIGKILL: Scrapy's disk queue and dupefilter, in SQLite.

With `JOBDIR` set, Scrapy keeps pending requests on disk, but writes the list of its queues
(`active.json`) and flushes its seen-request file only on a clean close: after a SIGKILL
(the OOM killer, a lost machine, `systemctl kill`) the queue cannot be reopened and the
fingerprints of requests that were in flight say "already seen" for pages that were never
stored. Here every push, pop and fingerprint is a committed SQLite transaction (WAL), and
a popped request is only marked as taken: a resumed crawl puts every taken request back.
A request that was in flight is therefore fetched again unless the store already has its
page (`SkipStoredMiddleware`), and none is lost.

Enable it with `JOBDIR` and:

    SCHEDULER_PRIORITY_QUEUE = "crawler.frontier.SqliteFrontier"
    DUPEFILTER_CLASS = "crawler.frontier.FrontierDupeFilter"

Like Scrapy's `DownloaderAwarePriorityQueue`, `pop` serves first the domain with the fewest
downloads in flight, so one outlet's backlog does not starve the others.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
from collections import Counter
from pathlib import Path

from scrapy.dupefilters import BaseDupeFilter, RFPDupeFilter
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface
from scrapy.utils.job import job_dir
from scrapy.utils.request import request_from_dict

logger = logging.getLogger(__name__)

FILE = "frontier.sqlite"
_open: dict[str, list] = {}  # path -> [connection, users]: the queue and the dupefilter share one


def _connect(path: Path) -> sqlite3.Connection:
    key = str(path.resolve())
    if key not in _open:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(key, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(
            "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY AUTOINCREMENT, slot TEXT,"
            " priority INTEGER, taken INTEGER NOT NULL DEFAULT 0, data BLOB);"
            "CREATE INDEX IF NOT EXISTS requests_next ON requests (taken, slot, priority, id);"
            "CREATE TABLE IF NOT EXISTS fingerprints (fp BLOB PRIMARY KEY) WITHOUT ROWID;")
        _open[key] = [conn, 0]
    _open[key][1] += 1
    return _open[key][0]


def _release(path: Path) -> None:
    key = str(path.resolve())
    entry = _open.get(key)
    if entry:
        entry[1] -= 1
        if entry[1] <= 0:
            entry[0].close()
            del _open[key]


class SqliteFrontier:
    """Scrapy priority queue (SCHEDULER_PRIORITY_QUEUE) persisted in `JOBDIR/requests.queue/`.

    Without a key (Scrapy's memory queue) it is Scrapy's DownloaderAwarePriorityQueue."""

    @classmethod
    def from_crawler(cls, crawler, downstream_queue_cls, key, startprios=None, *, start_queue_cls=None):
        if not key:
            return DownloaderAwarePriorityQueue.from_crawler(
                crawler, downstream_queue_cls, key, startprios, start_queue_cls=start_queue_cls)
        return cls(crawler, Path(key) / FILE)

    def __init__(self, crawler, path: Path):
        self.crawler, self.path = crawler, path
        self.conn = _connect(path)
        self.downloader = DownloaderInterface(crawler)
        self.last_slot: str | None = None
        resumed = self.conn.execute("UPDATE requests SET taken = 0 WHERE taken = 1").rowcount
        self.pending: Counter = Counter(dict(self.conn.execute(
            "SELECT slot, count(*) FROM requests WHERE taken = 0 GROUP BY slot").fetchall()))
        if self.pending:
            logger.info("resuming the frontier in %s: %d requests pending (%d were in flight)",
                        path.parent.parent, sum(self.pending.values()), resumed)
            crawler.stats.set_value("frontier/resumed", sum(self.pending.values()))

    def push(self, request) -> None:
        try:
            data = pickle.dumps(request.to_dict(spider=self.crawler.spider), protocol=4)
        except (pickle.PicklingError, AttributeError, TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from exc  # the scheduler falls back to its memory queue
        slot = self.downloader.get_slot_key(request)
        self.conn.execute("INSERT INTO requests (slot, priority, data) VALUES (?, ?, ?)",
                          (slot, request.priority, data))
        self.pending[slot] += 1

    def _next_slot(self) -> str:
        slots = sorted(s for s, n in self.pending.items() if n > 0)
        stats = self.downloader.stats(slots)
        least = min(active for active, _ in stats)
        candidates = [slot for active, slot in stats if active == least]
        # Round robin among equally idle slots.
        after = [s for s in candidates if self.last_slot is not None and s > self.last_slot]
        self.last_slot = (after or candidates)[0]
        return self.last_slot

    def pop(self):
        if not len(self):
            return None
        slot = self._next_slot()
        row = self.conn.execute(
            "SELECT id, data FROM requests WHERE taken = 0 AND slot = ? ORDER BY priority DESC, id DESC LIMIT 1",
            (slot,)).fetchone()
        if row is None:  # counter out of step with the table: trust the table
            self.pending[slot] = 0
            return self.pop()
        self.conn.execute("UPDATE requests SET taken = 1 WHERE id = ?", (row[0],))
        self.pending[slot] -= 1
        return request_from_dict(pickle.loads(row[1]), spider=self.crawler.spider)

    def close(self) -> dict:
        _release(self.path)
        return {}

    def __len__(self) -> int:
        return sum(self.pending.values())


class FrontierDupeFilter(BaseDupeFilter):
    """Request fingerprints in the frontier's database (DUPEFILTER_CLASS); without JOBDIR,
    Scrapy's in-memory RFPDupeFilter."""

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            return RFPDupeFilter.from_crawler(crawler)
        return cls(crawler, Path(jobdir, "requests.queue", FILE))

    def __init__(self, crawler, path: Path):
        self.crawler, self.path = crawler, path
        self.fingerprinter = crawler.request_fingerprinter
        self.conn = _connect(path)
        self.logged = False

    def request_seen(self, request) -> bool:
        fp = self.fingerprinter.fingerprint(request)
        return self.conn.execute("INSERT OR IGNORE INTO fingerprints (fp) VALUES (?)", (fp,)).rowcount == 0

    def close(self, reason: str) -> None:
        _release(self.path)

    def log(self, request, spider) -> None:
        if not self.logged:
            logger.debug("Filtered duplicate request: %s (no more duplicates will be shown)", request)
            self.logged = True
        self.crawler.stats.inc_value("dupefilter/filtered")
