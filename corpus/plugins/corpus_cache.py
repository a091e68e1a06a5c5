"""A response cache for an immutable corpus (loaded by `corpus serve` from plugins/).

`corpus serve` opens the corpus immutable by default: while it runs, the same URL always gives
the same page. So a page is computed once and kept, in memory, for every later request of the
same URL: a burst of readers following one link (a search shared on social media, a class
opening the same case) costs one query, not a queue of them behind Datasette's three SQL
threads. This is what a caching proxy in front of Datasette would do, inside the one process.

The cache itself, what it keeps and how it bounds its memory, is corpus/response_cache.py.
It holds at most CORPUS_CACHE_MB (default 128) megabytes; CORPUS_CACHE_MB=0 turns it off. Not
cached: `--live` (a file a crawl still writes), requests that carry a Datasette login cookie.
"""

from __future__ import annotations

import os

from datasette import hookimpl

from corpus.response_cache import ResponseCache, cached_app, header
from corpus.serve import DATABASE

DEFAULT_CACHE_MB = 128


@hookimpl
def asgi_wrapper(datasette):
    megabytes = float(os.environ.get("CORPUS_CACHE_MB", str(DEFAULT_CACHE_MB)) or 0)
    cache = ResponseCache(int(megabytes * 1024 * 1024))

    def bypass(scope: dict) -> bool:
        db = datasette.databases.get(DATABASE)
        return (cache.max_bytes <= 0 or db is None or db.is_mutable
                or b"ds_actor" in header(scope.get("headers", []), b"cookie"))

    def wrap(app):
        return cached_app(app, cache, bypass)

    return wrap
