"""Property-based tests: extraction never raises, and every span's offsets slice the text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp import extract

SPAN_KEYS = ("places", "other_places", "articles", "penalties", "event_dates")
CASE_WORDS = st.sampled_from([
    "ч. 2 ст. 256 УК РК", "к 7 годам лишения свободы", "жителя Семея", "в апреле 2019 года", "ИГИЛ",
    "Part 2 of Article 256", "sentenced to 12-18 years in prison", "in Shymkent", "on Tuesday", "ISIS",
    "Telegram", "39-летняя", "АСТАНА, 12 марта —", "от трех до шести лет", "Article 19 of the Constitution",
])
TEXTS = st.lists(st.one_of(st.text(max_size=60), CASE_WORDS), max_size=12).map(" ".join)


def check_spans(text: str, facts: dict) -> None:
    for key in SPAN_KEYS:
        for item in facts[key]:
            assert text[item["start"]:item["end"]] == item["text"], (key, item)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, lang=st.sampled_from(["ru", "en", "auto"]),
       published=st.one_of(st.none(), st.dates().map(str), st.text(max_size=12)))
def test_any_text_extracts_without_error_and_spans_slice_the_text(text, lang, published):
    facts = extract(text, lang=lang, published=published)
    assert facts["lang"] in ("ru", "en")
    check_spans(text, facts)


def test_empty_string():
    for lang in ("ru", "en"):
        facts = extract("", lang=lang)
        assert facts["places"] == [] and facts["articles"] == [] and facts["is_case_report"] is False


@pytest.mark.slow
def test_a_one_megabyte_text():
    head = ("Суд Шымкента приговорил 25-летнего жителя города к 5 годам лишения свободы по ч. 2 ст. 256 УК РК. "
            "Его задержали в марте 2021 года.\n")
    filler = "Погода в городе хорошая, на рынке много покупателей, цены на хлеб не изменились. "
    text = (head + filler * (1_000_000 // len(filler) + 1))[:1_000_000]
    facts = extract(text, lang="ru", published="2021-09-01")
    assert facts["articles"] and facts["articles"][0]["article"] == 256
    check_spans(text, facts)
