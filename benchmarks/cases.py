"""Grouping at scale: time to group 10k, 100k and 1M synthetic reports, and the growth exponent.

    .venv/bin/python -m benchmarks.cases [--sizes 10000 100000 1000000] [--repeat 3] [--once-above 100000] [--embed 256]

Each run is a fresh process; it reports grouping seconds, candidate pairs scored, pairs the
merge checks scored, and peak resident memory (the synthetic data alone in brackets).

Synthetic reports come in cases of 1-6 reports that share a signature (a place among the
gazetteer's Kazakh towns, one or two articles, a term, an age and gender, a date, a platform,
an organisation, a head count, and person names: the defendant's, then others'), and each
report states each fact as often as the development set's real case reports do (FACT_RATES,
measured by extracting the 129 case reports of tests/realtext/grp*.jsonl): a place 85%, names
88% (2.8 a report), an article 15%, a term 54%, an age 22%, a gender 53%, an event date 81%
(a full date 36%), a platform 17%, an organisation 28%, a head count 62%. Names are surname
skeletons drawn from an invented pool of 18**7 (612 million), so two cases share one by chance
only rarely. Vectors are a case direction plus noise, giving cosines like the real model's
(same case about 0.9, different cases about 0.8-0.88). Grouping time excludes embedding;
embedding throughput is measured separately on real texts with the real model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from nlp.cases import group_with_scores, regions_of
from nlp.gazetteer import places

DIM = 384
ARTICLES = ["KZ-CC 174", "KZ-CC 256", "KZ-CC 255", "KZ-CC 257", "KZ-CC 258", "KZ-CC 259", "KZ-CC 405", "KZ-CC 182"]


# How often a real case report's extracted facts state each fact: the development set's case
# reports (tests/realtext/grp*.jsonl, 129 reports with is_case_report true), run through
# extraction and `nlp.cases.signature`. Each synthetic report states each fact with this rate.
FACT_RATES = {
    "place": 0.85, "names": 0.88, "article": 0.15, "term": 0.54, "age": 0.22, "gender": 0.53,
    "event_date": 0.81, "full_event_date": 0.36, "platform": 0.17, "organisation": 0.28, "convicted": 0.62,
}
# Person names are surname skeletons (as nlp.names.name_key gives them) drawn from an invented
# pool of NAME_LETTERS ** NAME_LENGTH, so that two cases share a name by chance only rarely
# (a million reports draw about 750,000 names: about one in 800 is also another case's).
NAME_LETTERS = "bcdfghjklmnpqrstvz"
NAME_LENGTH = 7
NAME_POOL = len(NAME_LETTERS) ** NAME_LENGTH  # 612,220,032
ORGANISATIONS = ["hizb-ut-tahrir", "isis", "dvk", "tablighi-jamaat", "etim", "jabhat-al-nusra"]
ORGANISATION_WEIGHTS = [13, 9, 8, 4, 1, 1]  # as often as in the development set
PENALTY_KINDS = ["prison", "prison", "prison", "prison", "prison", "suspended", "restricted_freedom"]


def invented_name(rng: random.Random) -> str:
    """One surname skeleton from the pool of NAME_POOL."""
    k = rng.randrange(NAME_POOL)
    letters = []
    for _ in range(NAME_LENGTH):
        k, r = divmod(k, len(NAME_LETTERS))
        letters.append(NAME_LETTERS[r])
    return "".join(letters)


def synthetic(n: int, seed: int = 7) -> tuple[list[dict], np.ndarray]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    towns = [p.id for p in places().values() if p.country == "KZ" and p.kind in ("city", "town")]
    regions = {town: regions_of([town]) for town in towns}
    docs = []
    vectors = np.empty((n, DIM), dtype=np.float32)  # filled case by case: no float64 copy of the whole
    base = nrng.normal(size=DIM)
    rate = FACT_RATES
    case = 0
    while len(docs) < n:
        case += 1
        size = min(rng.choice([1, 1, 2, 2, 3, 4, 6]), n - len(docs))
        place = rng.choice(towns)
        arts = sorted(rng.sample(ARTICLES, rng.choice([1, 1, 2])))
        term = (rng.choice(PENALTY_KINDS), rng.choice([2, 3, 4, 5, 6, 7, 8, 10]))
        age = rng.randint(18, 60)
        gender = "male" if rng.random() < 0.85 else "female"
        year = rng.randint(2015, 2024)
        month = rng.randint(1, 12)
        event = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        platform = rng.choice(["Telegram", "WhatsApp", "TikTok", "Instagram", "VKontakte", "YouTube"])
        org = rng.choices(ORGANISATIONS, ORGANISATION_WEIGHTS)[0]
        # The defendant first, then the others a report may name (co-defendants, a lawyer).
        people = [invented_name(rng) for _ in range(rng.choice([1, 1, 2, 2, 3, 4]))]
        convicted = rng.choice([1, 1, 1, 1, 2, 3, 6])
        direction = 0.6 * base + nrng.normal(size=DIM)  # topical commonality squeezes cosines, as in e5
        first = len(docs)
        for k in range(size):
            states = {fact: rng.random() < r for fact, r in rate.items()}
            if states["full_event_date"]:
                dates = [event]
            elif rng.random() < (rate["event_date"] - rate["full_event_date"]) / (1 - rate["full_event_date"]):
                dates = [rng.choice([str(year), f"{year}-{month:02d}"])]
            else:
                dates = []
            person = {"age": age if states["age"] else None, "gender": gender if states["gender"] else None}
            docs.append({
                "id": f"d{len(docs):07d}", "case": case,
                "places": [place] if states["place"] else [], "regions": list(regions[place]) if states["place"] else [],
                "articles": arts if states["article"] else [],
                "penalties": [{"kind": term[0], "min_years": term[1], "max_years": term[1]}] if states["term"] else [],
                "persons": [person] if person["age"] or person["gender"] else [],
                "names": [people[0]] + [p for p in people[1:] if rng.random() < 0.5] if states["names"] else [],
                "convicted_count": convicted if states["convicted"] else None,
                "published": f"{year}-{rng.randint(1, 12):02d}-15",
                "event_dates": dates,
                "platforms": [platform] if states["platform"] else [],
                "orgs": [org] if states["organisation"] else [],
            })
        # One draw for the case's reports is the same stream as one draw per report.
        v = direction + 0.55 * nrng.normal(size=(size, DIM))
        vectors[first:first + size] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return docs, vectors


def pairwise_f1(docs: list[dict], groups: list[list[str]]) -> float:
    """Pairwise F1 by counting only: nlp.evaluate.score_groups also lists every wrong pair, which
    at a million synthetic reports runs to millions."""
    case = {d["id"]: d["case"] for d in docs}
    by_case: dict[int, list[str]] = {}
    for d in docs:
        by_case.setdefault(d["case"], []).append(d["id"])
    gold_pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_case.values())
    found = tp = 0
    for g in groups:
        found += len(g) * (len(g) - 1) // 2
        counts: dict[int, int] = {}
        for doc in g:
            counts[case[doc]] = counts.get(case[doc], 0) + 1
        tp += sum(c * (c - 1) // 2 for c in counts.values())
    p = tp / found if found else 1.0
    r = tp / gold_pairs if gold_pairs else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def embedding_throughput(n: int) -> float:
    from crawler.sample_site.server import load_articles
    from nlp.embeddings import case_text, embed

    texts = [case_text(a.title, f"{a.lead}\n{a.body}") for a in load_articles()]
    texts = [texts[i % len(texts)] for i in range(n)]
    embed(texts[:8])
    start = time.perf_counter()
    embed(texts)
    return n / (time.perf_counter() - start)


def _cpu_seconds() -> float:
    """CPU time of this process, all threads: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(n: int) -> dict:
    """Group n synthetic reports in this process: seconds, work done and peak memory."""
    docs, vectors = synthetic(n)
    data_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats: dict = {}
    cpu = _cpu_seconds()
    start = time.perf_counter()
    groups = [g for g, _ in group_with_scores(docs, vectors, stats=stats)]
    secs = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    return {"documents": n, "seconds": secs, "cpu_seconds": cpu, "f1": pairwise_f1(docs, groups), **stats,
            "data_mib": data_kib / 1024, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def growth_exponent(times: list[tuple[int, float]]) -> float:
    """Least-squares slope of log seconds over log documents."""
    x = np.log([n for n, _ in times])
    y = np.log([t for _, t in times])
    return float(np.polyfit(x, y, 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each size (the median is reported)")
    parser.add_argument("--once-above", type=int, default=100000, help="sizes above this run once")
    parser.add_argument("--embed", type=int, default=0, help="texts for the embedding throughput (0: skip)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| documents | runs (wall s each) | wall s (median) | CPU s (median) | docs/s (wall) "
          "| candidate pairs / doc | merge-check pairs | peak RSS MiB (data alone) | pairwise F1 (synthetic) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    times, cpu_times = [], []
    for n in args.sizes:
        # Each run in a fresh process, so that its peak memory is its own.
        runs = [json.loads(subprocess.run([sys.executable, "-m", "benchmarks.cases", "--one", str(n)],
                                          check=True, capture_output=True, text=True).stdout)
                for _ in range(args.repeat if n <= args.once_above else 1)]
        secs = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        r = runs[0]
        times.append((n, secs))
        cpu_times.append((n, cpu))
        each = ", ".join(f"{x['seconds']:.1f}" for x in runs)
        print(f"| {n} | {len(runs)} ({each}) | {secs:.1f} | {cpu:.1f} | {n / secs:.0f} "
              f"| {r['candidate_pairs'] / n:.1f} | {r['merge_check_pairs']} "
              f"| {max(x['peak_mib'] for x in runs):.0f} ({r['data_mib']:.0f}) | {r['f1']:.3f} |", flush=True)
    if len(times) >= 2:
        for what, series in (("wall", times), ("CPU", cpu_times)):
            (n0, t0), (n1, t1) = series[0], series[-1]
            print(f"growth exponent, {what} time, {n0} -> {n1}: {growth_exponent(series):.2f} (least squares); "
                  f"{t1 / t0:.1f} times the seconds for {n1 / n0:.0f} times the documents "
                  f"({math.log(t1 / t0) / math.log(n1 / n0):.2f} end to end)")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.embed:
        print(f"embedding throughput (multilingual-e5-small, batch 32, title+lead+body <= 1200 chars): "
              f"{embedding_throughput(args.embed):.1f} texts/s")


if __name__ == "__main__":
    main()
