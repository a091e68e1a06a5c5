"""URL canonicalisation: one spelling per page, so a page is stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|_openstat|from|ref|share)$", re.I)
# Parameters that ask for another template of the same article (AMP, print, Joomla's bare
# component page); any value of `amp`, `output` and `print`, only `tmpl=component`.
VARIANT_PARAMS = re.compile(r"^(amp|output|print)$", re.I)
# RFE/RL's CMS (rferl.org, azattyq.org...) serves the AMP copy of /a/<slug>/<id>.html at
# /amp/<slug>/<id>.html (and of /a/<id>.html at /amp/<id>.html).
PANGEA_AMP = re.compile(r"^/amp/((?:[\w-]+/)?\d+\.html)$")
# Kazinform's older English site served /news/<slug>_a<id>/ as /amp/<slug>_a<id>/.
KAZINFORM_AMP = re.compile(r"^/amp/([\w-]+_a\d+/?)$")
# Elsewhere the copy adds an `amp` path segment (/amp/news/x, /news/x/amp, /news/x/amp/: the
# article's own trailing slash is kept) or a `.amp.html` suffix.
AMP_LAST = re.compile(r"/amp(/?)$")
AMP_SEGMENT = re.compile(r"/amp(?=/)|\.amp(?=\.html?$)")


def _variant_param(key: str, value: str) -> bool:
    return bool(VARIANT_PARAMS.match(key)) or (key.lower() == "tmpl" and value == "component")


def _article_path(path: str) -> str:
    pangea = PANGEA_AMP.match(path)
    if pangea:
        return "/a/" + pangea.group(1)
    kazinform = KAZINFORM_AMP.match(path)
    if kazinform:
        return "/news/" + kazinform.group(1)
    return AMP_SEGMENT.sub("", AMP_LAST.sub(r"\1", path)) or "/"


def article_address(url: str) -> str:
    """The article an AMP or print copy stands for, otherwise the URL as written: what the spider
    fetches and matches article patterns against (canonicalize() goes further)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if netloc.lower().startswith("amp.") and netloc.count(".") > 1:
        netloc = netloc[len("amp."):]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _variant_param(k, v)]
    query = urlencode(kept) if len(kept) < len(pairs) else parts.query
    # Rebuilt from its parts even when nothing changed: a bare trailing '?' goes.
    return urlunsplit((parts.scheme, netloc, _article_path(parts.path), query, parts.fragment))


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop fragments, tracking parameters, 'www.', AMP, print and
    mobile variants, default ports and trailing slashes (except the root)."""
    parts = urlsplit(article_address(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile.", "amp."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
            break
    if parts.port and not ((scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if path.endswith("/") and path != "/":
        path = path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)))
    return urlunsplit((scheme, host, path, query, ""))
