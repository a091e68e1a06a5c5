"""`corpus reextract`: rebuild documents from the stored raw pages, with no network.

Each document's raw page (gzip body and response headers, kept by the crawl) is decoded and
run through the crawler's item pipelines again (`crawler.pipelines.STEPS`), then stored the
way the crawl stores it (`corpus.page_store.store_document`): changed documents are updated,
duplicate links and MinHash bands recomputed. A page that no longer passes the filters is
left as it was, never deleted.

Rejected pages that kept their raw response are judged again the same way: one that now
passes (a better extractor or relevance lexicon) becomes a document and leaves
`rejected_pages`; one that still fails keeps its row, with the new reason and score.
"""

from __future__ import annotations

import gzip
import json

import sqlite_utils

from crawler.encoding import decode_html
from crawler.pipelines import STEPS

from corpus import summaries
from corpus.page_store import store_document
from corpus.database import document_id
from corpus.transaction import transaction

RAW_COLUMNS = "r.id AS raw_id, r.url, r.final_url, r.status, r.headers, r.fetched_at, r.body_gz"


def rebuild_documents(db: sqlite_utils.Database) -> dict:
    """Re-run article extraction on each document's raw page, and judge each rejected page
    with a raw response again. Returns counts: `pages` (documents' pages), `changed`, `kept`
    (documents whose page no longer passes), `rejected` (rejected pages judged again) and
    `admitted` (of those, the ones stored as documents now)."""
    steps = [step() for step in STEPS]
    pages = changed = kept = admitted = 0
    rows = list(db.query(f"SELECT d.id, d.source, {RAW_COLUMNS} "
                         "FROM documents d JOIN raw_pages r ON r.id = d.raw_id ORDER BY d.id"))
    rejected = list(db.query(f"SELECT p.url AS page_url, p.source, p.reason, p.score, {RAW_COLUMNS} "
                             "FROM rejected_pages p JOIN raw_pages r ON r.id = p.raw_id ORDER BY p.url"))
    with transaction(db):
        for row in rows:
            item = _process(_item(row), steps)
            pages += 1
            if item.get("rejected") or document_id(item["canonical_url"]) != row["id"]:
                kept += 1
                continue
            if store_document(db, item, row["raw_id"]) == "updated":
                changed += 1
        for row in rejected:
            item = _process(_item(row), steps)
            if item.get("rejected"):
                reason, score = item["rejected"]
                if (reason, score) != (row["reason"], row["score"]):
                    db.execute("UPDATE rejected_pages SET reason = ?, score = ? WHERE url = ?",
                               [reason, score, row["page_url"]])
                continue
            store_document(db, item, row["raw_id"])
            db.execute("DELETE FROM rejected_pages WHERE url = ?", [row["page_url"]])
            admitted += 1
        summaries.refresh(db)
    return {"pages": pages, "changed": changed, "kept": kept, "rejected": len(rejected), "admitted": admitted}


def _item(row: dict) -> dict:
    """A page item as the spider yields it, rebuilt from a raw page row."""
    body = gzip.decompress(row["body_gz"])
    headers = json.loads(row["headers"] or "{}")
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    text_html, encoding = decode_html(body, ctype)
    return {"source": row["source"], "url": row["url"], "final_url": row["final_url"],
            "status": row["status"], "headers": headers, "encoding": encoding,
            "fetched_at": row["fetched_at"], "body": body, "text_html": text_html}


def _process(item: dict, steps: list) -> dict:
    for step in steps:
        item = step.process_item(item)
    return item
