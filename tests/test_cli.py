"""The command line as a user meets it: help, examples, and one-line errors on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from corpus.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(cli, [command, "-h"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    assert re.search(rf"corpus {re.escape(command)}\b", README.read_text("utf-8")), command


@pytest.mark.parametrize("command", ["process", "group", "runs", "reextract"])
def test_missing_database_is_a_one_line_error(runner, tmp_path, command):
    result = runner.invoke(cli, [command, "--db", str(tmp_path / "absent.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["process", "group", "runs", "crawl"])
def test_unreadable_database_is_a_one_line_error(runner, tmp_path, command):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 200)
    args = [command, "--db", str(bad)] + (["--sample"] if command == "crawl" else [])
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "cannot use" in result.output
    assert "Traceback" not in result.output


def test_unknown_source_is_a_configuration_error(runner, tmp_path):
    result = runner.invoke(cli, ["crawl", "--sample", "--source", "nope", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "unknown source(s): nope" in result.output


def test_bad_since_date(runner, tmp_path):
    result = runner.invoke(cli, ["crawl", "--sample", "--since", "yesterday", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "--since" in result.output


def test_extract_missing_file(runner, tmp_path):
    result = runner.invoke(cli, ["extract", str(tmp_path / "absent.txt")])
    assert result.exit_code == 2
    assert "No such file or directory" in result.output
    assert "Traceback" not in result.output


def test_extract_empty_input(runner):
    result = runner.invoke(cli, ["extract", "-"], input="   \n")
    assert result.exit_code == 2
    assert "empty" in result.output


def test_group_texts_bad_line(runner, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "text": "x"}\nnot json\n', "utf-8")
    result = runner.invoke(cli, ["group-texts", str(path)])
    assert result.exit_code == 2
    assert "line 2" in result.output


def test_extract_prints_the_documented_json(runner):
    text = ("Специализированный межрайонный суд Семея приговорил 39-летнюю жительницу города к 7 годам "
            "лишения свободы по ч. 2 ст. 256 УК РК. Её задержали в июле 2024 года.")
    result = runner.invoke(cli, ["extract", "-", "--published", "2025-03-12"], input=text)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["lang"] == "ru" and out["is_case_report"] is True
    assert [(p["id"], p["country"], p["text"]) for p in out["places"]] == [("kz-semey", "KZ", "Семея")]
    assert out["articles"] == [{"code": "KZ-CC", "article": 256, "part": 2, "paragraph": None, "text": "ч. 2 ст. 256"}]
    assert [(p["kind"], p["min_years"], p["max_years"]) for p in out["penalties"]] == [("prison", 7, 7)]
    assert [(d["iso"], d["precision"]) for d in out["event_dates"]] == [("2024-07", "month")]
    assert out["convicted_count"] == 1
    assert out["persons"] == [{"age": 39, "gender": "female"}]
    for key in ("places", "articles", "penalties", "event_dates"):
        for item in out[key]:
            assert item["text"] in text


def group_texts(runner, tmp_path, rows):
    """`corpus group-texts` over rows written as JSON lines; it must succeed."""
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    result = runner.invoke(cli, ["group-texts", str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_group_texts_groups_a_russian_and_an_english_report(runner, tmp_path):
    rows = [
        {"id": "ru1", "lang": "ru", "published": "2019-09-12",
         "text": "Суд в Алматы приговорил семерых граждан Таджикистана к срокам от 12 до 18 лет лишения "
                 "свободы за подготовку терактов (ст. 24, ст. 255 УК РК)."},
        {"id": "en1", "lang": "en", "published": "2019-09-13",
         "text": "A court in Almaty sentenced seven Tajik citizens to 12-18 years in prison for preparing "
                 "terrorist attacks under Articles 24 and 255 of Kazakhstan's Criminal Code."},
        {"id": "ru2", "lang": "ru", "published": "2019-04-18",
         "text": "Житель Шымкента осужден на 5 лет лишения свободы за пропаганду терроризма по ч. 1 ст. 256 УК РК."},
        {"id": "x", "text": "Футбольный клуб выиграл матч в Алматы."},
    ]
    result = group_texts(runner, tmp_path, rows)
    out = {r["id"]: r["case_id"] for r in map(json.loads, result.output.splitlines())}
    assert out["ru1"] == out["en1"] is not None
    assert out["ru2"] not in (None, out["ru1"])
    assert out["x"] is None


def test_group_texts_gives_no_case_to_a_page_the_relevance_gate_turns_away(runner, tmp_path):
    # Two reports of one bribery verdict: a court case, but no extremism or terrorism case, so
    # the crawl would never store them and group-texts puts them in no case either.
    rows = [
        {"id": "b1", "lang": "ru", "published": "2023-05-10",
         "text": "Суд Караганды приговорил бывшего акима района Серика Балтабаева к восьми годам лишения "
                 "свободы за получение взятки в особо крупном размере. Его задержали в марте 2022 года."},
        {"id": "b2", "lang": "en", "published": "2023-05-11",
         "text": "A court in Karaganda has sentenced former district akim Serik Baltabayev to eight years in "
                 "prison for taking a large bribe. He was detained in March 2022."},
    ]
    result = group_texts(runner, tmp_path, rows)
    assert [json.loads(line)["case_id"] for line in result.output.splitlines()] == [None, None]
