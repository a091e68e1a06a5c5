"""Names for codes, read from a corpus database's reference tables (corpus/labels.py)."""

from __future__ import annotations

import sqlite3

from corpus.labels import fact_label, load_labels, shared_text


def test_codes_are_named_from_the_reference_tables(demo_db):
    with sqlite3.connect(demo_db) as conn:
        labels = load_labels(conn)
        title = conn.execute("SELECT title_en FROM criminal_code WHERE id = 'KZ-CC 256'").fetchone()[0]
        outlet = conn.execute("SELECT title FROM sources WHERE name = 'habar'").fetchone()[0]
    assert labels.name("country", "KZ") == "Kazakhstan"
    assert labels.name("place", "kz-semey") == "Semey"
    assert labels.name("article", "KZ-CC 256") == f"KZ-CC 256: {title}"
    assert labels.name("outlet", "habar") == outlet
    assert labels.name("org", "isis") == "Islamic State (ISIS)"
    assert labels.name("language", "ru") == "Russian (русский)"
    # A code without a name is shown as it is.
    assert labels.name("country", "XX") == "XX" and labels.name("article", "KZ-CC 9999") == "KZ-CC 9999"
    assert shared_text("orgs: isis, hizb-ut-tahrir", labels) == "organisations: Islamic State (ISIS), Hizb ut-Tahrir"
    assert fact_label("article", {"code": "KZ-CC", "article": 256, "part": 2, "paragraph": None}, labels) == \
        f"KZ-CC 256, part 2: {title}"
    assert fact_label("penalty", {"kind": "prison", "min_years": 5, "max_years": 7}, labels) == "prison, 5 to 7 years"
    assert fact_label("place", {"id": "kz-semey", "name": "Semey"}, labels) == "Semey"


def test_a_database_without_reference_tables_keeps_its_codes(tmp_path):
    with sqlite3.connect(tmp_path / "empty.db") as conn:
        labels = load_labels(conn)
    assert labels.name("country", "KZ") == "KZ"
    assert labels.name("org", "isis") == "Islamic State (ISIS)"  # from the word list, not the database
