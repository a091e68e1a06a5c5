"""Text -> case facts: the JSON object `corpus extract` prints."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, Iterator

from spacy.tokens import Doc

from nlp.dates import parse_published
from nlp.pipelines import get_pipeline

LANGS = ("ru", "en")


def guess_lang(text: str) -> str:
    """ru or en by script: enough to pick a pipeline (the crawler does real language id)."""
    cyr = len(re.findall(r"[а-яёА-ЯЁ]", text))
    lat = len(re.findall(r"[a-zA-Z]", text))
    return "ru" if cyr >= lat else "en"


def _clean(items: list[dict], drop: tuple[str, ...] = ()) -> list[dict]:
    return [{k: v for k, v in item.items() if k not in drop} for item in items]


def doc_to_facts(doc: Doc) -> dict:
    """The facts found in a processed Doc, as plain data (each item keeps its `text`, `start`, `end`).

    The facts describe a case, so a text that reports none (a law, statistics, sport) has none.
    """
    case = bool(doc._.is_case_report)
    return {
        "lang": doc.lang_,
        "is_case_report": case,
        "places": (doc._.places or []) if case else [],
        "other_places": [m for m in (doc._.place_mentions or []) if m["role"] != "case"],
        "articles": (doc._.articles or []) if case else [],
        "penalties": (doc._.penalties or []) if case else [],
        "event_dates": (doc._.event_dates or []) if case else [],
        "convicted_count": doc._.convicted_count if case else None,
        "orgs": (doc._.orgs or []) if case else [],
        "platforms": (doc._.platforms or []) if case else [],
        "persons": (doc._.persons or []) if case else [],
        "names": doc._.names or [],
        "stage": doc._.stage if case else None,
    }


def extract_many(
    texts: Iterable[tuple[str, str | None, str | dt.date | None]],
    *,
    batch_size: int = 16,
    n_process: int = 1,
) -> Iterator[dict]:
    """Facts for many (text, lang, published) triples, in order; lang None or "auto" means guess.

    Texts of one language go through `nlp.pipe` together, in batches.
    """
    items = list(texts)
    results: list[dict | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, (text, lang, _) in enumerate(items):
        lang = guess_lang(text) if lang in (None, "auto") else lang
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGS)} or auto")
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


def extract(text: str, lang: str | None = "auto", published: str | dt.date | None = None) -> dict:
    """Facts of one text: places, articles, penalties, event dates, counts, organisations..."""
    return next(extract_many([(text, lang, published)]))
