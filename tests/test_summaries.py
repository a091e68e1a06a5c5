"""Summary tables (corpus/summaries.py) hold exactly the live aggregates after every command that
changes cases or reports, run through the real command line over real SQLite files."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

import pytest

from corpus import summaries
from corpus.cases import run_group
from corpus.cli import cli
from corpus.database import open_db

from conftest import insert_processed_document


insert_doc = partial(insert_processed_document, source="monitor")


def assert_fresh(path: Path) -> None:
    db = open_db(path)
    for name in summaries.SUMMARIES:
        assert summaries.stored(db, name) == summaries.live(db, name), name
    db.conn.close()


def run(runner, *args):
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def case_of(path: Path, doc_id: str) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT case_id FROM case_documents WHERE document_id = ?", [doc_id]).fetchone()[0]


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Three cases (Semey with a prison term, Taraz, and one with no place or article) and a report
    with no publication date."""
    path = tmp_path / "corpus.db"
    db = open_db(path)
    db["sources"].insert({"name": "monitor", "title": "Monitor"})
    semey = {"places": ["kz-semey"], "articles": ["KZ-CC 256"],
             "penalties": [{"kind": "prison", "min_years": 7, "max_years": 7}]}
    insert_doc(db, "a1", **semey)
    insert_doc(db, "a2", **semey, lang="en", published="2021-03-04")
    insert_doc(db, "b1", places=["kz-taraz"], articles=["KZ-CC 174"], published=None)
    insert_doc(db, "c1", text="nothing stated", published="2019-05-01")
    db.conn.close()
    return path


def regroup(path: Path) -> None:
    """`corpus group` without the embedding model (its command is run on the demo below)."""
    db = open_db(path)
    run_group(db, use_embeddings=False)
    db.conn.close()


def test_summaries_equal_the_live_aggregates_after_every_curation_command(runner, corpus):
    regroup(corpus)
    assert_fresh(corpus)
    semey = case_of(corpus, "a1")
    taraz = case_of(corpus, "b1")
    run(runner, "correct", semey, "region", "Ulytau region", "--db", corpus)
    assert_fresh(corpus)
    with sqlite3.connect(corpus) as conn:
        assert ("Ulytau region",) in conn.execute("SELECT region FROM summary_cases").fetchall()
    run(runner, "merge-cases", semey, taraz, "--db", corpus)
    assert_fresh(corpus)
    run(runner, "split-case", semey, "b1", "--db", corpus)
    assert_fresh(corpus)
    run(runner, "review", semey, "--status", "reviewed", "--db", corpus)
    assert_fresh(corpus)
    run(runner, "correct", "a2", "stage", "verdict", "--db", corpus)
    assert_fresh(corpus)


def test_not_stated_is_counted_in_the_summaries(corpus):
    regroup(corpus)
    with sqlite3.connect(corpus) as conn:
        facets = dict(conn.execute("SELECT value, count FROM summary_facets WHERE tbl = 'cases' AND col = 'region'"))
        months = dict(conn.execute("SELECT month, sum(reports) FROM summary_coverage GROUP BY month"))
    assert facets[None] == 1  # the case with no place
    assert months[None] == 1 and months["2020-01"] == 1 and months["2021-03"] == 1  # b1 has no date


def test_process_reextract_and_group_refresh_the_summaries(runner, demo_db, tmp_path):
    path = tmp_path / "corpus.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    with sqlite3.connect(path) as conn:  # as if the summaries were from another state of the rows
        conn.execute("DELETE FROM summary_coverage")
        conn.execute("UPDATE summary_facets SET count = count + 1")
    run(runner, "reextract", "--db", path)
    assert_fresh(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM summary_cases")
    run(runner, "process", "--all", "--db", path)
    assert_fresh(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM summary_region_article")
    run(runner, "group", "--db", path)
    assert_fresh(path)
