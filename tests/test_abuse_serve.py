"""`corpus serve` under abuse: odd paths, many distinct URLs, responses that vary by visitor,
queries that try to allocate gigabytes or hold every SQL thread. A small real corpus made by
the app's own schema code, served by the app's own Datasette (its test client, or a real
`corpus serve` process on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.database import open_db
from corpus.serve import build
from test_publish import Client


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    """Forty reports in four cases."""
    path = tmp_path_factory.mktemp("abuse") / "corpus.db"
    db = open_db(path)
    db["sources"].insert({"name": "monitor", "title": "Monitor"})
    db["documents"].insert_all(
        {"id": f"d{i:03d}", "url": f"http://x/{i}", "source": "monitor", "lang": "en", "title": f"Report {i}",
         "text": f"Report {i}: convicted in Semey. " * 20, "published": f"20{10 + i % 15}-01-01"}
        for i in range(40))
    db["cases"].insert_all({"id": f"case-{i}", "title": f"Case {i}", "region": "Abai region"} for i in range(4))
    db["case_documents"].insert_all(
        {"case_id": f"case-{i % 4}", "document_id": f"d{i:03d}", "similarity": 1.0} for i in range(40))
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def client(corpus_db):
    c = Client(build(corpus_db))
    yield c
    c.loop.close()


# --- odd paths are 404s, not 500s with a traceback -------------------------------------------

ODD_PATHS = [
    "/a/b/c/d",
    "/corpus/cases/a/b",
    "/corpus/documents/d001/x/y",
    "/corpus/cases/no-such-case",
    "/corpus/no_such_table/1/2/3",
    "/corpus/cases/" + "x" * 5000,
    "/" + "/".join(["a"] * 400),
    "/-/no-such-page",
    "/corpus/cases/~ZZ~",
]


def test_odd_paths_are_404_without_a_traceback(client, capfd):
    for path in ODD_PATHS:
        response = client.get(path)
        assert response.status_code == 404, (path[:60], response.status_code)
    # Percent-encoded junk is redirected to Datasette's tilde form, which is then a 404.
    for path in ["/corpus/cases/%ff%fe%00", "/corpus/cases/a%2Fb/c", "/%7E%2E%2E/%25%25"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert client.get(response.headers["location"]).status_code == 404, path
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
