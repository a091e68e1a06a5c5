"""The registry and the crawl's policy: schema checks, politeness, safety, decoding and
deduplication rules, and the spider run on its own with `scrapy crawl news`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler import dedupe, settings as crawler_settings
from crawler.encoding import decode_html, looks_binary
from crawler.middlewares import host_allowed
from crawler.resolver import is_public
from crawler.sample_site.mirror import mirror_sources, serve_mirror
from crawler.sample_site.server import serve
from crawler.sources import RegistryError, load_sources, parse_sources
from crawler.urls import canonicalize
from corpus.cli import cli
from corpus.crawl import run_crawl

ROOT = Path(__file__).resolve().parent.parent


# --- the registry ------------------------------------------------------------------------

def test_the_real_registry_passes_the_schema_check():
    sources = load_sources()
    assert len(sources) >= 15
    names = {s.name for s in sources}
    # The outlets the seed article cites, and the main others.
    assert {"tengrinews", "zakon", "informburo", "inbusiness", "sputnik-kz", "eadaily", "caa-network", "cabar",
            "kazinform", "nur", "kt", "baq", "orda", "vlast", "kaztag", "azattyq", "24kz"} <= names
    assert {lang for s in sources for lang in s.languages} >= {"ru", "en"}
    assert sum("en" in s.languages for s in sources) >= 5
    for s in sources:
        assert s.base_url.startswith("https://") and s.discovery
        assert all(m.url.startswith("https://") for m in s.discovery)
    types = {m.type for s in sources for m in s.discovery}
    assert types == {"sitemap", "rss", "listing", "search"}


VALID = {"name": "x", "base_url": "https://x.kz/", "languages": ["ru"], "country": "KZ",
         "discovery": [{"type": "rss", "url": "https://x.kz/rss"}]}


@pytest.mark.parametrize("change, message", [
    ({"name": None}, "missing required field 'name'"),
    ({"name": "Bad Name"}, "name must be lowercase"),
    ({"languages": ["de"]}, "languages must be"),
    ({"country": "Kazakhstan"}, "ISO 3166"),
    ({"base_url": "x.kz"}, "not an http(s) URL"),
    ({"discovery": []}, "at least one discovery method"),
    ({"discovery": [{"type": "atom", "url": "https://x.kz/a"}]}, "type must be one of"),
    ({"discovery": [{"type": "search", "url": "https://x.kz/s?q=", "article_pattern": "/a/"}]}, "'{query}' placeholder"),
    ({"discovery": [{"type": "listing", "url": "https://x.kz/news/"}]}, "needs an article_pattern"),
    ({"discovery": [{"type": "listing", "url": "https://x.kz/n/", "article_pattern": "(["}]}, "not a valid regex"),
    ({"discovery": [{"type": "rss", "url": "https://other.kz/rss"}]}, "host other.kz is not in allowed_domains"),
    ({"discovery": [{"type": "rss", "url": "https://x.kz/rss", "max_pages": 0}]}, "max_pages"),
    ({"discovry": []}, "unknown field(s) discovry"),
    ({"allowed_domains": ["https://x.kz"]}, "allowed_domains must be"),
    ({"keywords": "terror"}, "keywords must be a list"),
])
def test_a_malformed_registry_fails_loudly_naming_the_entry_and_field(change, message):
    entry = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    with pytest.raises(RegistryError) as err:
        parse_sources({"sources": [entry]})
    assert message in str(err.value)


def test_duplicate_names_and_empty_registries_fail():
    with pytest.raises(RegistryError, match="duplicate name"):
        parse_sources({"sources": [VALID, VALID]})
    with pytest.raises(RegistryError, match="non-empty 'sources' list"):
        parse_sources({"sources": []})


def test_a_malformed_registry_file_is_a_configuration_error(runner, tmp_path):
    bad = tmp_path / "sources.yml"
    bad.write_text(yaml.safe_dump({"sources": [{**VALID, "languages": "ru"}]}), "utf-8")
    result = runner.invoke(cli, ["crawl", "--registry", str(bad), "--contact", "me@example.org",
                                 "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "source 'x': field 'languages' must be list" in result.output and "Traceback" not in result.output
    bad.write_text("sources: [name: x", "utf-8")
    result = runner.invoke(cli, ["crawl", "--registry", str(bad), "--contact", "me@example.org",
                                 "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "not valid YAML" in result.output


def test_crawling_real_outlets_without_a_contact_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_CONTACT", raising=False)
    result = runner.invoke(cli, ["crawl", "--source", "tengrinews", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "CORPUS_CONTACT" in result.output and "Traceback" not in result.output


# --- politeness ---------------------------------------------------------------------------

def test_politeness_settings():
    assert crawler_settings.ROBOTSTXT_OBEY
    assert crawler_settings.AUTOTHROTTLE_ENABLED
    assert 1 <= crawler_settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 2
    assert crawler_settings.DOWNLOAD_DELAY >= 1 and crawler_settings.DOWNLOAD_TIMEOUT <= 60
    assert crawler_settings.DOWNLOAD_MAXSIZE and crawler_settings.RETRY_TIMES >= 1
    assert crawler_settings.RETRY_BACKOFF_BASE > 0
    assert "{contact}" in crawler_settings.USER_AGENT


def test_the_crawl_keeps_to_two_requests_per_site_and_names_its_contact(tmp_path):
    log: list[dict] = []
    polite = {"CONCURRENT_REQUESTS_PER_DOMAIN": crawler_settings.CONCURRENT_REQUESTS_PER_DOMAIN,
              "AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_START_DELAY": 0.01, "AUTOTHROTTLE_MAX_DELAY": 0.2,
              "DOWNLOAD_DELAY": 0.01, "CORPUS_CONTACT": "corpus-team@example.org"}
    with serve_mirror(pages=24, delay=0.05, log=log) as (base, _):
        result = run_crawl(tmp_path / "c.db", mirror_sources(base), sample=True, extra_settings=polite)
    assert result.status == "ok" and result.stored + result.rejected == 24
    assert max(e["in_flight"] for e in log) <= crawler_settings.CONCURRENT_REQUESTS_PER_DOMAIN
    agents = {e["headers"]["User-Agent"] for e in log}
    assert agents == {"extremism-cases-corpus/0.1 (research crawler for a court-case news corpus; "
                      "+corpus-team@example.org)"}
    assert log[0]["path"] == "/robots.txt"


# --- the spider on its own ------------------------------------------------------------------

def test_scrapy_crawl_news_runs_the_spider_alone(tmp_path):
    out = tmp_path / "pages.jsonl"
    with serve(port=0) as base:
        registry = tmp_path / "sources.yml"
        registry.write_text(yaml.safe_dump({"sources": [{
            "name": "monitor", "base_url": f"{base}/monitor/", "languages": ["en"], "country": "KZ",
            "allowed_domains": ["127.0.0.1"], "discovery": [{"type": "rss", "url": f"{base}/monitor/rss.xml"}]}]}))
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"registry={registry}", "-a", "source=monitor",
             "-s", f"CORPUS_ALLOWED_PRIVATE={base.split('//')[1]}", "-s", "DOWNLOAD_DELAY=0.001",
             "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=ERROR",
             "-s", "FEED_EXPORT_FIELDS=source,url,title,lang,published,relevance,rejected", "-O", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**os.environ, "CORPUS_CONTACT": "test@example.org"})
    assert done.returncode == 0, done.stderr[-2000:]
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(items) == 16 and {i["source"] for i in items} == {"monitor"}
    stored = [i for i in items if not i.get("rejected")]
    assert stored and all(i["lang"] == "en" and i["title"] for i in stored)


# --- safety ---------------------------------------------------------------------------------

@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.169.254", False),
    ("::1", False), ("0.0.0.0", False), ("::ffff:127.0.0.1", False), ("100.64.0.1", False), ("224.0.0.1", False),
    ("fe80::1%eth0", False), ("8.8.8.8", True), ("2a00:1450::1", True),
])
def test_private_and_loopback_addresses_are_not_public(address, public):
    assert is_public(address) is public


def test_allowed_domains_include_subdomains_only():
    assert host_allowed("www.zakon.kz", ["zakon.kz"]) and host_allowed("zakon.kz", ["zakon.kz"])
    assert not host_allowed("evilzakon.kz", ["zakon.kz"]) and not host_allowed("zakon.kz.evil.com", ["zakon.kz"])


# --- decoding -------------------------------------------------------------------------------

PAGE = ("<html><head><title>Суд</title></head><body><p>Суд в Алматы приговорил мужчину к десяти годам "
        "лишения свободы за пропаганду терроризма. Приговор не вступил в законную силу.</p></body></html>")


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "koi8-r"])
@pytest.mark.parametrize("header", [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251",
                                    "text/html; charset=koi8-r", "text/html; charset=iso-8859-1"])
def test_pages_decode_whatever_the_header_says(encoding, header):
    text, used = decode_html(PAGE.encode(encoding), header)
    assert text == PAGE and used == encoding


def test_a_byte_order_mark_wins():
    assert decode_html(b"\xef\xbb\xbf" + PAGE.encode("utf-8"), "text/html; charset=windows-1251") == (PAGE, "utf-8")


def test_binary_bodies_are_recognised():
    assert looks_binary(b"\x89PNG\r\n\x1a\n....") and looks_binary(b"%PDF-1.7") and looks_binary(b"abc\x00def")
    assert not looks_binary(PAGE.encode("cp1251"))


# --- deduplication --------------------------------------------------------------------------

@pytest.mark.parametrize("url, canonical", [
    ("https://WWW.Tengrinews.kz/kazakhstan_news/x-123/?utm_source=tg&utm_medium=social#top",
     "https://tengrinews.kz/kazakhstan_news/x-123"),
    ("https://m.zakon.kz/6400000-sud.html?fbclid=abc", "https://zakon.kz/6400000-sud.html"),
    ("https://tengrinews.kz/kazakhstan_news/x-123/amp/", "https://tengrinews.kz/kazakhstan_news/x-123"),
    ("https://amp.nur.kz/incident/2000000-x/", "https://nur.kz/incident/2000000-x"),
    ("http://vlast.kz:80/novosti/1-a.html?b=2&a=1", "http://vlast.kz/novosti/1-a.html?a=1&b=2"),
])
def test_url_variants_share_one_canonical_form(url, canonical):
    assert canonicalize(url) == canonical


def test_minhash_tells_a_reprint_from_another_report_of_the_same_case():
    original = ("Суд в Алматы приговорил мужчину, который готовил теракт в местах массового скопления людей, "
                "к 10 годам лишения свободы. Осуждённый планировал нападение в одном из торговых центров. "
                "Его задержали до того, как он перешёл к действиям, поэтому никто не пострадал. Приговор может "
                "быть обжалован в апелляционном порядке.")
    reprint = "Как сообщает вестник, " + original.replace("ё", "е").replace(" Приговор может быть обжалован в апелляционном порядке.", "")
    other = ("Апелляционная коллегия оставила без изменения приговор жителю Алматы, осуждённому на 10 лет за "
             "подготовку теракта в торговом центре. Защита просила смягчить наказание, но суд отказал.")
    a, b, c = dedupe.signature(original), dedupe.signature(reprint), dedupe.signature(other)
    assert dedupe.similarity(a, b) >= dedupe.NEAR_DUPLICATE > dedupe.similarity(a, c)
    assert set(dedupe.band_keys(a)) & set(dedupe.band_keys(b))  # the index finds the pair
    assert dedupe.signature("Коротко: суд.") is None  # too short to compare


# --- scheduling -----------------------------------------------------------------------------

def test_deploy_files_schedule_the_update_and_the_readme_explains_them():
    service = (ROOT / "deploy" / "corpus-update.service").read_text("utf-8")
    timer = (ROOT / "deploy" / "corpus-update.timer").read_text("utf-8")
    crontab = (ROOT / "deploy" / "crontab").read_text("utf-8")
    serve = (ROOT / "deploy" / "corpus-serve.service").read_text("utf-8")
    watch = (ROOT / "deploy" / "corpus-publish.path").read_text("utf-8")
    assert "Type=oneshot" in service and "KillMode=mixed" in service and "EnvironmentFile=" in service
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    words = exec_start.split("=", 1)[1].split()
    assert words[1:3] == ["update", "--db"] and words[words.index("--publish") + 1].endswith("published.db")
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    jobs = [line for line in crontab.splitlines() if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(jobs) == 1 and len(jobs[0].split()[:5]) == 5 and "corpus update --db" in jobs[0]
    assert "CORPUS_CONTACT=" in crontab
    # The server reads the snapshot the update publishes, and is restarted when it changes.
    served = next(line for line in serve.splitlines() if line.startswith("ExecStart=")).split()
    assert served[1:3] == ["serve", "--db"] and served[3] == words[words.index("--publish") + 1]
    assert f"PathChanged={served[3]}" in watch
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "## Scheduling" in readme
    for name in ("deploy/corpus-update.service", "deploy/corpus-update.timer", "deploy/crontab",
                 "deploy/corpus-serve.service", "deploy/corpus-publish.path"):
        assert name in readme
