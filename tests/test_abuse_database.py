"""The database file under abuse: another application's SQLite file, a file of an earlier
version, a damaged file, two stages at once, and readers during a rebuild.

Every command must refuse a file that is not a corpus database without changing a byte of
it; a damaged file is a one-line error; a stage's writes are one transaction per unit of
work, so a reader (`corpus serve --live`) sees the old state or the new one, and two stages
on one database end as one would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from corpus.cli import cli
from corpus.database import StoreError, open_db
from corpus.locks import stage_lock
from corpus.schema import APPLICATION_ID, SCHEMA_VERSION

from conftest import free_port

CORPUS = [sys.executable, "-m", "corpus.cli"]


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def copy_db(src: Path, dst: Path) -> Path:
    """A copy of a corpus with its write-ahead log folded in: the copy is one file."""
    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copy(src, dst)
    return dst


def header(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def commands(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Every command that opens the database, with the arguments to run it offline."""
    db = ["--db", str(path)]
    port = str(free_port())
    return {
        "process": ["process", *db], "process --all": ["process", "--all", *db],
        "group": ["group", *db], "group --rebuild": ["group", "--rebuild", *db],
        "reextract": ["reextract", *db], "runs": ["runs", *db],
        "export cases": ["export", "cases", *db], "export documents": ["export", "documents", *db],
        "export mentions": ["export", "mentions", "-o", str(tmp_path / "mentions.csv"), *db],
        "report": ["report", "-o", str(tmp_path / "report"), *db],
        "serve": ["serve", "--port", port, *db], "serve --live": ["serve", "--live", "--port", port, *db],
        "crawl": ["crawl", "--sample", "--sample-port", str(free_port()), *db],
        "demo": ["demo", "--no-serve", "--sample-port", str(free_port()), *db],
    }


def invoke(args: list[str]):
    """Run a command in this process; `serve` in its own, with a time limit, since a serve that
    wrongly accepts the file would never return."""
    if args[0] != "serve":
        return CliRunner().invoke(cli, args)
    proc = subprocess.run(CORPUS + args, capture_output=True, text=True, timeout=60)
    return SimpleNamespace(exit_code=proc.returncode, stderr=proc.stderr, output=proc.stdout + proc.stderr,
                           exception=SystemExit(proc.returncode))


def one_line_error(result) -> str:
    """The command failed with exit code 2 and one "Error:" line on stderr, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


# -- another application's file ------------------------------------------------------------

def other_application_db(path: Path) -> Path:
    """A notes application's database that happens to have a `documents` table."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, name TEXT, body BLOB, modified TEXT)")
    conn.execute("CREATE TABLE tags (document_id INTEGER, tag TEXT)")
    conn.executemany("INSERT INTO documents (name, body) VALUES (?, ?)", [("a", b"\x00\x01"), ("b", b"text")])
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", list(commands(Path("x"), Path("x"))))
def test_another_applications_file_is_refused_untouched(command, tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir()
    path = other_application_db(folder / "notes.db")
    before = sha1(path)
    error = one_line_error(invoke(commands(path, tmp_path)[command]))
    assert str(path) in error and "not a corpus database" in error
    assert sha1(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["notes.db"]  # no journal, no lock file


def test_a_sqlite_file_stamped_by_another_application_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = sha1(path)
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a corpus database.*application id is 0x4d2"):
            open_db(path, readonly=readonly)
    assert sha1(path) == before


def test_a_file_of_a_newer_schema_is_refused_untouched(demo_db, tmp_path):
    path = copy_db(demo_db, tmp_path / "newer.db")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = sha1(path)
    for args in (["process"], ["runs"], ["export", "cases"]):
        error = one_line_error(CliRunner().invoke(cli, [*args, "--db", str(path)]))
        assert "newer version of corpus" in error
    assert sha1(path) == before


# -- new files and files of an earlier version ----------------------------------------------

def test_an_empty_or_missing_file_becomes_a_stamped_corpus_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "missing.db"):
        open_db(path).conn.close()
        assert header(path) == (APPLICATION_ID, SCHEMA_VERSION)
        open_db(path).conn.close()  # and it is recognised as one afterwards


def earlier_version_db(demo_db: Path, path: Path) -> Path:
    """The demo corpus as an earlier version left it: no application id, user_version 1 (as
    some wrote), and tables and columns that came later missing."""
    copy_db(demo_db, path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("DROP TABLE similar_cases")
    conn.execute("ALTER TABLE crawl_runs DROP COLUMN workers")
    conn.execute("ALTER TABLE crawl_runs DROP COLUMN resumed")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def test_a_file_of_an_earlier_version_is_read_as_it_is_and_stamped_by_a_writer(demo_db, tmp_path):
    path = earlier_version_db(demo_db, tmp_path / "earlier.db")
    before = sha1(path)
    runner = CliRunner()
    # Read-only commands read it and write nothing, not even the stamp.
    runs = runner.invoke(cli, ["runs", "--json", "--db", str(path)])
    assert runs.exit_code == 0, runs.output
    assert json.loads(runs.stdout.splitlines()[0])["status"] == "ok"
    exported = runner.invoke(cli, ["export", "cases", "--format", "jsonl", "--db", str(path)])
    assert exported.exit_code == 0, exported.output
    assert len(exported.stdout.splitlines()) == open_db(demo_db, readonly=True)["cases"].count
    assert sha1(path) == before and header(path) == (0, 1)
    # A writer recognises it by its tables, adds what is missing and stamps it.
    processed = runner.invoke(cli, ["process", "--db", str(path)])
    assert processed.exit_code == 0, processed.output
    assert header(path) == (APPLICATION_ID, SCHEMA_VERSION)
    db = open_db(path, readonly=True)
    assert db["similar_cases"].exists() and {"workers", "resumed"} <= set(db["crawl_runs"].columns_dict)
    assert db["documents"].count == open_db(demo_db, readonly=True)["documents"].count


# -- a damaged file -------------------------------------------------------------------------

DAMAGED_TABLES = ("documents", "mentions", "cases", "case_documents", "crawl_runs", "raw_pages", "rejected_pages")


@pytest.fixture(scope="module")
def damaged_db(demo_db, tmp_path_factory) -> Path:
    """The demo corpus with the first page of its main tables overwritten: the header and the
    schema are intact, the rows cannot be read."""
    path = copy_db(demo_db, tmp_path_factory.mktemp("damaged") / "corpus.db")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    roots = [r[0] for r in conn.execute(
        f"SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name IN ({', '.join('?' * len(DAMAGED_TABLES))})",
        DAMAGED_TABLES)]
    conn.close()
    assert len(roots) == len(DAMAGED_TABLES) and min(roots) > 1
    with open(path, "r+b") as fh:
        for root in roots:
            fh.seek((root - 1) * page_size + 8)
            fh.write(b"\xa5" * (page_size - 16))
    return path


DAMAGE_COMMANDS = ["process", "process --all", "group", "group --rebuild", "reextract", "runs",
                   "export cases", "export documents", "export mentions", "report"]


@pytest.mark.parametrize("command", DAMAGE_COMMANDS)
def test_a_damaged_database_is_a_one_line_error(command, damaged_db, tmp_path):
    path = copy_db(damaged_db, tmp_path / "corpus.db")
    result = CliRunner().invoke(cli, commands(path, tmp_path)[command])
    error = one_line_error(result)
    assert "malformed" in error and f'sqlite3 {path} "PRAGMA integrity_check"' in error


# -- one stage at a time, one transaction per unit of work -----------------------------------

@pytest.mark.parametrize("command", ["process --all", "group", "reextract"])
def test_a_second_stage_on_the_same_database_exits_at_once_naming_the_first(command, demo_db, tmp_path):
    path = copy_db(demo_db, tmp_path / "corpus.db")
    before = sha1(path)
    with stage_lock(path, "process"):
        error = one_line_error(CliRunner().invoke(cli, commands(path, tmp_path)[command]))
    assert f"another stage is running on {path}" in error and '"stage": "process"' in error
    copy_db(path, tmp_path / "after.db")
    assert sha1(tmp_path / "after.db") == before


def mentions_per_document(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT document_id, kind, value, start, [end], frame FROM mentions "
                        "ORDER BY document_id, kind, value, start, frame").fetchall()
    conn.close()
    out: dict[str, list[tuple]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row[1:])
    return out


class Reader:
    """A second connection, as `corpus serve --live` has, that looks at the database before
    every statement the writer runs (sqlite3 trace callback): what it sees is what a reader
    polling at the worst moments would see."""

    def __init__(self, path: Path, query: str):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.query, self.seen = query, []

    def __call__(self, statement: str) -> None:
        self.seen.append(self.conn.execute(self.query).fetchone())


def test_a_reader_sees_each_process_batch_whole_or_not_at_all(demo_db, tmp_path):
    from corpus.process import run_process

    path = copy_db(demo_db, tmp_path / "corpus.db")
    expected = mentions_per_document(path)
    db = open_db(path)
    some = [r[0] for r in db.execute("SELECT id FROM documents d WHERE EXISTS "
                                     "(SELECT 1 FROM mentions m WHERE m.document_id = d.id) ORDER BY id LIMIT 3")]
    db.execute(f"UPDATE documents SET processed_hash = NULL WHERE id IN ({', '.join('?' * len(some))})", some)
    total = sum(len(v) for v in expected.values())
    reader = Reader(path, "SELECT count(*) FROM mentions")
    db.conn.set_trace_callback(reader)
    result = run_process(db, batch_size=1)
    db.conn.set_trace_callback(None)
    assert result.processed == 3
    # Each document's mentions are deleted and written again in its batch's transaction.
    assert reader.seen and set(reader.seen) == {(total,)}
    assert mentions_per_document(path) == expected


def test_a_reader_sees_the_old_cases_or_the_new_ones_never_a_half_rebuilt_state(demo_db, tmp_path):
    from corpus.cases import run_group

    path = copy_db(demo_db, tmp_path / "corpus.db")
    db = open_db(path)
    new = db.execute("SELECT count(*), count(DISTINCT case_id) FROM case_documents").fetchone()
    # An older state to rebuild from: the largest case has lost its links.
    largest = db.execute("SELECT case_id FROM case_documents GROUP BY case_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    db.execute("DELETE FROM case_documents WHERE case_id = ?", [largest])
    old = db.execute("SELECT count(*), count(DISTINCT case_id) FROM case_documents").fetchone()
    assert old != new
    reader = Reader(path, "SELECT count(*), count(DISTINCT case_id) FROM case_documents")
    db.conn.set_trace_callback(reader)
    run_group(db)
    db.conn.set_trace_callback(None)
    assert reader.seen and set(reader.seen) <= {old, new}
    assert db.execute("SELECT count(*), count(DISTINCT case_id) FROM case_documents").fetchone() == new


def run_twice_at_once(args: list[str]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(CORPUS + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate()) for p in procs]


def ran_or_was_refused(results: list[subprocess.CompletedProcess], path: Path) -> None:
    """Each run finished, or exited 2 at once because the other held the stage lock."""
    assert any(r.returncode == 0 for r in results), [r.stderr for r in results]
    for r in results:
        assert r.returncode == 0 or (r.returncode == 2 and f"another stage is running on {path}" in r.stderr), r.stderr
        assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_two_process_runs_at_once_end_with_what_one_run_writes(demo_db, tmp_path):
    path = copy_db(demo_db, tmp_path / "corpus.db")
    expected = mentions_per_document(path)  # the demo's own single run
    results = run_twice_at_once(["process", "--all", "--batch-size", "1", "--db", str(path)])
    ran_or_was_refused(results, path)
    assert mentions_per_document(path) == expected


@pytest.mark.slow
def test_two_group_rebuilds_at_once_end_with_what_one_run_writes(demo_db, tmp_path):
    path = copy_db(demo_db, tmp_path / "corpus.db")

    def cases(p: Path):
        conn = sqlite3.connect(p)
        links = conn.execute("SELECT case_id, document_id FROM case_documents ORDER BY document_id").fetchall()
        history = conn.execute("SELECT count(*) FROM case_history").fetchone()[0]
        conn.close()
        return links, history

    reference = copy_db(path, tmp_path / "reference.db")
    subprocess.run(CORPUS + ["group", "--rebuild", "--db", str(reference)], check=True, capture_output=True)
    results = run_twice_at_once(["group", "--rebuild", "--db", str(path)])
    ran_or_was_refused(results, path)
    assert cases(path) == cases(reference)
