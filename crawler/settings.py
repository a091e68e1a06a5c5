"""Scrapy settings: crawl policy lives here (politeness, safety, retries, limits, resumption).

Our own settings, beside Scrapy's:

- `CORPUS_CONTACT` (env `CORPUS_CONTACT`): an e-mail address or URL where site owners can
  reach the operator; it goes into the User-Agent. `corpus crawl` refuses to crawl real
  outlets without it.
- `CORPUS_ALLOWED_PRIVATE`: `host:port` addresses that may be fetched although they are
  private or loopback (only the sample site, set by `corpus crawl --sample`; empty by
  default).
- `RETRY_BACKOFF_BASE`, `RETRY_BACKOFF_MAX`: retry n waits BASE * 2**(n-1) seconds, at most MAX.
"""

import os

BOT_NAME = "extremism-cases-corpus"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are and how to reach us: analysts set CORPUS_CONTACT for their deployment.
CORPUS_CONTACT = os.environ.get("CORPUS_CONTACT", "")
CONTACT_PLACEHOLDER = "contact not configured"
USER_AGENT = "extremism-cases-corpus/0.1 (research crawler for a court-case news corpus; +{contact})"
# robots.txt rules are matched against this product token.
ROBOTSTXT_USER_AGENT = "extremism-cases-corpus"

# Politeness: robots.txt, at most 2 requests in flight per site, AutoThrottle adapting the
# delay to each site's latency (never faster than DOWNLOAD_DELAY).
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is DOWNLOAD_DELAY x [0.5, 1.5]
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # the spider reports the failure as a source error
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
# No consoles: an unattended crawler listens on no port.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# A page yields one item, and the pipelines are synchronous: Scrapy's default of 100 starts
# 100 asyncio tasks per response for nothing (a tenth of the crawl's CPU in the benchmark).
CONCURRENT_ITEMS = 8
LOG_LEVEL = "INFO"

# Safety: only registry domains, never private addresses (except these).
CORPUS_ALLOWED_PRIVATE: list[str] = []
# Host names are resolved by this resolver, which refuses private answers: the address it
# checks is the address Twisted connects to (crawler/resolver.py). It keeps no cache of its
# own, so Scrapy's DNSCACHE_* settings do not apply; connections are kept open and reused.
TWISTED_DNS_RESOLVER = "crawler.resolver.PublicAddressResolver"

DOWNLOADER_MIDDLEWARES = {
    # Before Scrapy's offsite filter (50) and robots.txt (100): a forbidden host gets no request at all.
    "crawler.middlewares.SafetyMiddleware": 40,
    "crawler.middlewares.SkipStoredMiddleware": 45,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # After the retry middleware in request order, so it sees a download error first.
    "crawler.middlewares.RefusedAddressMiddleware": 560,
    # After the redirect middleware (600) in request order, so it sees the 3xx first.
    "crawler.middlewares.RedirectGuardMiddleware": 650,
}

# Resumption: with JOBDIR set (`corpus crawl` keeps it beside the database), the frontier
# is an SQLite file that survives SIGKILL (crawler/frontier.py).
SCHEDULER_PRIORITY_QUEUE = "crawler.frontier.SqliteFrontier"
DUPEFILTER_CLASS = "crawler.frontier.FrontierDupeFilter"

ITEM_PIPELINES = {
    "crawler.pipelines.ArticlePipeline": 100,
    "crawler.pipelines.SincePipeline": 150,
    "crawler.pipelines.LanguagePipeline": 200,
    "crawler.pipelines.RelevancePipeline": 300,
    "crawler.pipelines.ContentHashPipeline": 400,
}

# The sample site is local: no need to wait between requests. (Not 0: with DOWNLOAD_DELAY = 0,
# Scrapy 2.19 on the asyncio reactor hands a slot's whole queue to the network at once,
# since a download counts as transferring only once its task starts, so
# CONCURRENT_REQUESTS_PER_DOMAIN is not enforced. Any positive delay dispatches one request
# per pass and keeps the limit.)
SAMPLE_OVERRIDES = {
    "DOWNLOAD_DELAY": 0.001,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.2,
}
