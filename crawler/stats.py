"""The crawl's stats keys, built and read here and nowhere else.

Every part of a crawl reports through Scrapy's stats collector (the spider, the item
pipelines, the application's store, the writer of a distributed crawl), and the stats dict
is what a crawl hands back to whoever ran it (crawler/job.py). Per-source counts are
`source/<name>/<count>`; a source's error messages are `source/<name>/error_messages`.

    >>> stats = {source_key("tengrinews", "stored"): 3, PAGES_FETCHED: 10}
    >>> per_source(stats, ["tengrinews"])["tengrinews"]["stored"], pages_fetched(stats)
    (3, 10)
"""

from __future__ import annotations

from typing import Callable, Iterable

# Counted per source. "pages": article pages received; the store's outcomes; the rest
# say why a page was not fetched or not kept.
SOURCE_COUNTS = ("pages", "stored", "updated", "unchanged", "rejected", "errors", "refused", "not_modified",
                 "skipped", "skipped_old")
# Scrapy's own count of responses: the run's pages fetched (`crawl_runs.pages_fetched`).
PAGES_FETCHED = "response_received_count"
SOURCE_ERRORS = "source_errors"
ERROR_MESSAGES = "error_messages"
PAGES_QUEUED = "pages_queued"            # distributed: pages handed to the writer
NEW_VALIDATORS = "validators"            # {url: {"source", "etag", "last_modified"}} seen this run
WORKERS = "workers"                      # distributed: pages fetched per crawler process
ELAPSED = "elapsed_time_seconds"
FINISH_REASON = "finish_reason"


def source_key(name: str | None, key: str) -> str:
    return f"source/{name or 'unknown'}/{key}"


def count_outcome(inc_value: Callable[[str], None], source: str, outcome: str) -> None:
    """Count a page the store took ("stored", "updated", "unchanged" or "rejected"), per
    source and in all."""
    inc_value(source_key(source, outcome))
    inc_value(f"pages_{outcome}")


def outcome_total(stats: dict, outcome: str) -> int:
    return int(stats.get(f"pages_{outcome}", 0))


def pages_fetched(stats: dict) -> int:
    return int(stats.get(PAGES_FETCHED, 0))


def article_pages(stats: dict) -> int:
    """Article pages received, summed over the sources (the rest of the responses are robots.txt,
    feeds, sitemaps and listings)."""
    return sum(int(v) for k, v in stats.items() if k.startswith("source/") and k.endswith("/pages"))


def per_source(stats: dict, names: Iterable[str]) -> dict[str, dict[str, int]]:
    """Every count of SOURCE_COUNTS for each named source (0 when none was counted)."""
    return {name: {key: int(stats.get(source_key(name, key), 0)) for key in SOURCE_COUNTS} for name in names}


def error_messages(stats: dict) -> dict[str, list[str]]:
    """The error messages, by source (and "writer", a distributed crawl's)."""
    out = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "source" and parts[2] == ERROR_MESSAGES and value:
            out[parts[1]] = value
    return out


def error_count(stats: dict) -> int:
    return int(stats.get(SOURCE_ERRORS, 0)) + int(stats.get("log_count/ERROR", 0))


def error_details(stats: dict) -> dict:
    """Scrapy's own error and exception counts (the per-source ones aside)."""
    return {k: v for k, v in stats.items()
            if ("error" in k.lower() or "exception" in k) and not k.startswith("source/")}


def merge(worker_stats: list[dict]) -> dict:
    """Add up the stats of several crawler processes: counts are summed (the elapsed time is
    the longest), lists joined, validators united; the run is "finished" only if every
    process finished."""
    merged: dict = {}
    for stats in worker_stats:
        for key, value in stats.items():
            if isinstance(value, bool) or key == FINISH_REASON:
                continue
            if isinstance(value, (int, float)):
                merged[key] = max(merged.get(key, 0), value) if key == ELAPSED else merged.get(key, 0) + value
            elif isinstance(value, list):
                merged[key] = merged.get(key, []) + value
            elif isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
    reasons = {str(s.get(FINISH_REASON)) for s in worker_stats}
    if worker_stats:
        merged[FINISH_REASON] = "finished" if reasons == {"finished"} else min(reasons - {"finished"})
    return merged
