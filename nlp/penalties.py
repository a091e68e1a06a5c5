"""Penalties imposed by a court: kind, min and max years, regime, confiscation.

The component `case_penalties` writes `doc._.penalties`: a list of dicts
{"kind", "min_years", "max_years", "regime", "confiscation", "applies_to", "text", "start", "end"}.
A term counts only when the nearest cue before it in its sentence says a court imposed it
("приговорил", "sentenced"), not that a law allows it ("грозит", "punishable by") or that a
prosecutor asked for it ("запросил", "sought"). Cue words live in data/penalty_cues.json.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from spacy.language import Language
from spacy.tokens import Doc

from nlp.numbers import as_int_or_float, cardinal_pattern, to_number
from nlp.spans import ensure_extension, sentence_bounds

# Finite forms that say a court imposed a term (not "приговорить", "to sentence").
IMPOSED = {
    "ru": r"приговорил|приговорен|приговорён|приговором|осудил|осужден|осуждён|назначил|назначен|получил|получит|"
          r"вынес|смягчил|оставил|заменил|определил|отбывать|отбудет|присудил|лишил|проведет|проведёт",
    "en": r"sentenced|jailed|convicted|gave|given|handed|received|receives|got|imprisoned|upheld|reduced|commuted|"
          r"ordered|found\s+guilty|must\s+serve|will\s+serve|to\s+serve|were\s+given|was\s+given|will\s+spend|"
          r"to\s+spend|must\s+spend",
}
NOT_IMPOSED = {
    "ru": r"грозит|грозило|грозят|грозил|светит|предусматрива|наказывается|санкци|запрос|просил|просит|потребова|"
          r"требова|прокурор|гособвинител|обвинени[ея]\s+просил|вплоть\s+до|может\s+получить|могут\s+получить|"
          r"ранее|до\s+этого|уже\s+отбывал|в\s+прошлом|напомним|уже\s+осудили",
    "en": r"\bfaces?\b|facing|punishable|carries|carry|provides\s+for|requested|asked\s+for|\basked\b|sought|seeks?|"
          r"demanded|prosecutors?|prosecution|could\s+get|could\s+receive|could\s+face|previously|earlier\s+served|"
          r"had\s+served|risks?|\bup\s+to\b|separate\s+case|another\s+case",
}
YEARS = {"ru": r"(?:год[а-я]*|лет)", "en": r"(?:years?|yrs?)"}
MONTHS = {"ru": r"месяц[а-я]*", "en": r"months?"}


@lru_cache(maxsize=1)
def _cues() -> dict:
    return json.loads(resources.files("nlp").joinpath("data/penalty_cues.json").read_text("utf-8"))


@lru_cache(maxsize=2)
def _duration(lang: str) -> re.Pattern:
    n = cardinal_pattern(lang)
    # "восьми с половиной", "полутора", "two and a half", "eight-and-a-half"
    half = r"(?:\s+с\s+половиной|\s+and\s+a\s+half|-and-a-half)?"
    num = rf"(?:полутора|полтора|{n}){half}"
    y, mo = YEARS[lang], MONTHS[lang]
    if lang == "ru":
        rng = rf"(?:от\s+)?(?P<lo>{num})\s*(?:до|-|–|—)\s*(?P<hi>{num})\s*{y}"
        pair = rf"(?P<a>{num})\s+(?:и|или)\s+(?P<b>{num})\s*{y}"
    else:
        rng = (rf"(?:(?:from\s+(?P<lo1>{num})\s+to)|(?:between\s+(?P<lo2>{num})\s+and)|(?:(?P<lo>{num})\s*(?:to|-|–|—)))"
               rf"\s*(?P<hi>{num})(?:[\s-]*){y}")
        pair = rf"(?P<a>{num})\s+(?:and|or)\s+(?P<b>{num})(?:[\s-]*){y}"
    single = rf"(?P<n>{num})(?:\s*|-){y}(?:\s*(?:и\s+|and\s+|,\s*)?(?P<m>{n})(?:\s*|-){mo})?"
    months = rf"(?P<mo>{num})(?:\s*|-){mo}"
    # "27-year-old" and "27-летний" are ages, not terms.
    return re.compile(rf"(?<![\w.,])(?:{rng}|{pair}|{single}|{months})(?![\w-]|\s+old)", re.I)


def _value(token: str | None, lang: str) -> float | None:
    if not token:
        return None
    token = token.strip()
    half = re.search(r"\s+с\s+половиной$|\s+and\s+a\s+half$|-and-a-half$", token, re.I)
    if half:
        base = to_number(token[: half.start()], lang)
        return None if base is None else base + 0.5
    if token.lower() in ("полутора", "полтора"):
        return 1.5
    return to_number(token, lang)


def _cue_regex(words: list[str]) -> re.Pattern:
    return re.compile("|".join(words), re.I)


def _kind(lang: str, before: str, after: str, sentence: str) -> str | None:
    cues = _cues()[lang]
    near = before[-40:] + " " + after[:60]
    for kind in ("life", "death", "suspended", "restricted_freedom", "prison"):
        if _cue_regex(cues[kind]).search(near):
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


def find_penalties(text: str, lang: str) -> list[dict]:
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
        if lo_token and (_value(lo_token, lang) or 0) > (_value(groups["hi"], lang) or 0):
            # "on July 20 to three years": not a range; look again just after "20".
            pos = m.start() + 1
            continue
        s_start, s_end = sentence_bounds(text, m.start())
        sentence = text[s_start:s_end]
        before, after = text[s_start:m.start()], text[m.end():s_end]
        kind = _kind(lang, before, after, sentence)
        if kind is None or not _imposed(lang, before, sentence):
            continue
        if lo_token:
            terms = [(_value(lo_token, lang), _value(groups["hi"], lang))]
        elif groups.get("a"):
            # "к 7 и 9 годам": two terms, one per defendant
            terms = [(_value(groups["a"], lang),) * 2, (_value(groups["b"], lang),) * 2]
        elif groups.get("n"):
            base = _value(groups["n"], lang)
            extra = _value(groups["m"], lang) if groups.get("m") else 0
            value = None if base is None or extra is None else base + extra / 12
            terms = [(value, value)]
        else:
            value = _value(groups["mo"], lang)
            terms = [(None, None) if value is None else (value / 12, value / 12)]
        regime, confiscation = _extras(lang, sentence)
        applies_to = _applies_to(lang, before, bool(groups.get("a")))
        for lo, hi in terms:
            if lo is None or hi is None or not (0 < lo <= hi <= 50):
                continue
            found.append({"kind": kind, "min_years": as_int_or_float(lo), "max_years": as_int_or_float(hi),
                          "regime": regime, "confiscation": confiscation, "applies_to": applies_to,
                          "text": m.group(0), "start": m.start(), "end": m.end()})
    for kind in ("life", "death", "fine", "other"):
        for m in _cue_regex(cues[kind]).finditer(text):
            if any(f["start"] <= m.start() < f["end"] + 40 and f["kind"] == kind for f in found):
                continue
            s_start, s_end = sentence_bounds(text, m.start())
            sentence = text[s_start:s_end]
            # "оштрафовал", "fined", "stripped him of citizenship" impose by themselves.
            verb = re.match(r"оштраф|fined|лишил|stripped|deprived", m.group(0), re.I)
            if not verb and not _imposed(lang, text[s_start:m.start()], sentence):
                continue
            if verb and re.search(NOT_IMPOSED[lang], text[max(s_start, m.start() - 40):m.start()], re.I):
                continue
            regime, confiscation = _extras(lang, sentence)
            found.append({"kind": kind, "min_years": None, "max_years": None, "regime": regime,
                          "confiscation": confiscation, "applies_to": None,
                          "text": m.group(0), "start": m.start(), "end": m.end()})
    found.sort(key=lambda f: f["start"])
    out, seen = [], set()
    for f in found:
        key = (f["kind"], f["min_years"], f["max_years"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


@Language.factory("case_penalties")
def make_case_penalties(nlp: Language, name: str):
    ensure_extension("penalties", default=None)
    lang = nlp.lang

    def case_penalties(doc: Doc) -> Doc:
        doc._.penalties = find_penalties(doc.text, lang)
        return doc

    return case_penalties
