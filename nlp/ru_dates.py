"""Russian calendar dates in text: one compiled regular expression for the grammar that Natasha's
DatesExtractor reads, at a small part of its cost (it tokenises, looks every word up in a
morphological dictionary and runs a chart parser).

The forms read, each part a separate token as that grammar has them (spaces and tabs, not line
breaks, between them; "5мая" and "2019г." count):

- day and month name, with a year and a year word or not: "5 мая", "5 мая 2019", "5 мая 2019 года";
- month name and year: "мая 2019", "в марте 2019 г.";
- year and year word: "2019 году", "2019 г.", "2019 лет";
- day.month.year with a four- or two-digit year and a year word or not ("12.03.2019"; a
  two-digit year is read as there, 1900 plus the digits).

A month name is any case form of the month's noun, capitals or not ("января", "январём",
"МАРТЕ"); a year is 1000-2100, a day 1-31, a month number 1-12, with leading zeros or not. Where
matches overlap the longest at the leftmost place wins. Unlike that extractor this one does not
stop with an error on words the dictionary also reads as a month's other lexemes ("майя" the
people, "Мартой" the name): those are not months here, while "маю" and "маем" (which stopped it
too) are. Digits are ASCII ones.

    >>> [(m.start, m.end, m.year, m.month, m.day) for m in find_ru_dates("с 5 мая 2019 года по июнь 2020 г.")]
    [(2, 17, 2019, 5, 5), (21, 33, 2020, 6, None)]
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

# Every case form, singular and plural, of each month's noun; ё is read as е too.
_MONTH_FORMS = {
    1: "январ(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
    2: "феврал(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
    3: "март(?:а|у|ом|е|ы|ов|ам|ами|ах|)",
    4: "апрел(?:ь|я|ю|ем|е|и|ей|ям|ями|ях)",
    5: "ма(?:й|я|ю|ем|е)",
    6: "июн(?:ь|я|ю|ем|е|и|ей|ям|ями|ях)",
    7: "июл(?:ь|я|ю|ем|е|и|ей|ям|ями|ях)",
    8: "август(?:а|у|ом|е|ы|ов|ам|ами|ах|)",
    9: "сентябр(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
    10: "октябр(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
    11: "ноябр(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
    12: "декабр(?:ь|я|ю|ём|ем|е|и|ей|ям|ями|ях)",
}
# A word is a run of Cyrillic letters, a number a run of digits: a form inside a longer one is none.
_NOT_LETTER_BEFORE, _NOT_LETTER_AFTER = r"(?<![а-яёА-ЯЁ])", r"(?![а-яёА-ЯЁ])"
_GAP = r"[^\S\n\r]*"  # tokens on one line, apart or not


def _month(name: str) -> str:
    return rf"{_NOT_LETTER_BEFORE}(?P<{name}>(?i:{'|'.join(_MONTH_FORMS.values())})){_NOT_LETTER_AFTER}"


# The month a form names, by its first letters ("мар" before "ма").
_MONTH_STARTS = (("янв", 1), ("фев", 2), ("мар", 3), ("апр", 4), ("ма", 5), ("июн", 6), ("июл", 7), ("авг", 8),
                 ("сен", 9), ("окт", 10), ("ноя", 11), ("дек", 12))


def _number(name: str, values: str) -> str:
    return rf"(?<!\d)0*(?P<{name}>{values})(?!\d)"


_DAY = "[1-9]|[12][0-9]|3[01]"
_YEAR = "1[0-9]{3}|20[0-9]{2}|2100"
# "г", "г." (lower case only) or a form of "год" ("году", "гг", and "лет", "летах", which the
# dictionary also lists under it).
_YEAR_WORD = (rf"{_NOT_LETTER_BEFORE}(?:г{_NOT_LETTER_AFTER}(?:{_GAP}\.)?|(?i:гг|год|года|году|годом|годе|годы|годов|"
              rf"годам|годами|годах|лет|лета|летам|летами|летах){_NOT_LETTER_AFTER})")
_TAIL = rf"(?:{_GAP}{_YEAR_WORD})?"

# The longest form first at each place: day month year, day.month.year, day month, month year, year.
RU_DATE = re.compile("|".join((
    rf"{_number('d1', _DAY)}{_GAP}{_month('a')}{_GAP}{_number('y1', _YEAR)}{_TAIL}",
    rf"{_number('d2', _DAY)}{_GAP}\.{_GAP}{_number('m2', '[1-9]|1[0-2]')}{_GAP}\.{_GAP}"
    rf"(?:{_number('y2', _YEAR)}|(?<!\d)(?P<yy2>[0-9]{{2}})(?!\d)){_TAIL}",
    rf"{_number('d3', _DAY)}{_GAP}{_month('b')}",
    rf"{_month('c')}{_GAP}{_number('y4', _YEAR)}{_TAIL}",
    rf"{_number('y5', _YEAR)}{_GAP}{_YEAR_WORD}",
)))


class RuDate(NamedTuple):
    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None


def _month_number(word: str) -> int:
    word = word.lower()
    return next(n for start, n in _MONTH_STARTS if word.startswith(start))


def find_ru_dates(text: str) -> Iterator[RuDate]:
    """The dates of `text`, left to right, without overlaps."""
    for m in RU_DATE.finditer(text):
        g = m.groupdict()
        day = g["d1"] or g["d2"] or g["d3"]
        year = g["y1"] or g["y2"] or g["y4"] or g["y5"]
        word = g["a"] or g["b"] or g["c"]
        month = int(g["m2"]) if g["m2"] else _month_number(word) if word else None
        yield RuDate(m.start(), m.end(), int(year) if year else 1900 + int(g["yy2"]) if g["yy2"] else None,
                     month, int(day) if day else None)
