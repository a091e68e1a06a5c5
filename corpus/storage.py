"""The Scrapy item pipeline that writes crawled pages into corpus.db.

It lives in the application (the crawler knows nothing of the store); `corpus crawl` adds it
to the crawl's settings with the database path and run id.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter

from scrapy.exceptions import NotConfigured

from corpus.store import document_id, now, open_db


def store_page(db, item: dict, run_id: int | None) -> str:
    """Store one processed page item; returns "stored", "unchanged" or "rejected".

    One transaction per page: the raw bytes, the document and its duplicate link land
    together or not at all.
    """
    with db.conn:
        if item.get("rejected"):
            reason, score = item["rejected"]
            db["rejected_pages"].upsert(
                {"url": item["url"], "source": item["source"], "reason": reason,
                 "score": score, "run_id": run_id, "seen_at": now()}, pk="url")
            return "rejected"
        body = item["body"] or b""
        raw_id = hashlib.sha1((item["final_url"] + "\n").encode() + body).hexdigest()[:16]
        db["raw_pages"].upsert(
            {"id": raw_id, "url": item["url"], "final_url": item["final_url"], "status": item["status"],
             "headers": json.dumps(item.get("headers") or {}, ensure_ascii=False),
             "encoding": item.get("encoding"), "fetched_at": item["fetched_at"], "run_id": run_id,
             "body_gz": gzip.compress(body, mtime=0)},
            pk="id")
        doc_id = document_id(item["canonical_url"])
        existing = db.execute("SELECT content_hash FROM documents WHERE id = ?", [doc_id]).fetchone()
        if existing and existing[0] == item["content_hash"]:
            return "unchanged"
        original = db.execute(
            "SELECT id FROM documents WHERE content_hash = ? AND id != ? ORDER BY fetched_at, id LIMIT 1",
            [item["content_hash"], doc_id]).fetchone()
        db["documents"].upsert(
            {"id": doc_id, "url": item["url"], "canonical_url": item["canonical_url"],
             "source": item["source"], "lang": item["lang"], "title": item.get("title"),
             "published": item.get("published"), "modified": item.get("modified"),
             "author": item.get("author"), "section": item.get("section"),
             "fetched_at": item["fetched_at"], "text": item["text"],
             "content_hash": item["content_hash"], "duplicate_of": original[0] if original else None,
             "raw_id": raw_id, "relevance": item.get("relevance")},
            pk="id")
        return "stored"


class StorePipeline:
    """Writes each item with `store_page`; counts outcomes per source in the crawl stats."""

    def __init__(self, db_path: str, run_id: int | None, stats):
        self.db_path, self.run_id, self.stats = db_path, run_id, stats
        self.outcomes: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("CORPUS_DB")
        if not path:
            raise NotConfigured("CORPUS_DB is not set")
        return cls(path, crawler.settings.getint("CORPUS_RUN_ID") or None, crawler.stats)

    def open_spider(self, spider=None):
        self.db = open_db(self.db_path)

    def close_spider(self, spider=None):
        self.db.conn.close()

    def process_item(self, item, spider=None):
        outcome = store_page(self.db, dict(item), self.run_id)
        self.stats.inc_value(f"source/{item['source']}/{outcome}")
        self.stats.inc_value(f"pages_{outcome}")
        return item
