"""A local site of everything that goes wrong on the real web, for the crawler's tests.

One RSS feed (`/feed.xml`) lists an article page for each fault; the articles are the
sample site's Russian case reports, so every page that should be stored passes the
relevance filter. `FAULTS` says what each page does and what the crawl must make of it.

    with serve_faults() as (base, site):
        run_crawl(db, fault_sources(base), sample=True, extra_settings=FAULT_TEST_SETTINGS)
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections import Counter
from typing import Iterator

from crawler.sample_site.server import load_articles, serve_pages
from crawler.sources import Source, parse_sources

ROBOTS = "User-agent: *\nDisallow: /private/\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 8
SLOW_SECONDS = 3.0
HUGE_BYTES = 3 * 1024 * 1024
KAZAKH_TITLE = "Алматыда экстремистік материалдар таратқан тұрғын сотталды"
KAZAKH_TEXT = [
    "Алматы қаласының мамандандырылған ауданаралық соты экстремистік материалдарды таратқаны үшін "
    "қала тұрғынын бес жылға бас бостандығынан айырды.",
    "Тергеу мәліметі бойынша, ол әлеуметтік желілерде Қазақстанда тыйым салынған ұйымның үгіт "
    "материалдарын бірнеше ай бойы жариялап келген. Сараптама бұл материалдардың экстремистік "
    "сипатта екенін растады.",
    "Үкім әлі заңды күшіне енген жоқ, сотталушы оған апелляциялық тәртіппен шағымдануға құқылы.",
]

# Settings that keep a crawl of this site short: a 1 s timeout, one quick retry, a 1 MiB limit.
FAULT_TEST_SETTINGS = {"DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 1, "RETRY_BACKOFF_BASE": 0.1,
                       "DOWNLOAD_MAXSIZE": 1024 * 1024, "DOWNLOAD_WARNSIZE": 0}

# path -> (what the server does, what the crawl must do)
FAULTS = {
    "/articles/utf8.html": ("utf-8 page, charset in the header", "stored"),
    "/articles/cp1251.html": ("windows-1251 page, charset in the header and a meta tag", "stored"),
    "/articles/koi8r.html": ("koi8-r page, charset in the header", "stored"),
    "/articles/header-says-1251.html": ("utf-8 bytes, header says windows-1251", "stored"),
    "/articles/header-says-utf8.html": ("windows-1251 bytes, header says utf-8, no meta", "stored"),
    "/articles/meta-koi8r.html": ("koi8-r bytes, no header charset, meta says koi8-r", "stored"),
    "/articles/broken.html": ("unclosed tags, stray end tags, a page cut off mid-tag", "stored"),
    "/articles/kazakh.html": ("a case report in Kazakh", "stored, flagged kk, not judged for relevance"),
    "/articles/flaky.html": ("500 on the first request, 200 after", "stored"),
    "/articles/moved.html": ("301 to /articles/moved-here.html on the same site", "stored"),
    "/articles/missing.html": ("404", "error, recorded as gone"),
    "/articles/slow.html": (f"answers after {SLOW_SECONDS} s, past the timeout", "error"),
    "/articles/loop-a.html": ("302 to loop-b, which redirects back to loop-a", "error"),
    "/articles/to-offsite.html": ("302 to http://example.com/", "refused"),
    "/articles/to-loopback.html": ("302 to another port on 127.0.0.1", "refused"),
    "/articles/to-localhost.html": ("302 to http://localhost:<port>/articles/never.html", "refused"),
    "/private/secret.html": ("disallowed by robots.txt", "refused"),
    "http://example.org/news/1.html": ("a feed link to an off-registry domain", "refused"),
    "/articles/huge.html": (f"{HUGE_BYTES} bytes, past DOWNLOAD_MAXSIZE", "refused, recorded"),
    "/articles/image.html": ("PNG bytes served as image/png", "rejected"),
    "/articles/binary.html": ("PDF bytes served as text/html", "rejected"),
}


def fault_sources(base: str) -> list[Source]:
    """The registry entry of the fault site served at `base`."""
    return parse_sources({"sources": [{
        "name": "faults", "title": "Fault site", "base_url": "{base}/", "languages": ["ru"], "country": "KZ",
        "allowed_domains": ["127.0.0.1"],
        "discovery": [{"type": "rss", "url": "{base}/feed.xml"}]}]}, base=base)


class FaultSite:
    def __init__(self):
        articles = [a for a in load_articles() if a.lang == "ru" and a.case and a.outlet == "vestnik"]
        self.texts = {path: articles[i % len(articles)] for i, path in enumerate(FAULTS)}
        self.base_url = ""
        self.hits: Counter = Counter()
        self.lock = threading.Lock()

    def article(self, path: str):
        return self.texts[path]

    def html(self, path: str, head: str = "") -> str:
        a = self.article(path)
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
        return (f"<!DOCTYPE html><html><head>{head}<title>{html.escape(a.title)}</title></head><body>"
                f"<nav><a href='/'>Главная</a></nav><article><h1>{html.escape(a.title)}</h1>"
                f"<p class='date'>{a.published:%d.%m.%Y}</p>{paras}</article>"
                "<footer>Сайт сбоев</footer></body></html>")

    def page(self, path: str, headers=None):
        with self.lock:
            self.hits[path] += 1
            hits = self.hits[path]
        html_type = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS.encode()
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>{html.escape(p)}</title>"
                f"<link>{p if p.startswith('http') else self.base_url + p}</link>"
                f"<pubDate>Mon, 01 Jul 2024 08:00:00 +0000</pubDate></item>"
                for p in FAULTS)
            xml = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Faults</title>{items}</channel></rss>'
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, xml.encode()
        if path == "/articles/utf8.html":
            return 200, {"Content-Type": html_type}, self.html(path).encode("utf-8")
        if path == "/articles/cp1251.html":
            body = self.html(path, "<meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>")
            return 200, {"Content-Type": "text/html; charset=windows-1251"}, _encode(body, "cp1251")
        if path == "/articles/koi8r.html":
            return 200, {"Content-Type": "text/html; charset=koi8-r"}, _encode(self.html(path), "koi8-r")
        if path == "/articles/header-says-1251.html":
            return 200, {"Content-Type": "text/html; charset=windows-1251"}, self.html(path).encode("utf-8")
        if path == "/articles/header-says-utf8.html":
            return 200, {"Content-Type": html_type}, _encode(self.html(path), "cp1251")
        if path == "/articles/meta-koi8r.html":
            body = self.html(path, "<meta charset='koi8-r'>")
            return 200, {"Content-Type": "text/html"}, _encode(body, "koi8-r")
        if path == "/articles/kazakh.html":
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in KAZAKH_TEXT)
            body = (f"<!DOCTYPE html><html lang='kk'><head><title>{KAZAKH_TITLE}</title></head><body>"
                    f"<article><h1>{KAZAKH_TITLE}</h1>{paras}</article></body></html>")
            return 200, {"Content-Type": html_type}, body.encode("utf-8")
        if path == "/articles/broken.html":
            full = self.html(path)
            broken = (full.replace("</p>", "", 3).replace("<article>", "<article><div><span>")
                      .replace("</h1>", "</h1></div></table>") + "<p>Оборванный абзац <a href='/x")
            return 200, {"Content-Type": html_type}, broken.encode("utf-8")
        if path == "/articles/flaky.html":
            if hits == 1:
                return 500, {"Content-Type": "text/plain"}, b"temporary failure"
            return 200, {"Content-Type": html_type}, self.html(path).encode("utf-8")
        if path == "/articles/moved.html":
            return 301, {"Location": "/articles/moved-here.html"}, b""
        if path == "/articles/moved-here.html":
            a_path = "/articles/moved.html"
            return 200, {"Content-Type": html_type}, self.html(a_path).encode("utf-8")
        if path == "/articles/slow.html":
            return 200, {"Content-Type": html_type}, self.html(path).encode("utf-8"), SLOW_SECONDS
        if path == "/articles/loop-a.html":
            return 302, {"Location": "/articles/loop-b.html"}, b""
        if path == "/articles/loop-b.html":
            return 302, {"Location": f"{self.base_url}/articles/loop-a.html"}, b""
        if path == "/articles/to-offsite.html":
            return 302, {"Location": "http://example.com/article.html"}, b""
        if path == "/articles/to-loopback.html":
            return 302, {"Location": "http://127.0.0.1:1/secret.html"}, b""
        if path == "/articles/to-localhost.html":
            port = self.base_url.rsplit(":", 1)[1]
            return 302, {"Location": f"http://localhost:{port}/articles/never.html"}, b""
        if path == "/private/secret.html":
            return 200, {"Content-Type": html_type}, self.html("/articles/utf8.html").encode("utf-8")
        if path == "/articles/huge.html":
            filler = "<p>" + "Заполнитель страницы. " * 40 + "</p>"
            body = self.html(path).replace("</article>", filler * (HUGE_BYTES // len(filler.encode()) + 1) + "</article>")
            return 200, {"Content-Type": html_type}, body.encode("utf-8")
        if path == "/articles/image.html":
            return 200, {"Content-Type": "image/png"}, PNG
        if path == "/articles/binary.html":
            return 200, {"Content-Type": html_type}, PDF
        return 404, {"Content-Type": "text/plain"}, b"not found"


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="xmlcharrefreplace")


@contextlib.contextmanager
def serve_faults(port: int = 0, log: list | None = None) -> Iterator[tuple[str, FaultSite]]:
    """Serve the fault site on 127.0.0.1; yields (base URL, site) — `site.hits` counts requests per path."""
    site = FaultSite()

    def start(base_url: str) -> None:
        site.base_url = base_url

    with serve_pages(site.page, port, log=log, on_start=start) as base:
        yield base, site
