"""The crawl's progress line: a Scrapy extension the crawl's child process runs (corpus.progress)."""

from __future__ import annotations

from scrapy import signals

from crawler import stats as crawl_stats
from corpus.progress import Progress


def crawl_counts(stats: dict) -> str:
    """The counts a crawl reports while it runs, named as its summary names them."""
    return (f"{crawl_stats.article_pages(stats)} article pages, {crawl_stats.outcome_total(stats, 'stored')} stored, "
            f"{crawl_stats.outcome_total(stats, 'rejected')} rejected, {crawl_stats.error_count(stats)} errors")


class CrawlProgress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.progress = Progress("crawling", unit="responses", detail=lambda: crawl_counts(crawler.stats.get_stats()))

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response, signal=signals.response_received)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider) -> None:
        self.progress.__enter__()

    def response(self, response, request, spider) -> None:
        self.progress.advance(1)

    def closed(self, spider, reason) -> None:
        self.progress.__exit__(None, None, None)
