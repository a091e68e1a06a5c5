"""Event dates: when the case's events happened, as ISO dates with a precision and a role.

The component `case_dates` writes `doc._.event_dates`: a list of dicts
{"iso", "precision" (day|month|year), "role", "text", "start", "end"}, and
`doc._.background_dates`, the same items for dates that are not events of the case: role
"background" (a ban of an organisation, a law, a founding, a birth year, a tally "since 2015", the
date of a statement, a citation) or, with "planned": true, a date still to come ("рассмотрение
начнется 26 мая", and the end of a term or a ban: "Until 2022, he will have to ...", "освободится в
2027 году"). Event roles: offence, detention, trial, verdict, appeal (from the nearest cue).

Dates without a year ("14 марта", "в июне", "on Monday") are resolved against `doc._.published`
(the latest such date on or before publication; "on Monday" in a Monday report is that day).
Without a publication date they are kept as "--MM-DD" or "--MM". Datelines ("АСТАНА, 12 марта —"),
publication stamps and page metadata are not dates of the case. Russian calendar dates come from
nlp.ru_dates, the rest from patterns here; cue words live in data/date_cues.json.

    >>> [(d["iso"], d["role"]) for d in find_dates("Его задержали 14 марта.", "ru")]
    [('--03-14', 'detention')]
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import Callable
from importlib import resources

from spacy.language import Language
from spacy.tokens import Doc

from nlp.ru_dates import find_ru_dates
from nlp.spans import ensure_extension, in_clutter_line, literal_alternation, sentence_bounds, text_of

EVENT_ROLES = ("offence", "detention", "trial", "verdict", "appeal")
BACKGROUND = "background"

MONTHS_EN = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
MONTHS_EN.update({k[:3]: v for k, v in list(MONTHS_EN.items())})
MONTHS_EN["sept"] = 9
WEEKDAYS_EN = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
WEEKDAYS_RU = {"понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4, "субботу": 5, "воскресенье": 6}
_MONTH_NAMES_EN = (r"January|February|March|April|May|June|July|August|September|October|November|December|"
                   r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
MONTH_EN = rf"(?P<mon>{_MONTH_NAMES_EN})\.?"
YEAR = r"(?P<year>(?:19[89]\d|20[0-4]\d))"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_EN_PREFIX = r"(?i:in|since|from|until|till|by|during|early|late|mid|mid-|of|between|and|through|or|before|after)"

EN_PATTERNS = [
    re.compile(rf"\b{MONTH_EN}\s+{_DAY}\b(?!\s*(?:[-–]|and)\s*\d)(?:,?\s+{YEAR})?\b"),
    re.compile(rf"\b(?<![-–]){_DAY}\s+(?:of\s+)?{MONTH_EN}(?:,?\s+{YEAR})?\b"),
    re.compile(rf"\b{MONTH_EN}(?:\s+of)?,?\s+{YEAR}\b"),
    re.compile(rf"\b{_EN_PREFIX}(?:\s+|(?<=mid)-){MONTH_EN}(?!\s*\d)\b"),
    re.compile(rf"\b(?i:in|since|during|from|until|till|by|of|early|late|mid-)\s+{YEAR}\b(?![-–]\d)"),
]
MONTHS_RU_PREP = {m: i for i, m in enumerate(
    ["январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
     "октябре", "ноябре", "декабре"], 1)}
MONTHS_RU_GEN = {m: i for i, m in enumerate(
    ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
     "октября", "ноября", "декабря"], 1)}
MONTHS_RU_ACC = {m: i for i, m in enumerate(
    ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
     "октябрь", "ноябрь", "декабрь"], 1)}
MONTHS_RU = {**MONTHS_RU_PREP, **MONTHS_RU_GEN, **MONTHS_RU_ACC}
# Month words as trees of shared beginnings (nlp.spans.literal_alternation): the same matches as the
# plain lists, tried far faster under re.I.
RU_MONTH_ANY = literal_alternation(sorted(MONTHS_RU, key=len, reverse=True))
_RU_MONTH_GEN = literal_alternation(sorted(MONTHS_RU_GEN, key=len, reverse=True))
_RU_MONTH_PREP = literal_alternation(sorted(MONTHS_RU_PREP, key=len, reverse=True))
_RU_YEAR_WORDS = r"\d{4}|прошлого|этого|текущего|нынешнего|минувшего|позапрошлого|т\.\s?г\."
# nlp.ru_dates needs a year or a day; "в апреле", "в начале сентября" come from here.
RU_BARE_MONTH = re.compile(
    rf"\b(?:(?:в|во|с|до|к|по)\s+(?P<mon>{_RU_MONTH_PREP})|"
    rf"(?:начал[еa]|конц[еa]|середин[еы]|с|до|после|от)\s+(?P<gen>{_RU_MONTH_GEN}))\b"
    rf"(?!\s+(?:{_RU_YEAR_WORDS}))", re.I)
REL_YEAR_RU = {"этого": 0, "текущего": 0, "нынешнего": 0, "т.г.": 0, "т. г.": 0, "прошлого": -1, "минувшего": -1,
               "позапрошлого": -2}
# "в марте этого года", "12 августа прошлого года", "19 октября т.г."
RU_REL_MONTH = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}})\s+)?(?P<mon>{RU_MONTH_ANY})\s+(?P<rel>этого|текущего|нынешнего|прошлого|минувшего|позапрошлого)\s+года\b"
    rf"|\b(?P<day2>\d{{1,2}})\s+(?P<mon2>{_RU_MONTH_GEN})\s+(?P<rel2>т\.\s?г\.)", re.I)
RU_REL_SEASON = re.compile(r"\b(?:весной|летом|осенью|зимой|в\s+начале|в\s+конце|в\s+середине)\s+(?P<rel>этого|текущего|нынешнего|прошлого|минувшего|позапрошлого)\s+года\b", re.I)
REL_YEAR_EN = {"this": 0, "last": -1}
EN_REL_MONTH = re.compile(rf"\b{MONTH_EN}(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?,?\s+(?P<rel>last|this)\s+year\b")
EN_LAST_MONTH = re.compile(rf"\b(?P<last>(?i:last|this))\s+{MONTH_EN}\b")
EN_REL_SEASON = re.compile(r"\b(?P<rel>last|this)\s+(?:year's\s+)?(?:spring|summer|autumn|fall|winter)(?:'s)?\b", re.I)
# Ranges of months: "в январе–феврале 2014 года", "с января по март", "between March and May 2019"
RU_MONTH_RANGE = re.compile(
    rf"\b(?P<m1>{RU_MONTH_ANY})\s*(?:[-–—]|\s(?:и|по|до)\s)\s*(?P<m2>{RU_MONTH_ANY})(?:\s+(?P<year>\d{{4}})\s*(?:года|г\.)?)?", re.I)
EN_MONTH_RANGE = re.compile(
    rf"\b(?P<m1>{_MONTH_NAMES_EN})\.?\s*(?:[-–—]|\s(?:and|to|through|until|till)\s)\s*(?P<m2>{_MONTH_NAMES_EN})\.?(?!\s+\d{{1,2}}\b(?!\d))(?:,?\s+{YEAR})?")
# Ranges of days: "16-17 December 2011", "22 и 23 ноября", "December 16-17", "с 24 ноября до 26 ноября 2008 года"
RU_DAY_RANGE = re.compile(
    rf"\b(?P<d1>\d{{1,2}})\s*(?:[-–—]|\sи\s)\s*(?P<d2>\d{{1,2}})\s+(?P<mon>{_RU_MONTH_GEN})(?:\s+(?P<year>\d{{4}}))?", re.I)
# "8-го сентября", which nlp.ru_dates does not read.
RU_ORDINAL_DAY = re.compile(rf"\b(?P<day>\d{{1,2}})-?го\s+(?P<mon>{_RU_MONTH_GEN})(?:\s+(?P<year>\d{{4}}))?", re.I)
# "в ночь с 10 на 11 марта": the night's first day.
RU_NIGHT = re.compile(rf"\bв\s+ночь\s+с\s+(?P<d1>\d{{1,2}})\s+на\s+\d{{1,2}}\s+(?P<mon>{_RU_MONTH_GEN})(?:\s+(?P<year>\d{{4}}))?", re.I)
RU_DAY_SPAN = re.compile(
    rf"\b(?:с|со)\s+(?P<d1>\d{{1,2}})\s+(?P<m1>{_RU_MONTH_GEN})\s+(?:до|по)\s+(?:[а-яё]+\s+)?"
    rf"(?P<d2>\d{{1,2}})\s+(?P<m2>{_RU_MONTH_GEN})\s+(?P<year>\d{{4}})", re.I)
EN_DAY_RANGE = re.compile(
    rf"\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:[-–—]|\sand\s|\sto\s)\s*(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+{MONTH_EN}(?:,?\s+{YEAR})?"
    rf"|\b(?P<mon2>{_MONTH_NAMES_EN})\.?\s+(?P<d3>\d{{1,2}})\s*(?:[-–—]|\sand\s|\sto\s)\s*(?P<d4>\d{{1,2}})\b(?:,?\s+(?P<year2>(?:19[89]\d|20[0-4]\d)))?")
# Periods: "в 2015–2016 годах", "in 2013-2014", "between 2015 and 2016", "с 2019 по 2021 год"
YEAR_RANGE = re.compile(r"\b(?:(?:с|from|between)\s+)?(?P<a>(?:19|20)\d\d)\s*(?:[-–—]|по|to|and|until)\s*(?P<b>(?:19|20)\d\d)\b", re.I)
NUMERIC = re.compile(r"\b(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b")
RELATIVE = {
    "en": [
        (re.compile(r"\byesterday\b", re.I), ("day", -1)),
        (re.compile(r"\btoday\b", re.I), ("day", 0)),
        (re.compile(r"\blast\s+year\b", re.I), ("year", -1)),
        (re.compile(r"\bthis\s+year\b", re.I), ("year", 0)),
        (re.compile(r"\blast\s+month\b", re.I), ("month", -1)),
        (re.compile(r"\b(?:(?P<on>on|last)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!'?s?\s+(?:prayer|sermon|service)|s)"), ("weekday", 0)),
    ],
    "ru": [
        (re.compile(r"\bпозавчера\b", re.I), ("day", -2)),
        (re.compile(r"\bвчера\b", re.I), ("day", -1)),
        (re.compile(r"\bсегодня\b", re.I), ("day", 0)),
        (re.compile(r"\bв\s+прошлом\s+году\b", re.I), ("year", -1)),
        (re.compile(r"\bв\s+(?:этом|текущем|нынешнем)\s+году\b", re.I), ("year", 0)),
        (re.compile(r"\bв\s+прошлом\s+месяце\b", re.I), ("month", -1)),
        (re.compile(r"\bв(?:о)?\s+(?P<on>прошл(?:ый|ую|ое)\s+|минувш(?:ий|ую|ее)\s+)?(?P<wd>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)\b", re.I), ("weekday", 0)),
    ],
}
# A date right after these is a publication stamp; a year after these names a law or plan.
STAMP = re.compile(r"(?:опубликовано|обновлено|дата\s+публикации|дата|published(?:\s+on)?|updated(?:\s+on)?|posted(?:\s+on)?|"
                   r"accessed|publication\s+date|date|issue\s+no\.?\s*\d+)\s*[:|,]?\s*$", re.I)
BYLINE = re.compile(r"\s*(?:by|from|source:?|автор:?)\s+[A-ZА-ЯЁ][^\n,:;.]{0,45}?,?\s*", re.I)
NOT_EVENT_YEAR = re.compile(r"(?:кодекс\w*|закон\w*|программ\w*|стратеги\w*|концепци\w*|code|law|act|program(?:me)?|strategy|plan|"
                            r"на\s+период|for)\s*(?:от\s+|of\s+)?(?:\d{1,2}\s+\w+\s+)?$", re.I)
# "Кодекс ... от 1997 года", "the Criminal Code of the Kyrgyz Republic of 1997", "Law No. 150 of 17 August 2005"
LEGAL_ACT_BEFORE = re.compile(r"(?:кодекс\w*|\bУК\b|закон\w*|указ\w*|постановлени\w*|приказ\w*|\bcode\b|\blaws?\b|decree|resolution|\bact\b)"
                              r"[^.;\n]{0,60}?(?:\bот|\bof|\bdated)\s*$", re.I)
LEGAL_ACT_AFTER = re.compile(r"^\s*(?:года|г\.)?\s*(?:No\.?|№|N)\s*\d", re.I)
BIRTH_AFTER = re.compile(r"^(?:\s*-?го)?(?:[\s,и-]+(?:19|20)\d\d(?:-?го)?)*\s*(?:г\.\s*р\b|(?:годов?|года|г\.)?\s*рождения)", re.I)
BIRTH_BEFORE = re.compile(r"(?:родивш\w+|родил\w*|born)\s+(?:в|in|on)?\s*$", re.I)
CITATION_AFTER = re.compile(r"^\s*\)?\s*[,;]?\s*(?:available\s+at:?\s*)?\(?https?://", re.I)
CITATION_BEFORE = re.compile(r"\(see\s+[^()\n]{0,30}$|\bcite\s+as\b[^\n]{0,200}$", re.I)
COPYRIGHT = re.compile(r"copyright|©|\(c\)|все\s+права\s+защищены|all\s+rights\s+reserved", re.I)
CLOCK = re.compile(r"\b[0-2]?\d:[0-5]\d\b")
# "АСТАНА, 12 марта —", "ALMATY, Kazakhstan, May 4 (Xinhua) --", "ALMATY (Sputnik - 26th March, 2020)"
DATELINE = re.compile(r"^\s*[A-ZА-ЯЁ][A-ZА-ЯЁ\-\s]{2,30}(?:\([^)]{0,40}\))?\s*[,.]?\s*[^.\n]{0,40}?\s*(?:—|–|-{1,2})\s", re.U)
LINE_DATELINE_CAPS = re.compile(r"\s*[A-ZА-ЯЁ]{3,}(?:[\s-]+[A-ZА-ЯЁ]{2,})*\s*(?:,\s*[A-ZА-ЯЁ][\w-]+)?\s*(?:\([^)\n]*)?[,.]?\s*")
LINE_DATELINE_CITY = re.compile(r"\s*[A-ZА-ЯЁ][a-zа-яё-]+(?:[\s-][A-ZА-ЯЁ][a-zа-яё-]+)?[.,]\s*")
LINE_DATELINE_AFTER = re.compile(r"^\s*(?:,?\s*(?:19|20)\d\d\s*(?:г\.|года)?)?\s*(?:\([^)\n]*\))?\s*(?:,\s*[A-ZА-ЯЁ][\w.-]*(?:\s+[A-ZА-ЯЁ][\w.-]*)?\s*)?"
                                 r"(?:[—–:]|-{1,2}|\.(?:\s|$))")
CAPS_DATELINE = re.compile(r"(?:^|[\s.!?])[A-ZА-ЯЁ]{3,}(?:[\s-][A-ZА-ЯЁ]{2,})*,\s*$")
PUBLISHED_ON = re.compile(r"\b(?:originally\s+)?(?:published|posted|опубликован\w*)\b[^.\n]{0,90}\b(?:on|в)\s*$", re.I)
WORD = re.compile(r"[^\W\d_]+")
# "when"/"когда" right after a date: the date of an event ("until March 2019, when he was detained").
PERIOD_EVENT_AFTER = re.compile(r"\s*,?\s*(?:when|когда)\b", re.I)
DATE_WORD = re.compile(rf"\b(?:(?:19|20)\d\d|{RU_MONTH_ANY}|{_MONTH_NAMES_EN})\b", re.I)


def _data(name: str) -> dict:
    return json.loads(resources.files("nlp").joinpath(f"data/{name}").read_text("utf-8"))


def _any(patterns, flags: int = re.I) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


@lru_cache(maxsize=2)
def _cues(lang: str) -> dict:
    """Compiled cue patterns of one language: a role's cues, speech, future, stamp words."""
    own, stages = _data("date_cues.json")[lang], _data("stage_cues.json")[lang]
    roles = {role: _any(stages[role]) for role in ("appeal", "verdict", "trial", "detention")}
    roles["offence"] = _any(own["offence"])
    roles[BACKGROUND] = _any(own[BACKGROUND])
    speech = re.compile(rf"(?:{'|'.join(own['speech'])})\b(?P<gap>[^.;:!?\n«\"“,]{{0,90}}?)$", re.I)
    # A date then at most three words and a verb of saying (not "сообщил о минировании", a hoax).
    speech_after = re.compile(rf"\s*,?\s*(?:[\w«»\"“”-]+\s+){{0,3}}?(?:{'|'.join(own['speech'])})\b(?!\s+(?:о|об|about|of)\s)", re.I)
    if lang == "en":
        # "In May, Omarova announced ...": capitals matter, so not case-insensitive.
        speech_after = _any(own["speech_after"], 0)
    return {"roles": roles, "speech": speech, "speech_after": speech_after, "future": _any(own["future"]),
            "tally": _any(own["tally"]), "stamp_words": set(own["stamp_words"]),
            "term_end": _any(own["term_end"]), "term": _any(own["term"])}


def _iso(year: int, month: int | None = None, day: int | None = None) -> tuple[str, str] | None:
    try:
        if day and month:
            return dt.date(year, month, day).isoformat(), "day"
    except ValueError:
        return None
    if month:
        return (f"{year:04d}-{month:02d}", "month") if 1 <= month <= 12 else None
    return f"{year:04d}", "year"


def _partial(month: int, day: int | None = None) -> tuple[str, str] | None:
    """A date whose year the text does not give and no publication date supplies: "--03-14"."""
    if day:
        return (f"--{month:02d}-{day:02d}", "day") if _iso(2000, month, day) else None  # 2000: 29 February exists
    return (f"--{month:02d}", "month") if 1 <= month <= 12 else None


def _infer_year(month: int, day: int | None, published: dt.date | None) -> int | None:
    """A month without a year is the latest such month on or before publication."""
    if published is None:
        return None
    later = month > published.month or (month == published.month and bool(day) and day > published.day)
    return published.year - 1 if later else published.year


def _resolve(month: int | None, day: int | None, published: dt.date | None,
             year: int | None = None, offset: int | None = None) -> tuple[str, str] | None:
    """(iso, precision) of a date: its own year, else a year relative to publication ("прошлого
    года"), else the latest such date before publication, else a partial "--MM(-DD)"."""
    if year is not None:
        return _iso(year, month, day)
    if month is None:
        return None
    if published is not None:
        return _iso(published.year + offset if offset is not None else _infer_year(month, day, published), month, day)
    return _partial(month, day)


def _relative(kind: str, offset: int, published: dt.date, weekday: int | None = None,
              last: bool = False) -> tuple[str, str]:
    if kind == "day":
        return (published + dt.timedelta(days=offset)).isoformat(), "day"
    if kind == "year":
        return f"{published.year + offset:04d}", "year"
    if kind == "month":
        month, year = published.month + offset, published.year
        if month < 1:
            month, year = month + 12, year - 1
        return f"{year:04d}-{month:02d}", "month"
    # "on Monday" in a report published on Monday is that day; "last Monday" is a week before.
    delta = (published.weekday() - weekday) % 7
    if last and delta == 0:
        delta = 7
    return (published - dt.timedelta(days=delta)).isoformat(), "day"


def _dateline_end(text: str) -> int:
    m = DATELINE.match(text[:120])
    return m.end() if m else 0


def _line(text: str, start: int, end: int) -> tuple[int, int]:
    line_end = text.find("\n", end)
    return text.rfind("\n", 0, start) + 1, len(text) if line_end < 0 else line_end


def _page_furniture(text: str, start: int, end: int, lang: str) -> bool:
    """Is the date a publication stamp, a byline, a dateline or a page's date widget?"""
    line_start, line_end = _line(text, start, end)
    prefix, suffix = text[line_start:start], text[end:line_end]
    if STAMP.search(text[max(0, start - 40):start]) or COPYRIGHT.search(text[line_start:line_end]):
        return True
    if PUBLISHED_ON.search(text[max(line_start, start - 120):start]):
        return True  # "originally published on the Russian page of ... on October 27, 2018"
    if CAPS_DATELINE.search(text[max(0, start - 40):start]) and LINE_DATELINE_AFTER.match(suffix):
        return True  # "... Police Station ALMATY, July 19 - Kazakh police ..."
    if BYLINE.fullmatch(prefix) or LINE_DATELINE_CAPS.fullmatch(prefix):
        return True
    if LINE_DATELINE_CITY.fullmatch(prefix) and LINE_DATELINE_AFTER.match(suffix):
        return True
    rest = prefix + " " + suffix
    words = WORD.findall(CLOCK.sub(" ", rest))
    if CLOCK.search(text[max(line_start, start - 12):min(line_end, end + 16)]) and len(words) <= 8:
        return True  # "28 ноября 2016 14:24", "22:33, 17 мая 2024, Бишкек"
    # A line of names, weekdays and stamp words around the date: "Associated Press, July 8, 2002"
    stamp_words = _cues(lang)["stamp_words"]
    return len(words) <= 6 and all(w[0].isupper() or w.lower() in stamp_words or len(w) <= 2 for w in words)


def _after(iso: str, published: dt.date | None) -> bool:
    """A date after publication is a plan or the page's furniture, not an event of the report."""
    # A year of margin: pages are updated after they are first published.
    return published is not None and not iso.startswith("--") and int(iso[:4]) > published.year + 1


def _forward(value: tuple[str, str], published: dt.date | None) -> tuple[str, str]:
    """A planned date without a year ("рассмотрение начнется 26 мая") is the next such date."""
    iso, precision = value
    if published is None or iso.startswith("--") or iso >= published.isoformat()[:len(iso)]:
        return value
    return f"{int(iso[:4]) + 1:04d}{iso[4:]}", precision


def _future(text: str, start: int, end: int, lang: str) -> bool:
    s, _ = sentence_bounds(text, start)
    return bool(_cues(lang)["future"].search(text[max(s, start - 60):start])) or _term_end(text, start, end, lang)


def _term_end(text: str, start: int, end: int, lang: str) -> bool:
    """"Until 2022, he will have to live under scrutiny", "запрет действует по 2026 год": the end of
    a term or a ban, a date still to come. Not the end of a period that starts with another date
    ("from 2015 until 2018", "с 2019 по 2021 год"), nor a date followed by its event ("until March,
    when he was detained")."""
    cues = _cues(lang)
    s, e = sentence_bounds(text, start)
    prep = cues["term_end"].search(text[max(s, start - 12):start])
    if not prep:
        return False
    prep_start = max(s, start - 12) + prep.start()
    if DATE_WORD.search(text[max(s, prep_start - 30):prep_start]) or PERIOD_EVENT_AFTER.match(text, end):
        return False
    return bool(cues["term"].search(text, s, e))


def _speech(text: str, start: int, end: int, lang: str) -> bool:
    """"the court said on Tuesday", "told reporters on July 20", "рассказали в суде 5 марта":
    the date of a statement, not of an event."""
    cues = _cues(lang)
    if cues["speech_after"].match(text, end):
        return True  # "Об этом 6 июня сообщили", "30 марта муфтият сообщал, что", "In May, X announced"
    s, _ = sentence_bounds(text, start)
    m = cues["speech"].search(text[max(s, start - 120):start])
    if not m:
        return False
    gap = m.group("gap")
    if re.search(r"\b(?:that|he|she|they|it|was|were|had|been|when|что|как|когда|он|она|они|был\w*)\b|\b\w+ed\b|\b[а-яё]+(?:л|ла|ли|ло)\b", gap, re.I):
        return False  # "said the court handed down the decision on August 19": the date is what was said
    return not re.match(r"\s+(?:\w+ed|increased|upheld|sentenced|found|gave|handed|ruled)\b", text[end:end + 20])


def _role(text: str, start: int, end: int, lang: str, year_only: bool) -> str:
    before, after = text[max(0, start - 60):start], text[end:end + 40]
    years = list(re.finditer(r"\d{4}", text[start:end]))
    if years and BIRTH_AFTER.match(text[start + years[-1].end():end + 40]):
        return BACKGROUND
    if BIRTH_AFTER.match(after) or BIRTH_BEFORE.search(before) or LEGAL_ACT_AFTER.match(after):
        return BACKGROUND
    if CITATION_AFTER.match(after) or CITATION_BEFORE.search(text[max(0, start - 240):start]):
        return BACKGROUND
    if (year_only and NOT_EVENT_YEAR.search(before)) or LEGAL_ACT_BEFORE.search(before):
        return BACKGROUND
    if _speech(text, start, end, lang):
        return BACKGROUND
    s, e = sentence_bounds(text, start)
    if re.search(r"\b(?:since|с|со)\s+$", before, re.I) and _cues(lang)["tally"].search(text, s, e):
        return BACKGROUND  # "Since August, several members have been arrested": a count, not this case
    # Otherwise the nearest cue in the sentence names the event.
    best, role = None, None
    for name, pattern in _cues(lang)["roles"].items():
        for m in pattern.finditer(text, s, e):
            if m.start() < end and m.end() > start:
                continue
            between = text[m.end():start] if m.end() <= start else text[end:m.start()]
            if DATE_WORD.search(between):
                continue  # another date is nearer to this cue: "запрещена с 2013 года, с марта 2018 года"
            # English puts the verb before its date; a cue after the date counts a little farther.
            distance = start - m.end() if m.end() <= start else (m.start() - end) * (1.5 if lang == "en" else 1) + 5
            if best is None or distance < best:
                best, role = distance, name
    if role == BACKGROUND and best > 60:
        role = None
    return role or "offence"


def find_dates(text: str, lang: str, published: dt.date | None = None) -> list[dict]:
    """Dated events of the text: [{"iso", "precision", "role", "text", "start", "end"}]."""
    return find_all_dates(text, lang, published)[0]


def find_all_dates(text: str, lang: str, published: dt.date | None = None,
                   frame_of: Callable[[int], int] | None = None) -> tuple[list[dict], list[dict]]:
    """(event dates, background dates) of the text, each item as `find_dates` gives it; `frame_of`
    (a character offset -> its case frame) keeps one case's dates from hiding another's."""
    lang = "en" if lang == "en" else "ru"
    skip_until = _dateline_end(text)
    # Each candidate: (start, end, parts); parts are (start, end, (iso, precision), kind) with kind
    # "date", "year" (a bare year), "relyear" (a year only relative to publication) or "weekday".
    candidates: list[tuple[int, int, list]] = []

    def add(start: int, end: int, value, kind: str = "date", parts: list | None = None) -> None:
        if parts is None:
            if value is None:
                return
            parts = [(start, end, value, kind)]
        parts = [p for p in parts if p[2] is not None]
        if parts:
            candidates.append((start, end, parts))

    for m in NUMERIC.finditer(text):
        add(m.start(), m.end(), _iso(int(m.group("year")), int(m.group("mon")), int(m.group("day"))))
    if lang == "ru":
        for match in find_ru_dates(text):
            year, month, day = match.year, match.month, match.day
            tail, head = text[match.end:match.end + 3], text[max(0, match.start - 3):match.start]
            if month is None and (re.match(r"\s*[-–]\s*\d", tail) or re.search(r"\d\s*[-–]\s*$", head)):
                continue  # a period: YEAR_RANGE below takes it
            add(match.start, match.end, _resolve(month, day, published, year), "year" if month is None else "date")
        for m in RU_BARE_MONTH.finditer(text):
            word = (m.group("mon") or m.group("gen")).lower()
            start = m.start("mon") if m.group("mon") else m.start("gen")
            add(start, m.end(), _resolve(MONTHS_RU[word], None, published))
        for m in RU_REL_MONTH.finditer(text):
            word = (m.group("mon") or m.group("mon2")).lower()
            day = m.group("day") or m.group("day2")
            rel = (m.group("rel") or m.group("rel2")).lower().replace(" ", "")
            add(m.start(), m.end(), _resolve(MONTHS_RU[word], int(day) if day else None, published, offset=REL_YEAR_RU[rel]))
        for m in RU_MONTH_RANGE.finditer(text):
            year = int(m.group("year")) if m.group("year") else None
            a, b = MONTHS_RU[m.group("m1").lower()], MONTHS_RU[m.group("m2").lower()]
            if a >= b:
                continue
            add(m.start(), m.end(), None, parts=[(m.start("m1"), m.end("m1"), _resolve(a, None, published, year), "date"),
                                                 (m.start("m2"), m.end(), _resolve(b, None, published, year), "date")])
        for m in RU_DAY_RANGE.finditer(text):
            year = int(m.group("year")) if m.group("year") else None
            month = MONTHS_RU[m.group("mon").lower()]
            add(m.start(), m.end(), None, parts=[(m.start("d1"), m.end("d1"), _resolve(month, int(m.group("d1")), published, year), "date"),
                                                 (m.start("d2"), m.end(), _resolve(month, int(m.group("d2")), published, year), "date")])
        for m in RU_ORDINAL_DAY.finditer(text):
            year = int(m.group("year")) if m.group("year") else None
            add(m.start(), m.end(), _resolve(MONTHS_RU[m.group("mon").lower()], int(m.group("day")), published, year))
        for m in RU_NIGHT.finditer(text):
            year = int(m.group("year")) if m.group("year") else None
            add(m.start(), m.end(), _resolve(MONTHS_RU[m.group("mon").lower()], int(m.group("d1")), published, year))
        for m in RU_DAY_SPAN.finditer(text):
            year = int(m.group("year"))
            m1, m2 = MONTHS_RU[m.group("m1").lower()], MONTHS_RU[m.group("m2").lower()]
            add(m.start("d1"), m.end(), None, parts=[
                (m.start("d1"), m.end("m1"), _iso(year - (m1 > m2), m1, int(m.group("d1"))), "date"),
                (m.start("d2"), m.end(), _iso(year, m2, int(m.group("d2"))), "date")])
    else:
        for pattern in EN_PATTERNS:
            for m in pattern.finditer(text):
                groups = m.groupdict()
                month = MONTHS_EN.get((groups.get("mon") or "").lower().rstrip("."))
                day = int(groups["day"]) if groups.get("day") else None
                year = int(groups["year"]) if groups.get("year") else None
                if day is not None and not 1 <= day <= 31:
                    continue
                if month == 5 and day is None and year is None and not re.match(r"(?i:in|since|until|by|during|early|late|mid)\b", m.group(0)):
                    continue  # "may" as a verb
                start = m.start("mon") if groups.get("mon") and m.start("mon") < (m.start("day") if day else 10**9) else m.start()
                if month is None:
                    start = m.start("year")
                add(start, m.end(), _resolve(month, day, published, year), "year" if month is None else "date")
        for m in EN_REL_MONTH.finditer(text):
            month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
            day = int(m.group("day")) if m.group("day") else None
            add(m.start(), m.end(), _resolve(month, day, published, offset=REL_YEAR_EN[m.group("rel").lower()]))
        for m in EN_LAST_MONTH.finditer(text):
            month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
            if published is None:
                add(m.start(), m.end(), _partial(month))
                continue
            year = published.year
            if m.group("last").lower() == "last" and month >= published.month:
                year -= 1  # "last August" in a May report
            add(m.start(), m.end(), _iso(year, month))
        for m in EN_MONTH_RANGE.finditer(text):
            year = int(m.group("year")) if m.group("year") else None
            a, b = MONTHS_EN[m.group("m1").lower()], MONTHS_EN[m.group("m2").lower()]
            if a >= b or (year is None and not re.search(r"(?i:between|from|in|during|since)\s+$", text[max(0, m.start() - 9):m.start()])):
                continue  # "March and may" without a preposition or year is no range
            add(m.start(), m.end(), None, parts=[(m.start("m1"), m.end("m1"), _resolve(a, None, published, year), "date"),
                                                 (m.start("m2"), m.end(), _resolve(b, None, published, year), "date")])
        for m in EN_DAY_RANGE.finditer(text):
            if m.group("d1"):
                d1, d2, month = int(m.group("d1")), int(m.group("d2")), MONTHS_EN[m.group("mon").lower().rstrip(".")]
                year = int(m.group("year")) if m.group("year") else None
                first = (m.start("d1"), m.end("d1"))
            else:
                d1, d2, month = int(m.group("d3")), int(m.group("d4")), MONTHS_EN[m.group("mon2").lower()]
                year = int(m.group("year2")) if m.group("year2") else None
                first = (m.start("mon2"), m.end("d3"))
            if not (1 <= d1 < d2 <= 31):
                continue
            add(m.start(), m.end(), None, parts=[(*first, _resolve(month, d1, published, year), "date"),
                                                 (first[1] + 1, m.end(), _resolve(month, d2, published, year), "date")])
    for m in YEAR_RANGE.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        if not 0 < b - a <= 10:
            continue
        before = text[max(0, m.start() - 40):m.start()]
        if re.search(r"программ|стратеги|program|strategy|plan", before, re.I):
            continue
        add(m.start(), m.end(), None, parts=[(m.start("a"), m.end("a"), _iso(a), "year"), (m.start("b"), m.end(), _iso(b), "year")])
    if published is not None:
        season = RU_REL_SEASON if lang == "ru" else EN_REL_SEASON
        offsets = REL_YEAR_RU if lang == "ru" else REL_YEAR_EN
        for m in season.finditer(text):
            add(m.start(), m.end(), _iso(published.year + offsets[m.group("rel").lower()]), "relyear")
    for pattern, (kind, offset) in RELATIVE[lang]:
        for m in pattern.finditer(text):
            if published is None:
                continue  # no month to keep: "on Monday", "в прошлом году" say nothing without a date
            weekday, last = None, False
            if kind == "weekday":
                word = m.group("wd").lower()
                weekday = WEEKDAYS_EN.get(word, WEEKDAYS_RU.get(word))
                last = bool(m.group("on")) and m.group("on").strip().lower() != "on"
                if re.search(r"(?i:next|every|each|this\s+coming|following)\s+$", text[max(0, m.start() - 16):m.start()]):
                    continue
            add(m.start(), m.end(), _relative(kind, offset, published, weekday, last),
                {"weekday": "weekday", "day": "relday", "year": "relyear"}.get(kind, "date"))
    return _select(text, lang, candidates, skip_until, published, frame_of)


def _select(text: str, lang: str, candidates: list, skip_until: int, published: dt.date | None,
            frame_of: Callable[[int], int] | None = None) -> tuple[list[dict], list[dict]]:
    # Overlaps: keep the longest (most specific) match at each place.
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    flat, last_end = [], -1
    for start, end, parts in candidates:
        if start < last_end:
            continue
        last_end = end
        flat += [list(p) for p in parts]
    # A weekday next to a date is that date: "в понедельник, 8 октября", "Thursday, 16 October 2003".
    dates = [p for p in flat if p[3] not in ("weekday", "relday")]
    for wd in [p for p in flat if p[3] in ("weekday", "relday")]:
        after = next((p for p in dates if p[0] >= wd[1] and re.fullmatch(r"[\s,(]{0,3}", text[wd[1]:p[0]])), None)
        if after is not None:
            after[0] = wd[0]
            flat.remove(wd)
        elif any(p[1] <= wd[0] and re.fullmatch(r"[\s,()]{0,3}", text[p[1]:wd[0]]) for p in dates):
            flat.remove(wd)
    items = []
    for start, end, value, kind in flat:
        if start < skip_until or in_clutter_line(text, start) or _page_furniture(text, start, end, lang):
            continue
        planned = _future(text, start, end, lang)
        if planned:
            value = value if kind != "date" or re.search(r"\d{4}", text[start:end]) else _forward(value, published)
        elif _after(value[0], published):
            continue
        item = {"iso": value[0], "precision": value[1], "role": _role(text, start, end, lang, kind in ("year", "relyear")),
                "text": text[start:end], "start": start, "end": end}
        if planned:
            item["planned"] = True
        items.append(item)
    events = [d for d in items if d["role"] != BACKGROUND and not d.get("planned")]
    # A year adds nothing beside a finer date of that year ("in 2016" ... "on 30 August 2016"), a
    # partial date nothing beside the full one ("(21 ноября)" ... "21 ноября 2008 года").
    full = {d["iso"] for d in events if not d["iso"].startswith("--")}
    finer = {iso[:4] for iso in full if len(iso) > 4} | {"-" + iso[4:] for iso in full}
    # A month the text gives without its year adds nothing beside a day of it in the same case
    # ("last August" ... "the August 30 attack").
    frame = frame_of or (lambda _: 0)
    days = {(frame(d["start"]), d["iso"][:-3] if d["iso"].startswith("--") else "--" + d["iso"][5:7])
            for d in events if d["precision"] == "day"}
    days |= {(f, iso) for f, short in days for iso in [d["iso"] for d in events if "-" + d["iso"][4:] == short]}
    events = [d for d in events if not (d["precision"] == "month" and not re.search(r"\d{4}", d["text"])
                                        and (frame(d["start"]), d["iso"]) in days)]
    events = [d for d in events if d["iso"] not in finer]
    return _unique(events), _unique([d for d in items if d["role"] == BACKGROUND or d.get("planned")])


def _unique(items: list[dict]) -> list[dict]:
    seen: set[str] = set()
    return [d for d in items if not (d["iso"] in seen or seen.add(d["iso"]))]


def parse_published(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@Language.factory("case_dates")
def make_case_dates(nlp: Language, name: str):
    ensure_extension("event_dates", default=None)
    ensure_extension("background_dates", default=None)
    ensure_extension("published", default=None)
    lang = nlp.lang

    def case_dates(doc: Doc) -> Doc:
        published = parse_published(doc._.published)
        frames = doc._.frames if Doc.has_extension("frames") else None
        frame_of = (lambda pos: next((f.index for f in frames[1:] if f.contains(pos)), 0)) if frames and len(frames) > 1 else None
        doc._.event_dates, doc._.background_dates = find_all_dates(text_of(doc), lang, published, frame_of)
        return doc

    return case_dates
