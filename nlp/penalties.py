"""Penalties imposed by a court: kind, min and max years, regime, confiscation.

The component `case_penalties` writes `doc._.penalties`: a list of dicts
{"kind", "min_years", "max_years", "regime", "confiscation", "applies_to", "text", "start", "end"}.
A term counts only when the nearest cue before it in its sentence says a court imposed it
("приговорил", "sentenced"), not that a law allows it ("грозит", "punishable by") or that a
prosecutor asked for it ("запросил", "sought"). Cue words live in data/penalty_cues.json.

The terms of one kind in one case are one range: "7 and 9 years" for two defendants, or "10 years"
for the leaders and "between 5 1/2 and 9" for the others, is min 5.5, max 10 (the labelling guide:
"from 4 to 8 years for a group"). When the report's case frames are known (`doc._.frames`), terms
are merged within each frame only, so another case's term stays apart. Kinds: prison,
restricted_freedom, suspended, life, death, fine, other; a ban on an activity ("запрет заниматься
... на 3 года"), community or correctional work and loss of citizenship are each their own "other".

    >>> [(p["kind"], p["min_years"], p["max_years"]) for p in find_penalties(
    ...     "Суд приговорил двоих к 7 и 9 годам лишения свободы. Прокурор просил 12 лет.", "ru")]
    [('prison', 7, 9)]
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Callable

from spacy.language import Language
from spacy.tokens import Doc

from nlp.numbers import as_int_or_float, cardinal_pattern, to_number
from nlp.spans import ensure_extension, sentence_bounds, text_of

# Finite forms that say a court imposed a term (not "приговорить", "to sentence").
IMPOSED = {
    "ru": r"приговорил|приговорен|приговорён|приговором|осудил|осужден|осуждён|назначил|назначен|получил|получит|"
          r"вынес|смягчил|оставил|заменил|определил|отбывать|отбудет|присудил|лишил|проведет|проведёт|проведут|"
          r"\bдали\b|\bдал\b|запретил|запрещено\s+заним|изменил|увеличил|ужесточил|постановил|приговор\b",
    "en": r"sentenced|sentencing|jailed|convicted|gave|given|handed|received|receives|got|imprisoned|upheld|reduced|"
          r"commuted|ordered|found\s+guilty|must\s+serve|will\s+serve|to\s+serve|were\s+given|was\s+given|will\s+spend|"
          r"to\s+spend|must\s+spend|punished\s+with|increased|imposed|ruled|verdict|barred|"
          r"banned\s+(?:\w+\s+){0,2}?from",
}
NOT_IMPOSED = {
    "ru": r"грозит|грозило|грозят|грозил|светит|предусматрива|наказывается|санкци|запрос|просил|просит|потребова|"
          r"требова|прокурор|гособвинител|обвинени[ея]\s+просил|вплоть\s+до|может\s+получить|могут\s+получить|"
          r"ранее|до\s+этого|уже\s+отбывал|в\s+прошлом|напомним|уже\s+осудили|мер[аыу]\s+пресечения|"
          r"под\s+страж|домашн\w+\s+арест|арестовал|продлил|максимальн|"
          r"(?:может|могут)\s+быть\s+(?:наказан|приговор|осужд|лишен)\w*",
    "en": r"\bfaces?\b|facing|punishable|\bcarr(?:y|ies)\b|provides\s+for|requested|asked\s+for|\basked\b|sought|"
          r"\bseeks?\b|demanded|prosecutors?|prosecution|could\s+get|could\s+receive|could\s+face|previously|"
          r"earlier\s+served|had\s+served|\brisks?\b|maximum|(?:is|are|currently)\s+serving|separate\s+case|"
          r"another\s+case|pre-?trial|detention\s+for|remanded|envisag|stipulat|prescrib|"
          r"(?:can|could|may|might)\s+be\s+(?:punished|sentenced|jailed|imprisoned)(?:\s+(?:with|to|for|by))?",
}
YEARS = {"ru": r"(?:год[а-я]*|лет)", "en": r"(?:years?|yrs?)"}
MONTHS = {"ru": r"месяц[а-я]*", "en": r"months?"}
# "over three years", "почти два года": not a term a report states exactly.
# "оставшиеся от срока семь месяцев", "the remaining two years": what is left of a term.
APPROXIMATE = {"ru": r"(?:почти|более|свыше|около|больше|порядка|оставш\w+(?:\s+от\s+срока)?|неотбыт\w+)\s+$",
               "en": r"(?:over|more\s+than|almost|nearly|about|around|some|remaining|rest\s+of\s+\w+)\s+$"}
# "самому молодому — 19 лет", "aged between 26 and 42 years": ages, right before the number.
AGE = {"ru": r"(?:возраст\w*|в\s+возрасте)\s+(?:от\s+)?$|"
             r"сам\w+\s+(?:молод|старш|младш|юн)\w*\s+(?:\w+\s+){0,2}[—–-]\s*$",
       "en": r"\b(?:aged|ages?\s+of)\s+(?:between\s+|from\s+)?$"}
# "Of these, 14 received restricted freedom sentences", "in recent years": counts over many cases.
STATISTIC = {"ru": r"\bиз\s+них\b|в\s+последние\s+годы|за\s+последние|с\s+\d{4}\s+года",
             "en": r"\bof\s+these\b|in\s+recent\s+years|\bsince\s+\d{4}|over\s+the\s+past"}
# "having been first fined", "was separately fined", "can get fined": not this verdict's fine.
EARLIER = {"ru": r"сначала|отдельно|могут|может|можно",
           "en": r"having\s+been|\bfirst\b|separately|\bget\b|\bbe\b|could|\bcan\b|\bmay\b|would|already"}
# "первый за 10 лет", "in the past five years", "two years ago": spans of time, not terms.
SPAN = {"ru": r"\bза\s+(?:последние\s+|прошедшие\s+|предыдущие\s+|минувшие\s+)?$",
        "en": r"(?:\b(?:in|over|during|for)\s+(?:the\s+)?(?:past|last|previous)|\bfirst\s+time\s+in)\s+$"}
# "had been originally sentenced to three years": a term an appeal has since changed.
FIRST = {"ru": r"(?:первоначально|изначально)\s+(?:\w+\s+){0,2}?(?:приговор|осуд|назнач)",
         "en": r"(?:originally|initially)\s+(?:\w+\s+){0,2}?(?:sentenced|jailed|given|handed|convicted)"}
SPAN_AFTER = {"ru": r"^\s*(?:назад|тому\s+назад)", "en": r"^\s*ago\b"}
# "cut the sentence from seven years to five", "смягчил срок с семи лет до пяти": the old term.
CHANGED_FROM = {"ru": r"(?:смягчил|снизил|сократил|уменьшил|увеличил|изменил|заменил)\w*[^;\n]{0,90}\sс\s+$",
                "en": r"\b(?:reduc|cut|drop|lower|increas|rais|commut|chang)\w*\b[^;\n]{0,90}\bfrom\s+$"}
CHANGED_TO = {"ru": r"^\s*(?:[а-яё]+\s+){0,2}до\s", "en": r"^\s*(?:[a-z]+\s+){0,2}to\s"}
# "с испытательным сроком в один год", "probation period of", "suspended for three years": the
# probation of a suspended term, not a term.
PROBATION = {"ru": r"испытательн\w*\s+срок\w*\s+(?:в\s+|на\s+)?$",
             "en": r"(?:probation(?:ary)?\s+period\s+(?:of\s+)?|suspended\s+for\s+|probation\s+(?:of|for)\s+)$"}
# "до 5 лет" is "up to 5" only after "срок" ("на срок до", "к срокам до"); alone it is too common.
UP_TO_RU = r"срок\w*\s+(?:вплоть\s+)?$"


@lru_cache(maxsize=1)
def _cues() -> dict:
    return json.loads(resources.files("nlp").joinpath("data/penalty_cues.json").read_text("utf-8"))


@lru_cache(maxsize=2)
def _duration(lang: str) -> re.Pattern:
    n = cardinal_pattern(lang)
    # "восьми с половиной", "полутора", "two and a half", "eight-and-a-half", "5 1/2", "5½"
    half = r"(?:\s+с\s+половиной|\s+and\s+a\s+half|-and-a-half|\s*½|\s+1/2)?"
    # "5-ти годам", "3-х лет"
    suffix = r"(?:(?<=\d)-(?:х|ти|и|ми|ех|ёх|ух))?" if lang == "ru" else ""
    num = rf"(?:полутора|полтора|{n}){suffix}{half}"
    y, mo = YEARS[lang], MONTHS[lang]
    if lang == "ru":
        # "от года до двух лет": a bare "года" after "от" is one year.
        lo = rf"(?:{num}|(?<=от\s)года?)"
        rng = rf"(?:от\s+)?(?P<lo>{lo})\s*(?:{y}\s*)?(?:до|-|–|—)\s*(?P<hi>{num})\s*{y}"
        mrng = rf"(?:от\s+)?(?P<mlo>{num})\s*(?:до|-|–|—)\s*(?P<mhi>{num})\s*{mo}"
        pair = rf"(?P<a>{num})\s*(?:{y}\s*)?(?:\s+и\s+|\s+или\s+)(?P<b>{num})\s*{y}"
        upto = r"(?P<upto>(?:вплоть\s+)?до\s+)"
        # "к году ограничения свободы", "год проведут в колонии": a bare year, checked by its kind.
        one = r"(?P<one>год[ау]?)"
        # "трехлетний запрет", "пятилетний срок": a term as an adjective (digits + "-летний" are ages).
        adj = (r"(?P<adj>(?:полуто|дву|двух|тре|трех|трёх|четырех|четырёх|пяти|шести|семи|восьми|девяти|десяти|"
               r"двенадцати|пятнадцати|двадцати)летн\w+)")
    else:
        rng = (rf"(?:(?:from\s+(?P<lo1>{num})\s+to)|(?:between\s+(?P<lo2>{num})\s+and)|"
               rf"(?:(?P<lo>{num})\s*(?:to|-|–|—)))\s*(?P<hi>{num})(?:[\s-]*){y}")
        mrng = (rf"(?:(?:from\s+(?P<mlo1>{num})\s+to)|(?:between\s+(?P<mlo2>{num})\s+and)|"
                rf"(?:(?P<mlo>{num})\s*(?:to|-|–|—)))\s*(?P<mhi>{num})(?:[\s-]*){mo}")
        pair = rf"(?P<a>{num})(?:[\s-]*{y})?(?:\s+and\s+|\s+or\s+)(?P<b>{num})(?:[\s-]*){y}"
        upto = r"(?P<upto>up\s+to\s+)"
        one = r"(?P<one>(?!))"
        adj = r"(?P<adj>(?!))"
    # "One received seven years and the other five.": a bare number after an earlier term.
    other = (rf"(?P<other>(?<=\bthe\sother\s){n}(?=\s*[.;,]|\s+(?:each|respectively)))" if lang == "en"
             else r"(?P<other>(?!))")
    single = rf"{upto}?(?P<n>{num})(?:\s*|-){y}(?:\s*(?:и\s+|and\s+|,\s*)?(?P<m>{n})(?:\s*|-){mo})?"
    months = rf"{upto.replace('upto', 'mupto')}?(?P<mo>{num})(?:\s*|-){mo}"
    # "27-year-old" and "27-летний" are ages, not terms.
    alternatives = "|".join((rng, mrng, pair, single, months, one, adj, other))
    return re.compile(rf"(?<![\w.,/])(?:{alternatives})(?![\w-]|\s+old)", re.I)


# The stem of "трехлетний" -> 3.
ADJECTIVE_YEARS = {"полуто": 1.5, "дву": 2, "двух": 2, "тре": 3, "трех": 3, "трёх": 3, "четырех": 4, "четырёх": 4,
                   "пяти": 5, "шести": 6, "семи": 7, "восьми": 8, "девяти": 9, "десяти": 10, "двенадцати": 12,
                   "пятнадцати": 15, "двадцати": 20}


def _value(token: str | None, lang: str) -> float | None:
    if not token:
        return None
    token = re.sub(r"(?<=\d)-[а-яё]+", "", token.strip())
    half = re.search(r"\s+с\s+половиной$|\s+and\s+a\s+half$|-and-a-half$|\s*½$|\s+1/2$", token, re.I)
    if half:
        base = to_number(token[: half.start()], lang)
        return None if base is None else base + 0.5
    if token.lower() in ("полутора", "полтора"):
        return 1.5
    if re.fullmatch(r"года?", token, re.I):
        return 1
    return to_number(token, lang)


@lru_cache(maxsize=64)
def _cue_regex(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(words), re.I)


def _cue(lang: str, kind: str) -> re.Pattern:
    return _cue_regex(tuple(_cues()[lang][kind]))


def _kind(lang: str, before: str, after: str, sentence: str) -> str | None:
    near = before[-40:] + " " + after[:60]
    # A ban on an activity for a term ("трехлетний запрет на", "a three-year ban on", "запретили
    # заниматься ... на 5 лет", "barred him from ... for two years"): the ban word right after the
    # term, or before it with no word of prison in between (the activity can be long).
    ban = _cue(lang, "ban")
    if ban.match(after.lstrip(" ,")[:30]) or (
            ban.search(before[-120:] + " " + after[:25]) and not _cue(lang, "prison").search(
                before[-25:] + " " + after[:25])):
        return "ban"
    for kind in ("suspended", "labour", "restricted_freedom", "prison"):
        if _cue(lang, kind).search(near):
            return kind
    # "приговорил к 7 годам", "осужден на 5 лет", "jailed for five years", "received between
    # 10 and 15 years": a term right after a verb of imposition is prison.
    recent = before[-70:]
    if re.search(IMPOSED[lang], recent, re.I) and not re.search(NOT_IMPOSED[lang], recent.split(",")[-1], re.I):
        return "prison"
    return None


def _imposed(lang: str, text_before: str, sentence: str) -> bool:
    """Is the nearest cue before the term (within its sentence) one of imposition?"""
    last_yes = max((m.end() for m in re.finditer(IMPOSED[lang], text_before, re.I)), default=-1)
    last_no = max((m.end() for m in re.finditer(NOT_IMPOSED[lang], text_before, re.I)), default=-1)
    if last_yes < 0 and last_no < 0:
        # No cue before: a cue after the term in the sentence decides ("10 лет грозит ...").
        after = sentence[len(text_before):]
        return bool(re.search(IMPOSED[lang], after, re.I)) and not re.search(NOT_IMPOSED[lang], after, re.I)
    return last_yes > last_no


def _imposed_before(text: str, start: int, sentence: str, lang: str) -> bool:
    """A sentence with no cue at all ("Сроки лишения свободы — от двух до семи лет.") takes the
    nearest cue of the sentence before it ("В Таразе осуждены 17 человек.")."""
    if re.search(IMPOSED[lang] + "|" + NOT_IMPOSED[lang], sentence, re.I) or start < 2:
        return False
    p_start, _ = sentence_bounds(text, start - 2)
    previous = text[p_start:start]
    return "\n\n" not in previous and _imposed(lang, previous, previous)


PEOPLE = (r"(?:человек|граждан\w*|жител\w*|осужденн\w*|осуждённ\w*|подсудим\w*|обвиняем\w*|участник\w*|член\w*|"
          r"мужчин\w*|женщин\w*|men|women|people|defendants|members|residents|citizens|nationals|accused)")


def _applies_to(lang: str, before: str, pair: bool) -> int | None:
    """How many people a term applies to, where the sentence says so: "шестеро участников
    получили от 10 до 15 лет" -> 6; "двое ... к 7 и 9 годам" -> 1 each."""
    if pair:
        return 1
    n = cardinal_pattern(lang)
    found = list(re.finditer(rf"(?<![\w.])(?P<n>{n})\s+(?:[\w-]+\s+){{0,3}}?{PEOPLE}\b", before, re.I))
    if not found:
        return None
    value = to_number(found[-1].group("n"), lang)
    return int(value) if value and 1 <= value <= 200 else None


def _extras(lang: str, sentence: str) -> tuple[str | None, bool]:
    cues = _cues()[lang]
    regime = next((name for name, words in cues["regime"].items()
                   if any(w.lower() in sentence.lower() for w in words)), None)
    confiscation = any(w in sentence.lower() for w in cues["confiscation"])
    return regime, confiscation


def _list_header(text: str, start: int, lang: str) -> str:
    """The line that opens a list the sentence at `start` belongs to ("Остальные приговорены
    следующим образом:" then "Name - 28 лет" lines), when it says a court imposed the terms."""
    head = text.rfind(":", max(0, start - 400), start)
    if head < 0 or text[head + 1:start].strip() and "\n" not in text[head:start]:
        return ""
    line = text[text.rfind("\n", 0, head) + 1:head]
    lines = [x for x in text[head + 1:start].split("\n") if x.strip()]
    # Every line between the header and here is a short list item.
    if any(len(x) > 120 for x in lines) or not re.search(IMPOSED[lang], line, re.I) or re.search(
            NOT_IMPOSED[lang], line, re.I):
        return ""
    return line


def _terms(groups: dict, lang: str, before: str, after: str) -> list[tuple[float | None, float | None]] | None:
    """The (min, max) years a match states, or None when it is not a term here."""
    lo_token = groups.get("lo") or groups.get("lo1") or groups.get("lo2")
    mlo_token = groups.get("mlo") or groups.get("mlo1") or groups.get("mlo2")
    if lo_token or mlo_token:
        scale = 1 if lo_token else 12
        lo, hi = _value(lo_token or mlo_token, lang), _value(groups["hi"] if lo_token else groups["mhi"], lang)
        if lo is None or hi is None:
            return None
        return [(min(lo, hi) / scale, max(lo, hi) / scale)]
    if groups.get("a"):
        # "к 7 и 9 годам": two terms, one per defendant
        return [(_value(groups["a"], lang),) * 2, (_value(groups["b"], lang),) * 2]
    if groups.get("one"):
        return [(1, 1)]
    if groups.get("other"):
        value = _value(groups["other"], lang)
        return [(value, value)]
    if groups.get("adj"):
        stem = re.match(r"\w+?(?=летн)", groups["adj"], re.I)
        value = ADJECTIVE_YEARS.get(stem.group(0).lower()) if stem else None
        return [(value, value)]
    if groups.get("n"):
        base = _value(groups["n"], lang)
        extra = _value(groups["m"], lang) if groups.get("m") else 0
        value = None if base is None or extra is None else base + extra / 12
    else:
        value = _value(groups["mo"], lang)
        value = None if value is None else value / 12
    upto = groups.get("upto") or groups.get("mupto")
    if upto and (lang == "en" or re.search(UP_TO_RU, before, re.I)):
        return [(None, value)]
    return [(value, value)]


def find_penalties(text: str, lang: str, frame_of: Callable[[int], int] | None = None) -> list[dict]:
    """Penalties imposed in `text`; with `frame_of` (a character offset -> its case frame) the
    terms of one kind are merged into one range per frame, else over the whole text."""
    lang = "en" if lang == "en" else "ru"
    found: list[dict] = []
    cues = _cues()[lang]
    pattern, pos = _duration(lang), 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            break
        pos = m.end()
        groups = m.groupdict()
        lo_token = groups.get("lo") or groups.get("lo1") or groups.get("lo2")
        if lo_token and not re.match(r"от|from|between", m.group(0), re.I) and (
                (_value(lo_token, lang) or 0) > (_value(groups["hi"], lang) or 0)):
            # "on July 20 to three years": not a range; look again just after "20".
            pos = m.start() + 1
            continue
        s_start, s_end = sentence_bounds(text, m.start())
        sentence = text[s_start:s_end]
        before, after = text[s_start:m.start()], text[m.end():s_end]
        header = _list_header(text, s_start, lang)
        if header:
            before = header + " " + before
            sentence = header + " " + sentence
        if any(re.search(p[lang], before, re.I) for p in (APPROXIMATE, AGE, PROBATION, SPAN)) or re.search(
                SPAN_AFTER[lang], after, re.I) or re.search(FIRST[lang], before[-40:], re.I) or (
                re.search(CHANGED_FROM[lang], before, re.I) and re.search(CHANGED_TO[lang], after, re.I)):
            continue
        if (groups.get("one") or groups.get("adj")) and not _cue_regex(
                tuple(cues["prison"] + cues["restricted_freedom"] + cues["suspended"] + cues["ban"]
                      + cues["term"])).match(after.lstrip(" ,")[:40]):
            # A bare "год" or "трехлетний" is a term only right before what it is ("год ограничения
            # свободы", "трехлетний запрет"); "в этом году", "20-летний" are not.
            continue
        previous = found[-1] if found and found[-1]["start"] >= s_start else None
        if previous and re.fullmatch(r"[\s,;]*(?:and|и|or|или|а)?\s*", text[previous["end"]:m.start()], re.I):
            # "suspended terms of two years and five months and one year": the second term is
            # of the kind of the first.
            kind = previous["kind"]
        elif groups.get("other"):
            if not previous or previous["max_years"] is None:
                continue
            kind = previous["kind"]
        else:
            kind = _kind(lang, before, after, sentence)
            if kind is None or not (_imposed(lang, before, sentence) or _imposed_before(text, s_start, sentence, lang)):
                continue
        terms = _terms(groups, lang, before, after)
        if terms is None:
            continue
        regime, confiscation = _extras(lang, sentence)
        applies_to = _applies_to(lang, before, bool(groups.get("a")))
        for lo, hi in terms:
            if hi is None or not (0 < (lo if lo is not None else hi) <= hi <= 50):
                continue
            found.append({"kind": kind, "min_years": as_int_or_float(lo),
                          "max_years": as_int_or_float(hi), "regime": regime, "confiscation": confiscation,
                          "applies_to": applies_to, "text": m.group(0), "start": m.start(), "end": m.end()})
    # Penalties named without a term: life, death, a fine, loss of citizenship, community work,
    # and "received restricted freedom sentences", "условные сроки", "various prison terms".
    alone = cues["alone"]
    for kind in ("life", "death", "fine", "other", *alone):
        for m in _cue_regex(tuple(alone[kind]) if kind in alone else tuple(cues[kind])).finditer(text):
            if any(f["start"] - 60 <= m.start() < f["end"] + 40 and f["kind"] == kind for f in found):
                continue
            s_start, s_end = sentence_bounds(text, m.start())
            sentence = text[s_start:s_end]
            # "оштрафовал", "fined", "stripped him of citizenship" impose by themselves.
            verb = re.match(r"оштраф|\bfined|лишил|stripped|deprived|ordered|обязал", m.group(0), re.I)
            if not verb and not _imposed(lang, text[s_start:m.start()], sentence):
                continue
            if kind in alone and re.search(STATISTIC[lang], sentence, re.I):
                continue
            if verb and re.search(NOT_IMPOSED[lang] + "|" + EARLIER[lang], text[max(s_start, m.start() - 40):m.start()],
                                  re.I):
                continue
            regime, confiscation = _extras(lang, sentence)
            found.append({"kind": kind, "min_years": None, "max_years": None, "regime": regime,
                          "confiscation": confiscation, "applies_to": None,
                          "text": m.group(0), "start": m.start(), "end": m.end()})
    found.sort(key=lambda f: f["start"])
    return _merge(found, frame_of or (lambda _: 0))


# Kinds kept apart while merging, reported as the guide's "other".
OTHER_KINDS = {"ban": "other", "community": "other", "labour": "other"}


def _merge(found: list[dict], frame_of: Callable[[int], int]) -> list[dict]:
    """One item per kind and frame: terms of several defendants become min..max, and a kind named
    without a term ("restricted freedom sentences") adds nothing where a term of it is known."""
    groups: dict[tuple[int, str], list[dict]] = {}
    for f in found:
        groups.setdefault((frame_of(f["start"]), f["kind"]), []).append(f)
    out = []
    for items in groups.values():
        terms = [f for f in items if f["max_years"] is not None]
        merged = dict(terms[0] if terms else items[0])
        if terms:
            lows = [f["min_years"] for f in terms if f["min_years"] is not None]
            merged["min_years"] = min(lows) if lows else None
            merged["max_years"] = max(f["max_years"] for f in terms)
            merged["confiscation"] = any(f["confiscation"] for f in terms)
            merged["regime"] = next((f["regime"] for f in terms if f["regime"]), None)
            counts = [f["applies_to"] for f in terms]
            merged["applies_to"] = sum(counts) if len(terms) > 1 and all(counts) else counts[0]
        merged["kind"] = OTHER_KINDS.get(merged["kind"], merged["kind"])
        out.append(merged)
    return sorted(out, key=lambda f: f["start"])


def _frame_lookup(doc: Doc) -> Callable[[int], int] | None:
    frames = doc._.frames if Doc.has_extension("frames") else None
    if not frames or len(frames) < 2:
        return None
    return lambda pos: next((f.index for f in frames[1:] if f.contains(pos)), 0)


@Language.factory("case_penalties")
def make_case_penalties(nlp: Language, name: str):
    ensure_extension("penalties", default=None)
    lang = nlp.lang

    def case_penalties(doc: Doc) -> Doc:
        doc._.penalties = find_penalties(text_of(doc), lang, _frame_lookup(doc))
        return doc

    return case_penalties
