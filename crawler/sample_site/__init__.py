"""The offline sample site: three fake outlets built differently, serving real public cases.

`serve()` starts a real HTTP server on 127.0.0.1 in a background thread::

    with serve() as base_url:
        ...  # crawl base_url + "/vestnik/", "/habar/sitemap-news.xml", "/monitor/rss.xml"

Beside it, for the crawler's tests and benchmark: `faults.serve_faults()` (a site where
everything goes wrong: errors, encodings, redirects, size limits, binaries),
`mirror.serve_mirror()` (a generated site of thousands of pages) and `relevance_pages.yml`
(hand-written pages labelled for the relevance filter).
"""

from crawler.sample_site.server import SampleSite, load_articles, serve

__all__ = ["SampleSite", "load_articles", "serve"]
