"""The facts registry (nlp/facts.py) is the one definition of each fact: everything that describes
or stores a fact agrees with it, and the light modules load no model."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from corpus.export import codebook_entry
from corpus.schema import LIST_COLUMNS, TABLES, fact_column_descriptions
from corpus.serve import load_metadata, metadata_path
from nlp.facts import FACTS, Facts, case_columns, stored_facts

ROOT = Path(__file__).resolve().parent.parent


def test_every_stored_fact_has_its_column_and_list_type():
    documents = TABLES["documents"]["columns"]
    for fact in stored_facts():
        assert fact.column in documents, fact.name
        assert (fact.column in LIST_COLUMNS["documents"]) == fact.many, fact.name
    cases = TABLES["cases"]["columns"]
    for fact, column in case_columns():
        assert column.name in cases, (fact.name, column.name)
        assert (column.name in LIST_COLUMNS["cases"]) == column.many, column.name


def test_metadata_yml_leaves_fact_columns_to_the_registry_and_serving_shows_them():
    raw = yaml.safe_load(metadata_path().read_text("utf-8"))
    served, _ = load_metadata()
    for table, described in fact_column_descriptions().items():
        written = raw["databases"]["corpus"]["tables"][table].get("columns", {})
        assert not set(written) & set(described), f"{table}: describe fact columns in nlp/facts.py only"
        shown = served["databases"]["corpus"]["tables"][table]["columns"]
        for column, meaning in described.items():
            assert shown[column] == meaning


def test_codebook_yml_leaves_fact_columns_to_the_registry():
    notes = yaml.safe_load((ROOT / "corpus" / "codebook.yml").read_text("utf-8"))
    for fact in stored_facts():
        assert fact.column not in notes["documents"], fact.name
        assert codebook_entry("documents", fact.column) == (fact.meaning, fact.how)
    for fact, column in case_columns():
        assert column.name not in notes["cases"], column.name
        meaning, how = codebook_entry("cases", column.name)
        assert meaning == column.meaning and how.startswith(fact.how)


def test_public_json_has_every_public_fact_and_no_internal_one():
    facts = Facts(lang="ru", court={"name": "Суд №2 города Костаная", "level": "city", "start": 0, "end": 22,
                                    "text": "Суд №2 города Костаная"})
    public = facts.public()
    assert set(public) == {"lang", "other_cases"} | {name for name, f in FACTS.items() if f.public}
    assert public["court"] == {"name": "Суд №2 города Костаная", "level": "city", "text": "Суд №2 города Костаная"}
    assert "names" not in public and "other_places" not in public
    assert public["other_cases"] == []


def test_another_case_mentioned_in_passing_is_its_own_frame():
    from nlp import extract

    facts = extract("Суд Тараза приговорил жителя города к 6 годам лишения свободы по ч. 2 ст. 256 УК РК.\n"
                    "Ранее в Костанае к 5 годам по ст. 174 УК РК осудили другую жительницу.", "ru")
    assert [a["article"] for a in facts.articles] == [256]
    assert [p["id"] for p in facts.places] == ["kz-taraz"]
    (other,) = facts.public()["other_cases"]
    assert [a["article"] for a in other["articles"]] == [174]
    assert [p["id"] for p in other["places"]] == ["kz-kostanay"]


def test_importing_nlp_and_the_application_modules_loads_no_model():
    code = ("import sys, nlp, nlp.facts, nlp.vocabulary, corpus.schema, corpus.export, corpus.process, "
            "corpus.search, corpus.cli; print('spacy' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_each_fact_is_named_in_few_modules():
    """Generic code reads facts from the registry; only their extractor, the grouping rules and
    the report's figures name a fact (the acceptance bound of the registry issue)."""
    modules = {p.resolve() for d in ("corpus", "nlp", "plugins") for p in (ROOT / d).rglob("*.py")}
    for word in ("platforms", "orgs", "convicted_count", "persons"):
        pattern = re.compile(rf"(?<![\w]){word}(?![\w])")
        naming = sorted(str(p.relative_to(ROOT)) for p in modules if pattern.search(p.read_text("utf-8")))
        assert len(naming) <= 4, (word, naming)
