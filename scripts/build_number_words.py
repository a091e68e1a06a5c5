"""Build nlp/data/number_words.json: Russian and English number words in every case form.

    .venv/bin/python scripts/build_number_words.py

Russian forms come from pymorphy3's lexemes (so "трех", "трём", "тремя" all map to 3);
English words are listed here.
"""

import json
from pathlib import Path

import pymorphy3

CARDINALS = {
    "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17,
    "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20, "двадцать пять": 25,
    "тридцать": 30, "сорок": 40, "пятьдесят": 50, "сто": 100,
}
ORDINALS = {
    "первый": 1, "второй": 2, "третий": 3, "четвёртый": 4, "пятый": 5, "шестой": 6,
    "седьмой": 7, "восьмой": 8, "девятый": 9, "десятый": 10, "одиннадцатый": 11,
    "двенадцатый": 12,
}
COLLECTIVE = {"двое": 2, "трое": 3, "четверо": 4, "пятеро": 5, "шестеро": 6, "семеро": 7,
              "восьмеро": 8, "девятеро": 9, "десятеро": 10}
EN_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40, "fifty": 50, "a": 1, "an": 1,
    "a dozen": 12, "dozen": 12,
}
EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
               "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}


def forms(morph, word: str) -> set[str]:
    out = {word, word.replace("ё", "е")}
    parts = word.split()
    if len(parts) > 1:  # "двадцать пять": inflect each part in step
        lexemes = [morph.parse(p)[0].lexeme for p in parts]
        for group in zip(*lexemes):
            out.add(" ".join(f.word for f in group))
        return {f.replace("ё", "е") for f in out} | out
    for parse in morph.parse(word)[:2]:
        for form in parse.lexeme:
            out.add(form.word)
            out.add(form.word.replace("ё", "е"))
    return out


def main() -> None:
    morph = pymorphy3.MorphAnalyzer()
    ru_card, ru_ord = {}, {}
    for table, target in ((CARDINALS, ru_card), (COLLECTIVE, ru_card), (ORDINALS, ru_ord)):
        for word, value in table.items():
            for form in forms(morph, word):
                target.setdefault(form, value)
    data = {"ru_cardinal": dict(sorted(ru_card.items())), "ru_ordinal": dict(sorted(ru_ord.items())),
            "en_cardinal": EN_CARDINALS, "en_ordinal": EN_ORDINALS}
    path = Path(__file__).resolve().parent.parent / "nlp" / "data" / "number_words.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {path}: {len(ru_card)} Russian cardinal forms, {len(ru_ord)} ordinal forms")


if __name__ == "__main__":
    main()
