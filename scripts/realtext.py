"""Save and check the texts of the real-report development set (the texts are never committed).

The set in tests/realtext/ keeps references and labels only: query, url, rank, chars and the
SHA-1 of each excerpt. The texts are retrieved again by running the stored queries through the
page search and saving each answer as it came (JSON); this script turns those answers into one
text file per page, named by its SHA-1, and says which labelled pages are present and intact.

    python scripts/realtext.py save ANSWER.json [ANSWER.json ...] --dir TEXTS
    python scripts/realtext.py check tests/realtext/*.jsonl --dir TEXTS
    python scripts/realtext.py queries tests/realtext/*.jsonl     # the distinct queries to re-run

An answer file is the search answer exactly as returned: {"query": ..., "results": [{"rank",
"url", "excerpt"}, ...]}. The excerpt is written byte for byte (UTF-8, no stripping).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from corpus.realtext import RealTextError, load_records, read_text


def save(answers: list[Path], directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for answer in answers:
        data = json.loads(answer.read_text(encoding="utf-8"))
        for result in data.get("results", []):
            text = result["excerpt"]
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
            (directory / f"{digest}.txt").write_bytes(text.encode("utf-8"))
            print(json.dumps({"query": data.get("query"), "rank": result.get("rank"), "url": result.get("url"),
                              "chars": len(text), "sha1": digest}, ensure_ascii=False))
    return 0


def check(files: list[Path], directory: Path) -> int:
    records = load_records(files)
    bad = [r for r in records if read_text(r, directory) is None]
    for record in bad:
        print(f"missing or changed\t{record['id']}\t{record['url']}")
    print(f"{len(records) - len(bad)} of {len(records)} texts present and intact", file=sys.stderr)
    return 1 if bad else 0


def queries(files: list[Path]) -> int:
    seen = []
    for record in load_records(files):
        if record["query"] not in seen:
            seen.append(record["query"])
    for query in seen:
        print(query)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_save = sub.add_parser("save")
    p_save.add_argument("answers", nargs="+", type=Path)
    p_save.add_argument("--dir", type=Path, required=True)
    p_check = sub.add_parser("check")
    p_check.add_argument("labels", nargs="+", type=Path)
    p_check.add_argument("--dir", type=Path, required=True)
    p_queries = sub.add_parser("queries")
    p_queries.add_argument("labels", nargs="+", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "save":
            return save(args.answers, args.dir)
        if args.command == "check":
            return check(args.labels, args.dir)
        return queries(args.labels)
    except RealTextError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
