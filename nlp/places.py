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

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from nlp.dates import DATELINE
from nlp.gazetteer import places
from nlp.spans import ensure_extension

ORIGIN_BEFORE = re.compile(
    r"(?:уроженц\w*|уроженк\w*|родом\s+из|выходц\w*\s+из|native\s+of|originally\s+from|born\s+in|hails?\s+from|"
    r"a\s+native|приехавш\w*\s+из|прибывш\w*\s+из)\s*(?:г\.\s*|города\s+|city\s+of\s+)?$", re.I)
OUTLET_BEFORE = re.compile(r"(?:телеканал\w*|радио|газет\w*|издани\w*|портал\w*|агентств\w*|сайт\w*)\s*«?$", re.I)
OUTLET_AFTER = re.compile(r"^»?\s*(?:TV|Television|Radio|Times|News|Media|Today|Info|телеканал|тв)\b", re.I)
# Hotel, café or club names use a city's name in quotes: «Алматы», "Astana".
QUOTED = re.compile(r"[«\"“]\s*$")
ABROAD_KINDS = {"country"}


def _patterns(nlp: Language) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
    for place in places().values():
        forms = set()
        for name in place.names:
            forms.update({name, name[:1].upper() + name[1:]})
        matcher.add(place.id, [nlp.make_doc(f) for f in sorted(forms)])
    return matcher


def _role(text: str, start: int, end: int, place_kind: str, dateline_end: int) -> str:
    if start < dateline_end:
        return "dateline"
    before, after = text[max(0, start - 40):start], text[end:end + 20]
    if OUTLET_BEFORE.search(before) or OUTLET_AFTER.match(after):
        return "outlet"
    if QUOTED.search(before):
        return "outlet"
    if ORIGIN_BEFORE.search(before):
        return "origin"
    if place_kind in ABROAD_KINDS:
        return "abroad"
    return "case"


def find_places(doc: Doc, matcher: PhraseMatcher) -> tuple[list[dict], list[dict]]:
    text = doc.text
    dateline = DATELINE.match(text[:120])
    dateline_end = dateline.end() if dateline else 0
    table = places()
    spans = [(doc.vocab.strings[mid], doc[s:e]) for mid, s, e in matcher(doc)]
    # Longest match wins where matches overlap ("Алматинской области" over "Алматы").
    spans.sort(key=lambda x: (x[1].start_char, -(x[1].end_char - x[1].start_char)))
    mentions, last_end = [], -1
    for place_id, span in spans:
        if span.start_char < last_end:
            continue
        last_end = span.end_char
        place = table[place_id]
        role = _role(text, span.start_char, span.end_char, place.kind, dateline_end)
        mentions.append({**place.as_dict(), "text": span.text, "role": role,
                         "start": span.start_char, "end": span.end_char})
    case = [m for m in mentions if m["role"] == "case"]
    if not case:
        case = [m for m in mentions if m["role"] == "abroad"]
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
    matcher = _patterns(nlp)

    def case_places(doc: Doc) -> Doc:
        doc._.place_mentions, doc._.places = find_places(doc, matcher)
        return doc

    return case_places
