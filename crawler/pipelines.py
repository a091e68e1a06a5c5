"""Item pipelines: extract the article, identify the language, filter by relevance, hash.

They never drop silently: a page turned away gets `item["rejected"] = (reason, score)` so the
application can record why. The pipeline that stores items belongs to the application.
"""

from __future__ import annotations

import hashlib
import re

from crawler.extract import extract_article
from crawler.items import PageItem
from crawler.language import identify
from crawler.relevance import score

MIN_TEXT_CHARS = 200
NLP_LANGUAGES = {"ru", "en"}


def content_hash(text: str) -> str:
    """Hash of the text with case, punctuation and spacing normalised away."""
    normal = re.sub(r"[\W_]+", " ", text.lower()).strip()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()


class ArticlePipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        article = extract_article(item["text_html"], item.get("final_url") or item["url"])
        for key in ("canonical_url", "title", "text", "published", "modified", "author", "section"):
            item[key] = getattr(article, key)
        if len(article.text) < MIN_TEXT_CHARS:
            item["rejected"] = (f"no article text ({len(article.text)} characters)", 0.0)
        return item


class LanguagePipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.get("rejected"):
            return item
        lang, probability = identify(f"{item.get('title') or ''}\n{item['text']}")
        item["lang"], item["lang_probability"] = lang, probability
        return item


class RelevancePipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.get("rejected"):
            return item
        if item["lang"] not in NLP_LANGUAGES:
            # Kazakh and other languages are kept and flagged; the lexicon cannot judge them.
            item["relevance"] = None
            return item
        verdict = score(item.get("title"), item["text"])
        item["relevance"] = verdict.score
        if not verdict.relevant:
            item["rejected"] = (verdict.reason, verdict.score)
        return item


class ContentHashPipeline:
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        if not item.get("rejected"):
            item["content_hash"] = content_hash(item["text"])
        return item
