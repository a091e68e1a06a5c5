"""A gate in front of a local test site: it holds the answers to chosen requests (article
pages) so that a test stops a crawl at a known point instead of racing it.

    gate = Gate(lambda path: path.startswith("/news/"), let_through=10)
    with serve_mirror(pages=60, gate=gate) as (base, mirror):
        ...  # start a crawl; once it has 10 pages, every further article request waits
        gate.open()  # everything held, and everything after, is answered

- `let_through`: that many matching requests are answered before the gate starts holding.
- `open_above`: the gate opens by itself once more than that many requests are held at
  once. With the crawler's CONCURRENT_REQUESTS here (and a DOWNLOAD_TIMEOUT longer than
  HOLD_LIMIT, so that every held request is a live one), it opens only when more than one
  crawler process is fetching: a barrier that both processes of a distributed crawl reach.
- `turn_away()`: the held requests are answered, later ones get 503 (the site going away
  while a crawl is told to stop: what the crawl stored is then bounded by what was let through
  and held).
- `drop_held()`: the held requests are closed unanswered (their crawler was killed), later
  ones are answered. A held request is not counted as in flight at the site, so a dropped one
  never was.

A request is never held longer than `HOLD_LIMIT` seconds; one that was sets `expired`, so
the test can tell that its condition never came.
"""

from __future__ import annotations

import threading
from typing import Callable

HOLD_LIMIT = 100.0  # seconds; keep crawls that go through a gate at a longer DOWNLOAD_TIMEOUT
TURNED_AWAY = (503, {"Content-Type": "text/plain", "Retry-After": "3600"}, b"gone for now")
DROP = "drop"  # enter's answer for a request to close unanswered


class Gate:
    def __init__(self, matches: Callable[[str], bool], let_through: int = 0, open_above: int | None = None):
        self.matches, self.let_through, self.open_above = matches, let_through, open_above
        self.state = "shut"          # shut, open, away, drop
        self.held = 0                # requests waiting now
        self.most_held = 0           # the most that waited at once
        self.opened_by_load = False  # opened because more than `open_above` waited at once
        self.expired = False
        self.cond = threading.Condition()

    def enter(self, path: str):
        """Called by the server before answering `path`: returns None to answer it as usual,
        the (status, headers, body) to answer instead, or DROP. Blocks while the request is held."""
        if not self.matches(path):
            return None
        with self.cond:
            if self.let_through > 0:
                self.let_through -= 1
                return None
            if self.state == "shut":
                self.held += 1
                self.most_held = max(self.most_held, self.held)
                if self.open_above is not None and self.held > self.open_above:
                    self.opened_by_load = True
                    self._set("open")
                if not self.cond.wait_for(lambda: self.state != "shut", timeout=HOLD_LIMIT):
                    self.expired = True
                self.held -= 1
                return DROP if self.state == "drop" else None
            return TURNED_AWAY if self.state == "away" else None

    def open(self) -> None:
        with self.cond:
            self._set("open")

    def turn_away(self) -> None:
        with self.cond:
            self._set("away")

    def drop_held(self) -> None:
        with self.cond:
            self._set("drop")

    def _set(self, state: str) -> None:
        self.state = state
        self.cond.notify_all()
