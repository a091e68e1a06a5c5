"""Places: gazetteer matching and the role of each mention.

The component `case_places` writes `doc._.place_mentions` (every mention, with a role) and
`doc._.places` (the case places: where the court, the offence or the accused's home is).
Each mention has a `role`:
- "court": the court's seat ("суд в Астане", "Aktobe regional court", "a court in the city of Osh");
- "residence": the accused's home ("житель Семея", "a resident of Aktobe", "Batken residents");
- "offence": any other place named in the report of the case;
- "other", with a `reason`: "dateline" ("АСТАНА, 12 марта —", "BISHKEK, May 4 (Xinhua) --"),
  "outlet" (Almaty TV), "origin" ("уроженец Шымкента"), "country" (a whole country: never a case
  place, whether the accused travelled there or the court is its supreme court), "abroad" (a
  place in another country than the case's: "independence from Moscow" in a Kazakh case),
  "organisation" ("East Turkestan Islamic Movement"), "agency" (the seat of the police,
  prosecutor's or security office that reports: "ДП Павлодарской области"), "route" ("рейс
  Астана – Санкт-Петербург"), "hoax_target" ("заминировал торговый дом в Кокшетау"),
  "detention" (where the accused is held or serves the term), "credit" (a photo credit line),
  "person" ("Nursultan Nazarbayev"), "government" (a capital standing for its state: "Moscow's
  offensive", "Москва заявила", "ties with Moscow"), "region_of_city" (the region named beside
  its city: "in Oskemen in East Kazakhstan Region"), "other_case", "clutter".
A report whose only places are agency seats ("Департамент полиции Алматы прекратил дело")
gets those as its case places.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from nlp.dates import DATELINE
from nlp.frames import frame_of
from nlp.gazetteer import places
from nlp.spans import ensure_extension, in_clutter_line, literal_alternation, sentence_bounds, text_of

CASE_ROLES = ("court", "residence", "offence")
ORIGIN_BEFORE = re.compile(
    r"(?:уроженц\w*|уроженк\w*|родом\s+из|выходц\w*\s+из|native\s+of|natives\s+of|originally\s+from|born\s+in|"
    r"hails?\s+from|a\s+native|приехавш\w*\s+из|прибывш\w*\s+из)\s*(?:г\.\s*|города\s+|city\s+of\s+|the\s+)?"
    r"(?:[A-Z]\w+[’']s\s+)?$", re.I)
OUTLET_BEFORE = re.compile(
    r"(?:телеканал\w*|радио|газет\w*|издани\w*|портал\w*|агентств\w*|сайт\w*|новост\w*)\s*«?$", re.I)
OUTLET_AFTER = re.compile(r"^»?\s*(?:TV|Television|Radio|Times|News|Media|Today|Info|телеканал|тв)\b", re.I)
# Hotel, café or club names use a city's name in quotes: «Алматы», "Astana".
QUOTED = re.compile(r"[«\"“]\s*$")
ORIGIN_AFTER = re.compile(r"^(?:-born|\s+native|\s*-\s*born|\s+уроженц)", re.I)
OUTLET_AFTER_BASED = re.compile(r"^-based\s+(?:newspaper|outlet|website|portal|channel|agency|news)", re.I)
OTHER_CASE = re.compile(r"аналогичн|похожему\s+делу|другому\s+делу|similar\s+case|another\s+case|separate\s+case", re.I)
COURT_LEVEL_RU = re.compile(r"(?:ий|ого|ому|им|ом|ая|ой|ую|ое)\s+(?P<level>городск|областн|районн|межрайонн)\w*"
                            r"(?=\s+(?:[\w-]+\s+){0,2}суд)", re.I)
COURT_LEVEL_EN = re.compile(r"(?:'s|’s)?\s+(?P<level>regional|oblast|provincial|city|district)\s+court", re.I)
# A place that is a first name before a surname: "Nursultan Nazarbayev", "Нурсултан Назарбаев".
SURNAME_AFTER = re.compile(
    r"^\s+(?:[A-Z][a-z]+(?:bayev|baev|ov|ev|yev)|[А-ЯЁ][а-яё]+(?:баев|ов|ев))(?:[ауы]|ым|ом|ой)?\b")
# Part of an organisation's name: "East Turkestan Islamic Movement", движение «Восточного Туркестана».
ORGANISATION_BEFORE = re.compile(
    r"(?:\bEast(?:ern)?|\bвосточн\w*|(?:организаци\w*|движени\w*|парти\w*|movement|party|organi[sz]ation)"
    r"\s*[«\"“][^»\"”\n]{0,40})\s*$", re.I)
# The seat of the office that reports or investigates: "прокуратуры Атырауской области",
# "пресс-служба ДП Павлодарской области", "УВД Рудного", "the Almaty police department said".
AGENCY_BEFORE = re.compile(
    r"(?:прокуратур\w*|прокурор\w*|\bДП|\bДВД|\bУВД|\bГУВД|\bОВД|\bРОВД|\bУП|\bДКНБ|\bГКНБ|\bКНБ|\bУКНБ|\bУФСБ|"
    r"\bМВД|\bЦОУ|полици\w*|департамент\w*|управлени\w*|\bаким\w*|\bakim\w*|"
    r"(?:Department|Committee|Commission|Service|Office|Police)\b[^.;\n]{0,40}?\bof|"
    r"Prosecutor[\w’']*\s+(?:General[\w’']*\s+)?Office\s+in)"
    r"\s+(?:(?:России|РК|КНБ|полиции)\s+)?(?:по\s+)?(?:г\.\s*|города\s+|the\s+)?$", re.I)
AGENCY_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:(?:city|regional|district|oblast|provincial)\s+)?(?:police|prosecutor|"
    r"(?:department|office)\s+of\s+(?:the\s+)?(?:state\s+security|internal\s+affairs|police))", re.I)
BUILDING_BEFORE = re.compile(
    r"(?:\b(?:in|at|near|outside|inside)\s+the|\bздани\w*|\bвозле|\bоколо)\s+(?:[\w-]+\s+){0,2}$", re.I)
# The target of a hoax threat: "заминировал торговый дом в Кокшетау", "a hoax bomb threat against a school in Almaty".
HOAX_TARGET_BEFORE = re.compile(
    r"(?:заминирова\w*|минировани\w*|hoax|bomb\s+threat|false\s+(?:bomb|report))[^.;\n]{0,50}?"
    r"\s(?:в|во|in|at)\s+(?:г\.\s*|the\s+)?$", re.I)
# Where the accused is held or serves the term: "этапировали в Степногорск", "the colony in ...".
DETENTION_BEFORE = re.compile(
    r"(?:этапирова\w*|учреждени\w*|колони\w*|изолятор\w*|\bСИЗО|prison\s+(?:camp|facility)|penal\s+colony|"
    r"detention\s+(?:centre|center|facility))[^.;\n]{0,30}?\s(?:в|во|in|at)\s+(?:г\.\s*|the\s+)?$", re.I)
# A photo credit line: "Central Downtown Astana by ... is licensed under CC BY 2.0".
CREDIT_LINE = re.compile(r"licensed\s+under|\bCC\s+BY\b|©|\bфото:|\bphoto:", re.I)
# A town's own district named in English as "Bazar-Korgon region" / "Kara-Suu district".
DISTRICT_AFTER = re.compile(r"(?:'s|’s)?\s+(?:region|district|raion|rayon)\b(?!\s+court)", re.I)
COURT_BEFORE = re.compile(
    r"(?:\bсуд\w*|\bсудь\w*)\s+(?:№\s*\d+\s+)?(?:по\s+уголовным\s+делам\s+)?(?:(?:в|во)\s+)?"
    r"(?:г\.\s*|городе?\s+|городу\s+|районе?\s+)?$|"
    r"\b(?:court|courts|trial|judge|tried|hearing)\b[^.;\n]{0,45}?\b(?:in|of|at)\s+(?:the\s+)?(?:[\w’'-]+\s+){0,4}$",
    re.I)
COURT_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:(?:city|regional|oblast|provincial|district|inter-?district|military|garrison|"
    r"specialized|criminal)\s+)*court", re.I)
RESIDENCE_BEFORE = re.compile(
    r"(?:\bжител\w*|\bжительниц\w*|проживающ\w*|прожива\w*\s+в|\b(?:из|в)\s+(?:села|поселка|посёлка|аула)|"
    r"\bresidents?\s+of|\blived\s+in|\bliving\s+in|\bfrom)\s+(?:(?:the|г\.|города|села|с\.|поселка|посёлка|п\.|аула|"
    r"village\s+of|town\s+of|city\s+of)\s*)?$", re.I)
RESIDENCE_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:resident|residents|inhabitants?|local|man|woman)\b", re.I)
# A dateline at the start of a line: "Шымкент. 6 апреля.", "Tashkent, March 2, Interfax", "ASTANA, Kazakhstan:",
# "BISHKEK, May 4 (Xinhua) --", "22:33, 17 мая 2024, Бишкек - 24.kg", "ASTANA. KAZINFORM".
DATELINE_LINE_START = re.compile(r"(?:^|\n)[ \t]*(?:\d{1,2}:\d{2},?\s*)?(?:\d{1,2}\s+[а-яё]+\s+\d{4},?\s*)?$", re.I)
DATELINE_AFTER = re.compile(  # used with match(text, pos): no "^"
    r"(?:,\s*[A-ZА-ЯЁ][\w-]+)?(?:\s*\([^)\n]{1,30}\))*\s*"
    r"(?:[,.]\s*(?:\d{1,2}\s+[A-Za-zА-Яа-яё]{3,}|[A-Z][a-z]{2,}\.?\s+\d{1,2}\b|[A-ZА-ЯЁ]{4,})|"
    r"\s+[-–—]{1,2}\s|\s*[-–—]{1,2}\s+[A-ZА-ЯЁ]|:\s)")
APPOSITION = re.compile(r"\s*(?:,|\(|in|of|в|\s)\s*(?:the\s+)?(?:[a-z]+ern\s+|central\s+)?")
CAPITAL = re.compile(r"\bcapital\b|столиц|административн\w+\s+центр", re.I)
ROUTE_GAP = re.compile(r"^\s*[-–—]\s*$")
# Regions named together: "Sughd and Khatlon provinces", "в Чуйской, Иссык-Кульской и Нарынской областях".
REGION_LIST_EN = re.compile(
    r"\b((?:[A-Z][\w’'-]+,\s+)*[A-Z][\w’'-]+\s+and\s+(?:the\s+)?[A-Z][\w’'-]+)\s+(?:regions|provinces|oblasts)\b")
# A capital that stands for its state: "Moscow's Ukraine offensive", "Moscow has denied",
# "Москва заявила", "relations with Beijing". Its own courts, districts and streets stay places
# ("Moscow's Basmanny district court"), and so does a capital after a preposition ("a court in
# Moscow", "в Москве").
GOVERNMENT_SEATS = frozenset({"ru-moscow", "kz-astana", "kg-bishkek", "uz-tashkent", "tj-dushanbe", "tm-ashgabat"})
GOVERNMENT_AFTER = re.compile(
    r"(?:'s|’s)\s+(?:(?!city|regional|district|local|municipal)[\w-]+\s+){0,2}?"
    r"(?:war|offensive|invasion|aggression|annexation|polic(?:y|ies)|position|stance|influence|all(?:y|ies)|partners?|interests?|pressure|support|backing|role|response|reaction|relations|ties|"
    r"government|leadership|regime|propaganda|campaign|military|army|troops|forces|sanctions|demands|"
    r"claims|ambitions|intentions|orbit|efforts|plans|side)\b"
    r"|\s+(?:(?:has|have|had)\s+)?(?:(?:repeatedly|also|long|strongly|publicly|officially)\s+)?"
    r"(?:said|says|denie[sd]|deny|condemn(?:s|ed)|warn(?:s|ed)|accus(?:es|ed)|insist(?:s|ed)|claim(?:s|ed)|"
    r"demand(?:s|ed)|protest(?:s|ed)|respond(?:s|ed)|welcom(?:es|ed)|reject(?:s|ed)|critici[sz](?:es|ed)|"
    r"urg(?:es|ed)|announc(?:es|ed)|declar(?:es|ed)|threaten(?:s|ed)|express(?:es|ed))\b"
    r"|\s+(?:(?:не|также|неоднократно|официально)\s+)?(?:заяв|осуд|осужда|отрица|обвин|потребова|требу|предупре|"
    r"выраз|настаива|призва|призыва|отверг|ответи|протестова|поддерж)\w*", re.I)
GOVERNMENT_BEFORE = re.compile(
    r"(?:\b(?:relations|ties|talks|alliance|dialogue|rapprochement)\s+(?:with|between)|"
    r"(?:отношени|связ|переговор|союз|сближени)\w*\s+(?:с|со|между))\s+$", re.I)
PREPOSITION_BEFORE = re.compile(r"\b(?:в|во|из|на|in|at|from|near|outside)\s+$", re.I)
REGION_LIST_RU = re.compile(r"((?:[А-ЯЁ][\w-]+ой,\s+)*[А-ЯЁ][\w-]+ой\s+и\s+[А-ЯЁ][\w-]+ой)\s+област(?:ях|ей|ям|ями)\b")


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
    """Adjective stems of places -> place id, for court names ("Актюбинский областной суд").

    A district's stem is also kept as "stem#district", a city's that shares its region's
    adjective as "stem#city": the court's level picks between them."""
    stems: dict[str, str] = {}
    table = places()
    for place in table.values():
        if place.country in ("KZ", "KG", "UZ", "TJ", "RU"):
            if place.kind == "region" and place.name_ru.endswith("ая область"):
                stems.setdefault(place.name_ru.split()[0][:-2], place.id)
            elif place.kind in ("city", "town"):
                stem = _adjective(place.name_ru)
                if stem:
                    stems.setdefault(stem, place.id)
    for place in table.values():
        for name in place.names if place.kind == "district" else ():
            if re.fullmatch(r"[А-ЯЁ][а-яё-]+ий район", name):
                stem = name[:-len("ий район")]
                stems.setdefault(stem + "#district", place.id)
                stems.setdefault(stem, place.id)
    # A city named like its region shares the region's adjective (Актобе: Актюбинск-).
    for place in table.values():
        region = table.get(place.id + "-region")
        if place.kind in ("city", "town") and region and region.name_ru.endswith("ая область"):
            stems.setdefault(region.name_ru.split()[0][:-2] + "#city", place.id)
    return stems


def _court_place(place_id: str, level: str) -> str:
    """The place a court of `level` in `place_id` sits for: a regional court -> the region,
    a district court of a town that names a district -> the district."""
    table = places()
    level = level.lower()
    place = table[place_id]
    if level.startswith(("областн", "regional", "oblast", "provincial")):
        if place.kind == "region":
            return place.id
        region = table.get(place.id + "-region")
        if region:
            return region.id
        # "Bazar-Korgon regional court": a town that seats no region seats a district court
        district = table.get(place.id + "-district")
        return district.id if district else (place.admin1_id or place.id)
    if level.startswith(("городск", "city")) and place.kind == "region":
        city = table.get(place.id[: -len("-region")])
        return city.id if city else place.id
    if level.startswith(("районн", "district")) and place.kind in ("city", "town"):
        district = table.get(place.id + "-district")
        return district.id if district else place.id
    return place.id


@lru_cache(maxsize=1)
def _adjective_regex() -> re.Pattern:
    # Case does not matter (re.I): one lower-case form of each stem, as a tree of shared beginnings.
    stems = sorted({stem.split("#")[0].lower() for stem in adjective_stems()}, key=len, reverse=True)
    return re.compile(r"\b(?P<stem>" + literal_alternation(stems) + r")" + COURT_LEVEL_RU.pattern, re.I)


@lru_cache(maxsize=1)
def _lowered_stems() -> dict[str, str]:
    return {k.split("#")[0].lower(): k.split("#")[0] for k in adjective_stems()}


def _adjective_mentions(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, place id, matched text) for "Кызылординский городской суд" and the like."""
    stems = adjective_stems()
    lowered = _lowered_stems()
    found = []
    for m in _adjective_regex().finditer(text):
        stem = m.group("stem")
        level = m.group("level").lower()
        key = stem if stem in stems else lowered.get(stem.lower())
        if key is None:
            continue
        if level.startswith("городск") and key + "#city" in stems:
            key = key + "#city"
        elif level.startswith("районн") and key + "#district" in stems:
            key = key + "#district"
        found.append((m.start(), m.end(), _court_place(stems[key], level), m.group(0)))
    return found


@lru_cache(maxsize=1)
def _region_names() -> tuple[dict[str, str], dict[str, str]]:
    """English names ("sughd") and Russian adjective stems ("согдийск") of regions -> id."""
    en, ru = {}, {}
    for place in places().values():
        if place.kind != "region":
            continue
        for name in (place.name_en, *place.names):
            if name.lower().endswith(" region"):
                en.setdefault(name[: -len(" region")].lower(), place.id)
        if place.name_ru.endswith("ая область"):
            ru.setdefault(place.name_ru.split()[0][:-2].lower(), place.id)
    return en, ru


def _region_lists(text: str) -> list[tuple[int, int, str, str, int]]:
    """Each region of "Sughd and Khatlon provinces" / "Чуйской, Иссык-Кульской и Нарынской областях"."""
    en, ru = _region_names()
    found = []
    for regex, names, ending in ((REGION_LIST_EN, en, ""), (REGION_LIST_RU, ru, "ой")):
        for m in regex.finditer(text):
            for w in re.finditer(r"[\w’'-]+", m.group(1)):
                word = w.group(0)
                if word in ("and", "the", "и"):
                    continue
                place_id = names.get((word[: -len(ending)] if ending else word).lower())
                if place_id:
                    found.append((m.start(1) + w.start(), m.start(1) + w.end(), place_id, word, m.start(1)))
    return found


def _patterns(nlp: Language) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
    for place in places().values():
        forms = set()
        for name in place.names:
            forms.update({name, name[:1].upper() + name[1:]})
            if re.fullmatch(r"[A-Za-z][\w' -]*\s(?:region|district)", name):
                # "Akmola Region", "Almaty rgn", "Kazygurt District"
                forms.add(name[:1].upper() + name[1:-len(name.split()[-1])] + name.split()[-1].title())
                if name.endswith(" region"):
                    forms.add(name[:1].upper() + name[1:-len("region")] + "rgn")
        matcher.add(place.id, [nlp.make_doc(f) for f in sorted(forms)])
    return matcher


def _other(reason: str) -> tuple[str, str]:
    return "other", reason


def _role(text: str, start: int, end: int, kind: str, dateline_end: int, place_id: str = "") -> tuple[str, str | None]:
    """(role, reason) of one mention from the words around it."""
    if start < dateline_end or (start < 1500 and DATELINE_LINE_START.search(text, 0, start)
                                and DATELINE_AFTER.match(text, end)):
        return _other("dateline")
    if in_clutter_line(text, start):
        return _other("clutter")
    before, after = text[max(0, start - 80):start], text[end:end + 60]
    near = before[-40:]
    if (OUTLET_BEFORE.search(near) or OUTLET_AFTER.match(after) or OUTLET_AFTER_BASED.match(after)
            or QUOTED.search(near)):
        return _other("outlet")
    if ORIGIN_BEFORE.search(near) or ORIGIN_AFTER.match(after):
        return _other("origin")
    if ORGANISATION_BEFORE.search(before):
        return _other("organisation")
    if kind == "country":
        return _other("country")
    if place_id in GOVERNMENT_SEATS and not PREPOSITION_BEFORE.search(near) and (
            GOVERNMENT_AFTER.match(after) or GOVERNMENT_BEFORE.search(near)):
        return _other("government")
    residence = RESIDENCE_BEFORE.search(before) or RESIDENCE_AFTER.match(after)
    if SURNAME_AFTER.match(after) and not residence:
        return _other("person")
    if HOAX_TARGET_BEFORE.search(before):
        return _other("hoax_target")
    if DETENTION_BEFORE.search(before):
        return _other("detention")
    line_start, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
    line_end = line_end if line_end >= 0 else len(text)
    if line_end - line_start < 300 and CREDIT_LINE.search(text, line_start, line_end):
        return _other("credit")
    s_start, s_end = sentence_bounds(text, start)
    agency = AGENCY_BEFORE.search(before)
    # The seat of the office that reports, investigates or prosecutes is not the case's ("пресс-служба
    # ДП Павлодарской области", "the Almaty police department said"), unless the office is where it
    # happened ("blew himself up in the Department of ... of Aktobe").
    building = agency and BUILDING_BEFORE.search(before, 0, agency.start())
    if not residence and ((agency and not building) or AGENCY_AFTER.match(after)):
        return _other("agency")
    if OTHER_CASE.search(text[s_start:s_end]):
        return _other("other_case")
    if COURT_BEFORE.search(before) or COURT_AFTER.match(after):
        return "court", None
    if residence:
        return "residence", None
    return "offence", None


def _spans(doc: Doc, matcher: PhraseMatcher) -> list[tuple[int, int, str, str, bool, int, int]]:
    """(start, end, place id, surface, named with a court's level, where its context starts, priority)
    of each mention; the longest wins where they overlap, a region of a list over a city of its name."""
    text = text_of(doc)
    table = places()
    spans = []
    for mid, s, e in matcher(doc):
        span = doc[s:e]
        start, end = span.start_char, span.end_char
        place_id = doc.vocab.strings[mid]
        level = COURT_LEVEL_EN.match(text, end)
        district = DISTRICT_AFTER.match(text, end)
        if level:  # "the Aktobe regional court" sits for the region
            place_id = _court_place(place_id, level.group("level"))
        elif district and (place_id + "-district") in table and (place_id + "-region") not in table:
            place_id, end = place_id + "-district", district.end()
        spans.append((start, end, place_id, text[start:end], bool(level), start, 1))
    spans += [(*m, True, m[0], 1) for m in _adjective_mentions(text)]
    spans += [(*m, False, ctx, 0) for *m, ctx in _region_lists(text)]
    starts, ends = {sp[0] for sp in spans}, {sp[1] for sp in spans}
    # A piece of a longer hyphenated word ("Иссык" in "Иссык-Кульской", "Semey" in "industries-Semey"),
    # unless the other side is a place too ("Moscow-Dushanbe", a route).
    spans = [sp for sp in spans
             if not (text[sp[1]:sp[1] + 1] == "-" and text[sp[1] + 1:sp[1] + 2].isupper() and sp[1] + 1 not in starts)
             and not (sp[0] > 1 and text[sp[0] - 1] == "-" and text[sp[0] - 2].isalpha() and sp[0] - 1 not in ends)]
    spans.sort(key=lambda x: (x[0], -(x[1] - x[0]), x[6]))
    out, last_end = [], -1
    for span in spans:
        if span[0] >= last_end:
            out.append(span)
            last_end = span[1]
    return out


def find_places(doc: Doc, matcher: PhraseMatcher) -> tuple[list[dict], list[dict]]:
    text = text_of(doc)
    dateline = DATELINE.match(text[:120])
    dateline_end = dateline.end() if dateline else 0
    table = places()
    mentions = []
    for start, end, place_id, surface, court, context, _ in _spans(doc, matcher):
        place = table[place_id]
        # A region of a list reads its context from the list's start ("уроженцы Чуйской и Нарынской областей").
        role, reason = _role(text, context, end, place.kind, dateline_end, place_id)
        if court and role in CASE_ROLES:
            role = "court"
        mentions.append({**place.as_dict(), "text": surface, "role": role, "reason": reason, "start": start, "end": end,
                         "_court_level": court})
    _mark_routes(text, mentions)
    _mark_abroad(mentions)
    _mark_regions_of_cities(text, mentions)
    for m in mentions:
        del m["_court_level"]
    case = [m for m in mentions if m["role"] in CASE_ROLES]
    if not case:
        case = [m for m in mentions if m["reason"] == "agency"]
    frames = getattr(doc._, "frames", None) if Doc.has_extension("frames") else None
    out: dict[str, dict] = {}
    for m in case:
        # The mention in the main case's frame stands for the place where there is one.
        main = not frames or frame_of(frames, m["start"]) == 0
        if m["id"] not in out or (main and out[m["id"]].get("_other_frame")):
            out[m["id"]] = {**m, "_other_frame": not main}
    return mentions, [{k: v for k, v in m.items() if k != "_other_frame"} for m in out.values()]


def _mark_routes(text: str, mentions: list[dict]) -> None:
    """Both ends of a route ("рейс Астана – Санкт-Петербург", "the train Moscow-Dushanbe")."""
    for a, b in zip(mentions, mentions[1:]):
        if ROUTE_GAP.match(text[a["end"]:b["start"]]) and a["role"] in CASE_ROLES + ("other",):
            for m in (a, b):
                if m["role"] in CASE_ROLES:
                    m["role"], m["reason"] = _other("route")


def _mark_abroad(mentions: list[dict]) -> None:
    """Places in another country than the case's (the court's, else the first case place's)."""
    case = [m for m in mentions if m["role"] in CASE_ROLES]
    if not case:
        return
    anchor = next((m for m in case if m["role"] == "court"), case[0])
    for m in case:
        if m["country"] != anchor["country"]:
            m["role"], m["reason"] = _other("abroad")


def _mark_regions_of_cities(text: str, mentions: list[dict]) -> None:
    """A region named beside a city of its own adds nothing: the city is the place. Right after
    it ("a court in Oskemen in East Kazakhstan Region", "Kokshetau, Akmola region") or in a
    sentence that calls the city its capital ("the North Kazakhstan region and its capital,
    Petropavl"). A region's own court ("суд Согдийской области"), a region that is the accused's
    home, and a region beside a town, village or district stay."""
    table = places()
    for i, m in enumerate(mentions):
        if m["kind"] != "region" or m["role"] not in CASE_ROLES or m["_court_level"]:
            continue
        s_start, s_end = sentence_bounds(text, m["start"])
        for other in mentions:
            if (other is m or other["role"] not in CASE_ROLES or other["kind"] != "city"
                    or not _in_region(table, other["id"], m["id"])):
                continue
            adjacent = 0 <= m["start"] - other["end"] <= 30 and APPOSITION.fullmatch(text[other["end"]:m["start"]])
            if adjacent or (s_start <= other["start"] < s_end and CAPITAL.search(text, s_start, s_end)):
                m["role"], m["reason"] = _other("region_of_city")
                break


def _in_region(table: dict, place_id: str, region_id: str) -> bool:
    place = table.get(place_id)
    return bool(place) and region_id in (place.admin1_id, place_id + "-region")


@Language.factory("case_places")
def make_case_places(nlp: Language, name: str):
    ensure_extension("places", default=None)
    ensure_extension("place_mentions", default=None)
    ensure_extension("other_places", default=None)
    matcher = _patterns(nlp)

    def case_places(doc: Doc) -> Doc:
        doc._.place_mentions, doc._.places = find_places(doc, matcher)
        doc._.other_places = [m for m in doc._.place_mentions if m["role"] not in CASE_ROLES]
        return doc

    return case_places
