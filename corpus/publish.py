"""Publish a snapshot: a consistent copy of the working database that `corpus serve` reads.

SQLite's backup API copies the database as of one moment, even while another process writes
it. The copy is written beside the target under a temporary name, checked, made a single file
(no write-ahead log: it is served immutable) and renamed over the target in one step, so a
server or reader that has the old snapshot open keeps reading it, whole, and the next one to
open the name gets the new one.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from corpus.database import StoreError


@dataclass
class PublishResult:
    path: Path
    documents: int
    cases: int
    bytes: int


def publish_snapshot(db_path: str | Path, target: str | Path) -> PublishResult:
    db_path, target = Path(db_path), Path(target)
    if db_path.resolve() == target.resolve():
        raise StoreError(f"cannot publish {db_path} over itself: name another file")
    if not target.parent.is_dir():
        raise StoreError(f"cannot publish to {target}: {target.parent} is not a directory")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(tmp)
        try:
            with copy:
                source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise StoreError(f"the snapshot of {db_path} failed its check ({problem}): nothing published")
            documents = copy.execute("SELECT count(*) FROM documents").fetchone()[0]
            cases = copy.execute("SELECT count(*) FROM cases").fetchone()[0]
        finally:
            copy.close()
            source.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: readers see the old file or the new, never a mix
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PublishResult(target, documents, cases, target.stat().st_size)
