"""Item pipelines: extract the article, keep it in the crawl's date range, identify the
language, filter by relevance, hash and sign it for duplicate detection.

They never drop silently: a page turned away gets `item["rejected"] = (reason, score)` so the
application can record why, and every later pipeline passes a rejected item through
untouched. The one exception is `SincePipeline`: a page published before `--since` is out
of this run's range, not rejected, so it is dropped (and counted) and a later run may store it.
The pipeline that stores items belongs to the application.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from scrapy.exceptions import DropItem

from crawler import dedupe
from crawler.extract import extract_page
from crawler.items import PageItem
from crawler.language import identify
from crawler.relevance import Lexicon, load_lexicon, score
from crawler.stats import source_key

MIN_TEXT_CHARS = 200
# The languages the relevance lexicon is written in (the crawler knows nothing of nlp, which
# processes the same two); pages in others are stored unjudged.
JUDGED_LANGUAGES = {"ru", "en"}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def content_hash(text: str) -> str:
    """Hash of the text with case, punctuation and spacing normalised away."""
    normal = re.sub(r"[\W_]+", " ", text.lower()).strip()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()


class ArticlePipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.get("rejected"):
            return item
        article = extract_page(item["text_html"], item.get("final_url") or item["url"])
        for key in ("canonical_url", "title", "text", "published", "modified", "author", "section"):
            item[key] = getattr(article, key)
        if len(article.text) < MIN_TEXT_CHARS:
            item["rejected"] = (f"no article text ({len(article.text)} characters)", 0.0)
        return item


class SincePipeline:
    """Drops pages published before the spider's `since` date (listing and search pages carry
    no dates, so the check can only happen after extraction)."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        since = getattr(self.crawler.spider, "since", None) if self.crawler else None
        published = (item.get("published") or "")[:10]
        if since and not item.get("rejected") and ISO_DAY.fullmatch(published) and published < since:
            self.crawler.stats.inc_value(source_key(item["source"], "skipped_old"))
            raise DropItem(f"published {published}, before --since {since}", log_level="DEBUG")
        return item


class LanguagePipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.get("rejected"):
            return item
        lang, probability = identify(f"{item.get('title') or ''}\n{item['text']}")
        item["lang"], item["lang_probability"] = lang, probability
        return item


class RelevancePipeline:
    """Judges each page with the relevance lexicon (crawler/relevance.py).

    Setting `RELEVANCE_TERMS` (default: unset, the packaged crawler/relevance_terms.yml): the
    path of another terms file in the same format, to crawl with a stricter or looser gate.
    """

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("RELEVANCE_TERMS")
        return cls(load_lexicon(Path(path).read_text("utf-8")) if path else None)

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.get("rejected"):
            return item
        if item["lang"] not in JUDGED_LANGUAGES:
            # Kazakh and other languages are kept and flagged; the lexicon cannot judge them.
            item["relevance"] = None
            return item
        verdict = score(item.get("title"), item["text"], self.lexicon)
        item["relevance"] = verdict.score
        if not verdict.relevant:
            item["rejected"] = (verdict.reason, verdict.score)
        return item


class ContentHashPipeline:
    """The exact-duplicate key and the MinHash signature for near-duplicates (crawler/dedupe.py)."""

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if not item.get("rejected"):
            item["content_hash"] = content_hash(item["text"])
            item["minhash"] = dedupe.signature(item["text"])
        return item


# The steps a fetched page goes through, in order: the crawl's ITEM_PIPELINES and
# `corpus reextract` (which has no spider, hence no --since) both use this list.
STEPS = [ArticlePipeline, LanguagePipeline, RelevancePipeline, ContentHashPipeline]
