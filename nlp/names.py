"""Person names across scripts: one Latin key for "Кулекбаев", "Kulekbayev" and "Kulekbaev"."""

from __future__ import annotations

import re

CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
                     "a", "g", "k", "n", "o", "u", "u", "h", "i"]))


def name_key(name: str) -> str | None:
    """A spelling-independent key for a surname: Latin consonant skeleton of the last word.
    "Кулекбаев" and "Kulekbayev" both give "klkbv"."""
    words = re.findall(r"[^\W\d_]+", name.lower())
    if not words:
        return None
    latin = "".join(CYRILLIC.get(ch, ch) for ch in words[-1])
    skeleton = re.sub(r"[aeiouyhw]", "", latin)
    skeleton = re.sub(r"(.)\1+", r"\1", skeleton)
    return skeleton if len(skeleton) >= 3 else None
