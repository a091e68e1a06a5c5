"""Case facts: organisations, platforms, how many people, who they are, the stage reached.

The component `case_facts` writes `doc._.orgs` (canonical organisation ids), `doc._.platforms`,
`doc._.convicted_count`, `doc._.persons` ([{"age", "gender"}]), `doc._.names` (person names
from NER), `doc._.stage` and `doc._.is_case_report`. Word lists live in data/.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from nlp.numbers import cardinal_pattern, to_number
from nlp.spans import ensure_extension, sentence_bounds

STAGES = ("appeal", "verdict", "trial", "detention")


def _jsonl(name: str) -> list[dict]:
    path = resources.files("nlp").joinpath(f"data/{name}")
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def organisations() -> list[dict]:
    return _jsonl("organisations.jsonl")


@lru_cache(maxsize=1)
def platforms() -> list[dict]:
    return _jsonl("platforms.jsonl")


@lru_cache(maxsize=1)
def _cues() -> dict:
    return json.loads(resources.files("nlp").joinpath("data/stage_cues.json").read_text("utf-8"))


def _matchers(nlp: Language) -> tuple[PhraseMatcher, PhraseMatcher, PhraseMatcher]:
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    for org in organisations():
        forms = [p for key in ("patterns_en", "patterns_ru") for p in org.get(key, [])]
        forms += [org.get("name_en", ""), org.get("name_ru", "")]
        lower.add(f"org:{org['id']}", [nlp.make_doc(f) for f in forms if f])
        if org.get("patterns_case_sensitive"):
            exact.add(f"org:{org['id']}", [nlp.make_doc(f) for f in org["patterns_case_sensitive"]])
    plat = PhraseMatcher(nlp.vocab, attr="LOWER")
    for p in platforms():
        plat.add(p["name"], [nlp.make_doc(f) for f in [p["name"], *p.get("patterns", [])]])
    return lower, exact, plat


def _clutter(sentence: str) -> bool:
    return bool(re.search("|".join(_cues()["clutter"]), sentence, re.I))


# People counted: "семеро граждан", "10 человек", "seven Tajik citizens", "two men".
PERSON_NOUNS = {
    "ru": r"(?:человек|граждан\w*|жител\w*|мужчин\w*|женщин\w*|обвиняем\w*|подсудим\w*|осужденн\w*|осуждённ\w*|"
          r"фигурант\w*|член\w*|участник\w*|молод\w* люд\w*|парн\w*|выходц\w*|подозреваем\w*|сторонник\w*|адепт\w*|задержанн\w*)",
    "en": r"(?:people|persons|men|women|citizens|nationals|residents|defendants|suspects|members|individuals|youths|"
          r"supporters|followers|brothers|accused|convicts)",
}
SINGLE = {
    "ru": r"\b(?:жител[ья]|жительниц\w*|мужчин[аеуы]|женщин[аеуы]|обвиняем(?:ый|ая|ого|ой)|подсудим(?:ый|ая|ого|ой)|"
          r"осужденн(?:ый|ая|ого|ой)|уроженц\w*|уроженк\w*|гражданин\w*|гражданк\w*|\d{2}-летн\w+)\b",
    "en": r"\b(?:a|the)\s+(?:\d{2}-year-old\s+)?(?:man|woman|resident|citizen|defendant|suspect|native|convict|girl|boy|mother|father|student|imam|blogger|teenager)\b|\b\d{2}-year-old\b",
}
AGE = {
    "ru": re.compile(r"(?P<age>\d{2})-летн(?P<end>\w+)|в\s+возрасте\s+(?P<age2>\d{2})\s+лет", re.I),
    "en": re.compile(r"(?P<age>\d{2})-year-old(?:\s+(?P<noun>\w+))?|aged\s+(?P<age2>\d{2})|,\s+(?P<age3>\d{2}),", re.I),
}
FEMALE = {"ru": r"\b(?:жительниц\w*|женщин[аеуы]|девушк\w*|осужденн(?:ая|ой)|обвиняем(?:ая|ой)|подсудим(?:ая|ой)|гражданк\w*|уроженк\w*|мать|матери|вдов\w*|студентк\w*|блогерш\w*)\b",
          "en": r"\b(?:woman|women|girl|mother|wife|widow|she|her|female|sister|daughter|businesswoman)\b"}
MALE = {"ru": r"\b(?:мужчин[аеуы]|парн[яюе]|парень|юнош\w*|отец|отца|сын|сына|имам\w*|гражданин\w*)\b",
        "en": r"\b(?:man|men|boy|father|husband|he|his|him|male|brother|son|imam|businessman)\b"}
FEMALE_ENDINGS = ("яя", "ей", "юю")


def _count(text: str, lang: str) -> int | None:
    n = cardinal_pattern(lang)
    pattern = re.compile(rf"(?<![\w.])(?P<n>{n})\s+(?:[\w-]+\s+){{0,2}}?{PERSON_NOUNS[lang]}\b", re.I)
    counts = []
    for m in pattern.finditer(text):
        value = to_number(m.group("n"), lang)
        s, e = sentence_bounds(text, m.start())
        sentence = text[s:e]
        if value is None or not (1 <= value <= 200):
            continue
        # Counts of people convicted or accused, not of victims, visitors or years.
        if re.search(r"погиб|пострада|ранен|жертв|killed|injured|victims|wounded|dead|посетител|visitors|тысяч|thousand|"
                     r"по стране|nationwide|за год|in \d{4} alone|всего в|statistics|статистик", sentence, re.I):
            continue
        if re.search(r"осужд|осуди|приговор|задерж|обвин|арест|подсудим|вербов|sentenced|convicted|detained|arrested|"
                     r"charged|accused|jailed|defendants|trial|recruit", sentence, re.I):
            counts.append(int(value))
    if counts:
        return max(counts)
    return 1 if re.search(SINGLE[lang], text, re.I) else None


def _persons(text: str, lang: str) -> list[dict]:
    persons = []
    for m in AGE[lang].finditer(text):
        age = int(m.group("age") or m.group("age2") or (m.groupdict().get("age3") or 0))
        if not 12 <= age <= 90:
            continue
        gender = None
        if lang == "ru" and m.group("end"):
            gender = "female" if m.group("end").lower().endswith(FEMALE_ENDINGS) else "male"
            tail = text[m.end():m.end() + 25]
            if re.match(r"\s*(?:жительниц|женщин|девушк|гражданк|уроженк|мать|студентк)", tail, re.I):
                gender = "female"
        elif lang == "en" and m.groupdict().get("noun"):
            noun = m.group("noun").lower()
            gender = "female" if re.fullmatch(FEMALE["en"], noun) else "male" if re.fullmatch(MALE["en"], noun) else None
        persons.append({"age": age, "gender": gender})
    if not persons:
        female = re.search(FEMALE[lang], text, re.I if lang == "ru" else 0)
        male = re.search(MALE[lang], text, re.I if lang == "ru" else 0)
        if female and not male:
            persons.append({"age": None, "gender": "female"})
        elif male and not female and lang == "ru":
            persons.append({"age": None, "gender": "male"})
    out, seen = [], set()
    for p in persons:
        key = (p["age"], p["gender"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _stage(text: str, lang: str) -> str | None:
    cues = _cues()[lang]
    head = text[:300]
    for scope in (head, text):
        hits = {stage for stage in STAGES if re.search("|".join(cues[stage]), scope, re.I)}
        for stage in STAGES:
            if stage in hits:
                return stage
    return None


def find_facts(doc: Doc, matchers) -> dict:
    lang = "en" if doc.lang_ == "en" else "ru"
    text = doc.text
    lower, exact, plat = matchers
    orgs, platform_names = [], []
    for matcher in (lower, exact):
        for mid, s, e in matcher(doc):
            org_id = doc.vocab.strings[mid].split(":", 1)[1]
            if org_id not in orgs:
                orgs.append(org_id)
    for mid, s, e in plat(doc):
        span = doc[s:e]
        a, b = sentence_bounds(text, span.start_char)
        if _clutter(text[a:b]):
            continue
        name = doc.vocab.strings[mid]
        if name not in platform_names:
            platform_names.append(name)
    # Case terms, or an extremism/terrorism article of the code (found by case_articles).
    topic = re.search("|".join(_cues()["topic"][lang]), text, re.I) or any(
        a.get("category") in ("extremism", "terrorism") for a in doc._.articles or [])
    stage = _stage(text, lang)
    names = list(dict.fromkeys(e.text for e in doc.ents if e.label_ in ("PER", "PERSON")))
    return {
        "orgs": orgs, "platforms": platform_names, "convicted_count": _count(text, lang) if topic or orgs else None,
        "persons": _persons(text, lang) if topic or orgs else [], "names": names,
        "stage": stage if (topic or orgs) else None, "topic": bool(topic or orgs),
    }


@Language.factory("case_facts")
def make_case_facts(nlp: Language, name: str):
    for ext in ("orgs", "platforms", "convicted_count", "persons", "names", "stage", "is_case_report"):
        ensure_extension(ext, default=None)
    matchers = _matchers(nlp)

    def case_facts(doc: Doc) -> Doc:
        facts = find_facts(doc, matchers)
        for key in ("orgs", "platforms", "convicted_count", "persons", "names", "stage"):
            setattr(doc._, key, facts[key])
        # A case report: case terms plus a concrete legal fact (article, penalty or stage).
        legal = bool(doc._.articles or doc._.penalties or facts["stage"])
        doc._.is_case_report = bool(facts["topic"] and legal)
        return doc

    return case_facts
