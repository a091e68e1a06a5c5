"""The group stage: documents -> cases, with stable case ids and one row of criteria per case.

Each run embeds only documents that have no vector for the configured model yet (`--rebuild`
embeds everything again), regroups every case report with nlp.cases, and carries case ids
over from the previous run: a case keeps its id when reports join it; when cases merge, the
ids that disappear are recorded in `case_history` so a cited id stays resolvable.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sqlite_utils

from crawler import relevance
from nlp import cases as grouping
from nlp.facts import case_columns, stored_facts
from nlp.gazetteer import get as get_place
from nlp.vocabulary import EMBEDDING_DIM, STAGES, furthest_stage, highest_court

from corpus import curation, summaries
from corpus.database import now, to_json
from corpus.search import case_search_text
from corpus.transaction import transaction


@dataclass
class GroupResult:
    documents: int
    cases: int
    multi_document_cases: int
    cross_language_cases: int


def _loads(value: str | None, default):
    return json.loads(value) if value else default


def case_documents_input(db: sqlite_utils.Database, document_ids: list[str] | None = None) -> list[dict]:
    """The processed case reports (or those of `document_ids`), as the signatures nlp.cases groups."""
    columns = [f.column for f in stored_facts() if f.name != "is_case_report"]
    only = "AND id IN (SELECT value FROM json_each(?))" if document_ids is not None else ""
    rows = db.query(
        f"SELECT id, lang, source, title, text, published, {', '.join(columns)} FROM documents "
        f"WHERE is_case_report = 1 AND processed_hash IS NOT NULL {only} ORDER BY id",
        [json.dumps(document_ids)] if document_ids is not None else [])
    docs = []
    for r in rows:
        doc = dict(r)
        for fact in stored_facts():
            if fact.column in doc and (fact.many or fact.item == "json"):
                doc[fact.name] = _loads(doc.pop(fact.column), fact.empty)
        doc["regions"] = grouping.regions_of(doc["places"])
        docs.append(doc)
    return docs


def _new_id(founder: str, taken: set[str]) -> str:
    base = "case-" + hashlib.sha1(founder.encode()).hexdigest()[:10]
    cid, n = base, 1
    while cid in taken:
        n += 1
        cid = f"{base}-{n}"
    return cid


def assign_ids(groups: list[list[str]], previous: dict[str, str]) -> tuple[dict[str, list[str]], list[dict]]:
    """Give each group a case id, reusing the id most of its documents had before.

    Returns ({case_id: doc ids}, history events). Larger groups choose first, so after a split
    the larger part keeps the id; an id whose documents all moved elsewhere is recorded as merged.
    """
    assigned: dict[str, list[str]] = {}
    taken = set(previous.values())
    events = []
    for docs in sorted(groups, key=lambda g: (-len(g), g[0])):
        old = Counter(previous[d] for d in docs if d in previous)
        cid = next((c for c, _ in sorted(old.items(), key=lambda x: (-x[1], x[0])) if c not in assigned), None)
        if cid is None:
            cid = _new_id(docs[0], taken | set(assigned))
            if old:
                events.append({"case_id": cid, "event": "split", "other_case_id": old.most_common(1)[0][0]})
        for other in old:
            if other != cid:
                events.append({"case_id": other, "event": "merged_into", "other_case_id": cid})
        assigned[cid] = docs
    still = set(assigned)
    events = [e for e in events if not (e["event"] == "merged_into" and e["case_id"] in still)]
    return assigned, events


def _aggregate(rule: str, values: list, part: str | None):
    """A case column from its reports' values of one fact (the rules named in nlp.facts.CaseColumn)."""
    if part:
        items = [v for value in values for v in (value if isinstance(value, list) else [value]) if v]
        values = [item.get(part) for item in items if isinstance(item, dict)]
    stated = [v for v in values if v not in (None, [], "")]
    if rule == "union":
        flat = {x for v in stated for x in (v if isinstance(v, list) else [v]) if x is not None}
        return to_json(sorted(flat))
    if rule == "max":
        return max(stated) if stated else None
    if rule == "furthest_stage":
        return furthest_stage(stated)
    if rule == "highest":
        return highest_court(stated)
    if rule == "most_common":
        return Counter(stated).most_common(1)[0][0] if stated else None
    raise ValueError(f"unknown aggregation rule {rule!r}")


def registered_case_columns(members: list[dict]) -> dict:
    """The case columns that a plain rule makes from one fact (nlp.facts); the custom ones are
    written out in case_row."""
    return {col.name: _aggregate(col.aggregate, [d.get(fact.name) for d in members], col.part)
            for fact, col in case_columns() if col.aggregate != "custom"}


def case_row(cid: str, members: list[dict]) -> dict:
    places = Counter(p for d in members for p in d["places"])
    primary = None
    for pid, _ in places.most_common():
        place = get_place(pid)
        if place and (primary is None or (primary.kind in ("country", "region") and place.kind not in ("country", "region"))):
            primary = place
    region = get_place(primary.admin1_id) if primary and primary.admin1_id else None
    # A report's own term comes first; later terms may belong to a case it mentions in passing.
    # Count each report's first term, and any term that two reports state.
    term_votes = Counter((p["kind"], p.get("min_years"), p.get("max_years"))
                         for d in members for p in {(q["kind"], q.get("min_years"), q.get("max_years")): q
                                                    for q in d["penalties"]}.values())
    own = [(d["penalties"][0]["kind"], d["penalties"][0].get("min_years"), d["penalties"][0].get("max_years"))
           for d in members if d["penalties"]]
    confirmed = set(own) | {t for t, n in term_votes.items() if n >= 2}
    kinds = Counter(t[0] for t in confirmed)
    main_kind = "prison" if "prison" in kinds else (kinds.most_common(1)[0][0] if kinds else None)
    # Lengths of the main kind only: a 3-year restricted-freedom term is no prison minimum.
    terms = [{"min_years": t[1], "max_years": t[2]} for t in confirmed if t[0] == main_kind and t[1] is not None]
    # A date without a year ("--03-14", no publication date to resolve it) cannot order a case in time.
    events = sorted(e for d in members for e in d["event_dates"] if not e.startswith("--"))
    published = sorted(d["published"][:10] for d in members if d.get("published"))
    # The title of the most advanced report (a verdict over a detention) names the case best.
    lead = max(members, key=lambda d: (STAGES.index(d["stage"]) if d.get("stage") in STAGES else -1,
                                       d.get("published") or ""))
    # The year a case surfaced: the year of its first report's publication date, and nothing else
    # (event dates can reach back years, e.g. a moratorium "since 2003" named in a 2016 verdict);
    # with no publication date the year is not stated.
    year = int(published[0][:4]) if published else None
    return {
        "id": cid, "title": lead["title"],
        "signature": to_json({"places": sorted(places), "articles": sorted({a for d in members for a in d["articles"]})}),
        "n_documents": len(members),
        "languages": to_json(sorted({d["lang"] for d in members})),
        "outlets": to_json(sorted({d["source"] for d in members})),
        "places": to_json(sorted(places)),
        "place_id": primary.id if primary else None,
        "place": primary.name_en if primary else None,
        "region": (region.name_en if region else (primary.name_en if primary and primary.kind == "region" else None)),
        "country": primary.country if primary else None,
        "latitude": primary.lat if primary else None,
        "longitude": primary.lon if primary else None,
        "penalty_kind": main_kind,
        "penalty_min_years": min((p["min_years"] for p in terms), default=None),
        "penalty_max_years": max((p["max_years"] for p in terms), default=None),
        "first_event": events[0] if events else None,
        "last_event": events[-1] if events else None,
        "first_published": published[0] if published else None,
        "last_published": published[-1] if published else None,
        "year": year,
        **registered_case_columns(members),
        "updated_at": now(),
    }


def ensure_embeddings(db: sqlite_utils.Database, docs: list[dict], *, rebuild: bool = False,
                      batch_size: int = 64) -> np.ndarray:
    """Vectors for `docs` in order: stored ones are reused, missing ones computed and stored.
    Stored vectors go straight into one matrix, one row per document (no second copy)."""
    from nlp.embeddings import case_text, embed, model_id

    model = model_id()
    row_of = {d["id"]: i for i, d in enumerate(docs)}
    matrix: np.ndarray | None = None
    have = np.zeros(len(docs), dtype=bool)

    def put(i: int, vector: np.ndarray) -> None:
        nonlocal matrix
        if matrix is None:  # the model's dimension, from its first vector
            matrix = np.zeros((len(docs), vector.shape[0]), dtype=np.float32)
        matrix[i] = vector
        have[i] = True

    if not rebuild:
        for document_id, vector in db.execute("SELECT document_id, vector FROM embeddings WHERE model = ?", [model]):
            if document_id in row_of:
                put(row_of[document_id], np.frombuffer(vector, dtype=np.float32))
    missing = [d for d, found in zip(docs, have.tolist()) if not found]
    for i in range(0, len(missing), batch_size):
        batch = missing[i:i + batch_size]
        texts = [case_text(d["title"], d["text"], d["places"], d["articles"]) for d in batch]
        vectors = np.asarray(embed(texts), dtype=np.float32)
        with transaction(db):
            db["embeddings"].upsert_all(
                ({"document_id": d["id"], "model": model, "dim": int(v.shape[0]),
                  "vector": v.tobytes(), "created_at": now()} for d, v in zip(batch, vectors)),
                pk="document_id")
        for d, v in zip(batch, vectors):
            put(row_of[d["id"]], v)
    return matrix if matrix is not None else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


def similar_case_rows(rows: list[dict], members: dict[str, list[int]], vectors: np.ndarray, k: int) -> list[dict]:
    """Top-k similar cases of each case (cosine of case centroids) with the criteria they share."""
    ids = [r["id"] for r in rows]
    by_id = {r["id"]: r for r in rows}
    centroids = np.vstack([vectors[members[cid]].mean(axis=0) for cid in ids]) if ids else np.zeros((0, EMBEDDING_DIM))
    out, rank = [], Counter()
    for case_id, other, score in grouping.similar_cases(ids, centroids, k):
        rank[case_id] += 1
        out.append({"case_id": case_id, "similar_case_id": other, "rank": rank[case_id], "score": score,
                    "shared": to_json(grouping.shared_criteria(by_id[case_id], by_id[other]))})
    return out


def run_group(db: sqlite_utils.Database, *, rebuild: bool = False, use_embeddings: bool = True,
              on_step: Callable[[str], None] | None = None) -> GroupResult:
    """Regroup every processed case report; ids carry over from the previous run. `on_step` is
    told of each step ("embedding", "grouping 1,234 case reports")."""
    on_step = on_step or (lambda step: None)
    on_step("reading case reports")
    with db.conn:  # in case a `corpus process` stopped before it put people's corrections back
        curation.apply_to_documents(db)
    docs = case_documents_input(db)
    by_id = {d["id"]: d for d in docs}
    index = {d["id"]: i for i, d in enumerate(docs)}
    if use_embeddings:
        on_step("embedding new reports")
    vectors = ensure_embeddings(db, docs, rebuild=rebuild) if use_embeddings else None
    on_step(f"grouping {len(docs):,} case reports")
    scored = grouping.group_with_scores(docs, vectors)
    # People's merges and splits (corpus/curation.py) hold over whatever the machine decides.
    groups = curation.constrain_groups(db, [g for g, _ in scored])
    best = {doc: score for _, scores in scored for doc, score in scores.items()}
    def explain(doc_ids: list[str]) -> dict[str, dict]:
        members = [by_id[d] for d in doc_ids]
        member_vectors = vectors[[index[d] for d in doc_ids]] if vectors is not None else None
        return {e["document_id"]: e for e in grouping.explain_case(members, member_vectors)}

    # One transaction from reading the previous ids to the new case tables: readers (`serve
    # --live`) see the old cases until the commit, and a run that had to wait for another
    # carries that run's ids over, so it records no merge twice.
    on_step("writing cases")
    with transaction(db):
        previous = {r["document_id"]: r["case_id"] for r in db.query("SELECT case_id, document_id FROM case_documents")}
        assigned, events = assign_ids(groups, previous)
        rows = [case_row(cid, [by_id[i] for i in doc_ids]) for cid, doc_ids in assigned.items()]
        rows = curation.apply_to_cases(db, rows, assigned, events)
        for row in rows:
            row["search_text"] = case_search_text(row, [by_id[i] for i in assigned[row["id"]]])
        similar = []
        if vectors is not None and len(rows) > 1:
            members = {cid: [index[i] for i in doc_ids] for cid, doc_ids in assigned.items()}
            similar = similar_case_rows(rows, members, vectors, grouping.thresholds().similar_cases)
        db.execute("DELETE FROM similar_cases")
        db.execute("DELETE FROM case_documents")
        db.execute("DELETE FROM cases")
        # One statement per table (not one per case or event): at a million reports the
        # per-call overhead would dominate the write.
        if rows:
            db["cases"].insert_all(rows)
        db["case_documents"].insert_all(
            {"case_id": cid, "document_id": d, "similarity": best.get(d), "linked_to": why[d]["linked_to"],
             "explanation": why[d]["reason"],
             "evidence": to_json({k: v for k, v in why[d].items() if k not in ("document_id", "reason")})}
            for cid, doc_ids in assigned.items() for why in (explain(doc_ids),) for d in doc_ids)
        if similar:
            db["similar_cases"].insert_all(similar)
        at = now()
        db["case_history"].insert_all({**event, "at": at, "detail": None} for event in events)
        summaries.refresh(db)
    return GroupResult(
        documents=len(docs), cases=len(assigned),
        multi_document_cases=sum(1 for g in assigned.values() if len(g) > 1),
        cross_language_cases=sum(1 for g in assigned.values() if len({by_id[i]["lang"] for i in g}) > 1),
    )


def case_explanation(db: sqlite_utils.Database, case_id: str) -> list[dict] | None:
    """Why each report is in case `case_id`, as the last grouping recorded it (None: no such case)."""
    if not db["cases"].exists() or not db.execute("SELECT 1 FROM cases WHERE id = ?", [case_id]).fetchone():
        return None
    return list(db.query(
        "SELECT cd.document_id, d.lang, substr(d.published, 1, 10) AS published, d.title, cd.linked_to, "
        "cd.explanation, cd.evidence FROM case_documents cd JOIN documents d ON d.id = cd.document_id "
        "WHERE cd.case_id = ? ORDER BY d.published, cd.document_id", [case_id]))


@dataclass
class TextGrouping:
    """What `corpus group-texts` computes: every row's signature and vector (row order), and the
    groups of the case reports among them."""

    docs: list[dict]
    vectors: np.ndarray
    groups: list[list[str]]


def group_text_rows(rows: list[dict]) -> TextGrouping:
    """Extract and group texts with no database, as the corpus would: only case reports that the
    crawl's relevance gate lets in form groups (a page it turns away is never a document)."""
    prepared = [{"id": str(r["id"]), "text": r["text"], "lang": r.get("lang"),
                 "published": r.get("published"), "title": r.get("title")} for r in rows]
    docs, vectors = grouping.prepare(prepared)
    keep = [i for i, d in enumerate(docs)
            if d["is_case_report"] and relevance.score(prepared[i]["title"], prepared[i]["text"]).relevant]
    groups = grouping.group([docs[i] for i in keep], vectors[keep] if len(keep) else None)
    return TextGrouping(docs, vectors, groups)


def group_texts(rows: list[dict]) -> list[dict]:
    """`corpus group-texts`: extract and group texts with no database; ids from the founders."""
    case_of: dict[str, str] = {}
    for members in group_text_rows(rows).groups:
        cid = _new_id(members[0], set(case_of.values()))
        for m in members:
            case_of[m] = cid
    return [{"id": row["id"], "case_id": case_of.get(str(row["id"]))} for row in rows]
