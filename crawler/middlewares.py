"""Downloader middlewares: who we say we are, where we may go, how we retry.

- `SafetyMiddleware` (before robots.txt and Scrapy's offsite filter, so that not even a
  robots.txt is fetched from a forbidden host): a request may only go to its source's
  allowed domains, and never to a private, loopback, link-local or reserved IP address,
  except the addresses listed in `CORPUS_ALLOWED_PRIVATE` (the sample site, in `--sample`
  mode). A host name is checked where it is resolved, by the crawl's resolver
  (crawler/resolver.py), so that the address checked is the address connected to.
- `RefusedAddressMiddleware` (sees download errors before the retry middleware): a download
  that failed because the resolver refused the host's addresses is a refusal, not retried.
- `RedirectGuardMiddleware` (sees responses before Scrapy's redirect middleware): refuses a
  redirect to another domain or to a private address, and stops a redirect loop at its
  first repetition, where Scrapy would otherwise drop the looping request silently as a
  duplicate.
- `SkipStoredMiddleware`: an article request that comes back from a resumed frontier is
  not fetched again when the store already has the page.
- `BackoffRetryMiddleware`: Scrapy's retries, each one waiting `RETRY_BACKOFF_BASE * 2**n`
  seconds (capped at `RETRY_BACKOFF_MAX`, with jitter) before it is sent.
- `ContactUserAgentMiddleware`: the User-Agent names the project and `CORPUS_CONTACT`.
"""

from __future__ import annotations

import logging
import random
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.resolver import is_public, refusal
from crawler.sources import host_allowed
from crawler.urls import canonicalize

logger = logging.getLogger(__name__)


class Refused(IgnoreRequest):
    """A request our policy forbids (off-registry domain, private address, foreign redirect).
    Counted per source as `refused`, not as an error."""


class RedirectLoop(IgnoreRequest):
    """A redirect that comes back to a URL already visited in the same chain: an error."""


class AlreadyStored(IgnoreRequest):
    """A resumed request for a page the store already has: skipped quietly."""


def _allowed_domains(request, spider) -> list[str]:
    source = request.meta.get("source")
    if source is not None:
        return list(source.allowed_domains)
    return list(getattr(spider, "allowed_domains", None) or [])


class SafetyMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.allowed_private = {n.lower() for n in crawler.settings.getlist("CORPUS_ALLOWED_PRIVATE")}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise Refused(f"not an http(s) URL: {request.url}")
        netloc = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        if netloc in self.allowed_private:
            return None
        domains = _allowed_domains(request, self.crawler.spider)
        if not host_allowed(host, domains):
            raise Refused(f"off-registry domain {host} (allowed: {', '.join(domains)})")
        try:
            if not is_public(host):
                raise Refused(f"{host} is a private, loopback or reserved address")
        except ValueError:
            pass  # a host name: the resolver checks its addresses when connecting
        return None


class RefusedAddressMiddleware:
    """A download that failed because the crawl's resolver refused the host's answer (a
    private address) becomes `Refused`, with the address, before the retry middleware
    would retry it as a DNS failure."""

    def process_exception(self, request, exception):
        if isinstance(exception, CannotResolveHostError):
            reason = refusal(urlsplit(request.url).hostname or "")
            if reason:
                raise Refused(reason) from None
        return None


class RedirectGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.allowed_private = {n.lower() for n in crawler.settings.getlist("CORPUS_ALLOWED_PRIVATE")}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location or request.meta.get("dont_redirect"):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if canonicalize(target) in {canonicalize(u) for u in chain}:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}")
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
        netloc = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        if netloc in self.allowed_private:
            return response
        if parts.scheme not in ("http", "https"):
            raise Refused(f"redirect to a non-http URL refused: {target}")
        if not host_allowed(host, _allowed_domains(request, self.crawler.spider)):
            raise Refused(f"redirect to another domain refused: {request.url} -> {target}")
        try:
            if not is_public(host):
                raise Refused(f"redirect to a private address refused: {request.url} -> {target}")
        except ValueError:
            pass  # a host name: the resolver checks its addresses when the redirect is followed
        return response


class SkipStoredMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        spider = self.crawler.spider
        if (request.meta.get("article") and not getattr(spider, "refresh", False)
                and canonicalize(request.url) in getattr(spider, "seen", ())):
            raise AlreadyStored(f"already stored: {request.url}")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request, reason):
        retry = super()._retry(request, reason)
        if retry is not None and self.base > 0:
            n = retry.meta.get("retry_times", 1)
            delay = min(self.cap, self.base * 2 ** (n - 1))
            retry.meta["retry_delay"] = delay * random.uniform(0.8, 1.2)
        return retry

    async def process_request(self, request):
        delay = request.meta.pop("retry_delay", 0)
        if delay:
            from twisted.internet import reactor, task  # not at import: Scrapy installs the reactor

            logger.debug("waiting %.1fs before retrying %s", delay, request.url)
            await maybe_deferred_to_future(task.deferLater(reactor, delay, lambda: None))
        return None


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """`USER_AGENT` with `{contact}` filled from the `CORPUS_CONTACT` setting."""

    @classmethod
    def from_crawler(cls, crawler):
        contact = crawler.settings.get("CORPUS_CONTACT") or crawler.settings.get("CONTACT_PLACEHOLDER")
        if not crawler.settings.get("CORPUS_CONTACT"):
            logger.warning("CORPUS_CONTACT is not set: site owners have no way to reach this crawler's operator")
        o = cls(crawler.settings["USER_AGENT"].format(contact=contact))
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        return o
