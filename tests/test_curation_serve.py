"""The edit mode of `corpus serve --edit` and the public serve, through Datasette's own test client
over a small real corpus: forms only for people logged in with the password, none in public."""

from __future__ import annotations

import asyncio

import pytest

from corpus.serve import build, prepare

from test_curation import build as build_corpus, case_of, run

PASSWORD = "correct horse battery staple"


class Client:
    def __init__(self, ds):
        self.ds = ds
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(ds.invoke_startup())

    def get(self, path, **kwargs):
        return self.loop.run_until_complete(self.ds.client.get(path, **kwargs))

    def post(self, path, **kwargs):
        return self.loop.run_until_complete(self.ds.client.post(path, **kwargs))


@pytest.fixture
def corpus(tmp_path):
    return build_corpus(tmp_path / "corpus.db")


def test_the_public_serve_shows_corrections_and_has_no_edit_forms(runner, corpus):
    semey = case_of(corpus, "a1")
    assert run(runner, "correct", semey, "region", "Ulytau region", "--db", corpus).exit_code == 0
    assert run(runner, "review", semey, "--status", "disputed", "--db", corpus).exit_code == 0
    client = Client(build(prepare(corpus)))  # as corpus serve: the write-ahead log folded in
    page = client.get(f"/corpus/cases/{semey}")
    assert page.status_code == 200, page.text[:2000]
    assert "Ulytau region" in page.text and 'data-review-status="disputed"' in page.text
    # The machine's value, on request (a collapsed section).
    assert "The machine&#39;s values of the corrected fields" in page.text and "Abai region" in page.text
    assert "<form" not in page.text.split('class="case-sheet"')[1].split('class="case-all-columns"')[0]
    assert client.post(f"/-/corpus/edit/{semey}/correct", data={"field": "stage", "value": "trial"}).status_code == 405
    assert client.get("/-/login").status_code == 404
    assert "/-/login" not in page.text  # no "Log in" in the menu either


def test_the_edit_mode_refuses_requests_without_the_password(corpus):
    semey = case_of(corpus, "a1")
    client = Client(build(prepare(corpus), edit_password=PASSWORD))
    assert 'class="edit-correct"' not in client.get(f"/corpus/cases/{semey}").text
    refused = client.post(f"/-/corpus/edit/{semey}/correct", data={"field": "stage", "value": "trial"})
    assert refused.status_code == 403
    wrong = client.post("/-/login", data={"username": "editor", "password": "guess"})
    assert "ds_actor" not in wrong.cookies
    right = client.post("/-/login", data={"username": "editor", "password": PASSWORD})
    assert right.status_code == 302 and "ds_actor" in right.cookies
    page = client.get(f"/corpus/cases/{semey}", cookies={"ds_actor": right.cookies["ds_actor"]})
    assert 'class="edit-correct"' in page.text and 'class="edit-split"' in page.text
    # Nothing was written by the refused request.
    import sqlite3
    with sqlite3.connect(corpus) as conn:
        assert conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_serve_edit_needs_a_password_and_localhost(runner, corpus, monkeypatch):
    monkeypatch.delenv("CORPUS_EDIT_PASSWORD", raising=False)
    result = run(runner, "serve", "--edit", "--db", corpus)
    assert result.exit_code == 2 and "CORPUS_EDIT_PASSWORD" in result.output
    monkeypatch.setenv("CORPUS_EDIT_PASSWORD", PASSWORD)
    result = run(runner, "serve", "--edit", "--host", "0.0.0.0", "--db", corpus)
    assert result.exit_code == 2 and "127.0.0.1 only" in result.output
