"""Grouping at scale: time to group 1k, 10k and 100k synthetic reports, and the growth exponent.

    .venv/bin/python -m benchmarks.cases [--sizes 1000 10000 100000] [--embed 256]

Synthetic reports come in cases of 1-6 reports that share a signature (a place among the
gazetteer's Kazakh towns, one or two articles, a term, an age) with some facts missing, as
in real follow-ups; their vectors are a case direction plus noise, giving cosines like the
real model's (same case about 0.9, different cases about 0.8-0.88). Grouping time excludes
embedding; embedding throughput is measured separately on real texts with the real model.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import numpy as np

from nlp.cases import group, regions_of
from nlp.gazetteer import places

ARTICLES = ["KZ-CC 174", "KZ-CC 256", "KZ-CC 255", "KZ-CC 257", "KZ-CC 258", "KZ-CC 259", "KZ-CC 405", "KZ-CC 182"]


def synthetic(n: int, seed: int = 7) -> tuple[list[dict], np.ndarray]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    towns = [p.id for p in places().values() if p.country == "KZ" and p.kind in ("city", "town")]
    docs, vectors = [], []
    base = nrng.normal(size=384)
    case = 0
    while len(docs) < n:
        case += 1
        size = min(rng.choice([1, 1, 2, 2, 3, 4, 6]), n - len(docs))
        place = rng.choice(towns)
        arts = sorted(rng.sample(ARTICLES, rng.choice([1, 1, 2])))
        term = rng.choice([2, 3, 4, 5, 6, 7, 8, 10])
        age = rng.randint(18, 60)
        year = rng.randint(2015, 2024)
        event = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        platform = rng.choice(["Telegram", "WhatsApp", "TikTok", "Instagram", "VKontakte", "YouTube"])
        direction = 0.6 * base + nrng.normal(size=384)  # topical commonality squeezes cosines, as in e5
        for k in range(size):
            verdict = k > 0 or size == 1
            docs.append({
                "id": f"d{len(docs):07d}", "case": case, "places": [place], "regions": regions_of([place]),
                "articles": arts if rng.random() > 0.3 else [],
                "penalties": [{"kind": "prison", "min_years": term, "max_years": term}] if verdict else [],
                "persons": [{"age": age, "gender": "male"}] if rng.random() > 0.4 else [],
                "convicted_count": 1, "published": f"{year}-{rng.randint(1, 12):02d}-15",
                "event_dates": [event] if rng.random() > 0.5 else [],
                "platforms": [platform] if rng.random() > 0.5 else [],
            })
            v = direction + 0.55 * nrng.normal(size=384)
            vectors.append(v / np.linalg.norm(v))
    return docs, np.asarray(vectors, dtype=np.float32)


def pairwise_f1(docs: list[dict], groups: list[list[str]]) -> float:
    case = {d["id"]: d["case"] for d in docs}
    pred = {doc: i for i, g in enumerate(groups) for doc in g}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--embed", type=int, default=256, help="texts for the embedding throughput (0: skip)")
    args = parser.parse_args()
    print("| documents | grouping s | docs/s | pairwise F1 (synthetic) |")
    print("|---:|---:|---:|---:|")
    times = []
    for n in args.sizes:
        docs, vectors = synthetic(n)
        start = time.perf_counter()
        groups = group(docs, vectors)
        secs = time.perf_counter() - start
        times.append((n, secs))
        print(f"| {n} | {secs:.1f} | {n / secs:.0f} | {pairwise_f1(docs, groups):.3f} |", flush=True)
    if len(times) >= 2:
        (n0, t0), (n1, t1) = times[0], times[-1]
        print(f"\ngrowth exponent (log t / log n, {n0} -> {n1}): {math.log(t1 / t0) / math.log(n1 / n0):.2f}")
    if args.embed:
        print(f"embedding throughput (multilingual-e5-small, batch 32, title+lead+body <= 1200 chars): "
              f"{embedding_throughput(args.embed):.1f} texts/s")


if __name__ == "__main__":
    main()
