"""Opening corpus.db and the writes every stage shares."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from corpus.schema import ForeignDatabase, ensure_schema, recognise


class StoreError(Exception):
    """A problem with the database file that the user can fix (path, permissions, corruption)."""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def document_id(canonical_url: str) -> str:
    """Stable id of a document: the same page gets the same id in every database."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def open_db(path: str | Path, *, create: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open (and, unless read-only, create and migrate) the corpus database.

    A file that is not a corpus database (corpus.schema.recognise) is refused before anything
    is written to it; opened read-only, an earlier version's file is read as it is, not stamped.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    if not path.exists():
        if not create or readonly:
            raise StoreError(f"database {path} does not exist (run `corpus crawl` or `corpus demo` first)")
        if not path.parent.exists():
            raise StoreError(f"directory {path.parent} does not exist")
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            conn = sqlite3.connect(str(path))
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA busy_timeout = 30000")
        if readonly:
            recognise(db.conn)
        else:
            ensure_schema(db)
    except ForeignDatabase as exc:
        db.conn.close()
        raise StoreError(f"cannot use {path}: {exc}; the file was left untouched") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot use {path} as a corpus database: {describe_sqlite_error(exc, path)}") from exc
    return db


def describe_sqlite_error(exc: sqlite3.Error, path: str | Path | None = None) -> str:
    """SQLite's message, with what the user can do about it."""
    message = str(exc)
    if "malformed" in message or "corrupt" in message:
        return (f"{message} (the file is damaged; check it with: sqlite3 {shlex.quote(str(path)) if path else 'FILE'} "
                f'"PRAGMA integrity_check")')
    if "readonly" in message or "read-only" in message:
        return f"{message} (the database file or its directory is read-only)"
    if "disk is full" in message or "disk I/O" in message:
        return f"{message} (is the disk full? free some disk space and run the command again)"
    if "locked" in message:
        return f"{message} (another process is writing; try again when it has finished)"
    return message


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Row counts of the main tables, for reports and the idempotence tests."""
    names = ["documents", "mentions", "cases", "case_documents", "raw_pages", "rejected_pages", "crawl_runs"]
    return {name: db[name].count for name in names if db[name].exists()}
