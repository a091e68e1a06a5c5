"""Scoring extraction against hand-written gold snippets (tests/gold/extraction.jsonl).

Every field is scored as precision/recall/F1 over sets of normalised items, micro-averaged
over snippets, per language: what `corpus evaluate` prints and what CI's floors guard.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
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
    """How predicted groups agree with gold cases. A gold row's "case" is its case key, or None for
    a page that reports no case (it must never join one); "near_miss_of" names the case a near-miss
    report must stay apart from."""

    precision: float
    recall: float
    f1: float
    cross_language_recall: float
    pairs_gold: int
    pairs_found: int
    bcubed_f1: float = 1.0
    cross_language_gold: int = 0
    cross_language_found: int = 0
    wrong_pairs: list[tuple[str, str]] = field(default_factory=list)
    missed_pairs: list[tuple[str, str]] = field(default_factory=list)
    near_misses_merged: list[tuple[str, str]] = field(default_factory=list)
    non_case_joined: list[str] = field(default_factory=list)
    left_without_case: list[str] = field(default_factory=list)


def _bcubed_f1(gold_of: dict[str, object], predicted_of: dict[str, object]) -> float:
    """B-cubed F1: each report's precision and recall over the reports grouped with it."""
    gold_sets: dict[object, set[str]] = defaultdict(set)
    pred_sets: dict[object, set[str]] = defaultdict(set)
    for doc in gold_of:
        gold_sets[gold_of[doc]].add(doc)
        pred_sets[predicted_of[doc]].add(doc)
    if not gold_of:
        return 1.0
    p = r = 0.0
    for doc in gold_of:
        g, q = gold_sets[gold_of[doc]], pred_sets[predicted_of[doc]]
        both = len(g & q)
        p += both / len(q)
        r += both / len(g)
    p, r = p / len(gold_of), r / len(gold_of)
    return 2 * p * r / (p + r) if p + r else 0.0


def score_groups(rows: list[dict], groups: list[list[str]]) -> GroupScore:
    """Pairwise precision/recall/F1 and B-cubed F1 of predicted groups against rows' gold "case"
    keys, with the pairs behind them: wrong and missed pairs, cross-language pairs, near-miss
    reports grouped with the case they are a near miss of, non-case pages joined to a case and
    case reports left in no group.

    >>> rows = [{"id": "a", "case": "x", "lang": "ru"}, {"id": "b", "case": "x", "lang": "en"},
    ...         {"id": "c", "case": None, "lang": "en"}]
    >>> s = score_groups(rows, [["a", "c"], ["b"]])
    >>> s.wrong_pairs, s.missed_pairs, s.non_case_joined, s.cross_language_recall
    ([('a', 'c')], [('a', 'b')], ['c'], 0.0)
    """
    gold_case = {r["id"]: r.get("case") for r in rows}
    lang = {r["id"]: r.get("lang") for r in rows}
    near_of = {r["id"]: r["near_miss_of"] for r in rows if r.get("near_miss_of")}
    predicted = {doc: n for n, members in enumerate(groups) for doc in members}
    size = {doc: len(members) for members in groups for doc in members}
    ids = sorted(gold_case)
    out = GroupScore(0.0, 0.0, 0.0, 1.0, 0, 0)
    tp = 0
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            same_gold = gold_case[a] is not None and gold_case[a] == gold_case[b]
            same_pred = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
            tp += same_gold and same_pred
            if same_pred and not same_gold:
                out.wrong_pairs.append((a, b))
                if near_of.get(a) == gold_case[b] is not None or near_of.get(b) == gold_case[a] is not None:
                    out.near_misses_merged.append((a, b))
            if same_gold and not same_pred:
                out.missed_pairs.append((a, b))
            if same_gold and lang[a] != lang[b]:
                out.cross_language_gold += 1
                out.cross_language_found += same_pred
    fp, fn = len(out.wrong_pairs), len(out.missed_pairs)
    out.precision = tp / (tp + fp) if tp + fp else 1.0
    out.recall = tp / (tp + fn) if tp + fn else 1.0
    out.f1 = 2 * out.precision * out.recall / (out.precision + out.recall) if out.precision + out.recall else 0.0
    out.cross_language_recall = (out.cross_language_found / out.cross_language_gold
                                 if out.cross_language_gold else 1.0)
    out.pairs_gold, out.pairs_found = tp + fn, tp + fp
    out.non_case_joined = [d for d in ids if gold_case[d] is None and size.get(d, 0) > 1]
    out.left_without_case = [d for d in ids if gold_case[d] is not None and d not in predicted]
    # B-cubed: a page with no gold case, or in no predicted group, stands alone.
    out.bcubed_f1 = _bcubed_f1({d: gold_case[d] if gold_case[d] is not None else ("alone", d) for d in ids},
                               {d: predicted[d] if d in predicted else ("alone", d) for d in ids})
    return out
