"""One crawl job: what a crawl is asked to do, as one JSON document, and the one place that
runs it with Scrapy.

Whoever starts a crawl builds a `CrawlJob` and hands it to the crawler processes as
`job.to_json()`, never as pickle: to a child process on this machine
(`python -m crawler.job JOBFILE`, which writes the stats to `job.stats_path`), or through
Redis to every crawler process of a distributed crawl (crawler/distributed.py). Either way it
runs through `run_job`, which returns the crawl's Scrapy stats: the counts (crawler/stats.py)
and the new validators of feeds and sitemaps.

    job = CrawlJob(sources=load_sources(), since="2024-01-01", settings={"LOG_LEVEL": "INFO"})
    stats = run_job(job)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sources import Discovery, Source


@dataclass
class CrawlJob:
    sources: list[Source]
    since: str | None = None          # YYYY-MM-DD: articles published before it are skipped
    refresh: bool = False             # fetch pages already seen, ignore the validators
    # Local sites (the sample site, the test sites): no delays, and the sources' own
    # host:port may be fetched although it is a loopback address.
    sample: bool = False
    settings: dict = field(default_factory=dict)  # Scrapy settings over crawler/settings.py
    validators: dict[str, dict] = field(default_factory=dict)  # {url: {"etag", "last_modified"}}
    seen: list[str] = field(default_factory=list)  # canonical URLs the store already has
    stats_path: str | None = None     # where `python -m crawler.job` writes the stats (JSON)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CrawlJob:
        return cls(**{**data, "sources": [source_from_dict(s) for s in data["sources"]]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        return cls.from_dict(json.loads(text))

    def identity(self) -> dict:
        """What makes two jobs the same crawl, so that one may resume the other's frontier:
        the sources and options, not the settings or what the store has."""
        return {"sources": [[s.name, s.base_url] for s in self.sources], "since": self.since,
                "refresh": self.refresh, "sample": self.sample}


def source_from_dict(data: dict) -> Source:
    fields = dict(data)
    fields["discovery"] = tuple(Discovery(**m) for m in fields.get("discovery", ()))
    for key in ("languages", "allowed_domains", "keywords"):
        fields[key] = tuple(fields.get(key) or ())
    return Source(**fields)


def scrapy_settings(job: CrawlJob, extra: dict | None = None):
    """crawler/settings.py, then the sample-site overrides (for a sample job), then the job's
    settings, then `extra` (what the process running the job adds)."""
    from scrapy.settings import Settings

    from crawler import settings as crawler_settings

    merged = Settings()
    merged.setmodule(crawler_settings, priority="project")
    if job.sample:
        private = sorted({f"{urlsplit(s.base_url).hostname}:{urlsplit(s.base_url).port or 80}" for s in job.sources})
        merged.update({**crawler_settings.SAMPLE_OVERRIDES, "CORPUS_ALLOWED_PRIVATE": private}, priority="cmdline")
    merged.update(job.settings, priority="cmdline")
    merged.update(extra or {}, priority="cmdline")
    return merged


def run_job(job: CrawlJob, spider_cls=None, extra_settings: dict | None = None, **spider_kwargs) -> dict:
    """Run the job in this process (Twisted's reactor cannot be restarted: once per process);
    returns the crawl's stats."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.news import NewsSpider

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    # trafilatura warns about every page it finds no main text in: the pipelines report those.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    process = CrawlerProcess(scrapy_settings(job, extra_settings))
    crawler = process.create_crawler(spider_cls or NewsSpider)
    process.crawl(crawler, sources=job.sources, since=job.since, refresh=job.refresh, seen=job.seen,
                  validators=job.validators, **spider_kwargs)
    process.start()
    return crawler.stats.get_stats()


def main(job_file: str) -> None:
    job = CrawlJob.from_json(Path(job_file).read_text("utf-8"))
    stats = run_job(job)
    if job.stats_path:
        Path(job.stats_path).write_text(json.dumps(stats, default=str), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
