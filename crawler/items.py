"""What the spider yields: a fetched page, which the item pipelines turn into an article."""

from __future__ import annotations

import scrapy


class PageItem(scrapy.Item):
    # Set by the spider: provenance of the fetch.
    source = scrapy.Field()
    url = scrapy.Field()           # the URL that was requested
    final_url = scrapy.Field()     # after redirects
    status = scrapy.Field()
    headers = scrapy.Field()       # dict of str -> str
    body = scrapy.Field()          # raw bytes as received
    encoding = scrapy.Field()
    text_html = scrapy.Field()     # body decoded with the response's encoding
    fetched_at = scrapy.Field()
    # Set by the pipelines.
    canonical_url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    published = scrapy.Field()
    modified = scrapy.Field()
    author = scrapy.Field()
    section = scrapy.Field()
    lang = scrapy.Field()
    lang_probability = scrapy.Field()
    relevance = scrapy.Field()
    content_hash = scrapy.Field()
    minhash = scrapy.Field()       # MinHash signature bytes (crawler/dedupe.py), None for short texts
    # (reason, score) when a pipeline turned the page away; the store records it.
    rejected = scrapy.Field()
