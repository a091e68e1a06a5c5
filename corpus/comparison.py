"""The case-comparison report: a static HTML page with matplotlib figures that compares the
corpus's cases by criteria (region, article, penalty, organisation, platform, year...).

Every figure and table counts cases, and a criterion no report of a case states is a category
of its own, "not stated", never dropped. The page also states the corpus's coverage and the
corpus and model versions it was built from.

This module gathers the data; the Jinja templates in corpus/comparison_templates/ lay out the page and
escape every value (autoescape), so no code here writes HTML.

Example::

    build_report(open_db("corpus.db", readonly=True), Path("report"), by=["region", "article"])
    # -> report/index.html, report/figures/*.png
"""

from __future__ import annotations

import json
import math
import re
import statistics
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlite_utils

from nlp.facts import display_names
from nlp.vocabulary import STAGES

from corpus.export import Column, columns, decode, provenance

NOT_STATED = "not stated"
OTHER = "other"
# The criteria `--by` knows, and the cases column each reads (corpus.schema declares them).
CRITERIA: dict[str, tuple[str, ...]] = {
    "region": ("region",),
    "article": ("articles",),
    "stage": ("stage",),
    "gender": ("genders",),
    "organisation": ("orgs",),
    "platform": ("platforms",),
    "year": ("year",),
    "court level": ("court_level",),
}
ALIASES = {"organization": "organisation", "org": "organisation", "orgs": "organisation",
           "organisations": "organisation", "organizations": "organisation", "articles": "article",
           "platforms": "platform", "regions": "region", "genders": "gender", "stages": "stage", "years": "year"}
DEFAULT_BY = ("region", "article", "stage", "year")
IMAGE_FORMATS = ("png", "svg")
GREY = "#b8b8b8"
MAX_CATEGORIES = 12
TITLE = "Extremism and terrorism cases: a comparison by criteria"


class ReportError(Exception):
    """Bad report input the user can fix (criterion, empty corpus, output directory)."""


# --- criteria ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    name: str
    column: Column

    @property
    def is_list(self) -> bool:
        return self.column.kind == "list"


def resolve_criteria(names: Iterable[str], cols: list[Column]) -> list[Criterion]:
    """`--by` names -> criteria over this database's cases columns.

    A known criterion reads its column; any other cases column (country, penalty_kind...) may
    be named as itself. An unknown name, or a known one whose column this corpus lacks, is an error.
    """
    by_name = {c.name: c for c in cols}
    out: list[Criterion] = []
    for raw in names:
        name = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if name in CRITERIA:
            column = next((by_name[c] for c in CRITERIA[name] if c in by_name), None)
            if column is None:
                raise ReportError(f"criterion {raw!r} needs a cases column named "
                                  f"{' or '.join(CRITERIA[name])}, which this corpus does not have")
        elif name in by_name and name not in ("id", "title", "updated_at"):
            column = by_name[name]
        else:
            known = ", ".join(CRITERIA)
            raise ReportError(f"unknown criterion {raw!r}: choose from {known} (or a cases column)")
        if name not in [c.name for c in out]:
            out.append(Criterion(name, column))
    return out


def values_of(case: dict, column: str) -> list[str]:
    """A case's categories under one column: its list items, or its value; ["not stated"] if none."""
    value = case.get(column)
    if value is None or value == "" or value == []:
        return [NOT_STATED]
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, sort_keys=True)
        if text not in out:
            out.append(text)
    return out or [NOT_STATED]


def _article_key(label: str) -> tuple:
    m = re.match(r"^(.*?)\s*(\d+)(.*)$", label)
    return (m[1], int(m[2]), m[3]) if m else (label, 0, "")


def ordered(categories: Iterable[str], counts: Counter | None = None, column: str = "") -> list[str]:
    """Categories in reading order: years and numbers ascending, stages in court order, articles by
    code and number, anything else by count; "not stated" always last."""
    cats = [c for c in dict.fromkeys(categories) if c != NOT_STATED]
    if column == "stage" and all(c in STAGES for c in cats):
        cats.sort(key=STAGES.index)
    elif cats and all(re.fullmatch(r"-?\d+(\.\d+)?", c) for c in cats):
        cats.sort(key=float)
    elif column == "articles":
        cats.sort(key=_article_key)
    else:
        counts = counts or Counter()
        cats.sort(key=lambda c: (-counts[c], c))
    if NOT_STATED in dict.fromkeys(categories):
        cats.append(NOT_STATED)
    return cats


# --- data ----------------------------------------------------------------------------------------

def load_cases(db: sqlite_utils.Database) -> tuple[list[Column], list[dict]]:
    """Every case, ordered by id, with list columns decoded."""
    cols = columns(db, "cases")
    select = ", ".join(f'"{c.name}"' for c in cols)
    cases = [{c.name: decode(c, v) for c, v in zip(cols, row)}
             for row in db.execute(f"SELECT {select} FROM cases ORDER BY id")]
    return cols, cases


def _scalar(db: sqlite_utils.Database, sql: str, params: list | None = None) -> Any:
    return db.execute(sql, params or []).fetchone()[0]


def coverage(db: sqlite_utils.Database, cases: list[dict]) -> dict[str, Any]:
    """What the corpus covers: documents, case reports, cases, outlets, languages, dates."""
    has = {t: db[t].exists() for t in ("sources", "case_documents", "crawl_runs")}
    titles = {r["name"]: r["title"] for r in db.query("SELECT name, title FROM sources")} if has["sources"] else {}
    outlets = [{"name": r["source"] or NOT_STATED, "title": titles.get(r["source"]) or "",
                "documents": r["n"], "case_reports": r["reports"]}
               for r in db.query("SELECT source, count(*) AS n, sum(is_case_report = 1) AS reports "
                                 "FROM documents GROUP BY source ORDER BY n DESC, source")]
    languages = [{"lang": r["lang"] or NOT_STATED, "documents": r["n"], "case_reports": r["reports"]}
                 for r in db.query("SELECT lang, count(*) AS n, sum(is_case_report = 1) AS reports "
                                   "FROM documents GROUP BY lang ORDER BY n DESC, lang")]
    events = sorted(d for c in cases for d in (c.get("first_event"), c.get("last_event")) if d)
    return {
        "documents": _scalar(db, "SELECT count(*) FROM documents"),
        "case_reports": _scalar(db, "SELECT count(*) FROM documents WHERE is_case_report = 1"),
        "documents_in_cases": _scalar(db, "SELECT count(*) FROM case_documents") if has["case_documents"] else 0,
        "cases": len(cases),
        "outlets": outlets,
        "languages": languages,
        "published_from": _scalar(db, "SELECT min(substr(published, 1, 10)) FROM documents"),
        "published_to": _scalar(db, "SELECT max(substr(published, 1, 10)) FROM documents"),
        "published_not_stated": _scalar(db, "SELECT count(*) FROM documents WHERE published IS NULL OR published = ''"),
        "events_from": events[0] if events else None,
        "events_to": events[-1] if events else None,
        "crawl_runs": _scalar(db, "SELECT count(*) FROM crawl_runs") if has["crawl_runs"] else 0,
    }


def article_titles(db: sqlite_utils.Database) -> dict[str, str]:
    if not db["criminal_code"].exists():
        return {}
    return {r["id"]: r["title_en"] for r in db.query("SELECT id, title_en FROM criminal_code")}


def article_notes(cases: list[dict], titles: dict[str, str]) -> list[str]:
    """The criminal-code articles the cases name, each with its title (the penalty figure's note);
    none when the database has no criminal code."""
    if not titles:
        return []
    used = sorted({a for c in cases for a in (c.get("articles") or [])}, key=_article_key)
    return [f"{a} {titles.get(a, '')}".strip() for a in used]


# --- figures -------------------------------------------------------------------------------------

@dataclass
class FigureResult:
    """One figure: where it is, and the counts its caption states."""

    key: str
    title: str
    file: str
    cases: int  # every case is accounted for: drawn, or counted as lacking the criterion
    shown: int  # cases drawn with the criterion stated
    missing: dict[str, int]  # criterion -> cases that do not state it
    caption: str


def _new_figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)  # Agg, without touching pyplot's global backend
    return fig


def _palette(categories: list[str]) -> dict[str, Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if len(categories) > 10 else "tab10"]
    colours, i = {}, 0
    for c in categories:
        if c in (NOT_STATED, OTHER):
            colours[c] = GREY if c == NOT_STATED else "#7f7f7f"
        else:
            colours[c] = cmap(i % cmap.N)
            i += 1
    return colours


def _top(categories: list[str], counts: Counter, limit: int = MAX_CATEGORIES) -> tuple[list[str], set[str]]:
    """Keep the `limit` most frequent categories (plus "not stated"); the rest become "other"."""
    named = [c for c in categories if c != NOT_STATED]
    if len(named) <= limit:
        return categories, set()
    keep = set(sorted(named, key=lambda c: (-counts[c], c))[:limit - 1])
    folded = set(named) - keep
    out = [c for c in categories if c in keep] + [OTHER] + ([NOT_STATED] if NOT_STATED in categories else [])
    return out, folded


def _subtitle(fig, text: str) -> None:
    fig.text(0.01, 0.005, text, fontsize=8, color="#444", ha="left", va="bottom", wrap=True)


def figure_cases_by_year_region(cases: list[dict]) -> tuple[Any, dict]:
    n = len(cases)
    year_of = {c["id"]: values_of(c, "year")[0] for c in cases}
    region_of = {c["id"]: values_of(c, "region")[0] for c in cases}
    stated_years = sorted({int(y) for y in year_of.values() if y != NOT_STATED})
    years = [str(y) for y in range(stated_years[0], stated_years[-1] + 1)] if stated_years else []
    if NOT_STATED in year_of.values():
        years.append(NOT_STATED)
    region_counts = Counter(region_of.values())
    regions, folded = _top(ordered(region_of.values(), region_counts, "region"), region_counts)
    grid = {(y, r): 0 for y in years for r in regions}
    for c in cases:
        r = OTHER if region_of[c["id"]] in folded else region_of[c["id"]]
        grid[(year_of[c["id"]], r)] += 1
    colours = _palette(regions)
    fig = _new_figure(max(6.5, 0.38 * len(years) + 3.5), 4.6)
    ax = fig.add_subplot()
    bottom = [0] * len(years)
    for r in regions:
        heights = [grid[(y, r)] for y in years]
        ax.bar(range(len(years)), heights, bottom=bottom, color=colours[r], label=f"{r} ({region_counts.get(r, 0) if r != OTHER else sum(region_counts[f] for f in folded)})",
               edgecolor="white", linewidth=0.5, hatch="//" if r == NOT_STATED else None)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(range(len(years)), years, rotation=60 if len(years) > 8 else 0, ha="right" if len(years) > 8 else "center")
    ax.set_ylabel("cases")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("year of the first report")
    ax.legend(title="region", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    missing = {"year": sum(1 for y in year_of.values() if y == NOT_STATED),
               "region": sum(1 for r in region_of.values() if r == NOT_STATED)}
    ax.set_title(f"Cases per year by region: {n} cases; year not stated: {missing['year']}, "
                 f"region not stated: {missing['region']}", fontsize=10, loc="left")
    caption = (f"{n} cases, all drawn: year not stated {missing['year']} (a bar of its own), "
               f"region not stated {missing['region']} (grey, hatched).")
    if folded:
        caption += f" Regions beyond the {MAX_CATEGORIES - 1} most frequent are drawn as \"other\"."
    return fig, {"cases": n, "shown": n, "missing": missing, "caption": caption}


def figure_penalty_by_article(cases: list[dict]) -> tuple[Any, dict]:
    n = len(cases)
    with_term = [c for c in cases if c.get("penalty_max_years") is not None]
    without = [c for c in cases if c.get("penalty_max_years") is None]
    no_term_kinds = Counter(c.get("penalty_kind") or NOT_STATED for c in without)
    points: dict[str, list[dict]] = defaultdict(list)
    for c in with_term:
        for a in values_of(c, "articles"):
            points[a].append(c)
    arts = ordered(points, Counter({a: len(v) for a, v in points.items()}), "articles")
    kinds = ordered((c.get("penalty_kind") or NOT_STATED for c in with_term), Counter(), "")
    colours = _palette(kinds)
    fig = _new_figure(max(6.5, 0.9 * len(arts) + 3), 4.8)
    ax = fig.add_subplot()
    if arts:
        data = [[float(c["penalty_max_years"]) for c in points[a]] for a in arts]
        ax.boxplot(data, positions=range(len(arts)), widths=0.5, showfliers=False,
                   medianprops={"color": "black"}, boxprops={"color": "#555"}, whiskerprops={"color": "#555"},
                   capprops={"color": "#555"})
        seen_kinds = set()
        for i, a in enumerate(arts):
            group = sorted(points[a], key=lambda c: (c["penalty_max_years"], c["id"]))
            for j, c in enumerate(group):
                # Spread points evenly across the box (deterministic jitter).
                x = i + (j - (len(group) - 1) / 2) * min(0.14, 0.4 / len(group))
                lo, hi = c.get("penalty_min_years"), c["penalty_max_years"]
                kind = c.get("penalty_kind") or NOT_STATED
                if lo is not None and lo != hi:
                    ax.plot([x, x], [lo, hi], color=colours[kind], linewidth=1.2, alpha=0.7)
                ax.scatter([x], [hi], s=34, color=colours[kind], edgecolor="black", linewidth=0.4, zorder=3,
                           label=kind if kind not in seen_kinds else None)
                seen_kinds.add(kind)
        ax.set_xticks(range(len(arts)), [f"{a}\n(n={len(points[a])})" for a in arts], fontsize=8)
        ax.legend(title="penalty", fontsize=8, title_fontsize=8, frameon=False, loc="upper left",
                  bbox_to_anchor=(1.01, 1))
    else:
        ax.text(0.5, 0.5, "no case states a term in years", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("years (dot: longest term; line: down to the shortest)")
    ax.set_xlabel("criminal-code article (a case with several articles appears under each)")
    lacking = ", ".join(f"{k} {v}" for k, v in sorted(no_term_kinds.items(), key=lambda kv: (kv[0] == NOT_STATED, kv[0])))
    ax.set_title(f"Penalty length by article: {len(with_term)} of {n} cases state a term in years; "
                 f"{len(without)} do not ({lacking or 'none'})", fontsize=10, loc="left")
    article_missing = sum(1 for c in with_term if values_of(c, "articles") == [NOT_STATED])
    caption = (f"{len(with_term)} of {n} cases state a term in years and are drawn; {len(without)} do not "
               f"({lacking or 'none'}). Of the drawn cases, {article_missing} state no article (the \"not stated\" "
               "column). Box: quartiles of the longest term per case; a case with several articles appears under each.")
    return fig, {"cases": n, "shown": len(with_term), "caption": caption,
                 "missing": {"term": len(without), "article": article_missing}}


def figure_article_region(cases: list[dict]) -> tuple[Any, dict]:
    import matplotlib.ticker
    import numpy as np

    n = len(cases)
    art_counts = Counter(a for c in cases for a in values_of(c, "articles"))
    reg_counts = Counter(values_of(c, "region")[0] for c in cases)
    arts, folded_a = _top(ordered(art_counts, art_counts, "articles"), art_counts, 20)
    regs, folded_r = _top(ordered(reg_counts, reg_counts, "region"), reg_counts, 15)
    grid = np.zeros((len(arts), len(regs)), dtype=int)
    for c in cases:
        r = values_of(c, "region")[0]
        r = OTHER if r in folded_r else r
        for a in values_of(c, "articles"):
            a = OTHER if a in folded_a else a
            grid[arts.index(a), regs.index(r)] += 1
    fig = _new_figure(max(6.0, 0.75 * len(regs) + 3.5), max(3.5, 0.42 * len(arts) + 2.2))
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
    for i in range(len(arts)):
        for j in range(len(regs)):
            if grid[i, j]:
                ax.text(j, i, str(grid[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] > grid.max() / 2 else "black")
    ax.set_xticks(range(len(regs)), regs, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(arts)), arts, fontsize=8)
    ax.set_xlabel("region")
    ax.set_ylabel("article")
    bar = fig.colorbar(image, ax=ax, label="cases", shrink=0.8)
    bar.locator = matplotlib.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    missing = {"article": art_counts.get(NOT_STATED, 0), "region": reg_counts.get(NOT_STATED, 0)}
    ax.set_title(f"Article x region: {n} cases; article not stated: {missing['article']}, "
                 f"region not stated: {missing['region']}", fontsize=10, loc="left")
    caption = (f"{n} cases, all counted: article not stated {missing['article']} (bottom row), region not stated "
               f"{missing['region']} (right column). A case with several articles counts once in each of its rows.")
    return fig, {"cases": n, "shown": n, "missing": missing, "caption": caption}


def figure_map(cases: list[dict], background: list[dict]) -> tuple[Any, dict]:
    n = len(cases)
    placed = [c for c in cases if c.get("latitude") is not None and c.get("longitude") is not None]
    unplaced = n - len(placed)
    at = defaultdict(list)
    for c in placed:
        at[(round(c["latitude"], 3), round(c["longitude"], 3), c.get("place") or NOT_STATED)].append(c)
    fig = _new_figure(8.0, 5.6)
    ax = fig.add_subplot()
    lats = [c["latitude"] for c in placed] or [45.0]
    lons = [c["longitude"] for c in placed] or [68.0]
    # Central Asia at least, widened to every case place.
    west, east = min(min(lons) - 3, 46.0), max(max(lons) + 3, 88.0)
    south, north = min(min(lats) - 2, 35.0), max(max(lats) + 2, 56.0)
    for p in background:
        if west <= p["longitude"] <= east and south <= p["latitude"] <= north:
            if p["kind"] == "country":
                ax.text(p["longitude"], p["latitude"], p["name_en"].upper(), fontsize=7, color="#aaa",
                        ha="center", va="center", zorder=1)
            else:
                ax.scatter([p["longitude"]], [p["latitude"]], s=2, color="#d0d0d0", zorder=1)
    spots = sorted(at.items())
    for (lat, lon, place), group in spots:
        ax.scatter([lon], [lat], s=40 + 55 * len(group), color="#c0392b", alpha=0.75,
                   edgecolor="black", linewidth=0.5, zorder=3)
        region = group[0].get("region") or "region not stated"
        label = f"{region}: {len(group)}" if region == place else f"{region}: {len(group)}\n({place})"
        # Label on the left when another place sits just to the right, so neighbours do not collide.
        crowded = any(0 < olon - lon < 4 and abs(olat - lat) < 1.5 for (olat, olon, _), _g in spots)
        ax.annotate(label, (lon, lat), xytext=(-8 if crowded else 8, 4), textcoords="offset points",
                    ha="right" if crowded else "left", va="bottom", fontsize=8, fontweight="bold",
                    color="#1a1a1a", zorder=5, linespacing=1.1)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.grid(color="#eee", linewidth=0.5)
    ax.set_title(f"Cases by main place: {len(placed)} of {n} cases placed; place not stated: {unplaced}",
                 fontsize=10, loc="left")
    _subtitle(fig, "Labels: region: cases (main place when it differs); dots sized by cases. Grey: gazetteer "
                   "places and countries, for orientation (no map tiles).")
    no_region = sum(1 for c in cases if not c.get("region"))
    caption = (f"{len(placed)} of {n} cases drawn at their main place (gazetteer coordinates); place not stated "
               f"{unplaced} (not drawn); region not stated {no_region}.")
    return fig, {"cases": n, "shown": len(placed), "missing": {"place": unplaced, "region": no_region},
                 "caption": caption}


def figure_orgs_platforms(cases: list[dict], org_names: dict[str, str]) -> tuple[Any, dict]:
    n = len(cases)
    fig = _new_figure(10.0, 4.8)
    stats = {"cases": n, "shown": 0, "missing": {}}
    for i, (column, label) in enumerate((("orgs", "organisation"), ("platforms", "platform"))):
        ax = fig.add_subplot(1, 2, i + 1)
        counts = Counter(v for c in cases for v in values_of(c, column))
        cats, folded = _top(ordered(counts, counts, column), counts, 14)
        if folded:
            counts[OTHER] = sum(1 for c in cases if set(values_of(c, column)) & folded)
        labels = [textwrap.fill(org_names.get(c, c) if column == "orgs" else c, 30) for c in cats]
        shares = [100 * counts[c] / n for c in cats]
        colours = [GREY if c == NOT_STATED else ("#7f7f7f" if c == OTHER else "#2c7fb8") for c in cats]
        ax.barh(range(len(cats)), shares, color=colours)
        for y, c in enumerate(cats):
            ax.text(shares[y] + 1, y, f"{counts[c]} ({shares[y]:.0f}%)", va="center", fontsize=8)
        ax.set_yticks(range(len(cats)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 118)
        ax.set_xlabel("share of cases (%)")
        ax.set_title(f"{label}: {label} not stated in {counts.get(NOT_STATED, 0)} of {n} cases",
                     fontsize=9, loc="left")
        stats["missing"][label] = counts.get(NOT_STATED, 0)
    stats["shown"] = n
    stats["caption"] = (f"{n} cases, all counted: organisation not stated {stats['missing']['organisation']}, "
                        f"platform not stated {stats['missing']['platform']} (grey bars). A case naming several "
                        "counts once under each, so shares add up to more than 100%.")
    fig.suptitle(f"Share of cases by organisation and platform: {n} cases (a case naming several counts "
                 f"once under each, so shares add up to more than 100%)", fontsize=10, x=0.01, ha="left")
    return fig, stats


# --- tables --------------------------------------------------------------------------------------
# The data each table shows; corpus/comparison_templates/ lays it out.

def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def comparison_rows(cases: list[dict], crit: Criterion) -> list[dict]:
    """One row per category of the criterion: how the cases under it compare."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        for v in values_of(c, crit.column.name):
            groups[v].append(c)
    cats = ordered(groups, Counter({k: len(v) for k, v in groups.items()}), crit.column.name)
    rows = []
    for cat in cats:
        group = groups[cat]
        terms = [c["penalty_max_years"] for c in group if c.get("penalty_max_years") is not None]
        mins = [c["penalty_min_years"] for c in group if c.get("penalty_min_years") is not None]
        convicted = [c["convicted_count"] for c in group if c.get("convicted_count") is not None]
        rows.append({
            "value": cat, "cases": len(group), "share": 100 * len(group) / len(cases),
            "reports": sum(c.get("n_documents") or 0 for c in group),
            "with_term": len(terms),
            "median_term": statistics.median(terms) if terms else None,
            "term_range": f"{min(mins or terms):g}–{max(terms):g}" if terms else "",
            "life_or_death": sum(1 for c in group if c.get("penalty_kind") in ("life", "death")),
            "convicted": sum(convicted) if convicted else None, "convicted_stated": len(convicted),
            "verdict": sum(1 for c in group if c.get("stage") in ("verdict", "appeal")),
        })
    return rows


def comparison(cases: list[dict], crit: Criterion) -> dict[str, Any]:
    """One criterion's comparison table: its rows, and how many cases do not state it."""
    return {"name": crit.name, "column": crit.column.name, "is_list": crit.is_list, "cases": len(cases),
            "not_stated": sum(1 for c in cases if values_of(c, crit.column.name) == [NOT_STATED]),
            "rows": comparison_rows(cases, crit)}


def crosstab(cases: list[dict], a: Criterion, b: Criterion) -> dict[str, Any]:
    """Cases in each pair of values of two criteria: `a`'s values are the rows, `b`'s the columns."""
    counts = Counter()
    for c in cases:
        for x in values_of(c, a.column.name):
            for y in values_of(c, b.column.name):
                counts[(x, y)] += 1
    xs = ordered((k[0] for k in counts), Counter(k[0] for k in counts.elements()), a.column.name)
    ys = ordered((k[1] for k in counts), Counter(k[1] for k in counts.elements()), b.column.name)
    return {"a": a.name, "b": b.name, "cases": len(cases), "columns": ys,
            "rows": [{"value": x, "counts": [counts[(x, y)] for y in ys]} for x in xs]}


def _penalty(case: dict) -> str:
    """"prison 5–10 years", "life"; "" when the case states no penalty."""
    if not case.get("penalty_kind"):
        return ""
    lo, hi = case.get("penalty_min_years"), case.get("penalty_max_years")
    years = "" if hi is None else (f" {lo:g}–{hi:g} years" if lo is not None and lo != hi else f" {hi:g} years")
    return case["penalty_kind"] + years


def case_rows(cases: list[dict]) -> list[dict]:
    """The cases table: one row per case, by year then id; a value a case lacks is None or []."""
    return [{"id": c["id"], "title": c.get("title"), "year": c.get("year"), "region": c.get("region"),
             "place": c.get("place"), "articles": c.get("articles") or [], "stage": c.get("stage"),
             "penalty": _penalty(c), "convicted": c.get("convicted_count"), "reports": c.get("n_documents"),
             "languages": c.get("languages") or []}
            for c in sorted(cases, key=lambda c: (c.get("year") or 0, c["id"]))]


def _attribute_name(key: str) -> str:
    """A figure's missing-count key as the tail of a data- attribute name ("court level" -> "court-level")."""
    return re.sub(r"[^a-z]+", "-", key).strip("-")


def render(context: dict[str, Any]) -> str:
    """The report page: corpus/comparison_templates/index.html over `context`, every value escaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("corpus", "comparison_templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=lambda value: "" if value is None else value,
    )
    env.filters["num"] = _num
    env.filters["attribute_name"] = _attribute_name
    return env.get_template("index.html").render(context)


# --- the report ----------------------------------------------------------------------------------

@dataclass
class ReportResult:
    path: Path
    figures: list[FigureResult]
    cases: int
    documents: int


def _prepare_dir(out_dir: Path) -> Path:
    figures = out_dir / "figures"
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"cannot write the report to {out_dir}: it is a file, not a directory")
    try:
        figures.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ReportError(f"cannot write the report to {out_dir}: {exc.strerror or exc}") from None
    return figures


def build_report(db: sqlite_utils.Database, out_dir: Path, by: Iterable[str] = (),
                 image_format: str = "png", on_step: Callable[[str], None] | None = None,
                 reviewed_only: bool = False) -> ReportResult:
    """Write `out_dir/index.html` and its figures; returns what was written and the counts.
    `on_step` is told of each step ("figure: Map of cases"). With `reviewed_only`, only the
    cases a person reviewed (corpus review) are compared."""
    on_step = on_step or (lambda step: None)
    if image_format not in IMAGE_FORMATS:
        raise ReportError(f"unknown image format {image_format!r}: choose from {', '.join(IMAGE_FORMATS)}")
    if not db["cases"].exists() or not db["documents"].exists():
        raise ReportError("this database has no cases table: build the corpus first (corpus demo, or crawl, process, group)")
    cols, cases = load_cases(db)
    criteria = resolve_criteria(list(by) or [b for b in DEFAULT_BY], cols)
    if not cases:
        raise ReportError("the corpus has no cases yet: run `corpus process` and `corpus group` first")
    all_cases = len(cases)
    reviewed = [c for c in cases if c.get("review_status") == "reviewed"]
    if reviewed_only:
        if not reviewed:
            raise ReportError(f"none of the {all_cases} cases is reviewed yet (corpus review CASE_ID --status reviewed)")
        cases = reviewed
    out_dir = Path(out_dir)
    fig_dir = _prepare_dir(out_dir)
    info = provenance(db)
    cov = coverage(db, cases)
    cov.update(all_cases=all_cases, reviewed_cases=len(reviewed), reviewed_only=reviewed_only)
    background = list(db.query("SELECT kind, name_en, latitude, longitude FROM places WHERE latitude IS NOT NULL "
                               "AND longitude IS NOT NULL ORDER BY id")) if db["places"].exists() else []
    org_names = display_names("orgs")
    titles = article_titles(db)

    specs = [
        ("cases-by-year-region", "Cases per year, by region", lambda: figure_cases_by_year_region(cases)),
        ("penalty-by-article", "Penalty length by article", lambda: figure_penalty_by_article(cases)),
        ("article-region", "Article x region", lambda: figure_article_region(cases)),
        ("map", "Map of cases", lambda: figure_map(cases, background)),
        ("orgs-platforms", "Organisations and platforms", lambda: figure_orgs_platforms(cases, org_names)),
    ]
    figures = []
    for key, title, draw in specs:
        on_step(f"figure: {title}")
        fig, stats = draw()
        file = f"figures/{key}.{image_format}"
        for stale in IMAGE_FORMATS:
            (fig_dir / f"{key}.{stale}").unlink(missing_ok=True)
        try:
            fig.savefig(out_dir / file, format=image_format, metadata={"Date": None} if image_format == "svg" else None)
        except OSError as exc:
            raise ReportError(f"cannot write {out_dir / file}: {exc.strerror or exc}") from None
        figures.append(FigureResult(key, title, file, stats["cases"], stats["shown"], stats["missing"],
                                    stats["caption"]))

    import matplotlib

    page = render({
        "title": TITLE,
        "not_stated": NOT_STATED,
        "coverage": cov,
        "figures": figures,
        "penalty_articles": article_notes(cases, titles),
        "comparisons": [comparison(cases, c) for c in criteria],
        "crosstab": crosstab(cases, criteria[0], criteria[1]) if len(criteria) >= 2 else None,
        "cases": case_rows(cases),
        "provenance": {"info": info, "image_format": image_format, "matplotlib": matplotlib.__version__,
                       "command": ("corpus report " + " ".join(f"--by {c.name}" for c in criteria)).strip()},
    })
    index = out_dir / "index.html"
    try:
        index.write_text(page, "utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {index}: {exc.strerror or exc}") from None
    return ReportResult(index, figures, len(cases), cov["documents"])
