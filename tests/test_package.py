"""The installable package: the wheel carries metadata.yml, the templates and the plugins, and
`corpus serve` installed from it into a fresh virtualenv publishes a corpus from a directory
outside the checkout."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import free_port, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# Built and local state that is not part of the package source.
NOT_SOURCE = (".git", ".venv", "build", "dist", "models", "test-artifacts", ".crawl", "report",
              "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", "*.db", "*.db-*")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel --no-deps --no-build-isolation .`, run on a copy of the checkout (setuptools
    leaves build/ behind, and would put a stale build/lib into later wheels)."""
    src = tmp_path_factory.mktemp("src") / "corpus"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_carries_metadata_templates_and_plugins(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "corpus/metadata.yml" in names
    for folder in ("templates", "plugins"):
        shipped = {p.name for p in (ROOT / "corpus" / folder).iterdir() if p.suffix in (".html", ".py")}
        assert shipped and {n.rsplit("/", 1)[1] for n in names if n.startswith(f"corpus/{folder}/")} == shipped
    # The sample site the demo crawls and the nlp data ship too.
    assert "crawler/sample_site/articles.yml" in names
    assert any(n.startswith("nlp/data/") for n in names)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed; the dependencies come from this one's
    site-packages through a .pth file (a path line, so this checkout's editable install, itself
    a .pth hook, stays out)."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--disable-pip-version-check", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return venv


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | {
        "PYTHONWARNINGS": "ignore"}


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    where = subprocess.run([installed / "bin" / "python", "-c", "import corpus, nlp, crawler; "
                            "print(corpus.__file__, nlp.__file__, crawler.__file__)"],
                           cwd=tmp_path, env=clean_env(), check=True, capture_output=True, text=True).stdout
    for path in where.split():
        assert Path(path).is_relative_to(installed), where


def test_installed_corpus_serve_publishes_from_another_directory(installed, demo_db, tmp_path):
    """`corpus serve` from a directory with nothing but corpus.db in it: the metadata's title,
    the plugins' case page (templates/row-corpus-cases.html) and their search page answer."""
    assert not tmp_path.is_relative_to(ROOT)
    with sqlite3.connect(demo_db) as src, sqlite3.connect(tmp_path / "corpus.db") as dst:
        src.backup(dst)
        case_id = dst.execute("SELECT id FROM cases ORDER BY id LIMIT 1").fetchone()[0]
    title = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))["title"]
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([installed / "bin" / "corpus", "serve", "--port", str(port)],
                            cwd=tmp_path, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json", timeout=60)

        def page(path: str) -> str:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                return response.read().decode("utf-8")

        assert title in page("/")
        plugins = page("/-/plugins.json")
        for name in ("corpus_pages.py", "corpus_search.py", "corpus_read_only.py", "corpus_cache.py",
                     "corpus_limits.py", "corpus_errors.py"):
            assert name in plugins
        # templates/row-corpus-cases.html, filled by plugins/corpus_pages.py
        assert f'<article class="case-sheet" data-case-id="{case_id}">' in page(f"/corpus/cases/{case_id}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert proc.returncode is not None, (tmp_path / "serve.log").read_text()
