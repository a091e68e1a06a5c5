"""Reference tables shipped with nlp, copied into the store so Datasette can join and facet on
them: the places gazetteer and the criminal-code codebook."""

from __future__ import annotations

import sqlite_utils

from nlp.criminal_code import entries, reference_id
from nlp.gazetteer import places

from corpus.transaction import transaction


def load_reference_tables(db: sqlite_utils.Database) -> None:
    """Upsert the gazetteer into `places` and the codebook into `criminal_code` (idempotent)."""
    with transaction(db):
        db["places"].upsert_all(
            ({"id": p.id, "kind": p.kind, "name_en": p.name_en, "name_ru": p.name_ru,
              "admin1_id": p.admin1_id or None, "admin1_en": p.admin1_en or None, "country": p.country,
              "latitude": p.lat, "longitude": p.lon} for p in places().values()),
            pk="id")
        db["criminal_code"].upsert_all(
            ({"id": reference_id(row), "code": row["code"], "edition": row["edition"],
              "in_force": int(row["in_force"]), "article": row["article"], "part": row["part"] or None,
              "title_en": row["title_en"], "title_ru": row["title_ru"], "category": row["category"]}
             for row in entries()),
            pk="id")
