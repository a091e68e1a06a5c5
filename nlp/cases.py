"""Grouping reports into cases by their case signature.

A signature is what identifies a court case whatever the language of the report: where it
happened (place ids and their region), which articles, which penalties, how many people,
when. Two reports are linked when their signatures agree; cases are the connected groups.
Candidate pairs come from blocking on region, so the work grows with the size of blocks,
not with all pairs.

    >>> group([{"id": "a", "places": ["kz-semey"], "regions": ["kz-abai-region"], "articles": ["KZ-CC 256"]},
    ...        {"id": "b", "places": ["kz-semey"], "regions": ["kz-abai-region"], "articles": ["KZ-CC 256"]}])
    [['a', 'b']]
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from nlp.gazetteer import get as get_place


@dataclass(frozen=True)
class Thresholds:
    max_days_apart: int = 540   # reports of one case (detention -> appeal) rarely span more
    min_score: float = 3.0


def regions_of(place_ids: list[str]) -> list[str]:
    """The regions (admin1 ids) of places, so "Семей" and "Abai region" meet."""
    out = set()
    for pid in place_ids:
        place = get_place(pid)
        if place and place.kind != "country" and place.admin1_id:
            out.add(place.admin1_id)
    return sorted(out)


def signature(facts: dict) -> dict:
    """The language-independent case signature of one report's extracted facts."""
    places = list(dict.fromkeys(p["id"] for p in facts.get("places") or []))
    return {
        "places": places,
        "regions": regions_of(places),
        "articles": sorted({f"{a['code']} {a['article']}" for a in facts.get("articles") or []}),
        "penalties": [{k: p.get(k) for k in ("kind", "min_years", "max_years")} for p in facts.get("penalties") or []],
        "event_dates": list(dict.fromkeys(d["iso"] for d in facts.get("event_dates") or [])),
        "convicted_count": facts.get("convicted_count"),
        "orgs": list(facts.get("orgs") or []),
        "platforms": list(facts.get("platforms") or []),
        "stage": facts.get("stage"),
    }


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value and len(value) >= 10 else None
    except ValueError:
        return None


def _terms(doc: dict) -> set[tuple]:
    return {(p.get("kind"), p.get("min_years"), p.get("max_years")) for p in doc.get("penalties") or []
            if p.get("kind") != "fine"}


def pair_score(a: dict, b: dict, th: Thresholds = Thresholds()) -> float | None:
    """How strongly two reports' signatures say "same case"; None when they contradict."""
    da, db = _date(a.get("published")), _date(b.get("published"))
    if da and db and abs((da - db).days) > th.max_days_apart:
        return None
    score = 0.0
    pa, pb = set(a.get("places") or []), set(b.get("places") or [])
    # The first case place (usually in the title or lead) is where the case is; a place
    # mentioned later may be another case in passing. Each main place must appear in the other.
    ma, mb = (a.get("places") or [None])[0], (b.get("places") or [None])[0]
    if ma and mb and not ((ma in pb or ma in set(b.get("regions") or [])) and (mb in pa or mb in set(a.get("regions") or []))):
        return None
    if pa & pb:
        score += 2.0
    elif set(a.get("regions") or []) & set(b.get("regions") or []):
        score += 1.0
    elif pa and pb:
        return None
    arts_a, arts_b = set(a.get("articles") or []), set(b.get("articles") or [])
    if arts_a and arts_b:
        if not arts_a & arts_b:
            return None
        score += 1.0 + 0.5 * len(arts_a & arts_b)
    ta, tb = _terms(a), _terms(b)
    if ta and tb:
        if not ta & tb:
            return None
        score += 2.0
    ca, cb = a.get("convicted_count"), b.get("convicted_count")
    if ca and cb:
        if ca != cb:
            return None
        score += 0.5 if ca == 1 else 1.5
    oa, ob = set(a.get("orgs") or []), set(b.get("orgs") or [])
    if oa & ob:
        score += 1.0
    ea, eb = set(a.get("event_dates") or []), set(b.get("event_dates") or [])
    if {d for d in ea if len(d) == 10} & {d for d in eb if len(d) == 10}:
        score += 1.5
    return score


def group(docs: list[dict], th: Thresholds = Thresholds()) -> list[list[str]]:
    """Connected groups of linked reports (each a sorted list of ids), largest first."""
    parent = {d["id"]: d["id"] for d in docs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members_of: dict[str, list[dict]] = {d["id"]: [d] for d in docs}
    blocks: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        for key in set(d.get("regions") or []) | set(d.get("places") or []):
            blocks[key].append(d)
    pairs = []
    seen_pairs = set()
    for block in blocks.values():
        for a, b in combinations(block, 2):
            key = (a["id"], b["id"])
            if key in seen_pairs:
                continue
            seen_pairs.add(key)
            score = pair_score(a, b, th)
            if score is not None and score >= th.min_score:
                pairs.append((score, a["id"], b["id"]))
    by_id = {d["id"]: d for d in docs}
    # Strongest links first; two groups merge only if no pair across them contradicts,
    # so a report that mentions another case cannot chain two cases together.
    for score, x, y in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        rx, ry = find(x), find(y)
        if rx == ry:
            continue
        if any(pair_score(by_id[m["id"]], by_id[n["id"]], th) is None
               for m in members_of[rx] for n in members_of[ry]):
            continue
        parent[rx] = ry
        members_of[ry] += members_of.pop(rx)
    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        groups[find(d["id"])].append(d["id"])
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))
