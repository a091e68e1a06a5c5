"""`corpus reextract`: rebuild documents from the stored raw pages, with no network.

Each document's raw page (gzip body and response headers, kept by the crawl) is decoded and
run through the crawler's item pipelines again (`crawler.pipelines.STEPS`), then stored the
way the crawl stores it (`corpus.page_store.store_document`): changed documents are updated,
duplicate links and MinHash bands recomputed. A page that no longer passes the filters is
left as it was, never deleted.
"""

from __future__ import annotations

import gzip
import json

import sqlite_utils

from crawler.encoding import decode_html
from crawler.pipelines import STEPS

from corpus.page_store import store_document
from corpus.database import document_id


def rebuild_documents(db: sqlite_utils.Database) -> dict:
    """Re-run article extraction on each document's raw page; returns page and change counts."""
    steps = [step() for step in STEPS]
    pages = changed = kept = 0
    rows = list(db.query(
        "SELECT d.id, d.source, r.id AS raw_id, r.url, r.final_url, r.status, r.headers, r.fetched_at, r.body_gz "
        "FROM documents d JOIN raw_pages r ON r.id = d.raw_id ORDER BY d.id"))
    with db.conn:
        for row in rows:
            body = gzip.decompress(row["body_gz"])
            headers = json.loads(row["headers"] or "{}")
            ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
            text_html, encoding = decode_html(body, ctype)
            item = {"source": row["source"], "url": row["url"], "final_url": row["final_url"],
                    "status": row["status"], "headers": headers, "encoding": encoding,
                    "fetched_at": row["fetched_at"], "body": body, "text_html": text_html}
            for step in steps:
                item = step.process_item(item)
            pages += 1
            if item.get("rejected") or document_id(item["canonical_url"]) != row["id"]:
                kept += 1
                continue
            if store_document(db, item, row["raw_id"]) == "updated":
                changed += 1
    return {"pages": pages, "changed": changed, "kept": kept}
