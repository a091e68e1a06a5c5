"""Russian calendar dates (nlp.ru_dates) and what the date component makes of them."""

from __future__ import annotations

import pytest

from nlp import extract
from nlp.dates import find_all_dates
from nlp.ru_dates import find_ru_dates


def dates(text: str) -> list[tuple[str, int | None, int | None, int | None]]:
    return [(text[d.start:d.end], d.year, d.month, d.day) for d in find_ru_dates(text)]


@pytest.mark.parametrize("text, expected", [
    ("5 мая 2019 года", [("5 мая 2019 года", 2019, 5, 5)]),
    ("в марте 2019 г. его задержали", [("марте 2019 г.", 2019, 3, None)]),
    ("14 МАРТА", [("14 МАРТА", None, 3, 14)]),
    ("к 5 январём", [("5 январём", None, 1, 5)]),
    ("5 январем 2020", [("5 январем 2020", 2020, 1, 5)]),
    ("в 2019году", [("2019году", 2019, None, None)]),
    ("12.03.2019г.", [("12.03.2019г.", 2019, 3, 12)]),
    ("05.3.20", [("05.3.20", 1920, 3, 5)]),  # a two-digit year is 1900 plus it, as Natasha reads it
    ("005 мая 02019", [("005 мая 02019", 2019, 5, 5)]),
    ("1981 г.р.", [("1981 г.", 1981, None, None)]),
    ("1000 лет", [("1000 лет", 1000, None, None)]),
])
def test_forms(text, expected):
    assert dates(text) == expected


@pytest.mark.parametrize("text", [
    "мая\n2019",  # a line break parts them
    "32 мая",  # no such day
    "12.13.2019",  # no such month
    "2101 год",  # out of the years read
    "маяк 2019",  # a longer word
    "2019 Г.",  # only a lower-case г
    "5-мая",
])
def test_not_dates(text):
    assert dates(text) == []


def test_the_longest_at_the_leftmost_place_wins():
    assert dates("32 мая 2019") == [("мая 2019", 2019, 5, None)]
    assert dates("5 мая 6 июня") == [("5 мая", None, 5, 5), ("6 июня", None, 6, 6)]
    assert dates("5 мая 2019 г. 2020 года") == [("5 мая 2019 г.", 2019, 5, 5), ("2020 года", 2020, None, None)]


def test_words_that_only_look_like_a_month_extract_without_error():
    # The Maya people and the name Марта: Natasha's parser stopped with a KeyError on both.
    text = "Фестиваль культуры майя 2019 года прошёл в Астане. С Мартой 2020 года не виделись. Суд приговорил его 5 маю."
    facts = extract(text, lang="ru", published="2021-01-10")
    assert facts["lang"] == "ru"
    assert dates("культуры майя 2019 года") == [("2019 года", 2019, None, None)]
    assert dates("к маю 2020") == [("маю 2020", 2020, 5, None)]


def test_a_year_far_from_other_dates_is_read():
    # Natasha ran only near a year of 1900-2099 or a month name, so a lone 1845 was never read.
    text = ("Суд приговорил жителя города к 5 годам. " + "Он долго жил в горах и почти не выходил к людям. " * 2
            + "Его прадед родился в 1845 году в урочище.")
    events, background = find_all_dates(text, "ru")
    assert [(d["iso"], d["role"]) for d in background] == [("1845", "background")]
    assert events == []
