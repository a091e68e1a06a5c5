"""One scheduled update: crawl, process, group and publish, in one locked run.

The update holds the crawl lock beside the database from its first step to its last, so a
crawl or another update started meanwhile exits at once with the lock message. Each stage
writes one `update_stages` row (started, finished, status, counts); the update's exit code
says how the worst stage went. A stage that fails stops the update before anything is
published, so the published snapshot is always one that went through every stage. When the
crawl brought nothing new and nothing was waiting to be processed, grouping and publishing are
skipped: a second run on an unchanged corpus changes nothing.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from crawler.sources import Source

from corpus.crawl import EXIT_CONFIG, EXIT_OK, EXIT_SOURCE_ERRORS, crawl_lock, run_crawl
from corpus.database import now, open_db
from corpus.locks import HeldLock, stage_lock
from corpus.page_store import AddressAlias
from corpus.transaction import transaction

STAGES = ("crawl", "process", "group", "publish")


@dataclass
class StageOutcome:
    stage: str
    status: str                    # ok | errors | failed | skipped
    detail: str
    counts: dict = field(default_factory=dict)


@dataclass
class UpdateResult:
    update_id: int
    stages: list[StageOutcome]
    exit_code: int


class _Stages:
    """The update's `update_stages` rows, written as each stage starts and ends."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        db = open_db(db_path)
        self.update_id = (db.execute("SELECT max(update_id) FROM update_stages").fetchone()[0] or 0) + 1
        db.conn.close()
        self.outcomes: list[StageOutcome] = []

    def last_update_unfinished(self) -> bool:
        """Whether the update before this one stopped partway (a stage failed, or it was killed)."""
        db = open_db(self.db_path)
        statuses = [r[0] for r in db.execute("SELECT status FROM update_stages WHERE update_id = ?",
                                             [self.update_id - 1]).fetchall()]
        db.conn.close()
        return bool(statuses) and (len(statuses) < len(STAGES) or any(s in ("failed", "running") for s in statuses))

    def start(self, stage: str) -> int:
        db = open_db(self.db_path)
        with transaction(db):
            row_id = db["update_stages"].insert({"update_id": self.update_id, "stage": stage, "started": now(),
                                                 "status": "running"}).last_pk
        db.conn.close()
        return row_id

    def end(self, row_id: int, outcome: StageOutcome) -> None:
        self.outcomes.append(outcome)
        db = open_db(self.db_path)
        with transaction(db):
            db["update_stages"].update(row_id, {"finished": now(), "status": outcome.status, "detail": outcome.detail,
                                                "counts": json.dumps(outcome.counts)})
        db.conn.close()


def run_update(db_path: str | Path, sources: list[Source], publish_to: str | Path, *, sample: bool = False,
               extra_settings: dict | None = None, log_level: str = "ERROR",
               on_step: Callable[[str], None] | None = None, lock: HeldLock | None = None,
               alias: AddressAlias | None = None) -> UpdateResult:
    """Run the four stages under the crawl lock (`lock` when the caller holds it already)."""
    from corpus.cases import run_group
    from corpus.process import run_process
    from corpus.publish import publish_snapshot

    db_path, publish_to = Path(db_path), Path(publish_to)
    on_step = on_step or (lambda step: None)
    open_db(db_path).conn.close()  # a bad database file is reported before the lock is taken
    with nullcontext(lock) if lock else crawl_lock(db_path) as lock:
        lock.note(update=True)
        stages = _Stages(db_path)

        def stage(name: str, work: Callable[[], StageOutcome]) -> StageOutcome:
            on_step(name)
            row_id = stages.start(name)
            try:
                outcome = work()
            except BaseException as exc:
                message = str(exc) or type(exc).__name__
                stages.end(row_id, StageOutcome(name, "failed", message))
                raise
            stages.end(row_id, outcome)
            return outcome

        def crawl() -> StageOutcome:
            result = run_crawl(db_path, sources, sample=sample, log_level=log_level, extra_settings=extra_settings,
                               lock=lock, alias=alias)
            counts = {"run_id": result.run_id, "responses": result.pages_fetched, "stored": result.stored,
                      "updated": result.updated, "rejected": result.rejected, "errors": result.errors}
            status = "ok" if result.exit_code == EXIT_OK else "errors" if result.exit_code == EXIT_SOURCE_ERRORS else "failed"
            return StageOutcome("crawl", status, f"run {result.run_id}: {result.status}, {result.stored} stored, "
                                                 f"{result.updated} updated, {result.errors} errors", counts)

        def process() -> StageOutcome:
            with stage_lock(db_path, "process"):
                result = run_process(open_db(db_path))
            return StageOutcome("process", "ok", f"{result.processed} documents, {result.mentions} mentions",
                                {"processed": result.processed, "mentions": result.mentions})

        def group() -> StageOutcome:
            with stage_lock(db_path, "group"):
                result = run_group(open_db(db_path))
            return StageOutcome("group", "ok", f"{result.documents} case reports in {result.cases} cases",
                                {"documents": result.documents, "cases": result.cases})

        def publish() -> StageOutcome:
            result = publish_snapshot(db_path, publish_to)
            return StageOutcome("publish", "ok", f"{result.path}: {result.documents} documents, {result.cases} cases",
                                {"documents": result.documents, "cases": result.cases, "bytes": result.bytes})

        crawled = stage("crawl", crawl)
        if crawled.status == "failed":
            return UpdateResult(stages.update_id, stages.outcomes, EXIT_CONFIG)
        unfinished = stages.last_update_unfinished()
        processed = stage("process", process)
        # Group and publish again when there is something new, or when the last update stopped before them.
        changed = processed.counts["processed"] > 0 or unfinished
        for name, work in (("group", group), ("publish", publish)):
            if changed or (name == "publish" and not publish_to.exists()):
                stage(name, work)
            else:
                row_id = stages.start(name)
                stages.end(row_id, StageOutcome(name, "skipped", "nothing new"))
        code = EXIT_SOURCE_ERRORS if crawled.status == "errors" else EXIT_OK
        return UpdateResult(stages.update_id, stages.outcomes, code)
