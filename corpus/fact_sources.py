"""Where each fact came from: the sentence of a report that a mentions row points at.

`corpus process` stores, with every fact found at a place in a report, the sentence it came from
and the sentence's offsets (mentions.sentence_start, sentence_end) in the text nlp read: the
headline, a blank line, then the body (corpus.process.document_text). A report page anchors each
such sentence as `#s-<sentence_start>` (`sentence_anchor`), and every fact on a case page or a
report page links there. A stored sentence that no longer matches the report's text (the text
changed and has not been processed again) gets no anchor, so no link lands on the wrong words.

    >>> text = "Court in Aktobe\\n\\nA man was jailed. He got 7 years."
    >>> m = {"start": 27, "end": 33, "sentence_start": 17, "sentence_end": 34, "sentence": "A man was jailed."}
    >>> page = report_text(text, title_length=15, mentions=[m])
    >>> [(p["text"], p["anchor"]) for p in page["paragraphs"][0]]
    [('A man was jailed.', 's-17'), (' He got 7 years.', None)]
    >>> [(part["text"], part["mark"]) for part in page["paragraphs"][0][0]["parts"]]
    [('A man was ', False), ('jailed', True), ('.', False)]
"""

from __future__ import annotations

import json
import re

from corpus.labels import Labels, fact_label

PARAGRAPH = re.compile(r"[^\n]+")


def sentence_anchor(sentence_start: int) -> str:
    """The id of a sentence on its report page."""
    return f"s-{int(sentence_start)}"


def located(text: str, mention: dict) -> bool:
    """Whether a mention's sentence offsets still point at its sentence in `text`."""
    start, end = mention.get("sentence_start"), mention.get("sentence_end")
    return start is not None and end is not None and start < end and text[start:end] == mention.get("sentence")


def _parts(text: str, a: int, b: int, marks: list[tuple[int, int]]) -> list[dict]:
    """text[a:b] cut into plain and marked (a fact's words) parts."""
    parts, at = [], a
    for s, e in marks:
        s, e = max(s, at), min(e, b)
        if s >= e:
            continue
        if s > at:
            parts.append({"text": text[at:s], "mark": False})
        parts.append({"text": text[s:e], "mark": True})
        at = e
    if at < b:
        parts.append({"text": text[at:b], "mark": False})
    return parts


def sentence_spans(text: str, mentions: list[dict]) -> list[list]:
    """[start, end, anchor] of the sentences the located mentions came from, in order; sentences
    that overlap (a fact whose words run over a sentence end) are one span, with one anchor."""
    spans: list[list] = []
    for m in sorted((m for m in mentions if located(text, m)), key=lambda m: (m["sentence_start"], m["sentence_end"])):
        if spans and m["sentence_start"] < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], m["sentence_end"])
        else:
            spans.append([m["sentence_start"], m["sentence_end"], sentence_anchor(m["sentence_start"])])
    return spans


def anchors(text: str, mentions: list[dict]) -> dict[int, str]:
    """{sentence_start: anchor on the report page} for the mentions located in `text`."""
    spans = sentence_spans(text, mentions)
    return {m["sentence_start"]: next(a for s, e, a in spans if s <= m["sentence_start"] < e)
            for m in mentions if located(text, m)}


def report_text(text: str, title_length: int, mentions: list[dict]) -> dict:
    """The report's headline and paragraphs as pieces; a sentence a fact came from is a piece with
    an anchor and its fact words marked: {"title": [pieces], "paragraphs": [[pieces]...]}, each
    piece {"text", "anchor" (or None), "parts": [{"text", "mark"}]}."""
    good = [m for m in mentions if located(text, m)]
    spans = sentence_spans(text, good)
    marks = sorted({(m["start"], m["end"]) for m in good if m.get("start") is not None})
    title, paragraphs = [], []
    for paragraph in PARAGRAPH.finditer(text):
        ps, pe = paragraph.span()
        if not text[ps:pe].strip():
            continue
        cuts = sorted({ps, pe, *(x for s, e, _ in spans for x in (s, e) if ps < x < pe)})
        pieces = []
        for a, b in zip(cuts, cuts[1:]):
            span = next((s for s in spans if s[0] <= a and b <= s[1]), None)
            # The anchor goes on a sentence's first piece only: ids are unique on the page.
            anchor = span[2] if span and a == max(span[0], ps) else None
            pieces.append({"text": text[a:b], "anchor": anchor,
                           "parts": _parts(text, a, b, marks) if span else [{"text": text[a:b], "mark": False}]})
        (title if title_length and ps < title_length else paragraphs).append(pieces)
    return {"title": [p for line in title for p in line], "paragraphs": paragraphs}


def fact_rows(mentions: list[dict], labels: Labels, texts: dict[str, str]) -> list[dict]:
    """Mentions rows as facts for a page: the fact in words, its kind, role, whether it belongs to
    the report's main case, its words and sentence, and the anchor of that sentence on the report
    page (None when the sentence is not found in the report's text, `texts[document_id]`)."""
    by_document: dict[str, dict[int, str]] = {}
    for doc, text in texts.items():
        by_document[doc] = anchors(text, [m for m in mentions if m["document_id"] == doc])
    rows = []
    for m in mentions:
        try:
            value = json.loads(m["value"]) if m.get("value") else None
        except ValueError:
            value = m.get("value")
        frame = m.get("frame") or 0
        rows.append({**m, "fact": fact_label(m["kind"], value, labels), "value_json": value,
                     "role": value.get("role") if isinstance(value, dict) else None,
                     "main_case": frame == 0, "case_text": "main case" if frame == 0 else f"other case {frame}",
                     "anchor": by_document.get(m["document_id"], {}).get(m.get("sentence_start")),
                     "sentence_parts": _sentence_parts(m)})
    return rows


def _sentence_parts(m: dict) -> list[dict]:
    sentence = m.get("sentence") or ""
    if m.get("sentence_start") is not None and m.get("start") is not None:
        s = m["start"] - m["sentence_start"]
        e = m["end"] - m["sentence_start"]
        if 0 <= s < e <= len(sentence):
            return _parts(sentence, 0, len(sentence), [(s, e)])
    return [{"text": sentence, "mark": False}]


def by_report(facts: list[dict]) -> list[dict]:
    """One source per report for a fact a case shows: the report's first mention of it (one of
    the report's main case before one of another case), with how often the report states it."""
    first: dict[str, dict] = {}
    counts: dict[str, int] = {}
    for f in facts:
        doc = f["document_id"]
        counts[doc] = counts.get(doc, 0) + 1
        if doc not in first or (f["main_case"] and not first[doc]["main_case"]):
            first[doc] = f
    return [{**f, "times": counts[doc]} for doc, f in first.items()]


def _named_id(value) -> str | None:
    # An organisation's or platform's value is its id.
    return value if isinstance(value, str) else None


def _article_id(value) -> str | None:
    return f"{value.get('code')} {value.get('article')}" if isinstance(value, dict) else None


def case_fact_sources(case: dict, facts: list[dict]) -> dict:
    """The sources of each fact a case page shows, matched among its reports' facts (`fact_rows`):
    by mention kind: {"place": {place id: [...]}, "article": {id: [...]}, "penalty": [...] (of the
    case's penalty kind), "event_date": [...] (its first and last event), "org": {id: [...]},
    "platform": {name: [...]}, "court": [...]}, one source per report."""
    def of(kind: str, test) -> list[dict]:
        return by_report([f for f in facts if f["kind"] == kind and test(f["value_json"])])

    def each(kind: str, key) -> dict[str, list[dict]]:
        keys = dict.fromkeys(k for k in (key(f["value_json"]) for f in facts if f["kind"] == kind) if k)
        return {k: of(kind, lambda v, k=k: key(v) == k) for k in keys}

    events = {case.get("first_event"), case.get("last_event")} - {None}
    return {
        "place": each("place", lambda v: v.get("id") if isinstance(v, dict) else None),
        "article": each("article", _article_id),
        "penalty": of("penalty", lambda v: isinstance(v, dict) and v.get("kind") == case.get("penalty_kind")),
        "event_date": of("event_date", lambda v: isinstance(v, dict) and v.get("iso") in events),
        "org": each("org", _named_id),
        "platform": each("platform", _named_id),
        "court": of("court", lambda v: isinstance(v, dict) and v.get("name") == case.get("court")),
    }
