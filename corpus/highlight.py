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
from nlp.organisations import alias_pattern, find_aliases

# Words of text shown before and after the first match in a snippet.
SNIPPET_WORDS = 20
# A report's first match is looked for in its first characters only: a report found by its
# headline alone would otherwise be read to its end for every search that shows it.
SNIPPET_READ_CHARS = 10_000
# How far back and ahead of the first match a snippet looks for its words.
WINDOW_CHARS_PER_WORD = 40
TOKEN = re.compile(r"\S+")
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
        self.organisations = frozenset(o for t in terms for o in t.organisations)

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

    def first(self, text: str, limit: int) -> int | None:
        """Where the first match in text[:limit] starts (None: nowhere), reading only as far as it."""
        alias = alias_pattern(self.organisations).search(text, 0, limit) if self.organisations else None
        limit = alias.start() if alias else limit
        word = next((m.start() for m in WORD.finditer(text, 0, limit) if self.word(m.group())), None)
        return word if word is not None else (alias.start() if alias else None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every match in text, in order, overlapping ones joined."""
        found = [(m.start(), m.end()) for m in WORD.finditer(text) if self.word(m.group())]
        if self.organisations:
            found += [(a, b) for a, b, _ in find_aliases(text, self.organisations)]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


@lru_cache(maxsize=256)
def matcher(query: str | None) -> Matcher:
    """One Matcher per query: the search page asks for each report's snippet with the same query."""
    return Matcher(query)


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
    found = matcher(query)
    out, at = [], 0
    for start, end in (found.spans(text) if found else []):
        out += [(text[at:start], False), (text[start:end], True)]
        at = end
    return [p for p in out + [(text[at:], False)] if p[0]]


def mark(text: str | None, query: str | None) -> str:
    """The text with every word the query matches as [word] (its own brackets as parentheses)."""
    text = text or ""
    found = matcher(query)
    return _marked(text, found.spans(text) if found else [])


def snippet(text: str | None, query: str | None, words: int = SNIPPET_WORDS) -> str:
    """About `words` words either side of the first match, matches marked; the text's start
    when nothing in it matched (the report matched by its headline). Reads the text only up to
    the end of the snippet (or SNIPPET_READ_CHARS), so a long report costs no more than a short one."""
    text = text or ""
    found = matcher(query)
    anchor = (found.first(text, SNIPPET_READ_CHARS) if found else None) or 0
    # The words before the anchor, within a reach wide enough for `words` words of any length in news text.
    reach = words * WINDOW_CHARS_PER_WORD
    before = [m.start() for m in TOKEN.finditer(text, max(0, anchor - reach), anchor)]
    start = before[-words] if len(before) >= words else (before[0] if before else anchor)
    if len(before) < words and anchor - reach <= 0:
        start = 0
    after = [m.end() for m in TOKEN.finditer(text, anchor, min(len(text), anchor + reach))]
    end = after[words] if len(after) > words else (after[-1] if after else anchor)
    window = text[start:end]
    marked = _marked(window, found.spans(window) if found else []).strip()
    return ("… " if text[:start].strip() else "") + marked + (" …" if text[end:].strip() else "")
