"""Bounds on what a visitor's own SQL may cost (loaded by `corpus serve` from plugins/).

Datasette stops a query after `sql_time_limit_ms`, but only between SQLite instructions, and
it runs every query of every page on a few threads (`num_sql_threads`, 3). So:

- No value a query makes or reads may exceed MAX_VALUE_BYTES (SQLite's SQLITE_LIMIT_LENGTH,
  set on every connection). `select hex(randomblob(450000000))` allocated 1.3 GB in a single
  instruction the time limit cannot interrupt; now it fails at once with "string or blob too
  big". The limit is above anything the corpus stores (the crawl keeps pages up to 10 MB).
- At most MAX_CONCURRENT_SQL requests with SQL of the visitor's own (`?sql=` on the database
  page, `_where=` on a table page) run at once, always leaving an SQL thread for the other
  pages; another such request waits up to SQL_SLOT_WAIT_S for a turn, then gets a 503 with
  Retry-After. Table, row, search and canned-query pages are never held back.
- After each such request, the garbage it left is collected at once (see `limited`): a failed
  query's cursor, freed later while another query ran on its connection, stalled the whole
  server until that query ended.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
from urllib.parse import parse_qs

from datasette import hookimpl

MAX_VALUE_BYTES = 32 * 1024 * 1024
MAX_CONCURRENT_SQL = 2
SQL_SLOT_WAIT_S = 1.0
RETRY_AFTER_S = 5
# Query-string parameters that carry SQL written by the visitor.
SQL_PARAMETERS = ("sql", "_where")


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)


def concurrent_sql_slots(sql_threads: int) -> int:
    """How many visitor-SQL requests may run at once with `sql_threads` SQL threads: at most
    MAX_CONCURRENT_SQL, one thread always left for other pages, and at least one."""
    return max(1, min(MAX_CONCURRENT_SQL, sql_threads - 1))


def has_visitor_sql(scope: dict) -> bool:
    args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(name in args for name in SQL_PARAMETERS)


async def turned_away(scope: dict, send, slots: int) -> None:
    message = (f"Too many SQL queries written by visitors are running (at most {slots} at once); "
               f"try again in a few seconds.")
    if scope["path"].endswith(".json"):
        body = json.dumps({"ok": False, "error": message, "status": 503}).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        body, content_type = f"{message}\n".encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", content_type), (b"retry-after", str(RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": body})


# tryfirst: the innermost wrapper, so the response cache (outside it) answers a repeated query
# without taking a turn.
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    slots = concurrent_sql_slots(datasette.setting("num_sql_threads"))
    gate: list[asyncio.Semaphore] = []  # made on first use, inside the server's event loop

    def wrap(app):
        async def limited(scope, receive, send):
            if scope["type"] != "http" or not has_visitor_sql(scope):
                return await app(scope, receive, send)
            if not gate:
                gate.append(asyncio.Semaphore(slots))
                # What the server holds once started is there for good: out of the collector's
                # sight, the collection after each visitor query (below) costs milliseconds.
                gc.collect()
                gc.freeze()
            try:
                await asyncio.wait_for(gate[0].acquire(), SQL_SLOT_WAIT_S)
            except asyncio.TimeoutError:
                return await turned_away(scope, send, slots)
            try:
                await app(scope, receive, send)
            finally:
                # A query that failed (time limit, value too big) leaves its cursor in a garbage
                # cycle (exception, traceback, frame). Collected later, while another query runs
                # on the same thread's connection, freeing it waits for that query to end, and
                # the event loop with it: every page stalled for up to the time limit. Collect it
                # now, while its connection is idle.
                gc.collect()
                gate[0].release()

        return limited

    return wrap
