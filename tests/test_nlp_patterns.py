"""Pattern helpers (nlp.spans): rewritten patterns match exactly what the plain ones match."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.numbers import _words, cardinal_pattern
from nlp.spans import literal_alternation

LETTERS = "адвиь те"
WORDS = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=5), min_size=1, max_size=12, unique=True)


def flat(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in words)


def spans(pattern: str, text: str, flags: int) -> list[tuple[int, int]]:
    # A word must end where a letter does not follow: the pattern then has to pick the right one.
    return [m.span() for m in re.finditer(rf"(?:{pattern})(?![а-я])", text, flags)]


@settings(max_examples=300, deadline=None)
@given(words=WORDS, text=st.text(alphabet=LETTERS + "ДВ", max_size=40))
def test_a_tree_of_words_matches_what_the_flat_list_matches(words, text):
    words = sorted(words, key=len, reverse=True)
    for flags in (0, re.I):
        assert spans(literal_alternation(words), text, flags) == spans(flat(words), text, flags)


def test_number_words_are_read_as_before():
    for lang in ("ru", "en"):
        words = sorted(_words()[f"{lang}_cardinal"], key=len, reverse=True)
        old = re.compile(rf"(?<!\w)(?:\d+(?:[.,]\d+)?|{flat(words)})(?!\w)", re.I)
        new = re.compile(rf"(?<!\w)(?:{cardinal_pattern(lang)})(?!\w)", re.I)
        text = " ".join(words + [w.upper() for w in words] + ["12", "3,5", "двадцать", "двадцать пять", "twenty-five"])
        assert [m.span() for m in new.finditer(text)] == [m.span() for m in old.finditer(text)]


def test_court_adjectives_are_read_as_before():
    from nlp.places import COURT_LEVEL_RU, _adjective_regex, adjective_stems

    stems = sorted({s.split("#")[0] for s in adjective_stems()}, key=len, reverse=True)
    old = re.compile(r"\b(?P<stem>" + flat(stems) + r")" + COURT_LEVEL_RU.pattern, re.I)
    text = " ".join(f"{s}ий городской суд, {s.upper()}ОГО ОБЛАСТНОГО СУДА, {s.lower()}ом районном суде" for s in stems)
    found = [(m.span(), m.group("stem"), m.group("level")) for m in _adjective_regex().finditer(text)]
    assert found == [(m.span(), m.group("stem"), m.group("level")) for m in old.finditer(text)]
    assert len(found) == 3 * len(stems)
