"""The real-report scorer (corpus evaluate --texts): texts checked by SHA-1 and length, another
case's facts neither rewarded nor penalised, partial dates resolved as a reader would, and bad
labels files refused with one line. Texts here are written for the test."""

import datetime as dt
import hashlib
import json

from click.testing import CliRunner

from corpus.cli import cli
from corpus.realtext import load_records, resolve_partial, score

CASE = ("Суд Тараза приговорил 31-летнего местного жителя к шести годам лишения свободы по ч. 2 ст. 256 УК РК "
        "за ролики с призывами к джихаду в TikTok.\n"
        "Ранее в Костанае к пяти годам лишения свободы по ст. 174 УК РК осудили 40-летнюю жительницу города.")
DRILL = "В Павлодаре прошли антитеррористические учения: условные террористы захватили здание школы, спецназ освободил заложников."


def record(rid: str, text: str, **labels) -> dict:
    return {"id": rid, "lang": "ru", "url": f"https://example.org/{rid}", "query": "q", "rank": 1,
            "chars": len(text), "sha1": hashlib.sha1(text.encode("utf-8")).hexdigest(), "published": "2024-06-14",
            **labels}


def write(tmp_path, records: list[dict], texts: dict[str, str]):
    labels = tmp_path / "set.jsonl"
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    folder = tmp_path / "texts"
    folder.mkdir()
    for text in texts.values():
        (folder / f"{hashlib.sha1(text.encode('utf-8')).hexdigest()}.txt").write_bytes(text.encode("utf-8"))
    return labels, folder


def test_scores_the_main_case_and_ignores_acceptable_extras(tmp_path):
    case = record("c1", CASE, relevant=True, is_case_report=True, doc_type="case_report", stage="verdict",
                  places=["Taraz"], articles=[{"code": "KZ-CC", "article": 256, "part": 2}],
                  sentences=[{"kind": "prison", "min_years": 6, "max_years": 6}], event_dates=[],
                  event_dates_partial=[], convicted_count=1,
                  acceptable_extra={"places": ["Kostanay"], "articles": [{"code": "KZ-CC", "article": 174, "part": None}],
                                    "sentences": [{"kind": "prison", "min_years": 5, "max_years": 5}]})
    drill = record("d1", DRILL, relevant=False, is_case_report=False, doc_type=None)
    labels, folder = write(tmp_path, [case, drill], {"c1": CASE, "d1": DRILL})
    result = score(load_records([labels]), folder)
    assert result.pages == 2 and not result.missing
    places = result.fields[("ru", "places")]
    assert (places.tp, places.fp, places.fn) == (1, 0, 0)
    articles = result.fields[("ru", "articles")]
    assert (articles.tp, articles.fp, articles.fn) == (1, 0, 0)
    gate = result.fields[("ru", "relevance_gate")]
    assert (gate.tp, gate.fp, gate.fn) == (1, 0, 0)
    assert result.accuracy[("ru", "convicted_count")].value == 1.0


def test_a_changed_or_missing_text_is_not_scored(tmp_path):
    case = record("c1", CASE, relevant=True, is_case_report=True)
    labels, folder = write(tmp_path, [case, record("c2", "другой текст", relevant=True, is_case_report=True)],
                           {"c1": CASE + " "})  # one text changed by a character, one absent
    result = score(load_records([labels]), folder)
    assert result.pages == 0 and result.missing == ["c1", "c2"]


def test_partial_dates_resolve_to_the_latest_on_or_before_publication():
    published = dt.date(2024, 3, 10)
    assert resolve_partial("--03-10", published) == "2024-03-10"
    assert resolve_partial("--03-14", published) == "2023-03-14"
    assert resolve_partial("--02", published) == "2024-02"
    assert resolve_partial("--03-14", None) == "--03-14"


def test_a_bad_labels_file_gets_one_line_and_exit_2(tmp_path):
    runner = CliRunner()
    texts = tmp_path / "texts"
    texts.mkdir()
    cases = {"not.jsonl": b'{"id": 1', "binary.jsonl": b"\xff\xfe", "array.jsonl": b"[1, 2]\n",
             "nolang.jsonl": json.dumps({"id": "a", "sha1": "x", "chars": 1, "relevant": True,
                                         "is_case_report": True}).encode()}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(cli, ["evaluate", "--gold", str(path), "--texts", str(texts)])
        assert result.exit_code == 2, (name, result.output)
        assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1, result.output
        assert "Traceback" not in result.output
