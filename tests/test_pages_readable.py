"""Pages for people: every page linked from the demo's home page, every table page of the
database page, and one level down from each table page (its first row's page and its first facet
link) show no JSON array or object and no SQL. SQL stays available behind Datasette's "View and
edit SQL" / "show SQL" links and the JSON behind the .json links: the walk reads the text a person
sees, not link targets or attributes, and skips the SQL editor only where it sits behind such a link
(a <details> whose summary is "View and edit SQL").

Runs `corpus serve` over a copy of the demo corpus, as a researcher does.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from conftest import serve_copy

JSON_SHOWN = re.compile(r"[\[{]\s*\"")
SQL_SHOWN = re.compile(r"\bselect\b[\s\S]{1,600}?\bfrom\s+[\w\"\[(]", re.I)
SKIPPED_PATHS = ("/-/static", "/-/static-plugins", "/-/corpus.css")
EXPORTS = re.compile(r"\.(json|csv|db|atom)$")


class VisibleText(HTMLParser):
    """The text a person sees, and the page's links. Script and style are not seen; the SQL
    editor inside a "View and edit SQL" <details> is behind that link."""

    HIDDEN = {"script", "style", "noscript"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[tuple[str, tuple[str, ...]]] = []  # (href, classes of the enclosing elements)
        self.open: list[dict] = []  # the elements enclosing the current position
        self.summary: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            return
        self.open.append({"tag": tag, "class": attrs.get("class") or "", "sql": False})
        if tag == "summary":
            self.summary = []
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], tuple(e["class"] for e in self.open)))

    def handle_endtag(self, tag):
        if tag == "summary" and self.summary is not None:
            details = [e for e in self.open if e["tag"] == "details"]
            if details and "".join(self.summary).strip().lower() == "view and edit sql":
                details[-1]["sql"] = True
            self.summary = None
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        if self.summary is not None:
            self.summary.append(data)
        tags = {e["tag"] for e in self.open}
        behind_sql_link = any(e["sql"] for e in self.open) and tags & {"textarea", "pre"}
        if not (tags & self.HIDDEN or behind_sql_link):
            self.text.append(data)


def read(url: str) -> VisibleText:
    page = VisibleText()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            page.feed(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        page.text.append(f"HTTP {error.code}")
        page.error = error.code
    return page


def problems(page: VisibleText) -> list[str]:
    text = " ".join(page.text)
    if getattr(page, "error", None):
        return [f"HTTP {page.error}"]
    return [f"{what}: {m.group(0)[:80]!r}" for what, pattern in (("JSON", JSON_SHOWN), ("SQL", SQL_SHOWN))
            for m in pattern.finditer(text)][:3]


def local(base: str, href: str, here: str) -> str | None:
    """The path of a link to a page of this server worth reading, else None."""
    url = urllib.parse.urljoin(here, href)
    parts = urllib.parse.urlsplit(url)
    if not url.startswith(base) or parts.path.startswith(SKIPPED_PATHS) or EXPORTS.search(parts.path):
        return None
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def table_paths(base: str, database: VisibleText) -> list[str]:
    return sorted({p for href, _ in database.links if (p := local(base, href, base + "/corpus"))
                   and re.fullmatch(r"/corpus/[\w-]+", p)})


def walk(base: str, tables: set[str]) -> dict[str, list[str]]:
    """{path: problems} for every page walked (an empty list: the page reads as it should)."""
    home = read(base + "/")
    paths = list(dict.fromkeys(p for href, _ in home.links if (p := local(base, href, base + "/"))))
    database = read(base + "/corpus")
    paths += [p for p in table_paths(base, database) if p not in paths]
    found: dict[str, list[str]] = {"/": problems(home)}
    for path in paths:
        page = read(base + path)
        found[path] = problems(page)
        table = path.split("?")[0].removeprefix("/corpus/")
        if table not in tables:
            continue
        row = next((p for href, _ in page.links if (p := local(base, href, base + path))
                    and re.fullmatch(rf"/corpus/{re.escape(table)}/[^/?#]+", p.split("#")[0])), None)
        facet = next((p for href, within in page.links if (p := local(base, href, base + path))
                      and any("facet-info" in c for c in within) and "_facet" not in href.split("?")[0]), None)
        for below in filter(None, (row, facet)):
            if below not in found:
                found[below] = problems(read(base + below))
    return found


@pytest.fixture(scope="module")
def served(demo_db, tmp_path_factory):
    with serve_copy(demo_db, tmp_path_factory.mktemp("pages")) as base:
        yield base


def test_every_page_linked_from_home_shows_no_json_or_sql(served, demo_db):
    with sqlite3.connect(demo_db) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = walk(served, tables)
    # The walk reached the pages it is about: tables, a row page and a facet of each.
    assert {"/corpus/cases", "/corpus/documents", "/corpus/mentions", "/corpus/similar_cases"} <= set(found)
    assert any(re.fullmatch(r"/corpus/cases/case-[^/]+", p) for p in found)
    assert any("region=" in p for p in found)
    # No page is waived: the search page and the charts pass as well.
    assert {"/corpus/search", "/-/dashboards/overview"} <= set(found)
    failing = {path: shown for path, shown in found.items() if shown}
    assert not failing, failing
