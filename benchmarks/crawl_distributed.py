"""Distributed crawl throughput: the same mirror crawled by one process (`corpus crawl`) and
on a shared Redis frontier by 1 and 2 crawler processes with the one writer
(`corpus crawl --distributed`), back to back in the same run.

    .venv/bin/python -m benchmarks.crawl_distributed [--pages 3000] [--repeat 2]

It starts its own redis-server (Debian's package) on a free 127.0.0.1 port. Rates are end to
end (wall clock, process start-up included): a distributed run ends only after its
processes agree they are idle (two engine heartbeats, up to 10 s), which the single process
does not wait for. On one machine the crawler processes share its cores with the writer and
the mirror server, so this measures the overhead of the shared frontier and the gain from
spreading extraction over processes, not what more machines would add.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

from benchmarks.crawl import crawl


def start_redis() -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                               "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
                              stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    return server, f"redis://127.0.0.1:{port}/0", workdir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    server, url, workdir = start_redis()
    modes = {"one process (`corpus crawl`)": {},
             "distributed, 1 crawler process + writer": {"distributed": url, "workers": 1},
             "distributed, 2 crawler processes + writer": {"distributed": url, "workers": 2}}
    rates: dict[str, list[float]] = {name: [] for name in modes}
    try:
        for n in range(args.repeat):
            for name, options in modes.items():
                result = crawl(args.pages, **options)
                rates[name].append(result["wall_per_min"])
                print(f"run {n + 1}: {name}: {result['wall_per_min']:.0f} pages/min end to end "
                      f"({result['wall']:.1f} s)", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    base = statistics.median(rates["one process (`corpus crawl`)"])
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end; mirror of {args.pages} pages, "
          f"median of {args.repeat} runs\n")
    print("| mode | pages/min end to end (median) | runs | / one process |")
    print("|---|---:|---|---:|")
    for name, values in rates.items():
        med = statistics.median(values)
        print(f"| {name} | {med:.0f} | {', '.join(f'{v:.0f}' for v in values)} | {med / base:.2f} |")


if __name__ == "__main__":
    main()
