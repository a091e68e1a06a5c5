"""Criminal-code articles: "ч. 2 ст. 256 УК РК", "статьям 174 и 256", "Part 2 of Article 256"...

The component `case_articles` writes `doc._.articles`: a list of dicts
{"code", "article", "part", "paragraph", "title", "text", "start", "end"}.
Which code an article belongs to comes from the words after it ("УК РК", "of the Criminal
Code of Kazakhstan"), else from the nearest code named elsewhere in the text, else from
the country the text is about (Kazakhstan by default).
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from nlp.criminal_code import codebook
from nlp.numbers import ordinal_pattern, to_number
from nlp.spans import ensure_extension

ARTICLE_NUMBER = r"\d{1,3}(?:[-–]\d{1,2}|\.\d{1,2}(?!\d))?"
SMALL = r"\d{1,2}"


def _list(item: str, joiners: str) -> str:
    return rf"{item}(?:\s*(?:,|{joiners})\s*{item})*"


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    ordinal = ordinal_pattern("ru")
    ru_small = rf"(?:{SMALL}|{ordinal})"
    ru = re.compile(
        rf"(?:\b(?:п\.|пп\.|пункт[а-я]*)\s*(?P<para>{_list(ru_small, 'и|или')})\s*,?\s*)?"
        rf"(?:\b(?:ч\.|чч\.|част[а-я]*)\s*(?P<part>{_list(ru_small, 'и|или')})\s*)?"
        rf"\b(?:ст\.\s*ст\.|ст\.|ст(?=\s*\d)|стат[а-я]*)\s*(?P<art>{_list(ARTICLE_NUMBER, 'и|или')})"
        rf"(?:\s*,?\s*(?:ч\.|част[а-я]*)\s*(?P<part_after>{SMALL})(?!\s*(?:ст|стат|art|of\s+art)))?",
        re.I,
    )
    en_small = rf"(?:{SMALL}|{ordinal_pattern('en')})"
    en_articles = _list(ARTICLE_NUMBER + r"(?:\s*\(\d{1,2}\))?", "and|or")
    en = re.compile(
        rf"(?:\b(?:sub)?(?:paragraph|para\.|clause|item)\s*(?P<para>{SMALL})\s*(?:of\s*)?,?\s*)?"
        rf"(?:\b(?:part|section)s?\s*(?P<part>{_list(en_small, 'and|or')})\s*(?:of\s*)?)?"
        rf"\b(?:articles?|arts?\.)\s*(?P<art>{en_articles})"
        rf"(?:\s*,?\s*(?:part|section)\s*(?P<part_after>{SMALL})(?!\s*(?:ст|стат|art|of\s+art)))?",
        re.I,
    )
    return {"ru": ru, "en": en}


# Codes named after an article, or anywhere in a text. Order matters: specific before generic.
CODE_CUES: list[tuple[str, re.Pattern]] = [
    ("KZ-CC", re.compile(r"УК\s*РК|УК\s+Казахстана|Уголовн\w*\s+кодекс\w*\s+(?:Республики\s+)?Казахстан|"
                         r"Criminal\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Kazakhstan|Kazakh(?:stan's|stani)?\s+Criminal\s+Code", re.I)),
    ("RU-CC", re.compile(r"УК\s*РФ|УК\s+России|Уголовн\w*\s+кодекс\w*\s+(?:Российской\s+Федерации|РФ|России)|"
                         r"Criminal\s+Code\s+of\s+(?:the\s+)?Russia(?:n\s+Federation)?|Russia(?:'s|n)\s+Criminal\s+Code", re.I)),
    ("KG-CC", re.compile(r"УК\s*КР|УК\s+(?:Кыргызстана|Киргизии)|Уголовн\w*\s+кодекс\w*\s+(?:Кыргызской\s+Республики|Кыргызстана)|"
                         r"Criminal\s+Code\s+of\s+(?:the\s+)?Kyrgyz(?:stan|\s+Republic)|Kyrgyz(?:stan's)?\s+Criminal\s+Code", re.I)),
    ("UZ-CC", re.compile(r"УК\s*РУз|УК\s+Узбекистана|Уголовн\w*\s+кодекс\w*\s+(?:Республики\s+)?Узбекистан|"
                         r"Criminal\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Uzbekistan|Uzbek(?:istan's)?\s+Criminal\s+Code", re.I)),
    ("TJ-CC", re.compile(r"УК\s*РТ|УК\s+Таджикистана|Уголовн\w*\s+кодекс\w*\s+(?:Республики\s+)?Таджикистан|"
                         r"Criminal\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Tajikistan|Tajik(?:istan's)?\s+Criminal\s+Code", re.I)),
]
CRIMINAL_CUE = re.compile(r"\bУК\b|Уголовн\w*\s+кодекс|criminal\s+code|penal\s+code", re.I)
# An article of some other act: the Constitution, a law, the administrative code.
OTHER_ACT = re.compile(
    r"^[\s,]*(?:\(\d+\)\s*)?(?:Конституц|Закон|закон|КоАП|Кодекс\w*\s+(?:об|о)\s|Административн|Гражданск|Трудов|Налогов|"
    r"Уголовно-процессуальн|УПК|of\s+the\s+(?:Constitution|Law|law|Code\s+of\s+Administrative|Administrative|Civil|Labou?r|Tax|"
    r"Criminal\s+Procedure|Convention|Charter|Universal|International|European)|of\s+(?:its|the\s+country's)\s+(?:constitution|Constitution)|of\s+the\s+\w+\s+Law|"
    r"of\s+the\s+[A-Z]\w+\s+(?:Act|Law|Constitution))",
)
COUNTRY_CUES = {
    "KZ-CC": re.compile(r"Казахстан|\bРК\b|Kazakh|Астан|Алмат|Шымкент|Astana|Almaty|Shymkent|КНБ|\bKNB\b", re.I),
    "RU-CC": re.compile(r"Росси|\bРФ\b|Russia|Москв|Moscow", re.I),
    "KG-CC": re.compile(r"Кыргыз|Киргиз|Kyrgyz|Бишкек|Bishkek|\bОш\b|\bOsh\b", re.I),
    "UZ-CC": re.compile(r"Узбек|Uzbek|Ташкент|Tashkent", re.I),
    "TJ-CC": re.compile(r"Таджик|Tajik|Душанбе|Dushanbe", re.I),
}


def _numbers(group: str | None, lang: str) -> list[int | None]:
    if not group:
        return [None]
    out = []
    for piece in re.split(r"\s*(?:,|\bи\b|\bили\b|\band\b|\bor\b)\s*", group, flags=re.I):
        value = to_number(piece, lang) if piece else None
        if value is not None:
            out.append(int(value))
    return out or [None]


def _article_values(group: str) -> list[tuple[int | str, int | None]]:
    """'174 и 256' -> [(174, None), (256, None)]; '256(2)' -> [(256, 2)]; '299-2' -> [('299-2', None)]."""
    values = []
    for piece in re.findall(ARTICLE_NUMBER + r"(?:\s*\(\d{1,2}\))?", group):
        m = re.match(r"(\d{1,3}(?:[-–]\d{1,2}|\.\d{1,2})?)(?:\s*\((\d{1,2})\))?", piece)
        number = m.group(1).replace("–", "-")
        article: int | str = int(number) if number.isdigit() else number
        values.append((article, int(m.group(2)) if m.group(2) else None))
    return values


def _country_code(text: str) -> str:
    scores = {code: len(cue.findall(text)) for code, cue in COUNTRY_CUES.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] else "KZ-CC"


def find_articles(text: str, lang: str) -> list[dict]:
    pattern = _patterns()["en" if lang == "en" else "ru"]
    explicit: list[tuple[int, str]] = [
        (m.start(), code) for code, cue in CODE_CUES for m in cue.finditer(text)
    ]
    explicit.sort()
    fallback = _country_code(text)
    found: list[dict] = []
    for m in pattern.finditer(text):
        tail = text[m.end(): m.end() + 90]
        if OTHER_ACT.match(tail):
            continue
        window = re.split(r"(?<=[.!?])\s|;|\n", tail, maxsplit=1)[0]
        window = window[:70]
        code = None
        for name, cue in CODE_CUES:
            hit = cue.search(window)
            if hit and not re.search(r"\b(?:ст\.|стат|article)", window[: hit.start()], re.I):
                code = name
                break
        if code is None:
            before = [c for pos, c in explicit if pos < m.start()]
            after = [c for pos, c in explicit if pos > m.end()]
            code = before[-1] if before else (after[0] if after else fallback)
        # A bare "Article 19" in English with no criminal code anywhere is too weak to keep.
        if lang == "en" and not explicit and not CRIMINAL_CUE.search(text) and not re.search(
            r"charg|convict|sentenc|crim|prosecut|accus|guilty|terror|extrem|jail|fined|court|incit|"
            r"discord|hatred|banned|detain|arrest|defendant", text, re.I):
            continue
        parts = _numbers(m.group("part") or m.group("part_after"), lang)
        paragraphs = _numbers(m.group("para"), lang)
        if lang == "en" and parts == [None] and paragraphs != [None]:
            # English reports often render "часть" as "paragraph": with no part named, it is the part.
            parts, paragraphs = paragraphs, [None]
        for article, paren_part in _article_values(m.group("art")):
            for part in ([paren_part] if paren_part else parts):
                for para in paragraphs:
                    found.append({
                        "code": code, "article": article, "part": part, "paragraph": para,
                        "text": m.group(0).strip(), "start": m.start(), "end": m.end(),
                    })
    return _dedupe(found)


def _dedupe(found: list[dict]) -> list[dict]:
    """One entry per (code, article, part, paragraph); drop a bare article when a more
    specific reference to it exists."""
    specific = {(f["code"], f["article"]) for f in found if f["part"] is not None or f["paragraph"] is not None}
    out, seen = [], set()
    for f in found:
        key = (f["code"], f["article"], f["part"], f["paragraph"])
        if key in seen or (f["part"] is None and f["paragraph"] is None and (f["code"], f["article"]) in specific):
            continue
        seen.add(key)
        entry = codebook().get((f["code"], str(f["article"])))
        if entry:
            f["title"] = {"en": entry.get("title_en"), "ru": entry.get("title_ru")}
            f["category"] = entry.get("category")
        out.append(f)
    return out


@Language.factory("case_articles")
def make_case_articles(nlp: Language, name: str):
    ensure_extension("articles", default=None)
    lang = nlp.lang

    def case_articles(doc: Doc) -> Doc:
        doc._.articles = find_articles(doc.text, lang)
        return doc

    return case_articles
