"""Extraction at scale: `corpus process` over N documents, throughput and peak memory.

    .venv/bin/python -m benchmarks.process --documents 10000 --n-process 2 [--batch-size 32]
        [--limit-seconds 1800] [--keep DB]

Builds a temporary corpus.db of N documents copied from realistic texts (70% the sample
site's articles, 30% the gold snippets of tests/gold/*.jsonl; about 65% Russian), each varied by a
small edit so that content hashes differ, then runs `corpus process` as a subprocess and
samples, every 0.5 s, the resident memory of that process and of its worker processes
(psutil if installed, else /proc/<pid>/status VmRSS), and every 5 s how many documents are
done (a read-only query). Prints docs/s overall and in the steady state (after the first 10%
of documents), peak RSS of the main process and of the whole tree, and RSS as the run
progressed. With --limit-seconds the run is stopped after that long and the report says how
many documents were processed: the numbers then describe that part of the run only.

The tree sum counts pages shared by forked workers once per process, so it overstates what
the machine really uses; the main process's RSS is the figure that must stay flat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.sample_site.server import load_articles

ROOT = Path(__file__).resolve().parent.parent
RU_SHARE = 0.65

try:  # psutil is optional: /proc is enough on Linux
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None


ARTICLE_SHARE = 0.7  # the rest are gold snippets (one or two paragraphs)


def pool() -> dict[str, list[dict]]:
    """Source texts by language: (title, text, published); full articles under "ru"/"en",
    gold snippets under "ru-gold"/"en-gold"."""
    texts: dict[str, list[dict]] = {"ru": [], "en": [], "ru-gold": [], "en-gold": []}
    for a in load_articles():
        body = "\n\n".join(part for part in (a.lead, a.body) if part)
        texts[a.lang].append({"title": a.title, "text": body, "published": a.published.isoformat()})
    for path in sorted((ROOT / "tests" / "gold").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            g = json.loads(line)
            if g.get("lang") in ("ru", "en") and g.get("text"):
                texts[g["lang"] + "-gold"].append({"title": g.get("title") or "", "text": g["text"],
                                         "published": g.get("published")})
    return texts


def vary(text: str, i: int, rng: random.Random, lang: str) -> str:
    """A small edit: drop or double one sentence break and add a reference line, so the hash differs."""
    sentences = text.split(". ")
    if len(sentences) > 2 and rng.random() < 0.5:
        k = rng.randrange(1, len(sentences))
        sentences[k - 1] += "." if rng.random() < 0.5 else ".\n"
        text = " ".join(sentences[:k]) + " " + ". ".join(sentences[k:])
    tail = f"Материал № {i}." if lang == "ru" else f"Ref. {i}."
    return f"{text}\n\n{tail}"


def build_db(path: Path, n: int, seed: int = 1) -> dict:
    from corpus.database import open_db

    rng = random.Random(seed)
    texts = pool()
    db = open_db(path)
    db.conn.close()
    conn = sqlite3.connect(str(path))
    rows = []
    chars = {"ru": 0, "en": 0}
    langs = {"ru": 0, "en": 0}
    for i in range(n):
        lang = "ru" if rng.random() < RU_SHARE else "en"
        kind = lang if rng.random() < ARTICLE_SHARE else lang + "-gold"
        src = texts[kind][rng.randrange(len(texts[kind]))]
        text = vary(src["text"], i, rng, lang)
        url = f"https://bench.example/{lang}/{i}"
        rows.append((hashlib.sha1(url.encode()).hexdigest()[:16], url, url, lang, src["title"],
                     src["published"], text, hashlib.sha1(text.encode("utf-8")).hexdigest()))
        chars[lang] += len(text) + len(src["title"])
        langs[lang] += 1
        if len(rows) == 5000 or i == n - 1:
            with conn:
                conn.executemany(
                    "INSERT INTO documents (id, url, canonical_url, lang, title, published, text, content_hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows = []
    conn.close()
    return {"langs": langs, "mean_chars": {k: round(chars[k] / max(langs[k], 1)) for k in chars}}


def tree_pids(pid: int) -> list[int]:
    """The process and all its descendants."""
    if psutil is not None:
        try:
            p = psutil.Process(pid)
            return [pid] + [c.pid for c in p.children(recursive=True)]
        except psutil.Error:
            return []
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def done_count(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM documents WHERE processed_hash IS NOT NULL").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return -1


def run_process(path: Path, n: int, n_process: int, batch_size: int, limit: float | None) -> dict:
    cmd = [sys.executable, "-m", "corpus.cli", "process", "--db", str(path),
           "--n-process", str(n_process), "--batch-size", str(batch_size)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_main = peak_tree = 0.0
    max_workers = 0
    progress: list[tuple[float, int, float]] = []  # (seconds, documents done, main RSS)
    next_count = 0.0
    stopped = False
    while proc.poll() is None:
        elapsed = time.perf_counter() - start
        pids = tree_pids(proc.pid)
        main = rss_mib(proc.pid)
        peak_main = max(peak_main, main)
        peak_tree = max(peak_tree, sum(rss_mib(p) for p in pids))
        max_workers = max(max_workers, len(pids) - 1)
        if elapsed >= next_count:
            progress.append((elapsed, done_count(path), main))
            next_count = elapsed + 5
        if limit is not None and elapsed > limit:
            proc.terminate()
            stopped = True
            break
        time.sleep(0.5)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done = done_count(path)
    progress.append((seconds, done, 0.0))
    if proc.returncode not in (0, None) and not stopped:
        raise SystemExit(f"corpus process failed ({proc.returncode}):\n{err[-3000:]}")
    # Steady state: from the first sample past 10% of the documents (in a run stopped before
    # that: the first sample with any document done) to the end (excludes start-up).
    steady = None
    tenth = [p for p in progress if p[1] >= 0.1 * n] or [p for p in progress if p[1] > 0][:-1]
    if len(tenth) >= 2 and tenth[-1][1] > tenth[0][1]:
        steady = (tenth[-1][1] - tenth[0][1]) / (tenth[-1][0] - tenth[0][0])
    return {"seconds": seconds, "done": done, "stopped": stopped, "peak_main": peak_main,
            "peak_tree": peak_tree, "max_workers": max_workers, "steady": steady,
            "progress": progress, "stdout": out.strip(), "stderr_tail": err.strip()[-300:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit-seconds", type=float, default=None,
                        help="stop `corpus process` after this long and report the part that ran")
    parser.add_argument("--keep", type=Path, default=None, help="write the database here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "corpus.db"
        if path.exists():
            raise SystemExit(f"{path} exists")
        t0 = time.perf_counter()
        info = build_db(path, args.documents)
        print(f"built {args.documents} documents in {time.perf_counter() - t0:.1f}s: {info['langs']}, "
              f"mean characters {info['mean_chars']}, db {path.stat().st_size / 2**20:.0f} MiB", flush=True)
        r = run_process(path, args.documents, args.n_process, args.batch_size, args.limit_seconds)
    print(f"corpus process --n-process {args.n_process} --batch-size {args.batch_size}: "
          f"{r['done']}/{args.documents} documents in {r['seconds']:.1f}s"
          + (" (stopped at the time limit)" if r["stopped"] else ""))
    print(f"  overall {r['done'] / r['seconds']:.1f} docs/s (start-up included); steady state "
          + (f"{r['steady']:.1f} docs/s" if r["steady"] else "n/a"))
    print(f"  peak RSS: main process {r['peak_main']:.0f} MiB, process tree {r['peak_tree']:.0f} MiB "
          f"(up to {r['max_workers']} child processes at once)")
    marks = {}
    for seconds, done, main_rss in r["progress"][:-1]:
        for frac in (0.1, 0.25, 0.5, 0.75, 0.9):
            if done >= frac * args.documents and frac not in marks:
                marks[frac] = (done, main_rss, seconds)
    print("  main RSS as it went: " + ", ".join(
        f"{done} docs {rss:.0f} MiB @{s:.0f}s" for done, rss, s in marks.values()))
    print("  every minute: " + ", ".join(
        f"{s:.0f}s {done} docs {rss:.0f} MiB" for s, done, rss in r["progress"][:-1][::12]))
    print(f"  load average at end: {os.getloadavg()[0]:.1f}; {r['stdout'] or r['stderr_tail'].splitlines()[-1:]}")
    print("| documents | n-process | processed | seconds | docs/s | steady docs/s | peak RSS main MiB | peak RSS tree MiB |")
    print(f"| {args.documents} | {args.n_process} | {r['done']} | {r['seconds']:.0f} | "
          f"{r['done'] / r['seconds']:.1f} | {r['steady'] or 0:.1f} | {r['peak_main']:.0f} | {r['peak_tree']:.0f} |")


if __name__ == "__main__":
    main()
