"""Grouping reports into cases: a language-independent signature decides, similarity ranks.

A signature is what identifies a court case whatever the language of the report: where it
happened (place ids and their regions), which articles, which penalties, how many people,
when, who (person names transliterated to one Latin skeleton). Two reports are linked when
their signatures agree and, where the signature is thin, their embeddings are close; a
contradiction (different cities, different terms, different head counts) vetoes a link, so
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
from dataclasses import dataclass, fields
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
    min_score: float = 3.0
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


def pair_score(a: dict, b: dict, th: Thresholds | None = None) -> float | None:
    """How strongly two reports' signatures say "same case"; None when they contradict."""
    th = th or thresholds()
    da, db = _date(a.get("published")), _date(b.get("published"))
    if da and db and abs((da - db).days) > th.max_days_apart:
        return None
    score = 0.0
    pa, pb = set(a.get("places") or []), set(b.get("places") or [])
    ra, rb = set(a.get("regions") or []), set(b.get("regions") or [])
    # The first case place (title or lead) is where the case is; a place named later may be
    # another case in passing. Each main place must be among the other's places or regions.
    ma, mb = (a.get("places") or [None])[0], (b.get("places") or [None])[0]
    if ma and mb and not (_within(ma, pb | rb) and _within(mb, pa | ra)):
        return None
    if pa & pb:
        score += 2.0
    elif ra & rb:
        score += 1.0
    elif pa and pb:
        return None
    arts_a, arts_b = set(a.get("articles") or []), set(b.get("articles") or [])
    if arts_a and arts_b:
        if not arts_a & arts_b:
            return None
        score += 1.0 + 0.5 * len(arts_a & arts_b)
    # The first term and the first age stated belong to the report's own case; later ones may
    # be another case mentioned in passing. Each must appear in the other report.
    ta, tb = _terms(a), _terms(b)
    if ta and tb:
        if not _overlaps(_first_term(a), tb) or not _overlaps(_first_term(b), ta):
            return None
        score += 2.0
    ages_a, ages_b = _ages(a), _ages(b)
    if ages_a and ages_b:
        if _first_age(a) not in ages_b or _first_age(b) not in ages_a:
            return None
        score += 1.5
    # Head counts drift between stages (one detained, three sentenced): evidence, not a veto.
    ca, cb = a.get("convicted_count"), b.get("convicted_count")
    if ca and cb:
        score += (0.5 if ca == 1 else 1.5) if ca == cb else -1.5
    ga, gb = _genders(a), _genders(b)
    if len(ga) == 1 and len(gb) == 1 and ga != gb:
        return None
    na, nb = set(a.get("names") or []), set(b.get("names") or [])
    if na & nb:
        score += 2.0
    if set(a.get("orgs") or []) & set(b.get("orgs") or []):
        score += 1.0
    if set(a.get("platforms") or []) & set(b.get("platforms") or []):
        score += 0.5
    ea = {d for d in a.get("event_dates") or [] if len(d) == 10}
    eb = {d for d in b.get("event_dates") or [] if len(d) == 10}
    if ea & eb:
        score += 1.5
    return score


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
    if main:
        keys.update(f"{main}|{art}" for art in doc.get("articles") or [])
        term, age = _first_term(doc), _first_age(doc)
        if term:
            keys.add(f"{main}|term|{term}")
        if age:
            keys.add(f"{main}|age|{age}")
        if not doc.get("articles") and not term and not age:
            keys.add(f"{main}|bare")
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


def explain_pair(a: dict, b: dict, similarity: float | None, *, same_group: bool = False,
                 th: Thresholds | None = None) -> str:
    sig = pair_score(a, b, th)
    return f"signature {sig} similarity {similarity:.3f} link {link_score(a, b, similarity, th)} same_group {same_group}"
