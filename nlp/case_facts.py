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

from nlp.doc_types import document_type
from nlp.naming import platform_pattern
from nlp.lemmas import is_female_first_name
from nlp.names import name_key, person_keys, public_figures
from nlp.numbers import cardinal_pattern, to_number
from nlp.organisations import aliases, organisations
from nlp.prefilter import Beginnings, lowered
from nlp.spans import ensure_extension, in_clutter_line, sentence_bounds, text_of
from nlp.vocabulary import STAGES

# Furthest first: the first stage whose cues match is the one reported.
STAGES_FURTHEST_FIRST = tuple(reversed(STAGES))
# The lead: a stage told there is the report's, before stages told further down.
LEAD_CHARS = 300


@lru_cache(maxsize=1)
def _cues() -> dict:
    return json.loads(resources.files("nlp").joinpath("data/stage_cues.json").read_text("utf-8"))


def _matchers(nlp: Language) -> tuple[PhraseMatcher, PhraseMatcher]:
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    for org in organisations():
        lower.add(f"org:{org['id']}", [nlp.make_doc(f) for f in aliases(org)])
        if org.get("patterns_case_sensitive"):
            exact.add(f"org:{org['id']}", [nlp.make_doc(f) for f in org["patterns_case_sensitive"]])
    return lower, exact


def _clutter(sentence: str) -> bool:
    return bool(re.search("|".join(_cues()["clutter"]), sentence, re.I))


# People counted: "семеро граждан", "10 человек", "seven Tajik citizens", "two men".
PERSON_NOUNS = {
    "ru": r"(?:человек(?:а|ам|ами)?|граждан\w*|жител\w*|мужчин\w*|женщин\w*|обвиняем\w*|подсудим\w*|осужденн\w*|осуждённ\w*|"
          r"фигурант\w*|член\w*|участник\w*|молод\w* люд\w*|парн\w*|выходц\w*|подозреваем\w*|сторонник\w*|адепт\w*|"
          r"задержанн\w*|брать\w*|брат\w*|сестр\w*|активист\w*|мусульман\w*|верующ\w*|лидер\w*|руководител\w*|лиц|приверженц\w*|организатор\w*|"
          r"сообщник\w*|соучастник\w*|террорист\w*|экстремист\w*|боевик\w*)",
    "en": r"(?:people|persons|men|women|citizens|nationals|residents|defendants|suspects|members|individuals|youths|"
          r"supporters|followers|brothers|accused|convicts|activists|Muslims|Christians|believers|leaders|leading\s+figures|"
          r"accomplices|co-defendants|terrorists|militants|extremists|Islamists|jihadists|recruits)",
}
SINGLE = {
    "ru": r"\b(?:жител(?:ь|я|ю|ем)|подрост(?:ок|ка|ку|ком|ке)|несовершеннолетн(?:ий|его|ему|им|яя|юю|ей)|активист(?:а|у|ом|к[аеиу]|кой)?|жительниц\w*|имам\w*|блогер\w*|журналист\w*|мужчин[аеуы]|женщин[аеуы]|обвиняем(?:ый|ая|ого|ой)|подсудим(?:ый|ая|ого|ой)|"
          r"осужденн(?:ый|ая|ого|ой)|уроженц\w*|уроженк\w*|гражданин\w*|гражданк\w*|\d{2}-летн\w+)\b",
    "en": r"\b(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:man|woman|resident|citizen|defendant|suspect|native|convict|girl|boy|"
          r"mother|father|student|imam|blogger|teenager|journalist|activist|pensioner|preacher|national|pastor|leader)\b|\b\d{2}-year-old\b",
}
AGE = {
    "ru": re.compile(r"(?P<age>\d{2})-летн(?P<end>\w+)|в\s+возрасте\s+(?P<age2>\d{2})\s+лет", re.I),
    "en": re.compile(r"(?P<age>\d{2})-year-old(?:\s+(?P<noun>\w+))?|aged\s+(?P<age2>\d{2})|,\s+(?P<age3>\d{2}),(?!\d)", re.I),
}
# A woman sentenced or charged ("осуждена"); not "задержана", "арестована": a part of a group, a
# shipment or property is detained or seized too.
FEMALE = {"ru": r"\b(?:жительниц\w*|женщин[аеуы]|девушк\w*|осужд[её]нн(?:ая|ой|ую)|обвиняем(?:ая|ой|ую)|подсудим(?:ая|ой|ую)|гражданк\w*|уроженк\w*|мать|матери|вдов\w*|студентк\w*|блогерш\w*|"
                r"(?:осужд[её]н|приговор[её]н|обвин[её]н)а|взята\s+под\s+(?:стражу|домашний\s+арест))\b",
          "en": r"\b(?:woman|women|girl|mother|wife|widow|she|her|female|sister|daughter|businesswoman)\b"}
MALE = {"ru": r"\b(?:мужчин[аеуы]?|парн[яюе]|парень|юнош\w*|отец|отца|сын|сына|имам\w*|гражданин\w*|жител[ьяюем]|жителем|"
              r"осужденн(?:ый|ого|ому|ым)|обвиняем(?:ый|ого|ому|ым)|подсудим(?:ый|ого|ому|ым)|уроженц[аеу]|уроженец|брать\w*|"
              r"студент[аеу]?|подростк\w*|{common})\b",
        "en": r"\b(?:man|men|boy|father|husband|he|his|him|male|brothers?|son|imam|businessman)\b"}
# Russian nouns of a trade that stand for women too ("блогер Анна ..."): a man's only where the
# report tells nothing feminine of its defendant.
COMMON_GENDER_RU = r"журналист[аеу]?|блогер[аеу]?"
MALE["ru"] = MALE["ru"].replace("{common}", COMMON_GENDER_RU)
FEMALE_ENDINGS = ("яя", "ей", "юю")
# The words a noun stands before, up to a mark or a conjunction ("блогера Гульнару Петрову",
# "жителя Тараза Айгуль Саматову"): a woman's first name or a surname only a woman's can be among
# them tells the gender the noun does not.
WORDS_AFTER_NOUN = re.compile(r"(?:\s+(?!(?:и|или|а|но)\b)[\w-]+){1,4}")
FEMALE_SURNAME = re.compile(r"[А-ЯЁ]\w+(?:ов|ев|ёв|ин)ой(?:-|$)")
# The pronoun of whoever tells the news ("According to her, the group is charged with ...", the
# court's press secretary) says nothing of the defendant's gender.
SPEAKER_PRONOUN = re.compile(r"\b[Aa]ccording\s+to\s+(?:her|him)\b")


# Larger numbers of people in a report are victims, statistics or crowds, not one case's defendants
# (the largest trials in the region's reports, Atyrau 2012 and the Tajik party leaders, had 47 and 14).
MAX_HEAD_COUNT = 60


# Russian collective numerals name people even without a noun: "все четверо были приговорены",
# "ещё двое получили по 25 лет" (but "двое малолетних детей", "трое суток" are not defendants).
COLLECTIVE_RU = (r"двое|двоих|трое|троих|четверо|четверых|пятеро|пятерых|шестеро|шестерых|семеро|семерых|"
                 r"восьмеро|восьмерых|девятеро|девятерых|десятеро|десятерых")
NOT_DEFENDANTS_AFTER = r"\s+(?:\w+\s+)?(?:дет|ребен|ребён|сут|внук|сынов|дочер|несовершеннолетн\w+\s+дет)"
# A day of a month ("August 14 in Astana and accused", "14 марта задержаны"), not a head count.
MONTH_WORD = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
              r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]|"
              r"июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*)")
# Hedged totals ("at least four men", "более 100 членов") are tallies, not one trial's defendants.
HEDGE_BEFORE = re.compile(r"(?:\bat\s+least|\bmore\s+than|\bover|\bup\s+to|\babout|\baround|\bsome|\bне\s+менее|\bболее|"
                          r"\bсвыше|\bоколо|\bпорядка|\bдо)\s+$", re.I)
# The people a defendant killed ("в убийстве десятерых человек", "killing ten people").
VICTIM_BEFORE = re.compile(r"(?:убийств\w*|убил\w*|застрелил\w*|killing|killed|murder(?:ing|ed)?(?:\s+of)?)\s+$", re.I)


# A sentence that imposes the penalty: its head count is the convicted one ("sentenced three
# defendants"), ahead of counts of the arrest told in the same report ("detained five accomplices").
SENTENCED = {
    "ru": re.compile(r"приговор|осужд|осуди|осуждён|признан\w*\s+виновн|назначил\w*|получил\w*\s+(?:по\s+|от\s+|до\s+)?(?:\d|\w+\s+(?:лет|год))", re.I),
    "en": re.compile(r"sentenc|convicted|jailed|found\s+guilty|(?:was|were)\s+(?:all\s+|each\s+)?given|received|gave|"
                     r"handed|(?:prison|jail)\s+terms?", re.I),
}


def _counts(text: str, lang: str) -> tuple[int | None, int | None]:
    """The head count of the main case, read in one pass: the largest count told beside the
    proceeding, and the largest told in a sentence that imposes a penalty (None when none is)."""
    n = cardinal_pattern(lang)
    counted = rf"(?P<n>{n})\s+(?:[\w-]+\s+){{0,3}}?{PERSON_NOUNS[lang]}\b"
    if lang == "ru":
        counted = rf"(?:{counted}|(?P<c>{COLLECTIVE_RU})\b(?!{NOT_DEFENDANTS_AFTER}))"
    pattern = re.compile(rf"(?<![\w.]){counted}", re.I)
    date_after = re.compile(rf"\s+{MONTH_WORD}\b", re.I)
    date_before = re.compile(rf"\b{MONTH_WORD}\.?\s+$", re.I)
    counts, sentenced, last = [], [], None
    for m in pattern.finditer(text):
        group = "n" if m.group("n") else "c"
        number, number_end = m.group(group), m.end(group)
        value = to_number(number, lang)
        s, e = sentence_bounds(text, m.start())
        sentence = text[s:e]
        if value is None or not (1 <= value <= MAX_HEAD_COUNT):
            continue
        before = text[max(0, m.start() - 30):m.start()]
        if HEDGE_BEFORE.search(before) or VICTIM_BEFORE.search(before):
            continue
        if number[0].isdigit() and (date_before.search(before) or date_after.match(text, number_end)):
            continue
        # Counts of people convicted or accused, not of victims, visitors or years.
        if re.search(r"погиб|пострада|ранен|жертв|killed|injured|victims|wounded|dead|посетител|visitors|"
                     r"по стране|nationwide|за год|in \d{4} alone|всего в|statistics|статистик|"
                     r"since\s+(?:the\s+beginning\s+of\s+)?(?:\d{4}|the\s+year|this\s+year)|"
                     r"с\s+(?:начала\s+)?(?:\d{4}|этого|текущего|прошлого)\s+год", sentence, re.I):
            continue
        between = text[number_end:m.end()]
        if re.search(r"\b(?:год|лет|месяц|year|month|тысяч|thousand)|the\s+number\s+of|числ[оа]\s|количеств|^\s+(?:и|или|or)\s+(?:более|more)",
                     between, re.I):
            continue  # "к двум годам ограничения свободы жителя": a term, not a head count
        # A part of the group ("the third of four Muslims", "including five women"), others tried apart
        # ("the remaining eight defendants"), a name ("Group 24 activists").
        if re.search(r"(?:\b(?:one|first|second|third|fourth|один|одна|одного|одной)\s+(?:of|из)|\b(?:group|групп[аы])|"
                     r"including|в\s+том\s+числе|среди\s+них|из\s+них|of\s+whom|remaining|остальн\w+)\s+$",
                     text[max(0, m.start() - 20):m.start()], re.I):
            continue
        cued = re.search(r"осужд|осуди|приговор|задерж|обвин|арест|подсудим|вербов|рассмотрени|\bдел[аоу]\b|\bсуд|sentenced|"
                         r"convicted|detained|arrested|charged|accused|jailed|defendants|trial|recruit|court|custody|\bdock\b|срок\w*\s+наказани|"
                         r"лишени\w+\s+свободы|колони\w+|prison|jail|appeal", sentence, re.I)
        if cued:
            # "ещё шестеро участников", "six other members", "another five accomplices": beside a count
            # told just before ("two leaders ... while ten other members" is 12), else beside one named leader.
            more = (re.search(r"(?:ещ[её]|другие|\banother)\s*$", text[max(0, m.start() - 8):m.start()], re.I)
                    or re.match(r"\s+(?:other|других|остальных)\b", text[number_end:], re.I))
            beside = last if last and len(re.findall(r"[.!?]\s", text[last[1]:m.start()])) <= 1 else None
            counts.append(int(value) + (beside[0] if beside else 1) if more else int(value))
            # A sentenced count stays one when others are added to it ("ещё пятеро получили от 6 до 9 лет").
            is_sentenced = bool(SENTENCED[lang].search(sentence) or (more and beside and beside[2]))
            if is_sentenced:
                sentenced.append(counts[-1])
            last = (counts[-1], m.end(), is_sentenced)
    if counts:
        return max(counts), max(sentenced, default=None)
    if re.search(r"суд\w*\s+оправдал|оправдательн\w*\s+приговор|был[аи]?\s+оправдан|\bacquitt\w*", text, re.I):
        return 0, None  # acquitted: nobody convicted
    return None, None


# Names that are not the accused's: officials of the proceeding and people quoted.
ROLE_BEFORE = {
    "ru": re.compile(r"(?:судь[яией]|адвокат\w*|защитник\w*|прокурор\w*|следовател\w*|президент\w*|председател\w*|"
                     r"правозащитни\w*|эксперт\w*|по\s+словам|сообщил\w*)\s*,?\s*$", re.I),
    "en": re.compile(r"(?:judge|lawyer|attorney|prosecutor|investigator|president|chairman|defender|expert|according\s+to|"
                     r"said|told)\s*,?\s*$", re.I),
}
# The title of an official of the proceeding or of an authority, and what may stand between it and
# the name: whose official ("пресс-секретарь специализированного суда Актюбинской области",
# "press secretary of the regional court", "Representative of the Department of ... of Aktobe oblast").
OFFICIAL_TITLE = {
    "ru": r"(?i:судь[яией]|адвокат\w*|защитник\w*|прокурор\w*|следовател\w*|пресс-секретар\w*|"
          r"пресс-служб\w*|представител\w*|спикер\w*)",
    "en": r"(?i:judge|lawyer|attorney|prosecutor|investigator|spokes(?:man|woman|person)|"
          r"press[\s-]+(?:secretary|officer|service)|representative)",
}
OFFICIAL_BEFORE = {
    "ru": re.compile(OFFICIAL_TITLE["ru"] +
                     r"(?:\s+(?:[а-яё-]+(?:ого|его|ой|ей|ых|их|ов|ев|ии|ия|а|я|ы|и)(?<!ла)(?<!ли)|[А-ЯЁ][\w-]*)){0,6}\s*,?\s*$"),
    "en": re.compile(OFFICIAL_TITLE["en"] +
                     r"(?:\s+(?:of|at|the|[A-Z][\w'-]*|(?i:[\w-]*(?:court|service|office|department|ministry|police|"
                     r"committee|oblast|region|city|district|regional|national|security|general)))){0,12}\s*,?\s*$"),
}
# A title told after the name, set off by a comma: "Zhandos Umiraliyev, deputy prosecutor general,",
# "Ерлан Сейтов, пресс-секретарь суда".
# Told so at a person's first mention, it is that person's role in the report whatever follows
# ("Umiraliyev said"). Lawyers are left out: a defendant may be one ("Ivanov, a lawyer, was jailed").
OFFICE_TITLE = {"ru": r"(?i:судь[яией]|прокурор\w*|генпрокурор\w*|следовател\w*|пресс-секретар\w*|представител\w*|спикер\w*)",
                "en": r"(?i:judge|prosecutor|investigator|spokes(?:man|woman|person)|press[\s-]+(?:secretary|officer)|representative)"}
OFFICIAL_AFTER = {lang: re.compile(r"\s*,\s*(?:(?:the|a|an)\s+)?(?:[\w-]+\s+){0,3}?" + OFFICE_TITLE[lang])
                  for lang in OFFICE_TITLE}
# How far before a name its title may begin.
OFFICIAL_REACH = 120
# Heads of state and government: the age told of one is no defendant's ("the 76-year-old president").
HEAD_TITLE = {"ru": r"(?i:президент\w*|премьер-министр\w*|глав\w*\s+государства)",
              "en": r"(?i:president|prime\s+minister|head\s+of\s+state)"}
TITLED_BEFORE = {lang: re.compile(rf"(?:{HEAD_TITLE[lang]})\s+(?:[A-ZА-ЯЁ][\w'’.-]*\s+){{0,2}}[A-ZА-ЯЁ][\w'’-]*\s*$")
                 for lang in HEAD_TITLE}
# Whose age it is: the name told just before it ("Kozlov, 52,", "Kozlov, aged 52", "Козлов в
# возрасте 52 лет", and, set off by a comma, "Kozlov, a 52-year-old activist"), or the name or
# title told just after it ("52-year-old Kozlov", "the 52-year-old judge", "52-летний Козлов").
NAME_BEFORE_AGE = re.compile(r"(?P<name>(?:[A-ZА-ЯЁ][\w'’.-]*\s+){0,3}[A-ZА-ЯЁ][\w'’-]+)(?P<gap>,?\s*(?:(?:a|an)\s+)?)$")
NAME_AFTER_AGE = re.compile(r"\s*(?P<name>(?:[A-ZА-ЯЁ][\w'’.-]*\s+){0,3}[A-ZА-ЯЁ][\w'’-]+)")


# "barred Ulasbek Akhmetov from ...": a full name the English model missed, of a surname's shape
# (Central Asian and Slavic endings), taken when the report returns to the surname on its own.
EN_FULL_NAME = re.compile(r"\b[A-Z][a-z]+ (?P<surname>[A-Z][a-z]+(?:ov|ev|ova|eva|uly|kyzy|enko))\b")


def _name_mentions(text: str, lang: str, doc: Doc) -> list[tuple[str, int | None]]:
    """Every mention of a person, as (name, offset of its last word in the text, or None where
    NER's text differs): NER's, then in English the full names it missed whose surname the report
    repeats alone. From the last word, so that a title NER took into the name ("Prosecutor Kanat
    ...") or one in a first name's place ("Investigator Abdykulov") stands before it."""
    mentions = [(e.text, e[-1].idx if text[e.start_char:e.end_char] == e.text else None)
                for e in _person_ents(doc)]
    if lang == "en":
        found = {name_key(name) for name, _ in mentions}
        for m in EN_FULL_NAME.finditer(text):
            repeated = len(re.findall(rf"\b{m.group('surname')}\b", text)) >= 2
            if repeated and (key := name_key(m.group())) and key not in found:
                mentions.append((m.group(), m.start("surname")))
    return mentions


def _officials(text: str, lang: str, mentions: list[tuple[str, int | None]]) -> set[str]:
    """Keys of the people named only with an official's title (a judge, a lawyer, a prosecutor, a
    court's press secretary): they take part in many cases and identify none. A name told once
    without a title ("адвокат Билаша", then "Билаш заявил") is the case's."""
    titled: dict[str, bool] = {}
    introduced: set[str] = set()  # first told with an office after the name
    for name, start in sorted(mentions, key=lambda m: -1 if m[1] is None else m[1]):
        if not (key := name_key(name)):
            continue
        if start is None:
            titled[key] = False
            continue
        a, _ = sentence_bounds(text, start)
        before = text[max(a, start - OFFICIAL_REACH):start]
        if key not in titled and OFFICIAL_AFTER[lang].match(text, start + len(re.match(r"[\w'’-]*", text[start:]).group())):
            introduced.add(key)
        titled[key] = titled.get(key, True) and bool(OFFICIAL_BEFORE[lang].search(before))
    return {key for key, only in titled.items() if only} | introduced


# "Aidos Serikbayev was convicted": a name the English model often misses.
EN_NAMED_SUBJECT = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+(?=\s+(?:was|has\s+been|had\s+been)\s+"
                              r"(?:sentenced|convicted|jailed|found\s+guilty|given))")


@lru_cache(maxsize=2)
def _topic_pattern(lang: str) -> re.Pattern:
    return re.compile("|".join(_cues()["topic"][lang]), re.I)


@lru_cache(maxsize=2)
def _stage_pattern(lang: str) -> re.Pattern:
    return re.compile("|".join(p for stage in STAGES for p in _cues()[lang][stage]), re.I)


def _person_ents(doc: Doc) -> list:
    """The person names NER found, read from the token array once per doc: `doc.ents` builds a
    Python object for every token on every read, a fifth of this component's time."""
    if "person_ents" not in doc.user_data:
        from spacy.attrs import ENT_IOB, ENT_TYPE

        people = {doc.vocab.strings[label] for label in ("PER", "PERSON") if label in doc.vocab.strings}
        spans = []
        if len(doc) and people:
            arr = doc.to_array([ENT_IOB, ENT_TYPE])
            iob, kind = arr[:, 0], arr[:, 1]
            for begin in (iob == 3).nonzero()[0]:  # 3: the first token of an entity, 1: inside one
                if kind[begin] in people:
                    end = begin + 1
                    while end < len(doc) and iob[end] == 1:
                        end += 1
                    spans.append(doc[int(begin):int(end)])
        doc.user_data["person_ents"] = spans
    return doc.user_data["person_ents"]


# Between two names of one list: a comma or a conjunction, and a title in lower case
# ("Козлов, активист забастовки Аминов и активист оппозиции Сапаргали", "Zafar, and his colleague Sharifov").
# A title never ends in a preposition: "Aminov, a former oil worker from Zhanaozen" joins no place.
NAME_LIST_GAP = re.compile(r"\s*(?:,|и|and|,\s*and)\s*(?:[a-zа-яё][\w-]*\s+){0,4}"
                           r"(?<!\bfrom\s)(?<!\bof\s)(?<!\bin\s)(?<!\bat\s)(?<!\bиз\s)(?<!\bв\s)(?<!\bс\s)")


def _named(text: str, lang: str, doc: Doc) -> int:
    """How many named defendants the proceeding's sentences tell: when names are listed together
    ("Дениса Р. и Кристины К."), every name of those sentences counts; otherwise one when a single
    surname is the one the report returns to."""
    stages = _stage_pattern(lang)
    keys: dict[str, int] = {}
    runs: list[set[str]] = []
    last_end = -1
    for ent in _person_ents(doc):
        if text[ent.start_char:ent.end_char] != ent.text:
            continue
        a, b = sentence_bounds(text, ent.start_char)
        if not stages.search(text[a:b]) or ROLE_BEFORE[lang].search(text[max(a, ent.start_char - 25):ent.start_char]):
            continue
        key = name_key(ent.text)
        if key:
            keys[key] = 0
        if last_end >= 0 and runs and NAME_LIST_GAP.fullmatch(text, last_end, ent.start_char):
            runs[-1].add(key or ent.text)
        else:
            runs.append({key or ent.text})
        last_end = ent.end_char
    lists = [run for run in runs if len(run) >= 2]
    if lists:
        # Several lists ("A and B got life; C, D and E got 28 years") add up; a name told twice counts once.
        return len(set().union(*lists))
    # How often the report returns to each name of the proceeding's sentences.
    for ent in _person_ents(doc):
        if (key := name_key(ent.text)) in keys:
            keys[key] += 1
    if lang == "en":
        for m in EN_NAMED_SUBJECT.finditer(text):
            if key := name_key(m.group()):
                keys[key] = keys.get(key, 0) + 2
    ranked = sorted(keys.values(), reverse=True)
    if len(ranked) == 1 or (len(ranked) > 1 and ranked[0] >= 2 and ranked[0] > ranked[1]):
        return 1
    return 0


# Co-defendants the report names as a group without a number.
UNCOUNTED = {
    "ru": r"\b(?:несколько|ряд)\s+(?:его\s+|ее\s+|её\s+|их\s+)?(?:сообщник|соучастник|пособник|участник|член|обвиняем|подсудим|человек)\w*"
          r"|\b(?:остальн|друг)\w+\s+(?:участник|член|обвиняем|подсудим|фигурант|соучастник|сообщник|пособник)\w*",
    "en": r"\b(?:several|a\s+number\s+of)\s+(?:his\s+|her\s+|their\s+)?(?:accomplices|co-defendants|members|defendants|associates|helpers)\b"
          r"|\bthe\s+(?:other|remaining)\s+(?:members|defendants|participants|accused)\b(?!\s+(?:were|was)\s+\w+\s+(?:in|at)\s)",
}


# Several defendants without a number: "two brothers" is counted; "the defendants" is not a count.
PLURAL = {
    "ru": r"\b(?:подсудимые|обвиняемые|осужденные|осуждённые|фигуранты|задержанные|члены\s+(?:группы|ячейки))\b",
    "en": r"\b(?:(?<!of\s)the\s+defendants|the\s+accused\s+(?:were|are)|members\s+of\s+(?:the\s+|a\s+)?(?:group|cell))\b",
}


def _age_of_other(text: str, m: re.Match, lang: str, others: frozenset[str]) -> bool:
    """Is the age `m` told of someone other than a defendant: a public figure ("Tokayev, 69,"),
    an official of the proceeding ("Judge Nurov, 56,"), a head of state ("the 76-year-old
    president"), or a person `others` holds the name key of?"""
    a, _ = sentence_bounds(text, m.start())
    before = text[max(a, m.start() - OFFICIAL_REACH):m.start()]
    told_before = NAME_BEFORE_AGE.search(before)
    if m.group("age"):  # "52-year-old", "52-летний": of what follows, or of a name set off by a comma
        end = m.start("noun") if m.groupdict().get("noun") else m.end()
        after = text[end:end + OFFICIAL_REACH]
        if re.match(rf"\s*(?:{OFFICIAL_TITLE[lang]}|{HEAD_TITLE[lang]})", after):
            return True
        if (told_after := NAME_AFTER_AGE.match(after)) and name_key(told_after.group("name")) in others:
            return True
        if not (told_before and "," in told_before.group("gap")):
            return False
    elif not told_before:
        return False
    titled = before[:told_before.end("name")]
    return (name_key(told_before.group("name")) in others or bool(OFFICIAL_BEFORE[lang].search(titled))
            or bool(TITLED_BEFORE[lang].search(titled)))


def _woman_named_after(text: str, end: int) -> bool:
    """Do the words after `end` ("... блогера| Гульнару Петрову") name a woman?"""
    words = WORDS_AFTER_NOUN.match(text, end)
    return bool(words) and any(w[0].isupper() and (is_female_first_name(w) or FEMALE_SURNAME.search(w))
                               for w in words.group().split())


def _text_gender(text: str, lang: str) -> str | None:
    """The gender the text tells ("he", "жительница"), when it points one way only. A Russian noun of
    a trade women hold too ("блогер") is a woman's when her name follows it, and a man's only when
    nothing else tells a gender."""
    flags = re.I if lang == "ru" else 0
    told = SPEAKER_PRONOUN.sub(" ", text) if lang == "en" else text
    female = bool(re.search(FEMALE[lang], told, flags))
    male = common = False
    for m in re.finditer(MALE[lang], told, flags):
        if lang == "ru" and re.fullmatch(COMMON_GENDER_RU, m.group(), re.I):
            if _woman_named_after(told, m.end()):
                female = True
            else:
                common = True
        else:
            male = True
    male = male or (common and not female)
    return "female" if female and not male else "male" if male and not female else None


def _persons(text: str, lang: str, others: frozenset[str] = frozenset()) -> list[dict]:
    """The defendants' ages and genders. Ages told of public figures, officials and the people whose
    name keys `others` holds are left out."""
    persons = []
    for m in AGE[lang].finditer(text):
        age = int(m.group("age") or m.group("age2") or (m.groupdict().get("age3") or 0))
        if not 12 <= age <= 90 or _age_of_other(text, m, lang, others):
            continue
        gender = None
        if lang == "ru" and m.group("end"):
            gender = "female" if m.group("end").lower().endswith(FEMALE_ENDINGS) else "male"
            tail = text[m.end():m.end() + 25]
            if re.match(r"\s*(?:жительниц|женщин|девушк|гражданк|уроженк|мать|студентк)", tail, re.I):
                gender = "female"
            elif (noun := re.match(rf"\s*(?:{COMMON_GENDER_RU})\b", tail, re.I)) and _woman_named_after(text, m.end() + noun.end()):
                gender = "female"
        elif lang == "en" and m.groupdict().get("noun"):
            noun = m.group("noun").lower()
            gender = "female" if re.fullmatch(FEMALE["en"], noun) else "male" if re.fullmatch(MALE["en"], noun) else None
        persons.append({"age": age, "gender": gender})
    # Gender stated elsewhere in the text fills in what ages left open.
    text_gender = _text_gender(text, lang)
    if persons:
        persons = [p if p["gender"] or not text_gender else {**p, "gender": text_gender} for p in persons]
    elif text_gender:
        persons.append({"age": None, "gender": text_gender})
    out, seen = [], set()
    for p in persons:
        key = (p["age"], p["gender"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


@lru_cache(maxsize=2)
def _stage_cues(lang: str) -> dict[str, tuple[re.Pattern, Beginnings]]:
    """Each stage's cues as one pattern, compiled once, with the beginnings a match needs."""
    patterns = {stage: re.compile("|".join(_cues()[lang][stage]), re.I) for stage in STAGES}
    return {stage: (pattern, Beginnings(pattern)) for stage, pattern in patterns.items()}


def _stage(text: str, lang: str, imposed: bool) -> str | None:
    """The furthest stage the report describes: appeal > verdict > trial > detention.
    The lead decides when it names a stage; a penalty imposed means at least a verdict."""
    cues, low = _stage_cues(lang), lowered(text)

    def said(stage: str, end: int) -> bool:
        pattern, beginnings = cues[stage]
        return beginnings.may_match(low, 0, end) and bool(pattern.search(text, 0, end))

    # An appeal is told after the verdict it reviews, rarely in the lead: its cues are read everywhere.
    if said("appeal", len(text)):
        return "appeal"
    for end in (min(len(text), LEAD_CHARS), len(text)):
        for stage in STAGES_FURTHEST_FIRST:
            if stage == "verdict" and imposed or said(stage, end):
                return stage
    return None


COURT_WORD = {"ru": re.compile(r"\bсуд(?:а|у|ом|е|ья|ьи|ье|ьёй|ьей)?\b", re.I),
              "en": re.compile(r"\b(?:court|judge)s?\b", re.I)}


@lru_cache(maxsize=2)
def _closed_pattern(lang: str) -> re.Pattern:
    return re.compile("|".join(_cues()["closed_before_trial"][lang]), re.I)


def _closed_before_trial(text: str, lang: str, stage: str | None) -> bool:
    """Did the investigators or prosecutors close the case before any trial ("дело прекращено за
    отсутствием состава преступления", "the charges were dropped")? Only a report that tells of no
    court stage says so, in a sentence that names no court: a court may also end a case, and that
    case was tried."""
    if stage not in (None, "detention"):
        return False
    for match in _closed_pattern(lang).finditer(text):
        start, end = sentence_bounds(text, match.start())
        if not COURT_WORD[lang].search(text[start:end]):
            return True
    return False


# A title: the first line, when it is at most this long and a blank line follows it.
TITLE_CHARS = 200
TITLE = re.compile(rf"\s*[^\n]{{1,{TITLE_CHARS}}}\n[ \t]*\n")


def _title_person(text: str, mentions: list[tuple[str, int | None]], names: list[str]) -> list[str]:
    """The names of the one person the title names in full, when the report names others too and
    returns to him after the title ("Процесс над Бауыржаном Сейткали", then two other bloggers held
    elsewhere): the others are told of in passing, and would tie the report to their cases.
    Otherwise all the names."""
    title = TITLE.match(text)
    if not title:
        return names
    keys = {key for name in names if (key := name_key(name))}
    titled = {name_key(name) for name, at in mentions if at is not None and at < title.end()} & set(person_keys(names))
    again = {name_key(name) for name, at in mentions if at is not None and at >= title.end()}
    if len(titled) != 1 or len(keys) < 2 or not titled <= again:
        return names
    return [name for name in names if name_key(name) in titled]


def find_facts(doc: Doc, matchers) -> dict:
    lang = "en" if doc.lang_ == "en" else "ru"
    text = text_of(doc)
    lower, exact = matchers
    orgs = []
    for matcher in (lower, exact):
        for mid, s, e in matcher(doc):
            if in_clutter_line(text, doc[s].idx):
                continue
            org_id = doc.vocab.strings[mid].split(":", 1)[1]
            if org_id not in orgs:
                orgs.append(org_id)
    pattern, names = platform_pattern()
    found = set()
    for m in pattern.finditer(text):
        name = names[int(m.lastgroup[1:])]
        if name in found:
            continue
        a, b = sentence_bounds(text, m.start())
        if not (_clutter(text[a:b]) or in_clutter_line(text, m.start())):
            found.add(name)
    platform_names = [name for name in names if name in found]
    # An extremism/terrorism article of the code (found by case_articles), organisations, or case terms.
    topic = bool(orgs) or any(a.get("category") in ("extremism", "terrorism") for a in doc._.articles or []) or bool(
        _topic_pattern(lang).search(text))
    # Counts, people and the stage are the main case's: other cases' sentences are blanked out.
    main = doc._.main_text or text
    # A penalty of another case (its sentence blanked out of the main text) is no verdict of this one.
    imposed = any(main[p["start"]:p["end"]].strip() for p in doc._.penalties or [] if p.get("end"))
    stage = _stage(main, lang, imposed)
    # Not gated on the topic words: whether this is a case report at all is nlp.doc_types' call.
    count, sentenced = _counts(main, lang)
    if sentenced is not None and stage in ("verdict", "appeal"):
        count = sentenced
    if count is None:
        # No number: named defendants listed together, or one described or named defendant.
        named = _named(main, lang, doc) if stage else 0
        if named >= 2:
            count = named
        elif re.search(SINGLE[lang], main, re.I) or (named and not re.search(PLURAL[lang], main, re.I)):
            count = 1
        # Others tried with them but not counted ("несколько его сообщников", "the other members"): unclear.
        if count is not None and re.search(UNCOUNTED[lang], main, re.I):
            count = None
    mentions = _name_mentions(text, lang, doc)
    officials = _officials(text, lang, mentions)
    people = list(dict.fromkeys(name for name, _ in mentions if name_key(name) not in officials))
    # A person named only in another case's sentences ("the charge under which X was jailed in
    # 2012") is that case's, not this one's; unless the main case's sentences name no one (its
    # defendant named only where his earlier record is told: "Задержанным оказался ранее судимый X").
    in_main = {name_key(name) for name, start in mentions if start is None or main[start:start + 1].strip()}
    main_people = [name for name in people if name_key(name) in in_main]
    return {
        "orgs": orgs, "platforms": platform_names, "accused_count": count,
        "convicted_count": count if stage in ("verdict", "appeal") else None,
        "persons": _persons(main, lang, public_figures() | officials),
        # Everyone named tells whether this is a case report; the main case's people are the frame's.
        "named": people, "names": _title_person(text, mentions, main_people or people),
        "stage": stage, "closed_before_trial": _closed_before_trial(main, lang, stage),
        "topic": bool(topic or orgs),
    }


@Language.factory("case_facts")
def make_case_facts(nlp: Language, name: str):
    for ext in ("orgs", "platforms", "convicted_count", "accused_count", "persons", "names", "stage",
                "closed_before_trial", "is_case_report", "doc_type"):
        ensure_extension(ext, default=None)
    matchers = _matchers(nlp)

    def case_facts(doc: Doc) -> Doc:
        facts = find_facts(doc, matchers)
        for key in ("orgs", "platforms", "convicted_count", "accused_count", "persons", "names", "stage",
                    "closed_before_trial"):
            setattr(doc._, key, facts[key])
        # Only a case report forms a case: statistics, explainers, warnings and background do not.
        doc._.doc_type = document_type(text_of(doc), nlp.lang, facts["named"], doc._.main_text, facts["topic"])
        doc._.is_case_report = doc._.doc_type == "case_report"
        return doc

    return case_facts
