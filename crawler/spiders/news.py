"""One generic news spider, driven by the source registry.

    scrapy crawl news -a source=tengrinews        # one outlet from crawler/sources.yml
    scrapy crawl news -a source=tengrinews -a since=2024-01-01
    scrapy crawl news -a registry=my-sources.yml -O pages.jsonl   # another registry file

It discovers article pages through each source's methods (news sitemap or sitemap index,
RSS/Atom feed, paginated section listing, site search) and yields one `PageItem` per
article page. It skips pages the caller has already seen (`seen`), and never stores.

Feeds and sitemaps are fetched conditionally: the caller hands in the validators (ETag,
Last-Modified) it kept from the last run (`validators`, {url: {"etag", "last_modified"}})
and gets the new ones back in the crawl's stats (`crawler.stats.NEW_VALIDATORS`); a 304
means nothing new there. A crawl job (crawler/job.py) passes both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from email.utils import parsedate_to_datetime
from typing import Iterable, Iterator
from urllib.parse import quote

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip

from crawler.encoding import decode_html, looks_binary
from crawler.items import PageItem
from crawler.middlewares import AlreadyStored, RedirectLoop, Refused
from crawler.sources import Discovery, Source, load_sources, owner, select
from crawler.stats import ERROR_MESSAGES, NEW_VALIDATORS, SOURCE_ERRORS, source_key
from crawler.urls import article_address, canonicalize

# Site-search terms for a source without its own `keywords`, by the source's languages.
DEFAULT_SEARCH_TERMS = {"ru": ("экстремизм", "терроризм", "пропаганда терроризма", "террористической организации"),
                        "en": ("extremism", "terrorism", "extremist", "terrorist")}
# Failures that will not heal by themselves: recorded, so later runs do not fetch them again.
PERMANENT_STATUS = {404, 410}
MAX_ERROR_MESSAGES = 20


def search_terms(src: Source) -> list[str]:
    """What a source's site search is asked: its own keywords, or the terms of its languages."""
    return list(src.keywords) or [t for lang in src.languages for t in DEFAULT_SEARCH_TERMS.get(lang, ())]


def listed_day(value: str | None) -> str | None:
    """The day (YYYY-MM-DD) of a date in a sitemap (ISO 8601) or a feed (RFC 822, as the
    publisher wrote it: no time-zone conversion); None when there is none."""
    m = re.search(r"\d{4}-\d{2}-\d{2}", value or "")
    if m:
        return m.group(0)
    try:
        return parsedate_to_datetime(value.strip()).date().isoformat() if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        source: str | None = None,
        sources: Iterable[Source] | None = None,
        registry: str | None = None,
        seen: Iterable[str] | None = None,
        since: str | None = None,
        refresh: bool | str = False,
        validators: dict[str, dict] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if sources is None:
            names = [n for n in (source or "").split(",") if n]
            sources = select(load_sources(registry), names)
        self.sources = list(sources)
        self.allowed_domains = sorted({d for s in self.sources for d in s.allowed_domains})
        self.seen = set(seen or ())
        self.since = since
        self.refresh = refresh in (True, "1", "true", "yes")
        self.validators: dict[str, dict] = {} if self.refresh else dict(validators or {})
        self.new_validators: dict[str, dict] = {}
        self.queued: set[str] = set()
        self.error_messages: dict[str, list[str]] = defaultdict(list)

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for src in self.sources:
            for method in src.discovery:
                urls = [method.url]
                if method.type == "search":
                    urls = [method.url.replace("{query}", quote(term)) for term in search_terms(src)]
                for url in urls:
                    yield self._discovery(url, src, method)

    def _discovery(self, url: str, src: Source, method: Discovery, page: int = 1) -> scrapy.Request:
        callback = {"sitemap": self.parse_sitemap, "rss": self.parse_feed,
                    "listing": self.parse_listing, "search": self.parse_listing}[method.type]
        headers = {}
        conditional = method.type in ("sitemap", "rss")
        known = self.validators.get(url, {}) if conditional else {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        # Discovery pages are fetched again on every run (and on resume): never filtered.
        return scrapy.Request(url, callback=callback, errback=self.failed, dont_filter=True, headers=headers,
                              meta={"source": src, "method": method, "page": page, "discovery_url": url,
                                    "handle_httpstatus_list": [304] if conditional else []})

    # --- outcomes --------------------------------------------------------------------------

    def _count(self, src: Source | None, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(source_key(src.name if src else None, key), n)

    def _error(self, src: Source | None, message: str) -> None:
        self._count(src, "errors")
        self.crawler.stats.inc_value(SOURCE_ERRORS)
        messages = self.error_messages[src.name if src else "unknown"]
        if len(messages) < MAX_ERROR_MESSAGES:
            messages.append(message)
        self.logger.warning("%s: %s", src.name if src else "unknown", message)

    def _gone(self, request, src: Source, reason: str, status: int | None = None) -> PageItem:
        """A page that will not be fetched again: recorded by the store as rejected."""
        return PageItem(source=src.name, url=request.meta.get("redirect_urls", [request.url])[0],
                        final_url=request.url, status=status, headers={}, body=b"", encoding=None,
                        text_html="", fetched_at=_now(), rejected=(reason, None))

    def failed(self, failure):
        """Sort a failed request into skipped, refused (policy) or error (the run's exit status)."""
        request = failure.request
        src: Source | None = request.meta.get("source")
        article = bool(request.meta.get("article"))
        message = failure.getErrorMessage()
        url = request.meta.get("redirect_urls", [request.url])[0]
        if failure.check(AlreadyStored):
            self._count(src, "skipped")
        elif failure.check(RedirectLoop):
            self._error(src, f"{url}: {message}")
        elif failure.check(Refused) or (failure.check(IgnoreRequest)
                                        and ("robots.txt" in message or "offsite" in message)):
            self._count(src, "refused")
            self.logger.info("%s: refused %s: %s", src.name if src else "unknown", url, message)
        elif failure.check(HttpError):
            status = failure.value.response.status
            self._error(src, f"{url}: HTTP {status}")
            if article and src and status in PERMANENT_STATUS:
                yield self._gone(request, src, f"HTTP {status}", status)
        elif failure.check(DownloadCancelledError):
            # DOWNLOAD_MAXSIZE: a policy limit, recorded so the page is not fetched every run.
            self._count(src, "refused")
            self.logger.info("%s: %s", src.name if src else "unknown", message)
            if article and src:
                yield self._gone(request, src, "larger than DOWNLOAD_MAXSIZE")
        else:
            self._error(src, f"{url}: {failure.type.__name__}: {message}")

    def closed(self, reason: str) -> None:
        for name, messages in self.error_messages.items():
            self.crawler.stats.set_value(source_key(name, ERROR_MESSAGES), messages)
        self.crawler.stats.set_value(NEW_VALIDATORS, self.new_validators)

    # --- discovery -----------------------------------------------------------------------

    def _unchanged(self, response: Response) -> bool:
        """True for a 304; otherwise remembers the response's validators for the next run."""
        src: Source = response.meta["source"]
        if response.status == 304:
            self._count(src, "not_modified")
            return True
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if etag or modified:
            self.new_validators[response.meta["discovery_url"]] = {
                "source": src.name,
                "etag": etag.decode("latin-1") if etag else None,
                "last_modified": modified.decode("latin-1") if modified else None}
        return False

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if self._unchanged(response):
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz served as a file, not a content encoding
            body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        sel = scrapy.Selector(text=body.decode("utf-8", errors="replace").lstrip("\ufeff"), type="xml")
        sel.remove_namespaces()
        method: Discovery = response.meta["method"]
        children = []
        for node in sel.xpath("//sitemapindex/sitemap"):
            loc = node.xpath("loc/text()").get("").strip()
            lastmod = listed_day(node.xpath("lastmod/text()").get())
            if loc and not (self.since and lastmod and lastmod < self.since):
                children.append((lastmod or "", loc))
        # The newest child sitemaps first; max_pages of them (archives reach back years).
        for _, loc in sorted(children, reverse=True)[:method.max_pages]:
            yield self._discovery(response.urljoin(loc), response.meta["source"], method)
        for node in sel.xpath("//urlset/url"):
            loc = node.xpath("loc/text()").get("").strip()
            date = node.xpath("news/publication_date/text()").get() or node.xpath("lastmod/text()").get()
            yield from self._article(response, loc, date)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if self._unchanged(response):
            return
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
            if response.meta["source"].is_article(url, method):
                yield from self._article(response, url, None)
            elif (method.next_pattern and re.search(method.next_pattern, url)
                  and response.meta["page"] < method.max_pages):
                request = self._discovery(url, response.meta["source"], method, response.meta["page"] + 1)
                # Pages 2, 3... are found once per run: filtered, unlike the registry's URLs.
                yield request.replace(dont_filter=False)

    def _article(self, response: Response, url: str, date: str | None) -> Iterator[scrapy.Request]:
        if not url:
            return
        # An AMP or print copy is fetched as the article it copies.
        url = article_address(response.urljoin(url))
        day = listed_day(date)
        if self.since and day and day < self.since:
            self._count(response.meta["source"], "skipped_old")
            return
        # After the date check: a URL skipped as old here may still come with a newer date elsewhere.
        if not self.claim(canonicalize(url)):
            return
        # A page under another crawled source's home (an English section of a Russian outlet
        # with its own English entry) is that source's page.
        src = owner(url, self.sources, response.meta["source"])
        yield scrapy.Request(url, callback=self.parse_article, errback=self.failed,
                             meta={"source": src, "article": True})

    def claim(self, canonical: str) -> bool:
        """True the first time an article URL is found in this crawl, unless the store has it.
        (The distributed spider claims in Redis, across every crawler process.)"""
        if canonical in self.queued or (canonical in self.seen and not self.refresh):
            return False
        self.queued.add(canonical)
        return True

    # --- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        src: Source = response.meta["source"]
        self._count(src, "pages")
        headers = _headers(response)
        item = PageItem(
            source=src.name,
            url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=_now(),
        )
        ctype = headers.get("Content-Type", "")
        if looks_binary(response.body) or not (ctype == "" or "html" in ctype or ctype.startswith("text/")):
            item.update(encoding=None, text_html="",
                        rejected=(f"not an HTML page ({ctype or 'no content type'}, binary content)", None))
            yield item
            return
        item["text_html"], item["encoding"] = decode_html(response.body, ctype)
        yield item
