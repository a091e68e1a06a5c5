"""A real browser: headless Debian Chromium (installed by `make chromium`), driven by Playwright,
against `corpus serve` on a free port over a copy of the demo corpus. Screenshots go to
test-artifacts/. Requests that leave the test server (map tiles) are refused, so the run is offline.

Without Chromium these tests fail (they never skip): a publishing check that did not run must not
look like one that passed.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import free_port, serve_copy, wait_for

pytestmark = pytest.mark.browser  # Debian's Chromium through Playwright (make chromium)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
ARTICLES = yaml.safe_load((ROOT / "crawler" / "sample_site" / "articles.yml").read_text("utf-8"))
MALL = [a for a in ARTICLES if a.get("case") == "almaty-mall-plot-2019"]
MALL_RU = next(a["title"] for a in MALL if a["outlet"] == "vestnik")
MALL_EN = next(a["title"] for a in MALL if a["lang"] == "en")
XSS_TITLE = "<script>alert('xss')</script>"


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    """`corpus serve` in a subprocess, as a researcher runs it."""
    with serve_copy(demo_db, tmp_path_factory.mktemp("browser")) as base:
        yield base


def query(base: str, sql: str, **params) -> list[dict]:
    url = f"{base}/corpus.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
                    "Run `make chromium` (apt-get install chromium, as root) and test again.", pytrace=False)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Page:
    """A browser tab that records dialogs (an alert means a script ran) and page errors."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Offline and hermetic: only the test server answers (map tiles are refused).
        self.context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                           else route.abort())
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.base = base

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, (path, response and response.status)
        return self.page

    def shot(self, name: str, **options) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)


@pytest.fixture
def tab(browser, server):
    t = Page(browser, server)
    yield t
    t.context.close()


def mall_case(base: str) -> str:
    return query(base, "select cd.case_id from case_documents cd join documents d on d.id = cd.document_id "
                       "where d.title = :t", t=MALL_RU)[0]["case_id"]


def test_home_page_loads(tab):
    page = tab.goto("/")
    assert "Extremism and terrorism cases" in page.title()
    assert page.get_by_role("link", name="Search").first.is_visible()
    page.get_by_role("link", name="Cases").first.click()
    page.wait_for_url("**/corpus/cases")
    tab.shot("home-to-cases")
    assert tab.dialogs == []


def test_russian_search_finds_an_inflected_form(tab):
    page = tab.goto("/corpus/search")
    page.fill("input[name=q]", "осудили")  # the report says "осуждён"
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_url("**q=*")
    card = page.locator("article.report-card", has_text=MALL_RU).first
    assert card.is_visible()
    # Matched through the lemma, and marked: "осуждён" in the headline.
    assert "осуждён" in card.locator("h3 mark").all_inner_texts()
    assert page.locator("article.case-card mark").count() > 0
    tab.shot("search-osudili", full_page=True)
    # The documents table's own search box lemmatises too.
    page = tab.goto("/corpus/documents")
    page.fill("#_search", "осудили")
    page.press("#_search", "Enter")
    page.wait_for_url("**_search=*")
    assert MALL_RU in page.locator("table.rows-and-columns").inner_text()
    tab.shot("documents-search-osudili")


def test_the_search_page_shows_readable_cards(tab):
    page = tab.goto("/corpus/search?q=" + urllib.parse.quote("ИГИЛ"))
    cases, reports = page.locator("article.case-card"), page.locator("article.report-card")
    assert cases.count() > 0 and reports.count() > 0
    text = page.locator(".search-page").inner_text()
    assert "Custom SQL query" not in text and '["' not in text and "Run SQL" not in text
    assert "Russian (русский)" in text and "Степной вестник" in text  # language and outlet names
    # "ИГИЛ" finds the English reports that say "ISIS" or "Islamic State", and marks those words.
    english = page.locator('article.report-card[lang="en"] mark').all_inner_texts()
    assert english and set(english) <= {"ISIS", "Islamic State", "IS", "ISIL", "Daesh"}, english
    tab.shot("search-igil", full_page=True)
    cases.first.locator("h3 a").click()
    page.wait_for_selector("article.case-sheet, h1")
    assert "/corpus/cases/case-" in page.url


def test_a_name_is_found_in_both_scripts(tab):
    found = {}
    for name in ("Kulekbayev", "Кулекбаев"):
        page = tab.goto("/corpus/search")
        page.fill("input[name=q]", name)
        page.press("input[name=q]", "Enter")
        page.wait_for_url("**q=*")
        cards = page.locator("article.report-card")
        found[name] = {cards.nth(i).get_attribute("data-document-id") for i in range(cards.count())}
        marked = set(page.locator("article.report-card mark").all_inner_texts())
        # Each script's spelling is marked, whichever was typed.
        assert {"Kulekbayev", "Кулекбаев"} <= marked, (name, marked)
        tab.shot(f"search-name-{'latin' if name.isascii() else 'cyrillic'}", full_page=True)
    assert found["Kulekbayev"] == found["Кулекбаев"] and len(found["Kulekbayev"]) == 5


def test_the_atom_feed_parses_and_its_links_open_case_pages(tab, server):
    import xml.etree.ElementTree as ET

    page = tab.goto("/corpus/search?q=" + urllib.parse.quote("Алматы"))
    href = page.locator("a.subscribe").get_attribute("href")
    assert href.startswith("/corpus/new_cases.atom?q=")
    with urllib.request.urlopen(server + href, timeout=30) as response:
        assert response.headers["content-type"].startswith("application/atom+xml")
        root = ET.fromstring(response.read())
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    links = [e.find(f"{atom}link").get("href") for e in root.findall(f"{atom}entry")]
    assert links
    for link in links[:3]:
        page = tab.goto(urllib.parse.urlparse(link).path)
        assert page.locator("h1").first.is_visible() and "/corpus/cases/case-" in page.url
    # The cases table links to the feed of what it shows.
    page = tab.goto("/corpus/cases?region=Almaty")
    subscribe = page.locator("a.subscribe")
    assert subscribe.inner_text().startswith("Subscribe to new cases")
    assert subscribe.get_attribute("href") == "/corpus/new_cases.atom?region=Almaty"
    tab.shot("cases-subscribe")
    assert tab.dialogs == []


def test_a_facet_click_narrows_the_table(tab):
    page = tab.goto("/corpus/cases")
    before = page.locator("table.rows-and-columns tbody tr").count()
    facet = page.locator('.facet-info[data-column="region"] a', has_text="Almaty").first
    facet.click()
    page.wait_for_url("**region=Almaty*")
    regions = page.locator("table.rows-and-columns tbody td.col-region").all_inner_texts()
    assert 0 < len(regions) < before
    assert set(regions) == {"Almaty"}
    tab.shot("cases-facet-region-almaty")


def test_the_map_renders_markers(tab):
    page = tab.goto("/corpus/cases")
    page.wait_for_selector(".leaflet-marker-icon")
    assert page.locator(".leaflet-marker-icon").count() >= 3  # Almaty, Aktobe, Bishkek... (clusters count once)
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()
    tab.shot("cases-map")
    page = tab.goto("/corpus/map")
    page.wait_for_selector(".leaflet-marker-icon")
    tab.shot("map-query")


def test_case_page_lists_russian_and_english_reports(tab, server):
    page = tab.goto(f"/corpus/cases/{mall_case(server)}")
    russian = page.locator('section[data-lang="ru"]')
    english = page.locator('section[data-lang="en"]')
    assert MALL_RU in russian.inner_text() and MALL_EN in english.inner_text()
    assert page.locator("a.source-link").count() == len(MALL)
    tab.shot("case-page", full_page=True)
    english.get_by_role("link", name=MALL_EN).click()
    page.wait_for_selector("article.report")
    assert "Steppe Monitor" in page.locator(".report-meta").inner_text()
    tab.shot("report-page")


def test_markup_in_a_report_stays_inert_text(tab, server):
    doc = query(server, "select id, title from documents where title like '%<script>%'")[0]
    case = query(server, "select case_id from case_documents where document_id = :d", d=doc["id"])[0]["case_id"]
    page = tab.goto(f"/corpus/documents/{doc['id']}")
    assert XSS_TITLE in page.locator("h1.report-title").inner_text()
    assert '<img src=x onerror="alert(1)">' in page.locator(".report-text").inner_text()
    tab.shot("xss-report-page")
    for path in [f"/corpus/cases/{case}", "/corpus/search?q=fixture", "/corpus/documents?_search=fixture",
                 f"/corpus/case_reports?case_id={case}"]:
        page = tab.goto(path)
        page.wait_for_load_state("load")
        assert XSS_TITLE in page.locator("body").inner_text(), path  # shown as text...
        assert page.locator("img[onerror]").count() == 0, path  # ...never parsed as markup
        assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert('))"), path
    tab.shot("xss-case-reports")
    assert tab.dialogs == [], f"a script from the data ran: {tab.dialogs}"


def test_a_facts_link_on_a_case_page_opens_its_sentence_highlighted(tab, server):
    page = tab.goto(f"/corpus/cases/{mall_case(server)}")
    link = page.locator(".case-facts a.fact-source").first
    href = link.get_attribute("href")
    document_id, anchor = href.rsplit("/", 1)[1].split("#")
    start = int(anchor.removeprefix("s-"))
    sentence = query(server, "select sentence from mentions where document_id = :d and sentence_start = :s",
                     d=document_id, s=start)[0]["sentence"]
    link.click()
    page.wait_for_url(f"**/corpus/documents/{document_id}#{anchor}")
    target = page.locator(":target")
    assert target.count() == 1 and sentence in target.inner_text()
    # Highlighted: the targeted sentence has a background, the rest of the text has none.
    color = target.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = page.locator(".report-text p").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent", plain)
    assert target.is_visible() and target.locator("mark").count() >= 1
    tab.shot("fact-sentence-highlighted")


def test_the_sql_editor_opens_behind_view_and_edit_sql(tab):
    page = tab.goto("/corpus")
    editor = page.locator("form.sql .CodeMirror")
    assert not editor.is_visible()
    page.get_by_text("View and edit SQL").click()
    assert editor.is_visible() and "select" in page.locator(".CodeMirror-code").inner_text()


def test_charts_render(tab):
    page = tab.goto("/-/dashboards/overview")
    for chart in ("cases-per-year", "penalties-by-article", "cases-by-region", "coverage-by-language",
                  "coverage-by-outlet"):
        page.wait_for_selector(f"#chart-{chart} canvas, #chart-{chart} svg")
    tab.shot("charts", full_page=True)


def test_the_real_server_refuses_writes(server):
    request = urllib.request.Request(f"{server}/corpus/search", data=b"q=x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405  # plugins/corpus_read_only.py: only GET, HEAD and OPTIONS
    with pytest.raises(urllib.error.HTTPError) as refused:
        query(server, "delete from cases")
    assert refused.value.code == 400
    assert query(server, "select count(*) as n from cases")[0]["n"] > 0


EDIT_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def edit_server(demo_db, tmp_path_factory):
    """`corpus serve --edit` in a subprocess, with the password in its environment."""
    import os

    db = tmp_path_factory.mktemp("browser-edit") / "corpus.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    port = free_port()
    log = (db.parent / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "serve", "--edit", "--db", str(db), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "CORPUS_EDIT_PASSWORD": EDIT_PASSWORD})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json", timeout=60)
        yield base, db
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_the_public_case_page_has_no_edit_forms(tab, server):
    page = tab.goto(f"/corpus/cases/{mall_case(server)}")
    assert page.locator("article.case-sheet form").count() == 0
    assert page.locator(".case-review").inner_text().startswith("Review: unreviewed")


def test_an_editor_logs_in_and_corrects_a_case(browser, edit_server):
    base, db = edit_server
    tab = Page(browser, base)
    try:
        case_id = mall_case(base)
        page = tab.goto(f"/corpus/cases/{case_id}")
        assert page.locator("form.edit-correct").count() == 0  # not logged in
        page = tab.goto("/-/login")
        page.fill("input[name=username]", "editor")
        page.fill("input[name=password]", "guess")
        page.locator("input[type=submit]").click()
        assert "Invalid username or password" in page.content()
        page.fill("input[name=username]", "editor")
        page.fill("input[name=password]", EDIT_PASSWORD)
        page.locator("input[type=submit]").click()
        page.wait_for_url(base + "/")
        page = tab.goto(f"/corpus/cases/{case_id}")
        page.select_option("form.edit-correct select[name=field]", "region")
        page.fill("form.edit-correct input[name=value]", "Ulytau region")
        page.fill("form.edit-correct input[name=note]", "the court sits in Zhezkazgan")
        page.locator("form.edit-correct button").click()
        page.wait_for_load_state()
        assert "region corrected" in page.content()
        assert "Ulytau region" in page.locator("dl.case-facts").first.inner_text() or \
            "Ulytau region" in page.locator(".case-all-columns").inner_text()
        page.select_option("form.edit-review select[name=status]", "reviewed")
        page.locator("form.edit-review button").click()
        page.wait_for_load_state()
        assert page.locator(".case-review").inner_text().startswith("Review: reviewed")
        tab.shot("case-edited", full_page=True)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT region, review_status FROM cases WHERE id = ?", [case_id]).fetchone() == (
                "Ulytau region", "reviewed")
        assert tab.dialogs == []
    finally:
        tab.context.close()
