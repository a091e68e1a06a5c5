"""The Scrapy item pipeline that writes crawled pages into corpus.db, and the document store
that `corpus reextract` shares with it.

It lives in the application (the crawler knows nothing of the store); `corpus crawl` adds it
to the crawl's settings with the database path and run id.

Duplicates are marked, never dropped: a document whose text is identical to another's
(same `content_hash`) or a near-verbatim reprint of it (MinHash similarity at least
`crawler.dedupe.NEAR_DUPLICATE`) gets `duplicate_of` = the id of the original, which is the
earliest published of the group (the first stored, when dates are missing or equal). Links
always point at the group's original, never along a chain.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from scrapy.exceptions import NotConfigured

from crawler import dedupe
from crawler.stats import count_outcome

from corpus.database import document_id, now, open_db
from corpus.transaction import transaction

# What a document is made of; a page whose fields are all unchanged is left alone. (`url`
# is the first URL the page was found under, and stays.)
DOCUMENT_FIELDS = ("canonical_url", "source", "lang", "title", "published", "modified", "author",
                   "section", "text", "content_hash", "relevance")


@dataclass(frozen=True)
class AddressAlias:
    """A sample site served at another address (`served`, another port) than its own
    (`stored`): its pages are stored under its own address, so which port a crawl used makes
    no new documents. `corpus crawl` passes it to the store as the CORPUS_ADDRESS_ALIAS setting."""

    served: str
    stored: str

    SETTING = "CORPUS_ADDRESS_ALIAS"

    @classmethod
    def from_setting(cls, value) -> AddressAlias | None:
        return cls(*value) if value else None

    def setting(self) -> list[str]:
        return [self.served, self.stored]

    def to_stored(self, url: str | None) -> str | None:
        return self.stored + url[len(self.served):] if url and url.startswith(self.served) else url

    def to_served(self, url: str) -> str:
        return self.served + url[len(self.stored):] if url.startswith(self.stored) else url

    def item(self, item: dict) -> dict:
        return {**item, **{key: self.to_stored(item[key]) for key in ("url", "final_url", "canonical_url") if key in item}}


def store_page(db, item: dict, run_id: int | None, alias: AddressAlias | None = None) -> str:
    """Store one processed page item; returns "stored", "updated", "unchanged" or "rejected".

    One transaction per page: the raw bytes, the document and its duplicate links land
    together or not at all.
    """
    if alias:
        item = alias.item(item)
    # Plain SQL on this path, which runs once per page: sqlite-utils' upsert inspects the
    # table on every call, which cost more than the rest of the storing together.
    with transaction(db):
        if item.get("rejected"):
            reason, score = item["rejected"]
            # An HTML page keeps its bytes, so `corpus reextract` can judge it again with a
            # better extractor or lexicon; a binary or unfetched one has nothing to judge.
            raw_id = store_raw(db, item, run_id) if item.get("text_html") else None
            _upsert(db, "rejected_pages", "url", {"url": item["url"], "source": item["source"], "reason": reason,
                                                  "score": score, "run_id": run_id, "seen_at": now(),
                                                  "raw_id": raw_id})
            return "rejected"
        raw_id = store_raw(db, item, run_id)
        # A page turned away before (now fetched again with --refresh) is a document now.
        db.execute("DELETE FROM rejected_pages WHERE url = ?", [item["url"]])
        return store_document(db, item, raw_id)


def store_raw(db, item: dict, run_id: int | None) -> str:
    """Keep the fetched bytes (gzip) and response headers of a page; returns the raw page id."""
    body = item["body"] or b""
    raw_id = hashlib.sha1((item["final_url"] + "\n").encode() + body).hexdigest()[:16]
    _upsert(db, "raw_pages", "id", {
        "id": raw_id, "url": item["url"], "final_url": item["final_url"], "status": item["status"],
        "headers": json.dumps(item.get("headers") or {}, ensure_ascii=False),
        "encoding": item.get("encoding"), "fetched_at": item["fetched_at"], "run_id": run_id,
        "body_gz": gzip.compress(body, compresslevel=6, mtime=0)})
    return raw_id


def _upsert(db, table: str, pk: str, row: dict) -> None:
    columns = ", ".join(f"[{c}]" for c in row)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in row if c != pk)
    db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(row))}) "
               f"ON CONFLICT([{pk}]) DO UPDATE SET {updates}", list(row.values()))


def store_document(db, item: dict, raw_id: str) -> str:
    """Insert or update the document of a processed item, with its duplicate links and
    MinHash bands. The caller holds the transaction."""
    doc_id = document_id(item["canonical_url"])
    row = {k: item.get(k) for k in DOCUMENT_FIELDS}
    existing = db.execute(f"SELECT {', '.join(DOCUMENT_FIELDS)} FROM documents WHERE id = ?", [doc_id]).fetchone()
    if existing and tuple(existing) == tuple(row[k] for k in DOCUMENT_FIELDS):
        return "unchanged"
    if existing is None or existing[DOCUMENT_FIELDS.index("content_hash")] != row["content_hash"]:
        signature = item.get("minhash")
        row["duplicate_of"] = _original(db, doc_id, row, signature)
        db.execute("DELETE FROM minhash_bands WHERE document_id = ?", [doc_id])
        db.execute("DELETE FROM document_minhash WHERE document_id = ?", [doc_id])
        if signature:
            db.execute("INSERT INTO document_minhash (document_id, signature) VALUES (?, ?)", [doc_id, signature])
            db.conn.executemany("INSERT OR IGNORE INTO minhash_bands (band, document_id) VALUES (?, ?)",
                                [(key, doc_id) for key in dedupe.band_keys(signature)])
    row.update(fetched_at=item["fetched_at"], raw_id=raw_id)
    if existing is None:
        row.update(id=doc_id, url=item["url"])
        db.execute(f"INSERT INTO documents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        return "stored"
    db.execute(f"UPDATE documents SET {', '.join(f'{c} = ?' for c in row)} WHERE id = ?", [*row.values(), doc_id])
    return "updated"


def _original(db, doc_id: str, row: dict, signature: bytes | None) -> str | None:
    """The id of the document this one duplicates (the group's original), or None when it is
    an original itself. Re-points the group when the new document is the older one."""
    match = db.execute("SELECT id FROM documents WHERE content_hash = ? AND id != ? ORDER BY fetched_at, id LIMIT 1",
                       [row["content_hash"], doc_id]).fetchone()
    match_id = match[0] if match else None
    if match_id is None and signature:
        keys = list(dict.fromkeys(dedupe.band_keys(signature)))
        candidates = db.execute(
            f"SELECT DISTINCT m.document_id, m.signature FROM minhash_bands b "
            f"JOIN document_minhash m ON m.document_id = b.document_id "
            f"WHERE b.band IN ({', '.join('?' * len(keys))}) AND b.document_id != ?", [*keys, doc_id]).fetchall()
        scored = sorted(((dedupe.similarity(signature, sig), cid) for cid, sig in candidates), reverse=True)
        if scored and scored[0][0] >= dedupe.NEAR_DUPLICATE:
            match_id = scored[0][1]
    if match_id is None:
        return None
    root_id, root_published = db.execute(
        "SELECT coalesce(duplicate_of, id), (SELECT published FROM documents r WHERE r.id = coalesce(d.duplicate_of, d.id)) "
        "FROM documents d WHERE id = ?", [match_id]).fetchone()
    if root_id == doc_id:
        return None
    mine, theirs = (row.get("published") or "")[:10], (root_published or "")[:10]
    if mine and theirs and mine < theirs:
        # The new page is the older report: it becomes the original of the whole group.
        db.execute("UPDATE documents SET duplicate_of = ? WHERE id = ? OR duplicate_of = ?", [doc_id, root_id, root_id])
        return None
    return root_id


class StorePipeline:
    """Writes each item with `store_page`; counts outcomes per source in the crawl stats."""

    def __init__(self, db_path: str, run_id: int | None, stats, alias: AddressAlias | None = None):
        self.db_path, self.run_id, self.stats, self.alias = db_path, run_id, stats, alias
        self.outcomes: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("CORPUS_DB")
        if not path:
            raise NotConfigured("CORPUS_DB is not set")
        return cls(path, crawler.settings.getint("CORPUS_RUN_ID") or None, crawler.stats,
                   AddressAlias.from_setting(crawler.settings.getlist(AddressAlias.SETTING)))

    def open_spider(self, spider=None):
        self.db = open_db(self.db_path)
        # WAL with synchronous=NORMAL survives a killed process (not a power cut, where the
        # last pages are rediscovered by the next run): no fsync per page.
        self.db.execute("PRAGMA synchronous = NORMAL")

    def close_spider(self, spider=None):
        self.db.conn.close()

    def process_item(self, item, spider=None):
        count_outcome(self.stats.inc_value, item["source"], store_page(self.db, dict(item), self.run_id, self.alias))
        return item
