"""Grouping reports into cases: a language-independent signature decides, similarity ranks.

A signature is what identifies a court case whatever the language of the report: where it
happened (place ids and their regions), which articles, which penalties, how many people,
when, who (person names transliterated to one Latin skeleton). Two reports are linked when
their signatures agree and, where the signature is thin, their embeddings are close; a
contradiction (different cities, terms, ages or defendants) vetoes a link, so
two cases under the same article in the same city stay apart when their facts differ.

Candidate pairs come from blocking (shared place or region) and from an approximate
nearest-neighbour index (faiss HNSW) over the embeddings, never from all pairs. Groups are
built strongest link first, and two groups merge only if no pair across them contradicts.

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
from itertools import combinations

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
    """Is the place, or the region it lies in, among `others`?"""
    return place_id in others or bool(set(regions_of([place_id])) & others)


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
    if pa & pb:
        out.add(2.0, "place", ", ".join(sorted(pa & pb)))
    elif ra & rb:
        out.add(1.0, "region", ", ".join(sorted(ra & rb)))
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
    facts = {fact for fact, value in out.shared if fact != "convicted" or value != "1"}
    if not facts & IDENTIFYING and len(facts) < 2:
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

def neighbours(vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """For each row, its k nearest rows by cosine (vectors are unit length): faiss HNSW."""
    n = len(vectors)
    if n == 0:
        return []
    k = min(k + 1, n)
    import faiss

    if n <= 2000:
        index = faiss.IndexFlatIP(vectors.shape[1])  # exact is cheaper than building a graph here
    else:
        # Candidates only need the close neighbours: a light graph builds fast on 2 cores.
        index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = 32
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    scores, ids = index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    return [[(int(j), float(s)) for j, s in zip(ids[i], scores[i]) if j != i and j >= 0] for i in range(n)]


WINDOW = 12


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


def candidate_pairs(docs: list[dict], vectors: np.ndarray | None, th: Thresholds) -> dict[tuple[int, int], float | None]:
    """Pairs worth scoring (i < j) with their cosine similarity (None without vectors)."""
    pairs: dict[tuple[int, int], float | None] = {}

    def sim(i: int, j: int) -> float | None:
        return float(vectors[i] @ vectors[j]) if vectors is not None else None

    if vectors is not None and len(docs) > 1:
        for i, near in enumerate(neighbours(vectors, th.neighbours)):
            for j, s in near:
                pairs[(min(i, j), max(i, j))] = s
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for key in blocking_keys(d):
            blocks[key].append(i)
    for members in blocks.values():
        if len(members) <= WINDOW + 1:
            candidates = combinations(members, 2)
        else:
            # A big block (a busy town's Article 256 cases): sorted neighbourhood — each report
            # meets the WINDOW reports nearest to it in publication date, not the whole block.
            ordered = sorted(members, key=lambda i: docs[i].get("published") or "")
            candidates = ((ordered[x], ordered[y]) for x in range(len(ordered))
                          for y in range(x + 1, min(x + 1 + WINDOW, len(ordered))))
        for i, j in candidates:
            key = (min(i, j), max(i, j))
            if key not in pairs:
                pairs[key] = sim(i, j)
    return pairs


def group(docs: list[dict], vectors: np.ndarray | None = None, th: Thresholds | None = None) -> list[list[str]]:
    """Connected groups of linked reports (each a sorted list of ids), largest first."""
    return [g for g, _ in group_with_scores(docs, vectors, th)]


def group_with_scores(docs: list[dict], vectors: np.ndarray | None = None,
                      th: Thresholds | None = None) -> list[tuple[list[str], dict[str, float]]]:
    """Like `group`, with each member's best link score inside its group."""
    th = th or thresholds()
    parent = list(range(len(docs)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(docs))}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    signature_scores: dict[tuple[int, int], float | None] = {}

    def sig(i: int, j: int) -> float | None:
        key = (i, j) if i < j else (j, i)
        if key not in signature_scores:
            signature_scores[key] = pair_score(docs[key[0]], docs[key[1]], th)
        return signature_scores[key]

    links = []
    for (i, j), s in candidate_pairs(docs, vectors, th).items():
        score = link_score(docs[i], docs[j], s, th, signature=sig(i, j))
        if score is not None:
            links.append((score, i, j))
    best: dict[int, float] = {}
    for score, i, j in sorted(links, key=lambda x: (-x[0], x[1], x[2])):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        # No contradiction across the two groups: a report that mentions another case in
        # passing cannot chain two cases together.
        if any(sig(m, n) is None for m in members[ri] for n in members[rj]):
            continue
        parent[ri] = rj
        members[rj] += members.pop(ri)
        best[i] = max(best.get(i, 0.0), score)
        best[j] = max(best.get(j, 0.0), score)
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
