"""The input of `corpus group-texts`: JSON lines, each checked once, here, into a row.

A row is {"id", "text", "title", "lang", "published"}: `id` a non-empty string or an integer
(unique: 1 and "1" are the same id), `text` a string, `title` a string or null, `lang` one of
nlp.vocabulary.LANGUAGES or "auto" or null, `published` a date (YYYY-MM-DD, a time may follow)
or null. Other keys are allowed and ignored. A line that is not UTF-8, not strict JSON (NaN and
Infinity are not JSON), nested too deeply, or has a field of the wrong type raises
TextRowError with its line number.

    >>> parse_line(3, b'{"id": 7, "text": "..."}')["id"]
    7
    >>> try:
    ...     parse_line(4, b'{"id": 7, "text": "...", "lang": "xx"}')
    ... except TextRowError as exc:
    ...     print(exc)
    line 4: "lang" must be one of ru, en or auto (or left out), not 'xx'
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Iterable

from nlp.chunks import MAX_TEXT_CHARS, TextTooLong
from nlp.vocabulary import LANGUAGES

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class TextRowError(ValueError):
    """A line of group-texts input that cannot be read; the message names the line."""


class _NotJSON(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity, which no other JSON reader does.
    raise _NotJSON(f"{name} is not JSON")


def _field_error(number: int, name: str, want: str, value: Any) -> TextRowError:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return TextRowError(f'line {number}: "{name}" must be {want}, not {shown}')


def _optional_text(number: int, row: dict, name: str) -> str | None:
    value = row.get(name)
    if value is not None and not isinstance(value, str):
        raise _field_error(number, name, "a string or null", value)
    return value


def _published(number: int, row: dict) -> str | None:
    value = row.get("published")
    if value is None:
        return None
    m = _DATE.match(value) if isinstance(value, str) else None
    try:
        if m:
            dt.date(int(m[1]), int(m[2]), int(m[3]))
            return value
    except ValueError:
        pass
    raise _field_error(number, "published", "a date like 2024-01-31 or null", value)


def parse_line(number: int, raw: bytes) -> dict | None:
    """One line of input as a checked row, or None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextRowError(f"line {number}: not UTF-8 text (bad byte at column {exc.start + 1})") from None
    if number == 1:
        line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    try:
        row = json.loads(line, parse_constant=_refuse_constant)
    except _NotJSON as exc:
        raise TextRowError(f"line {number}: {exc} (write null or a string)") from None
    except RecursionError:
        raise TextRowError(f"line {number}: JSON nested too deeply") from None
    except ValueError as exc:
        raise TextRowError(f"line {number}: not valid JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(row, dict):
        raise TextRowError(f'line {number}: must be a JSON object {{"id", "text", ...}}, not {type(row).__name__}')
    if "id" not in row:
        raise TextRowError(f'line {number}: needs "id" and "text"')
    doc_id = row["id"]
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or doc_id == "":
        raise _field_error(number, "id", "a non-empty string or an integer", doc_id)
    text = row.get("text")
    if not isinstance(text, str):
        raise _field_error(number, "text", "a string", text) if "text" in row else TextRowError(
            f'line {number}: needs "id" and "text"')
    title = _optional_text(number, row, "title")
    lang = row.get("lang")
    if lang is not None and lang not in ("auto", *LANGUAGES):
        raise _field_error(number, "lang", f"one of {', '.join(LANGUAGES)} or auto (or left out)", lang)
    length = len(text) + len(title or "")
    if length > MAX_TEXT_CHARS:
        raise TextRowError(f"line {number}: {TextTooLong(length)} (title and text together)")
    return {"id": doc_id, "text": text, "title": title, "lang": lang, "published": _published(number, row)}


def read_rows(lines: Iterable[bytes]) -> list[dict]:
    """Every row of the input, checked; ids are unique (compared as strings)."""
    rows: list[dict] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        row = parse_line(number, raw)
        if row is None:
            continue
        key = str(row["id"])
        if key in first_line:
            raise TextRowError(f"line {number}: duplicate id {key!r} (first on line {first_line[key]})")
        first_line[key] = number
        rows.append(row)
    return rows
