"""Summary tables: the aggregates that pages read, computed when the data changes, not per visit.

The comparison queries, the dashboard, the coverage table and the default facet counts of the
cases and documents pages group every case or every report. At a million reports that takes
seconds per page, so each aggregate is kept in a `summary_*` table and `refresh(db)` rebuilds
them all from the live tables. Every command that changes cases or reports calls it once, inside
its own transaction, so a reader never sees summaries of another state than the rows
(`corpus group`, `process`, `reextract`, and the curation commands through
`curation.refresh_cases`).

A fact no case or report states is kept as NULL here; the pages show it as "not stated" and count
it, as the static report does.

`summary_state` records the largest rowid of documents and of cases at the last refresh: a
command that adds rows without refreshing (a crawl stores reports that `process` reads later)
leaves the facet summaries out of date, and the facets then count the live rows instead
(plugins/corpus_facets.py).
"""

from __future__ import annotations

import sqlite_utils

from corpus.transaction import transaction

# Default facets of the table pages whose unfiltered counts are kept (metadata.yml lists the same
# columns as `summary` facets).
FACET_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("region", "year", "stage"),
    "documents": ("source", "lang", "stage", "is_case_report"),
}

# A publication date that starts with a year and a month ("2024-03-05", "2024-03-05T10:00").
MONTH = "CASE WHEN {col} GLOB '[12][0-9][0-9][0-9]-[01][0-9]*' THEN substr({col}, 1, 7) END"

# name -> (columns with their types, the live aggregate that fills it).
SUMMARIES: dict[str, tuple[str, str]] = {
    # Cases by every low-cardinality criterion at once: the dashboard's charts, cases_per_year
    # and the chart notes (how many cases a chart draws and lacks) group this small table.
    "summary_cases": (
        "country TEXT, region TEXT, year INTEGER, stage TEXT, penalty_kind TEXT, has_term INTEGER, "
        "cases INTEGER, reports INTEGER",
        "SELECT country, region, year, stage, penalty_kind, "
        "(penalty_kind = 'prison' AND penalty_max_years IS NOT NULL) AS has_term, "
        "count(*), sum(n_documents) FROM cases GROUP BY 1, 2, 3, 4, 5, 6",
    ),
    # A case counts once under each of its articles; a case with none under NULL.
    "summary_region_article": (
        "region TEXT, country TEXT, article TEXT, cases INTEGER, reports INTEGER",
        "SELECT c.region, c.country, a.value, count(*), sum(c.n_documents) "
        "FROM cases c LEFT JOIN json_each(c.articles) a GROUP BY 1, 2, 3",
    ),
    "summary_article_penalty": (
        "article TEXT, country TEXT, penalty_kind TEXT, min_years REAL, max_years REAL, cases INTEGER",
        "SELECT a.value, c.country, c.penalty_kind, c.penalty_min_years, c.penalty_max_years, count(*) "
        "FROM cases c LEFT JOIN json_each(c.articles) a GROUP BY 1, 2, 3, 4, 5",
    ),
    # Reports collected per month, outlet and language (month NULL: no usable publication date).
    "summary_coverage": (
        "month TEXT, source TEXT, lang TEXT, reports INTEGER",
        f"SELECT {MONTH.format(col='published')}, source, lang, count(*) FROM documents GROUP BY 1, 2, 3",
    ),
    "summary_facets": (
        "tbl TEXT, col TEXT, value, count INTEGER",
        " UNION ALL ".join(
            f"SELECT '{table}', '{col}', [{col}], count(*) FROM [{table}] GROUP BY [{col}]"
            for table, cols in FACET_COLUMNS.items() for col in cols),
    ),
}
SUMMARY_INDEXES = {"summary_facets": ("tbl", "col"), "summary_coverage": ("month", "source", "lang")}
STATE = "summary_state"


def ensure(db: sqlite_utils.Database) -> bool:
    """Create the summary tables that are missing; True when any was (it needs a refresh)."""
    created = False
    for name, (columns, _) in [*SUMMARIES.items(), (STATE, ("documents_max_rowid INTEGER, cases_max_rowid INTEGER, "
                                                             "refreshed_at TEXT", ""))]:
        if not db[name].exists():
            db.execute(f"CREATE TABLE [{name}] ({columns})")
            created = True
    for name, columns in SUMMARY_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS [idx_{name}_{'_'.join(columns)}] ON [{name}] ({', '.join(columns)})")
    return created


def live(db: sqlite_utils.Database, name: str) -> list[tuple]:
    """The rows `name` holds when it is up to date: its aggregate over the live tables, sorted."""
    return sorted(db.execute(SUMMARIES[name][1]).fetchall(), key=repr)


def stored(db: sqlite_utils.Database, name: str) -> list[tuple]:
    return sorted(db.execute(f"SELECT * FROM [{name}]").fetchall(), key=repr)


def refresh(db: sqlite_utils.Database) -> None:
    """Rebuild every summary table from the live tables (inside the caller's transaction, or in
    one of its own)."""
    from corpus.database import now

    with transaction(db):
        ensure(db)
        for name, (columns, select) in SUMMARIES.items():
            # Made anew rather than emptied: deleting 600,000 indexed rows cost more than the
            # aggregate itself; the index is built once, after the rows.
            db.execute(f"DROP TABLE [{name}]")
            db.execute(f"CREATE TABLE [{name}] ({columns})")
            db.execute(f"INSERT INTO [{name}] {select}")
        ensure(db)
        db.execute(f"DELETE FROM [{STATE}]")
        db.execute(f"INSERT INTO [{STATE}] SELECT (SELECT max(rowid) FROM documents), "
                   "(SELECT max(rowid) FROM cases), ?", [now()])
