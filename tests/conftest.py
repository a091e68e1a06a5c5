"""Shared fixtures: real SQLite files, the real sample site on a free port, one demo corpus."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
