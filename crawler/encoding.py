"""Bytes -> text for article pages: trust the bytes over the labels.

Kazakh and Russian sites still serve windows-1251 and koi8-r, and some send a charset header
that contradicts the page (a CMS that says `utf-8` in front of a windows-1251 template, or
the reverse). Browsers and w3lib's `html_to_unicode` (which Scrapy's `response.text` uses)
give the HTTP header precedence over the page, so a lying header yields mojibake. We decide
from the bytes, in this order:

1. a byte-order mark;
2. valid UTF-8: a windows-1251 or koi8-r page with Cyrillic text is practically never
   valid UTF-8, while mis-decoding UTF-8 as a one-byte charset never fails, so this test
   comes before any label;
3. the declared charsets (HTTP header, then `<meta charset>`/`http-equiv`), each kept only
   if it decodes strictly and the text looks like text: koi8-r and windows-1251 swap upper
   and lower case Cyrillic, so a wrong one of the two turns most letters into capitals; a
   Latin-1 family label on Cyrillic bytes yields mostly accented Latin letters;
4. the two one-byte Cyrillic charsets of the region, windows-1251 and koi8-r, by the
   same test (a page with no label at all);
5. `charset_normalizer`'s detection (already installed with Scrapy/requests), which is
   unreliable on short pages, hence last;
6. UTF-8 with replacement characters, so a page always decodes.

    >>> page = "<p>Суд в Алматы приговорил жителя города к пяти годам лишения свободы</p>"
    >>> decode_html(page.encode("koi8-r"), "text/html; charset=windows-1251")
    ('<p>Суд в Алматы приговорил жителя города к пяти годам лишения свободы</p>', 'koi8-r')
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

REGIONAL = ("cp1251", "koi8-r")
BOMS = [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN1_LETTERS = re.compile(r"[\u00c0-\u00ff]")
# Magic numbers of the binary formats a server may hand out under an .html name.
BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"Rar!",
                b"\x7fELF", b"MZ", b"ID3", b"OggS", b"RIFF", b"\x00\x00\x00")


def codec_name(label: str | None) -> str | None:
    """Python's name for a charset label (`windows-1251` -> `cp1251`), or None if unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def looks_binary(body: bytes) -> bool:
    """True for images, archives, PDFs and other non-text bodies (NUL bytes in the head)."""
    head = body[:1024]
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def plausible(text: str) -> bool:
    """Does this decoding read like Russian, Kazakh or English text rather than mojibake?"""
    cyrillic = CYRILLIC.findall(text)
    if len(cyrillic) >= 8 and sum(c.isupper() for c in cyrillic) / len(cyrillic) > 0.5:
        return False
    letters = sum(c.isalpha() for c in text)
    return not (letters >= 20 and len(LATIN1_LETTERS.findall(text)) / letters > 0.25)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; returns (text, codec name)."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), codec_name(name)
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = [codec_name(http_content_type_encoding(content_type or "")),
                codec_name(html_body_declared_encoding(body[:4096]))]
    for name in dict.fromkeys(d for d in [*declared, *REGIONAL] if d and d != "utf-8"):
        try:
            text = body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if plausible(text):
            return text, name
    guess = charset_normalizer.from_bytes(body).best()
    if guess is not None and (name := codec_name(guess.encoding)) and plausible(str(guess)):
        return str(guess), name
    return body.decode("utf-8", errors="replace"), "utf-8"
