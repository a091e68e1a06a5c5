"""Which words of a text a search matched, marked as [words], and the snippet shown around them.

FTS5's own `snippet()` marks only the words of the column that matched as typed or stemmed; a
report found through a lemma ("осудили" finds "осуждённый"), a place ("Semey" finds "Семее"), an
organisation's alias ("ISIS" finds "ИГИЛ") or a name in the other script ("Kulekbayev" finds
"Кулекбаева") matched in `search_text`, which nobody reads. So the words are found again here,
with the same query terms (corpus.search.query_terms):

    >>> mark("Осуждённый житель Семея", "осудили Semey")
    '[Осуждённый] житель [Семея]'

The plugin in plugins/corpus_search.py registers `search_snippet(text, q)` for the search query
and a `highlight` template filter for the search page's titles.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from functools import lru_cache

from corpus.schema import FTS_TOKENIZE
from corpus.search import CYRILLIC, WORD, _norm, name_keys, place_forms, query_terms, word_lemma
from nlp.organisations import find_aliases

# Words of text shown before and after the first match in a snippet.
SNIPPET_WORDS = 20
ELLIPSIS = " … "
BRACKETS = str.maketrans("[]", "()")

_stem_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer() -> sqlite3.Connection:
    # The index's own tokenizer (porter), so a word is highlighted exactly when the index matched it.
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(w, tokenize='{FTS_TOKENIZE}')")
    conn.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
    return conn


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The porter stem the full-text index keeps for an English word ("convictions" -> "convict")."""
    with _stem_lock:
        conn = _stemmer()
        conn.execute("DELETE FROM words")
        conn.execute("INSERT INTO words (w) VALUES (?)", [word])
        row = conn.execute("SELECT term FROM stems ORDER BY offset LIMIT 1").fetchone()
    return row[0] if row else word


class Matcher:
    """Everything the terms of one query can match, word by word."""

    def __init__(self, query: str | None):
        terms = query_terms(query)
        self.forms = {w for t in terms if not t.prefix for w in t.words}
        self.lemmas = {w for t in terms if not t.prefix for w in t.lemmas}
        self.stems = {stem(w) for w in self.forms if not CYRILLIC.search(w)}
        self.prefixes = tuple(w for t in terms if t.prefix for w in t.words)
        self.places = {p for t in terms for p in t.places}
        self.names = {k for t in terms for k in t.names}
        self.organisations = {o for t in terms for o in t.organisations}

    def __bool__(self) -> bool:
        return bool(self.forms or self.prefixes or self.organisations)

    def word(self, word: str) -> bool:
        norm = _norm(word)
        if norm in self.forms or (self.prefixes and norm.startswith(self.prefixes)):
            return True
        if CYRILLIC.search(norm):
            if word_lemma(norm) in self.lemmas:
                return True
        elif stem(norm) in self.stems:
            return True
        if self.places and self.places.intersection(place_forms().get(norm, ())):
            return True
        return bool(self.names and word[:1].isupper() and self.names & name_keys(word))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every match in text, in order, overlapping ones joined."""
        found = [(m.start(), m.end()) for m in WORD.finditer(text) if self.word(m.group())]
        if self.organisations:
            found += [(a, b) for a, b, org in find_aliases(text) if org in self.organisations]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    # Brackets of the text itself become parentheses, so that every [ ] left is a match.
    plain = text.translate(BRACKETS)
    out, at = [], 0
    for start, end in spans:
        out += [plain[at:start], "[", plain[start:end], "]"]
        at = end
    return "".join(out + [plain[at:]])


def pieces(text: str | None, query: str | None) -> list[tuple[str, bool]]:
    """The text cut into (piece, matched) pairs, for pages that mark matches themselves."""
    text = text or ""
    matcher = Matcher(query)
    out, at = [], 0
    for start, end in (matcher.spans(text) if matcher else []):
        out += [(text[at:start], False), (text[start:end], True)]
        at = end
    return [p for p in out + [(text[at:], False)] if p[0]]


def mark(text: str | None, query: str | None) -> str:
    """The text with every word the query matches as [word] (its own brackets as parentheses)."""
    text = text or ""
    matcher = Matcher(query)
    return _marked(text, matcher.spans(text) if matcher else [])


def snippet(text: str | None, query: str | None, words: int = SNIPPET_WORDS) -> str:
    """About `words` words either side of the first match, matches marked; the text's start
    when nothing in it matched (the report matched by its headline)."""
    text = text or ""
    matcher = Matcher(query)
    spans = matcher.spans(text) if matcher else []
    bounds = [m.start() for m in re.finditer(r"\S+", text)]
    if not bounds:
        return ""
    first = spans[0][0] if spans else 0
    index = max(i for i, b in enumerate(bounds) if b <= first) if first >= bounds[0] else 0
    lo, hi = max(index - words, 0), min(index + words, len(bounds))
    start = bounds[lo]
    end = bounds[hi] if hi < len(bounds) else len(text)
    inside = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    piece = _marked(text[start:end], inside).strip()
    return (ELLIPSIS.lstrip() if lo > 0 else "") + piece + (ELLIPSIS.rstrip() if hi < len(bounds) else "")
