"""Person names across scripts: one Latin key for "Кулекбаев", "Kulekbayev" and "Kulekbaev".

The key is a consonant skeleton of the surname: transliterated to Latin, with the letters that
spellings disagree on folded together (Ж/Zh/J, Х/Kh/H, Й/Y/I, Ё/E, Дж/J, Ц/Ts), vowels
dropped, Russian case endings (Кулекбаевым, Кулекбаеву) and the English possessive taken off.
Grouping and search use this one function, so a name matches the same way everywhere.

    >>> name_key("Руслан Кулекбаев") == name_key("Ruslan Kulekbayev") == name_key("Kulekbaev")
    True
    >>> name_key("Жылқыбаевым") == name_key("Zhylkybayev") == name_key("Jylkybaev")
    True
    >>> name_key("Хасанов") == name_key("Khasanov") == name_key("Hasanov")
    True
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
                     "a", "g", "q", "n", "o", "u", "u", "h", "i"]))

# Spellings of one sound that transliterations disagree on, folded to one letter (longest first).
FOLDS = (("shch", "s"), ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("gh", "g"), ("ts", "c"), ("tz", "c"),
         ("ch", "c"), ("sh", "s"), ("q", "k"), ("x", "h"), ("w", "v"), ("ph", "f"))
# Russian case endings of surnames in -ов/-ев/-ин (-ым, -ой, -а, -у, -е leave the skeleton as it
# is once vowels go; the instrumental -ым/-ом/-им adds an m) and of adjectival -ский/-цкий.
CASE_ENDING = re.compile(r"(?<=(?:ов|ев|ёв|ин|ын))(?:ым|ой|ом|а|у|е)$|(?<=[сц]к)(?:ого|ому|им|ой|ая|ую|ий|ой)$")
# Surname endings in Kazakh, Kyrgyz, Tajik, Uzbek and Russian usage: the word a key is taken from.
SURNAME = re.compile(r"\w{2,}(?:ov|ev|ova|eva|uly|ulu|kyzy|qyzy|zoda|zade|zada|bek|bay|sky|skiy|ski|enko|ian|yan)$")
PATRONYMIC = re.compile(r"(?:ovich|evich|ovna|evna|ich|ichna)$")
POSSESSIVE = re.compile(r"[’'`]s?$")


def _latin(word: str) -> str:
    return "".join(CYRILLIC.get(ch, ch) for ch in word)


def _words(name: str) -> list[str]:
    # "Kamalov's" and "Kamalov’s" are Kamalov; a hyphenated part stays inside its word.
    return [POSSESSIVE.sub("", w) for w in re.findall(r"[^\W\d_]+(?:[-’'`][^\W\d_]+)*", name.lower())]


def skeleton(word: str) -> str:
    """The consonant skeleton of one word, in Latin: "кулекбаевым" -> "klkbv"."""
    word = CASE_ENDING.sub("", word) if re.search("[а-яёәғқңөұүһі]", word) else word
    latin = _latin(word).replace("-", "")
    for spelled, folded in FOLDS:
        latin = latin.replace(spelled, folded)
    latin = re.sub(r"[^a-z]|[aeiouyh]", "", latin)
    return re.sub(r"(.)\1+", r"\1", latin)


def surname(name: str) -> str | None:
    """The word of a name that is its surname: the last word with a surname ending, else the
    last word that is not a patronymic ("Кулекбаев Руслан Русланович" -> "кулекбаев")."""
    words = _words(name)
    if not words:
        return None
    for w in reversed(words):
        if SURNAME.search(_latin(CASE_ENDING.sub("", w))):
            return w
    plain = [w for w in words if not PATRONYMIC.search(_latin(w))]
    return (plain or words)[-1]


@lru_cache(maxsize=65536)
def name_key(name: str) -> str | None:
    """A spelling-independent key for a person's surname (None when too short to tell people
    apart). "Кулекбаев", "Kulekbayev" and "Kulekbaev" all give "klkbv"."""
    word = surname(name)
    if not word:
        return None
    key = skeleton(word)
    return key if len(key) >= 3 else None


def person_keys(names: list[str]) -> list[str]:
    """The keys of the people a text names: from names of two words or more ("Ruslan Kulekbayev"),
    and from a lone word only when a full name gives the same key ("Kulekbayev" after "Ruslan
    Kulekbayev"). A lone capitalised word is as often a nationality ("Kazakh"), an organisation
    ("Jamaat") or a place ("Риддера") as a person; and NER takes some organisations' names
    ("Tabligh Jamaat") for people's."""
    figures = public_figures() | organisation_keys()
    keys = (name_key(n) for n in names if len(_words(n)) >= 2)
    # In order of first mention: the first is most often the main case's defendant (title, lead).
    return list(dict.fromkeys(k for k in keys if k and k not in figures))


@lru_cache(maxsize=1)
def public_figures() -> frozenset[str]:
    """Keys of people named in reports of many different cases (nlp/data/public_figures.txt)."""
    lines = resources.files("nlp").joinpath("data/public_figures.txt").read_text("utf-8").splitlines()
    return frozenset(k for line in lines if line.strip() and not line.startswith("#") if (k := name_key(line)))


@lru_cache(maxsize=1)
def organisation_keys() -> frozenset[str]:
    """Keys of the banned organisations' names (nlp/data/organisations.jsonl), which NER may
    take for a person's: "Tabligh Jamaat" gives the key a surname "Jamaat" would."""
    lines = resources.files("nlp").joinpath("data/organisations.jsonl").read_text("utf-8").splitlines()
    keys = set()
    for org in (json.loads(line) for line in lines if line.strip()):
        for phrase in [org.get("name_en"), org.get("name_ru"), *org.get("patterns_en", []), *org.get("patterns_ru", [])]:
            if phrase and len(_words(phrase)) >= 2 and (k := name_key(phrase)):
                keys.add(k)
    return frozenset(keys)
