"""Why each report is in its case: kept in the database with the grouping, printed by
`corpus group --explain`, and the same line on the case page."""

from __future__ import annotations

import json
from functools import partial

from click.testing import CliRunner

from corpus.cases import run_group
from corpus.cli import cli
from corpus.database import open_db
from nlp.cases import explain_case

from conftest import insert_processed_document


_insert_doc = partial(insert_processed_document, published="2023-04-18")


SEMEY = {"places": ["kz-semey"], "articles": ["KZ-CC 256"],
         "penalties": [{"kind": "prison", "min_years": 7, "max_years": 7}], "persons": [{"age": 39, "gender": "female"}]}


def _corpus(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(path)
    _insert_doc(db, "a1", **SEMEY, names=["bkrv"])
    _insert_doc(db, "a2", **SEMEY, lang="en", published="2023-04-19", names=["bkrv"])
    _insert_doc(db, "b1", places=["kz-taraz"], articles=["KZ-CC 258"])
    return path, db


def test_each_report_records_the_report_it_links_to_and_the_facts_shared(tmp_path):
    path, db = _corpus(tmp_path)
    run_group(db, use_embeddings=False)
    rows = {r["document_id"]: r for r in db.query("SELECT * FROM case_documents")}
    assert rows["a1"]["linked_to"] == "a2" and rows["a2"]["linked_to"] == "a1"
    assert rows["a1"]["case_id"] == rows["a2"]["case_id"] != rows["b1"]["case_id"]
    line = rows["a1"]["explanation"]
    assert line.startswith("Linked to a2 (score ")
    for fact in ("place Semey", "article KZ-CC 256", "term prison 7", "age 39", "name bkrv"):
        assert fact in line
    assert "Checked against 1 other report (" in line and "no contradiction" in line
    assert "{" not in line  # plain language, no JSON
    evidence = json.loads(rows["a1"]["evidence"])
    assert evidence["contradictions"] == [] and ["place", "kz-semey"] in evidence["shared"]
    assert rows["b1"]["linked_to"] is None and rows["b1"]["explanation"] == "The only report of this case."


def test_group_explain_prints_why_and_survives_a_rebuild(tmp_path):
    path, db = _corpus(tmp_path)
    db.conn.close()
    runner = CliRunner()
    assert runner.invoke(cli, ["group", "--db", str(path)]).exit_code == 0
    case_id = open_db(path).execute("SELECT case_id FROM case_documents WHERE document_id = 'a1'").fetchone()[0]
    first = runner.invoke(cli, ["group", "--explain", case_id, "--db", str(path)])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == f"case {case_id}: 2 reports"
    assert lines[1].startswith("a1  ru  2023-04-18  title a1") and lines[2].strip().startswith("Linked to a2")
    assert lines[3].startswith("a2  en  2023-04-19") and lines[4].strip().startswith("Linked to a1")
    assert "similarity" in lines[2]  # the embeddings' part of the score is stated
    assert runner.invoke(cli, ["group", "--rebuild", "--db", str(path)]).exit_code == 0
    again = runner.invoke(cli, ["group", "--explain", case_id, "--db", str(path)])
    assert again.exit_code == 0 and again.output == first.output


def test_an_unknown_case_is_a_one_line_error(tmp_path):
    path, db = _corpus(tmp_path)
    run_group(db, use_embeddings=False)
    result = CliRunner().invoke(cli, ["group", "--explain", "case-nope", "--db", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: no case 'case-nope' in {path} (case ids are in the cases table)"]


def test_a_contradiction_kept_by_a_merge_is_named():
    a = {"id": "a", **SEMEY, "regions": ["kz-abai-region"]}
    b = {**a, "id": "b"}
    c = {**a, "id": "c", "penalties": [{"kind": "prison", "min_years": 5, "max_years": 5}]}
    why = {e["document_id"]: e for e in explain_case([a, b, c])}
    assert why["a"]["linked_to"] == "b"
    assert why["a"]["contradictions"] == [("c", "term", "prison 7 vs prison 5")]
    assert "c: term prison 7 vs prison 5" in why["a"]["reason"]
    assert why["c"]["linked_to"] is None and "person's merge" in why["c"]["reason"]
