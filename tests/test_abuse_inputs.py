"""Hostile or broken input to the command line: every case ends in one line on stderr and a
non-zero exit, never a traceback, and what is written stays strict (JSON without NaN, CSV cells
a spreadsheet does not run)."""

from __future__ import annotations

import json

import pytest

from corpus.cli import cli


def one_line_error(result, *needles: str) -> str:
    """The error line of a failed command, after checking it is one line and no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- corpus group-texts: one checked row per JSON line ------------------------------------------

def group_texts(runner, tmp_path, content: bytes | str):
    path = tmp_path / "in.jsonl"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return runner.invoke(cli, ["group-texts", str(path)])


GOOD = '{"id": "a", "text": "Футбольный клуб выиграл матч."}\n'


def test_group_texts_invalid_utf8_names_the_line(runner, tmp_path):
    result = group_texts(runner, tmp_path, GOOD.encode() + b'{"id": "b", "text": "\xff\xfe caf\xe9"}\n')
    one_line_error(result, "line 2", "UTF-8")


def test_group_texts_deeply_nested_line(runner, tmp_path):
    result = group_texts(runner, tmp_path, GOOD + "[" * 100_000 + "]" * 100_000 + "\n")
    one_line_error(result, "line 2", "nested")


@pytest.mark.parametrize("lang", ['"xx"', "12", '["ru"]'])
def test_group_texts_unsupported_language_lists_the_supported_ones(runner, tmp_path, lang):
    from nlp.vocabulary import LANGUAGES

    result = group_texts(runner, tmp_path, GOOD + f'{{"id": "b", "text": "x", "lang": {lang}}}\n')
    line = one_line_error(result, "line 2", "lang")
    for supported in LANGUAGES:
        assert supported in line


@pytest.mark.parametrize("row, field", [
    ('{"id": "b", "text": "x", "title": 12345}', "title"),
    ('{"id": "b", "text": 7}', "text"),
    ('{"id": "b"}', "text"),
    ('{"text": "x"}', "id"),
    ('{"id": true, "text": "x"}', "id"),
    ('{"id": 1.5, "text": "x"}', "id"),
    ('{"id": ["b"], "text": "x"}', "id"),
    ('{"id": "", "text": "x"}', "id"),
    ('{"id": "b", "text": "x", "published": 2019}', "published"),
    ('{"id": "b", "text": "x", "published": "yesterday"}', "published"),
    ('{"id": "b", "text": "x", "published": "2019-02-30"}', "published"),
    ('["b", "x"]', "object"),
])
def test_group_texts_checks_each_fields_type(runner, tmp_path, row, field):
    result = group_texts(runner, tmp_path, GOOD + row + "\n")
    one_line_error(result, "line 2", field)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_group_texts_refuses_nan_and_infinity(runner, tmp_path, value):
    result = group_texts(runner, tmp_path, GOOD + f'{{"id": {value}, "text": "x"}}\n')
    one_line_error(result, "line 2", value)
    # Anywhere in the line, not only in the fields that are read.
    result = group_texts(runner, tmp_path, GOOD + f'{{"id": "b", "text": "x", "score": {value}}}\n')
    one_line_error(result, "line 2", value)


@pytest.mark.parametrize("first, second, shown", [('"r1"', '"r1"', "r1"), ("1", '"1"', "1")])
def test_group_texts_refuses_a_duplicate_id(runner, tmp_path, first, second, shown):
    content = (f'{{"id": {first}, "text": "Суд в Алматы приговорил жителя к 5 годам."}}\n'
               + GOOD
               + f'{{"id": {second}, "text": "A court in Astana sentenced a man to 7 years."}}\n')
    line = one_line_error(group_texts(runner, tmp_path, content), "line 3", "duplicate")
    assert shown in line and "line 1" in line


def test_group_texts_output_is_strict_json_with_ids_as_given(runner, tmp_path):
    content = ('{"id": 7, "text": "Футбольный клуб выиграл матч.", "lang": "ru", "title": null, "published": null,'
               ' "source": "kept aside"}\n\n'
               '{"id": "b", "text": "The team won the match.", "lang": "auto", "published": "2024-01-31"}\n')
    result = group_texts(runner, tmp_path, "\ufeff" + content)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line, parse_constant=lambda c: pytest.fail(c)) for line in result.output.splitlines()]
    assert rows == [{"id": 7, "case_id": None}, {"id": "b", "case_id": None}]


# --- very long texts: read in chunks up to a limit, refused over it ------------------------------

MAIN = "Суд Семея приговорил 39-летнюю жительницу города к 7 годам лишения свободы по ч. 2 ст. 256 УК РК."
FILLER = "\n\n".join(f"Погода в понедельник была солнечной, днём до {n} градусов тепла." for n in range(40))
LATE = ("Она публиковала ролики в TikTok с призывами к джихаду.\n\n"
        "Ранее в Актобе осудили другого жителя к 5 годам лишения свободы по ст. 174 УК РК.")


def test_split_text_cuts_at_paragraph_then_sentence_ends():
    from nlp.chunks import split_text

    text = "\n\n".join(["Первый абзац. " * 5, "Второй абзац. " * 5, "Третий абзац. " * 5])
    pieces = split_text(text, 100)
    assert "".join(piece for _, piece in pieces) == text
    assert [offset for offset, _ in pieces] == [0, len(pieces[0][1]), len(pieces[0][1]) + len(pieces[1][1])]
    assert all(len(piece) <= 100 and piece.endswith("\n\n") for _, piece in pieces[:-1])
    # No paragraph in reach: a sentence end; no space at all: the size itself.
    assert split_text("Одно. Два. Три. Четыре.", 12)[0][1] == "Одно. Два. "
    assert [len(p) for _, p in split_text("x" * 25, 10)] == [10, 10, 5]
    assert split_text("short", 10) == [(0, "short")]


def test_a_long_text_is_read_in_chunks_and_the_facts_of_every_chunk_are_kept():
    from nlp.chunks import split_text
    from nlp.extraction import extract_many

    text = "\n\n".join([MAIN, FILLER, MAIN, FILLER, LATE])
    assert len(split_text(text, 1000)) > 4
    whole, chunked = next(extract_many([(text, "ru", None)])), next(extract_many([(text, "ru", None)], chunk_chars=1000))
    # The main case is the one the text starts with; what later chunks say is found.
    assert [p["id"] for p in chunked.places] == ["kz-semey"]
    assert [(a["code"], a["article"], a["part"]) for a in chunked.articles] == [("KZ-CC", 256, 2)]
    assert chunked.platforms == ["TikTok"]
    assert [[p["id"] for p in other["places"]] for other in chunked.other_cases] == [["kz-aktobe"]]
    assert [[a["article"] for a in other["articles"]] for other in chunked.other_cases] == [[174]]
    # Offsets are the whole text's, and a fact stated in two chunks is listed once, as in one pass.
    for item in chunked.places + chunked.articles + chunked.penalties + chunked.other_cases[0]["articles"]:
        assert text[item["start"]:item["end"]] == item["text"]
    for name in ("places", "articles", "penalties", "persons", "platforms", "stage", "convicted_count",
                 "doc_type", "other_places", "other_cases"):
        assert chunked[name] == whole[name], name


def test_extract_refuses_a_text_over_the_limit_in_one_line(runner):
    from nlp.chunks import MAX_TEXT_CHARS

    text = ("Суд приговорил жителя Семея к 7 годам. " * (MAX_TEXT_CHARS // 38 + 1))[:MAX_TEXT_CHARS + 1]
    one_line_error(runner.invoke(cli, ["extract", "-"], input=text), f"{MAX_TEXT_CHARS:,}", f"{len(text):,}")


def _stored_document(db, doc_id: str, text: str) -> None:
    db["documents"].insert({"id": doc_id, "url": f"http://example.org/{doc_id}",
                            "canonical_url": f"http://example.org/{doc_id}", "source": None, "lang": "ru",
                            "title": None, "text": text, "published": "2024-03-01", "content_hash": doc_id})


def test_process_leaves_a_too_long_document_and_processes_the_rest_of_its_batch(runner, tmp_path):
    from corpus.database import open_db
    from nlp.chunks import MAX_TEXT_CHARS

    path = tmp_path / "corpus.db"
    db = open_db(path)
    _stored_document(db, "a-short", MAIN)
    _stored_document(db, "b-huge", "Погода была солнечной. " * (MAX_TEXT_CHARS // 23 + 1))
    _stored_document(db, "c-short", MAIN)
    db.conn.close()
    result = runner.invoke(cli, ["process", "--db", str(path), "--batch-size", "8"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "b-huge" in result.output and f"{MAX_TEXT_CHARS:,}" in result.output
    db = open_db(path)
    done = {r["id"]: (r["processed_hash"], r["articles"]) for r in db.query(
        "SELECT id, processed_hash, articles FROM documents ORDER BY id")}
    assert done == {"a-short": ("a-short", '["KZ-CC 256"]'), "b-huge": (None, None),
                    "c-short": ("c-short", '["KZ-CC 256"]')}


@pytest.mark.slow
def test_extract_reads_a_text_at_the_limit(tmp_path):
    """A real text of MAX_TEXT_CHARS characters through the command (README: time and memory)."""
    import os
    import subprocess
    import sys

    from nlp.chunks import MAX_TEXT_CHARS

    head = MAIN + "\n\n"
    tail = "\n\n" + LATE
    filler = (FILLER + "\n\n") * (MAX_TEXT_CHARS // (len(FILLER) + 2) + 1)
    text = head + filler[:MAX_TEXT_CHARS - len(head) - len(tail)] + tail
    assert len(text) == MAX_TEXT_CHARS
    path = tmp_path / "long.txt"
    path.write_text(text, "utf-8")
    corpus = [sys.executable, "-c", "from corpus.cli import cli; cli()"]
    done = subprocess.run(corpus + ["extract", str(path)], capture_output=True, text=True, env=os.environ, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert [p["id"] for p in out["places"]] == ["kz-semey"] and out["platforms"] == ["TikTok"]
    assert [[a["article"] for a in other["articles"]] for other in out["other_cases"]] == [[174]]


def test_group_texts_refuses_a_text_over_the_limit_with_its_line(runner, tmp_path):
    from nlp.chunks import MAX_TEXT_CHARS

    row = json.dumps({"id": "long", "title": "Заголовок", "text": "а" * MAX_TEXT_CHARS}, ensure_ascii=False)
    one_line_error(group_texts(runner, tmp_path, GOOD + row + "\n"), "line 2", f"{MAX_TEXT_CHARS:,}")


# --- numeric options: ranges checked by the command line -----------------------------------------

@pytest.mark.parametrize("args, option", [
    pytest.param(["serve", "--port", "99999"], "--port", id="serve --port 99999"),
    pytest.param(["serve", "--port", "-1"], "--port", id="serve --port -1"),
    pytest.param(["serve", "--port", "0"], "--port", id="serve --port 0"),
    pytest.param(["demo", "--port", "65536"], "--port", id="demo --port 65536"),
    pytest.param(["demo", "--sample-port", "-1"], "--sample-port", id="demo --sample-port -1"),
    pytest.param(["crawl", "--sample", "--sample-port", "70000"], "--sample-port", id="crawl --sample --sample-port 70000"),
    pytest.param(["crawl", "--sample", "--workers", "-1"], "--workers", id="crawl --sample --workers -1"),
    pytest.param(["process", "--batch-size", "0"], "--batch-size", id="process --batch-size 0"),
    pytest.param(["process", "--batch-size", "-5"], "--batch-size", id="process --batch-size -5"),
    pytest.param(["process", "--batch-size", "100000000"], "--batch-size", id="process --batch-size 100000000"),
    pytest.param(["process", "--n-process", "0"], "--n-process", id="process --n-process 0"),
    pytest.param(["process", "--n-process", "1000"], "--n-process", id="process --n-process 1000"),
    pytest.param(["runs", "-n", "0"], "--limit", id="runs -n 0"),
    pytest.param(["runs", "-n", "-1"], "--limit", id="runs -n -1"),
    pytest.param(["crawl-worker", "redis://127.0.0.1:1/0", "--wait", "-1"], "--wait", id="crawl-worker redis://127.0.0.1:1/0 --wait -1"),
    pytest.param(["crawl-worker", "redis://127.0.0.1:1/0", "--wait", "nan"], "--wait", id="crawl-worker redis://127.0.0.1:1/0 --wait nan"),
    pytest.param(["crawl-worker", "redis://127.0.0.1:1/0", "--wait", "inf"], "--wait", id="crawl-worker redis://127.0.0.1:1/0 --wait inf"),
])
def test_numeric_options_out_of_range_are_one_line_errors(runner, tmp_path, args, option):
    result = runner.invoke(cli, [*args, "--db", str(tmp_path / "c.db")] if args[0] != "crawl-worker" else args)
    one_line_error(result, option)
    assert not (tmp_path / "c.db").exists()


# --- CSV exports: a scraped cell never runs as a spreadsheet formula -----------------------------

FORMULAS = ['=HYPERLINK("http://example.org/x","click")', "@SUM(1+1)", "+1+2", "-2+3", "\tTabbed", "\rReturn"]


def _export(runner, path, table, fmt, out):
    result = runner.invoke(cli, ["export", table, "--db", str(path), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def hostile_db(tmp_path):
    from corpus.database import open_db

    path = tmp_path / "corpus.db"
    db = open_db(path)
    for n, title in enumerate(FORMULAS + ["Суд в Алматы", "a = b"]):
        _stored_document(db, f"d{n}", "текст")
        db["documents"].update(f"d{n}", {"title": title})
    db["cases"].insert({"id": "case-1", "title": "=1+1", "place": "-Almaty", "latitude": -33.5, "longitude": -70.25,
                        "n_documents": 2, "year": 2024, "articles": '["=KZ-CC 256", "KZ-CC 174"]'})
    db.conn.close()
    return path


def test_csv_export_neutralises_formula_cells_and_keeps_numbers(runner, tmp_path, hostile_db):
    import csv

    out = _export(runner, hostile_db, "documents", "csv", tmp_path / "documents.csv")
    with out.open(encoding="utf-8", newline="") as f:
        titles = [row["title"] for row in csv.DictReader(f)]
    assert titles == ["'" + t for t in FORMULAS] + ["Суд в Алматы", "a = b"]
    out = _export(runner, hostile_db, "cases", "csv", tmp_path / "cases.csv")
    with out.open(encoding="utf-8", newline="") as f:
        case = next(csv.DictReader(f))
    assert (case["title"], case["place"], case["articles"]) == ("'=1+1", "'-Almaty", "'=KZ-CC 256; KZ-CC 174")
    # Numbers are numbers, negative or not: no quote in front.
    assert (case["latitude"], case["longitude"], case["n_documents"]) == ("-33.5", "-70.25", "2")
    # The codebook says what was done.
    codebook = (tmp_path / "cases.csv.codebook.md").read_text("utf-8")
    assert "single quote" in codebook and "=, +, -, @" in codebook


@pytest.mark.parametrize("fmt", ["json", "jsonl", "parquet"])
def test_other_exports_keep_values_exactly(runner, tmp_path, hostile_db, fmt):
    out = _export(runner, hostile_db, "documents", fmt, tmp_path / f"documents.{fmt}")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        titles = pq.read_table(out).column("title").to_pylist()
    elif fmt == "json":
        titles = [row["title"] for row in json.loads(out.read_text("utf-8"))]
    else:
        titles = [json.loads(line)["title"] for line in out.read_text("utf-8").splitlines()]
    assert titles == FORMULAS + ["Суд в Алматы", "a = b"]
    assert "single quote" not in (tmp_path / f"documents.{fmt}.codebook.md").read_text("utf-8")
