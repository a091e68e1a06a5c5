"""`corpus update`: crawl, process, group and publish in one locked run, on the sample site."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
from contextlib import closing

import pytest

from conftest import free_port, run_corpus as corpus
from corpus.crawl import crawl_lock


def query(db, sql: str, params=()) -> list[tuple]:
    # Closed at once: an idle connection left open in this process would lose its locks when the
    # file is read another way, and with them SQLite's view of the write-ahead log.
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def stages(db, update_id: int) -> dict[str, str]:
    return dict(query(db, "SELECT stage, status FROM update_stages WHERE update_id = ? ORDER BY id", [update_id]))


def sha1(path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_update_stores_processes_groups_and_publishes_then_changes_nothing(tmp_path):
    port = str(free_port())
    db, published = tmp_path / "corpus.db", tmp_path / "published.db"
    # First one outlet, then the whole sample site: the second update publishes a new snapshot.
    first = corpus(tmp_path, "update", "--sample", "--sample-port", port, "--source", "vestnik")
    assert first.returncode == 0, first.stderr
    assert stages(db, 1) == {"crawl": "ok", "process": "ok", "group": "ok", "publish": "ok"}
    reader = sqlite3.connect(f"file:{published}?mode=ro", uri=True)
    reader.execute("BEGIN")
    before = reader.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert before == 11  # vestnik: 14 articles, 3 of them irrelevant

    second = corpus(tmp_path, "update", "--sample", "--sample-port", port)
    assert second.returncode == 0, second.stderr
    assert stages(db, 2) == {"crawl": "ok", "process": "ok", "group": "ok", "publish": "ok"}
    # A reader of the old snapshot keeps reading it whole; a new one opens the new snapshot.
    assert reader.execute("SELECT count(*) FROM documents").fetchone()[0] == before
    reader.close()
    assert query(published, "SELECT count(*) FROM documents") == [(35,)]
    assert query(published, "SELECT count(*) FROM cases")[0][0] > 0
    assert query(published, "PRAGMA journal_mode") == [("delete",)]  # one file, served immutable
    assert not list(tmp_path.glob(".published.db.*"))  # no temporary file left behind

    snapshot = sha1(published)
    third = corpus(tmp_path, "update", "--sample", "--sample-port", port)
    assert third.returncode == 0, third.stderr
    assert stages(db, 3) == {"crawl": "ok", "process": "ok", "group": "skipped", "publish": "skipped"}
    assert sha1(published) == snapshot
    detail = query(db, "SELECT counts FROM update_stages WHERE update_id = 3 AND stage = 'crawl'")[0][0]
    assert json.loads(detail)["stored"] == 0


@pytest.mark.parametrize("command", ["crawl", "update"])
def test_a_second_crawl_or_update_stops_at_the_lock_before_starting_a_server(tmp_path, command):
    db = tmp_path / "corpus.db"
    port = free_port()
    with crawl_lock(db), socket.socket() as busy:
        # What a running crawl holds: the lock beside the database and the sample site's port.
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = corpus(tmp_path, command, "--sample", "--sample-port", str(port), "--db", str(db))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Error: another crawl is running on ")
    assert f"lock {db}.crawl.lock" in result.stderr
    assert "Address already in use" not in result.stderr and "Traceback" not in result.stderr
