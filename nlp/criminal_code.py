"""The criminal-code reference: article numbers with their titles (Russian and English) and
category, for the codes the corpus meets (nlp/data/criminal_code.csv). Loads no model.

A code can have several editions (Kazakhstan 1997 and 2014, Kyrgyzstan 1997, 2017 and 2021)
whose numbers collide; a row names its edition and the year it came into force. A row with a
part describes a part that is an offence of its own (organising vs. taking part).

    >>> codebook()[("KZ-CC", "256")]["category"]
    'terrorism'
    >>> lookup("KZ-CC", "170", year=2012)["title_en"]
    'Calls for the violent overthrow or change of the constitutional order or the violent breach of the unity of the territory of the Republic of Kazakhstan'
    >>> lookup("KZ-CC", "170")["title_en"]
    'Mercenarism'
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def entries() -> tuple[dict[str, str], ...]:
    """Every row: {code, edition, in_force, article, part, title_en, title_ru, category}."""
    path = resources.files("nlp").joinpath("data/criminal_code.csv")
    with path.open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@lru_cache(maxsize=1)
def _editions() -> dict[str, list[tuple[int, str]]]:
    """{code: [(in_force, edition), ...] newest first}."""
    out: dict[str, set[tuple[int, str]]] = {}
    for row in entries():
        out.setdefault(row["code"], set()).add((int(row["in_force"]), row["edition"]))
    return {code: sorted(eds, reverse=True) for code, eds in out.items()}


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str, str, str], dict[str, str]]:
    return {(r["code"], r["edition"], r["article"], r["part"]): r for r in entries()}


def newest_edition(code: str) -> str | None:
    editions = _editions().get(code)
    return editions[0][1] if editions else None


def edition_in_force(code: str, year: int) -> str | None:
    """The edition of `code` that applied in `year` (None before the oldest one known)."""
    for in_force, edition in _editions().get(code, []):
        if in_force <= year:
            return edition
    return None


def lookup(code: str, article: str | int, part: int | str | None = None,
           year: int | None = None) -> dict[str, str] | None:
    """The reference row for an article (its part's row when the part has one). With `year`,
    the edition then in force, and None when that edition is listed but lacks the article (its
    number may mean something else there); without it, the newest edition that has it."""
    article, part = str(article), "" if part is None else str(part)
    index = _index()
    if year is not None and (edition := edition_in_force(code, year)):
        editions = [edition]
    else:
        editions = [e for _, e in _editions().get(code, [])]
    for edition in editions:
        row = index.get((code, edition, article, part)) or index.get((code, edition, article, ""))
        if row:
            return row
    return None


def reference_id(row: dict[str, str]) -> str:
    """The id a row has in the `criminal_code` table: "KZ-CC 256" as cases name articles (the
    newest edition), "KZ-CC 170 (1997)" for an older one, "... part 2" for a part's row."""
    out = f"{row['code']} {row['article']}"
    if row["part"]:
        out += f" part {row['part']}"
    if row["edition"] != newest_edition(row["code"]):
        out += f" ({row['edition']})"
    return out


@lru_cache(maxsize=1)
def codebook() -> dict[tuple[str, str], dict[str, str]]:
    """{(code, article): row} for whole articles, the newest edition that has each number."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for code, editions in _editions().items():
        for _, edition in reversed(editions):  # oldest first: newer editions overwrite
            for row in entries():
                if row["code"] == code and row["edition"] == edition and not row["part"]:
                    out[(code, row["article"])] = row
    return out
