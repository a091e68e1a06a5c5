"""Case grouping at scale: the candidate paths for large corpora give the groups the exact path
gives, and a region larger than the search cap is still grouped whole."""

from __future__ import annotations

import datetime as dt

import numpy as np
from benchmarks.cases import synthetic
from nlp import cases
from nlp.cases import blocked_nearest, group, regions_of, search_windows, thresholds


def spread_cases(n_cases: int, town: str = "kz-semey", dim: int = 32, seed: int = 3):
    """Thin reports (a town and nothing else) of cases three reports each, published three days
    apart and interleaved with other cases: report mates are 15-20 places apart in date order,
    beyond the date window of the blocking keys, so only their vectors bring them together."""
    rng = np.random.default_rng(seed)
    docs, vectors = [], []
    for c in range(n_cases):
        direction = rng.normal(size=dim)
        for k in range(3):
            day = dt.date(2021, 1, 1) + dt.timedelta(days=2 * c + 3 * k)
            docs.append({"id": f"r{c:03d}-{k}", "case": c, "places": [town], "regions": regions_of([town]),
                         "published": day.isoformat()})
            v = direction + 0.2 * rng.normal(size=dim)
            vectors.append(v / np.linalg.norm(v))
    return docs, np.asarray(vectors, dtype=np.float32)


def truth(docs):
    by_case: dict[int, list[str]] = {}
    for d in docs:
        by_case.setdefault(d["case"], []).append(d["id"])
    return sorted((sorted(g) for g in by_case.values()), key=lambda g: (-len(g), g[0]))


def test_a_region_larger_than_the_search_cap_is_still_grouped_whole(monkeypatch):
    docs, vectors = spread_cases(100)  # one region block of 300 reports
    assert group(docs, None) != truth(docs)  # the blocking keys alone miss the mates
    assert group(docs, vectors) == truth(docs)  # exact search over all 300
    monkeypatch.setattr(cases, "EXACT_SEARCH_LIMIT", 0)
    monkeypatch.setattr(cases, "VECTOR_BLOCK_CAP", 64)  # windows of 64 reports, 32 apart
    assert group(docs, vectors) == truth(docs)


def test_blocked_search_is_exact_inside_a_block():
    docs, vectors = spread_cases(40)
    rows, cols, sims = blocked_nearest(docs, vectors, 5)
    full = vectors @ vectors.T
    np.fill_diagonal(full, -np.inf)
    for i in range(len(docs)):
        expected = set(np.argsort(-full[i])[:5].tolist())
        assert set(cols[rows == i].tolist()) == expected
    assert np.allclose(sims, full[rows, cols], atol=1e-5)


def test_reports_in_other_regions_are_not_searched_but_reports_without_a_place_are():
    docs, vectors = spread_cases(10, town="kz-semey")
    other, other_vectors = spread_cases(10, town="kz-aktau", seed=4)
    other = [{**d, "id": "x" + d["id"]} for d in other]
    unplaced = {"id": "u", "places": [], "regions": [], "published": "2021-01-02"}
    all_docs = docs + other + [unplaced]
    all_vectors = np.vstack([vectors, other_vectors, vectors[:1]])
    rows, cols, _ = blocked_nearest(all_docs, all_vectors, 10)
    region = {i: set(all_docs[i]["regions"]) for i in range(len(all_docs))}
    for i, j in zip(rows.tolist(), cols.tolist()):
        assert not region[i] or not region[j] or region[i] & region[j]
    u = len(all_docs) - 1
    assert 0 in cols[rows == u]  # the unplaced report's twin in another block is found
    assert u in cols[rows == 0]


def test_a_report_without_a_place_is_searched_once_not_once_per_region(monkeypatch):
    import faiss

    towns = ["kz-semey", "kz-aktau", "kz-taraz", "kz-oral"]
    docs, vectors = [], []
    for t, town in enumerate(towns):
        part, part_vectors = spread_cases(5, town=town, seed=t)
        docs += [{**d, "id": f"{t}-{d['id']}"} for d in part]
        vectors.append(part_vectors)
    docs.append({"id": "u", "places": [], "regions": [], "published": "2021-01-02"})
    own = np.random.default_rng(9).normal(size=(1, vectors[0].shape[1]))
    vectors = np.vstack([*vectors, own / np.linalg.norm(own)]).astype(np.float32)
    u = len(docs) - 1
    searched = []  # how often the unplaced report's vector is a query
    real_knn = faiss.knn

    def counting_knn(queries, pool, k, **kw):
        searched.append(int((queries == vectors[u]).all(axis=1).sum()))
        return real_knn(queries, pool, k, **kw)

    monkeypatch.setattr(faiss, "knn", counting_knn)
    blocked_nearest(docs, vectors, 5)
    assert sum(searched) == 1
    windows = list(search_windows(docs))
    assert sum(int(u in queries) for queries, _ in windows) == 1
    for i in range(u):  # every report looks among the reports without a place
        assert any(i in queries and u in pool for queries, pool in windows)


def test_a_cap_far_below_the_region_sizes_changes_few_groups(monkeypatch):
    docs, vectors = synthetic(1500, seed=5)  # regions of 100-300 reports
    monkeypatch.setattr(cases, "EXACT_SEARCH_LIMIT", 0)
    whole = group(docs, vectors)
    monkeypatch.setattr(cases, "VECTOR_BLOCK_CAP", 64)
    capped = group(docs, vectors)
    same = {tuple(g) for g in capped} & {tuple(g) for g in whole}
    assert len(same) >= 0.95 * len(whole)


def test_pairs_examined_grow_with_the_corpus_not_its_square():
    small, large = synthetic(2000, seed=9), synthetic(8000, seed=9)
    per_doc = []
    for docs, vectors in (small, large):
        stats: dict = {}
        cases.group_with_scores(docs, vectors, thresholds(), stats=stats)
        per_doc.append(stats["candidate_pairs"] / len(docs))
    assert per_doc[1] <= 2 * cases.WINDOW + thresholds().neighbours
    assert per_doc[1] < 1.5 * per_doc[0]


def test_group_reads_stored_vectors_in_order_and_writes_each_table_in_few_statements(tmp_path):
    import json

    from corpus.cases import ensure_embeddings, run_group
    from corpus.database import open_db
    from nlp.embeddings import model_id

    docs, vectors = spread_cases(60)
    db = open_db(tmp_path / "c.db")
    db["documents"].insert_all(
        {"id": d["id"], "url": f"http://x/{d['id']}", "canonical_url": f"http://x/{d['id']}", "lang": "ru",
         "title": d["id"], "text": d["id"], "published": d["published"], "content_hash": d["id"],
         "processed_hash": d["id"], "is_case_report": 1, "places": json.dumps(d["places"]), "articles": "[]",
         "penalties": "[]", "event_dates": "[]", "orgs": "[]", "platforms": "[]", "persons": "[]", "names": "[]"}
        for d in docs)
    db["embeddings"].insert_all({"document_id": d["id"], "model": model_id(), "dim": vectors.shape[1],
                                 "vector": v.tobytes(), "created_at": "2026-01-01"}
                                for d, v in reversed(list(zip(docs, vectors))))
    read = ensure_embeddings(db, [{"id": d["id"]} for d in docs])
    assert np.array_equal(read, vectors)

    statements = []
    db.conn.set_trace_callback(statements.append)
    result = run_group(db)
    db.conn.set_trace_callback(None)
    assert result.cases == 60 and result.multi_document_cases == 60
    assert db["case_documents"].count == len(docs)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO [CASE_DOCUMENTS]")
               or s.lstrip().upper().startswith('INSERT INTO "CASE_DOCUMENTS"')]
    assert 0 < len(inserts) <= 5  # batches, not one statement per case


def _summary(docs):
    out = cases.GroupSummary(docs[0])
    for d in docs[1:]:
        out = out.merged(cases.GroupSummary(d))
    return out


def test_a_group_summary_answers_as_scoring_every_pair_would():
    """Where a group summary decides a merge, its answer is the one pair_score gives over every
    pair across the two groups; it leaves undecided what it cannot tell."""
    import random

    th = thresholds()
    docs, _ = synthetic(1500)
    odd = [  # several terms and ages in one report, a lone woman, a page that is no case report, a closed case
        {"id": "x1", "places": ["kz-semey"], "persons": [{"age": 30}, {"age": 41}],
         "penalties": [{"kind": "prison", "min_years": 7, "max_years": 7},
                       {"kind": "prison", "min_years": 10, "max_years": 10}], "published": "2020-05-01"},
        {"id": "x2", "persons": [{"gender": "female"}], "convicted_count": 1, "published": "2020-06-01"},
        {"id": "x3", "is_case_report": False, "published": "2020-06-01"},
        {"id": "x4", "names": ["qqqqqqq"], "event_dates": ["2019", "--03-02"]},
        {"id": "x5", "places": ["kz-semey"], "stage": "detention", "closed_before_trial": 1},  # closed before trial
        {"id": "x6", "places": ["kz-semey"], "stage": "verdict"},
    ]
    by_case: dict[int, list[dict]] = {}
    for d in docs:
        by_case.setdefault(d["case"], []).append(d)
    rng = random.Random(5)
    answers = {True: 0, False: 0, None: 0}
    for _ in range(3000):
        if rng.random() < 0.5:  # two halves of one case: mostly decided "no contradiction"
            same = by_case[rng.choice(docs)["case"]]
            cut = max(1, len(same) // 2)
            left, right = same[:cut], same[cut:] or same[:1]
        else:
            pool = docs[:300] + odd
            left, right = rng.sample(pool, rng.randint(1, 4)), rng.sample(pool, rng.randint(1, 4))
        answer = _summary(left).decide(_summary(right), th)
        answers[answer] += 1
        if answer is not None:
            assert answer == any(cases.pair_score(a, b, th) is None for a in left for b in right if a is not b)
    assert min(answers.values()) > 20, answers


def test_group_summaries_change_no_group_and_spare_pair_scoring(monkeypatch):
    docs, vectors = synthetic(2500)
    with_summaries: dict = {}
    groups = cases.group_with_scores(docs, vectors, stats=with_summaries)
    monkeypatch.setattr(cases.GroupSummary, "decide", lambda self, other, th: None)
    pairwise: dict = {}
    assert cases.group_with_scores(docs, vectors, stats=pairwise) == groups
    assert with_summaries["merges_decided_by_summary"] > 2 * with_summaries["merges_checked_pairwise"]
    assert with_summaries["merge_check_pairs"] < pairwise["merge_check_pairs"]
