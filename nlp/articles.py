"""Criminal-code articles: "ч. 2 ст. 256 УК РК", "статьям 174 и 256", "Part 2 of Article 256"...

The component `case_articles` writes `doc._.articles`: a list of dicts
{"code", "article", "part", "paragraph", "title", "text", "start", "end"}.
Which code an article belongs to comes from the words after it ("УК РК", "of the Criminal
Code of Kazakhstan"), else from the nearest code named elsewhere in the text, else from
the country the text is about (Kazakhstan by default); with no code named, a title quoted
after the number («Заведомо ложное сообщение об акте терроризма») picks the code that has it.
Sub-numbered articles are written as their code writes them ("299-2", "307.3", from "299²",
"307 прим 3", "Article 307 (3)" of the Tajik code), and titles come from the edition in force.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from nlp.criminal_code import lookup
from nlp.numbers import _words, ordinal_pattern, to_number
from nlp.spans import ensure_extension, text_of

SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
# "299-2", "307.3", "244¹", "307 прим 3", and "27-168" (a general-part article joined to the
# special-part one: attempt or preparation, as Kyrgyz outlets write it).
ARTICLE_NUMBER = (rf"\d{{1,3}}(?:[-–]\d{{1,3}}(?!\d)|\.\d{{1,2}}(?!\d)|\s*прим\.?\s*\d{{1,2}}(?!\d)|[{SUPERSCRIPTS}])?"
                  r"(?![\d.,]\d)")
SMALL = r"\d{1,2}"
# The article's title quoted after its number: «Массовые беспорядки», (Recruitment), "..."
TITLE = r"(?:\s*(?:\((?=[^()]*[^\W\d_])[^()]{2,250}\)|«[^«»]{2,250}»|“[^“”]{2,250}”|\"[^\"]{2,250}\"))"
LEADING_TITLE = re.compile(rf"^\s*,?{TITLE}")
# Codes that write sub-numbered articles with a dot; the others use a hyphen.
DOTTED = {"RU-CC", "TJ-CC"}


def _list(item: str, joiners: str) -> str:
    return rf"{item}(?:\s*(?:,|{joiners})\s*{item})*"


def _en_small() -> str:
    cardinal = sorted((w for w, n in _words()["en_cardinal"].items() if n <= 10 and " " not in w), key=len, reverse=True)
    return rf"(?:{SMALL}(?:\.\d)?|{ordinal_pattern('en')}|{'|'.join(cardinal)})\b"


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    ordinal = ordinal_pattern("ru")
    ru_small = rf"(?:{SMALL}|{ordinal})"
    ru_item = ARTICLE_NUMBER + TITLE + "?"
    ru_joiners = r"и|или|а\s+также"
    ru = re.compile(
        rf"(?:\b(?:п\.|пп\.|пункт[а-я]*)\s*(?P<para>{_list(ru_small, 'и|или')})\s*,?\s*)?"
        rf"(?:\b(?:ч\.|чч\.|част[а-я]*)\s*(?P<part>{_list(ru_small, 'и|или')})\s*,?\s*|\b(?P<both>обе(?:им|их|\b)\s+част\w*)\s*)?"
        rf"\b(?:ст\.\s*ст\.|ст\.|ст(?=\s*\d)|стат[а-я]*)\s*(?P<art>{_list(ru_item, ru_joiners)})"
        rf"(?:\s*,?\s*(?:ч\.|част[а-я]*)\s*(?P<part_after>{SMALL})(?!\s*(?:ст|стат|art|of\s+art)))?",
        re.I,
    )
    en_small = _en_small()
    en_item = ARTICLE_NUMBER + r"(?:\s*\(\d{1,2}\))?" + TITLE + "?"
    en = re.compile(
        rf"(?:\b(?:sub)?(?:paragraph|para\.|clause|item)\s*(?P<para>{SMALL})\s*,?\s*(?:of\s*)?,?\s*)?"
        rf"(?:\b(?:part|section)s?\s*(?P<part>{_list(en_small, 'and|or')})\s*,?\s*(?:of\s*)?(?:the\s+)?|\b(?P<both>both\s+parts)\s+of\s+(?:the\s+)?)?"
        rf"\b(?:articles?|arts?\.)"
        # "four articles of the Tajik criminal code: 179.2 (...), 307.1 (...)"
        rf"(?:\s+of\s+the\s+(?:[\w'’]+\s+){{0,3}}?(?:criminal|penal)\s+code\s*:)?"
        rf"\s*(?P<art>{_list(en_item, 'and|or')})"
        rf"(?:\s*,?\s*(?:part|section|paragraph)\s*(?P<part_after>{SMALL})(?!\s*(?:ст|стат|art|of\s+art)))?"
        # "the Criminal Code 174": the number straight after the code's name
        rf"|\b(?:criminal|penal)\s+(?:[a-z]+\s+)?code\s+(?P<art_bare>\d{{2,3}})\b(?![.,-]?\d)",
        re.I,
    )
    # "ч. 2 той же статьи", "Part 2 of the same article": the article cited just before.
    same = {
        "ru": re.compile(rf"\b(?:ч\.|част[а-я]*)\s*(?P<part>{ru_small})\s+(?:той|этой)\s+же\s+стать[а-я]*", re.I),
        "en": re.compile(rf"\bpart\s*(?P<part>{en_small})\s+of\s+the\s+same\s+article", re.I),
    }
    return {"ru": ru, "en": en, "same_ru": same["ru"], "same_en": same["en"]}


def _cue(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(alternatives), re.I)


# Codes named after an article, or anywhere in a text. Order matters: specific before generic.
CODE_CUES: list[tuple[str, re.Pattern]] = [
    ("KZ-CC", _cue(r"УК\s*РК", r"УК\s+(?:Республики\s+)?Казахстан\w*", r"Уголовн\w*\s+кодекс\w*\s+(?:(?:Республики\s+)?Казахстан|РК\b)",
                   r"(?:Criminal|Penal)\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Kazakhstan",
                   r"Kazakh(?:stan's|stani)?\s+(?:Criminal|Penal)\s+Code")),
    ("RU-CC", _cue(r"УК\s*РФ", r"УК\s+(?:России|Российской\s+Федерации)", r"Уголовн\w*\s+кодекс\w*\s+(?:Российской\s+Федерации|РФ|России)",
                   r"(?:Criminal|Penal)\s+Code\s+of\s+(?:the\s+)?Russia(?:n\s+Federation)?", r"Russia(?:'s|n)\s+(?:Criminal|Penal)\s+Code")),
    ("KG-CC", _cue(r"УК\s*КР", r"УК\s+(?:Кыргызстана|Киргизии|Кыргызской\s+Республики)",
                   r"Уголовн\w*\s+кодекс\w*\s+(?:Кыргызской\s+Республики|Кыргызстана|Киргизии|КР\b)",
                   r"(?:Criminal|Penal)\s+Code\s+of\s+(?:the\s+)?Kyrgyz(?:stan|\s+Republic)", r"Kyrgyz(?:stan's)?\s+(?:Criminal|Penal)\s+Code")),
    ("UZ-CC", _cue(r"УК\s*РУз", r"УК\s+(?:Республики\s+)?Узбекистан\w*", r"Уголовн\w*\s+кодекс\w*\s+(?:(?:Республики\s+)?Узбекистан|РУз\b)",
                   r"(?:Criminal|Penal)\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Uzbekistan", r"Uzbek(?:istan's)?\s+(?:Criminal|Penal)\s+Code")),
    ("TJ-CC", _cue(r"УК\s*РТ", r"УК\s+(?:Республики\s+)?Таджикистан\w*", r"Уголовн\w*\s+кодекс\w*\s+(?:(?:Республики\s+)?Таджикистан|РТ\b)",
                   r"(?:Criminal|Penal)\s+Code\s+of\s+(?:the\s+Republic\s+of\s+)?Tajikistan", r"Tajik(?:istan[’']?s)?\s+(?:Criminal|Penal|Pena)\s+Code")),
]
CRIMINAL_CUE = re.compile(r"\bУК\b|Уголовн\w*\s+кодекс|criminal\s+code|penal\s+code", re.I)
# An article of some other act: the Constitution, a law, the administrative code.
OTHER_ACT = re.compile(
    r"^[\s,]*(?:\(\d+\)\s*)?(?:настоящего\s+Кодекса|of\s+this\s+Code|Конституц|Закон|закон|КоАП|Кодекс\w*\s+(?:об|о)\s|Административн|Гражданск|Трудов|Налогов|"
    r"Уголовно-процессуальн|УПК|of\s+the\s+(?:Constitution|Law|law|Code\s+of\s+Administrative|Administrative|Civil|Labou?r|Tax|"
    r"Criminal\s+Procedure|Convention|Charter|Universal|International|European)|of\s+(?:its|the\s+country's)\s+(?:constitution|Constitution)|of\s+the\s+\w+\s+Law|"
    r"of\s+the\s+[A-Z]\w+\s+(?:Act|Law|Constitution))",
)
# The text of a law itself: its own article headings ("Статья 1. Основные понятия") are no charge.
LAW_TEXT = re.compile(r"настоящ\w+\s+Закон|\bthis\s+Law\b")
HEADING = re.compile(r"(?:^|\n)[ \t]*$")
COUNTRY_CUES = {
    # КНБ is Kazakhstan's security committee; ГКНБ Kyrgyzstan's.
    "KZ-CC": re.compile(r"Казахстан|\bРК\b|Kazakh|Астан|Алмат|Шымкент|Astana|Almaty|Shymkent|(?<!Г)КНБ|(?<!G)\bKNB\b", re.I),
    "RU-CC": re.compile(r"Росси|\bРФ\b|Russia|Москв|Moscow", re.I),
    "KG-CC": re.compile(r"Кыргыз|Киргиз|Kyrgyz|Бишкек|Bishkek|\bОш\b|\bOsh\b|ГКНБ|\bGKNB\b|\bКР\b", re.I),
    "UZ-CC": re.compile(r"Узбек|Uzbek|Ташкент|Tashkent", re.I),
    "TJ-CC": re.compile(r"Таджик|Tajik|Душанбе|Dushanbe", re.I),
}
YEAR = re.compile(r"(?<!\d)(?:199\d|20[0-4]\d)(?!\d)")


def _numbers(group: str | None, lang: str) -> list[int | None]:
    if not group:
        return [None]
    if re.match(r"обе|both", group, re.I):
        return [1, 2]
    out = []
    for piece in re.split(r"\s*(?:,|\bи\b|\bили\b|\band\b|\bor\b)\s*", group, flags=re.I):
        value = to_number(piece, lang) if piece else None
        if value is not None and float(value).is_integer():
            out.append(int(value))
    return out or [None]


def _article_values(group: str) -> list[tuple[str, int | None, str | None]]:
    """'174 и 256' -> [('174', None, None), ('256', None, None)]; '256(2)' -> [('256', 2, None)];
    '299-2 «...»' -> [('299-2', None, '...')]; '244¹' -> [('244-1', ...)]; '307 прим 3' -> ('307-3', ...)."""
    values = []
    for m in re.finditer(rf"(?P<n>{ARTICLE_NUMBER})(?:\s*\((?P<p>\d{{1,2}})\))?(?P<t>{TITLE})?", group):
        number = re.sub(r"\s*прим\.?\s*|[–.]", "-", m.group("n").replace(" ", ""))
        if number[-1] in SUPERSCRIPTS:
            number = f"{number[:-1]}-{SUPERSCRIPTS.index(number[-1]) + 1}"
        head, _, sub = number.partition("-")
        if len(sub) == 3 and len(head) == 3:
            continue  # "255-260": a range of articles, as statutes and explainers list them
        title = m.group("t").strip(" ()«»“”\"") if m.group("t") else None
        values.append((number, int(m.group("p")) if m.group("p") else None, title))
    return values


def _country_code(text: str) -> str:
    scores = {code: len(cue.findall(text)) for code, cue in COUNTRY_CUES.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] else "KZ-CC"


def _written(code: str, number: str) -> int | str:
    """The number as the code writes it: 256, '299-2' (Kyrgyz, Kazakh, Uzbek), '307.3' (Tajik,
    Russian); '27-168' (attempt joined to the article) stays as written."""
    if number.isdigit():
        return int(number)
    head, _, sub = number.partition("-")
    if code in DOTTED and len(sub) <= 2:
        return f"{head}.{sub}"
    return number


def _title_words(title: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[^\W\d_]{4,}", title.lower())}


def _code_by_title(number: str, title: str, current: str) -> str:
    """The code whose article `number` has the quoted `title`, when the one assumed has no such
    article: "статье 207 («Заведомо ложное сообщение об акте терроризма»)" with no code named."""
    if lookup(current, _written(current, number)):
        return current
    words = _title_words(title)
    best, score = current, 0.0
    for code in COUNTRY_CUES:
        row = lookup(code, _written(code, number))
        if row:
            ref = _title_words(row["title_ru"]) | _title_words(row["title_en"])
            overlap = len(words & ref) / max(len(words), 1)
            if overlap > score and overlap >= 0.6:
                best, score = code, overlap
    return best


def find_articles(text: str, lang: str) -> list[dict]:
    pattern = _patterns()["en" if lang == "en" else "ru"]
    matches = list(pattern.finditer(text))
    if not matches:
        return []  # most texts: the code cues below need not be read
    explicit: list[tuple[int, str]] = [
        (m.start(), code) for code, cue in CODE_CUES for m in cue.finditer(text)
    ]
    explicit.sort()
    fallback = _country_code(text)
    law_text = bool(LAW_TEXT.search(text))
    found: list[dict] = []
    for m in matches:
        art_group = m.group("art") or m.groupdict().get("art_bare")
        tail = text[m.end(): m.end() + 400]
        title = LEADING_TITLE.match(tail)
        if title:
            tail = tail[title.end():]
        tail = tail[:90]
        if OTHER_ACT.match(tail):
            continue
        if law_text and HEADING.search(text[max(0, m.start() - 40): m.start()]) and re.match(r"\s*\.", tail):
            continue  # "Статья 1. Основные понятия" in the text of a law
        if lang == "en" and m.group(0)[:7].isupper() and not text[max(0, m.start() - 200): m.end() + 200].isupper():
            continue  # ARTICLE 19, the free-speech organisation
        window = re.split(r"(?<=[.!?])\s|;|\n", tail, maxsplit=1)[0]
        window = window[:70]
        code = None
        for name, cue in CODE_CUES:
            hit = cue.search(window)
            if hit and not re.search(r"\b(?:ст\.|стат|article)", window[: hit.start()], re.I):
                code = name
                break
        named = code is not None
        if code is None:
            before = [c for pos, c in explicit if pos < m.end()]
            after = [c for pos, c in explicit if pos >= m.end()]
            named = bool(before or after)
            code = before[-1] if before else (after[0] if after else fallback)
        # A bare "Article 19" in English with no criminal code anywhere is too weak to keep.
        if lang == "en" and not explicit and not CRIMINAL_CUE.search(text) and not re.search(
            r"charg|convict|sentenc|crim|prosecut|accus|guilty|terror|extrem|jail|fined|court|incit|"
            r"discord|hatred|banned|detain|arrest|defendant", text, re.I):
            continue
        parts = _numbers(m.group("part") or m.group("part_after") or m.group("both"), lang)
        paragraphs = _numbers(m.group("para"), lang)
        if lang == "en" and parts == [None] and paragraphs != [None]:
            # English reports often render "часть" as "paragraph": with no part named, it is the part.
            parts, paragraphs = paragraphs, [None]
        for number, paren_part, item_title in _article_values(art_group):
            item_code = code
            if not named and (item_title or (title and len(_article_values(art_group)) == 1)):
                item_code = _code_by_title(number, item_title or title.group(0).strip(" ,()«»“”\""), code)
            if paren_part and item_code == "TJ-CC" and "-" not in number and lookup(item_code, f"{number}.{paren_part}"):
                # Tajik sub-articles rendered "Article 307 (1)" in English: 307.1
                number, paren_part = f"{number}-{paren_part}", None
            article = _written(item_code, number)
            for part in ([paren_part] if paren_part else parts):
                for para in paragraphs:
                    found.append({
                        "code": item_code, "article": article, "part": part, "paragraph": para,
                        "text": m.group(0).strip(), "start": m.start(), "end": m.end(),
                    })
    for m in _patterns()["same_en" if lang == "en" else "same_ru"].finditer(text):
        earlier = [f for f in found if f["end"] <= m.start()]
        part = _numbers(m.group("part"), lang)[0]
        if earlier and part is not None:
            last = max(earlier, key=lambda f: f["start"])
            found.append({**last, "part": part, "paragraph": None, "text": m.group(0), "start": m.start(), "end": m.end()})
    found.sort(key=lambda f: f["start"])
    years = [int(y) for y in YEAR.findall(text)]
    return _dedupe(found, max(years) if years else None)


def _dedupe(found: list[dict], year: int | None = None) -> list[dict]:
    """One entry per (code, article, part, paragraph); drop a bare article when a more
    specific reference to it exists. Titles come from the edition in force in `year` (the
    latest year the text names), so "ст. 170 УК РК" in a 2012 report is the 1997 code's."""
    specific = {(f["code"], f["article"]) for f in found if f["part"] is not None or f["paragraph"] is not None}
    out, seen = [], set()
    for f in found:
        key = (f["code"], f["article"], f["part"], f["paragraph"])
        if key in seen or (f["part"] is None and f["paragraph"] is None and (f["code"], f["article"]) in specific):
            continue
        seen.add(key)
        entry = lookup(f["code"], f["article"], f["part"], year)
        if entry:
            f["title"] = {"en": entry.get("title_en"), "ru": entry.get("title_ru")}
            f["category"] = entry.get("category")
            f["edition"] = entry.get("edition")
        out.append(f)
    return out


@Language.factory("case_articles")
def make_case_articles(nlp: Language, name: str):
    ensure_extension("articles", default=None)
    lang = nlp.lang

    def case_articles(doc: Doc) -> Doc:
        doc._.articles = find_articles(text_of(doc), lang)
        return doc

    return case_articles
