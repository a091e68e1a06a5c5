"""Event dates: when the case's events happened, as ISO dates with a precision.

The component `case_dates` writes `doc._.event_dates`: a list of dicts
{"iso", "precision" (day|month|year), "text", "start", "end"}. Relative dates ("в прошлом
году", "on Tuesday", "yesterday") are resolved against `doc._.published` when it is set.
Datelines ("АСТАНА, 12 марта —"), publication stamps and the years of laws or programmes are
not events. Russian dates come from Natasha's DatesExtractor; English ones from patterns here.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from nlp.spans import ensure_extension, in_clutter_line

MONTHS_EN = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
MONTHS_EN.update({k[:3]: v for k, v in list(MONTHS_EN.items())})
MONTHS_EN["sept"] = 9
WEEKDAYS_EN = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
WEEKDAYS_RU = {"понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4, "субботу": 5, "воскресенье": 6}
MONTH_EN = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|" \
           r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
YEAR = r"(?P<year>(?:19[89]\d|20[0-4]\d))"

EN_PATTERNS = [
    re.compile(rf"\b{MONTH_EN}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+{YEAR})?\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_EN}(?:,?\s+{YEAR})?\b"),
    re.compile(rf"\b{MONTH_EN}(?:\s+of)?,?\s+{YEAR}\b"),
    re.compile(rf"\b(?:in|since|from|until|till|by|during|early|late|mid|mid-|last|this|of|between|and|through)\s+{MONTH_EN}(?!\s*\d)\b"),
    re.compile(rf"\b(?:in|since|during|from|until|by|of|early|late|mid-)\s+{YEAR}\b(?![-–]\d)"),
]
MONTHS_RU_PREP = {m: i for i, m in enumerate(
    ["январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
     "октябре", "ноябре", "декабре"], 1)}
# Natasha needs a year or a day; "в апреле" alone is resolved against the publication date.
RU_BARE_MONTH = re.compile(r"\b(?:в|во|с|до|к|начале|конце|середине)\s+(?P<mon>" + "|".join(MONTHS_RU_PREP) + r")\b(?!\s+(?:\d{4}|прошлого|этого|текущего))", re.I)
MONTHS_RU_GEN = {m: i for i, m in enumerate(
    ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
     "октября", "ноября", "декабря"], 1)}
RU_MONTH_ANY = "|".join(list(MONTHS_RU_PREP) + list(MONTHS_RU_GEN))
REL_YEAR_RU = {"этого": 0, "текущего": 0, "нынешнего": 0, "прошлого": -1, "минувшего": -1, "позапрошлого": -2}
# "в марте этого года", "12 августа прошлого года", "весной прошлого года"
RU_REL_MONTH = re.compile(rf"\b(?:(?P<day>\d{{1,2}})\s+)?(?P<mon>{RU_MONTH_ANY})\s+(?P<rel>{'|'.join(REL_YEAR_RU)})\s+года\b", re.I)
RU_REL_SEASON = re.compile(rf"\b(?:весной|летом|осенью|зимой|в\s+начале|в\s+конце|в\s+середине)\s+(?P<rel>{'|'.join(REL_YEAR_RU)})\s+года\b", re.I)
REL_YEAR_EN = {"this": 0, "last": -1}
EN_REL_MONTH = re.compile(rf"\b{MONTH_EN}(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?\s+(?P<rel>last|this)\s+year\b")
EN_LAST_MONTH = re.compile(rf"\b(?P<last>last|this)\s+{MONTH_EN}\b")
EN_REL_SEASON = re.compile(r"\b(?P<rel>last|this)\s+(?:year's\s+)?(?:spring|summer|autumn|fall|winter)(?:'s)?\b", re.I)
# Periods: "в 2015–2016 годах", "in 2013-2014", "between 2015 and 2016", "с 2019 по 2021 год"
YEAR_RANGE = re.compile(r"\b(?:(?:с|from|between)\s+)?(?P<a>(?:19|20)\d\d)\s*(?:[-–—]|по|to|and|until)\s*(?P<b>(?:19|20)\d\d)\b", re.I)
FUTURE = re.compile(r"начн[её]тся|состоится|пройд[её]т|назначен\w*\s+на|будет|will|is\s+due|scheduled|are\s+due|next", re.I)
NUMERIC = re.compile(r"\b(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b")
RELATIVE = {
    "en": [
        (re.compile(r"\byesterday\b", re.I), ("day", -1)),
        (re.compile(r"\btoday\b", re.I), ("day", 0)),
        (re.compile(r"\blast\s+year\b", re.I), ("year", -1)),
        (re.compile(r"\bthis\s+year\b", re.I), ("year", 0)),
        (re.compile(r"\blast\s+month\b", re.I), ("month", -1)),
        (re.compile(r"\b(?:on|last)\s+(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.I), ("weekday", 0)),
    ],
    "ru": [
        (re.compile(r"\bпозавчера\b", re.I), ("day", -2)),
        (re.compile(r"\bвчера\b", re.I), ("day", -1)),
        (re.compile(r"\bсегодня\b", re.I), ("day", 0)),
        (re.compile(r"\bв\s+прошлом\s+году\b", re.I), ("year", -1)),
        (re.compile(r"\bв\s+(?:этом|текущем|нынешнем)\s+году\b", re.I), ("year", 0)),
        (re.compile(r"\bв\s+прошлом\s+месяце\b", re.I), ("month", -1)),
        (re.compile(r"\bв(?:о)?\s+(?:прошл(?:ый|ую|ое)\s+|минувш(?:ий|ую|ее)\s+)?(?P<wd>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)\b", re.I), ("weekday", 0)),
    ],
}
# A date right after these is a publication stamp; a year after these names a law or plan.
STAMP = re.compile(r"(?:опубликовано|обновлено|дата публикации|published|updated|posted)\s*:?\s*$", re.I)
NOT_EVENT_YEAR = re.compile(r"(?:кодекс\w*|закон\w*|программ\w*|стратеги\w*|концепци\w*|code|law|act|program(?:me)?|strategy|plan|"
                            r"на\s+период|for)\s*(?:от\s+|of\s+)?(?:\d{1,2}\s+\w+\s+)?$", re.I)
# "АСТАНА, 12 марта —", "ALMATY (Reuters) –", "ПАВЛОДАР. КАЗИНФОРМ —"
DATELINE = re.compile(r"^\s*[A-ZА-ЯЁ][A-ZА-ЯЁ\-\s]{2,30}(?:\([^)]{0,40}\))?\s*[,.]?\s*[^.\n]{0,40}?\s*(?:—|–|-{1,2})\s", re.U)


@lru_cache(maxsize=1)
def _natasha_dates():
    from natasha import DatesExtractor, MorphVocab
    return DatesExtractor(MorphVocab())


# Natasha's parser is slow on long texts: run it only on windows around what may be a date.
DATE_HINT = re.compile(r"\d{4}|\d{1,2}\.\d{1,2}\.|январ|феврал|март|апрел|\bма[йяе]\b|июн|июл|август|сентябр|октябр|ноябр|декабр", re.I)


def _natasha_matches(text: str):
    windows: list[list[int]] = []
    for m in DATE_HINT.finditer(text):
        start, end = max(0, m.start() - 40), min(len(text), m.end() + 40)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    extractor = _natasha_dates()
    for start, end in windows:
        for match in extractor(text[start:end]):
            match.start += start
            match.stop += start
            yield match


def _iso(year: int, month: int | None = None, day: int | None = None) -> tuple[str, str] | None:
    try:
        if day and month:
            return dt.date(year, month, day).isoformat(), "day"
    except ValueError:
        return None
    if month:
        return (f"{year:04d}-{month:02d}", "month") if 1 <= month <= 12 else None
    return f"{year:04d}", "year"


def _infer_year(month: int, day: int | None, published: dt.date | None, future: bool = False) -> int | None:
    """A month without a year is the latest such month not after publication (or, in a
    sentence about what will happen, the next one)."""
    if published is None:
        return None
    year = published.year
    later = month > published.month or (month == published.month and bool(day) and day > published.day)
    earlier = month < published.month or (month == published.month and bool(day) and day < published.day)
    if later and not future:
        year -= 1
    elif earlier and future:
        year += 1
    return year


def _future(text: str, start: int) -> bool:
    from nlp.spans import sentence_bounds
    s, e = sentence_bounds(text, start)
    return bool(FUTURE.search(text[s:e]))


def _relative(kind: str, offset: int, published: dt.date, weekday: int | None = None) -> tuple[str, str]:
    if kind == "day":
        return (published + dt.timedelta(days=offset)).isoformat(), "day"
    if kind == "year":
        return f"{published.year + offset:04d}", "year"
    if kind == "month":
        month, year = published.month + offset, published.year
        if month < 1:
            month, year = month + 12, year - 1
        return f"{year:04d}-{month:02d}", "month"
    delta = (published.weekday() - weekday) % 7 or 7  # "on Tuesday" in a Tuesday report means last week
    return (published - dt.timedelta(days=delta)).isoformat(), "day"


def _dateline_end(text: str) -> int:
    m = DATELINE.match(text[:120])
    return m.end() if m else 0


def find_dates(text: str, lang: str, published: dt.date | None = None) -> list[dict]:
    lang = "en" if lang == "en" else "ru"
    skip_until = _dateline_end(text)
    candidates: list[tuple[int, int, tuple[str, str] | None]] = []

    def add(start: int, end: int, value: tuple[str, str] | None, is_year_only: bool = False) -> None:
        if start < skip_until or value is None or in_clutter_line(text, start):
            return
        before = text[max(0, start - 40):start]
        if STAMP.search(before):
            return
        if is_year_only and NOT_EVENT_YEAR.search(before):
            return
        candidates.append((start, end, value))

    for m in NUMERIC.finditer(text):
        add(m.start(), m.end(), _iso(int(m.group("year")), int(m.group("mon")), int(m.group("day"))))
    if lang == "ru":
        for match in _natasha_matches(text):
            fact = match.fact
            year, month, day = fact.year, fact.month, fact.day
            if year is None and month:
                year = _infer_year(month, day, published, _future(text, match.start))
            if year is None:
                continue
            tail, head = text[match.stop:match.stop + 3], text[max(0, match.start - 3):match.start]
            if month is None and (re.match(r"\s*[-–]\s*\d", tail) or re.search(r"\d\s*[-–]\s*$", head)):
                continue  # a period: YEAR_RANGE below takes it
            add(match.start, match.stop, _iso(year, month, day), is_year_only=month is None)
        for m in RU_BARE_MONTH.finditer(text):
            month = MONTHS_RU_PREP[m.group("mon").lower()]
            year = _infer_year(month, None, published)
            if year is not None:
                add(m.start(), m.end(), _iso(year, month))
    else:
        for pattern in EN_PATTERNS:
            for m in pattern.finditer(text):
                groups = m.groupdict()
                month = MONTHS_EN.get((groups.get("mon") or "").lower().rstrip("."))
                day = int(groups["day"]) if groups.get("day") else None
                year = int(groups["year"]) if groups.get("year") else None
                if month == 5 and day is None and year is None and not re.match(r"(?:in|since|until|by|during|early|late|mid)", m.group(0), re.I):
                    continue  # "may" as a verb
                if year is None:
                    if month is None:
                        continue
                    year = _infer_year(month, day, published, _future(text, m.start()))
                    if year is None:
                        continue
                start = m.start("mon") if groups.get("mon") and m.start("mon") < (m.start("day") if day else 10**9) else m.start()
                add(start, m.end(), _iso(year, month, day), is_year_only=month is None)
    for m in YEAR_RANGE.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        if not 0 < b - a <= 10:
            continue
        before = text[max(0, m.start() - 40):m.start()]
        if NOT_EVENT_YEAR.search(before) or re.search(r"программ|стратеги|program|strategy|plan", before, re.I):
            continue
        add(m.start("a"), m.end("a"), _iso(a), is_year_only=True)
        add(m.start("b"), m.end(), _iso(b), is_year_only=True)
    if published is not None:
        rel_patterns = ((RU_REL_MONTH, RU_REL_SEASON, REL_YEAR_RU) if lang == "ru"
                        else (EN_REL_MONTH, EN_REL_SEASON, REL_YEAR_EN))
        month_pat, season_pat, offsets = rel_patterns
        for m in month_pat.finditer(text):
            word = m.group("mon").lower().rstrip(".")
            month = MONTHS_RU_PREP.get(word) or MONTHS_RU_GEN.get(word) or MONTHS_EN.get(word)
            day = int(m.group("day")) if m.group("day") else None
            add(m.start(), m.end(), _iso(published.year + offsets[m.group("rel").lower()], month, day))
        if lang == "en":
            for m in EN_LAST_MONTH.finditer(text):
                month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
                year = published.year
                if m.group("last").lower() == "last" and month >= published.month:
                    year -= 1  # "last August" in a May report
                add(m.start(), m.end(), _iso(year, month))
        for m in season_pat.finditer(text):
            add(m.start(), m.end(), _iso(published.year + offsets[m.group("rel").lower()]))
        for pattern, (kind, offset) in RELATIVE[lang]:
            for m in pattern.finditer(text):
                weekday = None
                if kind == "weekday":
                    word = m.group("wd").lower()
                    weekday = WEEKDAYS_EN.get(word, WEEKDAYS_RU.get(word))
                add(m.start(), m.end(), _relative(kind, offset, published, weekday))
    # Overlaps: keep the longest (most specific) match at each place.
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    out, last_end, seen = [], -1, set()
    for start, end, (iso, precision) in candidates:
        if start < last_end:
            continue
        last_end = end
        if iso in seen:
            continue
        seen.add(iso)
        out.append({"iso": iso, "precision": precision, "text": text[start:end], "start": start, "end": end})
    return out


def parse_published(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value))
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


@Language.factory("case_dates")
def make_case_dates(nlp: Language, name: str):
    ensure_extension("event_dates", default=None)
    ensure_extension("published", default=None)
    lang = nlp.lang

    def case_dates(doc: Doc) -> Doc:
        doc._.event_dates = find_dates(doc.text, lang, parse_published(doc._.published))
        return doc

    return case_dates
