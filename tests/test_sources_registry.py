"""The real registry against real addresses of its outlets (tests/fixtures/real_addresses.yml),
and the two rules the check relies on: AMP and print copies are read as the article they copy,
and a page found in another crawled source's section belongs to that source."""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from corpus.crawl import run_crawl
from crawler.sample_site.server import load_articles, serve_pages
from crawler.sources import load_sources, owner, parse_sources
from crawler.urls import article_address, canonicalize

FIXTURE = Path(__file__).parent / "fixtures" / "real_addresses.yml"
REAL = yaml.safe_load(FIXTURE.read_text("utf-8"))
SOURCES = {s.name: s for s in load_sources()}

# Sources for which no real article address turned up in the look-ups: their domains and
# patterns are still unchecked.
NO_REAL_ADDRESS = {
    # caa-network.org: neither the page search nor public repository files held an article
    # address of the site (only image URLs under /wp-content/).
    "caa-network",
}


def _patterned(source) -> bool:
    return any(m.article_pattern for m in source.discovery)


def test_every_registry_source_has_an_entry_in_the_fixture():
    assert set(REAL) == set(SOURCES)
    for name, entry in REAL.items():
        for item in entry["articles"] + entry["not_articles"]:
            assert set(item) == {"url", "found_by"} and item["url"].startswith("http") and item["found_by"], (name, item)
    urls = [i["url"] for e in REAL.values() for i in e["articles"] + e["not_articles"]]
    assert len(urls) == len(set(urls))


def test_sources_without_a_real_address_are_the_listed_ones():
    assert {name for name, entry in REAL.items() if not entry["articles"]} == NO_REAL_ADDRESS


@pytest.mark.parametrize("name", sorted(set(SOURCES) - NO_REAL_ADDRESS))
def test_real_article_addresses_are_on_the_sources_domains_and_taken_for_articles(name):
    source = SOURCES[name]
    articles = [i["url"] for i in REAL[name]["articles"]]
    assert [u for u in articles if not source.allows(u)] == [], "outside allowed_domains"
    # A source with no pattern (feeds and sitemaps only) is checked for its domains alone.
    assert [u for u in articles if not source.is_article(u)] == [], "refused by the article patterns"


@pytest.mark.parametrize("name", sorted(n for n, s in SOURCES.items() if _patterned(s)))
def test_section_tag_feed_and_search_pages_are_not_taken_for_articles(name):
    source = SOURCES[name]
    pages = [i["url"] for i in REAL[name]["not_articles"]]
    assert pages and [u for u in pages if source.is_article(u)] == []


def test_each_method_is_judged_by_its_own_pattern():
    tengrinews = SOURCES["tengrinews"]
    listing = next(m for m in tengrinews.discovery if m.type == "listing")
    health = "https://tengrinews.kz/tengri-health/skolko-deneg-fsms-potratit-meduslugi-raznyih-regionah-593332/"
    # The section listing follows its own sections only; the site search takes any section.
    assert tengrinews.is_article(health) and not tengrinews.is_article(health, listing)


# --- AMP and print copies ---------------------------------------------------------------------

@pytest.mark.parametrize("copy, article", [
    # RFE/RL's CMS: /amp/<slug>/<id>.html is the copy of /a/<slug>/<id>.html
    ("https://www.rferl.org/amp/kazakhstan-amirov-appeal-denied/31910284.html",
     "https://www.rferl.org/a/kazakhstan-amirov-appeal-denied/31910284.html"),
    ("https://rus.azattyq.org/amp/28557999.html", "https://rus.azattyq.org/a/28557999.html"),
    # Kazinform's older English site: /amp/<slug>_a<id>/ for /news/<slug>_a<id>/
    ("https://en.inform.kz/amp/s-kazakhstan-teenager-calling-for-jihad-sentenced-to-6-years_a3001146/",
     "https://en.inform.kz/news/s-kazakhstan-teenager-calling-for-jihad-sentenced-to-6-years_a3001146/"),
    # An `amp` segment before or after the article's path
    ("https://zakon.kz/amp/proisshestviia/6408418-kazakhstantsam-napomnili-o-surovom-nakazanii-za-lzheterrorizm.html",
     "https://zakon.kz/proisshestviia/6408418-kazakhstantsam-napomnili-o-surovom-nakazanii-za-lzheterrorizm.html"),
    ("https://tengrinews.kz/kazakhstan_news/genprokuratura-obratilas-kazahstantsam-iz-za-postov-468035/amp",
     "https://tengrinews.kz/kazakhstan_news/genprokuratura-obratilas-kazahstantsam-iz-za-postov-468035"),
    ("https://kz.kursiv.media/2020-09-14/v-kazakhstane-oslabili-karantin/amp/",
     "https://kz.kursiv.media/2020-09-14/v-kazakhstane-oslabili-karantin/"),
    # A print copy: the ?print parameter, with Joomla's bare component page
    ("http://ishimochka.kz/index.php/component/content/article/80-novosti/5867-otvetstvennost-za-narushenie-zakona-v-religioznoj-sfere?print=1&tmpl=component",
     "http://ishimochka.kz/index.php/component/content/article/80-novosti/5867-otvetstvennost-za-narushenie-zakona-v-religioznoj-sfere"),
    ("https://vlast.kz/amp/novosti/26090-troe-celovek-zaderzany-za-rasprostranenie-terroristiceskih-materialov.html",
     "https://vlast.kz/novosti/26090-troe-celovek-zaderzany-za-rasprostranenie-terroristiceskih-materialov.html"),
])
def test_an_amp_or_print_copy_is_one_document_with_its_article(copy, article):
    assert article_address(copy) == article
    assert canonicalize(copy) == canonicalize(article)


@pytest.mark.parametrize("url", [
    "https://www.rferl.org/a/kazakhstan-amirov-appeal-denied/31910284.html",
    "https://tengrinews.kz/kazakhstan_news/skolko-stoit-obuchenie-v-nazarbaev-universitete-303147/",
    "https://kaztag.kz/ru/search/?web=0&text=%D1%82%D0%B5%D1%80",
    "https://eurasianet.org/s/kyrgyzstan-court-stiffens-imams-sentence",
])
def test_an_article_address_is_left_as_written(url):
    assert article_address(url) == url


# --- other-language sections --------------------------------------------------------------------

@pytest.mark.parametrize("url, found_by, belongs_to", [
    # Under another source's home: that source's page, whichever source's feed listed it.
    ("https://www.inform.kz/en/new-version-of-latin-based-kazakh-alphabet-presented-at-government_a3746549",
     "kazinform", "kazinform-en"),
    ("https://www.inform.kz/ru/skolko-stoyat-uslugi-advokatov-v-kazahstane-cdaf32", "kazinform-en", "kazinform"),
    ("https://en.tengrinews.kz/crime/47-terrorists-jailed-in-atyrau-9302", "tengrinews", "tengrinews-en"),
    ("https://cabar.asia/en/re-export-hub-will-grey-schemes-of-sanctioned-goods-resale-to-russia-harm-kazakhstan",
     "cabar", "cabar-en"),
    # A section with no entry of its own stays with the source that found it.
    ("https://en.orda.kz/kazakhstan-monitoring-taxi-market-yandex-go-controls-90-share-5517/", "orda", "orda"),
    ("https://kaztag.kz/en/news/muslims-of-kazakhstan-celebrate-oraza-ayt", "kaztag", "kaztag"),
    ("https://kaz.tengrinews.kz/crime/altyin-ordadagyi-tobeles-okiganyin-tolyik-videosyi-320707/",
     "tengrinews", "tengrinews"),
])
def test_a_page_belongs_to_the_source_whose_home_it_lies_under(url, found_by, belongs_to):
    assert owner(url, list(SOURCES.values()), SOURCES[found_by]).name == belongs_to


def test_a_page_stays_with_its_finder_when_the_other_source_is_not_crawled():
    url = "https://www.inform.kz/en/new-version-of-latin-based-kazakh-alphabet-presented-at-government_a3746549"
    assert owner(url, [SOURCES["kazinform"]], SOURCES["kazinform"]).name == "kazinform"


def _page(article) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{html.escape(article.title)}</title></head><body><article>"
            f"<h1>{html.escape(article.title)}</h1><p class='date'>{article.published:%d.%m.%Y}</p>{paras}"
            "</article></body></html>").encode("utf-8")


def test_the_crawl_fetches_amp_links_as_articles_and_files_pages_under_their_sources_home(tmp_path):
    """A Russian outlet whose section listing links an AMP copy, and whose feed lists a page of its
    English edition (registered on its own) and a page of an English section with no entry."""
    ru = next(a for a in load_articles() if a.lang == "ru" and a.case)
    en = [a for a in load_articles() if a.lang == "en" and a.case][:2]
    requested: list[dict] = []

    def page(path: str, headers=None):
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/ru/news/":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, b"<a href='/ru/news/1/amp'>1</a>"
        if path in ("/ru/rss.xml", "/en/rss.xml"):
            links = ["/en/news/2", "/ru/english/3"] if path == "/ru/rss.xml" else []
            items = "".join(f"<item><title>x</title><link>{base[0]}{link}</link></item>" for link in links)
            return 200, {"Content-Type": "application/rss+xml"}, f"<rss><channel>{items}</channel></rss>".encode()
        article = {"/ru/news/1": ru, "/en/news/2": en[0], "/ru/english/3": en[1]}.get(path)
        if article is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, _page(article)

    base: list[str] = []
    with serve_pages(page, log=requested, on_start=base.append) as url:
        sources = parse_sources({"sources": [
            {"name": "outlet", "base_url": "{base}/ru/", "languages": ["ru"], "country": "KZ",
             "allowed_domains": ["127.0.0.1"],
             "discovery": [{"type": "listing", "url": "{base}/ru/news/", "article_pattern": r"/ru/news/\d+$"},
                           {"type": "rss", "url": "{base}/ru/rss.xml"}]},
            {"name": "outlet-en", "base_url": "{base}/en/", "languages": ["en"], "country": "KZ",
             "allowed_domains": ["127.0.0.1"], "discovery": [{"type": "rss", "url": "{base}/en/rss.xml"}]},
        ]}, base=url)
        result = run_crawl(tmp_path / "c.db", sources, sample=True)
    assert result.status == "ok", result
    fetched = {e["path"] for e in requested}
    assert "/ru/news/1" in fetched and not any("amp" in p for p in fetched)
    with sqlite3.connect(tmp_path / "c.db") as db:
        stored = {urlsplit(u).path: (source, lang)
                  for u, source, lang in db.execute("SELECT url, source, lang FROM documents")}
    assert stored == {"/ru/news/1": ("outlet", "ru"), "/en/news/2": ("outlet-en", "en"),
                      "/ru/english/3": ("outlet", "en")}
