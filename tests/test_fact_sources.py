"""Facts traced to their sentence: `corpus process` stores each fact's sentence with its offsets,
the report page anchors those sentences and lists the report's facts, and every fact on a case
page links to the sentence of a report it came from (on the demo corpus, served by `corpus serve`)."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from html.parser import HTMLParser

import pytest

from conftest import serve_copy
from corpus.process import document_text


def rows(db, sql: str, *params) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def test_every_fact_is_stored_with_its_words_and_sentence_offsets(demo_db):
    mentions = rows(demo_db, "SELECT m.*, d.title AS doc_title, d.text AS doc_text FROM mentions m "
                             "JOIN documents d ON d.id = m.document_id")
    kinds = {m["kind"] for m in mentions}
    # Organisations and platforms too, though extraction keeps only their ids.
    assert {"place", "article", "penalty", "event_date", "org", "platform"} <= kinds
    for m in mentions:
        text = document_text({"title": m["doc_title"], "text": m["doc_text"]})
        assert m["start"] is not None and m["sentence_start"] is not None, m
        assert text[m["start"]:m["end"]] == m["text"], m
        assert text[m["sentence_start"]:m["sentence_end"]] == m["sentence"], m
        assert m["sentence_start"] <= m["start"] < m["end"] <= m["sentence_end"], m


class Page(HTMLParser):
    """Ids of the elements, the text inside each id'd element and its <mark>s, and the links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, str] = {}
        self.marks: dict[str, list[str]] = {}
        self.links: list[tuple[str, str]] = []  # (class, href)
        self._open: list[tuple[str, str | None]] = []
        self._in_mark = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs.get("class") or "", attrs["href"]))
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        self._open.append((tag, attrs.get("id")))
        if attrs.get("id"):
            self.ids[attrs["id"]] = ""
            self.marks[attrs["id"]] = []
        if tag == "mark":
            self._in_mark = True

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark = False
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.ids[element_id] += data
                if self._in_mark:
                    self.marks[element_id].append(data)


@pytest.fixture(scope="module")
def served(demo_db, tmp_path_factory):
    with serve_copy(demo_db, tmp_path_factory.mktemp("facts")) as base:
        yield base


def get(base: str, path: str) -> Page:
    with urllib.request.urlopen(base + path, timeout=60) as response:
        return Page(response.read().decode("utf-8"))


def test_the_report_page_anchors_each_facts_sentence_and_lists_its_facts(served, demo_db):
    doc = rows(demo_db, "SELECT document_id, count(*) AS n FROM mentions WHERE kind = 'article' "
                        "GROUP BY document_id ORDER BY n DESC, document_id LIMIT 1")[0]["document_id"]
    mentions = rows(demo_db, "SELECT * FROM mentions WHERE document_id = ?", doc)
    page = get(served, f"/corpus/documents/{doc}")
    # The facts table has a row per fact, each linking to its sentence on the same page.
    own = [href.removeprefix("#") for cls, href in page.links if "fact-source" in cls]
    assert len(own) == len(mentions)
    assert all(anchor in page.ids for anchor in own)
    for m in mentions:
        # The sentence is in the text under an anchor, with the fact's words marked there.
        holders = [a for a in own if m["sentence"] in page.ids[a]]
        assert holders, m
        assert any(m["text"] in "".join(page.marks[a]) for a in holders), m


def test_every_fact_on_a_case_page_links_to_a_sentence_of_its_reports(served, demo_db):
    checked = 0
    for case in rows(demo_db, "SELECT id, orgs, articles FROM cases"):
        page = get(served, f"/corpus/cases/{case['id']}")
        members = {r["document_id"] for r in rows(demo_db, "SELECT document_id FROM case_documents WHERE case_id = ?",
                                                  case["id"])}
        links = [href for cls, href in page.links if "fact-source" in cls]
        if json.loads(case["orgs"]) or json.loads(case["articles"]):
            assert links, case["id"]
        for href in links:
            match = re.fullmatch(r"/corpus/documents/([^#]+)#(s-\d+)", href)
            assert match and match[1] in members, href
            report = get(served, f"/corpus/documents/{match[1]}")
            assert report.ids.get(match[2], "").strip(), href
            checked += 1
    assert checked > 10
