"""The one place that knows the shape of corpus.db.

`ensure_schema(db)` is safe to call on every run: it creates what is missing and
leaves existing data alone. It writes only to a file it recognises as a corpus database
(`recognise`): one stamped with the corpus's application id, one an earlier version made
(recognised by its tables, then stamped), or a new, empty one. Another application's
SQLite file is refused before anything is written.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from nlp.facts import case_columns, stored_facts

from corpus import summaries
from corpus.transaction import transaction

# Stamped in the header of every corpus database (`PRAGMA application_id`): "CASE" in ASCII.
APPLICATION_ID = 0x43415345
# `PRAGMA user_version`: the shape of the schema. Versions before 2 wrote no application id
# (some wrote user_version 1). A file with a higher number was made by a newer corpus.
SCHEMA_VERSION = 2

# Tables and columns that every database made by an earlier version has (its first schema
# had them all, and each run created whatever was missing): how such a file, which has no
# application id yet, is told apart from another application's.
EARLIER_VERSION_TABLES: dict[str, set[str]] = {
    "sources": {"name", "base_url"},
    "crawl_runs": {"id", "started", "finished", "status", "pages_fetched"},
    "raw_pages": {"id", "url", "final_url", "body_gz"},
    "documents": {"id", "url", "canonical_url", "source", "lang", "title", "published", "fetched_at",
                  "text", "content_hash", "duplicate_of", "raw_id", "processed_hash"},
    "rejected_pages": {"url", "reason", "score"},
    "mentions": {"id", "document_id", "kind", "value", "start", "end", "sentence"},
    "places": {"id", "name_en", "admin1_id"},
    "cases": {"id", "title", "signature", "n_documents"},
    "case_documents": {"case_id", "document_id", "similarity"},
}
NEW, EARLIER, CURRENT = "new", "earlier", "current"


class ForeignDatabase(Exception):
    """A SQLite file that is not a corpus database (or one made by a newer corpus)."""

SQL_TYPES = {"text": str, "json": str, "integer": int, "boolean": int, "real": float}


def _fact_columns() -> dict[str, type]:
    """documents columns of the stored facts (nlp.facts): lists and objects are JSON text."""
    return {f.column: str if f.many else SQL_TYPES[f.item] for f in stored_facts()}


def _case_fact_columns() -> dict[str, type]:
    return {c.name: str if c.many else SQL_TYPES[c.item] for _, c in case_columns()}

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
            # 1 when the run resumed the frontier a killed or stopped run left behind.
            "resumed": int,
            # A distributed crawl (--distributed): pages fetched by each crawler process, as JSON.
            "workers": str,
        },
        pk="id",
    ),
    # `corpus update`: one row per stage (crawl, process, group, publish) of each update.
    "update_stages": dict(
        columns={
            "id": int, "update_id": int, "stage": str, "started": str, "finished": str, "status": str,
            "detail": str, "counts": str,
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
    # Conditional requests: the validators a feed or sitemap last answered with.
    "http_validators": dict(
        columns={"url": str, "source": str, "etag": str, "last_modified": str, "updated_at": str},
        pk="url",
    ),
    # Near-duplicate detection (crawler/dedupe.py): a MinHash signature per document and its
    # LSH band keys, so a new document finds its candidates by index, not by a corpus scan.
    "document_minhash": dict(
        columns={"document_id": str, "signature": bytes},
        pk="document_id",
    ),
    "minhash_bands": dict(
        columns={"band": int, "document_id": str},
        pk=("band", "document_id"),
    ),
    "documents": dict(
        columns={
            "id": str, "url": str, "canonical_url": str, "source": str, "lang": str,
            "title": str, "published": str, "modified": str, "author": str, "section": str,
            "fetched_at": str, "text": str, "content_hash": str, "duplicate_of": str,
            "raw_id": str, "relevance": float,
            # Written by `corpus process`: which text version was processed, and its facts.
            "processed_hash": str, "processed_at": str,
            **_fact_columns(),
            # Also written by `corpus process`: lemmas and place tokens for search (corpus/search.py).
            "search_text": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name")],
    ),
    # Pages the pipelines turned away: (url, reason, score), not documents; an HTML page keeps its
    # raw response (raw_id) so `corpus reextract` can judge it again.
    "rejected_pages": dict(
        columns={"url": str, "source": str, "reason": str, "score": float, "run_id": int, "seen_at": str,
                 "raw_id": str},
        pk="url",
    ),
    "mentions": dict(
        columns={
            "id": int, "document_id": str, "kind": str, "value": str, "text": str,
            "start": int, "end": int, "sentence": str,
            # 0: the report's main case; 1, 2...: other cases it mentions (nlp.frames).
            "frame": int,
            # Where the sentence is, as start and end: the report page's anchor for it (#s-<start>).
            "sentence_start": int, "sentence_end": int,
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
            "outlets": str, "place_id": str, "place": str, "region": str,
            "country": str, "latitude": float, "longitude": float,
            **_case_fact_columns(),
            "first_published": str, "last_published": str, "year": int, "updated_at": str,
            # Curation (corpus/curation.py): the review status, why a case needs review again, the
            # fields people corrected and the machine's values of those fields.
            "review_status": str, "review_flag": str, "corrected_fields": str, "machine_values": str,
            # Written by `corpus group`: lemmas and place, organisation and name tokens for search (corpus/search.py).
            "search_text": str,
        },
        pk="id",
    ),
    # One vector per document and model: grouping recomputes nothing it already has.
    "embeddings": dict(
        columns={"document_id": str, "model": str, "dim": int, "vector": bytes, "created_at": str},
        pk="document_id",
    ),
    "similar_cases": dict(
        columns={"case_id": str, "similar_case_id": str, "rank": int, "score": float, "shared": str},
        pk=("case_id", "similar_case_id"),
    ),
    # Why each report is in its case (nlp.cases.explain_case), written with the grouping:
    # the report it links to most strongly, a plain-language line, and the evidence as JSON
    # (facts shared, facts checked, contradictions, similarity, score).
    "case_documents": dict(
        columns={"case_id": str, "document_id": str, "similarity": float, "linked_to": str, "explanation": str,
                 "evidence": str},
        pk="document_id",
        foreign_keys=[("case_id", "cases", "id"), ("document_id", "documents", "id")],
    ),
    "criminal_code": dict(
        columns={"id": str, "code": str, "edition": str, "in_force": int, "article": str, "part": str,
                 "title_en": str, "title_ru": str, "category": str},
        pk="id",
    ),
    # What happened to case ids across runs: a cited id stays resolvable after a merge.
    "case_history": dict(
        columns={"id": int, "case_id": str, "event": str, "other_case_id": str, "at": str, "detail": str},
        pk="id",
    ),
    # Curation (corpus/curation.py): people's corrections of a case or a document, kept with the
    # machine's value, and applied again after every extraction and grouping.
    "corrections": dict(
        columns={"id": int, "target": str, "target_id": str, "field": str, "machine_value": str, "value": str,
                 "note": str, "by": str, "at": str,
                 # A document's: what reprocessing found when it differs from machine_value, until reviewed.
                 "flag": str},
        pk="id",
    ),
    # People's merges and splits of cases, replayed over every grouping as document constraints.
    "case_edits": dict(
        columns={"id": int, "action": str, "case_id": str, "other_case_id": str, "documents": str,
                 "note": str, "by": str, "at": str},
        pk="id",
    ),
    # The review status of a case, and the reports it had when a person last decided on it.
    "case_reviews": dict(
        columns={"case_id": str, "status": str, "note": str, "by": str, "at": str, "documents": str},
        pk="case_id",
    ),
}

# Columns that hold a JSON array, and the type of its items (text, integer, real, json): the
# export writes them as lists whatever rows there are.
LIST_COLUMNS: dict[str, dict[str, str]] = {
    "documents": {f.column: f.column_item or f.item for f in stored_facts() if f.many},
    "cases": {"languages": "text", "outlets": "text", "corrected_fields": "text",
              **{c.name: c.item for _, c in case_columns() if c.many}},
    "mentions": {},
}



def fact_column_descriptions() -> dict[str, dict[str, str]]:
    """{table: {column: meaning}} for the columns that hold a fact: what Datasette shows above
    them and the export's codebook says (metadata.yml describes only the other columns)."""
    lists = " (JSON array)"
    return {
        "documents": {f.column: f.meaning + (lists if f.many else "") for f in stored_facts()},
        "cases": {c.name: c.meaning + (lists if c.many else "") for _, c in case_columns()},
    }


INDEXES: list[tuple[str, list[str], bool]] = [
    ("documents", ["url"], True),
    ("documents", ["canonical_url"], False),
    ("documents", ["content_hash"], False),
    ("documents", ["source"], False),
    ("documents", ["lang"], False),
    ("documents", ["published"], False),
    # Serving (metadata.yml): a table page filtered by language or outlet reads its newest rows
    # in index order (sorted by published), and its facets (source, lang, stage, is_case_report)
    # from the same index without touching the rows; unfiltered facets scan these indexes too.
    ("documents", ["lang", "published", "source", "stage", "is_case_report"], False),
    ("documents", ["source", "published", "lang", "stage", "is_case_report"], False),
    ("documents", ["stage", "published"], False),
    ("documents", ["is_case_report", "published"], False),
    # The same for cases (sorted by last_published; facets region, year, stage).
    ("cases", ["last_published"], False),
    # The Atom feed of new cases reads the newest first (plugins/corpus_atom.py).
    ("cases", ["first_published"], False),
    ("cases", ["region", "last_published", "year", "stage"], False),
    ("cases", ["year", "last_published", "region", "stage"], False),
    ("cases", ["stage", "last_published", "region", "year"], False),
    # Covers the canned query cases_per_year and the dashboard's cases per year and stage.
    ("cases", ["year", "stage", "country", "n_documents"], False),
    # cases_for_place finds a place's cases by their main place.
    ("cases", ["place_id"], False),
    ("mentions", ["document_id"], False),
    ("mentions", ["kind", "value"], False),
    ("case_documents", ["case_id"], False),
    ("corrections", ["target_id"], False),
    ("raw_pages", ["url"], False),
    ("minhash_bands", ["document_id"], False),
]

# Full-text indexes (table -> columns), kept up to date by triggers. The porter tokenizer stems
# English; Russian matches through documents.search_text, lemmatised by corpus/search.py,
# since FTS5 has no Russian stemmer.
FTS: dict[str, list[str]] = {
    "documents": ["title", "text", "search_text"],
    "cases": ["title", "place", "region", *(c.name for _, c in case_columns() if c.searchable), "search_text"],
}
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def recognise(conn: sqlite3.Connection) -> str:
    """NEW (no schema yet: an empty or just created file), EARLIER (made by a corpus version
    before the application id) or CURRENT (stamped). Raises ForeignDatabase for another
    application's file and for one made by a newer corpus. Only reads."""
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    if application_id == APPLICATION_ID:
        if user_version > SCHEMA_VERSION:
            raise ForeignDatabase(f"it was made by a newer version of corpus (schema {user_version}; "
                                  f"this one knows up to {SCHEMA_VERSION}): upgrade corpus")
        return CURRENT
    if application_id:
        raise ForeignDatabase(f"not a corpus database (its application id is {application_id:#x}, "
                              f"a corpus database's is {APPLICATION_ID:#x})")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if not tables and user_version == 0 and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return NEW
    ours = all(columns <= {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
               for table, columns in EARLIER_VERSION_TABLES.items())
    if not ours:
        found = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise ForeignDatabase(f"not a corpus database (no corpus application id, and its tables are "
                              f"another application's: {found or 'none'})")
    if user_version > 1:
        raise ForeignDatabase(f"not a corpus database (no corpus application id, and user_version {user_version}, "
                              "which no corpus version wrote)")
    return EARLIER


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and full-text index that is missing, and stamp the file as a
    corpus database of this schema version. Raises ForeignDatabase, having written nothing,
    for a file that is not a corpus database."""
    state = recognise(db.conn)
    db.execute("PRAGMA foreign_keys = ON")
    if db.journal_mode != "wal":
        db.enable_wal()
    # A database from before documents.search_text: the next `corpus process` fills it for every document.
    refill_search = db["documents"].exists() and "search_text" not in db["documents"].columns_dict
    with transaction(db):
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
        if refill_search:
            db.execute("UPDATE documents SET processed_hash = NULL")
        for table, columns in FTS.items():
            # replace=True rebuilds an index whose columns or tokenizer changed, and leaves a current one alone.
            db[table].enable_fts(columns, create_triggers=True, tokenize=FTS_TOKENIZE, replace=True)
        # The aggregates pages read (corpus/summaries.py); a file from before them gets them filled once.
        if summaries.ensure(db):
            summaries.refresh(db)
        if state != CURRENT or db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
