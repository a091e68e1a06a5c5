"""Serving at scale: Datasette latency on a large corpus, one client and many.

    .venv/bin/python -m benchmarks.synth --documents 200000 --db /tmp/synth.db
    .venv/bin/python -m benchmarks.serve --db /tmp/synth.db [--clients 50] [--single 30]
        [--max-requests 2000] [--max-seconds 60] [--format json|html] [--only NAME ...]
        [--workers N] [--before DIR] [--clients-for NAME ...]

It starts the real server, `corpus serve --db PATH --port P [--workers N]` (uvicorn, the database
opened immutable as in production) on a free 127.0.0.1 port, in its own process, and drives it
over loopback HTTP with httpx from this process. With `--before DIR` (a checkout of earlier code,
e.g. `git worktree add /tmp/before <commit>`), that code's `corpus serve` (one process) runs too,
on another port, and each scenario is measured on the earlier code and then on this one, back to
back, so both see the same machine load; each server answers with its own metadata.yml (its own
canned queries and dashboard). Each scenario is a list of request paths
cycled through (realistic parameters: place names, organisations, case ids that exist):

- full-text search (places, organisations, and common words such as "вербовка"/"recruitment"
  that match about a third of the reports): the `search` canned query (cases and reports) in
  Russian and English, and the search box of the documents and cases tables (`?_search=`);
- faceted table pages with the default facets of metadata.yml: documents, by lang and by
  source; cases, by region, stage and year; and a click on "More facets" (the array facet on
  cases.articles);
- every other canned query, with parameters drawn from the corpus;
- the dashboard's charts (/-/dashboards/overview), each as the page's script fetches it: its SQL
  (metadata.yml) against /corpus.json, with no country chosen.

Single client: `--single` sequential requests per scenario (after one warm-up request), once the
server has finished any work left from the scenario before (requests whose client timed out are
still run by Datasette; `drain_s` in the JSON is how long that took after each scenario).
Concurrent: `--clients` coroutines each send one request, wait for its answer and send the next
(closed loop, no think time), until `--max-requests` requests or `--max-seconds` seconds per
scenario. Reported per scenario: median (p50) and p95 of the per-request latencies, the
throughput, non-200 answers, requests slower than sql_time_limit_ms, and facets that Datasette
dropped for exceeding facet_time_limit_ms. Results print as a Markdown table and as JSON
(`--json FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import httpx

from corpus.serve import load_metadata

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def q(path: str, **params) -> str:
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def scenarios(db_path: Path, fmt: str, metadata: dict) -> dict[str, list[str]]:
    """Scenario name -> request paths, with parameters that exist in this corpus; the canned
    queries and charts are those of `metadata` (a server's metadata.yml)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    one = lambda sql: [r[0] for r in conn.execute(sql)]  # noqa: E731
    busy = one("SELECT case_id FROM case_documents GROUP BY case_id HAVING count(*) >= 3 LIMIT 20")
    similar = one("SELECT DISTINCT case_id FROM similar_cases LIMIT 20")
    regions = one("SELECT region FROM cases WHERE region IS NOT NULL GROUP BY region ORDER BY count(*) DESC LIMIT 8")
    years = one("SELECT year FROM cases GROUP BY year ORDER BY year DESC LIMIT 6")
    sources_ru = one("SELECT source FROM documents WHERE lang = 'ru' GROUP BY source ORDER BY count(*) DESC LIMIT 5")
    conn.close()
    queries = metadata["databases"]["corpus"].get("queries", {})
    charts = metadata.get("plugins", {}).get("datasette-dashboards", {}).get("overview", {}).get("charts", {})
    x = "." + fmt if fmt == "json" else ""
    d = f"/corpus/documents{x}"
    c = f"/corpus/cases{x}"
    search = f"/corpus/search{x}"
    return {
        # Full text: the canned search (cases + reports), Russian then English.
        "search ru (canned)": [q(search, q=t) for t in (
            "Семей", "Хизб ут-Тахрир", "Кульсары", "Таблиги", "вербовка", "Жанаозен", "Аль-Каида", "Актобе")],
        "search en (canned)": [q(search, q=t) for t in (
            "Semey", "Hizb ut-Tahrir", "Kulsary", "Tablighi", "recruitment", "Zhanaozen", "Al-Qaeda", "Aktobe")],
        "documents ?_search= ru": [q(d, _search=t) for t in ("Семей", "Хизб ут-Тахрир", "Актобе", "Жанаозен")],
        "documents ?_search= en": [q(d, _search=t) for t in ("Semey", "Hizb ut-Tahrir", "Aktobe", "Zhanaozen")],
        "cases ?_search=": [q(c, _search=t) for t in ("Almaty", "Алматы", "KZ-CC 256", "Telegram", "Semey", "isis")],
        # Faceted table pages (the facets come from metadata.yml).
        "documents (facets)": [d],
        "documents by lang": [q(d, lang=v) for v in ("ru", "en")],
        "documents by source": [q(d, source=v) for v in sources_ru],
        "cases (facets)": [c],
        "cases by region": [q(c, region=v) for v in regions],
        "cases by stage": [q(c, stage=v) for v in ("verdict", "detention", "trial", "appeal")],
        "cases by year": [q(c, year=v) for v in years],
        "cases + articles facet": [q(c, _facet_array="articles")] + [q(c, region=v, _facet_array="articles") for v in regions[:3]],
        # The other canned queries.
        "cases_by_region_article": [f"/corpus/cases_by_region_article{x}"],
        "penalty_by_article": [f"/corpus/penalty_by_article{x}"],
        "cases_per_year": [f"/corpus/cases_per_year{x}"],
        "case_reports": [q(f"/corpus/case_reports{x}", case_id=v) for v in busy],
        "similar_cases": [q(f"/corpus/similar_cases{x}", case_id=v) for v in similar],
        "cases_for_place": [q(f"/corpus/cases_for_place{x}", place=v) for v in
                            ("kz-semey", "Almaty", "Алматы", "Kulsary", "kz-east-kazakhstan-region", "Zhanaozen")],
        "map": [f"/corpus/map{x}"],
        **({"coverage_by_month": [f"/corpus/coverage_by_month{x}"]} if "coverage_by_month" in queries else {}),
        **{f"dashboard: {slug}": [q("/corpus.json", sql=chart_sql(chart["query"]), _shape="objects")]
           for slug, chart in charts.items()},
    }


def chart_sql(sql: str) -> str:
    """A dashboard chart's query with its optional filters left out (nothing chosen)."""
    import re

    return re.sub(r"\[\[.*?\]\]", "", sql)


def code_metadata(code: Path | None) -> dict:
    """The metadata.yml of a checkout (None: this one), as its `corpus serve` loads it."""
    if code is None:
        return load_metadata()[0]
    import yaml

    path = code / "corpus" / "metadata.yml"
    return yaml.safe_load((path if path.exists() else code / "metadata.yml").read_text("utf-8"))


class Result:
    def __init__(self):
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.timed_out_facets: dict[str, int] = {}
        self.over_limit = 0

    def add(self, seconds: float, response: httpx.Response | None, limit_s: float, fmt: str):
        self.latencies.append(seconds)
        if seconds > limit_s:
            self.over_limit += 1
        if response is None:
            self.errors["exception"] = self.errors.get("exception", 0) + 1
            return
        if response.status_code != 200:
            key = str(response.status_code)
            self.errors[key] = self.errors.get(key, 0) + 1
            return
        if fmt == "json":
            try:
                body = response.json()
            except ValueError:
                return
            if isinstance(body, dict):
                for facet in body.get("facets_timed_out") or []:
                    self.timed_out_facets[facet] = self.timed_out_facets.get(facet, 0) + 1

    def summary(self, wall: float) -> dict:
        lat = sorted(self.latencies)
        n = len(lat)
        p95 = lat[min(n - 1, int(round(0.95 * n + 0.5)) - 1)] if n else None
        return {"n": n, "p50_ms": round(statistics.median(lat) * 1000, 1) if n else None,
                "p95_ms": round(p95 * 1000, 1) if n else None, "max_ms": round(lat[-1] * 1000, 1) if n else None,
                "rps": round(n / wall, 1) if wall else None, "errors": self.errors,
                "over_limit": self.over_limit, "facets_timed_out": self.timed_out_facets}


async def one(client: httpx.AsyncClient, path: str) -> tuple[float, httpx.Response | None]:
    t = time.perf_counter()
    try:
        r = await client.get(path)
        await r.aread()
    except httpx.HTTPError:
        r = None
    return time.perf_counter() - t, r


async def run_single(client, paths, n, limit_s, fmt) -> dict:
    await one(client, paths[0])  # warm-up, not counted
    res = Result()
    t0 = time.perf_counter()
    for i in range(n):
        dt_, r = await one(client, paths[i % len(paths)])
        res.add(dt_, r, limit_s, fmt)
    return res.summary(time.perf_counter() - t0)


async def run_concurrent(client, paths, clients, max_requests, max_seconds, limit_s, fmt) -> dict:
    res = Result()
    counter = iter(range(max_requests))
    t0 = time.perf_counter()
    deadline = t0 + max_seconds

    async def worker():
        for i in counter:
            if time.perf_counter() > deadline:
                return
            dt_, r = await one(client, paths[i % len(paths)])
            res.add(dt_, r, limit_s, fmt)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return res.summary(time.perf_counter() - t0)


async def drain(client: httpx.AsyncClient, max_seconds: float = 120) -> float:
    """Wait until the server has worked through requests that clients gave up on (Datasette
    finishes a query whose client has gone): a trivial SQL query queues behind them on the
    SQL threads, so it answers quickly only once they are done. Returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_seconds:
        dt_, r = await one(client, "/corpus.json?sql=select+1&_shape=array")
        if r is not None and r.status_code == 200 and dt_ < 0.05:
            break
        await asyncio.sleep(0.5)
    return time.perf_counter() - t0


def start_server(db: Path, port: int, code: Path | None = None, workers: int = 1) -> subprocess.Popen:
    """`corpus serve` of this checkout, or of the checkout `code`."""
    more = ["--workers", str(workers)] if workers > 1 else []
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port), *more],
        cwd=code or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"corpus serve exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("corpus serve did not answer within 300 s")


async def bench(args) -> dict:
    """{"after": results, "before": results (with --before)}: each a dict as `markdown` reads."""
    _, settings = load_metadata()
    limit_s = int(settings.get("sql_time_limit_ms", 1000)) / 1000
    codes = {"after": None, **({"before": args.before} if args.before else {})}
    plans = {}
    for label, code in codes.items():
        found = scenarios(args.db, args.format, code_metadata(code))
        if args.only:
            found = {k: v for k, v in found.items() if any(o in k for o in args.only)}
        plans[label] = found
    names = list(dict.fromkeys(n for plan in plans.values() for n in plan))
    servers, outs, clients = {}, {}, {}
    limits = httpx.Limits(max_connections=max(1, args.clients), max_keepalive_connections=max(1, args.clients))
    try:
        for label, code in codes.items():
            port = free_port()
            t = time.perf_counter()
            workers = args.workers if label == "after" else 1
            servers[label] = start_server(args.db, port, code, workers)
            outs[label] = {"db": str(args.db), "db_size_mb": round(args.db.stat().st_size / 2**20, 1),
                           "format": args.format, "code": str(code or ROOT), "workers": workers,
                           "server_startup_s": round(time.perf_counter() - t, 1),
                           "sql_time_limit_ms": int(limit_s * 1000), "clients": args.clients, "scenarios": {}}
            clients[label] = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=args.timeout, limits=limits)
        for name in names:
            concurrent = args.clients and (not args.clients_for or any(o in name for o in args.clients_for))
            for label in codes:
                paths, client = plans[label].get(name), clients[label]
                if not paths:
                    continue
                await drain(client)
                single = await run_single(client, paths, args.single, limit_s, args.format)
                conc = (await run_concurrent(client, paths, args.clients, args.max_requests, args.max_seconds,
                                             limit_s, args.format) if concurrent else None)
                drained = await drain(client) if concurrent else 0
                outs[label]["scenarios"][name] = {"paths": paths[:2], "single": single, "concurrent": conc,
                                                  "drain_s": round(drained, 1)}
                print(f"{label} {name}: single p50 {single['p50_ms']} p95 {single['p95_ms']} | "
                      f"{args.clients} clients p50 {conc and conc['p50_ms']} p95 {conc and conc['p95_ms']} "
                      f"n {conc and conc['n']} errors {single['errors'] or ''}{(conc or {}).get('errors') or ''} "
                      f"facets_timed_out {single['facets_timed_out'] or ''}{(conc or {}).get('facets_timed_out') or ''}",
                      file=sys.stderr, flush=True)
    finally:
        for client in clients.values():
            await client.aclose()
        for proc in servers.values():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return outs


def comparison(outs: dict) -> str:
    """Before and after side by side: the p95 of each scenario."""
    before, after = outs["before"]["scenarios"], outs["after"]["scenarios"]
    clients = outs["after"]["clients"]
    lines = [f"| scenario | 1 client p95 ms, before | after | {clients} clients p95 ms, before | after |",
             "|---|---:|---:|---:|---:|"]
    for name in dict.fromkeys([*before, *after]):
        b, a = before.get(name) or {}, after.get(name) or {}
        cell = lambda s, k: "" if not s or not s.get(k) else s[k]["p95_ms"]  # noqa: E731
        lines.append(f"| {name} | {cell(b, 'single')} | {cell(a, 'single')} | {cell(b, 'concurrent')} | "
                     f"{cell(a, 'concurrent')} |")
    return "\n".join(lines)


def markdown(out: dict) -> str:
    lines = [f"| scenario | 1 client p50 ms | 1 client p95 ms | {out['clients']} clients p50 ms | "
             f"{out['clients']} clients p95 ms | req/s | requests | over {out['sql_time_limit_ms']} ms | errors / facets dropped |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, s in out["scenarios"].items():
        a, b = s["single"], s["concurrent"] or {}
        notes = []
        for part in (a, b):
            if part.get("errors"):
                notes.append("errors " + json.dumps(part["errors"]))
            if part.get("facets_timed_out"):
                notes.append("facets dropped " + ", ".join(sorted(part["facets_timed_out"])))
        lines.append(f"| {name} | {a['p50_ms']} | {a['p95_ms']} | {b.get('p50_ms', '')} | {b.get('p95_ms', '')} | "
                     f"{b.get('rps', '')} | {a['n']} + {b.get('n', 0)} | {a['over_limit'] + b.get('over_limit', 0)} | "
                     f"{'; '.join(dict.fromkeys(notes))} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--single", type=int, default=30, help="sequential requests per scenario, one client")
    p.add_argument("--max-requests", type=int, default=2000, help="per scenario, concurrent phase")
    p.add_argument("--max-seconds", type=float, default=60, help="per scenario, concurrent phase")
    p.add_argument("--format", choices=("json", "html"), default="json")
    p.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--timeout", type=float, default=30, help="client timeout per request, seconds (counted as an error)")
    p.add_argument("--workers", type=int, default=1, help="server processes of this checkout (corpus serve --workers)")
    p.add_argument("--before", type=Path, help="a checkout of earlier code, measured too, scenario by scenario")
    p.add_argument("--clients-for", nargs="*", help="run the concurrent phase only for scenarios whose name contains one of these")
    args = p.parse_args(argv)
    outs = asyncio.run(bench(args))
    if args.json:
        args.json.write_text(json.dumps(outs, ensure_ascii=False, indent=1), "utf-8")
    for label, out in outs.items():
        print(f"\n{label} ({out['code']}, {out['workers']} process(es)):\n\n{markdown(out)}")
    if "before" in outs:
        print("\n" + comparison(outs))


if __name__ == "__main__":
    main()
