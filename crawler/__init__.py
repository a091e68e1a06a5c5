"""The crawler library: a registry-driven Scrapy spider, article extraction, language id,
relevance filtering and deduplication. It yields items; it knows nothing of the store."""
