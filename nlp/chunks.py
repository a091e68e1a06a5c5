"""Very long texts: the size limits of extraction and the split of a long text into chunks.

spaCy holds about 2 KB of memory per character of a Doc going through our pipelines, so a
text is read in chunks of at most CHUNK_CHARS characters, cut at a paragraph end where one is
near, else at a sentence end, else at a space; extraction merges the chunks' facts
(nlp.extraction). A text over MAX_TEXT_CHARS is refused. Loads no model.

    >>> [(offset, len(piece)) for offset, piece in split_text("One.\\n\\nTwo. Three.", 12)]
    [(0, 6), (6, 11)]
"""

from __future__ import annotations

import re

# Characters of text one spaCy Doc holds: about 200 MB of memory in the pipelines.
CHUNK_CHARS = 100_000
# The longest text extraction reads (in chunks); longer ones are refused. A news report is
# rarely over 50,000 characters: anything near this is a page dump or a whole book.
MAX_TEXT_CHARS = 2_000_000
# Characters of chunks or texts that go through the pipeline together in one batch.
BATCH_CHARS = 2 * CHUNK_CHARS

# Where to cut, best first: after a blank line, a line break, a sentence end, a space.
_CUTS = (re.compile(r"\n[ \t\r]*\n"), re.compile(r"\n"), re.compile(r"[.!?…][»\"')\]]*\s"), re.compile(r"\s"))


class TextTooLong(ValueError):
    """A text over MAX_TEXT_CHARS."""

    def __init__(self, length: int, limit: int = MAX_TEXT_CHARS):
        super().__init__(f"the text is {length:,} characters long, over the limit of {limit:,}")
        self.length, self.limit = length, limit


def check_length(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLong(len(text))


def _cut(text: str, start: int, end: int) -> int:
    """The best place to end a chunk that starts at `start`, at most at `end`, and not in the
    first half (so chunks stay near the size asked for)."""
    floor = start + (end - start) // 2
    for pattern in _CUTS:
        last = None
        for last in pattern.finditer(text, start, end):
            pass
        if last is not None and last.end() >= floor:
            return last.end()
    return end


def split_text(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, chunk) pairs that cover `text` in order, each at most `size` characters; a text
    that fits is one chunk."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    out, start = [], 0
    while len(text) - start > size:
        end = _cut(text, start, start + size)
        out.append((start, text[start:end]))
        start = end
    out.append((start, text[start:]))
    return out
