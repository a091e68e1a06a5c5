"""A large generated news site: a sitemap index over thousands of article pages.

Used by the crawl benchmark (`python -m benchmarks.crawl`, 5,000+ pages) and by the kill-and-
resume test (a small mirror whose pages answer slowly). Pages are built deterministically
from the sample site's sentences (so most are case reports in Russian or English that pass
the relevance filter, and about one in eight is an unrelated story), mixed so that no two
are near-duplicates, and wrapped in the navigation, related links, inline script and
JSON-LD a real outlet's page carries (about 30 KB each).

    with serve_mirror(pages=5000) as (base, mirror):
        run_crawl(db, mirror_sources(base), sample=True)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import random
import re
from functools import cached_property
from typing import Iterator

from crawler.sample_site.server import load_articles, serve_pages
from crawler.sources import Source, parse_sources

SITEMAP_SIZE = 1000
IRRELEVANT_EVERY = 8
FIRST_DAY = dt.date(2018, 1, 1)


def mirror_sources(base: str) -> list[Source]:
    """The registry entry of a mirror served at `base`."""
    return parse_sources({"sources": [{
        "name": "mirror", "title": "Generated mirror", "base_url": "{base}/", "languages": ["ru", "en"],
        "country": "KZ", "allowed_domains": ["127.0.0.1"],
        "discovery": [{"type": "sitemap", "url": "{base}/sitemap.xml", "max_pages": 1000}]}]}, base=base)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?»])\s+(?=[A-ZА-ЯЁ«])", text) if len(s.strip()) > 30]


class Mirror:
    def __init__(self, pages: int = 5000, delay: float = 0.0, seed: int = 1):
        self.pages, self.delay, self.seed = pages, delay, seed

    @cached_property
    def pools(self) -> dict[tuple[str, bool], list[str]]:
        pools: dict[tuple[str, bool], list[str]] = {}
        for a in load_articles():
            for para in [a.lead, *a.paragraphs]:
                pools.setdefault((a.lang, a.case is not None), []).extend(_sentences(para))
        return pools

    @cached_property
    def titles(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a in load_articles():
            out.setdefault(a.lang, []).append(a.title)
        return out

    def relevant(self, i: int) -> bool:
        return i % IRRELEVANT_EVERY != 0

    def lang(self, i: int) -> str:
        return "en" if i % 3 == 0 else "ru"

    def published(self, i: int) -> dt.date:
        return FIRST_DAY + dt.timedelta(days=i % 2500)

    def url(self, i: int) -> str:
        return f"/news/{i}.html"

    def article(self, i: int) -> tuple[str, list[str]]:
        """(title, paragraphs) of page i."""
        rng = random.Random(self.seed * 1_000_003 + i)
        lang, relevant = self.lang(i), self.relevant(i)
        pool = self.pools[(lang, relevant)]
        title = f"{rng.choice(self.titles[lang])} ({i})"
        sentences = rng.sample(pool, min(len(pool), rng.randint(9, 14)))
        # Numbers and a page-specific opening make every page its own document.
        opening = (f"Материал №{i}: {rng.randint(2, 15)} человек, {rng.randint(1, 30)} эпизодов."
                   if lang == "ru" else f"Report no. {i}: {rng.randint(2, 15)} people, {rng.randint(1, 30)} counts.")
        sentences.insert(0, opening)
        paragraphs = [" ".join(sentences[k:k + 3]) for k in range(0, len(sentences), 3)]
        return title, paragraphs

    def render(self, i: int) -> str:
        rng = random.Random(i)
        title, paragraphs = self.article(i)
        lang, day = self.lang(i), self.published(i)
        nav = "".join(f"<li><a href='/section/{k}/'>Раздел {k}</a></li>" for k in range(120))
        related = "".join(
            f"<li><a href='{self.url(rng.randrange(self.pages))}'>{html.escape(t)}</a></li>"
            for t in rng.sample(self.titles[lang], min(12, len(self.titles[lang]))))
        footer = "".join(f"<a href='/about/{k}'>Ссылка {k}</a> " for k in range(40))
        script = "var cfg = " + json.dumps({"ads": [f"slot-{k}" for k in range(900)], "page": i}) + ";"
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                         "datePublished": f"{day.isoformat()}T10:00:00+05:00", "inLanguage": lang},
                        ensure_ascii=False).replace("</", "<\\/")
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return (
            f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta property='og:title' content='{html.escape(title)}'>"
            f"<script type='application/ld+json'>{ld}</script><script>{script}</script>"
            f"<style>{'.c{color:#333}' * 500}</style></head><body>"
            f"<header><ul class='menu'>{nav}</ul></header>"
            f"<main><article><h1>{html.escape(title)}</h1><time>{day:%d.%m.%Y}</time>"
            f"<div class='article-body'>{body}</div></article>"
            f"<aside><h3>Читайте также</h3><ul>{related}</ul></aside></main>"
            f"<footer>{footer}</footer></body></html>")

    def page(self, path: str, headers=None):
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/sitemap.xml":
            n = -(-self.pages // SITEMAP_SIZE)
            items = "".join(f"<sitemap><loc>{self.base_url}/sitemaps/{k}.xml</loc>"
                            f"<lastmod>{self.published(min(self.pages - 1, (k + 1) * SITEMAP_SIZE - 1))}</lastmod></sitemap>"
                            for k in range(n))
            xml = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
            return 200, {"Content-Type": "application/xml"}, xml.encode()
        m = re.fullmatch(r"/sitemaps/(\d+)\.xml", path)
        if m:
            k = int(m.group(1))
            urls = "".join(f"<url><loc>{self.base_url}{self.url(i)}</loc><lastmod>{self.published(i)}</lastmod></url>"
                           for i in range(k * SITEMAP_SIZE, min(self.pages, (k + 1) * SITEMAP_SIZE)))
            xml = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, {"Content-Type": "application/xml"}, xml.encode()
        m = re.fullmatch(r"/news/(\d+)\.html", path)
        if m and int(m.group(1)) < self.pages:
            body = self.render(int(m.group(1))).encode("utf-8")
            return 200, {"Content-Type": "text/html; charset=utf-8"}, body, self.delay
        return 404, {"Content-Type": "text/plain"}, b"not found"


@contextlib.contextmanager
def serve_mirror(pages: int = 5000, delay: float = 0.0, port: int = 0,
                 log: list | None = None, gate=None) -> Iterator[tuple[str, Mirror]]:
    """Serve a generated mirror on 127.0.0.1; yields (base URL, mirror). `gate`: see serve_pages."""
    mirror = Mirror(pages, delay)

    def start(base_url: str) -> None:
        mirror.base_url = base_url

    with serve_pages(mirror.page, port, log=log, on_start=start, gate=gate) as base:
        yield base, mirror
