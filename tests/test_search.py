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


# --- people, organisations and places: one query logic ------------------------------------------

from corpus.highlight import mark, snippet  # noqa: E402
from corpus.search import case_search_text, place_ids  # noqa: E402
from corpus.plugins.corpus_search import highlighted  # noqa: E402
from nlp.names import name_key  # noqa: E402


def _index(tmp_path, rows):
    """documents rows (id, lang, title, text, names as written) with their search_text, as `corpus process` stores it."""
    db = open_db(tmp_path / "c.db")
    with db.conn:
        for doc_id, lang, title, text, names in rows:
            keys = sorted({k for k in (name_key(n) for n in names) if k})
            db["documents"].insert({"id": doc_id, "url": f"http://x/{doc_id}", "lang": lang, "title": title,
                                    "text": text, "search_text": search_text(title, text, lang, keys)})

    def found(query: str) -> set[str]:
        sql = "SELECT d.id FROM documents d JOIN documents_fts f ON f.rowid = d.rowid WHERE documents_fts MATCH ?"
        return {r[0] for r in db.execute(sql, [fts_query(query)])}

    return found


def test_a_name_is_found_in_either_script_and_spelling(tmp_path):
    found = _index(tmp_path, [
        ("ru", "ru", "Кулекбаеву назначили наказание", "Суд приговорил Руслана Кулекбаева.", ["Руслана Кулекбаева"]),
        ("en", "en", "Gunman sentenced", "A court sentenced Ruslan Kulekbayev to death.", ["Ruslan Kulekbayev"]),
        ("other", "en", "Another man sentenced", "A court sentenced Ivan Petrov.", ["Ivan Petrov"]),
    ])
    assert found("Kulekbayev") == found("Кулекбаев") == found("Kulekbaev") == found("кулекбаева") == {"ru", "en"}
    # A dictionary word is not also taken for a name: "осудили" finds no one called "Sadulla".
    assert "namesdl" not in fts_query("осудили")


def test_an_organisation_is_found_under_any_of_its_aliases(tmp_path):
    found = _index(tmp_path, [
        ("igil", "ru", "Осуждён сторонник ИГИЛ", "Он распространял материалы ИГИЛ.", []),
        ("isis", "en", "ISIS supporter jailed", "He shared ISIS videos.", []),
        ("state", "ru", "Вербовщик", "Он вербовал в ряды Исламского государства.", []),
        ("hizb", "ru", "Члены Хизб ут-Тахрир", "Суд осудил членов «Хизб ут-Тахрир».", []),
        ("plain", "en", "What is news", "This is an ordinary report.", []),
    ])
    isis = {"igil", "isis", "state"}
    assert found("ISIS") == found("ИГИЛ") == found("Islamic State") == found("ДАИШ") == found("Daesh") == isis
    assert found('"Исламское государство"') == found("IS") == isis
    assert found("is") == {"plain"}  # "IS" as written is the organisation; "is" is a word
    assert found("Hizb ut-Tahrir") == found("Хизб ут-Тахрир") == {"hizb"}


def test_a_region_adjective_and_an_inflected_city_name_a_place():
    assert place_ids("Актюбинской") == '["kz-aktobe-region"]'
    assert place_ids("Алмате") == place_ids("Almaty") == place_ids("kz-almaty") == '["kz-almaty"]'
    assert place_ids("Aktobe") == '["kz-aktobe"]'
    assert place_ids("Nowhere") == place_ids("") == place_ids(None) == "[]"
    assert "placekzaktoberegion" in fts_query("Актюбинской")


def test_case_search_text_has_its_place_region_organisations_and_people():
    case = {"title": "Жительницу ВКО осудили", "place_id": "kz-altai", "orgs": '["isis"]'}
    text = case_search_text(case, [{"names": ["klkbv"]}, {"names": '["klkbv", "zrnvsk"]'}])
    assert text.split() == ["жительница", "вко", "осудить", "placekzaltai", "placekzeastkazakhstanregion",
                            "orgisis", "nameklkbv", "namezrnvsk"]


def test_matches_through_forms_places_aliases_and_names_are_marked():
    assert mark("Осуждённый житель Семея", "осудили Semey") == "[Осуждённый] житель [Семея]"
    assert mark("A court in Semey convicted him", "convictions") == "A court in Semey [convicted] him"
    assert mark("Приговор Руслану Кулекбаеву", "Kulekbayev") == "Приговор Руслану [Кулекбаеву]"
    assert mark("Сторонник Исламского государства", "ISIS") == "Сторонник [Исламского государства]"
    assert mark("вербовку и вербовщицу", "вербов*") == "[вербовку] и [вербовщицу]"
    assert mark("no match here", "Семея") == "no match here"
    assert mark("[1] осуждён", "осудили") == "(1) [осуждён]"  # every [ ] left is a match
    long = " ".join(f"w{i}" for i in range(100)) + " Семей"
    assert snippet(long, "Семея", words=3) == "… w97 w98 w99 [Семей]"
    assert snippet("Короткий текст", "Семея") == "Короткий текст"


def test_highlighting_escapes_before_it_marks():
    html = str(highlighted("<&> осуждён [x]", "осудили"))
    assert html == "&lt;&amp;&gt; <mark>осуждён</mark> [x]"


def test_a_snippet_reads_a_report_only_up_to_its_limit():
    from corpus.highlight import SNIPPET_READ_CHARS

    filler = "слово " * (SNIPPET_READ_CHARS // 6 + 10)
    assert snippet("Семей " + filler, "Семея").startswith("[Семей] слово")
    # A match past the limit is not looked for: the snippet is the report's start, as for a headline match.
    assert snippet(filler + "Семей", "Семея", words=2) == "слово слово слово …"


def test_inflected_aliases_from_the_alias_table_find_the_organisation(tmp_path):
    found = _index(tmp_path, [
        ("hizb", "ru", "Суд над членами Хизб ут-Тахрира", "Осуждены сторонники Хизб-ут-Тахрира.", []),
        ("tabligh", "en", "Tablighi Jamaat members fined", "Members of Tablighi Jamaat were fined.", []),
    ])
    assert found("Хизб ут-Тахрир") == found("Hizb ut-Tahrir") == {"hizb"}
    assert found("Таблиги Джамаат") == {"tabligh"}
