"""URL canonicalisation: one spelling per page, so a page is stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|_openstat|from|ref|share|amp|output)$", re.I)


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop fragments, tracking parameters, 'www.', AMP and mobile variants,
    default ports and trailing slashes (except the root)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile.", "amp."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
            break
    if parts.port and not ((scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/amp/?$|/amp(?=/)|\.amp(?=\.html?$)", "", parts.path) or "/"
    if path.endswith("/") and path != "/":
        path = path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)))
    return urlunsplit((scheme, host, path, query, ""))
