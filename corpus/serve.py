"""Publishing: Datasette over corpus.db with metadata.yml, read-only."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from corpus.store import StoreError, open_db


def metadata_path() -> Path:
    """metadata.yml at the repository root, or the copy packaged with `corpus`."""
    root = Path(__file__).resolve().parent.parent / "metadata.yml"
    if root.exists():
        return root
    return Path(str(resources.files("corpus").joinpath("metadata.yml")))


def datasette_command(db_path: Path, host: str, port: int) -> list[str]:
    plugins = Path(__file__).resolve().parent.parent / "plugins"
    cmd = [sys.executable, "-m", "datasette", "serve", str(db_path), "-m", str(metadata_path()),
           "--host", host, "--port", str(port),
           "--setting", "sql_time_limit_ms", "3000", "--setting", "default_facet_size", "15",
           "--setting", "allow_download", "on"]
    if plugins.is_dir():
        cmd += ["--plugins-dir", str(plugins)]
    return cmd


def prepare(db_path: str | Path) -> Path:
    """Check the database and fold its write-ahead log in, so readers see every row."""
    db_path = Path(db_path)
    db = open_db(db_path, create=False)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return db_path


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette in the foreground until interrupted; returns its exit code."""
    db_path = prepare(db_path)
    cmd = datasette_command(db_path, host, port)
    try:
        return subprocess.call(cmd, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except KeyboardInterrupt:
        return 0


def start(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> subprocess.Popen:
    """Start Datasette in the background (tests, demo); the caller stops it."""
    db_path = prepare(db_path)
    if not db_path.exists():
        raise StoreError(f"database {db_path} does not exist")
    return subprocess.Popen(datasette_command(db_path, host, port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
