"""What a crawl tells the analyst: the summary and `corpus runs --detail` name and add up the same counts."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

from conftest import free_port, run_corpus as corpus


def table(lines: list[str]) -> list[dict[str, str]]:
    """Rows of an aligned table whose header names are separated by two spaces or more."""
    header = re.split(r"\s{2,}", lines[0].strip())
    return [dict(zip(header, re.split(r"\s{2,}", line.strip()))) for line in lines[1:]]


def test_the_summary_and_runs_detail_name_and_add_up_the_same_counts(tmp_path):
    crawl = corpus(tmp_path, "crawl", "--sample", "--sample-port", str(free_port()), "--db", "c.db")
    assert crawl.returncode == 0, crawl.stderr
    summary = crawl.stderr.splitlines()
    # The sample site: 44 articles (14 vestnik, 14 habar, 16 monitor), 35 stored, 9 rejected as irrelevant.
    assert summary[0].startswith("run 1: ok: ")
    assert "(44 article pages, " in summary[0] and "35 documents stored, 0 errors" in summary[0]
    responses = int(summary[0].split("ok: ")[1].split(" responses")[0])
    assert f"{responses - 44} robots.txt, feeds, sitemaps and listings" in summary[0]
    per_source = table([line for line in summary[1:] if line.startswith("  ")])
    rows = {r["source"]: r for r in per_source}
    assert set(rows) == {"vestnik", "habar", "monitor", "total"}
    assert [rows[s]["article pages"] for s in ("vestnik", "habar", "monitor", "total")] == ["14", "14", "16", "44"]
    assert rows["total"]["stored"] == "35" and rows["total"]["rejected"] == "9"

    runs = corpus(tmp_path, "runs", "--detail", "--db", "c.db")
    assert runs.returncode == 0, runs.stderr
    lines = runs.stdout.splitlines()
    assert lines[0].split() == ["run", "started", "status", "responses", "article", "pages", "stored", "rejected",
                                "errors", "sources"]
    run = table(lines[:2])[0]
    assert (run["run"], run["status"], run["responses"], run["article pages"], run["stored"], run["rejected"]) == (
        "1", "ok", str(responses), "44", "35", "9")
    detail = table([line for line in lines[2:]])
    assert {r["source"]: r["article pages"] for r in detail} == {"vestnik": "14", "habar": "14", "monitor": "16",
                                                                "total": "44"}
    assert all(set(r) == set(detail[0]) for r in detail)  # no empty source line


def test_a_sample_crawl_on_another_port_stores_the_same_documents(tmp_path):
    first = corpus(tmp_path, "crawl", "--sample", "--sample-port", str(free_port()), "--db", "c.db")
    assert first.returncode == 0, first.stderr
    # Another port, every page fetched again: nothing new, and every address is the sample site's own.
    again = corpus(tmp_path, "crawl", "--sample", "--sample-port", "0", "--refresh", "--db", "c.db")
    assert again.returncode == 0, again.stderr
    assert "(44 article pages, " in again.stderr.splitlines()[0] and " 0 documents stored" in again.stderr.splitlines()[0]
    with closing(sqlite3.connect(tmp_path / "c.db")) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 35
        origins = {row[0] for row in conn.execute(
            "SELECT substr(canonical_url, 1, 22) FROM documents UNION SELECT substr(url, 1, 22) FROM rejected_pages "
            "UNION SELECT substr(url, 1, 22) FROM raw_pages UNION SELECT substr(base_url, 1, 22) FROM sources")}
    assert origins == {"http://127.0.0.1:8765/"}
