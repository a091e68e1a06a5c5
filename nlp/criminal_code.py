"""The criminal-code reference: article numbers with their titles (Russian and English) and
category, for the codes the corpus meets (nlp/data/criminal_code.csv). Loads no model.

    >>> codebook()[("KZ-CC", "256")]["category"]
    'terrorism'
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def codebook() -> dict[tuple[str, str], dict[str, str]]:
    """{(code, article): {code, article, title_en, title_ru, category}}."""
    path = resources.files("nlp").joinpath("data/criminal_code.csv")
    with path.open(encoding="utf-8") as fh:
        return {(row["code"], row["article"]): row for row in csv.DictReader(fh)}
