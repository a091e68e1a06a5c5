"""Full-text search in Russian and English: the lemmatised search column and the query that matches it.

SQLite's FTS5 has no Russian stemmer, and the stdlib `sqlite3` cannot register a tokenizer,
so lemmas are made in Python on both sides of the index:

- `search_text(title, text, lang)` is stored in `documents.search_text` and indexed beside the
  title and the text: one lemma per word of a Russian report (pymorphy3, `nlp.lemmatizer`),
  then one token per gazetteer place named, in either language ("Семей", "Семея", "Семипалатинск"
  and "Semey" all give the token of kz-semey, whatever pymorphy3 makes of them).
- `fts_query(query)` turns what a researcher typed into an FTS5 expression that matches each
  term as typed, as a lemma, or as a place:

      >>> fts_query("осудили Семея")
      '("осудили" OR "осудить") AND ("семея" OR "семей" OR "placekzsemey")'

English needs no extra column: the index's `porter` tokenizer stems the title and the text
("convictions" finds "convicted"). The Datasette plugin in plugins/corpus_search.py registers
`fts_query` as the SQL functions `search_query()` and `escape_fts()`, so the canned queries and
the table search box both use it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.gazetteer import places
from nlp.lemmas import lemma

WORD = re.compile(r"\w+(?:-\w+)*")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A double-quoted phrase, or a run of anything but white space (Datasette's escape_fts splits the same way).
TERM = re.compile(r'"[^"]*"|[^\s"]+')


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


@lru_cache(maxsize=1)
def place_forms() -> dict[str, tuple[str, ...]]:
    """Every one-word surface form in the gazetteer (names, aliases, inflections, former names,
    lower case) -> the tokens of the places it can name."""
    out: dict[str, list[str]] = {}
    for place in places().values():
        for name in place.names:
            name = name.strip()
            if name and " " not in name:
                out.setdefault(_norm(name), []).append(place_token(place.id))
    return {form: tuple(dict.fromkeys(tokens)) for form, tokens in out.items()}


def search_text(title: str | None, text: str | None, lang: str | None) -> str:
    """What `documents.search_text` holds: the lemmas of a Russian report's words, in order (so
    phrases of lemmas match), then the tokens of the gazetteer places it names, in any language.

    >>> search_text("Жительницу ВКО осудили", "Суд в Семее.", "ru")
    'жительница вко осудить суд в семый placekzeastkazakhstanregion placekzsemey'
    """
    words = WORD.findall(f"{title or ''}\n{text or ''}")
    forms = place_forms()
    tokens = dict.fromkeys(token for word in words for token in forms.get(_norm(word), ()))
    lemmas = [word_lemma(word) for word in words] if lang == "ru" else []
    return " ".join(lemmas + list(tokens))


def _phrase(words: list[str]) -> str:
    # WORD matches only letters, digits, underscores and hyphens: nothing to escape inside the quotes.
    return '"' + " ".join(words) + '"'


def fts_query(query: str | None) -> str:
    """An FTS5 MATCH expression for a researcher's query: every term must match, as typed, as a
    lemma or as a place; "a phrase" matches as typed or as lemmas; a trailing * is a prefix
    search on the term as typed. FTS5 syntax in the query is treated as text, never as operators,
    so any input gives a valid expression ('""' when nothing is left, which matches nothing).
    """
    query = query or ""
    if query.count('"') % 2:
        query += '"'
    forms = place_forms()
    groups: list[str] = []
    for term in TERM.findall(query):
        words = [_norm(w) for w in WORD.findall(term)]
        if not words:
            continue
        if not term.startswith('"') and term.endswith("*"):
            groups.append(_phrase(words) + " *")
            continue
        alternatives = [_phrase(words), _phrase([word_lemma(w) for w in words])]
        if len(words) == 1 and not term.startswith('"'):
            alternatives += [_phrase([token]) for token in forms.get(words[0], ())]
        alternatives = list(dict.fromkeys(alternatives))
        groups.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
    # An explicit AND: SQLite 3.40's FTS5 rejects "(a OR b) (c OR d)" with implicit AND.
    return " AND ".join(groups) or '""'
