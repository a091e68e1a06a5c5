"""`corpus reextract`: rebuild documents from the stored raw pages, with no network."""

from __future__ import annotations

import gzip
import json

import sqlite_utils

from crawler.pipelines import ArticlePipeline, ContentHashPipeline, LanguagePipeline, RelevancePipeline

from corpus.store import document_id

PIPELINE = [ArticlePipeline(), LanguagePipeline(), RelevancePipeline(), ContentHashPipeline()]
FIELDS = ("canonical_url", "title", "text", "published", "modified", "author", "section", "lang",
          "relevance", "content_hash")


def run_reextract(db: sqlite_utils.Database) -> dict:
    """Re-run article extraction on each document's raw page; update what changed."""
    pages = changed = 0
    rows = list(db.query(
        "SELECT d.id, d.source, r.url, r.final_url, r.status, r.headers, r.encoding, r.fetched_at, r.body_gz "
        "FROM documents d JOIN raw_pages r ON r.id = d.raw_id ORDER BY d.id"))
    with db.conn:
        for row in rows:
            body = gzip.decompress(row["body_gz"])
            item = {"source": row["source"], "url": row["url"], "final_url": row["final_url"],
                    "status": row["status"], "headers": json.loads(row["headers"] or "{}"),
                    "encoding": row["encoding"], "fetched_at": row["fetched_at"], "body": body,
                    "text_html": body.decode(row["encoding"] or "utf-8", errors="replace")}
            for step in PIPELINE:
                item = step.process_item(item)
            pages += 1
            if item.get("rejected") or document_id(item["canonical_url"]) != row["id"]:
                continue  # a page that no longer passes is left as it was, never deleted
            update = {k: item.get(k) for k in FIELDS}
            current = db["documents"].get(row["id"])
            if any(current[k] != update[k] for k in FIELDS):
                db["documents"].update(row["id"], update)
                changed += 1
    return {"pages": pages, "changed": changed}
