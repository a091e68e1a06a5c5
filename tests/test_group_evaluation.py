"""Scoring grouping: the measures on a small hand-made gold, and the real `corpus evaluate --grouping`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corpus.cli import cli
from nlp.evaluate import score_groups

# Three cases: x (ru + en + en), y (ru), a near miss z of x, and a non-case page.
GOLD = [
    {"id": "x1", "case": "x", "lang": "ru"},
    {"id": "x2", "case": "x", "lang": "en"},
    {"id": "x3", "case": "x", "lang": "en"},
    {"id": "y1", "case": "y", "lang": "ru"},
    {"id": "z1", "case": "z", "lang": "ru", "near_miss_of": "x"},
    {"id": "n1", "case": None, "lang": "en"},
]


def test_perfect_groups_score_one():
    s = score_groups(GOLD, [["x1", "x2", "x3"], ["y1"], ["z1"]])
    assert (s.precision, s.recall, s.f1, s.bcubed_f1) == (1.0, 1.0, 1.0, 1.0)
    assert (s.cross_language_found, s.cross_language_gold) == (2, 2)
    assert s.wrong_pairs == s.missed_pairs == s.near_misses_merged == s.non_case_joined == s.left_without_case == []


def test_each_kind_of_error_is_counted_and_named():
    # x3 split off, the near miss z1 merged into x, the non-case page joined to y, nothing for x2.
    s = score_groups(GOLD, [["x1", "z1"], ["x3"], ["n1", "y1"]])
    assert s.wrong_pairs == [("n1", "y1"), ("x1", "z1")]
    assert s.missed_pairs == [("x1", "x2"), ("x1", "x3"), ("x2", "x3")]
    assert s.near_misses_merged == [("x1", "z1")]
    assert s.non_case_joined == ["n1"]
    assert s.left_without_case == ["x2"]
    assert (s.cross_language_found, s.cross_language_gold) == (0, 2)
    assert s.precision == 0.0 and s.recall == 0.0 and s.f1 == 0.0
    # B-cubed by hand: precision (1/2+1/2+1+1/2+1/2+1)/6 = 2/3, recall (1/3+1/3+1/3+1+1+1)/6 = 2/3.
    assert s.bcubed_f1 == pytest.approx(2 / 3)


def test_non_case_pages_never_pair_with_each_other():
    rows = [{"id": "n1", "case": None, "lang": "ru"}, {"id": "n2", "case": None, "lang": "ru"}]
    s = score_groups(rows, [["n1", "n2"]])
    assert s.wrong_pairs == [("n1", "n2")] and s.non_case_joined == ["n1", "n2"]
