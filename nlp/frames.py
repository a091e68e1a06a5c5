"""Case frames: which parts of a report are about its main case, about another case it mentions
in passing, or background (statistics).

Real reports tell one case and mention others: "Ранее в Актобе осудили ...", "In a separate
case, ...", a defendant's earlier conviction, a year's statistics. Facts found in those parts
belong to other frames, not to the main case. A sentence that opens another case starts a frame
that runs to the end of its paragraph; a sentence about an earlier conviction or a statistic is a
frame of its own. Cues live in data/frame_cues.json.

    >>> text = "Суд приговорил жителя Семея к 7 годам. Ранее в Актобе осудили другого жителя к 5 годам."
    >>> [(f.kind, text[f.spans[0][0]:f.spans[0][1]].strip()) for f in find_frames(text, "ru")][1]
    ('other', 'Ранее в Актобе осудили другого жителя к 5 годам.')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from nlp.spans import sentences

MAIN, OTHER, BACKGROUND = "main", "other", "background"


@dataclass
class Frame:
    index: int  # 0 is the main case
    kind: str  # main | other | background
    spans: list[tuple[int, int]] = field(default_factory=list)

    def contains(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.spans)


@lru_cache(maxsize=1)
def _cues() -> dict[str, dict[str, re.Pattern]]:
    data = json.loads(resources.files("nlp").joinpath("data/frame_cues.json").read_text("utf-8"))
    return {lang: {kind: re.compile("|".join(f"(?:{p})" for p in patterns), re.I)
                   for kind, patterns in cues.items()}
            for lang, cues in data.items() if not lang.startswith("_")}


def find_frames(text: str, lang: str) -> list[Frame]:
    cues = _cues()["en" if lang == "en" else "ru"]
    main = Frame(0, MAIN)
    frames = [main]
    current: Frame | None = None  # an open frame of another case, until its paragraph ends
    for i, (start, end, paragraph_end) in enumerate(sentences(text)):
        sentence = text[start:end]
        lead = sentence.lstrip(" \t\"«—–-•|")
        if i and cues["opens"].match(lead):
            current = Frame(len(frames), OTHER)
            frames.append(current)
        if current is not None:
            current.spans.append((start, end))
        elif i and cues["sentence"].search(sentence):
            frames.append(Frame(len(frames), OTHER, [(start, end)]))
        elif cues["background"].search(sentence):
            frames.append(Frame(len(frames), BACKGROUND, [(start, end)]))
        else:
            main.spans.append((start, end))
        if paragraph_end:
            current = None
    return frames


def frame_of(frames: list[Frame], pos: int) -> int:
    """The index of the frame holding character `pos` (the main case when none does)."""
    for frame in frames[1:]:
        if frame.contains(pos):
            return frame.index
    return 0


def main_text(text: str, frames: list[Frame]) -> str:
    """The text with every other frame blanked out (same length, so offsets still hold)."""
    chars = list(text)
    for frame in frames[1:]:
        for a, b in frame.spans:
            chars[a:b] = re.sub(r"\S", " ", text[a:b])
    return "".join(chars)


def make_case_frames(nlp, name: str):
    """The `case_frames` component: `doc._.frames` and `doc._.main_text`, for the components after it."""
    from nlp.spans import ensure_extension, text_of

    ensure_extension("frames", default=None)
    ensure_extension("main_text", default=None)
    lang = "en" if nlp.lang == "en" else "ru"

    def case_frames(doc):
        doc._.frames = find_frames(text_of(doc), lang)
        doc._.main_text = main_text(text_of(doc), doc._.frames)
        return doc

    return case_frames


def register() -> None:
    """Register the component with spaCy (nlp.pipelines calls this; this module stays light)."""
    from spacy.language import Language

    if not Language.has_factory("case_frames"):
        Language.factory("case_frames")(make_case_frames)
