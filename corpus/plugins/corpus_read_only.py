"""Read-only, whatever the file mode (loaded by `corpus serve` from plugins/).

- `PRAGMA query_only` on every connection to the corpus: no SQL, plugin or canned query can
  write, even when the file is served with --live (mutable) rather than immutable.
- Only GET, HEAD and OPTIONS reach Datasette; anything else is answered 405, except, in the
  edit mode of `corpus serve --edit`, the login form and the case forms (plugins/corpus_edit.py).
  The public serve answers 404 at the password plugin's login pages, and its menu has no
  "Log in" link. (Datasette 0.65.5
  answers a POST to a read-only canned query with a 500, and this deployment has no forms to post.)
"""

import re

from datasette import hookimpl

from corpus.serve import DATABASE, EDIT_PLUGIN

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# The edit mode (corpus serve --edit) takes posts here only: the login form and the case forms,
# which write through corpus.curation on their own connection, never through Datasette's.
EDIT_POSTS = re.compile(r"^/-/(login|corpus/edit/[^/]+/[a-z]+)$")
# Pages of the password plugin that the public, read-only serve has no use for.
LOGIN_PAGES = {"/-/login", "/-/password-tool", "/-/logout"}


@hookimpl
def prepare_connection(conn, database):
    if database == DATABASE:
        conn.execute("PRAGMA query_only = 1")


async def _not_found(send) -> None:
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"Not found.\n"})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            editing = bool(datasette.plugin_config(EDIT_PLUGIN))
            if scope["type"] == "http" and not editing and scope["path"] in LOGIN_PAGES:
                await _not_found(send)
                return
            if scope["type"] == "http" and editing and EDIT_POSTS.match(scope["path"]):
                await app(scope, receive, send)
                return
            if scope["type"] == "http" and scope["method"] not in READ_METHODS:
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"allow", b"GET, HEAD, OPTIONS")]})
                await send({"type": "http.response.body", "body": b"This corpus is published read-only.\n"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl(hookwrapper=True)
def menu_links(datasette, actor, request):
    # The password plugin offers a login to every visitor; only the edit mode has one.
    outcome = yield
    if datasette.plugin_config(EDIT_PLUGIN):
        return
    login = datasette.urls.path("/-/login")
    outcome.force_result([[link for link in links if link.get("href") != login]
                          if isinstance(links, list) else links for links in outcome.get_result()])
