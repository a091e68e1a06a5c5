"""Text -> case facts: the JSON object `corpus extract` prints."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Iterable, Iterator

from nlp.chunks import BATCH_CHARS, CHUNK_CHARS, check_length, split_text
from nlp.dates import parse_published
from nlp.facts import FACTS, Facts, framed_facts
from nlp.frames import MAIN, OTHER, Frame, frame_of
from nlp.pipelines import get_pipeline
from nlp.vocabulary import LANGUAGES, furthest_stage

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
    return facts_of(doc.lang_, *found_in(doc))


def found_in(doc: Doc, offset: int = 0) -> tuple[dict, list[Frame]]:
    """Each registered fact's value in a processed Doc, and its frames, with every offset moved
    by `offset` (where the Doc's text starts in the whole text, for a chunk)."""
    values = {fact.name: _shifted(getattr(doc._, fact.name), offset) for fact in FACTS.values()}
    frames = [Frame(f.index, f.kind, [(a + offset, b + offset) for a, b in f.spans]) for f in doc._.frames or []]
    return values, frames


def facts_of(lang: str, values: dict, frames: list[Frame]) -> Facts:
    """Facts from found values: case-only facts emptied unless a case report, items split by frame."""
    case = bool(values["is_case_report"])
    kept = {}
    for fact in FACTS.values():
        value = values[fact.name]
        if value is None or (fact.case_only and not case):
            value = fact.empty
        kept[fact.name] = value
    kept["is_case_report"] = case
    kept, other_cases = split_frames(kept, frames)
    return Facts(lang=lang, **kept, other_cases=other_cases)


def _shifted(value, offset: int):
    if not offset or value is None:
        return value
    if isinstance(value, list):
        return [_shifted(item, offset) for item in value]
    if isinstance(value, dict) and isinstance(value.get("start"), int):
        return {**value, "start": value["start"] + offset,
                **({"end": value["end"] + offset} if isinstance(value.get("end"), int) else {})}
    return value


def _identity(fact, item):
    """What makes two items of a fact the same one, wherever they were found: the keys the gold
    compares. Items without such keys are mentions (other_places), each kept where it was found."""
    if not isinstance(item, dict):
        return item
    if not fact.scored_keys:
        return repr(sorted(item.items()))
    return repr([item.get(k) for k in fact.scored_keys])


def merge_chunks(parts: list[tuple[dict, list[Frame]]]) -> tuple[dict, list[Frame]]:
    """One text's values and frames from those of its chunks, in text order.

    The main case is the one the start of the text is about: each chunk's main-frame sentences
    join it, and each chunk's other cases follow the earlier ones. A list is the chunks' lists
    one after the other, less the items an earlier chunk already found; one value is the first
    chunk's that states it, but the stage is the furthest any chunk describes, and the text is
    a case report when any chunk is one."""
    if len(parts) == 1:
        return parts[0]
    values: dict = {}
    for fact in FACTS.values():
        found = [chunk[fact.name] for chunk, _ in parts]
        if fact.many:
            merged, seen = [], set()
            for items in found:
                items = items or []
                merged += [item for item in items if _identity(fact, item) not in seen]
                seen.update(_identity(fact, item) for item in items)
            values[fact.name] = merged
        elif fact.name == "stage":
            values[fact.name] = furthest_stage(found)
        else:
            values[fact.name] = next((v for v in found if v is not None), None)
    if any(chunk["is_case_report"] for chunk, _ in parts):
        values["doc_type"], values["is_case_report"] = "case_report", True
    main = Frame(0, MAIN)
    frames = [main]
    for _, chunk_frames in parts:
        for frame in chunk_frames:
            if frame.index == 0:
                main.spans += frame.spans
            else:
                frames.append(Frame(len(frames), frame.kind, frame.spans))
    return values, frames


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
    chunk_chars: int = CHUNK_CHARS,
) -> Iterator[Facts]:
    """Facts for many (text, lang, published) triples, in order; lang None or "auto" means guess.

    Texts of one language go through `nlp.pipe` together, in batches of at most `batch_size`
    texts or chunks and about BATCH_CHARS characters. A text longer than `chunk_chars` is read
    in chunks (nlp.chunks) whose facts are merged; one longer than MAX_TEXT_CHARS raises
    TextTooLong, before any text is read.
    """
    items = list(texts)
    results: list[Facts | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, (text, lang, _) in enumerate(items):
        check_length(text)
        lang = guess_lang(text) if lang in (None, "auto") else lang
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGUAGES)} or auto")
        by_lang.setdefault(lang, []).append(i)
    for lang, indexes in by_lang.items():
        nlp = get_pipeline(lang)
        pieces = [(i, offset, chunk) for i in indexes for offset, chunk in split_text(items[i][0], chunk_chars)]
        published = {i: parse_published(items[i][2]) for i in indexes}
        parts: dict[int, list] = {i: [] for i in indexes}

        def with_context(batch):
            for i, _, chunk in batch:
                doc = nlp.make_doc(chunk)
                doc._.published = published[i]
                yield doc

        for batch in _batches(pieces, batch_size):
            docs = nlp.pipe(with_context(batch), batch_size=len(batch), n_process=n_process)
            # Only the facts are kept: a Doc's memory goes with its batch.
            for (i, offset, _), doc in zip(batch, docs):
                parts[i].append(found_in(doc, offset))
        for i in indexes:
            results[i] = facts_of(nlp.lang, *merge_chunks(parts[i]))
    yield from results  # type: ignore[misc]


def _batches(pieces: list[tuple[int, int, str]], batch_size: int) -> Iterator[list[tuple[int, int, str]]]:
    batch: list[tuple[int, int, str]] = []
    chars = 0
    for piece in pieces:
        if batch and (len(batch) >= batch_size or chars + len(piece[2]) > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(piece)
        chars += len(piece[2])
    if batch:
        yield batch


def extract(text: str, lang: str | None = "auto", published: str | dt.date | None = None) -> Facts:
    """Facts of one text: places, articles, penalties, event dates, counts, organisations..."""
    return next(extract_many([(text, lang, published)]))
