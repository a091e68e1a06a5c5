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


def _cue_patterns() -> list[re.Pattern]:
    from nlp.doc_types import _cues

    return [p for cues in _cues().values() for p in cues.values()]


CUE_WORDS = st.sampled_from(["суд", "Суд", "ПРИГОВОРИЛ", "приговорил", "задержан", "во избежание", "по\tфакту",
                             "статья 5. ", "  статья 12. ", "за 2023 год", "sentenced", "the court", "арестовал",
                             "ſentenced", "ᲀернул", "İ", "Σ", "12", "%", ".", "\n", " ", "предупреждает"])
CUE_TEXTS = st.lists(st.one_of(CUE_WORDS, st.text(max_size=8)), max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(text=CUE_TEXTS, data=st.data())
def test_beginnings_never_rule_out_a_match(text, data):
    from nlp.prefilter import Beginnings, lowered

    low = lowered(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    for pattern in _cue_patterns():
        if pattern.search(text[start:end]):
            assert Beginnings(pattern).may_match(low, start, end), (pattern.pattern[:80], text[start:end])


def test_beginnings_rule_out_sentences_and_step_aside_for_folded_letters():
    from nlp.prefilter import Beginnings, lowered

    cue = Beginnings(re.compile(r"\bвернул\w*\s+из|предупрежда\w*|^\s*статья\s+\d", re.I))
    text = "Суд вынес приговор. ВЕРНУЛСЯ   из Сирии."
    assert not cue.may_match(lowered(text), 0, 19)
    assert cue.may_match(lowered(text), 20, len(text))
    # "ᲀ" is a form of "в" to re.I though not to lower(): no lower-case copy, so no filter.
    assert re.search(r"вернул", "ᲀернул", re.I) and lowered("ᲀернул") is None
    assert cue.may_match(lowered("ᲀернулся из Сирии"), 0, 17)
    # An alternative whose beginning cannot be read ("\w+") leaves the pattern unfiltered.
    assert Beginnings(re.compile(r"суд|\w+ский", re.I)).finder is None


def test_month_words_are_read_as_before():
    from nlp.dates import MONTHS_RU, RU_MONTH_ANY

    old = re.compile(rf"\b(?:{'|'.join(MONTHS_RU)})\b", re.I)
    new = re.compile(rf"\b(?:{RU_MONTH_ANY})\b", re.I)
    text = " ".join(f"{w} {w.upper()} {w}а {w[:-1]}" for w in MONTHS_RU)
    assert [m.span() for m in new.finditer(text)] == [m.span() for m in old.finditer(text)]
