"""Search in Russian and English (loaded by `corpus serve` from plugins/).

- `search_query(q)`: the FTS5 expression for what a researcher typed (corpus/search.py): each
  term matches as typed, as a Russian lemma, or as a gazetteer place. The canned queries use it.
- `escape_fts(q)`: Datasette builds the table search box's MATCH with `escape_fts(:search)`;
  registering the same function under that name, after Datasette's own (`trylast`), makes the
  search box on /corpus/documents and /corpus/cases match inflected forms too.
"""

from datasette import hookimpl

from corpus.search import fts_query


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("search_query", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
