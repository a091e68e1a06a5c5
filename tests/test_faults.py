"""Faults: kill -9 in the middle of `process` and `group`, a read-only database, a full disk.
Nothing is lost, nothing is duplicated, the file passes integrity_check, errors are one line."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.database import open_db

CORPUS = [sys.executable, "-m", "corpus.cli"]


def _copy(src: Path, dst: Path) -> Path:
    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copy(src, dst)
    return dst


@pytest.fixture(scope="module")
def big_db(demo_db, tmp_path_factory) -> Path:
    """The demo corpus with every document copied three times under new ids: enough batches
    to kill a run in the middle of."""
    path = _copy(demo_db, tmp_path_factory.mktemp("faults") / "big.db")
    db = open_db(path)
    docs = list(db.query("SELECT * FROM documents"))
    with db.conn:
        for n in range(1, 3):
            db["documents"].insert_all(
                {**d, "id": f"{d['id']}-{n}", "url": f"{d['url']}?copy={n}", "canonical_url": f"{d['canonical_url']}?copy={n}",
                 "content_hash": f"{d['content_hash']}-{n}", "duplicate_of": None} for d in docs)
        db.execute("UPDATE documents SET processed_hash = NULL")
        db.execute("DELETE FROM mentions")
    db.conn.close()
    return path


def _connect(path: Path, immutable: bool = False) -> sqlite3.Connection:
    # A file on a read-only filesystem is opened immutable: no -shm/-wal to create.
    return sqlite3.connect(f"file:{path}?immutable=1", uri=True) if immutable else sqlite3.connect(path)


def _integrity(path: Path, immutable: bool = False) -> None:
    conn = _connect(path, immutable)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def _mention_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT document_id, count(*) FROM mentions GROUP BY document_id").fetchall()
    conn.close()
    return dict(rows)


def _kill_when(cmd: list[str], ready, timeout: float = 240) -> int:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and proc.poll() is None:
            if ready():
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        proc.wait(timeout=30)
    return proc.returncode


def _processed(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM documents WHERE processed_hash IS NOT NULL").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_9_during_process_then_rerun_loses_and_duplicates_nothing(big_db, tmp_path):
    reference = _copy(big_db, tmp_path / "reference.db")
    subprocess.run(CORPUS + ["process", "--db", str(reference)], check=True, capture_output=True)
    victim = _copy(big_db, tmp_path / "victim.db")
    total = open_db(victim).execute("SELECT count(*) FROM documents").fetchone()[0]
    code = _kill_when(CORPUS + ["process", "--db", str(victim), "--batch-size", "4"],
                      lambda: 0 < _processed(victim) < total)
    assert code == -signal.SIGKILL, "the run finished before it could be killed"
    _integrity(victim)
    partial = _processed(victim)
    assert 0 < partial < total
    subprocess.run(CORPUS + ["process", "--db", str(victim)], check=True, capture_output=True)
    _integrity(victim)
    assert _processed(victim) == total
    assert _mention_counts(victim) == _mention_counts(reference)


@pytest.mark.slow
def test_kill_9_during_group_then_rerun(big_db, tmp_path):
    path = _copy(big_db, tmp_path / "group.db")
    subprocess.run(CORPUS + ["process", "--db", str(path)], check=True, capture_output=True)

    def embedded() -> bool:
        conn = sqlite3.connect(path, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    code = _kill_when(CORPUS + ["group", "--db", str(path)], embedded)
    assert code == -signal.SIGKILL
    _integrity(path)
    subprocess.run(CORPUS + ["group", "--db", str(path)], check=True, capture_output=True)
    _integrity(path)
    conn = sqlite3.connect(path)
    reports = conn.execute("SELECT count(*) FROM documents WHERE is_case_report = 1").fetchone()[0]
    linked = conn.execute("SELECT count(*), count(DISTINCT document_id) FROM case_documents").fetchone()
    orphans = conn.execute("SELECT count(*) FROM case_documents WHERE case_id NOT IN (SELECT id FROM cases)").fetchone()[0]
    assert linked[0] == linked[1] == reports and orphans == 0
    assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == reports


def _digest(path: Path, immutable: bool = False) -> str:
    conn = _connect(path, immutable)
    rows = conn.execute("SELECT id, content_hash, processed_hash FROM documents ORDER BY id").fetchall()
    mentions = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    conn.close()
    return hashlib.sha1(repr((rows, mentions)).encode()).hexdigest()


def test_read_only_database_is_a_clear_error_and_left_as_it_was(demo_db, tmp_path):
    # A read-only filesystem: even root cannot write there (file modes would not stop root).
    folder = tmp_path / "ro"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)], check=True)
    try:
        path = _copy(demo_db, folder / "corpus.db")
        before = _digest(path)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        result = subprocess.run(CORPUS + ["process", "--all", "--db", str(path)], capture_output=True, text=True)
        assert result.returncode == 2, result.stderr
        assert "read" in result.stderr.lower() and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        _integrity(path, immutable=True)
        assert _digest(path, immutable=True) == before
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk_is_a_clear_error_and_leaves_the_database_as_it_was(demo_db, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        path = _copy(demo_db, mount / "corpus.db")
        conn = sqlite3.connect(path)
        conn.execute("UPDATE documents SET processed_hash = NULL")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        before = _digest(path)
        free = shutil.disk_usage(mount).free
        with open(mount / "filler", "wb") as fh:  # leave about 20 kB
            fh.write(b"\0" * max(0, free - 20_000))
        result = subprocess.run(CORPUS + ["process", "--db", str(path)], capture_output=True, text=True)
        assert result.returncode == 2, result.stderr
        assert "free some disk space" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        os.remove(mount / "filler")
        _integrity(path)
        assert _digest(path) == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
