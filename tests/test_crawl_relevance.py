"""The relevance filter scored on labelled pages: the sample site's 44 articles (a report is
relevant when it belongs to a case, see crawler/sample_site/CASES.md) and 48 hand-written
hard pages (crawler/sample_site/relevance_pages.yml; 24 of them the shapes that real pages
showed: inciting discord, false bomb reports, banned movements, calls to seize power;
drills, drug seizures, lists of attacks abroad, administrative fines), each run through
the crawl's own pipelines (extraction, language, relevance) from HTML.

Measured: 92 pages, precision 1.00 and recall 1.00 in each language. The floors are the
targets the gate has on real reports (issue 13): precision 0.95, recall 0.98 per language.
"""

from __future__ import annotations

import html
from importlib import resources

import yaml

from crawler.encoding import decode_html
from crawler.pipelines import ArticlePipeline, LanguagePipeline, RelevancePipeline
from crawler.sample_site.server import SampleSite

PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.98


def labelled_pages() -> list[tuple[str, str, str, bool]]:
    """(id, lang, html, relevant) for every labelled page."""
    site = SampleSite()
    site.base_url = "http://sample.test"
    pages = []
    for a in site.articles:
        _, headers, body = site.page(site.url_of(a))
        pages.append((a.slug, a.lang, decode_html(body, headers["Content-Type"])[0], a.case is not None))
    extra = yaml.safe_load(resources.files("crawler.sample_site").joinpath("relevance_pages.yml").read_text("utf-8"))
    for p in extra:
        paras = "".join(f"<p>{html.escape(x.strip())}</p>" for x in p["text"].split("\n\n") if x.strip())
        page = (f"<html><head><title>{html.escape(p['title'])}</title></head><body><nav><a href='/'>Home</a></nav>"
                f"<article><h1>{html.escape(p['title'])}</h1>{paras}</article><footer>(c) outlet</footer></body></html>")
        pages.append((p["id"], p["lang"], page, p["relevant"]))
    return pages


def passes(page: str, page_id: str) -> bool:
    item = {"text_html": page, "url": f"http://sample.test/{page_id}", "final_url": f"http://sample.test/{page_id}",
            "source": "labelled"}
    for step in (ArticlePipeline(), LanguagePipeline(), RelevancePipeline()):
        item = step.process_item(item)
    return not item.get("rejected")


def test_relevance_filter_precision_and_recall_on_labelled_pages():
    pages = labelled_pages()
    assert len(pages) >= 90
    for lang in ("ru", "en"):
        verdicts = [(page_id, relevant, passes(page, page_id)) for page_id, page_lang, page, relevant in pages
                    if page_lang == lang]
        assert sum(r for _, r, _ in verdicts) >= 25 and sum(not r for _, r, _ in verdicts) >= 12
        tp = sum(r and p for _, r, p in verdicts)
        fp = [i for i, r, p in verdicts if p and not r]
        fn = [i for i, r, p in verdicts if r and not p]
        precision, recall = tp / (tp + len(fp)), tp / (tp + len(fn))
        print(f"\nrelevance {lang}: {len(verdicts)} pages, precision {precision:.3f}, recall {recall:.3f}; "
              f"false positives {fp}, false negatives {fn}")
        assert precision >= PRECISION_FLOOR, (lang, fp)
        assert recall >= RECALL_FLOOR, (lang, fn)
