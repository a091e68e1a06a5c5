"""One unit of work, one transaction: every stage writes through `transaction(db)`."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import sqlite_utils


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All the writes inside land together or not at all.

    `with db.conn:` is not enough: sqlite-utils commits each statement that runs outside an
    explicit transaction, so a DELETE, INSERT and UPDATE in such a block commit one by one.
    BEGIN IMMEDIATE takes the write lock at the start: a second writer waits for this one
    (up to the busy timeout) instead of failing halfway, and readers (`corpus serve --live`)
    see the old state until COMMIT. Inside an open transaction this nests as a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
