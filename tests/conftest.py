"""Shared fixtures: real SQLite files, the real sample site on a free port, one demo corpus."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cli import cli

# The models directory defaults to models/ of the current directory; the tests use the checkout's
# wherever they run from (make sets it as well).
os.environ.setdefault("CORPUS_MODELS_DIR", str(Path(__file__).resolve().parent.parent / "models"))



def insert_processed_document(db, doc_id: str, **columns) -> None:
    """A processed report row written straight into a corpus database, with empty facts unless
    `columns` gives them (lists are stored as JSON, as `corpus process` stores them)."""
    row = {"id": doc_id, "url": f"http://x/{doc_id}", "canonical_url": f"http://x/{doc_id}", "source": None,
           "lang": "ru", "title": f"title {doc_id}", "text": f"text {doc_id}", "published": "2020-01-01",
           "content_hash": doc_id, "processed_hash": doc_id, "is_case_report": 1, "places": "[]",
           "articles": "[]", "penalties": "[]", "event_dates": "[]", "orgs": "[]", "platforms": "[]",
           "persons": "[]", "names": "[]"}
    row.update({k: json.dumps(v) if isinstance(v, list) else v for k, v in columns.items()})
    db["documents"].insert(row)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_corpus(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """The `corpus` command in a process of its own (Scrapy's reactor runs once per process)."""
    return subprocess.run([sys.executable, "-m", "corpus.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def sample_port() -> int:
    return free_port()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, sample_port) -> Path:
    """A corpus built by `corpus demo --no-serve`: a real crawl, extraction and grouping."""
    path = tmp_path_factory.mktemp("demo") / "corpus.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(path), "--sample-port", str(sample_port)])
    assert result.exit_code == 0, result.output
    return path


@contextmanager
def serve_copy(source: Path, directory: Path):
    """`corpus serve` in a subprocess, as a researcher runs it, over a copy of `source` in
    `directory`; yields the server's base URL."""
    db = directory / "corpus.db"
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    port = free_port()
    log = (directory / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "serve", "--db", str(db), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json", timeout=60)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
