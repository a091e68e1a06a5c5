"""`corpus sources check`: one request per discovery URL, against the sample site on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import textwrap

from conftest import free_port, run_corpus

# A registry over the sample site: one healthy entry of each discovery type, and one entry for
# each way a registry goes wrong.
REGISTRY = textwrap.dedent("""\
    sources:
      - {name: listing-ok, base_url: "{base}/vestnik/", languages: [ru], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: listing, url: "{base}/vestnik/news/", article_pattern: '/vestnik/news/\\d+\\.html$'}]}
      - {name: sitemap-ok, base_url: "{base}/habar/", languages: [ru], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: sitemap, url: "{base}/habar/sitemap-news.xml"}]}
      - {name: feed-ok, base_url: "{base}/monitor/", languages: [en], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: rss, url: "{base}/monitor/rss.xml"}]}
      - {name: moved, base_url: "{base}/vestnik/", languages: [ru], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: listing, url: "{base}/vestnik/novosti/", article_pattern: '/vestnik/news/\\d+\\.html$'}]}
      - {name: gone, base_url: "{base}/vestnik/", languages: [ru], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: listing, url: "{base}/vestnik/archive/", article_pattern: '/vestnik/news/\\d+\\.html$'}]}
      - {name: pattern-wrong, base_url: "{base}/vestnik/", languages: [ru], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: listing, url: "{base}/vestnik/news/", article_pattern: '/vestnik/articles/\\d+/$'}]}
      - {name: feed-empty, base_url: "{base}/monitor/", languages: [en], country: KZ, allowed_domains: [127.0.0.1],
         discovery: [{type: rss, url: "{base}/monitor/"}]}
    """)


def check(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return run_corpus(tmp_path, "sources", "check", "--sample", "--sample-port", str(free_port()), *args, timeout=120)


def test_broken_entries_are_named_with_what_is_wrong_and_exit_1(tmp_path):
    registry = tmp_path / "registry.yml"
    registry.write_text(REGISTRY, "utf-8")
    result = check(tmp_path, "--registry", str(registry), "--json")
    assert result.returncode == 1, result.stderr
    checks = {c["source"]: c for c in map(json.loads, result.stdout.splitlines())}
    assert set(checks) == {"listing-ok", "sitemap-ok", "feed-ok", "moved", "gone", "pattern-wrong", "feed-empty"}
    # The sample site: 14 vestnik articles, 6 to a listing page; 14 habar, 16 monitor articles.
    assert (checks["listing-ok"]["items"], checks["sitemap-ok"]["items"], checks["feed-ok"]["items"]) == (6, 14, 16)
    assert all(not checks[name]["broken"] for name in ("listing-ok", "sitemap-ok", "feed-ok", "moved"))
    assert checks["sitemap-ok"]["newest"] and checks["feed-ok"]["newest"]
    assert checks["moved"]["warning"].startswith("moved to ") and checks["moved"]["final_url"].endswith("/vestnik/news/")
    assert checks["moved"]["items"] == 6
    assert checks["gone"]["broken"] and checks["gone"]["problem"] == "HTTP 404" and checks["gone"]["status"] == 404
    assert checks["pattern-wrong"]["problem"] == "the article pattern matches no link on the page"
    assert checks["feed-empty"]["problem"] == "no items"
    assert "4 of 7 sources healthy; broken: feed-empty, gone, pattern-wrong" in result.stderr


def test_the_bundled_sample_registry_is_healthy_and_printed_as_a_table(tmp_path):
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["source", "method", "status", "found", "newest", "state", "url"]
    assert [line.split()[0] for line in lines[1:]] == ["vestnik", "habar", "monitor"]
    assert all(" ok " in line for line in lines[1:])
    assert "3 of 3 sources healthy" in result.stderr


def test_an_unknown_source_is_a_one_line_error(tmp_path):
    result = check(tmp_path, "--source", "nosuch")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Error: unknown source(s): nosuch")
    assert "Traceback" not in result.stderr
