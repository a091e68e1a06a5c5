"""Text -> case facts: the JSON object `corpus extract` prints."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Iterable, Iterator

from nlp.dates import parse_published
from nlp.facts import FACTS, Facts, framed_facts
from nlp.frames import OTHER, frame_of
from nlp.pipelines import get_pipeline
from nlp.vocabulary import LANGUAGES

if TYPE_CHECKING:
    from spacy.tokens import Doc


def guess_lang(text: str) -> str:
    """ru or en by script: enough to pick a pipeline (the crawler does real language id)."""
    cyr = len(re.findall(r"[а-яёА-ЯЁ]", text))
    lat = len(re.findall(r"[a-zA-Z]", text))
    return "ru" if cyr >= lat else "en"


def doc_to_facts(doc: Doc) -> Facts:
    """The facts found in a processed Doc, one per registered fact (nlp.facts); items keep their
    `text`, `start` and `end`. The facts describe a case, so a text that reports none (a law,
    statistics, sport) has none of the case-only ones."""
    case = bool(doc._.is_case_report)
    values = {}
    for fact in FACTS.values():
        value = getattr(doc._, fact.name)
        if value is None or (fact.case_only and not case):
            value = fact.empty
        values[fact.name] = value
    values["is_case_report"] = case
    values, other_cases = split_frames(values, doc._.frames or [])
    return Facts(lang=doc.lang_, **values, other_cases=other_cases)


def split_frames(values: dict, frames: list) -> tuple[dict, list[dict]]:
    """The main case's items of each framed fact, and one dict per other case with its own."""
    if len(frames) < 2:
        return values, []
    others: dict[int, dict] = {}
    for fact in framed_facts():
        items = values[fact.name] if fact.many else [values[fact.name]] if values[fact.name] else []
        main = []
        for item in items:
            index = frame_of(frames, item["start"]) if item.get("start") is not None else 0
            if index == 0:
                main.append(item)
            elif frames[index].kind == OTHER:
                frame = others.setdefault(index, {f.name: f.empty for f in framed_facts()})
                if fact.many:
                    frame[fact.name].append(item)
                else:
                    frame[fact.name] = frame[fact.name] or item
        values[fact.name] = main if fact.many else (main[0] if main else None)
    return values, [others[i] for i in sorted(others)]


def extract_many(
    texts: Iterable[tuple[str, str | None, str | dt.date | None]],
    *,
    batch_size: int = 16,
    n_process: int = 1,
) -> Iterator[Facts]:
    """Facts for many (text, lang, published) triples, in order; lang None or "auto" means guess.

    Texts of one language go through `nlp.pipe` together, in batches.
    """
    items = list(texts)
    results: list[Facts | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, (text, lang, _) in enumerate(items):
        lang = guess_lang(text) if lang in (None, "auto") else lang
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGUAGES)} or auto")
        by_lang.setdefault(lang, []).append(i)
    for lang, indexes in by_lang.items():
        nlp = get_pipeline(lang)
        docs = ((items[i][0], {"published": parse_published(items[i][2])}) for i in indexes)

        def with_context():
            for text, ctx in docs:
                doc = nlp.make_doc(text)
                doc._.published = ctx["published"]
                yield doc

        for i, doc in zip(indexes, nlp.pipe(with_context(), batch_size=batch_size, n_process=n_process)):
            results[i] = doc_to_facts(doc)
    yield from results  # type: ignore[misc]


def extract(text: str, lang: str | None = "auto", published: str | dt.date | None = None) -> Facts:
    """Facts of one text: places, articles, penalties, event dates, counts, organisations..."""
    return next(extract_many([(text, lang, published)]))
