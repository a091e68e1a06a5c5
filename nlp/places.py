"""Places: gazetteer matching and the role of each mention.

The component `case_places` writes `doc._.place_mentions` (every mention, with a role) and
`doc._.places` (the case places: where the offence, court or accused are). Roles:
- "dateline": the place at the head of a report ("АСТАНА, 12 марта —", "ALMATY (Reuters) –");
- "outlet": part of a media name ("Almaty TV", телеканал «Алматы»);
- "origin": where someone comes from when the case is elsewhere ("уроженец Шымкента");
- "abroad": a foreign country named as context (Syria, Iraq) — a case place only when the
  text names no place closer;
- "case": everything else.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from nlp.dates import DATELINE
from nlp.gazetteer import places
from nlp.spans import ensure_extension, in_clutter_line, sentence_bounds

ORIGIN_BEFORE = re.compile(
    r"(?:уроженц\w*|уроженк\w*|родом\s+из|выходц\w*\s+из|native\s+of|originally\s+from|born\s+in|hails?\s+from|"
    r"a\s+native|приехавш\w*\s+из|прибывш\w*\s+из)\s*(?:г\.\s*|города\s+|city\s+of\s+)?$", re.I)
OUTLET_BEFORE = re.compile(r"(?:телеканал\w*|радио|газет\w*|издани\w*|портал\w*|агентств\w*|сайт\w*)\s*«?$", re.I)
OUTLET_AFTER = re.compile(r"^»?\s*(?:TV|Television|Radio|Times|News|Media|Today|Info|телеканал|тв)\b", re.I)
# Hotel, café or club names use a city's name in quotes: «Алматы», "Astana".
QUOTED = re.compile(r"[«\"“]\s*$")
ABROAD_KINDS = {"country"}
HOME_COUNTRY = "kz"  # the corpus's default context: naming it says nothing about where a case is
ORIGIN_AFTER = re.compile(r"^(?:-born|\s+native|\s*-\s*born|\s+уроженц)", re.I)
OUTLET_AFTER_BASED = re.compile(r"^-based\s+(?:newspaper|outlet|website|portal|channel|agency|news)", re.I)
# An offence committed abroad: "воевал в Сирии", "fought for ISIS in Syria".
OFFENCE_ABROAD = re.compile(r"(?:воева\w*|боевых\s+действи\w*|сража\w*|fought|fighting|combat|took\s+part|"
                            r"taking\s+part|participat\w*)\b[^.;\n]{0,60}$", re.I)
OTHER_CASE = re.compile(r"аналогичн|похожему\s+делу|другому\s+делу|similar\s+case|another\s+case|separate\s+case", re.I)
COURT_LEVEL_RU = re.compile(r"(?:ий|ого|ому|им|ом|ая|ой|ую|ое)\s+(?P<level>городск|областн|районн|межрайонн)\w*", re.I)
COURT_LEVEL_EN = re.compile(r"\s+(?P<level>regional|oblast|city|district)\s+court", re.I)


def _adjective(name_ru: str) -> str | None:
    """Stem of the Russian adjective of a town ("Балхаш" -> "Балхашск", "Кызылорда" -> "Кызылординск")."""
    name = name_ru.strip()
    if " " in name or not name:
        return None
    if name.endswith("ск"):
        return name
    if name[-1] in "аы":
        return name[:-1] + "инск"
    if name[-1] in "ь":
        return name[:-1] + "ск"
    return name + "ск"


@lru_cache(maxsize=1)
def adjective_stems() -> dict[str, str]:
    """Adjective stems of places -> place id, for court names ("Актюбинский областной суд")."""
    stems: dict[str, str] = {}
    table = places()
    for place in table.values():
        if place.country == "KZ" or place.country in ("KG", "UZ", "TJ"):
            if place.kind == "region" and place.name_ru.endswith("ая область"):
                stems.setdefault(place.name_ru.split()[0][:-2], place.id)
            elif place.kind in ("city", "town"):
                stem = _adjective(place.name_ru)
                if stem:
                    stems.setdefault(stem, place.id)
    # A city named like its region shares the region's adjective (Актобе: Актюбинск-).
    for place in table.values():
        region = table.get(place.id + "-region")
        if place.kind in ("city", "town") and region and region.name_ru.endswith("ая область"):
            stems.setdefault(region.name_ru.split()[0][:-2] + "#city", place.id)
    return stems


def _court_place(place_id: str, level: str) -> str:
    """The place a court of `level` in `place_id` sits for: a regional court -> the region."""
    table = places()
    level = level.lower()
    place = table[place_id]
    if level.startswith(("областн", "regional", "oblast")):
        if place.kind == "region":
            return place.id
        region = table.get(place.id + "-region")
        return region.id if region else (place.admin1_id or place.id)
    if level.startswith(("городск", "city")) and place.kind == "region":
        city = table.get(place.id[: -len("-region")])
        return city.id if city else place.id
    return place.id


@lru_cache(maxsize=1)
def _adjective_regex() -> re.Pattern:
    stems = sorted({stem.split("#")[0] for stem in adjective_stems()}, key=len, reverse=True)
    return re.compile(r"\b(?P<stem>" + "|".join(map(re.escape, stems)) + r")" + COURT_LEVEL_RU.pattern, re.I)


def _adjective_mentions(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, place id, matched text) for "Кызылординский городской суд" and the like."""
    stems = adjective_stems()
    lowered = {k.split("#")[0].lower(): k for k in stems}
    found = []
    for m in _adjective_regex().finditer(text):
        stem = m.group("stem")
        level = m.group("level").lower()
        key = stem if stem in stems else lowered.get(stem.lower())
        if key is None:
            continue
        # A city named like its region shares the region's adjective: "Актюбинский городской суд".
        if level.startswith("городск") and key + "#city" in stems:
            key = key + "#city"
        found.append((m.start(), m.end(), _court_place(stems[key], level), m.group(0)))
    return found


def _patterns(nlp: Language) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
    for place in places().values():
        forms = set()
        for name in place.names:
            forms.update({name, name[:1].upper() + name[1:]})
        matcher.add(place.id, [nlp.make_doc(f) for f in sorted(forms)])
    return matcher


def _role(text: str, start: int, end: int, place_id: str, place_kind: str, dateline_end: int) -> str:
    if start < dateline_end:
        return "dateline"
    if in_clutter_line(text, start):
        return "clutter"
    before, after = text[max(0, start - 40):start], text[end:end + 30]
    if OUTLET_BEFORE.search(before) or OUTLET_AFTER.match(after) or OUTLET_AFTER_BASED.match(after):
        return "outlet"
    if QUOTED.search(before):
        return "outlet"
    if ORIGIN_BEFORE.search(before) or ORIGIN_AFTER.match(after):
        return "origin"
    s_start, s_end = sentence_bounds(text, start)
    if OTHER_CASE.search(text[s_start:s_end]):
        return "other_case"
    if place_kind in ABROAD_KINDS:
        if place_id != HOME_COUNTRY and OFFENCE_ABROAD.search(text[max(s_start, start - 80):start]):
            return "case"
        return "abroad"
    return "case"


def find_places(doc: Doc, matcher: PhraseMatcher) -> tuple[list[dict], list[dict]]:
    text = doc.text
    dateline = DATELINE.match(text[:120])
    dateline_end = dateline.end() if dateline else 0
    table = places()
    spans = []
    for mid, s, e in matcher(doc):
        span = doc[s:e]
        place_id = doc.vocab.strings[mid]
        level = COURT_LEVEL_EN.match(text, span.end_char)
        if level:  # "the Aktobe regional court" sits for the region
            place_id = _court_place(place_id, level.group("level"))
        spans.append((span.start_char, span.end_char, place_id, span.text))
    spans += _adjective_mentions(text)
    # Longest match wins where matches overlap ("Алматинской области" over "Алматы").
    spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    mentions, last_end = [], -1
    for start, end, place_id, surface in spans:
        if start < last_end:
            continue
        last_end = end
        place = table[place_id]
        role = _role(text, start, end, place.id, place.kind, dateline_end)
        mentions.append({**place.as_dict(), "text": surface, "role": role, "start": start, "end": end})
    case = [m for m in mentions if m["role"] == "case"]
    if not case:
        case = [m for m in mentions if m["role"] == "abroad" and m["id"] != HOME_COUNTRY]
    out, seen = [], set()
    for m in case:
        if m["id"] not in seen:
            seen.add(m["id"])
            out.append(m)
    return mentions, out


@Language.factory("case_places")
def make_case_places(nlp: Language, name: str):
    ensure_extension("places", default=None)
    ensure_extension("place_mentions", default=None)
    ensure_extension("other_places", default=None)
    matcher = _patterns(nlp)

    def case_places(doc: Doc) -> Doc:
        doc._.place_mentions, doc._.places = find_places(doc, matcher)
        doc._.other_places = [m for m in doc._.place_mentions if m["role"] != "case"]
        return doc

    return case_places
