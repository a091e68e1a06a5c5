"""A synthetic corpus.db of N documents for the serving benchmarks (benchmarks/serve.py).

    .venv/bin/python -m benchmarks.synth --documents 200000 --db /tmp/synth.db [--seed 1]

What it writes, through `corpus.schema.ensure_schema` (the app's own schema, indexes, FTS and
triggers):

- documents: about 65% Russian, 35% English; 800-3000 characters of text composed from varied
  sentence templates (detention, trial, verdict, appeal, background) filled with real gazetteer
  places, Criminal Code articles, sentences, banned organisations, platforms, names, ages and
  dates; outlets from crawler/sources.yml in the right language (a few large, many small);
  publication dates 2014-2025 with more reports in recent years; the summary columns that
  `corpus process` writes (places, articles, penalties, event_dates, orgs, platforms, persons,
  stage, convicted_count, is_case_report) and `search_text`.
- cases: one per three documents on average (1-7 reports each), with every criteria column;
  case_documents; mentions (3-6 per document, with their sentence); similar_cases (3 per case);
  sources, places and criminal_code (the reference tables).

search_text: `corpus.search.search_text` lemmatises every word of a Russian report (pymorphy3)
and adds a token per gazetteer place. Calling it per document costs about a millisecond for a
Russian report, too slow at a million. Here every template fragment and every slot value is
passed through the same functions once (cached) and a document's search_text is the
concatenation of its fragments' lemmas followed by the place tokens in first-seen order. Slots
are always separated from the template's words by spaces or punctuation, so this is exactly
what `search_text(title, text, lang)` returns; `--check N` recomputes N documents the slow
way and counts mismatches.

Loading: every table is created by ensure_schema, then the secondary indexes and the FTS
triggers are dropped, rows are inserted in large transactions with journal_mode=OFF and
synchronous=OFF, and at the end the FTS indexes are rebuilt ('rebuild', then 'optimize'), the
triggers and indexes are re-created from their saved SQL, ANALYZE runs, and ensure_schema runs
once more (a no-op that switches the file back to WAL). Times for each phase are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import sqlite3
import time
from functools import lru_cache
from pathlib import Path

import sqlite_utils
import yaml

from corpus.reference import load_reference_tables
from corpus.schema import INDEXES, ensure_schema
from corpus.search import WORD, _norm, place_forms, search_text, word_lemma
from nlp.gazetteer import places

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------
# Vocabulary

ARTICLES = [  # (article, weight, parts)
    (174, 30, (1, 2)), (256, 22, (1, 2)), (255, 9, (1, 2, 3, 4)), (257, 5, (1, 2)),
    (258, 5, (1, 2)), (259, 5, (1, 2, 3)), (405, 9, (1, 2)), (182, 3, (1, 2, 3)),
    (170, 2, (1, 2)), (179, 2, (1, 2)), (24, 3, (1, 3)), (287, 2, (1, 2)),
]
ORGS = [  # (id, en, ru, weight)
    ("isis", "Islamic State", "Исламское государство", 30), ("hizb-ut-tahrir", "Hizb ut-Tahrir", "Хизб ут-Тахрир", 15),
    ("tablighi-jamaat", "Tablighi Jamaat", "Таблиги Джамаат", 12), ("al-qaeda", "Al-Qaeda", "Аль-Каида", 5),
    ("jund-al-khilafah", "Jund al-Khilafah", "Джунд аль-Халифат", 3), ("at-takfir-wal-hijra", "At-Takfir wal-Hijra", "Ат-Такфир валь-Хиджра", 4),
    ("jabhat-al-nusra", "Jabhat al-Nusra", "Джабхат ан-Нусра", 4), ("aum-shinrikyo", "Aum Shinrikyo", "Аум Синрикё", 1),
]
PLATFORMS = [("WhatsApp", 25), ("Telegram", 25), ("Instagram", 12), ("TikTok", 12), ("YouTube", 10),
             ("VKontakte", 8), ("Facebook", 5), ("Odnoklassniki", 3)]
STAGES = [("detention", 22), ("trial", 18), ("verdict", 45), ("appeal", 10), ("other", 5)]
STAGE_ORDER = {"other": 0, "detention": 1, "trial": 2, "verdict": 3, "appeal": 4}
PENALTIES = [("prison", 75), ("restricted_freedom", 12), ("suspended", 5), ("fine", 5), ("life", 2), ("death", 1)]
FIRST_RU = ["Ерлан", "Асхат", "Нурлан", "Данияр", "Азамат", "Марат", "Руслан", "Бауыржан", "Айдос", "Тимур",
            "Алия", "Айгерим", "Динара", "Гульнара", "Жанар", "Сергей", "Александр", "Дмитрий", "Ильяс", "Арман"]
LAST_RU = ["Ахметов", "Сейткали", "Нуржанов", "Касымов", "Омаров", "Жумабаев", "Искаков", "Садыков", "Муканов",
           "Тулегенов", "Абенов", "Кенжебаев", "Иванов", "Петренко", "Бекмуратов", "Сулейменов", "Утепов", "Рахимов"]
TRANSLIT = {"Ерлан": "Yerlan", "Асхат": "Askhat", "Нурлан": "Nurlan", "Данияр": "Daniyar", "Азамат": "Azamat",
            "Марат": "Marat", "Руслан": "Ruslan", "Бауыржан": "Bauyrzhan", "Айдос": "Aidos", "Тимур": "Timur",
            "Алия": "Aliya", "Айгерим": "Aigerim", "Динара": "Dinara", "Гульнара": "Gulnara", "Жанар": "Zhanar",
            "Сергей": "Sergei", "Александр": "Alexander", "Дмитрий": "Dmitry", "Ильяс": "Ilyas", "Арман": "Arman",
            "Ахметов": "Akhmetov", "Сейткали": "Seitkali", "Нуржанов": "Nurzhanov", "Касымов": "Kassymov",
            "Омаров": "Omarov", "Жумабаев": "Zhumabayev", "Искаков": "Iskakov", "Садыков": "Sadykov",
            "Муканов": "Mukanov", "Тулегенов": "Tulegenov", "Абенов": "Abenov", "Кенжебаев": "Kenzhebayev",
            "Иванов": "Ivanov", "Петренко": "Petrenko", "Бекмуратов": "Bekmuratov", "Сулейменов": "Suleimenov",
            "Утепов": "Utepov", "Рахимов": "Rakhimov"}
FEMALE = {"Алия", "Айгерим", "Динара", "Гульнара", "Жанар"}
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
CODE_RU = {"KZ": "УК РК", "KG": "УК КР", "UZ": "УК РУз", "TJ": "УК РТ", "RU": "УК РФ"}
CODE_EN = {"KZ": "Kazakhstan's Criminal Code", "KG": "Kyrgyzstan's Criminal Code", "UZ": "Uzbekistan's Criminal Code",
           "TJ": "Tajikistan's Criminal Code", "RU": "Russia's Criminal Code"}
AGENCY_RU = {"KZ": "КНБ", "KG": "ГКНБ", "UZ": "СГБ", "TJ": "ГКНБ", "RU": "ФСБ"}
AGENCY_EN = {"KZ": "the National Security Committee (KNB)", "KG": "the State Committee for National Security (GKNB)",
             "UZ": "the State Security Service", "TJ": "the State Committee for National Security", "RU": "the FSB"}

# Templates: {slot}s are always next to spaces or punctuation, never glued to a word.
RU = {
    "title": {
        "detention": ["В {city} задержали сторонника {org}", "КНБ задержал жителя города {city} за пропаганду терроризма",
                      "Подозреваемого в экстремизме задержали в {region}", "{name} задержан по подозрению в участии в {org}"],
        "trial": ["В {city} начался суд над членами {org}", "Суд в {city} рассматривает дело о пропаганде терроризма",
                  "Жителя {region} судят за призывы в {platform}", "Начался процесс по делу о возбуждении розни в {city}"],
        "verdict": ["Жителя {city} осудили на {years} лет за пропаганду терроризма", "В {city} осуждён сторонник {org}",
                    "Суд приговорил {name} к {years} годам лишения свободы", "{n} человек осуждены за участие в {org} ( {region} )",
                    "Жительницу {region} осудили за публикации в {platform}"],
        "appeal": ["Апелляционный суд оставил в силе приговор жителю {city}", "Суд {region} рассмотрел апелляцию по делу {org}",
                   "Приговор по делу о терроризме в {city} изменён апелляцией"],
        "other": ["Дело о пропаганде терроризма в {city} : подробности", "Прокуратура {region} рассказала о деле {org}"],
    },
    "detention": [
        "Сотрудники {agency} задержали {age} -летнего жителя города {city} , подозреваемого в пропаганде терроризма .",
        "По данным ведомства , задержанный распространял материалы {org} через {platform} .",
        "При обыске у подозреваемого изъяты телефон , ноутбук и религиозная литература запрещённого содержания .",
        "В отношении задержанного начато досудебное расследование по части {part} статьи {article} {code} .",
        "Задержание прошло {date} в {region} .",
        "По версии следствия , мужчина вербовал знакомых для выезда в зону вооружённых конфликтов .",
        "Суд санкционировал арест подозреваемого сроком на два месяца .",
    ],
    "trial": [
        "Специализированный межрайонный суд по уголовным делам города {city} начал рассмотрение дела .",
        "Подсудимому вменяется часть {part} статьи {article} {code} .",
        "Государственный обвинитель попросил назначить наказание в виде {years} лет лишения свободы .",
        "На заседании были допрошены свидетели и оглашены заключения экспертов .",
        "Защита настаивает на невиновности подсудимого и просит переквалифицировать обвинение .",
        "По материалам дела , обвиняемый состоял в закрытом чате в {platform} , где публиковал призывы к насилию .",
        "Процесс проходит в закрытом режиме , сообщили в пресс-службе суда {region} .",
    ],
    "verdict": [
        "Суд признал {name} виновным по части {part} статьи {article} {code} .",
        "Осуждённому назначено наказание в виде {years} лет лишения свободы с отбыванием в учреждении средней безопасности .",
        "Приговор вынесен {date} .",
        "Как установил суд , осуждённый публиковал в {platform} видеоматериалы {org} , призывающие к насилию .",
        "Всего по делу осуждены {n} человек в возрасте от {age} лет .",
        "Приговор не вступил в законную силу и может быть обжалован в апелляционном порядке .",
        "Суд также постановил конфисковать изъятые у осуждённого средства связи .",
        "Эксперты признали изъятые материалы экстремистскими и запрещёнными на территории страны .",
    ],
    "appeal": [
        "Судебная коллегия по уголовным делам суда {region} рассмотрела апелляционную жалобу защиты .",
        "Приговор в отношении {name} оставлен без изменения , жалоба без удовлетворения .",
        "Ранее суд первой инстанции приговорил его к {years} годам лишения свободы по статье {article} {code} .",
        "Защита намерена обжаловать решение в кассационном порядке в Верховном суде .",
    ],
    "other": [
        "В прокуратуре {region} напомнили об ответственности за распространение экстремистских материалов .",
        "По данным ведомства , с начала года в {region} зарегистрировано несколько уголовных дел по статье {article} {code} .",
        "Организация {org} признана террористической и запрещена решением суда .",
    ],
    "background": [
        "Напомним , ранее в {city} были осуждены ещё несколько сторонников запрещённых течений .",
        "Правоохранительные органы призывают граждан сообщать о фактах распространения деструктивного контента .",
        "По данным Генеральной прокуратуры , большинство подобных преступлений совершается в социальных сетях .",
        "Эксперты отмечают , что вербовка всё чаще идёт через мессенджеры , прежде всего {platform} .",
        "В прошлом году по статье {article} {code} в стране были осуждены десятки человек .",
        "Родственники осуждённого отказались от комментариев .",
        "Адвокат сообщил , что его подзащитный признал вину частично .",
        "Уголовное дело расследовал департамент {agency} по {region} .",
        "Суд учёл смягчающие обстоятельства : наличие на иждивении малолетних детей и положительные характеристики .",
        "Согласно материалам дела , переписка велась на протяжении нескольких месяцев .",
        "Ранее он уже привлекался к административной ответственности за распространение религиозной литературы .",
        "Следствие установило , что материалы просмотрели несколько тысяч пользователей .",
    ],
}
EN = {
    "title": {
        "detention": ["{city} resident detained over terrorism propaganda", "Security service detains suspected {org} member in {region}",
                      "{name} detained on extremism charges"],
        "trial": ["Trial of alleged {org} members opens in {city}", "{city} court hears case of online calls on {platform}",
                  "Court in {region} tries man accused of inciting discord"],
        "verdict": ["{city} man sentenced to {years} years for terrorism propaganda", "Court jails {n} over links to {org}",
                    "{name} convicted of extremism in {region}", "Woman sentenced in {city} over {platform} posts"],
        "appeal": ["Appeal court upholds sentence in {city} terrorism case", "{region} court rejects appeal in {org} case"],
        "other": ["Prosecutors in {region} warn of online recruitment", "What we know about the {city} extremism case"],
    },
    "detention": [
        "Officers of {agency} detained a {age} -year-old resident of {city} suspected of spreading terrorist propaganda .",
        "According to the agency , the suspect shared {org} materials via {platform} .",
        "Phones , a laptop and banned religious literature were seized during a search .",
        "A pre-trial investigation was opened under Article {article} , Part {part} of {code} .",
        "The detention took place on {date} in {region} .",
        "Investigators say the man recruited acquaintances to travel to conflict zones .",
    ],
    "trial": [
        "A specialised inter-district criminal court in {city} began hearing the case .",
        "The defendant is charged under Part {part} of Article {article} of {code} .",
        "The prosecutor asked the court to impose {years} years in prison .",
        "Witnesses were questioned and expert reports were read out at the hearing .",
        "The defence insists the defendant is innocent and asked for the charges to be reduced .",
        "According to the case file , the accused posted calls for violence in a closed {platform} chat .",
    ],
    "verdict": [
        "The court found {name} guilty under Part {part} of Article {article} of {code} .",
        "The convict was sentenced to {years} years in a medium-security prison .",
        "The verdict was delivered on {date} .",
        "The court established that the convict posted {org} videos calling for violence on {platform} .",
        "In total , {n} people aged from {age} were convicted in the case .",
        "The verdict has not entered into force and may be appealed .",
        "The court also ordered the confiscation of the seized phones .",
    ],
    "appeal": [
        "The appeals board of the {region} court considered the defence's appeal .",
        "The sentence against {name} was upheld and the appeal dismissed .",
        "The trial court had sentenced him to {years} years under Article {article} of {code} .",
        "The defence plans to file a cassation appeal with the Supreme Court .",
    ],
    "other": [
        "Prosecutors in {region} reminded residents of the liability for sharing extremist materials .",
        "Several criminal cases under Article {article} of {code} have been registered in {region} since January .",
        "{org} is designated a terrorist organisation and is banned by court ruling .",
    ],
    "background": [
        "Earlier , several followers of banned movements were convicted in {city} .",
        "Law enforcement urges citizens to report destructive content online .",
        "According to the Prosecutor General's Office , most such crimes are committed on social media .",
        "Experts note that recruitment increasingly happens through messengers , above all {platform} .",
        "Last year dozens of people were convicted under Article {article} of {code} nationwide .",
        "Relatives of the convict declined to comment .",
        "The lawyer said his client partially admitted guilt .",
        "The case was investigated by the {region} department of {agency} .",
        "The court took into account mitigating circumstances , including young children in his care .",
        "Rights groups have criticised the broad wording of the extremism laws .",
        "The materials were viewed by several thousand users , investigators said .",
    ],
}
SLOT = re.compile(r"\{(\w+)\}")


def compile_templates(table: dict) -> dict:
    """Each template as a list of parts: literal text (str) and slot names (tuple of one)."""
    def split(tpl: str) -> list:
        tpl = tpl.replace(" ,", ",").replace(" .", ".").replace(" :", ":").replace("( ", "(").replace(" )", ")")
        tpl = tpl.replace(" -летн", "-летн").replace(" -year", "-year")
        out = []
        for i, part in enumerate(SLOT.split(tpl)):
            if i % 2:
                out.append((part,))
            elif part:
                out.append(part)
        return out
    return {k: ({s: [split(t) for t in v] for s, v in table[k].items()} if isinstance(table[k], dict)
                else [split(t) for t in table[k]]) for k in table}


RU_T, EN_T = compile_templates(RU), compile_templates(EN)


# "{age}-летнего" glues a slot to a word: render the age with the suffix as one value instead.
def _fix_age(templates: dict) -> None:
    for section in ("detention",):
        for tpl in templates[section]:
            for i, part in enumerate(tpl):
                if part == ("age",) and i + 1 < len(tpl) and isinstance(tpl[i + 1], str) and tpl[i + 1][:1] == "-":
                    suffix, rest = re.match(r"(-\w+)(.*)", tpl[i + 1], re.S).groups()
                    tpl[i] = ("age" + suffix.replace("-", "_"),)
                    tpl[i + 1] = rest


_fix_age(RU_T)
_fix_age(EN_T)


# ------------------------------------------------------------------------------------------
# search_text from cached fragments (see the module docstring)

@lru_cache(maxsize=None)
def piece_search(piece: str, ru: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(lemmas, place tokens) of one fragment, exactly as corpus.search.search_text makes them."""
    words = WORD.findall(piece)
    forms = place_forms()
    tokens = tuple(dict.fromkeys(t for w in words for t in forms.get(_norm(w), ())))
    return (tuple(word_lemma(w) for w in words) if ru else ()), tokens


def fast_search_text(pieces: list[str], ru: bool) -> str:
    lemmas: list[str] = []
    tokens: dict[str, None] = {}
    for piece in pieces:
        lem, tok = piece_search(piece, ru)
        lemmas.extend(lem)
        for t in tok:
            tokens[t] = None
    return " ".join(lemmas + list(tokens))


# ------------------------------------------------------------------------------------------
# Generation

def weighted(rng: random.Random, pairs):
    values = [p[0] for p in pairs]
    weights = [p[-1] for p in pairs]
    return lambda k=1: rng.choices(values, weights, k=k)


class Generator:
    def __init__(self, seed: int):
        self.rng = rng = random.Random(seed)
        gaz = places()
        towns = [p for p in gaz.values() if p.kind in ("city", "town", "district") and p.name_ru and " " not in p.name_ru]
        weight = {"KZ": 8.0, "KG": 1.5, "UZ": 1.0, "TJ": 0.7, "RU": 0.5}
        self.towns = towns
        self.town_w = [weight.get(p.country, 0.1) * (1 + (p.population or 0) / 2e5) for p in towns]
        self.gaz = gaz
        sources = yaml.safe_load((ROOT / "crawler" / "sources.yml").read_text("utf-8"))["sources"]
        self.sources = {lang: [s["name"] for s in sources if lang in s.get("languages", [])] for lang in ("ru", "en")}
        self.sources_all = sources
        self.art = weighted(rng, [(a, w) for a, w, _ in ARTICLES])
        self.parts = {a: p for a, _, p in ARTICLES}
        self.org = weighted(rng, [(o[0], o[3]) for o in ORGS])
        self.orgs = {o[0]: o for o in ORGS}
        self.platform = weighted(rng, PLATFORMS)
        self.stage = weighted(rng, STAGES)
        self.penalty = weighted(rng, PENALTIES)
        years = list(range(2014, 2026))
        self.year = weighted(rng, [(y, 1 + (y - 2014) * 0.35) for y in years])

    def source(self, lang: str) -> str:
        names = self.sources[lang]
        # Zipf-like: the first outlets carry most reports.
        return names[min(int(self.rng.paretovariate(1.2)) - 1, len(names) - 1)]

    def case(self, n: int) -> dict:
        rng = self.rng
        town = rng.choices(self.towns, self.town_w)[0]
        region = self.gaz.get(town.admin1_id)
        arts = sorted(set(self.art(rng.choice([1, 1, 1, 2, 2, 3]))))
        org = self.org()[0] if rng.random() < 0.7 else None
        platform = self.platform()[0] if rng.random() < 0.75 else None
        year = self.year()[0]
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        kind = self.penalty()[0]
        years = rng.choice([2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 12, 15, 17])
        first, last = FIRST_RU[rng.randrange(len(FIRST_RU))], LAST_RU[rng.randrange(len(LAST_RU))]
        female = first in FEMALE
        name_ru = f"{first} {last}{'а' if female and last.endswith('ов') else ''}"
        name_en = f"{TRANSLIT[first]} {TRANSLIT[last]}{'a' if female and last.endswith('ов') else ''}"
        stages = sorted(self.stage(n), key=STAGE_ORDER.get)
        return {
            "town": town, "region": region, "articles": arts, "org": org, "platform": platform,
            "start": start, "penalty": kind, "years": years, "count": rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 5, 7]),
            "age": rng.randint(17, 62), "gender": "female" if female else "male",
            "name_ru": name_ru, "name_en": name_en, "stages": stages,
            "part": {a: rng.choice(self.parts[a]) for a in arts},
        }

    def values(self, c: dict, lang: str, date: dt.date) -> dict:
        country = c["town"].country
        art = c["articles"][self.rng.randrange(len(c["articles"]))]
        org = self.orgs[c["org"] or "isis"]
        ru = lang == "ru"
        region = c["region"]
        return {
            "city": c["town"].name_ru if ru else c["town"].name_en,
            "region": (region.name_ru if ru else region.name_en) if region else (c["town"].name_ru if ru else c["town"].name_en),
            "org": org[2] if ru else org[1], "platform": c["platform"] or "Telegram",
            "article": str(art), "part": str(c["part"][art]),
            "code": (CODE_RU if ru else CODE_EN).get(country, CODE_RU["KZ"] if ru else CODE_EN["KZ"]),
            "agency": (AGENCY_RU if ru else AGENCY_EN).get(country, "КНБ" if ru else "the KNB"),
            "years": str(c["years"]), "n": str(c["count"]), "age": str(c["age"]),
            "age_летнего": f"{c['age']}-летнего", "age_year": f"{c['age']}-year",
            "name": c["name_ru"] if ru else c["name_en"],
            "date": (f"{date.day} {MONTHS_RU[date.month - 1]} {date.year} года" if ru
                     else f"{MONTHS_EN[date.month - 1]} {date.day}, {date.year}"),
        }

    def render(self, tpl: list, values: dict, pieces: list[str]) -> None:
        for part in tpl:
            pieces.append(part if isinstance(part, str) else values[part[0]])

    def document(self, c: dict, stage: str, lang: str, date: dt.date) -> tuple[str, str, str]:
        rng = self.rng
        t = RU_T if lang == "ru" else EN_T
        values = self.values(c, lang, date)
        title_pieces: list[str] = []
        self.render(rng.choice(t["title"][stage]), values, title_pieces)
        target = int(min(3000, max(800, rng.lognormvariate(7.3, 0.4))))
        pool = t[stage] + t["background"]
        main = list(t[stage])
        rng.shuffle(main)
        pieces: list[str] = []
        length, i = 0, 0
        while length < target:
            tpl = main[i] if i < len(main) else pool[rng.randrange(len(pool))]
            i += 1
            start = len(pieces)
            self.render(tpl, values, pieces)
            pieces.append("\n\n" if rng.random() < 0.3 else " ")
            length += sum(len(p) for p in pieces[start:])
        title = "".join(title_pieces)
        text = "".join(pieces).strip()
        search = fast_search_text(title_pieces + ["\n"] + pieces, lang == "ru")
        return title, text, search


def stable_id(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def generate(db_path: Path, n_docs: int, seed: int = 1, batch: int = 20000, check: int = 200) -> dict:
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = sqlite_utils.Database(db_path)
    ensure_schema(db)
    load_reference_tables(db)
    conn = db.conn
    # Save, then drop, what slows bulk inserts: FTS triggers and secondary indexes.
    saved = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type IN ('trigger', 'index') AND sql IS NOT NULL "
        "AND tbl_name IN ('documents', 'cases', 'mentions', 'case_documents', 'similar_cases')")]
    for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'index') AND sql IS NOT NULL "
            "AND tbl_name IN ('documents', 'cases', 'mentions', 'case_documents', 'similar_cases')").fetchall():
        conn.execute(f"DROP {kind} [{name}]")
    conn.commit()
    conn.isolation_level = None  # explicit BEGIN/COMMIT around each batch
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA temp_store = MEMORY")
    srcs = gen = Generator(seed)
    conn.executemany(
        "INSERT OR REPLACE INTO sources (name, title, base_url, languages, country) VALUES (?, ?, ?, ?, ?)",
        [(s["name"], s.get("title", s["name"]), s.get("base_url") or s.get("url"), json.dumps(s.get("languages", [])),
          s.get("country", "KZ")) for s in srcs.sources_all])
    rng = gen.rng
    docs_rows, mention_rows, case_rows, cd_rows, sim_rows = [], [], [], [], []
    made = 0
    case_no = 0
    recent_cases: list[tuple[str, str, tuple]] = []
    mismatches = checked = 0
    fetched = "2025-06-01T00:00:00Z"

    def flush():
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO documents (id, url, canonical_url, source, lang, title, published, fetched_at, text, "
            "content_hash, relevance, processed_hash, processed_at, is_case_report, places, articles, penalties, "
            "event_dates, convicted_count, orgs, platforms, stage, persons, names, search_text) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", docs_rows)
        conn.executemany("INSERT INTO mentions (document_id, kind, value, text, start, [end], sentence) "
                         "VALUES (?,?,?,?,?,?,?)", mention_rows)
        conn.executemany(
            "INSERT INTO cases (id, title, signature, n_documents, languages, outlets, places, place_id, place, "
            "region, country, latitude, longitude, articles, penalty_kind, penalty_min_years, penalty_max_years, "
            "convicted_count, orgs, platforms, stage, first_event, last_event, first_published, last_published, "
            "year, updated_at, genders, ages) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            case_rows)
        conn.executemany("INSERT INTO case_documents (case_id, document_id, similarity) VALUES (?,?,?)", cd_rows)
        conn.executemany("INSERT OR IGNORE INTO similar_cases (case_id, similar_case_id, rank, score, shared) "
                         "VALUES (?,?,?,?,?)", sim_rows)
        conn.execute("COMMIT")
        for rows in (docs_rows, mention_rows, case_rows, cd_rows, sim_rows):
            rows.clear()

    dumps = json.dumps
    while made < n_docs:
        n = min(rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 7]), n_docs - made)
        c = gen.case(n)
        case_no += 1
        case_id = "case-" + stable_id("case", seed, case_no)
        town, region = c["town"], c["region"]
        place_ids = [town.id] + ([region.id] if region else [])
        art_ids = [f"KZ-CC {a}" for a in c["articles"]]
        langs, outlets, published = set(), [], []
        titles = {}
        for k, stage in enumerate(c["stages"]):
            lang = "ru" if rng.random() < 0.65 else "en"
            date = c["start"] + dt.timedelta(days=int(k * rng.uniform(10, 120)))
            pub = date + dt.timedelta(days=rng.randrange(3))
            source = gen.source(lang)
            doc_no = made + 1
            doc_id = stable_id("doc", seed, doc_no)
            title, text, search = gen.document(c, stage, lang, date)
            if checked < check:
                checked += 1
                mismatches += search != search_text(title, text, lang)
            url = f"https://{source}.example/{pub.year}/{pub.month:02d}/{doc_id}"
            penalties = ([{"kind": c["penalty"], "min_years": c["years"], "max_years": c["years"]}]
                         if stage in ("verdict", "appeal") else [])
            persons = [{"age": c["age"], "gender": c["gender"]}] if rng.random() < 0.6 else []
            orgs = [c["org"]] if c["org"] else []
            plats = [c["platform"]] if c["platform"] else []
            docs_rows.append((
                doc_id, url, url, source, lang, title, pub.isoformat() + "T09:00:00+05:00", fetched, text,
                doc_id, round(rng.uniform(0.5, 1.0), 3), doc_id, fetched, 1, dumps(place_ids), dumps(art_ids),
                dumps(penalties), dumps([date.isoformat()]), c["count"], dumps(orgs), dumps(plats), stage,
                dumps(persons), dumps([]), search))
            # Mentions: places, articles, penalty, event date, org, platform (those the text names).
            sent = text[:200]
            mention_rows.append((doc_id, "place", dumps({"id": town.id, "name": town.name_en, "country": town.country,
                                                         "admin1": town.admin1_en, "role": "case"}),
                                 town.name_ru if lang == "ru" else town.name_en, 0, 0, sent))
            for a in art_ids:
                mention_rows.append((doc_id, "article", dumps({"code": "KZ-CC", "article": int(a[6:]),
                                                               "part": c["part"][int(a[6:])]}), a, 0, 0, sent))
            mention_rows.append((doc_id, "event_date", dumps({"iso": date.isoformat(), "precision": "day"}),
                                 date.isoformat(), 0, 0, sent))
            for p in penalties:
                mention_rows.append((doc_id, "penalty", dumps(p), str(c["years"]), 0, 0, sent))
            for o in orgs:
                mention_rows.append((doc_id, "org", dumps(o), None, None, None, None))
            for p in plats:
                mention_rows.append((doc_id, "platform", dumps(p), None, None, None, None))
            cd_rows.append((case_id, doc_id, round(rng.uniform(0.6, 1.0), 3)))
            langs.add(lang)
            outlets.append(source)
            published.append(pub.isoformat())
            titles[stage] = title
            made += 1
        best = max(c["stages"], key=STAGE_ORDER.get)
        signature = {"places": place_ids, "articles": art_ids}
        has_pen = any(s in ("verdict", "appeal") for s in c["stages"])
        case_rows.append((
            case_id, titles[best], dumps(signature), n, dumps(sorted(langs)), dumps(sorted(set(outlets))),
            dumps(place_ids), town.id, town.name_en, region.name_en if region else None, town.country,
            town.lat, town.lon, dumps(art_ids), c["penalty"] if has_pen else None,
            float(c["years"]) if has_pen else None, float(c["years"]) if has_pen else None, c["count"],
            dumps([c["org"]] if c["org"] else []), dumps([c["platform"]] if c["platform"] else []), best,
            c["start"].isoformat(), max(published), min(published), max(published), int(min(published)[:4]),
            fetched, dumps([c["gender"]]), dumps([c["age"]])))
        # Similar cases: earlier cases that share an article or a region.
        key = (tuple(art_ids), region.id if region else town.id)
        rank = 0
        for other_id, other_title, other_key in reversed(recent_cases[-200:]):
            shared = [x for x in ("articles", "region") if (x == "articles" and set(other_key[0]) & set(art_ids))
                      or (x == "region" and other_key[1] == key[1])]
            if shared and rank < 3:
                rank += 1
                sim_rows.append((case_id, other_id, rank, round(0.9 - 0.1 * rank + rng.uniform(0, 0.05), 3),
                                 ", ".join(shared)))
        recent_cases.append((case_id, titles[best], key))
        if len(recent_cases) > 1000:
            del recent_cases[:500]
        if len(docs_rows) >= batch:
            flush()
    flush()
    times["insert_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    for table in ("documents", "cases"):
        conn.execute(f"INSERT INTO [{table}_fts]([{table}_fts]) VALUES ('rebuild')")
    times["fts_rebuild_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    for table in ("documents", "cases"):
        conn.execute(f"INSERT INTO [{table}_fts]([{table}_fts]) VALUES ('optimize')")
    times["fts_optimize_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    for sql in saved:
        conn.execute(sql)
    with conn:
        pass
    ensure_schema(db)  # any index in INDEXES not yet made (and user_version); switches back to WAL
    times["indexes_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    conn.execute("PRAGMA analysis_limit = 2000")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    times["analyze_s"] = time.perf_counter() - t1
    times["total_s"] = time.perf_counter() - t0
    counts = {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]
              for t in ("documents", "cases", "case_documents", "mentions", "similar_cases")}
    langs = dict(conn.execute("SELECT lang, count(*) FROM documents GROUP BY lang").fetchall())
    avg_len = conn.execute("SELECT avg(length(text)), min(length(text)), max(length(text)) FROM documents").fetchone()
    conn.close()
    size = db_path.stat().st_size
    return {"documents": n_docs, "counts": counts, "langs": langs, "text_len_avg_min_max": avg_len,
            "search_text_checked": checked, "search_text_mismatches": mismatches,
            "size_mb": round(size / 2**20, 1), "times": {k: round(v, 1) for k, v in times.items()}}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--documents", type=int, default=50000)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=20000, help="documents per transaction")
    p.add_argument("--check", type=int, default=200, help="documents whose search_text is recomputed the slow way")
    args = p.parse_args(argv)
    result = generate(args.db, args.documents, args.seed, args.batch, args.check)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
