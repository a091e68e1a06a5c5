"""`corpus serve --workers N`: N server processes answer on one port, and a signal stops them all.
The real command, started as a process, over a real SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from corpus.database import open_db

from conftest import free_port, wait_for


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("workers") / "corpus.db"
    db = open_db(path)
    db["sources"].insert({"name": "monitor", "title": "Monitor"})
    db["documents"].insert_all(
        {"id": f"d{i:03d}", "url": f"http://x/{i}", "source": "monitor", "lang": "en", "title": f"Report {i}",
         "text": f"Report {i}: convicted in Semey.", "published": f"20{10 + i % 15}-01-01"} for i in range(20))
    db.conn.close()
    return path


def children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not serving.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


def start(db: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "corpus.cli", "serve", "--db", str(db), "--port", str(port),
                             "--workers", "2", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_answer_on_one_port_and_a_signal_stops_them_all(corpus_db, stop):
    port = free_port()
    proc = start(corpus_db, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        workers = children(proc.pid)
        assert len(workers) == 2 and all(alive(w) for w in workers)
        url = f"http://127.0.0.1:{port}/corpus/documents.json?_shape=array&_size=5"
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: httpx.get(url, timeout=30), range(60)))
        assert [a.status_code for a in answers] == [200] * 60
        assert all(len(a.json()) == 5 for a in answers)
        proc.send_signal(stop)
        assert proc.wait(timeout=30) == 0
        assert not any(alive(w) for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"(2 processes)" in proc.stderr.read()


def test_a_port_in_use_is_a_one_line_error(corpus_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        proc = start(corpus_db, taken.getsockname()[1])
        out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot listen on 127.0.0.1:"), lines


def test_a_port_another_corpus_serve_holds_is_refused(corpus_db):
    port = free_port()
    first = start(corpus_db, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        second = start(corpus_db, port)
        out, err = second.communicate(timeout=60)
        assert second.returncode != 0 and err.decode().startswith("Error: cannot listen on")
    finally:
        first.terminate()
        first.wait(timeout=30)
