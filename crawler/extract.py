"""HTML -> article: main text with trafilatura, metadata from JSON-LD, OpenGraph and meta
tags, then htmldate-style fallbacks (a date printed beside the title, htmldate itself)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import trafilatura
from htmldate import find_date
from lxml import html as lxml_html

from crawler.urls import canonicalize

DATE_IN_TEXT = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")


@dataclass
class ExtractedPage:
    url: str
    canonical_url: str
    title: str | None = None
    text: str = ""
    published: str | None = None
    modified: str | None = None
    author: str | None = None
    section: str | None = None


def _jsonld_articles(tree) -> list[dict]:
    found = []
    for node in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(node)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if "@graph" in item:
                    stack.extend(item["@graph"])
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(k in ("NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting") for k in kinds):
                    found.append(item)
    return found


def _meta(tree, *names: str) -> str | None:
    for name in names:
        values = tree.xpath(f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content')
        if values and values[0].strip():
            return values[0].strip()
    return None


def _person(value) -> str | None:
    if isinstance(value, list):
        names = [_person(v) for v in value]
        return ", ".join(n for n in names if n) or None
    if isinstance(value, dict):
        return value.get("name")
    return value if isinstance(value, str) else None


def _iso(value: str | None) -> str | None:
    """Keep ISO dates as they are; turn `dd.mm.yyyy` into ISO."""
    if not value:
        return None
    m = DATE_IN_TEXT.search(value)
    if m and not re.match(r"\d{4}-", value):
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return value.strip()


def _densest_paragraphs(tree) -> str:
    """Fallback for layouts trafilatura gives up on (legacy table layouts): the paragraphs
    of the element whose direct <p> children hold the most text."""
    best, best_len = [], 0
    for parent in {p.getparent() for p in tree.iter("p") if p.getparent() is not None}:
        paras = [" ".join(p.text_content().split()) for p in parent if p.tag == "p"]
        paras = [p for p in paras if len(p) > 40]
        total = sum(map(len, paras))
        if total > best_len:
            best, best_len = paras, total
    return "\n".join(best)


def extract_page(html: str, url: str) -> ExtractedPage:
    """Extract the article from a page; the text is empty when the page has no main content."""
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return ExtractedPage(url=url, canonical_url=canonicalize(url))
    ld = _jsonld_articles(tree)
    art = ld[0] if ld else {}
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    canonical_url = canonicalize(canonical[0]) if canonical and canonical[0].startswith("http") else canonicalize(url)

    # Main text only: trafilatura's own metadata pass costs as much as the text extraction,
    # and JSON-LD, OpenGraph and meta tags (below) come first anyway.
    extracted = trafilatura.bare_extraction(
        html, url=url, with_metadata=False, include_comments=False, include_tables=False,
        favor_precision=True, deduplicate=False,
    )
    extracted = extracted.as_dict() if hasattr(extracted, "as_dict") else (extracted or {})
    text = (extracted.get("text") or "").strip()
    fallback = _densest_paragraphs(tree)
    if len(fallback) > 2 * len(text):
        text = fallback
    title = art.get("headline") or _meta(tree, "og:title", "twitter:title")
    if not title:
        heading = tree.xpath("//h1//text()")
        title = " ".join(t.strip() for t in heading).strip() or None
    if not title:
        title = (tree.findtext(".//title") or "").strip() or None
    published = art.get("datePublished") or _meta(tree, "article:published_time", "datePublished", "pubdate")
    if not published:
        # Legacy pages print the date beside the title; take the first dd.mm.yyyy there,
        # else let htmldate look through the page (URL, time elements, text patterns).
        date_nodes = tree.xpath('//*[contains(@class, "date") or self::time]//text()')
        published = next((d for d in date_nodes if DATE_IN_TEXT.search(d)), None)
        if not published:
            published = find_date(tree, url=url, extensive_search=False, original_date=True)
    return ExtractedPage(
        url=url,
        canonical_url=canonical_url,
        title=title.strip() if title else None,
        text=text,
        published=_iso(published),
        modified=_iso(art.get("dateModified") or _meta(tree, "article:modified_time")),
        author=_person(art.get("author")) or _meta(tree, "author", "article:author"),
        section=art.get("articleSection") or _meta(tree, "article:section") or None,
    )
