"""The criminal-code reference (nlp/data/criminal_code.csv): its shape, edition lookup, and the
`criminal_code` table it becomes."""

from __future__ import annotations

import re

import sqlite_utils

from corpus.reference import load_reference_tables
from corpus.schema import ensure_schema
from nlp.articles import find_articles
from nlp.criminal_code import codebook, edition_in_force, entries, lookup, reference_id

CODES = {"KZ-CC", "KG-CC", "UZ-CC", "TJ-CC", "RU-CC"}


def test_every_row_is_complete_and_numbered_as_its_code_writes():
    for row in entries():
        assert row["code"] in CODES, row
        assert row["category"] in {"terrorism", "extremism", "related"}, row
        assert row["title_en"] and row["title_ru"], row
        assert int(row["in_force"]) >= int(row["edition"]), row
        separator = r"\." if row["code"] in {"RU-CC", "TJ-CC"} else "-"
        assert re.fullmatch(rf"\d{{1,3}}(?:{separator}\d{{1,2}})?", row["article"]), row
        assert row["part"] == "" or row["part"].isdigit(), row


def test_each_code_covers_its_terrorism_and_extremism_chapters():
    have = {(r["code"], r["edition"], r["article"]) for r in entries()}
    for wanted in [("KZ-CC", "2014", "174"), ("KZ-CC", "2014", "256"), ("KZ-CC", "2014", "405"),
                   ("KZ-CC", "1997", "164"), ("KZ-CC", "1997", "233-1"), ("KZ-CC", "1997", "337-1"),
                   ("KG-CC", "1997", "299-2"), ("KG-CC", "2021", "330"), ("UZ-CC", "1994", "244-2"),
                   ("UZ-CC", "1994", "155-3"), ("TJ-CC", "1998", "307.3"), ("TJ-CC", "1998", "401.1"),
                   ("RU-CC", "1996", "205.5"), ("RU-CC", "1996", "282.2"), ("RU-CC", "1996", "354.1")]:
        assert wanted in have


def test_the_edition_follows_the_year():
    assert edition_in_force("KZ-CC", 2012) == "1997"
    assert edition_in_force("KZ-CC", 2016) == "2014"
    assert lookup("KZ-CC", 170, year=2012)["title_ru"].startswith("Призывы к насильственному")
    assert lookup("KZ-CC", 170, year=2020)["title_en"] == "Mercenarism"
    assert lookup("KZ-CC", 170)["edition"] == "2014"
    assert lookup("KZ-CC", "233-1")["edition"] == "1997"  # only the old code has it
    # A number the edition then in force does not list gets no title: it may mean something else.
    assert lookup("KG-CC", 299, year=2023) is None
    assert lookup("KG-CC", 299, year=2015)["category"] == "extremism"
    assert lookup("RU-CC", "205.5", 2)["title_en"].startswith("Participation")
    assert codebook()[("KZ-CC", "256")]["category"] == "terrorism"


def test_articles_get_the_title_of_their_edition():
    (old,) = find_articles("В 2012 году суд осудил его по ч. 2 ст. 170 УК РК.", "ru")
    assert old["edition"] == "1997" and old["category"] == "extremism"
    (new,) = find_articles("В 2021 году суд осудил его по ч. 1 ст. 170 УК РК.", "ru")
    assert new["edition"] == "2014" and new["title"]["en"] == "Mercenarism"


def test_the_reference_table_has_one_row_per_entry(tmp_path):
    db = sqlite_utils.Database(tmp_path / "c.db")
    ensure_schema(db)
    load_reference_tables(db)
    load_reference_tables(db)  # idempotent
    rows = {r["id"]: r for r in db["criminal_code"].rows}
    assert len(rows) == len(entries()) == len({reference_id(r) for r in entries()})
    assert rows["KZ-CC 256"]["edition"] == "2014" and rows["KZ-CC 256"]["part"] is None
    assert rows["KZ-CC 170 (1997)"]["in_force"] == 1998
    assert rows["KZ-CC 405 part 2"]["category"] == "extremism"
    assert rows["TJ-CC 307.3"]["title_ru"] == "Организация деятельности экстремистской организации"
