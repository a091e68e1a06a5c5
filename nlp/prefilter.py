"""Where a cue pattern cannot match, told by a cheap scan of the text.

The cue patterns (document type, stages) are long alternations of regular expressions, run case
insensitively sentence by sentence; Python's `re` tries every alternative at every place and
cannot skip one by its first letter under re.I. Nearly every alternative starts with letters of
its own ("предупрежда\\w*", "\\bжител(?:ь|я)", "во\\s+избежание"): a match must start where one
of those beginnings stands. `Beginnings` reads them from the parsed pattern and looks for them
in a lower-case copy of the text (`lowered`) with a case-sensitive tree of words, which `re`
scans fast, so a sentence with no beginning in it is known to have no match without running
the pattern. The answer is exact, never a guess: a pattern with an alternative whose beginning
cannot be read (one that starts with "\\w", say) gets no filter, and a text with a character that
re.I folds onto a letter other than by lower case ("ſ" for "s", "ᲀ" for "в") gets no copy.
"""

from __future__ import annotations

import re
from re import _constants as sre
from re import _parser as sre_parse

from nlp.spans import literal_alternation

# Beginnings are strings of lower-case letters; these stand for a digit, a run of spaces, and
# spaces or none.
DIGIT, SPACES, ANY_SPACES = "\ue000", "\ue001", "\ue002"
# Longer beginnings filter better; how many and how long is bounded to keep the scan small.
MAX_BEGINNING, MAX_BEGINNINGS = 12, 64


def _single(av) -> str | None:
    """What one character of a set [...] can be, when it is one token: its letters, a digit or a space."""
    if all(kind is sre.LITERAL for kind, _ in av):
        return "".join(chr(code).lower() for _, code in av)
    if all(kind is sre.CATEGORY and code is sre.CATEGORY_DIGIT
           or kind is sre.RANGE and 48 <= code[0] <= code[1] <= 57 for kind, code in av):
        return DIGIT
    return None


def _beginnings(items) -> tuple[set[str], bool] | None:
    """(beginnings, whole): the strings one of which every match of the parsed sequence `items`
    starts with, and whether they are the whole of what it matches; None when none can be read."""
    heads, whole = {""}, True
    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # take no characters
            continue
        if len(heads) > MAX_BEGINNINGS or max(map(len, heads)) >= MAX_BEGINNING:
            whole = False
            break
        if op is sre.LITERAL:
            heads = {h + chr(av).lower() for h in heads}
            continue
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[2].data == [(sre.IN, [(sre.CATEGORY, sre.CATEGORY_SPACE)])]:
            heads = {h + (SPACES if av[0] >= 1 else ANY_SPACES) for h in heads}  # "\s+", "\s*"
            continue
        if op is sre.IN and (chars := _single(av)) is not None:
            heads = {h + c for h in heads for c in (chars if chars != DIGIT else [DIGIT])}
            continue
        inner = None
        if op is sre.BRANCH:
            parts = [_beginnings(alternative) for alternative in av[1]]
            if all(parts):
                inner = (set().union(*(p[0] for p in parts)), all(p[1] for p in parts))
        elif op is sre.SUBPATTERN:
            inner = _beginnings(av[-1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            found = _beginnings(av[2])
            inner = (found[0], False) if found else None  # how often it repeats is not known
        if inner is None:
            whole = False
            break
        heads = {h + tail for h in heads for tail in inner[0]}
        if not inner[1]:
            whole = False
            break
    if any(not h.strip(ANY_SPACES) for h in heads):
        return None
    return heads, whole


# The letters the lower-case copy serves: a pattern whose beginnings have others gets no filter.
LETTERS = set("abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _folded_elsewhere() -> re.Pattern | None:
    """Characters that re.I matches to one of LETTERS though their lower case is another ("ſ" for
    "s", "ᲀ" for "в"), "İ" (it lowers to two characters, so the places after it move) and "Σ"
    (it lowers by its place in a word); None where this Python does not say."""
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:
        return None
    out = {chr(c) for letter in LETTERS for c in _EXTRA_CASES.get(ord(letter), ()) if chr(c).lower() != letter}
    return re.compile(f"[{re.escape(''.join(sorted(out | {'İ', 'Σ'})))}]")


UNSAFE = _folded_elsewhere()


def lowered(text: str) -> str | None:
    """`text` in lower case, each character in its place, for `Beginnings.may_match`; None when
    the text has a character that makes such a copy unsafe to read."""
    if UNSAFE is None or UNSAFE.search(text):
        return None
    low = text.lower()
    return low if len(low) == len(text) else None


class Beginnings:
    """The beginnings of one compiled pattern's matches."""

    def __init__(self, pattern: re.Pattern):
        found = _beginnings(sre_parse.parse(pattern.pattern, pattern.flags).data)
        words = sorted(found[0] if found else (), key=len, reverse=True)
        self.finder = None
        if words and all(ch in LETTERS or not ch.isalpha() for w in words for ch in w):
            tree = literal_alternation(words).replace(DIGIT, r"\d").replace(SPACES, r"\s+").replace(ANY_SPACES, r"\s*")
            self.finder = re.compile(tree)

    def may_match(self, low: str | None, start: int, end: int) -> bool:
        """Can a match of the pattern lie in text[start:end], given `low = lowered(text)`? False
        only when no beginning stands there."""
        if self.finder is None or low is None:
            return True
        return self.finder.search(low, start, end) is not None
