"""Lock files beside the database: one crawl at a time, one stage at a time.

An flock is released by the kernel when its holder exits, however it exits (kill -9
included), so a lock is never left behind. The file names its holder (process id, stage...)
for the message the next one gets.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from corpus.database import StoreError


class Locked(StoreError):
    """Another process holds the lock."""


class HeldLock:
    """A held lock: its file names who holds it (`note` adds to that)."""

    def __init__(self, handle: IO[str]):
        self.handle, self.info = handle, {}

    def fileno(self) -> int:
        return self.handle.fileno()

    def note(self, **info) -> None:
        self.info.update(info)
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(json.dumps(self.info))
        self.handle.flush()


@contextmanager
def exclusive(path: Path, busy: str, error: type[Locked] = Locked) -> Iterator[HeldLock]:
    """Hold the lock file `path`, or raise `error` at once with `busy` and the holder's note."""
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise error(f"{busy} (lock {path}: {holder or 'no pid'})") from None
        lock = HeldLock(handle)
        lock.note(pid=os.getpid())
        yield lock
    finally:
        handle.close()


def stage_lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".stage.lock")


@contextmanager
def stage_lock(db_path: str | Path, stage: str) -> Iterator[HeldLock]:
    """One stage that rewrites what earlier stages made (process, group, reextract) at a time
    on a database: a second one exits at once, as a second crawl does."""
    with exclusive(stage_lock_path(db_path), f"another stage is running on {db_path}") as lock:
        lock.note(stage=stage)
        yield lock
