"""The source registry: which outlets to crawl and how to discover their articles.

The registry is YAML (`crawler/sources.yml`; the sample site has its own). `load_sources`
checks its shape and fails loudly, naming the entry and the field, on anything malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from crawler.urls import article_address

DISCOVERY_TYPES = {"sitemap", "rss", "listing", "search"}
LANGUAGES = {"ru", "en", "kk", "ky", "uz", "tg"}
SOURCE_KEYS = {"name", "title", "base_url", "languages", "country", "allowed_domains", "discovery", "keywords", "notes"}
METHOD_KEYS = {"type", "url", "article_pattern", "next_pattern", "max_pages", "notes"}


class RegistryError(ValueError):
    """The registry file is malformed; the message names the entry and field."""


@dataclass(frozen=True)
class Discovery:
    type: str
    url: str
    article_pattern: str | None = None
    next_pattern: str | None = None
    max_pages: int = 5


def host_allowed(host: str, domains) -> bool:
    """Whether a host name is one of `domains` or a sub-domain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    base_url: str
    languages: tuple[str, ...]
    country: str
    allowed_domains: tuple[str, ...]
    discovery: tuple[Discovery, ...] = field(default_factory=tuple)
    keywords: tuple[str, ...] = ()

    def allows(self, url: str) -> bool:
        """Whether the URL's host is on this source's allowed domains."""
        return host_allowed(urlsplit(url).hostname or "", self.allowed_domains)

    def is_article(self, url: str, method: Discovery | None = None) -> bool:
        """Whether a link found on a listing or search page is an article: its address (an AMP or
        print copy read as the article it copies) matches the article pattern of `method`, or
        without one, of any of this source's methods. A source with no pattern at all (feeds and
        sitemaps only) takes every link its feeds list."""
        patterns = [m.article_pattern for m in ([method] if method else self.discovery) if m.article_pattern]
        if not patterns:
            return method is None
        address = article_address(url)
        return any(re.search(p, address) for p in patterns)


def _home(url: str) -> tuple[str, str]:
    """Host (without 'www.', with any port) and directory path of an address, to compare homes."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[len("www."):] if host.startswith("www.") else host
    path = parts.path or "/"
    return (f"{host}:{parts.port}" if parts.port else host), (path if path.endswith("/") else path + "/")


def owner(url: str, sources, found_by: Source) -> Source:
    """The source a page belongs to: among `sources`, the one whose home (`base_url`, host and
    path) the address lies under, the longest home first; the source that found it when it lies
    under none (or under the finder's own home as far as under any other). An English page under
    en.tengrinews.kz found by tengrinews's feed belongs to tengrinews-en when both are crawled; a
    page's language is detected from its text either way, never taken from its source."""
    host, path = _home(url)
    homes = []
    for source in sources:
        home_host, home_path = _home(source.base_url)
        if home_host == host and path.startswith(home_path):
            homes.append((len(home_path), source is found_by, source))
    return max(homes, key=lambda h: h[:2])[2] if homes else found_by


def _require(entry: dict, key: str, kind: type, where: str):
    if key not in entry:
        raise RegistryError(f"{where}: missing required field '{key}'")
    value = entry[key]
    if not isinstance(value, kind):
        raise RegistryError(f"{where}: field '{key}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def parse_sources(data: object, base: str | None = None) -> list[Source]:
    """Validate a parsed registry; `base` fills `{base}` in URLs (the sample site's address)."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list) or not data["sources"]:
        raise RegistryError("registry: top level must be a mapping with a non-empty 'sources' list")
    sources, names = [], set()
    for i, entry in enumerate(data["sources"]):
        where = f"sources[{i}]"
        if not isinstance(entry, dict):
            raise RegistryError(f"{where}: must be a mapping")
        name = _require(entry, "name", str, where)
        where = f"source '{name}'"
        unknown = sorted(set(entry) - SOURCE_KEYS)
        if unknown:
            raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(SOURCE_KEYS))})")
        for key in ("title", "notes"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise RegistryError(f"{where}: field '{key}' must be str")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            raise RegistryError(f"{where}: name must be lowercase letters, digits, '-' or '_'")
        if name in names:
            raise RegistryError(f"{where}: duplicate name")
        names.add(name)

        def fill(url: str) -> str:
            if "{base}" in url:
                if base is None:
                    raise RegistryError(f"{where}: '{{base}}' in a URL needs a base address")
                url = url.replace("{base}", base.rstrip("/"))
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise RegistryError(f"{where}: '{url}' is not an http(s) URL")
            return url

        base_url = fill(_require(entry, "base_url", str, where))
        languages = _require(entry, "languages", list, where)
        bad = [lang for lang in languages if lang not in LANGUAGES]
        if not languages or bad:
            raise RegistryError(f"{where}: languages must be a non-empty list from {sorted(LANGUAGES)}")
        country = _require(entry, "country", str, where)
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise RegistryError(f"{where}: country must be an ISO 3166 alpha-2 code like KZ")
        domains = entry.get("allowed_domains") or [urlsplit(base_url).hostname]
        if (not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains)
                or any("/" in d or ":" in d or d != d.lower() for d in domains)):
            raise RegistryError(f"{where}: allowed_domains must be a list of lower-case host names (no scheme, port or path)")
        keywords = entry.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise RegistryError(f"{where}: keywords must be a list of search terms")
        methods = _require(entry, "discovery", list, where)
        if not methods:
            raise RegistryError(f"{where}: needs at least one discovery method")
        discovery = []
        for j, method in enumerate(methods):
            mwhere = f"{where} discovery[{j}]"
            if not isinstance(method, dict):
                raise RegistryError(f"{mwhere}: must be a mapping")
            unknown = sorted(set(method) - METHOD_KEYS)
            if unknown:
                raise RegistryError(f"{mwhere}: unknown field(s) {', '.join(unknown)}")
            mtype = _require(method, "type", str, mwhere)
            if mtype not in DISCOVERY_TYPES:
                raise RegistryError(f"{mwhere}: type must be one of {sorted(DISCOVERY_TYPES)}")
            url = fill(_require(method, "url", str, mwhere))
            if mtype == "search" and "{query}" not in url:
                raise RegistryError(f"{mwhere}: a search URL needs a '{{query}}' placeholder")
            if mtype in ("listing", "search") and not method.get("article_pattern"):
                raise RegistryError(f"{mwhere}: a {mtype} page needs an article_pattern (a regex for article links)")
            mhost = urlsplit(url.replace("{query}", "q")).hostname or ""
            if not host_allowed(mhost, domains):
                raise RegistryError(f"{mwhere}: host {mhost} is not in allowed_domains")
            for key in ("article_pattern", "next_pattern"):
                if method.get(key) is not None:
                    try:
                        re.compile(method[key])
                    except re.error as exc:
                        raise RegistryError(f"{mwhere}: {key} is not a valid regex: {exc}") from None
            max_pages = method.get("max_pages", 5)
            if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
                raise RegistryError(f"{mwhere}: max_pages must be a positive integer")
            discovery.append(Discovery(mtype, url, method.get("article_pattern"),
                                       method.get("next_pattern"), max_pages))
        host = urlsplit(base_url).hostname or ""
        if not host_allowed(host, domains):
            raise RegistryError(f"{where}: base_url host {host} is not in allowed_domains")
        sources.append(Source(
            name=name, title=entry.get("title") or name, base_url=base_url,
            languages=tuple(languages), country=country, allowed_domains=tuple(domains),
            discovery=tuple(discovery), keywords=tuple(keywords),
        ))
    return sources


def load_sources(path: str | Path | None = None, *, base: str | None = None) -> list[Source]:
    """Load the real registry (default), or any registry file."""
    if path is None:
        text = resources.files("crawler").joinpath("sources.yml").read_text("utf-8")
        where = "crawler/sources.yml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from None
        where = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{where}: not valid YAML: {exc}") from None
    return parse_sources(data, base=base)


def sample_sources(base: str) -> list[Source]:
    """The registry of the bundled sample site served at `base`."""
    text = resources.files("crawler.sample_site").joinpath("sources.yml").read_text("utf-8")
    return parse_sources(yaml.safe_load(text), base=base)


def select(sources: list[Source], names: list[str] | tuple[str, ...]) -> list[Source]:
    """The named sources, in registry order; an unknown name is an error."""
    if not names:
        return sources
    known = {s.name for s in sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RegistryError(f"unknown source(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return [s for s in sources if s.name in names]
