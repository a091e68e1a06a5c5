"""Grouping reports into cases: a language-independent signature decides, similarity ranks.

A signature is what identifies a court case whatever the language of the report: where it
happened (place ids and their regions), which articles, which penalties, how many people,
when, who (person names transliterated to one Latin skeleton). Two reports are linked when
their signatures agree and, where the signature is thin, their embeddings are close; a
contradiction (different cities, terms, ages or defendants) vetoes a link, so
two cases under the same article in the same city stay apart when their facts differ.

Candidate pairs come from blocking (shared place with an article, term or age; names) and
from each report's nearest neighbours by embedding among the reports it could link with (same
region, or no place), never from all pairs. Groups are built strongest link first, and two
groups merge only if no pair across them contradicts.

    >>> group([{"id": "a", "places": ["kz-semey"], "regions": ["kz-abai-region"], "articles": ["KZ-CC 256"]},
    ...        {"id": "b", "places": ["kz-semey"], "regions": ["kz-abai-region"], "articles": ["KZ-CC 256"]}])
    [['a', 'b']]
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources

import numpy as np

from nlp.facts import stored_facts
from nlp.gazetteer import get as get_place


@dataclass(frozen=True)
class Thresholds:
    """Grouping thresholds (defaults from nlp/data/grouping.json)."""

    max_days_apart: int = 540
    max_years_apart: int = 2
    age_tolerance: int = 1
    different_names_penalty: float = 1.5
    different_organisations_penalty: float = 2.5
    many_named: int = 4
    big_city_population: int = 450_000
    big_city_points: float = 1.0
    min_score: float = 3.5
    similarity_floor: float = 0.82
    similarity_full: float = 0.93
    similarity_weight: float = 4.0
    weak_signature_score: float = 1.0
    weak_signature_similarity: float = 0.9
    neighbours: int = 10
    similar_cases: int = 5


@lru_cache(maxsize=1)
def thresholds() -> Thresholds:
    data = json.loads(resources.files("nlp").joinpath("data/grouping.json").read_text("utf-8"))
    known = {f.name for f in fields(Thresholds)}
    return Thresholds(**{k: v for k, v in data.items() if k in known})


# --- signatures ------------------------------------------------------------------------------

def regions_of(place_ids: list[str]) -> list[str]:
    """The regions (admin1 ids) of places, so "Семей" and "Abai region" meet."""
    out = set()
    for pid in place_ids:
        place = get_place(pid)
        if place and place.kind != "country" and place.admin1_id:
            out.add(place.admin1_id)
    return sorted(out)


def signature(facts) -> dict:
    """The language-independent case signature of one report's extracted facts (nlp.facts.Facts,
    or a dict of the same keys): each stored fact as its documents column holds it, plus regions."""
    sig = {fact.name: fact.store(facts.get(fact.name)) for fact in stored_facts() if fact.name != "is_case_report"}
    sig["regions"] = regions_of(sig["places"])
    return sig


def prepare(rows: list[dict]) -> tuple[list[dict], np.ndarray]:
    """Signatures and vectors for texts {"id", "text", "title"?, "lang"?, "published"?}: what
    `group` needs when there is no database (group-texts, evaluation)."""
    from nlp.embeddings import case_text, embed
    from nlp.extraction import extract_many

    texts = [f"{r.get('title') or ''}\n\n{r['text']}".strip() for r in rows]
    facts = extract_many([(t, r.get("lang") or "auto", r.get("published")) for t, r in zip(texts, rows)])
    docs = [{**signature(f), "id": r["id"], "lang": f["lang"], "published": r.get("published"),
             "is_case_report": f["is_case_report"]} for r, f in zip(rows, facts)]
    vectors = embed([case_text(r.get("title"), r["text"], d["places"], d["articles"]) for r, d in zip(rows, docs)])
    return docs, vectors


# --- pair decisions ----------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value and len(value) >= 10 else None
    except ValueError:
        return None


def _terms(doc: dict) -> set[tuple]:
    return {(p.get("kind"), p.get("min_years"), p.get("max_years")) for p in doc.get("penalties") or []
            if p.get("kind") != "fine"}


def _ages(doc: dict) -> set[int]:
    return {p["age"] for p in doc.get("persons") or [] if p.get("age")}


def _genders(doc: dict) -> set[str]:
    return {p["gender"] for p in doc.get("persons") or [] if p.get("gender")}


def _within(place_id: str, others: set[str]) -> bool:
    """Is the place, or the region it lies in, or its namesake, among `others`?"""
    return place_id in others or bool((set(regions_of([place_id])) | namesakes(place_id)) & others)


@lru_cache(maxsize=65536)
def _population(place_id: str) -> int | None:
    """A city's, town's or district's population; None for a region or a country (named beside its
    city, it says no more than the city)."""
    place = get_place(place_id)
    return place.population if place and place.kind not in ("country", "region") else None


NAMESAKE_SUFFIX = "-region"


@lru_cache(maxsize=65536)
def namesakes(place_id: str) -> frozenset[str]:
    """A city and the region named after it ("Москва" and "Московская область", Almaty and Almaty
    region): reports of one case name either (a regional court sits in the city; "near Moscow"),
    though the city may not lie in that region."""
    other = (place_id[:-len(NAMESAKE_SUFFIX)] if place_id.endswith(NAMESAKE_SUFFIX)
             else place_id + NAMESAKE_SUFFIX)
    return frozenset({other}) if get_place(other) else frozenset()


def _first_term(doc: dict) -> tuple | None:
    for p in doc.get("penalties") or []:
        if p.get("kind") != "fine":
            return (p.get("kind"), p.get("min_years"), p.get("max_years"))
    return None


def _overlaps(term: tuple | None, terms: set[tuple]) -> bool:
    """Does a term agree with one of `terms`: same kind and overlapping years? ("до 18 лет" in
    a headline and "от 12 до 18 лет" in the text are one sentence.)"""
    if term is None:
        return True
    kind, lo, hi = term
    for other_kind, other_lo, other_hi in terms:
        if other_kind != kind:
            continue
        if lo is None or other_lo is None or (lo <= (other_hi or other_lo) and other_lo <= (hi or lo)):
            return True
    return False


def _first_age(doc: dict) -> int | None:
    return next((p["age"] for p in doc.get("persons") or [] if p.get("age")), None)


@dataclass
class Comparison:
    """What two reports' signatures say about "same case": the score (None when they contradict),
    the facts both state alike, the facts both state and were checked against each other, and
    the contradiction found, if any. Items are (fact, value) pairs: ("place", "kz-semey")."""

    score: float | None = 0.0
    shared: list[tuple[str, str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    contradiction: tuple[str, str] | None = None
    unanchored: bool = False  # no identifying fact shared: never linked, whatever the similarity

    def add(self, points: float, fact: str, value: object) -> None:
        self.score += points
        self.shared.append((fact, str(value)))

    def contradict(self, fact: str, detail: str) -> Comparison:
        self.score, self.contradiction = None, (fact, detail)
        return self


# Stages told only of a case that reached a court.
COURT_STAGES = frozenset({"trial", "verdict", "appeal"})

# Facts that identify a case; a head count, a term or an age alone do not.
IDENTIFYING = frozenset({"place", "region", "name", "article", "organisation", "date"})
NOT_LINKABLE = float("-inf")



def _near(value: int | None, others: set[int], tolerance: int) -> bool:
    return value is None or any(abs(value - o) <= tolerance for o in others)


def _lone(doc: dict) -> bool:
    """Is the report about one person (or does it not say how many)?"""
    return all((doc.get(k) or 0) <= 1 for k in ("convicted_count", "accused_count"))


def _group_case(a: dict, b: dict) -> bool:
    """Does each of two reports tell of several people (accused or convicted)?"""
    return all(max(d.get("convicted_count") or 0, d.get("accused_count") or 0) > 1 for d in (a, b))


def _one_accused(doc: dict) -> bool:
    """Does the report say it is about exactly one person?"""
    counts = [doc.get(k) for k in ("convicted_count", "accused_count") if doc.get(k)]
    return bool(counts) and all(c == 1 for c in counts)


def _different_people(a: dict, b: dict, many_named: int) -> bool:
    """Are two reports that name people, none in common, about different defendants? Yes when
    each is about one person (the names are its defendant's), or each names a group's members
    (`many_named` people or more); unless they agree on a term or an age, which says a name
    failed to meet its other spelling. Otherwise a name may be a lawyer's, a judge's or a press
    officer's: no verdict."""
    if not ((_one_accused(a) and _one_accused(b))
            or min(len(a.get("names") or []), len(b.get("names") or [])) >= many_named):
        return False
    return not (_terms(a) & _terms(b) or _ages(a) & _ages(b))


def own_years(doc: dict) -> tuple[int, float] | None:
    """The years the report's own latest stage can fall in, as (first, last); None when unknown.

    The publication year when there is one. Without it, the latest year the report names (a
    year-only date agrees with any date of that year); but a report that dates events by day
    or month without a year ("on 2 November") and names its latest year only bare ("in 2006")
    tells of its own, recent, year and of older years as background, so that latest year is
    then only a lower bound."""
    published = doc.get("published")
    if published and published[:4].isdigit():
        return int(published[:4]), int(published[:4])
    dates = doc.get("event_dates") or []
    years = [int(d[:4]) for d in dates if d[:4].isdigit()]
    if not years:
        return None
    # A date with its month ("27 May 2015") dates the report's own events, the yearless ones too.
    dated = [int(d[:4]) for d in dates if d[:4].isdigit() and len(d) >= 7]
    if any(d.startswith("--") for d in dates) and (not dated or max(dated) < max(years)):
        return max(years), float("inf")
    return max(years), max(years)


def _span(years: tuple[int, float]) -> str:
    first, last = years
    return str(first) if first == last else (f"{first} or later" if last == float("inf") else f"{first}-{last}")


def _term_text(term: tuple | None) -> str:
    if term is None:
        return "none"
    kind, lo, hi = term
    years = "" if lo is None else (f" {lo:g}" if lo == hi or hi is None else f" {lo:g}-{hi:g}")
    return f"{kind}{years}"


def compare(a: dict, b: dict, th: Thresholds | None = None) -> Comparison:
    """How strongly two reports' signatures say "same case", and why."""
    th = th or thresholds()
    out = Comparison()
    # A statistics piece, an explainer or a warning retells cases; it never joins one.
    if a.get("is_case_report") is False or b.get("is_case_report") is False:
        return out.contradict("document", "not a case report")
    # A case the investigators closed before trial never reached a court: a report of its closing
    # and a report of a trial, verdict or appeal tell of two cases (a later case against the same
    # person, in the same city, is the usual look-alike).
    if (a.get("closed_before_trial") and b.get("stage") in COURT_STAGES) or (
            b.get("closed_before_trial") and a.get("stage") in COURT_STAGES):
        return out.contradict("stage", "closed before trial vs " + (b if a.get("closed_before_trial") else a)["stage"])
    da, db = _date(a.get("published")), _date(b.get("published"))
    if da and db:
        out.checked.append("published")
        if abs((da - db).days) > th.max_days_apart:
            return out.contradict("published", f"{da} vs {db}, more than {th.max_days_apart} days apart")
    pa, pb = set(a.get("places") or []), set(b.get("places") or [])
    ra, rb = set(a.get("regions") or []), set(b.get("regions") or [])
    # The first case place (title or lead) is where the case is; a place named later may be
    # another case in passing, or another court (an appeal in the capital, a hearing elsewhere).
    # One report's main place must be among the other's places or regions, or the two must
    # name a place in common (the town of the case, when the main places are two courts).
    ma, mb = (a.get("places") or [None])[0], (b.get("places") or [None])[0]
    if ma and mb:
        out.checked.append("place")
        if not (pa & pb or _within(ma, pb | rb) or _within(mb, pa | ra)):
            return out.contradict("place", f"{ma} vs {mb}")
    near = {n for p in pa | ra for n in namesakes(p)} & (pb | rb)
    if pa & pb:
        # A town in common is strong evidence; a big city (the capitals, the largest regional
        # centres), where many cases are tried each year, is weaker. A region named beside its
        # city says no more than the city.
        towns = [pop for pop in map(_population, pa & pb) if pop is not None]
        big = bool(towns) and min(towns) >= th.big_city_population
        out.add(th.big_city_points if big else 2.0, "place", ", ".join(sorted(pa & pb)))
    elif ra & rb:
        out.add(1.0, "region", ", ".join(sorted(ra & rb)))
    elif near:
        out.add(1.0, "region", ", ".join(sorted(near)))
    elif pa and pb:
        return out.contradict("place", f"{', '.join(sorted(pa))} vs {', '.join(sorted(pb))}")
    arts_a, arts_b = set(a.get("articles") or []), set(b.get("articles") or [])
    if arts_a and arts_b:
        out.checked.append("article")
        if not arts_a & arts_b:
            return out.contradict("article", f"{', '.join(sorted(arts_a))} vs {', '.join(sorted(arts_b))}")
        out.add(1.0 + 0.5 * len(arts_a & arts_b), "article", ", ".join(sorted(arts_a & arts_b)))
    # The first term and the first age stated belong to the report's own case; later ones may
    # be another case mentioned in passing. Each must appear in the other report.
    # Terms are compared kind with kind (a report may give only the prison term, another only the
    # ban that follows it); an appeal may change the term, so an appeal report about the same
    # person (a name in common) contradicts none. Nor do two reports of one group (several
    # people tried, a member named in both): each may give other members' terms and ages first.
    same_person = bool(set(a.get("names") or []) & set(b.get("names") or []))
    same_group = same_person and _group_case(a, b)
    ta, tb = _terms(a), _terms(b)
    fa, fb = _first_term(a), _first_term(b)
    same_kind_a = {t for t in tb if fa and t[0] == fa[0]}
    same_kind_b = {t for t in ta if fb and t[0] == fb[0]}
    if same_kind_a or same_kind_b:
        out.checked.append("term")
        if not _overlaps(fa, same_kind_a) or not _overlaps(fb, same_kind_b):
            if not (same_group or (same_person and "appeal" in (a.get("stage"), b.get("stage")))):
                return out.contradict("term", f"{_term_text(fa)} vs {_term_text(fb)}")
        else:
            out.add(2.0, "term", _term_text(fa if same_kind_a else fb))
    # Ages drift by a year between reports (a birthday between detention and verdict).
    ages_a, ages_b = _ages(a), _ages(b)
    if ages_a and ages_b:
        out.checked.append("age")
        age_a, age_b = _first_age(a), _first_age(b)
        if same_group:
            agree = any(_near(age, ages_b, th.age_tolerance) for age in ages_a)  # one member in both
        else:
            agree = _near(age_a, ages_b, th.age_tolerance) and _near(age_b, ages_a, th.age_tolerance)
        if not agree:
            return out.contradict("age", f"{age_a} vs {age_b}")
        out.add(1.5, "age", age_a)
    # Years agree at their precision: a year-only date agrees with any date of that year, and
    # the years two reports name must come within max_years_apart of each other (a detention
    # one year, the verdict the next).
    ya, yb = own_years(a), own_years(b)
    if ya and yb:
        out.checked.append("year")
        if ya[0] - yb[1] > th.max_years_apart or yb[0] - ya[1] > th.max_years_apart:
            return out.contradict("year", f"{_span(ya)} vs {_span(yb)}")
    # Head counts drift between stages (one detained, three sentenced): evidence, not a veto.
    ca, cb = a.get("convicted_count"), b.get("convicted_count")
    if ca and cb:
        out.checked.append("convicted")
        if ca == cb:
            out.add(0.5 if ca == 1 else 1.5, "convicted", ca)
        else:
            out.score -= 1.5
    # Gender tells cases apart only when each report is about one person: in a group case one
    # report may name a woman among the accused, another only the men.
    ga, gb = _genders(a), _genders(b)
    if len(ga) == 1 and len(gb) == 1 and _lone(a) and _lone(b):
        out.checked.append("gender")
        if ga != gb:
            return out.contradict("gender", f"{next(iter(ga))} vs {next(iter(gb))}")
    na, nb = set(a.get("names") or []), set(b.get("names") or [])
    if na and nb:
        out.checked.append("name")
    if na & nb:
        out.add(2.0, "name", ", ".join(sorted(na & nb)))
    elif na and nb and _different_people(a, b, th.many_named):
        return out.contradict("name", f"{', '.join(a['names'][:3])} vs {', '.join(b['names'][:3])}")
    elif na and nb:
        # Different people named: evidence against, not a veto (a report may name only a lawyer,
        # a co-defendant or a relative, and a name may fail to meet its other spelling).
        out.score -= th.different_names_penalty
    oa, ob = set(a.get("orgs") or []), set(b.get("orgs") or [])
    if oa & ob:
        out.add(1.0, "organisation", ", ".join(sorted(oa & ob)))
    elif oa and ob:
        # Different banned organisations: evidence against, not a veto (a report may name the
        # movement a group came from as well as the one it is tried for).
        out.checked.append("organisation")
        out.score -= th.different_organisations_penalty
    if set(a.get("platforms") or []) & set(b.get("platforms") or []):
        out.add(0.5, "platform", ", ".join(sorted(set(a["platforms"]) & set(b["platforms"]))))
    ea = {d for d in a.get("event_dates") or [] if len(d) == 10}
    eb = {d for d in b.get("event_dates") or [] if len(d) == 10}
    if ea & eb:
        out.add(1.5, "date", ", ".join(sorted(ea & eb)))
    # Similarity may rank and break ties, never decide alone: without a fact that identifies a
    # case (place, name, article, organisation, full date), or two that together do (the same
    # term and age, say), no similarity links two reports.
    # A banned movement alone identifies no case: hundreds of its members' cases share it.
    facts = {fact for fact, value in out.shared if fact != "convicted" or value != "1"}
    if not facts & (IDENTIFYING - {"organisation"}) and len(facts) < 2:
        out.score, out.unanchored = NOT_LINKABLE, True
    return out


def pair_score(a: dict, b: dict, th: Thresholds | None = None) -> float | None:
    """How strongly two reports' signatures say "same case"; None when they contradict."""
    return compare(a, b, th).score


_UNSET = object()


def link_score(a: dict, b: dict, similarity: float | None, th: Thresholds | None = None,
               signature=_UNSET) -> float | None:
    """Signature score plus the evidence of embedding similarity; None when not linked."""
    th = th or thresholds()
    sig = pair_score(a, b, th) if signature is _UNSET else signature
    if sig is None:
        return None
    if similarity is None:
        return sig if sig >= th.min_score else None
    span = max(th.similarity_full - th.similarity_floor, 1e-6)
    bonus = th.similarity_weight * min(1.0, max(0.0, (similarity - th.similarity_floor) / span))
    total = sig + bonus
    if total >= th.min_score:
        return total
    # A thin signature (a detention report names the city and little else) links only when
    # the texts are very close.
    if sig >= th.weak_signature_score and similarity >= th.weak_signature_similarity:
        return th.min_score
    return None


# --- candidates and groups ---------------------------------------------------------------------

EXACT_SEARCH_LIMIT = 2000  # up to this many vectors, each report's nearest are found among all
VECTOR_BLOCK_CAP = 4096  # above it, among at most this many reports of its region near it in date


def nearest(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest other rows by cosine (vectors are unit length), as two (n, k)
    arrays: row ids (-1 where there are fewer) and cosines. Exact up to EXACT_SEARCH_LIMIT rows,
    faiss HNSW above."""
    n = len(vectors)
    k = min(k + 1, n)
    if n == 0:
        return np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    import faiss

    if n <= EXACT_SEARCH_LIMIT:
        index = faiss.IndexFlatIP(vectors.shape[1])
    else:
        # Only the close neighbours matter: a light graph builds fast on 2 cores.
        index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = 32
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index.add(data)
    scores, ids = index.search(data, k)
    ids[ids == np.arange(n)[:, None]] = -1  # a row is not its own neighbour
    return ids, scores


def neighbours(vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """For each row, its k nearest rows by cosine (vectors are unit length), nearest first."""
    ids, scores = nearest(vectors, k)
    return [[(int(j), float(s)) for j, s in zip(row_ids, row_scores) if j >= 0]
            for row_ids, row_scores in zip(ids.tolist(), scores.tolist())]


def vector_blocks(doc: dict) -> set[str]:
    """The regions a report's places lie in (a place with no region stands for itself). Two
    reports that both name places can only link when they share one of these (pair_score's
    place veto), so nearest neighbours are looked for inside them."""
    keys = set()
    for pid in doc.get("places") or []:
        place = get_place(pid)
        keys.add(place.admin1_id if place and place.kind != "country" and place.admin1_id else pid)
    return keys


def _top_k(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, n: int, k: int):
    """Of (row, col, cosine) triples, each pair once and each row's k best."""
    key = rows * n + cols
    order = np.lexsort((-sims, key))
    key, rows, cols, sims = key[order], rows[order], cols[order], sims[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    rows, cols, sims = rows[first], cols[first], sims[first]
    order = np.lexsort((cols, -sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = np.arange(len(rows)) - starts < k
    return rows[keep], cols[keep], sims[keep]


def _date_windows(ordered: np.ndarray, date_rank: np.ndarray, cap: int):
    """Row ids in overlapping windows of `cap` (half a window apart) in publication-date order;
    one window when there are no more than `cap`."""
    if len(ordered) > cap:
        ordered = ordered[np.argsort(date_rank[ordered], kind="stable")]
    stride = max(1, cap // 2)
    for start in range(0, max(1, len(ordered) - cap + stride), stride):
        yield ordered[start:start + cap]


def search_windows(docs: list[dict], cap: int | None = None):
    """The blocked search as (queries, pool) pairs of row-id arrays: each query row's nearest
    are looked for among the pool. Reports that name places meet the reports of their regions
    (vector_blocks), in date windows of `cap` where a region is larger. Reports that name no
    place could link with any report, yet are searched once, not once per region: in date
    windows of `cap` over all reports, each such report against the whole window, and each
    report of the window against the window's reports with no place."""
    cap = max(2, cap or VECTOR_BLOCK_CAP)
    n = len(docs)
    blocks: dict[str, list[int]] = defaultdict(list)
    unplaced = np.zeros(n, dtype=bool)
    for i, d in enumerate(docs):
        keys = vector_blocks(d)
        unplaced[i] = not keys
        for key in keys:
            blocks[key].append(i)
    published = [d.get("published") or "" for d in docs]
    date_rank = np.empty(n, dtype=np.int64)
    date_rank[sorted(range(n), key=published.__getitem__)] = np.arange(n)
    for members in blocks.values():
        if len(members) < 2:
            continue
        for window in _date_windows(np.asarray(members, dtype=np.int64), date_rank, cap):
            yield window, window
    if not unplaced.any():
        return
    for window in _date_windows(np.arange(n, dtype=np.int64), date_rank, cap):
        free = window[unplaced[window]]
        if len(free) == 0:
            continue
        yield free, window
        placed = window[~unplaced[window]]
        if len(placed):
            yield placed, free


def blocked_nearest(docs: list[dict], vectors: np.ndarray, k: int,
                    cap: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each report's k nearest reports by cosine among those it could link with, searched
    exactly within the windows of search_windows, so reports close in date always meet and the
    work grows with the corpus, not its square. Returns flat arrays: row, neighbour, cosine."""
    n = len(docs)
    import faiss

    data = np.ascontiguousarray(vectors, dtype=np.float32)
    found_rows, found_cols, found_sims = [], [], []
    for queries, pool in search_windows(docs, cap):
        # Exact search (one matrix product and a heap per row); one more than k, as a report
        # in its own pool finds itself.
        sims, best = faiss.knn(data[queries], data[pool], min(k + 1, len(pool)),
                               metric=faiss.METRIC_INNER_PRODUCT)
        rows = np.repeat(queries, best.shape[1])
        cols = np.where(best >= 0, pool[np.maximum(best, 0)], -1).ravel()
        found = (cols >= 0) & (cols != rows)
        found_rows.append(rows[found])
        found_cols.append(cols[found])
        found_sims.append(sims.ravel()[found].astype(np.float64))
    if not found_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return _top_k(np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_sims), n, k)


def vector_candidates(docs: list[dict], vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each report's k nearest (row, neighbour, cosine as flat arrays): among all reports up to
    EXACT_SEARCH_LIMIT, within blocks (blocked_nearest) above it."""
    n = len(docs)
    if n > EXACT_SEARCH_LIMIT:
        return blocked_nearest(docs, vectors, k)
    ids, scores = nearest(vectors, k)
    rows = np.repeat(np.arange(n, dtype=np.int64), ids.shape[1])
    cols, sims = ids.ravel().astype(np.int64), scores.ravel().astype(np.float64)
    found = cols >= 0
    return rows[found], cols[found], sims[found]


WINDOW = 12  # reports a report meets in one block: a block of up to WINDOW + 1 is paired whole


def blocking_keys(doc: dict) -> set[str]:
    """Keys that put likely pairs side by side: the main place with each article, with the
    first term, with the first age; and each person name. Inside a big block only reports close
    in time are paired, so the pairs scored grow with the corpus, not with its square."""
    keys = {f"name|{n}" for n in doc.get("names") or []}
    places = doc.get("places") or []
    main = places[0] if places else None
    # The main place and its region: a report that names only the region meets one that names the town.
    for where in ([main, *regions_of([main])] if main else []):
        keys.update(f"{where}|{art}" for art in doc.get("articles") or [])
        term, age = _first_term(doc), _first_age(doc)
        if term:
            keys.add(f"{where}|term|{term}")
        if age:
            keys.add(f"{where}|age|{age}")
        if not doc.get("articles") and not term and not age:
            keys.add(f"{where}|bare")
    return keys


def _block_pairs(docs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j) that share a blocking key, as two arrays (unordered, may repeat)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for key in blocking_keys(d):
            blocks[key].append(i)
    published = [d.get("published") or "" for d in docs]
    date_rank = np.empty(len(docs), dtype=np.int64)
    date_rank[sorted(range(len(docs)), key=published.__getitem__)] = np.arange(len(docs))
    small: dict[int, list[list[int]]] = defaultdict(list)
    firsts, seconds = [], []
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= WINDOW + 1:
            small[len(members)].append(members)
            continue
        # A big block (a busy town's Article 256 cases): sorted neighbourhood, each report meets
        # the WINDOW reports nearest to it in publication date (half before, half after), as
        # many as in the largest block paired whole, not the whole block. (A stable sort by
        # rank keeps equal dates in document order.)
        ordered = np.asarray(members, dtype=np.int64)
        ordered = ordered[np.argsort(date_rank[ordered], kind="stable")]
        for step in range(1, WINDOW // 2 + 1):
            firsts.append(ordered[:-step])
            seconds.append(ordered[step:])
    for size, groups in small.items():
        table = np.asarray(groups, dtype=np.int64)
        x, y = np.triu_indices(size, 1)
        firsts.append(table[:, x].ravel())
        seconds.append(table[:, y].ravel())
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def _cosines(vectors: np.ndarray, first: np.ndarray, second: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """Cosines of row pairs of unit vectors, in chunks. A batched matmul does each product as one
    dot of two rows, so a pair's cosine is the same number whichever path computes it."""
    out = np.empty(len(first), dtype=np.float64)
    for start in range(0, len(first), chunk):
        a = vectors[first[start:start + chunk]][:, None, :]
        b = vectors[second[start:start + chunk]][:, :, None]
        out[start:start + chunk] = np.matmul(a, b)[:, 0, 0]
    return out


def candidate_arrays(docs: list[dict], vectors: np.ndarray | None,
                     th: Thresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Pairs worth scoring as three arrays: i < j, sorted, each pair once, and their cosines
    (None without vectors). Nearest neighbours by vector, and pairs sharing a blocking key."""
    n = len(docs)
    firsts, seconds, sims = [], [], []
    if vectors is not None and n > 1:
        rows, cols, near = vector_candidates(docs, vectors, th.neighbours)
        # Reversed, so that of a pair found from both ends the later row's cosine is kept.
        firsts.append(np.minimum(rows, cols)[::-1])
        seconds.append(np.maximum(rows, cols)[::-1])
        sims.append(near[::-1])
    a, b = _block_pairs(docs)
    firsts.append(np.minimum(a, b))
    seconds.append(np.maximum(a, b))
    sims.append(np.full(len(a), np.nan))
    first, second, sim = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(sims)
    # Each pair once: np.unique keeps the first occurrence, so a neighbour's cosine from the index
    # wins over a blocked pair's.
    _, keep = np.unique(first * max(n, 1) + second, return_index=True)
    first, second, sim = first[keep], second[keep], sim[keep]
    if vectors is None:
        return first, second, None
    missing = np.isnan(sim)
    sim[missing] = _cosines(vectors, first[missing], second[missing])
    return first, second, sim


def candidate_pairs(docs: list[dict], vectors: np.ndarray | None, th: Thresholds) -> dict[tuple[int, int], float | None]:
    """Pairs worth scoring (i < j) with their cosine similarity (None without vectors)."""
    first, second, sim = candidate_arrays(docs, vectors, th)
    sims = sim.tolist() if sim is not None else [None] * len(first)
    return dict(zip(zip(first.tolist(), second.tolist()), sims))


def group(docs: list[dict], vectors: np.ndarray | None = None, th: Thresholds | None = None) -> list[list[str]]:
    """Connected groups of linked reports (each a sorted list of ids), largest first."""
    return [g for g, _ in group_with_scores(docs, vectors, th)]


class GroupSummary:
    """What in a group of reports can contradict another group, kept as it grows, so that most
    merges are decided in a few steps instead of by scoring every pair across the two groups.

    `decide` answers True where some pair across the groups must contradict (publication dates
    or own years too far apart, two lone people of different genders, a page that is not a case
    report, a case closed before trial beside one that reached a court): exactly what pair_score
    would find. It answers False where no pair can: every
    report that names a place shares one place with all others (likewise articles and person
    names), terms of one kind all overlap, and ages all lie within the tolerance. Otherwise
    (None) the pairs are scored. Each answer is one pair_score would give, so groups are the
    same as when every pair is scored."""

    __slots__ = ("not_case", "closed", "in_court", "first_day", "last_day", "latest_first_year", "earliest_last_year",
                 "lone_genders", "places", "articles", "names", "terms", "youngest", "oldest")

    def __init__(self, doc: dict | None = None):
        if doc is None:
            return
        self.not_case = doc.get("is_case_report") is False
        self.closed = bool(doc.get("closed_before_trial"))
        self.in_court = doc.get("stage") in COURT_STAGES
        day = _date(doc.get("published"))
        self.first_day = self.last_day = day
        years = own_years(doc)
        self.latest_first_year, self.earliest_last_year = years if years else (None, None)
        genders = _genders(doc)
        self.lone_genders = frozenset(genders) if len(genders) == 1 and _lone(doc) else frozenset()
        # The facts every report naming one shares with all others (None: none names one).
        self.places = frozenset(doc["places"]) if doc.get("places") else None
        self.articles = frozenset(doc["articles"]) if doc.get("articles") else None
        self.names = frozenset(doc["names"]) if doc.get("names") else None
        # For each kind of term: the latest start and the earliest end among the terms of that
        # kind; all overlap while the start is not after the end.
        self.terms = {}
        for kind, lo, hi in _terms(doc):
            if lo is not None:
                start, end = self.terms.get(kind, (lo, hi or lo))
                self.terms[kind] = (max(start, lo), min(end, hi or lo))
        ages = _ages(doc)
        self.youngest, self.oldest = (min(ages), max(ages)) if ages else (None, None)

    def merged(self, other: GroupSummary) -> GroupSummary:
        out = GroupSummary()
        out.not_case = self.not_case or other.not_case
        out.closed = self.closed or other.closed
        out.in_court = self.in_court or other.in_court
        out.first_day = _least(self.first_day, other.first_day)
        out.last_day = _most(self.last_day, other.last_day)
        out.latest_first_year = _most(self.latest_first_year, other.latest_first_year)
        out.earliest_last_year = _least(self.earliest_last_year, other.earliest_last_year)
        out.lone_genders = self.lone_genders | other.lone_genders
        out.places = _common(self.places, other.places)
        out.articles = _common(self.articles, other.articles)
        out.names = _common(self.names, other.names)
        out.terms = dict(self.terms)
        for kind, (lo, hi) in other.terms.items():
            start, end = out.terms.get(kind, (lo, hi))
            out.terms[kind] = (max(start, lo), min(end, hi))
        out.youngest = _least(self.youngest, other.youngest)
        out.oldest = _most(self.oldest, other.oldest)
        return out

    def decide(self, other: GroupSummary, th: Thresholds) -> bool | None:
        """True: some pair across the two groups contradicts; False: none does; None: unknown."""
        if self.not_case or other.not_case:
            return True
        if (self.closed and other.in_court) or (other.closed and self.in_court):
            return True
        if self.first_day and other.first_day and (
                (other.last_day - self.first_day).days > th.max_days_apart
                or (self.last_day - other.first_day).days > th.max_days_apart):
            return True
        if self.latest_first_year is not None and other.latest_first_year is not None and (
                self.latest_first_year - other.earliest_last_year > th.max_years_apart
                or other.latest_first_year - self.earliest_last_year > th.max_years_apart):
            return True
        if self.lone_genders and other.lone_genders and len(self.lone_genders | other.lone_genders) > 1:
            return True
        both = self.merged(other)
        if (both.places == frozenset() or both.articles == frozenset() or both.names == frozenset()
                or any(lo > hi for lo, hi in both.terms.values())
                or (both.youngest is not None and both.oldest - both.youngest > th.age_tolerance)):
            return None
        return False


def _least(a, b):
    return b if a is None else a if b is None else min(a, b)


def _most(a, b):
    return b if a is None else a if b is None else max(a, b)


def _common(a: frozenset | None, b: frozenset | None) -> frozenset | None:
    return b if a is None else a if b is None else a & b


SCORING_CHUNK = 1 << 20  # candidate pairs turned into Python objects at a time


def group_with_scores(docs: list[dict], vectors: np.ndarray | None = None, th: Thresholds | None = None,
                      stats: dict | None = None) -> list[tuple[list[str], dict[str, float]]]:
    """Like `group`, with each member's best link score inside its group. `stats`, if given, is
    filled with the work done: candidate pairs, links, pairs scored by merge checks."""
    th = th or thresholds()
    parent = list(range(len(docs)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(docs))}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    n_docs = len(docs)
    first, second, sim = candidate_arrays(docs, vectors, th)
    # What each candidate's signature said is kept as arrays (pair key, contradicts?), not as
    # Python objects, which would not fit in memory at a million reports; merge checks read it.
    candidate_keys = first * max(n_docs, 1) + second  # sorted: candidate_arrays sorts by pair
    candidate_contradicts = np.zeros(len(first), dtype=bool)
    link_i, link_j, link_score_ = [], [], []
    for start in range(0, len(first), SCORING_CHUNK):
        end = start + SCORING_CHUNK
        sims = sim[start:end].tolist() if sim is not None else [None] * len(first[start:end])
        for x, (i, j, s) in enumerate(zip(first[start:end].tolist(), second[start:end].tolist(), sims), start):
            a, b = docs[i], docs[j]
            signature_score = pair_score(a, b, th)
            if signature_score is None:
                candidate_contradicts[x] = True
                continue
            score = link_score(a, b, s, th, signature=signature_score)
            if score is not None:
                link_i.append(i)
                link_j.append(j)
                link_score_.append(score)
    del first, second, sim
    scores = np.asarray(link_score_, dtype=np.float64)
    # Strongest link first; but links to a report of a case closed before trial come after all
    # others. Such a report cannot share a case with one that reached a court, and a detention
    # report it links with may be of that person's other case: the detention report joins the
    # case that went to court first, and the closed case keeps what is left.
    closed = np.fromiter((bool(d.get("closed_before_trial")) for d in docs), dtype=bool, count=n_docs)
    last = (closed[link_i] | closed[link_j]) if link_i else np.zeros(0, dtype=bool)
    order = np.lexsort((np.asarray(link_j), np.asarray(link_i), -scores, last)).tolist() if link_i else []

    contradicts: dict[int, bool] = {}  # pairs that were no candidates, scored by merge checks
    summaries: dict[int, GroupSummary] = {}  # by root; a lone report's is made when first needed
    counts = {"summary": 0, "pairwise": 0}

    def summary_of(member: int) -> GroupSummary:
        root = find(member)
        if root not in summaries:
            summaries[root] = GroupSummary(docs[root])
        return summaries[root]

    # A sentinel past every key, so that a search never falls off the end.
    candidate_keys = np.append(candidate_keys, np.iinfo(np.int64).max)
    candidate_contradicts = np.append(candidate_contradicts, False)

    def groups_contradict(left: list[int], right: list[int]) -> bool:
        """Does any pair across two groups contradict? Candidates' answers are looked up; the
        other pairs' known answers next; then the rest are scored (once) until one contradicts.
        (Few numpy calls per check: there is one check per link.)"""
        if len(left) == 1 and len(right) == 1:
            return False  # the pair is the link being merged on: it does not contradict
        decided = summary_of(left[0]).decide(summary_of(right[0]), th)
        if decided is not None:
            counts["summary"] += 1
            return decided
        counts["pairwise"] += 1
        keys = np.array([m * n_docs + q if m < q else q * n_docs + m for m in left for q in right], dtype=np.int64)
        at = candidate_keys.searchsorted(keys)
        is_candidate = candidate_keys[at] == keys
        if (candidate_contradicts[at] & is_candidate).any():
            return True
        rest = keys[~is_candidate].tolist()
        if any(contradicts.get(key) for key in rest):
            return True
        for key in rest:
            if key not in contradicts:
                m, q = divmod(key, n_docs)
                if contradicts.setdefault(key, pair_score(docs[m], docs[q], th) is None):
                    return True
        return False

    # Groups only grow, so (root, size) names a group's members: a merge refused once is not
    # checked again until one side has grown.
    refused: set[tuple[int, int, int, int]] = set()
    best: dict[int, float] = {}
    for x in order:
        i, j, score = link_i[x], link_j[x], link_score_[x]
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        state = (ri, len(members[ri]), rj, len(members[rj]))
        if state in refused:
            continue
        # No contradiction across the two groups: a report that mentions another case in
        # passing cannot chain two cases together.
        if groups_contradict(members[ri], members[rj]):
            refused.add(state)
            continue
        summaries[rj] = summary_of(ri).merged(summary_of(rj))
        summaries.pop(ri)
        parent[ri] = rj
        members[rj] += members.pop(ri)
        best[i] = max(best.get(i, 0.0), score)
        best[j] = max(best.get(j, 0.0), score)
    if stats is not None:
        stats.update(candidate_pairs=len(candidate_keys) - 1, links=len(link_i), merge_check_pairs=len(contradicts),
                     merges_decided_by_summary=counts["summary"], merges_checked_pairwise=counts["pairwise"])
    out = []
    for root, idx in members.items():
        ids = sorted(docs[i]["id"] for i in idx)
        out.append((ids, {docs[i]["id"]: best.get(i) for i in idx}))
    return sorted(out, key=lambda g: (-len(g[0]), g[0][0]))


# --- similar cases -----------------------------------------------------------------------------

SHARED_CRITERIA = ("region", "articles", "orgs", "platforms", "year", "penalty_kind")


def shared_criteria(a: dict, b: dict) -> list[str]:
    """Which study criteria two case rows share (list-valued criteria share any element)."""
    shared = []
    for key in SHARED_CRITERIA:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, str) and va.startswith("["):
            va, vb = set(json.loads(va)), set(json.loads(vb or "[]"))
            if va & vb:
                shared.append(f"{key}: {', '.join(sorted(va & vb))}")
        elif va is not None and va == vb:
            shared.append(f"{key}: {va}")
    return shared


def similar_cases(case_ids: list[str], centroids: np.ndarray, k: int) -> list[tuple[str, str, float]]:
    """(case, similar case, cosine) for each case's k nearest other cases."""
    if len(case_ids) < 2:
        return []
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    unit = centroids / np.where(norms == 0, 1, norms)
    out = []
    for i, near in enumerate(neighbours(unit.astype(np.float32), k)):
        for j, s in near[:k]:
            out.append((case_ids[i], case_ids[j], round(s, 4)))
    return out


def describe(c: Comparison) -> str:
    """One line: the contradiction, or the facts shared and the facts checked."""
    if c.contradiction:
        return f"contradiction: {c.contradiction[0]} {c.contradiction[1]}"
    shared = "; ".join(f"{fact} {value}" for fact, value in c.shared) or "nothing"
    return f"shares {shared}; checked {', '.join(c.checked) or 'nothing'}"


def explain_pair(a: dict, b: dict, similarity: float | None, *, same_group: bool = False,
                 th: Thresholds | None = None) -> str:
    """Why two reports are, or are not, in one group: the pair's own comparison and link."""
    th = th or thresholds()
    c = compare(a, b, th)
    link = link_score(a, b, similarity, th, signature=c.score)
    sim = "no similarity" if similarity is None else f"similarity {similarity:.3f}"
    if c.score is None:
        verdict = "not linked"
    elif link is None:
        verdict = f"not linked: signature {c.score:g} and {sim} fall short"
    else:
        verdict = f"linkable, score {link:.2f}"
    where = "same group" if same_group else "apart"
    return f"{where}; {verdict}; {describe(c)}; {sim}"


# --- why each report is in its case --------------------------------------------------------------

EXPLAIN_MAX_MEMBERS = 200  # a report is checked against at most this many others of its case

FACT_WORDS = {"place": "place", "region": "region", "article": "article", "term": "term", "age": "age",
              "convicted": "people convicted", "name": "name", "organisation": "organisation",
              "platform": "platform", "date": "date", "published": "publication date", "year": "year",
              "gender": "gender"}


def _readable(fact: str, value: str) -> str:
    if fact in ("place", "region"):
        names = [(get_place(v).name_en if get_place(v) else v) for v in value.split(", ")]
        return f"{FACT_WORDS[fact]} {', '.join(names)}"
    return f"{FACT_WORDS.get(fact, fact)} {value}"


def explanation_line(e: dict) -> str:
    """One plain-language line from an explanation (see `explain_case`)."""
    if e["linked_to"] is None:
        if e["others"] == 0:
            return "The only report of this case."
        return "No other report of this case links to it: it is here by a person's merge."
    shared = "; ".join(_readable(f, v) for f, v in e["shared"]) or "nothing"
    sim = "" if e["similarity"] is None else f", text similarity {e['similarity']:.2f}"
    line = f"Linked to {e['linked_to']} (score {e['score']:.1f}{sim}): both give {shared}."
    if e["contradictions"]:
        found = "; ".join(f"{other}: {fact} {detail}" for other, fact, detail in e["contradictions"])
        return line + f" Contradicts, kept by a person's merge: {found}."
    checked = ", ".join(FACT_WORDS.get(f, f) for f in e["checked"]) or "nothing to compare"
    n = e["others"]
    return line + f" Checked against {n} other report{'s' if n != 1 else ''} ({checked}): no contradiction."


def explain_case(docs: list[dict], vectors: np.ndarray | None = None,
                 th: Thresholds | None = None) -> list[dict]:
    """Why each report of one case is there: the report it links to most strongly, the facts they
    share, the facts compared with the case's other reports and any contradiction found (only a
    person's merge can keep one), the similarity and the score. One dict per report, in order,
    with its plain-language line under "reason"."""
    th = th or thresholds()
    out = []
    for i, doc in enumerate(docs):
        best = None
        checked: set[str] = set()
        contradictions = []
        others = [j for j in range(len(docs)) if j != i][:EXPLAIN_MAX_MEMBERS]
        for j in others:
            c = compare(doc, docs[j], th)
            checked.update(c.checked)
            if c.contradiction:
                contradictions.append((docs[j]["id"], *c.contradiction))
                continue
            sim = float(vectors[i] @ vectors[j]) if vectors is not None else None
            link = link_score(doc, docs[j], sim, th, signature=c.score)
            if link is not None and (best is None or link > best[0]):
                best = (link, j, c, sim)
        e = {"document_id": doc["id"], "linked_to": None, "score": None, "similarity": None, "shared": [],
             "checked": sorted(checked), "contradictions": contradictions, "others": len(others)}
        if best:
            link, j, c, sim = best
            e.update(linked_to=docs[j]["id"], score=round(link, 3), shared=[list(s) for s in c.shared],
                     similarity=None if sim is None else round(sim, 4))
        e["reason"] = explanation_line(e)
        out.append(e)
    return out
