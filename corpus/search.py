"""Full-text search in Russian and English: the search columns and the query that matches them.

SQLite's FTS5 has no Russian stemmer, and the stdlib `sqlite3` cannot register a tokenizer,
so what a word can mean is worked out in Python, the same way on both sides of the index:

- `search_text(title, text, lang, names)` is stored in `documents.search_text` and indexed beside
  the title and the text: one lemma per word of a Russian report (pymorphy3, `nlp.lemmatizer`),
  then one token per gazetteer place named, in either language ("Семей", "Семея", "Семипалатинск"
  and "Semey" all give the token of kz-semey), one per organisation named under any of its
  aliases (nlp/data/organisations.jsonl: "ИГИЛ", "ISIS" and "Исламское государство" give the
  token of isis), and one per person named, by the script-independent skeleton of the name
  (`nlp.names.name_key`: "Кулекбаев" and "Kulekbayev" give the same token).
- `case_search_text(case, reports)` is stored in `cases.search_text`: the lemmas of the case's
  title and the tokens of its place (and region), organisations and people, so the cases
  table's search box matches the same way.
- `fts_query(query)` turns what a researcher typed into an FTS5 expression that matches each
  term as typed, as a lemma, as a place, as an organisation or as a person's name:

      >>> fts_query("осудили Семея")
      '("осудили" OR "осудить") AND ("семея" OR "семей" OR "placekzsemey")'

English needs no extra column: the index's `porter` tokenizer stems the title and the text
("convictions" finds "convicted"). The Datasette plugin in plugins/corpus_search.py registers
`fts_query` as the SQL functions `search_query()` and `escape_fts()`, so the canned queries and
the table search boxes all use it, and `place_ids()` for the places a name can mean
(the canned query cases_for_place, the Atom feeds' region filter).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from nlp.facts import case_columns
from nlp.gazetteer import get as get_place
from nlp.gazetteer import places
from nlp.lemmas import is_known, lemma
from nlp.names import name_key
from nlp.organisations import aliases, find_aliases, organisations

WORD = re.compile(r"\w+(?:-\w+)*")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A double-quoted phrase, or a run of anything but white space (Datasette's escape_fts splits the same way).
TERM = re.compile(r'"[^"]*"|[^\s"]+')
# Words a region's Russian name adds to its adjective ("Актюбинской области"): the adjective alone
# names the region too ("Актюбинской" finds the Aktobe region).
REGION_WORDS = {"область", "области", "областью", "обл", "обл.", "регион", "региона", "регионе", "регионом", "региону"}
REGION_ADJECTIVE = re.compile(r"[а-яё-]+[сц]к(?:ая|ой|ую|ий|ого|ом|ому|им)$")
# The case column of the organisations named: the fact whose values are ids of the alias table.
ORGANISATIONS_COLUMN = next(c.name for f, c in case_columns() if (f.names_from or ("",))[0] == "organisations.jsonl")


def _norm(word: str) -> str:
    return word.lower().replace("ё", "е")


def word_lemma(word: str) -> str:
    """The lemma of a Russian word (lower case, ё as е); other words lower-cased."""
    word = _norm(word)
    if not CYRILLIC.search(word):
        return word
    return _norm(lemma(word))


def place_token(place_id: str) -> str:
    """One index token per gazetteer place: its id without punctuation ("kz-semey" -> "placekzsemey")."""
    return "place" + re.sub(r"[^0-9a-z]", "", place_id.lower())


def org_token(org_id: str) -> str:
    """One index token per organisation: "isis" -> "orgisis", "hizb-ut-tahrir" -> "orghizbuttahrir"."""
    return "org" + re.sub(r"[^0-9a-z]", "", org_id.lower())


def name_token(key: str) -> str:
    """One index token per name skeleton (nlp.names.name_key): "klkbv" -> "nameklkbv"."""
    return "name" + re.sub(r"[^0-9a-z]", "", key)


def name_keys(word: str) -> set[str]:
    """The skeletons a written name can have: of the word, and of its lemma for a Russian
    word ("Кулекбаевым" -> "Кулекбаев")."""
    keys = {name_key(word)}
    if CYRILLIC.search(word):
        keys.add(name_key(lemma(_norm(word))))
    return {k for k in keys if k}


@lru_cache(maxsize=None)
def loose_aliases(org_id: str) -> frozenset[str]:
    """An organisation's aliases matched in any case, lower-cased."""
    return frozenset(_norm(a) for org in organisations() if org["id"] == org_id for a in aliases(org))


def may_be_name(word: str) -> bool:
    """Whether a query word may be a person's name: any Latin word; a Russian word that is not
    in the dictionary ("Кулекбаев" is not, "осудили" is), so common words do not also match names."""
    return not CYRILLIC.search(word) or not is_known(_norm(word))


@lru_cache(maxsize=1)
def _all_forms() -> dict[str, tuple[str, ...]]:
    """Every surface form in the gazetteer (lower case, several words too) -> the ids of the places it can name."""
    out: dict[str, list[str]] = {}

    def add(form: str, place_id: str) -> None:
        out.setdefault(_norm(form.strip()), []).append(place_id)

    for place in places().values():
        add(place.id, place.id)
        for name in place.names:
            if name.strip():
                add(name, place.id)
            words = name.split()
            if place.kind == "region" and len(words) > 1:
                rest = [w for w in words if _norm(w) not in REGION_WORDS]
                if len(rest) == 1 and REGION_ADJECTIVE.fullmatch(_norm(rest[0])):
                    add(rest[0], place.id)
    return {form: tuple(dict.fromkeys(ids)) for form, ids in out.items()}


@lru_cache(maxsize=1)
def place_forms() -> dict[str, tuple[str, ...]]:
    """Every one-word surface form in the gazetteer (names, aliases, inflections, former names,
    the adjective of a region's Russian name; lower case) -> the tokens of the places it can name."""
    return {form: tuple(place_token(i) for i in ids) for form, ids in _all_forms().items() if " " not in form}


def place_ids(name: str | None) -> str:
    """The gazetteer ids a place name can mean, as a JSON array: an id, or any name, alias or
    inflected form, in English or Russian ("Алмате" -> ["kz-almaty"], "Актюбинской" ->
    ["kz-aktobe-region"]). What cases_for_place and the feeds' region filter read."""
    return json.dumps(list(_all_forms().get(_norm((name or "").strip()), ())))


def search_text(title: str | None, text: str | None, lang: str | None, names: list[str] | str | None = None) -> str:
    """What `documents.search_text` holds: the lemmas of a Russian report's words, in order (so
    phrases of lemmas match), then the tokens of the gazetteer places it names, in any language,
    of the organisations it names and of the people it names (`names`: the report's name
    skeletons, documents.names).

    >>> search_text("Жительницу ВКО осудили", "Суд в Семее.", "ru")
    'жительница вко осудить суд в семый placekzeastkazakhstanregion placekzsemey'
    """
    full = f"{title or ''}\n{text or ''}"
    words = WORD.findall(full)
    forms = place_forms()
    tokens = dict.fromkeys(token for word in words for token in forms.get(_norm(word), ()))
    tokens.update(dict.fromkeys(org_token(org) for _, _, org in find_aliases(full)))
    tokens.update(dict.fromkeys(name_token(key) for key in _listed(names)))
    lemmas = [word_lemma(word) for word in words] if lang == "ru" else []
    return " ".join(lemmas + list(tokens))


def _listed(value: list | str | None) -> list:
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else [value]
    return [v for v in value or [] if v]


def case_search_text(case: dict, reports: list[dict]) -> str:
    """What `cases.search_text` holds: the lemmas of the case's Russian title, then the tokens of
    its main place and that place's region (the place cases_for_place finds it by), of its
    organisations and of the people its reports name (their `names` skeletons)."""
    title_words = WORD.findall(case.get("title") or "")
    lemmas = [word_lemma(w) for w in title_words if CYRILLIC.search(w)]
    place = get_place(case["place_id"]) if case.get("place_id") else None
    ids = [place.id, place.admin1_id] if place else []
    tokens = [place_token(i) for i in ids if i]
    tokens += [org_token(org) for org in _listed(case.get(ORGANISATIONS_COLUMN))]
    tokens += [name_token(key) for report in reports for key in _listed(report.get("names"))]
    return " ".join(lemmas + list(dict.fromkeys(tokens)))


@dataclass
class Term:
    """One term of a query: the words as typed, and everything else they can match."""

    words: list[str]
    quoted: bool = False
    prefix: bool = False
    lemmas: list[str] = field(default_factory=list)
    places: tuple[str, ...] = ()  # place tokens
    names: set[str] = field(default_factory=set)  # name skeletons
    organisations: set[str] = field(default_factory=set)  # organisation ids
    org_only: bool = False  # a short form matched as written: the organisation's token only

    def alternatives(self) -> list[str]:
        if self.prefix:
            return [_phrase(self.words) + " *"]
        if self.org_only:
            return [_phrase([org_token(org)]) for org in sorted(self.organisations)]
        out = [_phrase(self.words), _phrase(self.lemmas)]
        out += [_phrase([token]) for token in self.places]
        out += [_phrase([org_token(org)]) for org in sorted(self.organisations)]
        out += [_phrase([name_token(key)]) for key in sorted(self.names)]
        return list(dict.fromkeys(out))


def query_terms(query: str | None) -> list[Term]:
    """What a researcher typed, term by term: a "quoted phrase" is one term, and so are the words
    of an organisation's alias ("Islamic State", "Хизб ут-Тахрир")."""
    query = query or ""
    if query.count('"') % 2:
        query += '"'
    forms = place_forms()
    spans = [(m.start(), m.end(), m.group()) for m in TERM.finditer(query)]
    # Where each term's words start and end (inside the quotes of a phrase).
    inner = [(a + 1, b - 1) if t.startswith('"') else (a, b) for a, b, t in spans]
    alias_at = {start: (end, org) for start, end, org in find_aliases(query)}
    terms: list[Term] = []
    i = 0
    while i < len(spans):
        text = spans[i][2]
        alias = alias_at.get(inner[i][0])
        # An alias covers this term and the next ones up to the term it ends with (none: no alias).
        j = next((k for k in range(i, len(spans)) if alias and inner[k][1] == alias[0]), None)
        if j is None:
            alias, j = None, i
        raw = " ".join(spans[k][2] for k in range(i, j + 1))
        words = [_norm(w) for w in WORD.findall(raw)]
        i = j + 1
        if not words:
            continue
        quoted = text.startswith('"')
        term = Term(words, quoted=quoted, prefix=not quoted and raw.endswith("*") and not alias,
                    lemmas=[word_lemma(w) for w in words])
        if alias:
            term.organisations.add(alias[1])
            # A short form matched only as written ("IS", "ИГ") is also an everyday word: match the organisation only.
            term.org_only = _norm(raw.strip('"')) not in loose_aliases(alias[1])
        elif len(words) == 1 and not quoted:
            term.places = forms.get(words[0], ())
            if may_be_name(words[0]):
                term.names = name_keys(words[0])
        terms.append(term)
    return terms


def _phrase(words: list[str]) -> str:
    # WORD matches only letters, digits, underscores and hyphens: nothing to escape inside the quotes.
    return '"' + " ".join(words) + '"'


def fts_query(query: str | None) -> str:
    """An FTS5 MATCH expression for a researcher's query: every term must match, as typed, as a
    lemma, as a place, as an organisation (any of its aliases) or as a person's name (any
    spelling, either script); "a phrase" matches as typed or as lemmas; a trailing * is a prefix
    search on the term as typed. FTS5 syntax in the query is treated as text, never as operators,
    so any input gives a valid expression ('""' when nothing is left, which matches nothing).
    """
    groups = []
    for term in query_terms(query):
        alternatives = term.alternatives()
        groups.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
    # An explicit AND: SQLite 3.40's FTS5 rejects "(a OR b) (c OR d)" with implicit AND.
    return " AND ".join(groups) or '""'
