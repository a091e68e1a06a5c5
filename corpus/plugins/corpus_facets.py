"""The default facets of the cases and documents pages (loaded by `corpus serve` from plugins/).

metadata.yml lists them as `{summary: column}`. Two things differ from Datasette's column facet:

- "not stated" is a value like any other: rows with no value are counted, shown as "not stated"
  (the static report's words), and its link selects them (`column__isnull=1`). The list facets
  under "More facets" (`_facet_array=`) count the rows with an empty list the same way.
- On an unfiltered page the counts come from `summary_facets` (corpus/summaries.py), which every
  command that changes cases or reports refreshes, instead of grouping every row per visit. When
  the summaries describe another state of the rows (a crawl added reports since), or the page is
  filtered or searched, the facet counts the page's rows as Datasette does.
"""

from __future__ import annotations

import re
import sqlite3

from datasette import facets as datasette_facets
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.plugins import pm
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from corpus.summaries import FACET_COLUMNS, STATE

NOT_STATED = "not stated"
WHERE = re.compile(r"\bwhere\b", re.I)
# The summaries hold the counts of exactly these rows.
FRESH = (f"SELECT 1 FROM [{STATE}] WHERE documents_max_rowid IS (SELECT max(rowid) FROM documents) "
         "AND cases_max_rowid IS (SELECT max(rowid) FROM cases)")


class SummaryFacet(ColumnFacet):
    type = "summary"

    def unfiltered(self) -> bool:
        return not self.params and not WHERE.search(self.sql.split(" from ", 1)[-1])

    async def counts(self, column: str, limit: int) -> list[tuple]:
        """(value, count) rows, most frequent first, NULL included."""
        db = self.ds.get_database(self.database)
        if self.unfiltered() and column in FACET_COLUMNS.get(self.table, ()):
            try:
                if (await db.execute(FRESH)).first():
                    return [tuple(r) for r in (await db.execute(
                        "SELECT value, count FROM summary_facets WHERE tbl = ? AND col = ? "
                        "ORDER BY count DESC, value LIMIT ?", [self.table, column, limit])).rows]
            except sqlite3.OperationalError:
                pass  # a database from before the summaries: count the rows
        sql = (f"select {escape_sqlite(column)} as value, count(*) as count from ({self.sql}) "
               f"group by {escape_sqlite(column)} order by count desc, value limit {limit}")
        rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                     custom_time_limit=self.ds.setting("facet_time_limit_ms"))
        return [tuple(r) for r in rows.rows]

    async def facet_results(self):
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            try:
                rows = await self.counts(column, size + 1)
            except QueryInterrupted:
                timed_out.append(column)
                continue
            shown = rows[:size]
            expanded = await self.ds.expand_foreign_keys(
                self.database, self.table, column, [v for v, _ in shown if v is not None])
            values = []
            for value, count in shown:
                arg = (f"{column}__isnull", "1") if value is None else (column, str(value))
                selected = arg in pairs
                path = (path_with_removed_args(self.request, {arg[0]: arg[1]}) if selected
                        else path_with_added_args(self.request, {arg[0]: arg[1]}))
                values.append({
                    "value": value,
                    "label": NOT_STATED if value is None else expanded.get((column, value), value),
                    "count": count,
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                    "selected": selected,
                })
            results.append({"name": column, "type": "column", "hideable": False,
                            "toggle_url": self.ds.urls.path(self.request.path), "results": values,
                            "truncated": len(rows) > size})
        return results, timed_out

    async def suggest(self):
        return []


class ListFacet(ArrayFacet):
    """Datasette's facet over a JSON list column ("More facets"), plus a "not stated" entry: the
    rows whose list is empty (`[]`, what corpus group and process write when no report states the
    fact), linked to those rows (`column=[]`)."""

    async def facet_results(self):
        results, timed_out = await super().facet_results()
        for facet in results:
            column = facet["name"]
            try:
                empty = (await self.ds.execute(
                    self.database, f"select count(*) from ({self.sql}) where {escape_sqlite(column)} = '[]'",
                    self.params, custom_time_limit=self.ds.setting("facet_time_limit_ms"))).first()[0]
            except QueryInterrupted:
                timed_out.append(column)
                continue
            if not empty:
                continue
            selected = (column, "[]") in self.get_querystring_pairs()
            path = (path_with_removed_args(self.request, {column: "[]"}) if selected
                    else path_with_added_args(self.request, {column: "[]"}))
            facet["results"].append({"value": None, "label": NOT_STATED, "count": empty, "selected": selected,
                                     "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path))})
        return results, timed_out


# Datasette's own facet classes, with its list facet replaced by ListFacet (the same type, so
# the same `_facet_array=` links): registering both would compute every list facet twice.
if pm.is_registered(datasette_facets):
    pm.unregister(datasette_facets)


@hookimpl
def register_facet_classes():
    return [SummaryFacet, ColumnFacet, DateFacet, ListFacet]
