"""A real HTTP server for the sample site, rendering articles.yml as three outlets.

- vestnik: a legacy Russian site in windows-1251, table layout, paginated listing pages,
  no structured metadata (dates only in the text), a print version that robots.txt disallows.
- habar: a modern Russian site with JSON-LD NewsArticle, OpenGraph, a canonical link,
  a Google-News sitemap and the usual clutter ("Читайте также", menus).
- monitor: an English site with an RSS feed and article:published_time meta tags.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import html
import json
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import yaml

from crawler.sample_site.gate import DROP

VESTNIK_PAGE_SIZE = 6
# A fixed default port keeps sample URLs (and so document ids) the same from run to run.
SAMPLE_PORT = 8765

ROBOTS = """User-agent: *
Disallow: /vestnik/print/
Disallow: /private/
"""


@dataclass(frozen=True)
class Article:
    slug: str
    outlet: str
    lang: str
    published: dt.date
    section: str
    title: str
    lead: str
    body: str
    case: str | None
    stage: str | None
    author: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


def load_articles() -> list[Article]:
    text = resources.files("crawler.sample_site").joinpath("articles.yml").read_text("utf-8")
    rows = yaml.safe_load(text)
    articles = []
    for row in rows:
        published = row["published"]
        if isinstance(published, str):
            published = dt.date.fromisoformat(published)
        articles.append(
            Article(
                slug=row["slug"], outlet=row["outlet"], lang=row["lang"], published=published,
                section=row.get("section") or "", title=row["title"], lead=row.get("lead") or "",
                body=row["body"], case=row.get("case"), stage=row.get("stage"),
                author=row.get("author"),
            )
        )
    return articles


def esc(text: str) -> str:
    return html.escape(text, quote=True)


class SampleSite:
    """Renders every page of the three outlets; `page(path)` -> (status, headers, body)."""

    def __init__(self, articles: list[Article] | None = None):
        self.articles = articles if articles is not None else load_articles()
        self.base_url = ""

    @cached_property
    def by_outlet(self) -> dict[str, list[Article]]:
        out: dict[str, list[Article]] = {}
        for a in sorted(self.articles, key=lambda a: (a.published, a.slug), reverse=True):
            out.setdefault(a.outlet, []).append(a)
        return out

    def vestnik_id(self, article: Article) -> int:
        ordered = sorted(self.by_outlet["vestnik"], key=lambda a: (a.published, a.slug))
        return 1000 + ordered.index(article)

    def url_of(self, article: Article) -> str:
        if article.outlet == "vestnik":
            return f"/vestnik/news/{self.vestnik_id(article)}.html"
        if article.outlet == "habar":
            return f"/habar/{_section_slug(article.section)}/{article.slug}/"
        return f"/monitor/{article.published:%Y/%m}/{article.slug}"

    def page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        route, query = parts.path, parse_qs(parts.query)
        if route == "/robots.txt":
            return _ok(ROBOTS, "text/plain; charset=utf-8")
        if route in ("/", ""):
            links = "".join(f'<li><a href="/{o}/">{o}</a></li>' for o in ("vestnik", "habar", "monitor"))
            return _ok(f"<html><body><h1>Sample outlets</h1><ul>{links}</ul></body></html>")
        if route.startswith("/vestnik/"):
            return self.vestnik(route, query)
        if route.startswith("/habar/"):
            return self.habar(route)
        if route.startswith("/monitor/"):
            return self.monitor(route)
        return _not_found()

    # --- vestnik: windows-1251, paginated listing ---------------------------------------

    def vestnik(self, route: str, query: dict) -> tuple[int, dict[str, str], bytes]:
        articles = self.by_outlet.get("vestnik", [])
        if route == "/vestnik/novosti/":
            # The section's old address, moved for good (`corpus sources check` reports it).
            return 301, {"Location": f"{self.base_url}/vestnik/news/"}, b""
        if route in ("/vestnik/", "/vestnik/news/"):
            try:
                page = max(1, int(query.get("page", ["1"])[0]))
            except ValueError:
                return _not_found()
            pages = max(1, -(-len(articles) // VESTNIK_PAGE_SIZE))
            if page > pages:
                return _not_found()
            chunk = articles[(page - 1) * VESTNIK_PAGE_SIZE: page * VESTNIK_PAGE_SIZE]
            rows = "".join(
                f'<tr><td class="date">{a.published:%d.%m.%Y}</td>'
                f'<td><a href="{self.url_of(a)}">{esc(a.title)}</a></td></tr>'
                for a in chunk
            )
            nav = ""
            if page > 1:
                nav += f'<a href="/vestnik/news/?page={page - 1}">&laquo; Назад</a> '
            nav += f"Страница {page} из {pages}"
            if page < pages:
                nav += f' <a class="next" href="/vestnik/news/?page={page + 1}">Далее &raquo;</a>'
            body = _vestnik_frame("Новости", f"<table class='news'>{rows}</table><p class='pages'>{nav}</p>")
            return _ok(body, "text/html; charset=windows-1251", encoding="cp1251")
        for a in articles:
            vid = self.vestnik_id(a)
            if route in (f"/vestnik/news/{vid}.html", f"/vestnik/print/{vid}.html"):
                paras = "".join(f"<p>{esc(p)}</p>" for p in a.paragraphs)
                content = (
                    f"<h1>{esc(a.title)}</h1>"
                    f"<p class='date'>{a.published:%d.%m.%Y} | {esc(a.section)}</p>"
                    f"<p><b>{esc(a.lead)}</b></p>{paras}"
                    + (f"<p class='author'>{esc(a.author)}</p>" if a.author else "")
                    + f"<p><a href='/vestnik/print/{vid}.html'>Версия для печати</a></p>"
                )
                body = _vestnik_frame(a.title, content)
                return _ok(body, "text/html; charset=windows-1251", encoding="cp1251")
        return _not_found()

    # --- habar: JSON-LD and a news sitemap ------------------------------------------------

    def habar(self, route: str) -> tuple[int, dict[str, str], bytes]:
        articles = self.by_outlet.get("habar", [])
        if route == "/habar/":
            items = "".join(
                f'<article class="card"><a href="{self.url_of(a)}">{esc(a.title)}</a>'
                f"<time>{a.published.isoformat()}</time></article>"
                for a in articles[:10]
            )
            return _ok(_habar_frame("Хабар-Инфо", f"<main>{items}</main>", head=""))
        if route == "/habar/sitemap-news.xml":
            urls = "".join(
                "<url>"
                f"<loc>{self.base_url}{self.url_of(a)}</loc>"
                "<news:news><news:publication><news:name>Хабар-Инфо</news:name>"
                "<news:language>ru</news:language></news:publication>"
                f"<news:publication_date>{a.published.isoformat()}T09:00:00+05:00</news:publication_date>"
                f"<news:title>{esc(a.title)}</news:title></news:news>"
                "</url>"
                for a in articles
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                f"{urls}</urlset>"
            )
            return _validated(_ok(xml, "application/xml; charset=utf-8"), articles)
        for a in articles:
            if route == self.url_of(a):
                # The page names its own public address, whatever port it is served on (as a
                # site behind a proxy or mirror does): the sample site's, on SAMPLE_PORT.
                url = f"http://127.0.0.1:{SAMPLE_PORT}{self.url_of(a)}"
                ld = {
                    "@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": a.title, "description": a.lead,
                    "datePublished": f"{a.published.isoformat()}T09:00:00+05:00",
                    "dateModified": f"{a.published.isoformat()}T11:30:00+05:00",
                    "articleSection": a.section, "inLanguage": "ru",
                    "mainEntityOfPage": url,
                    "publisher": {"@type": "Organization", "name": "Хабар-Инфо"},
                }
                if a.author:
                    ld["author"] = {"@type": "Person", "name": a.author}
                # "</" is escaped so a title can never close the script element.
                ld_json = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
                head = (
                    f'<link rel="canonical" href="{esc(url)}">'
                    f'<meta property="og:title" content="{esc(a.title)}">'
                    f'<meta property="og:type" content="article">'
                    f'<meta property="og:url" content="{esc(url)}">'
                    f'<meta name="description" content="{esc(a.lead)}">'
                    f'<script type="application/ld+json">{ld_json}</script>'
                )
                related = [r for r in articles if r is not a][:3]
                paras = "".join(f"<p>{esc(p)}</p>" for p in a.paragraphs)
                more = "".join(f'<li><a href="{self.url_of(r)}">{esc(r.title)}</a></li>' for r in related)
                content = (
                    f"<article><h1>{esc(a.title)}</h1><p class='lead'>{esc(a.lead)}</p>"
                    f"<div class='article-body'>{paras}</div></article>"
                    f"<aside><h3>Читайте также:</h3><ul>{more}</ul></aside>"
                )
                return _ok(_habar_frame(a.title, content, head))
        return _not_found()

    # --- monitor: English, RSS --------------------------------------------------------------

    def monitor(self, route: str) -> tuple[int, dict[str, str], bytes]:
        articles = self.by_outlet.get("monitor", [])
        if route == "/monitor/":
            items = "".join(f'<li><a href="{self.url_of(a)}">{esc(a.title)}</a></li>' for a in articles)
            return _ok(_monitor_frame("Steppe Monitor", f"<ul class='latest'>{items}</ul>", ""))
        if route == "/monitor/rss.xml":
            items = "".join(
                "<item>"
                f"<title>{esc(a.title)}</title><link>{self.base_url}{self.url_of(a)}</link>"
                f"<guid>{self.base_url}{self.url_of(a)}</guid>"
                f"<pubDate>{_rfc822(a.published)}</pubDate>"
                f"<description>{esc(a.lead)}</description>"
                "</item>"
                for a in articles
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Steppe Monitor</title><link>{self.base_url}/monitor/</link>"
                f"<description>News from Central Asia</description>{items}</channel></rss>"
            )
            return _validated(_ok(xml, "application/rss+xml; charset=utf-8"), articles)
        for a in articles:
            if route == self.url_of(a):
                head = (
                    f'<meta property="article:published_time" content="{a.published.isoformat()}T08:00:00Z">'
                    f'<meta property="og:title" content="{esc(a.title)}">'
                    f'<meta name="author" content="{esc(a.author or "Staff")}">'
                )
                paras = "".join(f"<p>{esc(p)}</p>" for p in a.paragraphs)
                content = (
                    f"<article><h1>{esc(a.title)}</h1>"
                    f"<p class='byline'>By {esc(a.author or 'Staff')} | {a.published:%B %d, %Y}</p>"
                    f"<p class='standfirst'>{esc(a.lead)}</p>{paras}</article>"
                )
                return _ok(_monitor_frame(a.title, content, head))
        return _not_found()


def _section_slug(section: str) -> str:
    table = {"суд": "sud", "происшествия": "incidents", "общество": "society", "экономика": "economy",
             "спорт": "sport", "погода": "weather", "культура": "culture", "безопасность": "security"}
    return table.get(section.lower(), "news")


def _rfc822(day: dt.date) -> str:
    moment = dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=dt.timezone.utc)
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _vestnik_frame(title: str, content: str) -> str:
    return (
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">"
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
        f"<title>{esc(title)} - Степной вестник</title></head><body>"
        "<table width='100%'><tr><td colspan='2' class='top'>Степной вестник | "
        "<a href='/vestnik/'>Главная</a> | <a href='/vestnik/news/'>Новости</a></td></tr>"
        "<tr><td class='left' width='20%'>Реклама: окна и двери недорого</td>"
        f"<td class='main'>{content}</td></tr>"
        "<tr><td colspan='2' class='bottom'>(c) Степной вестник, г. Павлодар</td></tr></table>"
        "</body></html>"
    )


def _habar_frame(title: str, content: str, head: str) -> str:
    return (
        "<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'>"
        f"<title>{esc(title)} | Хабар-Инфо</title>{head}</head><body>"
        "<header><nav><a href='/habar/'>Главная</a> <a href='/habar/sud/'>Суд</a> "
        "<a href='/habar/economy/'>Экономика</a></nav></header>"
        f"{content}"
        "<footer>Подписывайтесь на наш Telegram-канал. © Хабар-Инфо, Алматы</footer></body></html>"
    )


def _monitor_frame(title: str, content: str, head: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)} - Steppe Monitor</title>"
        "<link rel='alternate' type='application/rss+xml' href='/monitor/rss.xml'>"
        f"{head}</head><body>"
        "<div class='menu'><a href='/monitor/'>Home</a> | Politics | Security | Business</div>"
        f"{content}<div class='footer'>Steppe Monitor, Almaty office. Subscribe to our newsletter.</div>"
        "</body></html>"
    )


def _validated(response, articles: list[Article]):
    """Feeds and sitemaps carry validators, so crawlers can ask for them conditionally."""
    status, headers, body = response
    latest = max((a.published for a in articles), default=dt.date(2000, 1, 1))
    moment = dt.datetime(latest.year, latest.month, latest.day, 12, 0, tzinfo=dt.timezone.utc)
    headers = {**headers, "ETag": f'"{hashlib.sha1(body).hexdigest()[:16]}"',
               "Last-Modified": email.utils.format_datetime(moment, usegmt=True)}
    return status, headers, body


def not_modified(request_headers, headers: dict[str, str]) -> bool:
    """Does a conditional request match the response's validators (RFC 9110: If-None-Match first)?"""
    if request_headers is None:
        return False
    etag, since = request_headers.get("If-None-Match"), request_headers.get("If-Modified-Since")
    if etag is not None and "ETag" in headers:
        return headers["ETag"] in [t.strip() for t in etag.split(",")] or etag.strip() == "*"
    if since is not None and "Last-Modified" in headers:
        try:
            return email.utils.parsedate_to_datetime(headers["Last-Modified"]) <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _ok(text: str, ctype: str = "text/html; charset=utf-8", encoding: str = "utf-8"):
    return 200, {"Content-Type": ctype}, text.encode(encoding, errors="xmlcharrefreplace")


def _not_found():
    return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found"


def _handler(page, log: list | None, gate=None) -> type[BaseHTTPRequestHandler]:
    in_flight = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            answer = gate.enter(self.path) if gate is not None else None
            if answer == DROP:
                self.close_connection = True
                return
            with lock:
                in_flight[0] += 1
                concurrent = in_flight[0]
            try:
                self.respond(concurrent, answer)
            finally:
                with lock:
                    in_flight[0] -= 1

        def respond(self, concurrent: int, answer=None) -> None:
            status, headers, body, *rest = answer or page(self.path, self.headers)
            delay = rest[0] if rest else 0
            if status == 200 and not_modified(self.headers, headers):
                status, body = 304, b""
            if log is not None:
                # in_flight: requests being answered at this moment, this one included.
                log.append({"path": self.path, "status": status, "headers": dict(self.headers.items()),
                            "in_flight": concurrent, "time": time.monotonic()})
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to tell it

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up mid-response is expected here (timeouts, size limits)


@contextlib.contextmanager
def serve_pages(page, port: int = 0, host: str = "127.0.0.1", log: list | None = None,
                on_start=None, gate=None) -> Iterator[str]:
    """Serve `page(path, request_headers) -> (status, headers, body[, delay])` over HTTP in a
    background thread; yields the base URL. `log` collects every request (path, status, headers)
    when it is answered; `gate` (crawler/sample_site/gate.py) may hold requests first."""
    server = _Server((host, port), _handler(page, log, gate))
    base_url = f"http://{host}:{server.server_address[1]}"
    if on_start is not None:
        on_start(base_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve(port: int = SAMPLE_PORT, host: str = "127.0.0.1", articles: list[Article] | None = None,
          log: list | None = None, gate=None) -> Iterator[str]:
    """Serve the sample site in a background thread; yields its base URL."""
    site = SampleSite(articles)

    def start(base_url: str) -> None:
        site.base_url = base_url

    with serve_pages(lambda path, headers: site.page(path), port, host, log, on_start=start, gate=gate) as base_url:
        yield base_url
