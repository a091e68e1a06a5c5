"""Scoring extraction against hand-written gold snippets (tests/gold/extraction.jsonl).

Every field is scored as precision/recall/F1 over sets of normalised items, micro-averaged
over snippets, per language: what `corpus evaluate` prints and what CI's floors guard.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from nlp.extraction import extract_many
from nlp.facts import FACTS, Fact

# Every public fact is scored (nlp.facts); a gold record without a fact's key leaves it unscored.
FIELDS = tuple(name for name, fact in FACTS.items() if fact.public)


def _num(value):
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _key(fact: Fact, item) -> tuple:
    if isinstance(item, dict):
        return tuple(_num(item.get(k)) for k in fact.scored_keys)
    return (item,)  # a gold place given by id, or a plain value


def normalise(field: str, record) -> set:
    fact = FACTS[field]
    value = record.get(field)
    if field == "is_case_report":
        return {True} if value else set()
    if fact.many:
        return {_key(fact, item) if fact.scored_keys else item for item in value or []}
    if value is None:
        return set()
    return {_key(fact, value)} if fact.scored_keys else {value}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_gold(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]


def evaluate(gold: list[dict]) -> tuple[dict[tuple[str, str], Score], list[dict]]:
    """Scores per (language, field), plus the disagreements for inspection."""
    predictions = extract_many([(g["text"], g["lang"], g.get("published")) for g in gold])
    scores: dict[tuple[str, str], Score] = defaultdict(Score)
    errors = []
    for g, p in zip(gold, predictions):
        for field in FIELDS:
            if field not in g:
                continue
            want, got = normalise(field, g), normalise(field, p)
            for lang in (g["lang"], "all"):
                s = scores[(lang, field)]
                s.tp += len(want & got)
                s.fp += len(got - want)
                s.fn += len(want - got)
            if want != got:
                errors.append({"id": g["id"], "field": field, "missing": sorted(map(str, want - got)),
                               "extra": sorted(map(str, got - want))})
    return dict(scores), errors


def format_table(scores: dict[tuple[str, str], Score]) -> str:
    lines = [f"{'field':<16}{'lang':<6}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>5}{'fn':>5}"]
    for field in FIELDS:
        for lang in ("ru", "en", "all"):
            s = scores.get((lang, field))
            if s:
                lines.append(f"{field:<16}{lang:<6}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.tp:>6}{s.fp:>5}{s.fn:>5}")
    return "\n".join(lines)


# --- grouping ------------------------------------------------------------------------------

@dataclass
class GroupScore:
    precision: float
    recall: float
    f1: float
    cross_language_recall: float
    pairs_gold: int
    pairs_found: int


def score_groups(rows: list[dict], groups: list[list[str]]) -> GroupScore:
    """Pairwise precision/recall/F1 of predicted groups against rows' gold "case" keys."""
    gold_case = {r["id"]: r["case"] for r in rows}
    lang = {r["id"]: r["lang"] for r in rows}
    predicted = {doc: n for n, members in enumerate(groups) for doc in members}
    ids = sorted(gold_case)
    tp = fp = fn = cross_gold = cross_found = 0
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            same_gold = gold_case[a] == gold_case[b]
            same_pred = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
            tp += same_gold and same_pred
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
            if same_gold and lang[a] != lang[b]:
                cross_gold += 1
                cross_found += same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return GroupScore(p, r, 2 * p * r / (p + r) if p + r else 0.0,
                      cross_found / cross_gold if cross_gold else 1.0, tp + fn, tp + fp)
