"""The one place that knows the shape of corpus.db.

`ensure_schema(db)` is safe to call on every run: it creates what is missing and
leaves existing data alone.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 1

TABLES: dict[str, dict] = {
    "sources": dict(
        columns={"name": str, "title": str, "base_url": str, "languages": str, "country": str},
        pk="name",
    ),
    "crawl_runs": dict(
        columns={
            "id": int, "started": str, "finished": str, "status": str, "sources": str,
            "pages_fetched": int, "documents_stored": int, "pages_rejected": int,
            "errors": int, "source_counts": str, "error_log": str, "exit_code": int,
        },
        pk="id",
    ),
    # Provenance: the fetched bytes (gzip), so documents can be rebuilt without the network.
    "raw_pages": dict(
        columns={
            "id": str, "url": str, "final_url": str, "status": int, "headers": str,
            "encoding": str, "fetched_at": str, "run_id": int, "body_gz": bytes,
        },
        pk="id",
    ),
    "documents": dict(
        columns={
            "id": str, "url": str, "canonical_url": str, "source": str, "lang": str,
            "title": str, "published": str, "modified": str, "author": str, "section": str,
            "fetched_at": str, "text": str, "content_hash": str, "duplicate_of": str,
            "raw_id": str, "relevance": float,
            # Written by `corpus process`: which text version was processed, and a summary.
            "processed_hash": str, "processed_at": str, "is_case_report": int,
            "places": str, "articles": str, "penalties": str, "event_dates": str,
            "convicted_count": int, "orgs": str, "platforms": str, "stage": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name")],
    ),
    # Pages the relevance filter turned away: kept as (url, reason, score), not as documents.
    "rejected_pages": dict(
        columns={"url": str, "source": str, "reason": str, "score": float, "run_id": int, "seen_at": str},
        pk="url",
    ),
    "mentions": dict(
        columns={
            "id": int, "document_id": str, "kind": str, "value": str, "text": str,
            "start": int, "end": int, "sentence": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
    ),
    "places": dict(
        columns={
            "id": str, "kind": str, "name_en": str, "name_ru": str, "admin1_id": str,
            "admin1_en": str, "country": str, "latitude": float, "longitude": float,
        },
        pk="id",
    ),
    "cases": dict(
        columns={
            "id": str, "title": str, "signature": str, "n_documents": int, "languages": str,
            "outlets": str, "places": str, "place_id": str, "place": str, "region": str,
            "country": str, "latitude": float, "longitude": float, "articles": str,
            "penalty_kind": str, "penalty_min_years": float, "penalty_max_years": float,
            "convicted_count": int, "orgs": str, "platforms": str, "stage": str,
            "first_event": str, "last_event": str, "first_published": str,
            "last_published": str, "year": int, "updated_at": str,
        },
        pk="id",
    ),
    "case_documents": dict(
        columns={"case_id": str, "document_id": str, "similarity": float},
        pk="document_id",
        foreign_keys=[("case_id", "cases", "id"), ("document_id", "documents", "id")],
    ),
    "criminal_code": dict(
        columns={"id": str, "code": str, "article": str, "title_en": str, "title_ru": str, "category": str},
        pk="id",
    ),
    # What happened to case ids across runs: a cited id stays resolvable after a merge.
    "case_history": dict(
        columns={"id": int, "case_id": str, "event": str, "other_case_id": str, "at": str, "detail": str},
        pk="id",
    ),
}

INDEXES: list[tuple[str, list[str], bool]] = [
    ("documents", ["url"], True),
    ("documents", ["canonical_url"], False),
    ("documents", ["content_hash"], False),
    ("documents", ["source"], False),
    ("documents", ["lang"], False),
    ("documents", ["published"], False),
    ("mentions", ["document_id"], False),
    ("mentions", ["kind", "value"], False),
    ("case_documents", ["case_id"], False),
    ("raw_pages", ["url"], False),
]


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and full-text index that is missing."""
    db.execute("PRAGMA foreign_keys = ON")
    if db.journal_mode != "wal":
        db.enable_wal()
    with db.conn:
        for name, spec in TABLES.items():
            table = db[name]
            if not table.exists():
                table.create(
                    spec["columns"], pk=spec["pk"],
                    foreign_keys=spec.get("foreign_keys"), not_null=None,
                )
            else:
                missing = {c: t for c, t in spec["columns"].items() if c not in table.columns_dict}
                for column, ctype in missing.items():
                    table.add_column(column, ctype)
        for table, columns, unique in INDEXES:
            db[table].create_index(columns, unique=unique, if_not_exists=True)
    if not db["documents"].detect_fts():
        db["documents"].enable_fts(
            ["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
        )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
