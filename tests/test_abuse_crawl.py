"""A registry domain that points inside the crawl machine, without touching the network.

A real Scrapy crawl runs in a child process whose system resolver (socket.getaddrinfo and
socket.gethostbyname) answers from a fixed table instead of DNS, and whose outgoing TCP
connections to anything but 127.0.0.1 are refused before a packet leaves (and recorded). A
real HTTP server on 127.0.0.1, the "trap", is where every rebinding answer points: it must
never receive a request. A second local site, listed in `CORPUS_ALLOWED_PRIVATE` as the
sample crawls list theirs, is crawled in the same run and must be fetched.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crawler import settings as crawler_settings
from crawler.job import CrawlJob, scrapy_settings, source_from_dict
from crawler.sample_site.mirror import mirror_sources, serve_mirror
from crawler.sample_site.server import serve_pages
from crawler.sources import parse_sources
from crawler.stats import source_key

PUBLIC = "93.184.216.34"

# The child process: the table replaces the system resolver, the guard stands in for the
# network, then the crawl runs as `corpus crawl` runs it (crawler.job.run_job).
CRAWL_WITH_FAKE_DNS = r"""
import errno, ipaddress, json, socket, sys

spec = json.load(open(sys.argv[1]))
answers = spec["dns"]  # host -> successive answers (a list of addresses, or null: lookup fails)
asked = {}             # host -> how many times it was looked up
lookups, connects = [], []


def answer(host):
    host = host.decode() if isinstance(host, bytes) else host
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    if host not in answers:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    n = asked[host] = asked.get(host, 0) + 1
    result = answers[host][min(n, len(answers[host])) - 1]
    lookups.append([host, result])
    if result is None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return result


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 0))) for a in answer(host)]


def gethostbyname(host):
    return answer(host)[0]


real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex


def connect_ex(self, address):
    connects.append(list(address[:2]))
    if address[0] != "127.0.0.1":
        return errno.ECONNREFUSED
    return real_connect_ex(self, address)


def connect(self, address):
    connects.append(list(address[:2]))
    if address[0] != "127.0.0.1":
        raise ConnectionRefusedError(errno.ECONNREFUSED, "refused by the test")
    return real_connect(self, address)


socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname
socket.socket.connect, socket.socket.connect_ex = connect, connect_ex

from crawler.job import CrawlJob, run_job

stats = run_job(CrawlJob.from_dict(spec["job"]))
with open(sys.argv[2], "w") as out:
    json.dump({"stats": stats, "lookups": lookups, "connects": connects}, out, default=str)
"""


def _source(name: str, host: str, port: int) -> dict:
    base = f"http://{host}:{port}"
    return {"name": name, "title": name, "base_url": f"{base}/", "languages": ["ru"], "country": "KZ",
            "allowed_domains": [host.rstrip(".")], "discovery": [{"type": "rss", "url": f"{base}/feed.xml"}]}


def _trap_page(path, headers):
    feed = "<rss><channel><item><link>/news/1.html</link></item></channel></rss>"
    return 200, {"Content-Type": "application/rss+xml"}, feed.encode()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    work = tmp_path_factory.mktemp("rebinding")
    trap_log: list[dict] = []
    site_log: list[dict] = []
    with serve_pages(_trap_page, log=trap_log) as trap, serve_mirror(pages=3, log=site_log) as (site, _):
        trap_port = int(trap.rsplit(":", 1)[1])
        site_port = int(site.rsplit(":", 1)[1])
        dns = {
            # Public when first asked, loopback ever after.
            "rebind.test": [[PUBLIC], ["127.0.0.1"]],
            # The lookup fails once, then the name is loopback after all.
            "localhost.": [None, ["127.0.0.1"]],
            # One answer, one public and one loopback address.
            "mixed.test": [[PUBLIC, "127.0.0.1"]],
            # The allowed site's address under a name: the allow-list is for the host:port written.
            "named.test": [["127.0.0.1"]],
        }
        sources = parse_sources({"sources": [
            _source("rebind", "rebind.test", trap_port),
            _source("mixed", "mixed.test", trap_port),
            _source("named", "named.test", site_port),
        ]}) + mirror_sources(site)
        # Not a registry entry (the registry check wants the discovery host spelt as the
        # domain): the way a link or redirect to `localhost.` reaches the crawl.
        sources.append(source_from_dict(_source("dotted", "localhost.", trap_port)))
        job = CrawlJob(sources, settings={
            **crawler_settings.SAMPLE_OVERRIDES, "LOG_LEVEL": "INFO", "CORPUS_CONTACT": "test@example.org",
            "CORPUS_ALLOWED_PRIVATE": [f"127.0.0.1:{site_port}"]})
        spec, out = work / "spec.json", work / "out.json"
        spec.write_text(json.dumps({"dns": dns, "job": job.to_dict()}), "utf-8")
        done = subprocess.run([sys.executable, "-c", CRAWL_WITH_FAKE_DNS, str(spec), str(out)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(out.read_text("utf-8"))
    return {**result, "trap_log": trap_log, "site_log": site_log, "trap_port": trap_port,
            "site_port": site_port, "log": done.stderr}


def refused(crawl, source: str) -> int:
    return crawl["stats"].get(source_key(source, "refused"), 0)


def test_the_trap_on_127_0_0_1_receives_no_request(crawl):
    assert crawl["trap_log"] == []
    # Nothing was connected to on the trap's port but the public address the resolver checked.
    trap = {tuple(c) for c in crawl["connects"] if c[1] == crawl["trap_port"]}
    assert trap == {(PUBLIC, crawl["trap_port"])}


def test_a_name_that_rebinds_to_loopback_is_refused_after_its_public_answer(crawl):
    answers = [a for host, a in crawl["lookups"] if host == "rebind.test"]
    assert answers[0] == [PUBLIC] and len(answers) >= 2 and all(a == ["127.0.0.1"] for a in answers[1:])
    assert refused(crawl, "rebind") >= 1
    assert "rebind.test resolves to 127.0.0.1, a private, loopback or reserved address" in crawl["log"]


def test_a_failed_lookup_is_not_a_pass(crawl):
    answers = [a for host, a in crawl["lookups"] if host == "localhost."]
    assert answers[0] is None and ["127.0.0.1"] in answers
    assert refused(crawl, "dotted") >= 1


def test_an_answer_with_any_private_address_is_refused_whole(crawl):
    assert [a for host, a in crawl["lookups"] if host == "mixed.test"]
    assert refused(crawl, "mixed") >= 1


def test_the_allow_list_admits_the_address_written_not_a_name_that_resolves_to_it(crawl):
    hosts = {entry["headers"].get("Host") for entry in crawl["site_log"]}
    assert hosts == {f"127.0.0.1:{crawl['site_port']}"}  # the allowed site was crawled
    assert crawl["stats"].get(source_key("mirror", "pages"), 0) == 3
    assert refused(crawl, "named") >= 1


def test_private_addresses_are_allowed_only_for_a_sample_crawl_and_only_its_own():
    assert crawler_settings.CORPUS_ALLOWED_PRIVATE == []
    sources = mirror_sources("http://127.0.0.1:8123")
    assert scrapy_settings(CrawlJob(sources)).getlist("CORPUS_ALLOWED_PRIVATE") == []
    assert scrapy_settings(CrawlJob(sources, sample=True)).getlist("CORPUS_ALLOWED_PRIVATE") == ["127.0.0.1:8123"]
    assert scrapy_settings(CrawlJob(sources)).get("TWISTED_DNS_RESOLVER") == "crawler.resolver.PublicAddressResolver"
