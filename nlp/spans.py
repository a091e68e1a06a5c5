"""Shared helpers for components that find facts with patterns over `doc.text`."""

from __future__ import annotations

import re



# A sentence ends at . ! ? before a space or the end, or at a line break; "ст. 256", "ч. 2" do not end one.
SENTENCE_END = re.compile(r"(?<!\bст)(?<!\bч)(?<!\bп)(?<!\bг)(?<!\bArt)(?<!\bNo)[.!?](?:\s|$)|\n")


def literal_alternation(words: list[str]) -> str:
    """A regex that matches what `"|".join(map(re.escape, words))` matches, with the same preference
    when `words` run longest first (and are in one case), written as a tree of shared beginnings ("два(?:дцать|)" for
    "двадцать", "два"): Python's `re` tries every alternative of a flat list at every place, and
    with re.I it cannot skip one by its first letter, so 140 number words cost 140 tries."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def tree(node: dict) -> str:
        # Branches that begin with different letters never match at one place, so only a word's
        # end needs its place: last, after the longer words that go on from it.
        branches = [re.escape(ch) + tree(child) for ch, child in node.items() if ch]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return tree(root) if words else "(?!)"


def sentences(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, paragraph ends here) for each sentence of the text, in order."""
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            out.append((start, end, "\n" in m.group() or text[end:end + 1] == "\n"))
        start = end
    if text[start:].strip():
        out.append((start, len(text), True))
    return out


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    """Character bounds of the sentence around `pos` (a light splitter that works without a parser)."""
    left = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos), text.rfind("! ", 0, pos), text.rfind("? ", 0, pos))
    # "ст. 256" and "ч. 2" abbreviations do not end a sentence.
    while left > 0 and re.search(r"(?:\b(?:ст|ч|п|г|гг|им|ул|обл|Art|No|Mr|Ms|Dr|St))$", text[max(0, left - 4):left]):
        left = max(text.rfind(". ", 0, left), text.rfind("\n", 0, left))
    start = left + 1 if left >= 0 else 0
    m = SENTENCE_END.search(text, pos)
    end = m.end() if m else len(text)
    return start, end


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence(s) holding text[start:end], without surrounding spaces: where a
    page anchors the sentence a fact came from."""
    s, _ = sentence_bounds(text, start)
    _, e = sentence_bounds(text, max(start, end - 1))
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def sentence_text(text: str, start: int, end: int) -> str:
    s, e = sentence_span(text, start, end)
    return text[s:e]


def text_of(doc) -> str:
    """`doc.text`, built once per doc: spaCy joins every token's text on each read, and the
    pattern components each read it (together about a fifth of the Russian pipeline's time)."""
    text = doc.user_data.get("text")
    if text is None:
        text = doc.user_data["text"] = doc.text
    return text


def ensure_extension(name: str, default=None, cls=None) -> None:
    # spaCy is imported here, not at the top: the text helpers above serve the store without a model.
    from spacy.tokens import Doc

    cls = cls or Doc
    if not cls.has_extension(name):
        cls.set_extension(name, default=default)


# Page furniture that trafilatura sometimes keeps: "Читайте также: ...", "Subscribe to ...".
CLUTTER_LINE = re.compile(
    r"^\s*(?:читайте\s+(?:также|нас)|related|read\s+(?:also|more)|реклама|advertisement|погода|курс\s|usd/|"
    r"подписывайтесь|subscribe|follow\s+us|see\s+also|смотрите\s+также|присоединяйтесь|join\s+our)", re.I)


def in_clutter_line(text: str, pos: int) -> bool:
    """Is `pos` on a line of page furniture rather than the report?"""
    line_start = text.rfind("\n", 0, pos) + 1
    return bool(CLUTTER_LINE.match(text, line_start))
