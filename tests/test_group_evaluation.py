"""Scoring grouping: the measures on a small hand-made gold, and the real `corpus evaluate --grouping`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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


SHAPES = Path(__file__).parent / "gold" / "group_shapes.jsonl"


@pytest.mark.slow
def test_the_shapes_of_real_grouping_errors_are_grouped_right():
    """Each shape (tests/gold/group_shapes.jsonl) is an error class seen on real reports, written
    again with invented names: grouped as group-texts does it, every pair comes out as labelled."""
    result = CliRunner().invoke(cli, ["evaluate", "--grouping", "--gold", str(SHAPES), "--errors"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "27 reports"
    assert lines[1].startswith("pairwise precision 1.000  recall 1.000  F1 1.000")
    assert lines[3] == "cross-language pairs found 6 of 6 (recall 1.000)"
    assert lines[4:7] == ["near-miss pairs merged 0", "non-case pages joined to a case 0",
                          "case reports left with no case 0"]
    assert len(lines) == 7, "\n".join(lines[7:])  # --errors lists nothing


@pytest.mark.slow
def test_real_report_labels_and_texts_are_scored_with_reasons(tmp_path):
    """The --texts path: labelled records (case_group, a near-miss note) and a folder of texts
    named by SHA-1; a near miss that is merged is counted and every error has a reason."""
    texts = tmp_path / "texts"
    texts.mkdir()
    shapes = {r["id"]: r for r in map(json.loads, SHAPES.read_text("utf-8").splitlines())}
    records = []
    # s01/s02 are one case; s07 and s08 are different cases in one town, s08 labelled a near
    # miss of s07's; and s01 is also labelled as one case with s07 to force a missed pair.
    for doc_id, group, note in (("s01", "x", None), ("s02", "x", None), ("s07", "x", None),
                                ("s08", "y", "near-miss of x: another case in the same town")):
        text = shapes[doc_id]["title"] + "\n\n" + shapes[doc_id]["text"]
        sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
        (texts / f"{sha1}.txt").write_text(text, encoding="utf-8")
        records.append({"id": doc_id, "lang": shapes[doc_id]["lang"], "sha1": sha1, "chars": len(text),
                        "relevant": True, "is_case_report": True, "case_group": group, "note": note,
                        "published": shapes[doc_id]["published"]})
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", "--grouping", "--gold", str(labels), "--texts", str(texts),
                                      "--errors"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "4 reports" and "near-miss pairs merged 0" in lines
    missed = [line.split("\t") for line in lines if line.startswith("missed\t")]
    assert [(m[1], m[2]) for m in missed] == [("s01", "s07"), ("s02", "s07")]
    assert all(m[3].startswith("apart; ") and ("contradiction" in m[3] or "fall short" in m[3]) for m in missed)


def test_grouping_evaluation_refuses_a_file_without_gold_keys(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "t"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", "--grouping", "--gold", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip() == 'Error: a grouping gold line needs "id", "text" and "case" (or use --texts for real reports)'
