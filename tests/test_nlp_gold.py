"""Extraction quality against the hand-written gold snippets; CI fails below the pinned floors.

Floors live in tests/gold/floors.json. Raise them as quality rises; lowering one is a
deliberate, reviewed change to that file, never a side effect of a run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.evaluate import evaluate, format_table, load_gold

GOLD = Path(__file__).parent / "gold"


@pytest.fixture(scope="module")
def scores():
    result, _ = evaluate(load_gold(GOLD / "extraction.jsonl"))
    print(format_table(result))
    return result


def floors() -> list[tuple[str, str, float]]:
    data = json.loads((GOLD / "floors.json").read_text("utf-8"))
    return [(lang, field, value) for lang, fields in data.items() for field, value in fields.items()]


def test_gold_has_both_languages_and_hard_negatives():
    gold = load_gold(GOLD / "extraction.jsonl")
    assert sum(g["lang"] == "ru" for g in gold) >= 80
    assert sum(g["lang"] == "en" for g in gold) >= 80
    assert sum(not g["is_case_report"] for g in gold) >= 10
    assert len({g["id"] for g in gold}) == len(gold)


@pytest.mark.parametrize("lang,field,floor", floors())
def test_f1_stays_above_its_floor(scores, lang, field, floor):
    assert scores[(lang, field)].f1 >= floor, f"{field} ({lang}) F1 {scores[(lang, field)].f1:.3f} < floor {floor}"
