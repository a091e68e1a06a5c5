"""Progress of long commands: a log line at least every interval off a terminal, one live line on it."""

from __future__ import annotations

import io
import time

from corpus.progress import Progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_line_is_written_once_per_interval_however_often_work_advances():
    out, clock = io.StringIO(), Clock()
    progress = Progress("processing", total=100, unit="documents", stream=out, interval=30, live=False, clock=clock)
    for second in range(95):
        clock.now = float(second)
        progress.advance(1)
    lines = out.getvalue().splitlines()
    # Lines at 30, 60 and 90 s: never more often than the interval.
    assert lines == ["processing: 31 of 100 documents (31%), 30 s", "processing: 61 of 100 documents (61%), 60 s",
                     "processing: 91 of 100 documents (91%), 90 s"]


def test_a_long_single_step_still_writes_a_line_every_interval():
    out, clock = io.StringIO(), Clock()
    progress = Progress("grouping", stream=out, interval=30, live=False, clock=clock)
    progress.phase("building the index")
    clock.now = 29.0
    progress.beat()
    clock.now = 31.0
    progress.beat()
    clock.now = 45.0
    progress.beat()
    clock.now = 62.0
    progress.beat()
    # Off a terminal a new step writes no line of its own: only the interval does.
    assert out.getvalue().splitlines() == ["grouping: building the index, 31 s",
                                           "grouping: building the index, 62 s"]


def test_the_heartbeat_thread_writes_while_nothing_advances():
    out = io.StringIO()
    with Progress("crawling", stream=out, interval=0.2, live=False) as progress:
        progress.advance(3)
        deadline = time.monotonic() + 10
        while "crawling: 3" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "crawling: 3" in out.getvalue()


def test_on_a_terminal_one_line_is_redrawn_in_place_and_ended():
    out, clock = io.StringIO(), Clock()
    with Progress("exporting", total=4, unit="cases", stream=out, live=True, clock=clock) as progress:
        for second in range(4):
            clock.now = float(second)
            progress.advance(1)
    text = out.getvalue()
    assert text.endswith("exporting: 4 of 4 cases (100%), 3 s\n")
    assert "\n" not in text[:-1]  # one line, redrawn with carriage returns
    assert text.count("\r") >= 2
