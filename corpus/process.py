"""The process stage: run nlp over every document not yet processed (or changed since)."""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator

import sqlite_utils

from nlp.naming import locate_named
from nlp.chunks import MAX_TEXT_CHARS
from nlp.facts import FACTS, Facts
from nlp.spans import sentence_span
from nlp.vocabulary import LANGUAGES

from corpus import curation, summaries
from corpus.reference import load_reference_tables
from corpus.search import search_text
from corpus.database import now, to_json
from corpus.transaction import transaction


@dataclass
class ProcessResult:
    processed: int
    mentions: int
    # Documents left unprocessed: longer than extraction reads (nlp.chunks.MAX_TEXT_CHARS).
    too_long: list[str] = field(default_factory=list)


PAGE_SIZE = 500  # documents read from the database at a time: memory stays flat however many are pending
MAX_BATCH_SIZE = 1000  # documents held, with their facts, until their transaction is written
MAX_PROCESSES = 64  # worker processes, as for the crawl's --workers


def _pending_where(everything: bool) -> str:
    where = "lang IN (" + ", ".join(f"'{lang}'" for lang in LANGUAGES) + ")"
    if not everything:
        where += " AND (processed_hash IS NULL OR processed_hash != content_hash)"
    return where


def count_pending(db: sqlite_utils.Database, *, everything: bool = False) -> int:
    return db.execute(f"SELECT count(*) FROM documents WHERE {_pending_where(everything)}").fetchone()[0]


def iter_pending(db: sqlite_utils.Database, *, everything: bool = False,
                 page_size: int = PAGE_SIZE) -> Iterator[dict]:
    """Pending documents in id order, read a page at a time (keyset on id), never all at once."""
    where = _pending_where(everything)
    last = ""
    while True:
        rows = list(db.query(
            f"SELECT id, lang, title, text, published, content_hash FROM documents"
            f" WHERE {where} AND id > ? ORDER BY id LIMIT ?", [last, page_size]))
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def document_text(doc: dict) -> str:
    """What nlp reads: the title, then the body."""
    title = (doc.get("title") or "").strip()
    return f"{title}\n\n{doc['text']}" if title else doc["text"]


def mention_rows(document_id: str, text: str, facts: Facts) -> list[dict]:
    """One row per item of each fact that has a mention kind (nlp.facts): its value, where it was
    found when the item has offsets, and its frame (0: the main case; 1, 2...: other cases the
    report mentions, in `facts.other_cases` order)."""
    frames = [(0, {name: facts[name] for name in FACTS})] + [(i, frame) for i, frame in enumerate(facts.other_cases, 1)]
    rows = []
    for frame_index, values in frames:
        for fact in FACTS.values():
            if not fact.mention or fact.name not in values:
                continue
            value = values[fact.name]
            for item in (value if fact.many else [value] if value is not None else []):
                if isinstance(item, dict) and item.get("start") is not None:
                    span, words = (item["start"], item["end"]), item.get("text")
                else:
                    # An organisation or platform is kept as an id: its first naming is where it was found.
                    span = locate_named(fact.mention, item, text) if isinstance(item, str) else None
                    words = text[span[0]:span[1]] if span else None
                # The sentence's own offsets: a report page anchors it, a fact links to it.
                sentence = sentence_span(text, *span) if span else (None, None)
                rows.append({
                    "document_id": document_id, "kind": fact.mention, "frame": frame_index,
                    "value": to_json({k: item.get(k) for k in fact.mention_keys} if fact.mention_keys else item),
                    "text": words,
                    "start": span[0] if span else None, "end": span[1] if span else None,
                    "sentence": text[sentence[0]:sentence[1]] if span else None,
                    "sentence_start": sentence[0], "sentence_end": sentence[1],
                })
    return rows


def summary_columns(facts: Facts) -> dict:
    """The document's case signature, one column per stored fact (lists and objects as JSON)."""
    return {column: to_json(value) if isinstance(value, (list, dict)) else value
            for column, value in facts.document_columns().items()}


def run_process(
    db: sqlite_utils.Database,
    *,
    batch_size: int = 32,
    n_process: int = 1,
    everything: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Extract facts from pending documents; each batch is written in one transaction,
    so an interrupted run loses at most the batch in flight and a re-run finishes the job.
    A document longer than extraction reads is left unprocessed and listed in `too_long`."""
    load_reference_tables(db)
    processed = mentions = 0
    too_long: list[str] = []

    def readable(docs: Iterator[dict]) -> Iterator[dict]:
        for doc in docs:
            if len(document_text(doc)) > MAX_TEXT_CHARS:
                too_long.append(doc["id"])
                if progress:
                    progress(1)
                continue
            yield doc

    for batch, texts, results in _extracted(readable(iter_pending(db, everything=everything)), batch_size, n_process):
        with transaction(db):
            for doc, text, facts in zip(batch, texts, results):
                db.execute("DELETE FROM mentions WHERE document_id = ?", [doc["id"]])
                rows = mention_rows(doc["id"], text, facts)
                if rows:
                    db["mentions"].insert_all(rows)
                summary = summary_columns(facts)
                db["documents"].update(doc["id"], {
                    **summary, "processed_hash": doc["content_hash"], "processed_at": now(),
                    "search_text": search_text(doc["title"], doc["text"], doc["lang"], summary["names"])})
                mentions += len(rows)
        processed += len(batch)
        if progress:
            progress(len(batch))
    # People's corrections of documents outlive extraction (corpus/curation.py); the summaries
    # the pages read follow the new facts in the same transaction.
    with transaction(db):
        curation.apply_to_documents(db)
        summaries.refresh(db)
    return ProcessResult(processed=processed, mentions=mentions, too_long=too_long)


def _batches(docs: Iterator[dict], batch_size: int) -> Iterator[tuple[list[dict], list[str]]]:
    batch: list[dict] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == batch_size:
            yield batch, [document_text(d) for d in batch]
            batch = []
    if batch:
        yield batch, [document_text(d) for d in batch]


def _extract_batch(items: list[tuple[str, str, str | None]]) -> list[Facts]:
    from nlp import extract_many

    return list(extract_many(items, batch_size=max(len(items), 1)))


def _worker_init() -> None:
    """Workers die with the parent (e.g. kill -9), instead of waiting forever for work."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _extracted(docs: Iterator[dict], batch_size: int, n_process: int):
    """(batch, texts, facts) in document order. With n_process > 1, batches go to a pool of
    worker processes started once for the whole run (a few batches in flight, so memory stays
    bounded); the parent only writes. spaCy's own n_process is not used: it would start new
    workers for every batch, and it cannot send the documents' publication dates to them."""
    if n_process <= 1:
        for batch, texts in _batches(docs, batch_size):
            items = [(t, d["lang"], d["published"]) for t, d in zip(texts, batch)]
            yield batch, texts, _extract_batch(items)
        return
    pool = multiprocessing.get_context("fork").Pool(n_process, initializer=_worker_init)
    try:
        in_flight: deque = deque()
        for batch, texts in _batches(docs, batch_size):
            items = [(t, d["lang"], d["published"]) for t, d in zip(texts, batch)]
            in_flight.append((batch, texts, pool.apply_async(_extract_batch, (items,))))
            if len(in_flight) >= 2 * n_process:
                batch, texts, result = in_flight.popleft()
                yield batch, texts, result.get()
        while in_flight:
            batch, texts, result = in_flight.popleft()
            yield batch, texts, result.get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
