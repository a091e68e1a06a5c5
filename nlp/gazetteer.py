"""The places gazetteer shipped in nlp/data/gazetteer.csv (built by scripts/build_gazetteer.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Place:
    id: str
    kind: str
    name_en: str
    name_ru: str
    admin1_id: str
    admin1_en: str
    country: str
    lat: float | None
    lon: float | None
    population: int
    names: tuple[str, ...]  # every surface form: names, aliases, former names, inflections

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name_en, "name_ru": self.name_ru, "kind": self.kind,
                "admin1": self.admin1_en or None, "admin1_id": self.admin1_id or None,
                "country": self.country, "lat": self.lat, "lon": self.lon}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    path = resources.files("nlp").joinpath("data/gazetteer.csv")
    out: dict[str, Place] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names = [row["name_en"], row["name_ru"], row.get("name_kk_latin") or ""]
            names += _split(row.get("aliases_en")) + _split(row.get("aliases_ru")) + _split(row.get("former_names"))
            out[row["id"]] = Place(
                id=row["id"], kind=row["kind"], name_en=row["name_en"], name_ru=row["name_ru"],
                admin1_id=row.get("admin1_id") or "", admin1_en=row.get("admin1_en") or "",
                country=row["country"], lat=_float(row.get("lat")), lon=_float(row.get("lon")),
                population=int(float(row.get("population") or 0)),
                names=tuple(dict.fromkeys(n for n in names if n)),
            )
    return out


def get(place_id: str) -> Place | None:
    return places().get(place_id)
