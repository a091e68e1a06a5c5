"""Read-only, whatever the file mode (loaded by `corpus serve` from plugins/).

- `PRAGMA query_only` on every connection to the corpus: no SQL, plugin or canned query can
  write, even when the file is served with --live (mutable) rather than immutable.
- Only GET, HEAD and OPTIONS reach Datasette; anything else is answered 405. (Datasette 0.65.5
  answers a POST to a read-only canned query with a 500, and this deployment has no forms to post.)
"""

from datasette import hookimpl

from corpus.serve import DATABASE

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@hookimpl
def prepare_connection(conn, database):
    if database == DATABASE:
        conn.execute("PRAGMA query_only = 1")


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope["method"] not in READ_METHODS:
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"allow", b"GET, HEAD, OPTIONS")]})
                await send({"type": "http.response.body", "body": b"This corpus is published read-only.\n"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
