"""A response cache for an immutable corpus (loaded by `corpus serve` from plugins/).

`corpus serve` opens the corpus immutable by default: while it runs, the same URL always gives
the same page. So a page is computed once and kept, in memory, for every later request of the
same URL: a burst of readers following one link (a search shared on social media, a class
opening the same case) costs one query, not a queue of them behind Datasette's three SQL
threads. This is what a caching proxy in front of Datasette would do, inside the one process.

Kept: complete 200 responses to GET and HEAD of at most 2 MiB that set no cookie, keyed by
host, path and query; least recently used pages go first once CORPUS_CACHE_MB (default 128)
is reached; CORPUS_CACHE_MB=0 turns it off. Not cached: `--live` (a file a crawl still
writes), requests that carry a Datasette login cookie, streamed CSV larger than the limit.
Responses say `x-corpus-cache: hit` or `miss`.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from datasette import hookimpl

from corpus.serve import DATABASE

MAX_ENTRY_BYTES = 2 * 1024 * 1024


class ResponseCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[tuple, tuple[dict, bytes]] = OrderedDict()

    def get(self, key: tuple) -> tuple[dict, bytes] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, start: dict, body: bytes) -> None:
        if key in self.entries or len(body) > min(MAX_ENTRY_BYTES, self.max_bytes):
            return
        self.entries[key] = (start, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, old) = self.entries.popitem(last=False)
            self.size -= len(old)


def _header(scope: dict, name: bytes) -> bytes:
    return b", ".join(value for key, value in scope.get("headers", []) if key.lower() == name)


@hookimpl
def asgi_wrapper(datasette):
    megabytes = float(os.environ.get("CORPUS_CACHE_MB", "128") or 0)
    cache = ResponseCache(int(megabytes * 1024 * 1024))

    def immutable() -> bool:
        db = datasette.databases.get(DATABASE)
        return db is not None and not db.is_mutable

    def wrap(app):
        async def cached(scope, receive, send):
            if (cache.max_bytes <= 0 or scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                    or b"ds_actor" in _header(scope, b"cookie") or not immutable()):
                return await app(scope, receive, send)
            key = (scope["method"], _header(scope, b"host"), _header(scope, b"x-forwarded-proto"),
                   scope.get("root_path", ""), scope["path"], scope.get("query_string", b""))
            hit = cache.get(key)
            if hit is not None:
                start, body = hit
                await send({**start, "headers": [*start["headers"], (b"x-corpus-cache", b"hit")]})
                await send({"type": "http.response.body", "body": body})
                return

            state: dict = {"start": None, "chunks": [], "size": 0, "keep": True}

            async def capture(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    state["keep"] = message["status"] == 200 and not any(
                        k.lower() == b"set-cookie" for k, _ in headers)
                    state["start"] = {**message, "headers": headers}
                    message = {**message, "headers": [*headers, (b"x-corpus-cache", b"miss")]}
                elif message["type"] == "http.response.body" and state["keep"]:
                    state["size"] += len(message.get("body", b""))
                    if state["size"] > MAX_ENTRY_BYTES:
                        state["keep"], state["chunks"] = False, []
                    else:
                        state["chunks"].append(message.get("body", b""))
                    if not message.get("more_body", False) and state["keep"]:
                        cache.put(key, state["start"], b"".join(state["chunks"]))
                await send(message)

            await app(scope, receive, capture)

        return cached

    return wrap
