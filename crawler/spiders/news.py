"""One generic news spider, driven by the source registry.

    scrapy crawl news -a source=tengrinews        # one outlet from crawler/sources.yml
    scrapy crawl news -a source=tengrinews -a since=2024-01-01

It discovers article pages through each source's methods (news sitemap or sitemap index,
RSS/Atom feed, paginated section listing, site search) and yields one `PageItem` per
article page. It skips pages the caller has already seen (`seen`), and never stores.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawler.items import PageItem
from crawler.sources import Discovery, Source, load_sources, select
from crawler.urls import canonicalize

DEFAULT_SEARCH_TERMS = ("экстремизм", "терроризм", "terrorism", "extremism")


def _date_prefix(value: str | None) -> str | None:
    m = re.search(r"\d{4}-\d{2}-\d{2}", value or "")
    if m:
        return m.group(0)
    try:  # RFC 822 dates in RSS
        return dt.datetime.strptime(value.strip()[5:16], "%d %b %Y").date().isoformat() if value else None
    except ValueError:
        return None


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        source: str | None = None,
        sources: Iterable[Source] | None = None,
        seen: Iterable[str] | None = None,
        seen_file: str | None = None,
        since: str | None = None,
        refresh: bool | str = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if sources is None:
            names = [n for n in (source or "").split(",") if n]
            sources = select(load_sources(), names)
        self.sources = list(sources)
        self.allowed_domains = sorted({d for s in self.sources for d in s.allowed_domains})
        self.seen = set(seen or ())
        if seen_file:
            self.seen |= {line.strip() for line in Path(seen_file).read_text("utf-8").splitlines() if line.strip()}
        self.since = since
        self.refresh = refresh in (True, "1", "true", "yes")
        self.queued: set[str] = set()

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for src in self.sources:
            for method in src.discovery:
                callback = {"sitemap": self.parse_sitemap, "rss": self.parse_feed,
                            "listing": self.parse_listing, "search": self.parse_listing}[method.type]
                urls = [method.url]
                if method.type == "search":
                    terms = src.keywords or DEFAULT_SEARCH_TERMS
                    urls = [method.url.replace("{query}", quote(term)) for term in terms]
                for url in urls:
                    yield scrapy.Request(url, callback=callback, errback=self.failed, dont_filter=True,
                                         meta={"source": src, "method": method, "page": 1})

    def failed(self, failure) -> None:
        """Count a failed fetch against its source; the run's exit status reports it."""
        request = failure.request
        src = request.meta.get("source")
        name = src.name if src else "unknown"
        self.crawler.stats.inc_value(f"source/{name}/errors")
        self.crawler.stats.inc_value("source_errors")
        self.logger.warning("%s: %s failed: %s", name, request.url, failure.getErrorMessage())

    # --- discovery -----------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sel = scrapy.Selector(text=response.text, type="xml")
        sel.remove_namespaces()
        for loc in sel.xpath("//sitemapindex/sitemap/loc/text()").getall():
            yield response.follow(loc.strip(), callback=self.parse_sitemap, errback=self.failed,
                                  meta=response.meta)
        for node in sel.xpath("//urlset/url"):
            loc = node.xpath("loc/text()").get("").strip()
            date = node.xpath("news/publication_date/text()").get() or node.xpath("lastmod/text()").get()
            yield from self._article(response, loc, date)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        sel = scrapy.Selector(text=response.text, type="xml")
        sel.remove_namespaces()
        for node in sel.xpath("//item"):
            link = node.xpath("link/text()").get("").strip()
            yield from self._article(response, link, node.xpath("pubDate/text()").get())
        for node in sel.xpath("//entry"):
            link = node.xpath("link[not(@rel) or @rel='alternate']/@href").get("").strip()
            date = node.xpath("published/text()").get() or node.xpath("updated/text()").get()
            yield from self._article(response, link, date)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        method: Discovery = response.meta["method"]
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if method.article_pattern and re.search(method.article_pattern, url):
                yield from self._article(response, url, None)
            elif (method.next_pattern and re.search(method.next_pattern, url)
                  and response.meta["page"] < method.max_pages):
                meta = dict(response.meta, page=response.meta["page"] + 1)
                yield scrapy.Request(url, callback=self.parse_listing, errback=self.failed, meta=meta)

    def _article(self, response: Response, url: str, date: str | None) -> Iterator[scrapy.Request]:
        if not url:
            return
        url = response.urljoin(url)
        canonical = canonicalize(url)
        if canonical in self.queued or (canonical in self.seen and not self.refresh):
            return
        day = _date_prefix(date)
        if self.since and day and day < self.since:
            return
        self.queued.add(canonical)
        yield scrapy.Request(url, callback=self.parse_article, errback=self.failed,
                             meta={"source": response.meta["source"]})

    # --- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        if not hasattr(response, "text"):
            self.logger.warning("not a text page: %s", response.url)
            return
        src: Source = response.meta["source"]
        self.crawler.stats.inc_value(f"source/{src.name}/pages")
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        yield PageItem(
            source=src.name,
            url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            encoding=response.encoding,
            text_html=response.text,
            fetched_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        )
