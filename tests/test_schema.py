import sqlite3

import sqlite_utils

from corpus.schema import TABLES, ensure_schema
from corpus.database import StoreError, open_db

import pytest


def test_ensure_schema_creates_every_table_and_is_idempotent(tmp_path):
    db = sqlite_utils.Database(tmp_path / "c.db")
    ensure_schema(db)
    first = sorted(db.table_names())
    ensure_schema(db)
    assert sorted(db.table_names()) == first
    for name in TABLES:
        assert db[name].exists()
    assert db["documents"].detect_fts() == "documents_fts"
    assert db.journal_mode == "wal"


def test_contract_columns_exist(tmp_path):
    db = open_db(tmp_path / "c.db")
    docs = set(db["documents"].columns_dict)
    assert {"id", "url", "canonical_url", "source", "lang", "title", "published", "fetched_at",
            "text", "content_hash", "duplicate_of", "raw_id"} <= docs
    assert {"id", "document_id", "kind", "value", "start", "end", "sentence"} <= set(db["mentions"].columns_dict)
    assert {"case_id", "document_id", "similarity"} <= set(db["case_documents"].columns_dict)
    assert {"id", "started", "finished", "status"} <= set(db["crawl_runs"].columns_dict)


def test_missing_column_is_added_to_an_old_database(tmp_path):
    # A file as an earlier version left it: no application id, a column that came later missing.
    path = tmp_path / "old.db"
    open_db(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("PRAGMA user_version = 0")
    conn.execute("ALTER TABLE documents DROP COLUMN author")
    conn.execute("INSERT INTO documents (id, url, text, title) VALUES ('a', 'http://x', 'body', 't')")
    conn.commit()
    conn.close()
    db = open_db(path)
    assert "author" in db["documents"].columns_dict
    assert db["documents"].get("a")["text"] == "body"


def test_foreign_keys_are_enforced(tmp_path):
    db = open_db(tmp_path / "c.db")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO mentions (document_id, kind, value) VALUES ('nope', 'place', '{}')")


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot use"):
        open_db(bad)


def test_missing_database_is_a_clear_error_when_not_creating(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_db(tmp_path / "absent.db", create=False)
