"""Search queries of several words: every word must match (as typed, as a lemma or as a place)."""

from corpus.search import fts_query, search_text
from corpus.database import open_db


def test_multi_word_queries_are_valid_fts5_and_match_inflected_forms(tmp_path):
    db = open_db(tmp_path / "c.db")
    rows = [
        ("a", "ru", "Жителя Семея осудили на 7 лет", "Суд осудил жителя Семея за пропаганду терроризма."),
        ("b", "ru", "В Таразе осуждены члены «Хизб ут-Тахрир»", "Суд приговорил троих членов «Хизб ут-Тахрир»."),
        ("c", "en", "Semey man jailed", "A court in Semey sentenced a man for terrorist propaganda."),
    ]
    with db.conn:
        for doc_id, lang, title, text in rows:
            db["documents"].insert({"id": doc_id, "url": f"http://x/{doc_id}", "lang": lang, "title": title,
                                    "text": text, "search_text": search_text(title, text, lang)})

    def found(query: str) -> set[str]:
        sql = "SELECT d.id FROM documents d JOIN documents_fts f ON f.rowid = d.rowid WHERE documents_fts MATCH ?"
        return {r[0] for r in db.execute(sql, [fts_query(query)])}

    assert found("осуждён Семея") == {"a"}         # a lemma and an inflected place
    assert found("Семей") == {"a", "c"}             # a place, in both languages
    assert found("Хизб ут-Тахрир") == {"b"}
    assert found("Semey propaganda") == {"c"}       # "Семея" is Semey's place token, but "propaganda" is English
    assert found("Semey пропаганда") == {"a"}
    assert found('"unbalanced') == set()
