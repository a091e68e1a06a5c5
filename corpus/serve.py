"""Publishing: Datasette over corpus.db with metadata.yml, plugins/ and templates/, read-only.

The three ship inside the `corpus` package (corpus/metadata.yml, corpus/plugins/,
corpus/templates/; the repository's top-level names are links to them), so an installed
`corpus serve` works from any directory.

`corpus serve` and the tests build the same Datasette with `build()`. The database is always
named "corpus", the name that metadata.yml, the canned queries and the templates use, whatever
the file is called. It is opened immutable (SQLite `immutable=1`: no locks, no writes, row
counts cached), or with `live=True` read-only (`mode=ro`) for a file a scheduled crawl is still
writing; either way every connection also runs `PRAGMA query_only`, and only GET, HEAD and
OPTIONS requests get through (plugins/corpus_read_only.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from corpus.schema import fact_column_descriptions

from corpus.database import StoreError, open_db

DATABASE = "corpus"
# The plugin setting that switches the edit mode on (plugins/corpus_edit.py), and the account
# that logs in with the edit password (datasette-auth-passwords).
EDIT_PLUGIN = "corpus-edit"
EDIT_ACCOUNT = "editor"
# `corpus serve --edit` reads the password from this environment variable (never the command line).
EDIT_PASSWORD_ENV = "CORPUS_EDIT_PASSWORD"


class ServeError(StoreError):
    pass


def packaged(name: str) -> Path:
    """A file or directory shipped inside the `corpus` package: metadata.yml, plugins, templates.

    A path on disk, as Datasette needs for its plugins and templates directories (the package is
    installed unzipped, by pip or as an editable checkout).
    """
    return Path(str(resources.files("corpus").joinpath(name)))


def metadata_path() -> Path:
    """corpus/metadata.yml (the repository's top-level metadata.yml links to it)."""
    return packaged("metadata.yml")


def load_metadata() -> tuple[dict, dict]:
    """(Datasette metadata, Datasette settings) from metadata.yml.

    Datasette 0.65 takes settings on its command line only; metadata.yml keeps them under
    `settings:` (where Datasette 1.0's datasette.yaml has them) and this passes them on.
    """
    data = yaml.safe_load(metadata_path().read_text("utf-8")) or {}
    settings = data.pop("settings", None) or {}
    # Fact columns are described once, in the facts registry (nlp/facts.py).
    tables = data.setdefault("databases", {}).setdefault(DATABASE, {}).setdefault("tables", {})
    for table, described in fact_column_descriptions().items():
        tables.setdefault(table, {}).setdefault("columns", {}).update(described)
    return data, settings


def coerce_setting(name: str, value: Any) -> Any:
    """A Datasette setting given as text (`--setting sql_time_limit_ms 5000`) as its own type."""
    from datasette.app import DEFAULT_SETTINGS
    from datasette.utils import ValueAsBooleanError, value_as_boolean

    if name not in DEFAULT_SETTINGS:
        raise ServeError(f"unknown Datasette setting {name!r} (see `datasette --help-settings`)")
    default = DEFAULT_SETTINGS[name]
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            return value_as_boolean(value)
        if isinstance(default, int):
            return int(value)
    except (ValueError, ValueAsBooleanError):
        raise ServeError(f"setting {name}: {value!r} is not a {type(default).__name__}") from None
    return value


def build(db_path: str | Path, *, live: bool = False, settings: Iterable[tuple[str, Any]] = (),
          edit_password: str | None = None):
    """The configured Datasette (not started): the corpus as database "corpus", metadata.yml,
    plugins/ and templates/. `settings` override metadata.yml's. With `edit_password`, the edit
    mode: whoever logs in at /-/login as "editor" with it gets forms on the case pages, and the
    file is opened live so every page shows what the forms wrote."""
    from datasette.app import Datasette
    from datasette.database import Database

    metadata, defaults = load_metadata()
    if edit_password is not None:
        from datasette_auth_passwords.utils import hash_password

        if not edit_password:
            raise ServeError(f"the edit mode needs a password: set {EDIT_PASSWORD_ENV}")
        live = True
        metadata.setdefault("plugins", {}).update({
            "datasette-auth-passwords": {f"{EDIT_ACCOUNT}_password_hash": hash_password(edit_password)},
            EDIT_PLUGIN: {"db_path": str(Path(db_path).resolve())},
        })
    merged = {name: coerce_setting(name, value) for name, value in [*defaults.items(), *settings]}
    ds = Datasette(
        metadata=metadata, settings=merged,
        plugins_dir=str(packaged("plugins")), template_dir=str(packaged("templates")),
    )
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(db_path), is_mutable=live), name=DATABASE)
    return ds


def prepare(db_path: str | Path) -> Path:
    """Check (and migrate) the database and fold its write-ahead log in, so readers see every row."""
    db_path = Path(db_path)
    db = open_db(db_path, create=False)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return db_path


def serve(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    live: bool = False,
    settings: Iterable[tuple[str, Any]] = (),
    ready: Callable[[str], None] | None = None,
    edit_password: str | None = None,
    workers: int = 1,
) -> int:
    """Run Datasette in the foreground until interrupted; returns an exit code. `ready` is
    called with the URL once the database has been checked, before serving starts. With
    `workers` > 1, that many processes answer on the port (corpus/serve_workers.py)."""
    import uvicorn
    from datasette.cli import run_sync

    path = prepare(db_path)
    if workers > 1:
        from corpus.serve_workers import hold_port, run_workers

        try:
            sock = hold_port(host, port)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        if ready:
            ready(f"http://{host}:{port}/")
        return run_workers(sock, workers, lambda: build(path, live=live, settings=settings,
                                                        edit_password=edit_password).app())
    ds = build(path, live=live, settings=settings, edit_password=edit_password)
    run_sync(ds.invoke_startup)
    if ready:
        ready(f"http://{host}:{port}/")
    try:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
    except KeyboardInterrupt:
        pass
    return 0


def start(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> subprocess.Popen:
    """Start `corpus serve` in the background (tests, demo); the caller stops it."""
    if not Path(db_path).exists():
        raise StoreError(f"database {db_path} does not exist")
    return subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "serve", "--db", str(db_path), "--host", host, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
