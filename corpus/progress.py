"""Progress of a long command: a live line on a terminal, a log line every 30 s elsewhere.

A scheduled run writes to a log file, where a progress bar is noise and silence looks like a
hang. So one `Progress` serves both: on a terminal it redraws one line in place; otherwise it
writes a plain line at most every `interval` seconds while work advances, and a background
heartbeat writes one at least every `interval` seconds while a single step runs long (an
index build, a model load), so a log never goes quiet for longer than that.

    with Progress("processing", total=1200, unit="documents") as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))
        progress.phase("writing cases")
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

LOG_INTERVAL_S = 30.0   # the longest a log goes without a line while a command works
REDRAW_INTERVAL_S = 0.2  # a terminal line is redrawn at most this often


class Progress:
    def __init__(self, label: str, total: int | None = None, unit: str = "", stream: TextIO | None = None,
                 interval: float = LOG_INTERVAL_S, live: bool | None = None, clock=time.monotonic,
                 detail: Callable[[], str] | None = None):
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stderr
        self.interval = interval
        self.live = self.stream.isatty() if live is None else live
        self.done, self.step = 0, ""
        self.clock = clock
        self.detail = detail  # more counts, read at each line ("12 stored, 0 errors")
        self.started = self.last_line = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._width = 0

    # --- what the work reports -------------------------------------------------------------

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            self._maybe_write()

    def phase(self, step: str) -> None:
        """A named step of the work ("embedding", "writing cases"): shown beside the count."""
        with self._lock:
            self.step = step
            self._maybe_write(force=self.live)

    # --- how it is shown ---------------------------------------------------------------------

    def text(self) -> str:
        parts = []
        if self.done or self.total:
            parts.append(f"{self.done:,}" + (f" of {self.total:,}" if self.total else "")
                         + (f" {self.unit}" if self.unit else "")
                         + (f" ({100 * self.done / self.total:.0f}%)" if self.total else ""))
        if self.step:
            parts.append(self.step)
        if self.detail and (more := self.detail()):
            parts.append(more)
        parts.append(f"{self.clock() - self.started:.0f} s")
        return f"{self.label}: " + ", ".join(parts)

    def _maybe_write(self, force: bool = False) -> None:
        if force or self._due():
            self._write()

    def _due(self) -> bool:
        return self.clock() - self.last_line >= (REDRAW_INTERVAL_S if self.live else self.interval)

    def _write(self) -> None:
        line = self.text()
        if self.live:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last_line = self.clock()

    def beat(self) -> None:
        """Write a line if none was written for the interval (the heartbeat thread calls it)."""
        with self._lock:
            if self._due():
                self._write()

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.interval / 4)):
            self.beat()

    def __enter__(self) -> Progress:
        self._heartbeat = threading.Thread(target=self._beat, name=f"progress-{self.label}", daemon=True)
        self._heartbeat.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._heartbeat:
            self._heartbeat.join()
        with self._lock:
            if self.live:
                self._write()
                self.stream.write("\n")
                self.stream.flush()
