"""Is every source still where the registry says? One polite request per discovery URL.

`SourceCheckSpider` fetches each discovery URL of the job's sources once (a search with its
first term only, a listing's first page only), reads it with the news spider's own parsers,
and counts what a crawl would find there: sitemap entries and child sitemaps, feed items,
article links the source's pattern matches. It follows no article. Its findings are one
`MethodCheck` per discovery URL, handed back in the crawl's stats (`CHECKS`).

A method is *broken* when a crawl would get nothing from it: an HTTP error, no answer, an
empty sitemap or feed, a page where the article pattern matches no link. *Moved* (the URL
redirects elsewhere) is a warning: the crawl still follows the redirect, but the registry
should name the new address.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawler.sources import Discovery, Source
from crawler.spiders.news import NewsSpider, listed_day, search_terms

CHECKS = "source_checks"  # the stats key holding the list of MethodCheck dicts
# What a discovery method gives, in words, by type.
FOUND = {"sitemap": "entries", "rss": "items", "listing": "article links", "search": "article links"}
# Every error status reaches the check (redirects are still followed).
ERROR_STATUSES = list(range(400, 600))


@dataclass
class MethodCheck:
    source: str
    method: str                    # sitemap | rss | listing | search
    url: str
    status: int | None = None      # HTTP status of the last response (after redirects)
    final_url: str | None = None   # where redirects ended, when elsewhere
    items: int = 0                 # entries, items or article links found
    newest: str | None = None      # YYYY-MM-DD of the newest dated entry (sitemaps, feeds)
    problem: str | None = None     # why a crawl would get nothing here
    warning: str | None = None     # works, but the registry should change (moved)

    @property
    def broken(self) -> bool:
        return self.problem is not None


def check_url(source: Source, method: Discovery) -> str:
    """The one URL checked for a method: a search asks for the source's first term."""
    if method.type != "search":
        return method.url
    terms = search_terms(source)
    return method.url.replace("{query}", quote(terms[0] if terms else "terrorism"))


class SourceCheckSpider(NewsSpider):
    name = "source_check"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checks: list[MethodCheck] = []

    def start_requests(self) -> Iterator[scrapy.Request]:
        for src in self.sources:
            for method in src.discovery:
                url = check_url(src, method)
                self.checks.append(MethodCheck(src.name, method.type, url))
                # page = max_pages: the listing parser follows no next page.
                yield scrapy.Request(url, callback=self.check, errback=self.check_failed, dont_filter=True,
                                     meta={"source": src, "method": method, "page": method.max_pages,
                                           "discovery_url": url, "check": len(self.checks) - 1,
                                           "handle_httpstatus_list": ERROR_STATUSES})

    def check(self, response: Response) -> None:
        found = self.checks[response.meta["check"]]
        found.status = response.status
        if response.url != found.url:
            found.final_url = response.url
            found.warning = f"moved to {response.url}"
        if response.status >= 400:
            found.problem = f"HTTP {response.status}"
            return
        parse = {"sitemap": self.parse_sitemap, "rss": self.parse_feed,
                 "listing": self.parse_listing, "search": self.parse_listing}[found.method]
        # The parsers report what they find through _article and _discovery (below).
        for _ in parse(response):
            pass
        if not found.items:
            found.problem = ("the article pattern matches no link on the page" if found.method in ("listing", "search")
                             else f"no {FOUND[found.method]}")

    def check_failed(self, failure) -> None:
        found = self.checks[failure.request.meta["check"]]
        found.problem = f"{failure.type.__name__}: {failure.getErrorMessage()}"

    # What the news spider's parsers would crawl, counted instead of requested.
    def _article(self, response: Response, url: str, date: str | None) -> Iterator[scrapy.Request]:
        if url:
            self._found(response, listed_day(date))
        return iter(())

    def _discovery(self, url: str, src: Source, method: Discovery, page: int = 1):
        return None  # a child sitemap: counted in parse_sitemap, not fetched

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        for child in super().parse_sitemap(response):
            if child is None:
                self._found(response, None)
            yield child

    def _found(self, response: Response, day: str | None) -> None:
        found = self.checks[response.meta["check"]]
        found.items += 1
        if day and (found.newest is None or day > found.newest):
            found.newest = day

    def _unchanged(self, response: Response) -> bool:
        return False  # no validators are sent: every answer is read

    def closed(self, reason: str) -> None:
        super().closed(reason)
        self.crawler.stats.set_value(CHECKS, [dataclasses.asdict(c) for c in self.checks])
