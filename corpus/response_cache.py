"""An in-memory cache of complete HTTP responses in front of an ASGI app whose answers cannot
change while it runs (`corpus serve` on an immutable corpus: plugins/corpus_cache.py).

- Kept: complete 200 answers to GET and HEAD, bodies of at most MAX_ENTRY_BYTES, that set no
  cookie and are not marked `Cache-Control: private`, `no-store` or `no-cache`.
- Vary: an entry remembers the request's values of the headers its response varies on
  (Datasette sends `Vary: Cookie, Authorization` on its pages) and answers only a request with
  the same values; a response that varies on `*` is not kept.
- Bounded: an entry costs what Python holds for it (its key, headers and body as
  `sys.getsizeof` measures them, plus ENTRY_OVERHEAD_BYTES of bookkeeping), and the cache
  holds at most `max_bytes` of that and `max_entries` entries, least recently used out first.
  A flood of distinct URLs, or of HEAD requests whose bodies are empty, fills it and no more.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Awaitable, Callable

MAX_ENTRY_BYTES = 2 * 1024 * 1024
MAX_ENTRIES = 10_000
# The cache's own objects for one entry: its slot and link in the OrderedDict and the entry
# tuple (measured with tracemalloc, about 250 bytes; tests/test_abuse_serve.py checks the sum).
ENTRY_OVERHEAD_BYTES = 320
NOT_KEPT = (b"private", b"no-store", b"no-cache")

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


def header(headers, name: bytes) -> bytes:
    """Every value of header `name` (lower case) in an ASGI header list, joined by ", "."""
    return b", ".join(value for key, value in headers if key.lower() == name)


def cache_key(scope: dict) -> tuple:
    return (scope["method"], header(scope.get("headers", []), b"host"),
            header(scope.get("headers", []), b"x-forwarded-proto"), scope.get("root_path", ""),
            scope["path"], scope.get("query_string", b""))


def varies_on(start: dict) -> tuple[bytes, ...] | None:
    """The request headers a response varies on (lower case); None when it must not be kept."""
    headers = start.get("headers", [])
    if start["status"] != 200 or any(key.lower() == b"set-cookie" for key, _ in headers):
        return None
    control = header(headers, b"cache-control").lower()
    if any(word in control for word in NOT_KEPT):
        return None
    names = tuple(sorted({part.strip().lower() for part in header(headers, b"vary").split(b",") if part.strip()}))
    return None if b"*" in names else names


def entry_bytes(key: tuple, start: dict, body: bytes, vary: tuple) -> int:
    """What Python holds for one entry, in bytes."""
    size = sys.getsizeof
    headers = start["headers"]
    return (ENTRY_OVERHEAD_BYTES + size(key) + sum(map(size, key)) + size(start) + size(headers)
            + sum(size(pair) + size(pair[0]) + size(pair[1]) for pair in headers)
            + size(vary) + sum(size(pair) + size(pair[0]) + size(pair[1]) for pair in vary) + size(body))


class ResponseCache:
    """Responses by key, each answering only requests that match its Vary headers."""

    def __init__(self, max_bytes: int, max_entries: int = MAX_ENTRIES):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size = 0  # the sum of entry_bytes over the entries
        # key -> (start message, body, ((header name, the request's value), ...), entry_bytes)
        self.entries: OrderedDict[tuple, tuple[dict, bytes, tuple, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: tuple, request_headers: list) -> tuple[dict, bytes] | None:
        entry = self.entries.get(key)
        if entry is None or any(header(request_headers, name) != value for name, value in entry[2]):
            return None
        self.entries.move_to_end(key)
        return entry[0], entry[1]

    def put(self, key: tuple, request_headers: list, start: dict, body: bytes) -> bool:
        """Keep a complete response to a request with these headers; False when it is not kept."""
        names = varies_on(start)
        if names is None or len(body) > MAX_ENTRY_BYTES or self.max_entries <= 0:
            return False
        vary = tuple((name, header(request_headers, name)) for name in names)
        cost = entry_bytes(key, start, body, vary)
        if cost > self.max_bytes:
            return False
        self.discard(key)
        self.entries[key] = (start, body, vary, cost)
        self.size += cost
        while self.size > self.max_bytes or len(self.entries) > self.max_entries:
            _, (_, _, _, old) = self.entries.popitem(last=False)
            self.size -= old
        return True

    def discard(self, key: tuple) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry[3]


def cached_app(app: ASGIApp, cache: ResponseCache, bypass: Callable[[dict], bool]) -> ASGIApp:
    """`app` answering GET and HEAD from `cache` where it can, and filling it; requests for
    which `bypass(scope)` is true go straight to `app`. Responses say `x-corpus-cache: hit` or
    `miss`."""

    async def cached(scope: dict, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or bypass(scope):
            return await app(scope, receive, send)
        key, request_headers = cache_key(scope), scope.get("headers", [])
        hit = cache.get(key, request_headers)
        if hit is not None:
            start, body = hit
            await send({**start, "headers": [*start["headers"], (b"x-corpus-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            return

        state: dict[str, Any] = {"start": None, "chunks": [], "size": 0, "keep": True}

        async def capture(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                state["start"] = {**message, "headers": headers}
                state["keep"] = varies_on(state["start"]) is not None
                message = {**message, "headers": [*headers, (b"x-corpus-cache", b"miss")]}
            elif message["type"] == "http.response.body" and state["keep"]:
                state["size"] += len(message.get("body", b""))
                if state["size"] > MAX_ENTRY_BYTES:
                    state["keep"], state["chunks"] = False, []
                else:
                    state["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False) and state["keep"]:
                    cache.put(key, request_headers, state["start"], b"".join(state["chunks"]))
            await send(message)

        await app(scope, receive, capture)

    return cached
