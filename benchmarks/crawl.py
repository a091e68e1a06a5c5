"""Crawl throughput: crawl + extraction + storage against a large local mirror, beside
`scrapy bench` measured in the same run on the same machine.

    .venv/bin/python -m benchmarks.crawl [--pages 5000] [--repeat 2] [--bench-seconds 20]

The mirror (crawler/sample_site/mirror.py) is a generated news site of --pages article pages
of about 30 KB (navigation, related links, inline script, JSON-LD), most of them case reports
in Russian or English, listed by a sitemap index; it is served from this process on
127.0.0.1, each page rendered once before the clock starts. The crawl is `corpus crawl`'s
own code path (`run_crawl` in sample mode: the child process, the registry-driven spider,
every item pipeline, the SQLite store with raw pages, MinHash bands and duplicate links),
without the politeness delays that a real site gets.

`scrapy bench` is Scrapy's own benchmark (a local server, a spider that follows links and
does nothing else), run outside the project so that our settings do not throttle it.

Prints Markdown tables for BENCHMARKS.md: pages per minute while crawling (Scrapy's
elapsed time) and end to end (with the child's start-up), median of --repeat runs, and each
run's ratio to the `scrapy bench` run just before it (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from crawler.sample_site.mirror import mirror_sources, serve_mirror
from corpus.crawl import run_crawl
from corpus.database import open_db


def scrapy_bench(seconds: int) -> dict:
    """Run `scrapy bench` outside the project; its pages per minute from the final stats."""
    with tempfile.TemporaryDirectory(prefix="scrapy-bench-") as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOGSTATS_INTERVAL=1"],
            cwd=tmp, capture_output=True, text=True, timeout=seconds + 120,
            env={k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"})
    log = done.stdout + done.stderr
    pages = int(re.search(r"'response_received_count': (\d+)", log).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", log).group(1))
    rates = [int(r) for r in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", log)]
    steady = statistics.median(rates[3:]) if len(rates) > 3 else float("nan")
    return {"pages": pages, "elapsed": elapsed, "per_min": pages / elapsed * 60, "steady_per_min": steady}


def crawl(pages: int, **options) -> dict:
    """One crawl of a fresh mirror into a fresh database; `options` go to `run_crawl`
    (`distributed=`, `workers=` for benchmarks/crawl_distributed.py)."""
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp, serve_mirror(pages=pages) as (base, mirror):
        mirror.render = lru_cache(maxsize=None)(mirror.render)
        for i in range(pages):  # the server should cost as little as possible while we measure
            mirror.render(i)
        path = Path(tmp, "corpus.db")
        start = time.perf_counter()
        result = run_crawl(path, mirror_sources(base), sample=True, log_level="ERROR", **options)
        wall = time.perf_counter() - start
        db = open_db(path)
        duplicates = db.execute("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL").fetchone()[0]
        size = path.stat().st_size
        db.conn.close()
    processed = result.stored + result.rejected
    assert result.status == "ok" and processed == pages, result
    return {"pages": processed, "stored": result.stored, "rejected": result.rejected, "duplicates": duplicates,
            "elapsed": result.elapsed, "wall": wall, "per_min": processed / result.elapsed * 60,
            "wall_per_min": processed / wall * 60, "db_mb": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bench-seconds", type=int, default=20)
    args = parser.parse_args()

    benches, crawls = [], []
    for n in range(args.repeat):
        benches.append(scrapy_bench(args.bench_seconds))
        print(f"run {n + 1}: scrapy bench {benches[-1]['per_min']:.0f} pages/min "
              f"(steady {benches[-1]['steady_per_min']:.0f})", file=sys.stderr)
        crawls.append(crawl(args.pages))
        print(f"run {n + 1}: crawl {crawls[-1]['per_min']:.0f} pages/min, "
              f"{crawls[-1]['wall_per_min']:.0f} end to end", file=sys.stderr)

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    ours, theirs = med(crawls, "per_min"), med(benches, "per_min")
    c = crawls[0]
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"Mirror: {args.pages} pages; stored {c['stored']}, rejected {c['rejected']} "
          f"(not case reports), {c['duplicates']} marked as near-duplicates; corpus.db {c['db_mb']:.0f} MB\n")
    print("| what | pages | seconds | pages/min | / scrapy bench |")
    print("|---|---:|---:|---:|---:|")
    print(f"| `scrapy bench` (follow links, no processing) | {med(benches, 'pages'):.0f} | "
          f"{med(benches, 'elapsed'):.1f} | {theirs:.0f} |  |")
    print(f"| crawl + extraction + storage, while crawling | {args.pages} | {med(crawls, 'elapsed'):.1f} | "
          f"{ours:.0f} | {ours / theirs:.2f} |")
    print(f"| the same, end to end (child start-up included) | {args.pages} | {med(crawls, 'wall'):.1f} | "
          f"{med(crawls, 'wall_per_min'):.0f} | {med(crawls, 'wall_per_min') / theirs:.2f} |")
    # The machine is shared: each crawl is compared with the scrapy bench run just before it.
    print("\nRun by run (scrapy bench, then the crawl, back to back):\n")
    print("| run | scrapy bench pages/min | crawl pages/min | ratio |")
    print("|---:|---:|---:|---:|")
    for n, (b, c) in enumerate(zip(benches, crawls), 1):
        print(f"| {n} | {b['per_min']:.0f} | {c['per_min']:.0f} | {c['per_min'] / b['per_min']:.2f} |")


if __name__ == "__main__":
    main()
