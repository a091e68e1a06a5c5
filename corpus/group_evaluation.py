"""Scoring case grouping the way `corpus group-texts` does it, on labelled reports.

Two kinds of gold: the hand-written reports of tests/gold/groups.jsonl (text inline, gold key
"case"), or labelled real reports (tests/realtext/*.jsonl, gold key "case_group", null for a page
that reports no case) with a folder of their retrieved texts. A real report whose note says
"near-miss of SLUG" must stay apart from case SLUG.

    report = evaluate_grouping(realtext_rows(load_records(paths), Path("texts")))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nlp import cases as grouping
from nlp.evaluate import GroupScore, score_groups

from corpus.cases import group_text_rows
from corpus.realtext import read_text

NEAR_MISS = re.compile(r"near-miss of ([\w-]+)")


@dataclass
class GroupingReport:
    score: GroupScore
    reports: int
    reasons: dict[tuple[str, str], str]  # each wrong or missed pair -> why the code decided so


def realtext_rows(records: list[dict], texts: Path) -> tuple[list[dict], list[str]]:
    """group-texts rows with their gold ("case", "near_miss_of") for the labelled real reports
    whose text is in `texts`, and the ids of those whose text is missing."""
    rows, missing = [], []
    for r in records:
        text = read_text(r, texts)
        if text is None:
            missing.append(r["id"])
            continue
        near = NEAR_MISS.search(r.get("note") or "")
        rows.append({"id": r["id"], "text": text, "lang": r["lang"], "published": r.get("published"),
                     "case": r.get("case_group"), "near_miss_of": near.group(1) if near else None})
    return rows, missing


def evaluate_grouping(rows: list[dict]) -> GroupingReport:
    """Group the rows as group-texts does and score the groups against their gold."""
    result = group_text_rows(rows)
    score = score_groups(rows, result.groups)
    index = {d["id"]: i for i, d in enumerate(result.docs)}
    group_of = {doc: n for n, members in enumerate(result.groups) for doc in members}
    reasons = {}
    for a, b in score.wrong_pairs + score.missed_pairs:
        i, j = index[a], index[b]
        reasons[(a, b)] = grouping.explain_pair(
            result.docs[i], result.docs[j], float(result.vectors[i] @ result.vectors[j]),
            same_group=group_of.get(a) is not None and group_of.get(a) == group_of.get(b))
    return GroupingReport(score, len(rows), reasons)


def format_report(report: GroupingReport, *, errors: bool = False) -> str:
    s = report.score
    lines = [
        f"{report.reports} reports",
        f"pairwise precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}  "
        f"(gold pairs {s.pairs_gold}, pairs found {s.pairs_found})",
        f"B-cubed F1 {s.bcubed_f1:.3f}",
        f"cross-language pairs found {s.cross_language_found} of {s.cross_language_gold} "
        f"(recall {s.cross_language_recall:.3f})",
        f"near-miss pairs merged {len(s.near_misses_merged)}",
        f"non-case pages joined to a case {len(s.non_case_joined)}",
        f"case reports left with no case {len(s.left_without_case)}",
    ]
    if errors:
        for kind, pairs in (("wrong", s.wrong_pairs), ("missed", s.missed_pairs)):
            lines += [f"{kind}\t{a}\t{b}\t{report.reasons[(a, b)]}" for a, b in pairs]
        lines += [f"non-case joined\t{d}" for d in s.non_case_joined]
        lines += [f"no case\t{d}" for d in s.left_without_case]
    return "\n".join(lines)
