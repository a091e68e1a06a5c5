"""The process stage: run nlp over every document not yet processed (or changed since)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from nlp import extract_many
from nlp.cases import signature
from nlp.spans import sentence_text

from corpus.reference import load_reference_tables
from corpus.search import search_text
from corpus.store import now, to_json

NLP_LANGUAGES = ("ru", "en")
MENTION_KINDS = {
    "places": "place", "articles": "article", "penalties": "penalty",
    "event_dates": "event_date", "other_places": "place_other",
}
VALUE_KEYS = {
    "place": ("id", "name", "admin1", "country", "role"),
    "place_other": ("id", "name", "admin1", "country", "role"),
    "article": ("code", "article", "part", "paragraph"),
    "penalty": ("kind", "min_years", "max_years", "regime", "confiscation", "applies_to"),
    "event_date": ("iso", "precision"),
}


@dataclass
class ProcessResult:
    processed: int
    mentions: int
    remaining: int


def pending(db: sqlite_utils.Database, *, everything: bool = False) -> list[dict]:
    where = "lang IN ('ru', 'en')"
    if not everything:
        where += " AND (processed_hash IS NULL OR processed_hash != content_hash)"
    return list(db.query(f"SELECT id, lang, title, text, published, content_hash FROM documents WHERE {where} ORDER BY id"))


def document_text(doc: dict) -> str:
    """What nlp reads: the title, then the body."""
    title = (doc.get("title") or "").strip()
    return f"{title}\n\n{doc['text']}" if title else doc["text"]


def mention_rows(document_id: str, text: str, facts: dict) -> list[dict]:
    rows = []
    for key, kind in MENTION_KINDS.items():
        for item in facts.get(key) or []:
            value = {k: item.get(k) for k in VALUE_KEYS[kind]}
            rows.append({
                "document_id": document_id, "kind": kind, "value": to_json(value),
                "text": item.get("text"), "start": item.get("start"), "end": item.get("end"),
                "sentence": sentence_text(text, item["start"], item["end"]) if item.get("start") is not None else None,
            })
    for kind, key in (("org", "orgs"), ("platform", "platforms")):
        for value in facts.get(key) or []:
            rows.append({"document_id": document_id, "kind": kind, "value": to_json(value),
                         "text": None, "start": None, "end": None, "sentence": None})
    return rows


def summary_columns(facts: dict) -> dict:
    """The document's case signature, one column per criterion (lists as JSON)."""
    sig = signature(facts)
    return {
        "is_case_report": int(bool(facts["is_case_report"])),
        **{key: to_json(sig[key]) for key in ("places", "articles", "penalties", "event_dates", "orgs", "platforms",
                                              "persons", "names")},
        "convicted_count": sig["convicted_count"],
        "stage": sig["stage"],
    }


def run_process(
    db: sqlite_utils.Database,
    *,
    batch_size: int = 32,
    n_process: int = 1,
    everything: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Extract facts from pending documents; each batch is written in one transaction,
    so an interrupted run loses at most the batch in flight and a re-run finishes the job."""
    load_reference_tables(db)
    docs = pending(db, everything=everything)
    processed = mentions = 0
    for i in range(0, len(docs), batch_size):
        batch = docs[i:i + batch_size]
        texts = [document_text(d) for d in batch]
        results = list(extract_many(
            [(t, d["lang"], d["published"]) for t, d in zip(texts, batch)],
            batch_size=batch_size, n_process=n_process))
        with db.conn:
            for doc, text, facts in zip(batch, texts, results):
                db.execute("DELETE FROM mentions WHERE document_id = ?", [doc["id"]])
                rows = mention_rows(doc["id"], text, facts)
                if rows:
                    db["mentions"].insert_all(rows)
                db["documents"].update(doc["id"], {
                    **summary_columns(facts), "processed_hash": doc["content_hash"], "processed_at": now(),
                    "search_text": search_text(doc["title"], doc["text"], doc["lang"])})
                mentions += len(rows)
        processed += len(batch)
        if progress:
            progress(len(batch))
    return ProcessResult(processed=processed, mentions=mentions, remaining=0)
