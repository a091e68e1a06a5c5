"""Curation: corrections, merges, splits and reviews outlive every regrouping and reprocessing,
through the real command line over real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from corpus.cases import run_group
from corpus.cli import cli
from corpus.database import open_db

from conftest import insert_processed_document

SEMEY = {"places": ["kz-semey"], "articles": ["KZ-CC 256"],
         "penalties": [{"kind": "prison", "min_years": 7, "max_years": 7}]}
TARAZ = {"places": ["kz-taraz"], "articles": ["KZ-CC 174"]}




def build(path: Path) -> Path:
    """Two cases: Semey (a1, a2) and Taraz (b1), grouped by their signatures."""
    db = open_db(path)
    insert_processed_document(db, "a1", **SEMEY)
    insert_processed_document(db, "a2", **SEMEY, lang="en")
    insert_processed_document(db, "b1", **TARAZ)
    regroup(path)
    return path


def regroup(path: Path) -> None:
    db = open_db(path)
    run_group(db, use_embeddings=False)
    db.conn.close()


def case_of(path: Path, doc_id: str) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT case_id FROM case_documents WHERE document_id = ?", [doc_id]).fetchone()[0]


def case(path: Path, case_id: str) -> dict:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM cases WHERE id = ?", [case_id]).fetchone()
    return dict(row) if row else None


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


@pytest.fixture
def corpus(tmp_path) -> Path:
    return build(tmp_path / "corpus.db")


def test_a_correction_survives_regrouping_and_is_listed(runner, corpus):
    semey = case_of(corpus, "a1")
    assert case(corpus, semey)["region"] == "Abai region"
    result = run(runner, "correct", semey, "region", "Ulytau region", "--note", "court in Zhezkazgan",
                 "--by", "aigerim", "--db", corpus)
    assert result.exit_code == 0, result.output
    for _ in range(2):
        regroup(corpus)
    row = case(corpus, semey)
    assert row["region"] == "Ulytau region"
    assert json.loads(row["corrected_fields"]) == ["region"]
    assert json.loads(row["machine_values"]) == {"region": "Abai region"}
    listed = run(runner, "corrections", "--format", "csv", "--db", corpus)
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["case_id"], r["field"], r["machine_value"], r["value"], r["note"], r["by"]) for r in rows] == [
        (semey, "region", "Abai region", "Ulytau region", "court in Zhezkazgan", "aigerim")]


def test_a_penalty_and_articles_are_corrected_as_a_whole(runner, corpus):
    semey = case_of(corpus, "a1")
    assert run(runner, "correct", semey, "penalty", "prison 5-8", "--db", corpus).exit_code == 0
    assert run(runner, "correct", semey, "articles", "KZ-CC 256; KZ-CC 174", "--db", corpus).exit_code == 0
    regroup(corpus)
    row = case(corpus, semey)
    assert (row["penalty_kind"], row["penalty_min_years"], row["penalty_max_years"]) == ("prison", 5, 8)
    assert json.loads(row["articles"]) == ["KZ-CC 174", "KZ-CC 256"]


@pytest.mark.parametrize("field, value, message", [
    ("region", "Atlantis", "not a region in the gazetteer"),
    ("region", "Semey", "not a region in the gazetteer"),
    ("articles", "KZ-CC 9999", "has no article 9999"),
    ("articles", "256", "not an article"),
    ("penalty", "prison", "needs its years"),
    ("penalty", "flogging 3", "not a penalty"),
    ("stage", "sentenced", "not one of"),
    ("convicted_count", "several", "must be a number"),
    ("convicted_count", "100000", "between 0"),
    ("colour", "red", "no field 'colour'"),
])
def test_a_bad_value_is_refused_and_changes_nothing(runner, corpus, field, value, message):
    semey = case_of(corpus, "a1")
    before = case(corpus, semey)
    result = run(runner, "correct", semey, field, value, "--db", corpus)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and message in result.output and result.output.count("\n") == 1
    assert case(corpus, semey) == before
    with sqlite3.connect(corpus) as conn:
        assert conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_an_unknown_id_is_refused(runner, corpus):
    result = run(runner, "correct", "case-nope", "region", "Ulytau region", "--db", corpus)
    assert result.exit_code == 2 and "no case or document 'case-nope'" in result.output


def test_merge_and_split_survive_regrouping(runner, corpus):
    semey, taraz = case_of(corpus, "a1"), case_of(corpus, "b1")
    result = run(runner, "merge-cases", semey, taraz, "--note", "same defendant", "--db", corpus)
    assert result.exit_code == 0, result.output
    regroup(corpus)
    assert {case_of(corpus, d) for d in ("a1", "a2", "b1")} == {semey}
    assert case(corpus, taraz) is None and case(corpus, semey)["n_documents"] == 3
    with sqlite3.connect(corpus) as conn:
        assert (taraz, "merged_into", semey) in conn.execute(
            "SELECT case_id, event, other_case_id FROM case_history").fetchall()

    result = run(runner, "split-case", semey, "a2", "--db", corpus)
    assert result.exit_code == 0, result.output
    split = result.stdout.strip()
    for _ in range(2):
        regroup(corpus)
    assert case_of(corpus, "a2") == split != semey
    assert case_of(corpus, "a1") == case_of(corpus, "b1") == semey
    assert case(corpus, split)["n_documents"] == 1


def test_a_correction_follows_a_merged_case(runner, corpus):
    semey, taraz = case_of(corpus, "a1"), case_of(corpus, "b1")
    assert run(runner, "correct", taraz, "stage", "verdict", "--db", corpus).exit_code == 0
    assert run(runner, "merge-cases", semey, taraz, "--db", corpus).exit_code == 0
    regroup(corpus)
    assert case(corpus, semey)["stage"] == "verdict"
    listed = run(runner, "corrections", "--format", "csv", "--db", corpus)
    assert [r["case_id"] for r in csv.DictReader(io.StringIO(listed.stdout))] == [semey]


def test_split_and_merge_refuse_what_cannot_be(runner, corpus):
    semey, taraz = case_of(corpus, "a1"), case_of(corpus, "b1")
    assert "itself" in run(runner, "merge-cases", semey, semey, "--db", corpus).output
    assert "not reports of case" in run(runner, "split-case", semey, "b1", "--db", corpus).output
    assert "all the reports" in run(runner, "split-case", semey, "a1", "a2", "--db", corpus).output
    assert run(runner, "merge-cases", semey, "case-nope", "--db", corpus).exit_code == 2


def test_a_corrected_case_whose_reports_change_is_flagged_for_review(runner, corpus):
    semey = case_of(corpus, "a1")
    assert run(runner, "correct", semey, "region", "Ulytau region", "--db", corpus).exit_code == 0
    assert run(runner, "review", semey, "--status", "reviewed", "--db", corpus).exit_code == 0
    regroup(corpus)
    assert (case(corpus, semey)["review_status"], case(corpus, semey)["review_flag"]) == ("reviewed", None)
    # A new report joins the case: the correction stays, the case needs a person again.
    db = open_db(corpus)
    insert_processed_document(db, "a3", **SEMEY)
    db.conn.close()
    regroup(corpus)
    row = case(corpus, semey)
    assert case_of(corpus, "a3") == semey and row["region"] == "Ulytau region"
    assert row["review_status"] == "unreviewed" and "1 joined" in row["review_flag"]
    assert run(runner, "review", semey, "--status", "reviewed", "--db", corpus).exit_code == 0
    regroup(corpus)
    assert (case(corpus, semey)["review_status"], case(corpus, semey)["review_flag"]) == ("reviewed", None)


def test_a_correction_whose_machine_value_changes_is_flagged(runner, corpus):
    semey = case_of(corpus, "a1")
    assert run(runner, "correct", semey, "stage", "verdict", "--db", corpus).exit_code == 0
    db = open_db(corpus)
    for doc in ("a1", "a2"):
        db["documents"].update(doc, {"stage": "appeal"})
    db.conn.close()
    regroup(corpus)
    row = case(corpus, semey)
    assert row["stage"] == "verdict" and json.loads(row["machine_values"]) == {"stage": "appeal"}
    assert row["review_status"] == "unreviewed" and "machine's stage is now 'appeal'" in row["review_flag"]


def test_a_document_correction_is_applied_and_outlives_extraction_rewriting_it(runner, corpus):
    taraz = case_of(corpus, "b1")
    result = run(runner, "correct", "b1", "is_case_report", "0", "--note", "a statistics piece", "--db", corpus)
    assert result.exit_code == 0, result.output
    assert case(corpus, taraz) is None
    # Extraction writes the machine's value again; the next stage puts the correction back.
    db = open_db(corpus)
    db["documents"].update("b1", {"is_case_report": 1})
    db.conn.close()
    regroup(corpus)
    with sqlite3.connect(corpus) as conn:
        assert conn.execute("SELECT is_case_report FROM documents WHERE id = 'b1'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM case_documents WHERE document_id = 'b1'").fetchone()[0] == 0


def test_corrections_csv_round_trip(runner, tmp_path):
    first, second = build(tmp_path / "one.db"), build(tmp_path / "two.db")
    semey = case_of(first, "a1")
    assert case_of(second, "a1") == semey  # ids come from the reports, the same in every copy
    run(runner, "correct", semey, "region", "Ulytau region", "--note", "a; \"quoted\", note", "--db", first)
    run(runner, "correct", semey, "penalty", "prison 5-8", "--by", "dana", "--db", first)
    run(runner, "correct", "b1", "stage", "trial", "--db", first)
    exported = tmp_path / "corrections.csv"
    assert run(runner, "corrections", "--format", "csv", "-o", exported, "--db", first).exit_code == 0
    result = run(runner, "corrections", "--import", exported, "--db", second)
    assert result.exit_code == 0 and "imported 3 corrections" in result.output

    def listed(path):
        rows = list(csv.DictReader(io.StringIO(run(runner, "corrections", "--format", "csv", "--db", path).stdout)))
        return [{k: r[k] for k in ("target", "target_id", "case_id", "field", "machine_value", "value", "note",
                                   "by", "at")} for r in rows]
    assert listed(second) == listed(first)
    assert case(second, semey)["region"] == "Ulytau region"
    again = run(runner, "corrections", "--import", exported, "--db", second)
    assert "imported 0 corrections (3 already here)" in again.output


def test_an_import_with_a_bad_row_imports_nothing(runner, corpus, tmp_path):
    semey = case_of(corpus, "a1")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"target_id,field,value\n{semey},region,Ulytau region\n{semey},region,Atlantis\n", "utf-8")
    result = run(runner, "corrections", "--import", bad, "--db", corpus)
    assert result.exit_code == 2 and result.output.startswith("Error: line 3: region:")
    with sqlite3.connect(corpus) as conn:
        assert conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


@pytest.mark.slow
def test_on_the_demo_a_correction_outlives_process_all_and_group_rebuild(runner, demo_db, tmp_path):
    path = tmp_path / "corpus.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    target = next(r for r in open_db(path).query("SELECT id FROM cases WHERE region != 'Ulytau region' ORDER BY id"))["id"]
    result = run(runner, "correct", target, "region", "Ulytau region", "--note", "the court sits in Zhezkazgan",
                 "--db", path)
    assert result.exit_code == 0, result.output
    assert run(runner, "process", "--all", "--db", path).exit_code == 0
    assert run(runner, "group", "--rebuild", "--db", path).exit_code == 0
    assert case(path, target)["region"] == "Ulytau region"
    listed = run(runner, "corrections", "--db", path).stdout
    assert target in listed and "Ulytau region" in listed and "the court sits in Zhezkazgan" in listed
    out = tmp_path / "cases.csv"
    assert run(runner, "export", "cases", "-o", out, "--db", path).exit_code == 0
    exported = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert exported[target]["region"] == "Ulytau region" and exported[target]["corrected_fields"] == "region"
    assert {r["review_status"] for r in exported.values()} == {"unreviewed"}


def test_the_report_counts_reviewed_cases_and_can_keep_to_them(runner, corpus, tmp_path):
    semey = case_of(corpus, "a1")
    refused = run(runner, "report", "--reviewed-only", "-o", tmp_path / "none", "--db", corpus)
    assert refused.exit_code == 2 and "none of the 2 cases is reviewed" in refused.output
    assert run(runner, "review", semey, "--status", "reviewed", "--db", corpus).exit_code == 0
    result = run(runner, "report", "--reviewed-only", "-o", tmp_path / "report", "--db", corpus)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report" / "index.html").read_text("utf-8")
    assert '<span class=counts data-count="cases">1</span>' in page
    assert ('<span class=counts data-count="reviewed_cases">1</span> of '
            '<span class=counts data-count="all_cases">2</span>') in page
