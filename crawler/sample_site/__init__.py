"""The offline sample site: three fake outlets built differently, serving real public cases.

`serve()` starts a real HTTP server on 127.0.0.1 in a background thread::

    with serve() as base_url:
        ...  # crawl base_url + "/vestnik/", "/habar/sitemap-news.xml", "/monitor/rss.xml"
"""

from crawler.sample_site.server import SampleSite, load_articles, serve

__all__ = ["SampleSite", "load_articles", "serve"]
