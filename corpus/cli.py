"""The `corpus` command line: thin commands over the corpus, crawler and nlp libraries."""

from __future__ import annotations

import functools
import json
import math
import sqlite3
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from crawler.sources import RegistryError
from nlp.vocabulary import LANGUAGES

from corpus.database import StoreError, describe_sqlite_error, open_db
from corpus.locks import stage_lock
from corpus.process import MAX_BATCH_SIZE, MAX_PROCESSES
from corpus.progress import Progress
from corpus.serve_workers import MAX_WORKERS as MAX_SERVE_WORKERS

CONTEXT = {"help_option_names": ["-h", "--help"]}


def db_option(fn):
    return click.option(
        "--db", "db_path", default="corpus.db", show_default=True,
        type=click.Path(dir_okay=False, path_type=Path), help="The corpus database file.",
    )(fn)


# Ports a server can listen on and a browser reach (0 would bind one at random, unannounced).
PORT = click.IntRange(1, 65535)
# The sample site is only reached by the crawl in the same process, so 0 (any free port) works.
SAMPLE_SITE_PORT = click.IntRange(0, 65535)


class Seconds(click.FloatRange):
    """A finite, non-negative number of seconds (click's FloatRange lets nan and inf through)."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds.", param, ctx)
        return seconds


class Fail(click.ClickException):
    """A one-line error for the user; exit code 2 (bad input or configuration)."""

    exit_code = 2


def user_errors(fn):
    """Turn the errors a user can fix into one-line messages and exit code 2; no tracebacks."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StoreError, RegistryError) as exc:
            raise Fail(str(exc)) from None
        except sqlite3.OperationalError as exc:
            # Every write is a transaction: the failed one was rolled back, the file is as it was.
            raise Fail(f"database error, nothing was written: {describe_sqlite_error(exc, kwargs.get('db_path'))}") from None
        except sqlite3.DatabaseError as exc:
            # A damaged or non-database file, found wherever a command first reads the bad page.
            # Its subclasses (IntegrityError, ProgrammingError...) are faults of the code: let them show.
            if type(exc) is not sqlite3.DatabaseError:
                raise
            raise Fail(f"cannot read {kwargs.get('db_path') or 'the database'}: "
                       f"{describe_sqlite_error(exc, kwargs.get('db_path'))}") from None
        except OSError as exc:
            raise Fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    return wrapper


@contextmanager
def stage_db(db_path: Path, stage: str):
    """The database of a stage that rewrites what earlier stages made, under the stage lock
    (corpus/locks.py). The file is checked before the lock file is made beside it."""
    db = open_db(db_path, create=False)
    try:
        with stage_lock(db_path, stage):
            yield db
    finally:
        db.conn.close()


@contextmanager
def locked_database(db_path: Path):
    """The crawl lock of a database, taken before anything else starts; a bad database file is
    reported first."""
    from corpus.crawl import crawl_lock

    open_db(db_path).conn.close()
    with crawl_lock(db_path) as lock:
        yield lock


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="extremism-cases-corpus")
def cli():
    """A corpus of news reports about extremism and terrorism court cases in Kazakhstan and
    Central Asia: crawl, extract, group into cases, publish.

    Example: corpus demo
    """


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--source", "sources", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--sample", is_flag=True, help="Crawl the bundled sample site, served on 127.0.0.1.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Another registry file.")
@click.option("--since", help="Skip articles published before this date (YYYY-MM-DD).")
@click.option("--refresh", is_flag=True, help="Fetch already-seen pages again.")
@click.option("--sample-port", default=None, type=SAMPLE_SITE_PORT,
              help="Port for the sample site (default 8765; 0: any free port).")
@click.option("--contact", envvar="CORPUS_CONTACT", metavar="EMAIL|URL",
              help="Where site owners can reach you; goes into the User-Agent (default: $CORPUS_CONTACT). "
                   "Required for real outlets.")
@click.option("--distributed", metavar="REDIS_URL",
              help="Share the frontier in Redis (scrapy-redis) with crawler processes here and elsewhere; "
                   "this process stores what they find.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(0, 64),
              help="With --distributed: crawler processes to start on this machine (0: only remote ones).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@user_errors
def crawl(db_path, sources, sample, registry, since, refresh, sample_port, contact, distributed, workers, verbose):
    """Crawl the sources into the database (incremental: seen pages are skipped, feeds and
    sitemaps fetched conditionally, an interrupted run resumed).

    With --distributed, the crawl runs on a shared Redis frontier: --workers processes here,
    plus any `corpus crawl-worker REDIS_URL` on other machines; every page is fetched once,
    and this process is the only one that writes the database.

    Exit codes: 0 ok, 1 finished with source errors (or interrupted), 2 configuration error
    (bad registry or options, no contact, another crawl running on this database, Redis
    unreachable).

    Example: corpus crawl --sample

    Example: corpus crawl --sample --distributed redis://127.0.0.1:6379/0 --workers 2
    """
    from crawler.sample_site.server import SAMPLE_PORT, serve
    from crawler.sources import load_sources, sample_sources, select

    from corpus.crawl import CrawlConfigError, run_crawl, sample_alias

    if since and not _is_date(since):
        raise Fail(f"--since must be a date like 2024-01-31, not {since!r}")
    level = "INFO" if verbose else "ERROR"
    extra = {"CORPUS_CONTACT": contact} if contact else {}
    try:
        # The lock first: a second crawl stops here with the lock message, before it starts a server.
        with locked_database(db_path) as lock:
            if sample:
                with serve(port=SAMPLE_PORT if sample_port is None else sample_port) as base:
                    chosen = select(sample_sources(base), sources)
                    result = run_crawl(db_path, chosen, sample=True, since=since, refresh=refresh, log_level=level,
                                       extra_settings=extra, distributed=distributed, workers=workers, lock=lock,
                                       alias=sample_alias(base))
            else:
                chosen = select(load_sources(registry), sources)
                result = run_crawl(db_path, chosen, since=since, refresh=refresh, log_level=level,
                                   extra_settings=extra, distributed=distributed, workers=workers, lock=lock)
    except CrawlConfigError as exc:
        raise Fail(str(exc)) from None
    _report_crawl(result)
    sys.exit(result.exit_code)


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--publish", "publish_to", default="published.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The snapshot `corpus serve` reads.")
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--sample", is_flag=True, help="Crawl the bundled sample site, served on 127.0.0.1.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Another registry file.")
@click.option("--sample-port", default=None, type=SAMPLE_SITE_PORT,
              help="Port for the sample site (default 8765; 0: any free port).")
@click.option("--contact", envvar="CORPUS_CONTACT", metavar="EMAIL|URL",
              help="Where site owners can reach you; goes into the User-Agent (default: $CORPUS_CONTACT).")
@user_errors
def update(db_path, publish_to, names, sample, registry, sample_port, contact):
    """Crawl, process, group and publish in one locked run: what a scheduler calls.

    The crawl lock beside the database is held from the first stage to the last, so a crawl
    or another update started meanwhile exits 2 at once. Each stage is recorded in the
    update_stages table. Publishing copies the database as of one moment (SQLite's backup
    API) to a temporary file beside --publish and renames it over --publish in one step: a
    server reading the old snapshot keeps it whole, and a restarted one opens the new one.
    When the crawl brings nothing new, grouping and publishing are skipped.

    Exit codes: 0 ok, 1 the crawl finished with source errors (the rest still ran and
    published), 2 configuration error or another crawl or update running, 3 a stage failed
    (nothing published).

    Example: corpus update --sample --db corpus.db --publish published.db

    Example: CORPUS_CONTACT=you@example.org corpus update --db /var/lib/corpus/corpus.db --publish /var/lib/corpus/published.db
    """
    from crawler.sample_site.server import SAMPLE_PORT, serve
    from crawler.sources import load_sources, sample_sources, select

    from nlp.embeddings import ModelMissing

    from corpus.crawl import CrawlConfigError, sample_alias
    from corpus.update import run_update

    extra = {"CORPUS_CONTACT": contact} if contact else {}
    try:
        # The lock first: a second update or crawl stops here, before it starts a server.
        with locked_database(db_path) as lock, Progress("updating") as progress:
            if sample:
                with serve(port=SAMPLE_PORT if sample_port is None else sample_port) as base:
                    chosen = select(sample_sources(base), names)
                    result = run_update(db_path, chosen, publish_to, sample=True, extra_settings=extra,
                                        on_step=progress.phase, lock=lock, alias=sample_alias(base))
            else:
                chosen = select(load_sources(registry), names)
                result = run_update(db_path, chosen, publish_to, extra_settings=extra, on_step=progress.phase,
                                    lock=lock)
    except (CrawlConfigError, ModelMissing) as exc:
        raise Fail(str(exc)) from None
    except (StoreError, RegistryError):
        raise
    except Exception as exc:  # a stage failed: recorded in update_stages, nothing published
        click.echo(f"Error: the update stopped, nothing was published: {type(exc).__name__}: {exc}", err=True)
        sys.exit(3)
    rows = [[o.stage, o.status, o.detail] for o in result.stages]
    click.echo(f"update {result.update_id}:", err=True)
    for line in format_table(["stage", "status", "detail"], rows):
        click.echo("  " + line, err=True)
    sys.exit(result.exit_code)


@cli.command("crawl-worker", context_settings=CONTEXT)
@click.argument("redis_url", envvar="CORPUS_REDIS_URL")
@click.option("--wait", default=60.0, show_default=True, type=Seconds(),
              help="Seconds to wait for a crawl job to be published in Redis.")
@click.option("--worker-id", help="Name of this process in the job's stats (default: host-pid-random).")
@user_errors
def crawl_worker(redis_url, wait, worker_id):
    """Join a distributed crawl as one more crawler process (on any machine that reaches the
    Redis server). It takes requests from the shared frontier, fetches and extracts pages and
    hands them to the `corpus crawl --distributed` process that writes the database; it exits
    when the job has no work left. REDIS_URL may come from $CORPUS_REDIS_URL instead (keeps a
    password out of the process list).

    Example: corpus crawl-worker redis://127.0.0.1:6379/0
    """
    from crawler.distributed import WorkerError, run_worker

    try:
        code = run_worker(redis_url, worker_id, wait)
    except WorkerError as exc:
        raise Fail(str(exc)) from None
    sys.exit(code)


@cli.group(context_settings=CONTEXT)
def sources():
    """The source registry (crawler/sources.yml).

    Example: corpus sources check --sample
    """


@sources.command("check", context_settings=CONTEXT)
@click.option("--source", "names", multiple=True, help="Check only this source (repeatable).")
@click.option("--sample", is_flag=True, help="Check the bundled sample site's registry (or --registry's, "
                                             "with {base} the sample site's address), served on 127.0.0.1.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Another registry file.")
@click.option("--sample-port", default=None, type=SAMPLE_SITE_PORT,
              help="Port for the sample site (default 8765; 0: any free port).")
@click.option("--contact", envvar="CORPUS_CONTACT", metavar="EMAIL|URL",
              help="Where site owners can reach you; goes into the User-Agent (default: $CORPUS_CONTACT).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per discovery URL.")
@user_errors
def sources_check(names, sample, registry, sample_port, contact, as_json):
    """Fetch every discovery URL of the registry once, politely (robots.txt, the crawl's
    User-Agent and delays), and say per source: HTTP status, what a crawl would find there
    (sitemap entries, feed items, article links the pattern matches), the newest date seen,
    and what is wrong. Follows no article. The first thing to run on a new machine with a
    network, and after any change to the registry.

    A discovery URL is broken when a crawl would get nothing from it (an HTTP error, no
    answer, an empty sitemap or feed, a page where the article pattern matches no link);
    one that redirects elsewhere works but is reported as moved.

    Exit codes: 0 every source healthy, 1 some source broken, 2 bad registry or options.

    Example: corpus sources check --sample

    Example: CORPUS_CONTACT=you@example.org corpus sources check --source tengrinews
    """
    from crawler.sample_site.server import SAMPLE_PORT, serve
    from crawler.sources import load_sources, sample_sources, select

    from corpus.crawl import CrawlConfigError, check_sources

    extra = {"CORPUS_CONTACT": contact} if contact else {}
    try:
        if sample:
            with serve(port=SAMPLE_PORT if sample_port is None else sample_port) as base:
                chosen = select(load_sources(registry, base=base) if registry else sample_sources(base), names)
                checks = check_sources(chosen, sample=True, extra_settings=extra)
        else:
            chosen = select(load_sources(registry), names)
            checks = check_sources(chosen, extra_settings=extra)
    except CrawlConfigError as exc:
        raise Fail(str(exc)) from None
    if as_json:
        for c in checks:
            click.echo(json.dumps({**c.__dict__, "broken": c.broken}, ensure_ascii=False))
    else:
        rows = [[c.source, c.method, "" if c.status is None else str(c.status), str(c.items), c.newest or "",
                 "BROKEN: " + c.problem if c.problem else (c.warning or "ok"), c.url] for c in checks]
        for line in format_table(["source", "method", "status", "found", "newest", "state", "url"], rows):
            click.echo(line)
    broken = sorted({c.source for c in checks if c.broken})
    click.echo(f"{len(chosen) - len(broken)} of {len(chosen)} sources healthy"
               + (f"; broken: {', '.join(broken)}" if broken else ""), err=True)
    sys.exit(1 if broken else 0)


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of an aligned plain-text table: a header, then one line per row; numbers right-aligned."""
    if not rows:
        return []
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    numeric = [all(str(r[i]).replace(".", "", 1).isdigit() or r[i] == "" for r in rows) for i in range(len(headers))]

    def line(cells):
        return "  ".join((str(c).rjust(w) if num else str(c).ljust(w)) for c, w, num in zip(cells, widths, numeric)).rstrip()
    return [line(headers)] + [line(r) for r in rows]


def _is_date(value: str) -> bool:
    import datetime as dt
    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


# Column names of the per-source counts (crawler.stats.SOURCE_COUNTS), the same in the crawl's
# summary and in `corpus runs --detail`.
COUNT_NAMES = {"pages": "article pages", "not_modified": "not modified", "skipped": "seen before",
               "skipped_old": "too old"}


def source_table(per_source: dict[str, dict[str, int]]) -> list[str]:
    """Per-source counts with a header and a total line that adds them up."""
    from crawler.stats import SOURCE_COUNTS

    rows = [[name] + [str(counts.get(key, 0)) for key in SOURCE_COUNTS] for name, counts in per_source.items()]
    if len(rows) > 1:
        rows.append(["total"] + [str(sum(c.get(key, 0) for c in per_source.values())) for key in SOURCE_COUNTS])
    return format_table(["source"] + [COUNT_NAMES.get(k, k) for k in SOURCE_COUNTS], rows)


def _report_crawl(result) -> None:
    articles = sum(c.get("pages", 0) for c in result.per_source.values())
    click.echo(f"run {result.run_id}: {result.status}: {result.pages_fetched} responses ({articles} article pages, "
               f"{result.pages_fetched - articles} robots.txt, feeds, sitemaps and listings), "
               f"{result.stored} documents stored, {result.errors} errors", err=True)
    if getattr(result, "resumed", False):
        click.echo("  (resumed the frontier of an interrupted run)", err=True)
    if getattr(result, "workers", None):
        click.echo("  crawler processes: " + ", ".join(f"{w}: {n} responses" for w, n in result.workers.items()),
                   err=True)
    for line in source_table(result.per_source):
        click.echo("  " + line, err=True)
    for name, messages in getattr(result, "error_messages", {}).items():
        for message in messages[:5]:
            click.echo(f"  {name}: error: {message}", err=True)


@cli.command(context_settings=CONTEXT)
@click.argument("file", default="-", type=click.File("r", encoding="utf-8"))
@click.option("--lang", type=click.Choice(["auto", *LANGUAGES]), default="auto", show_default=True)
@click.option("--published", help="Publication date (YYYY-MM-DD): resolves relative dates.")
@user_errors
def extract(file, lang, published):
    """Extract case facts from one text (a file, or - for standard input) and print JSON.

    Example: echo "Суд приговорил жителя Семея к 7 годам по ч. 2 ст. 256 УК РК" | corpus extract -
    """
    from nlp import extract as extract_facts
    from nlp.chunks import TextTooLong

    if published and not _is_date(published):
        raise Fail(f"--published must be a date like 2024-01-31, not {published!r}")
    try:
        text = file.read()
    except UnicodeDecodeError:
        raise Fail("the input is not UTF-8 text") from None
    if not text.strip():
        raise Fail("the input text is empty")
    try:
        facts = extract_facts(text, lang=lang, published=published)
    except TextTooLong as exc:
        raise Fail(str(exc)) from None
    click.echo(json.dumps(facts.public(), ensure_ascii=False, indent=1))


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--all", "everything", is_flag=True, help="Reprocess every document, not only new or changed ones.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, MAX_BATCH_SIZE),
              help="Documents extracted and written per transaction.")
@click.option("--n-process", default=1, show_default=True, type=click.IntRange(1, MAX_PROCESSES),
              help="Worker processes for spaCy.")
@user_errors
def process(db_path, everything, batch_size, n_process):
    """Run the NLP pipelines over every document not yet processed (or changed since).

    Example: corpus process --db corpus.db
    """
    from corpus.process import count_pending, run_process

    with stage_db(db_path, "process") as db:
        total = count_pending(db, everything=everything)
        start = time.time()
        with Progress("processing", total=total, unit="documents") as progress:
            result = run_process(db, batch_size=batch_size, n_process=n_process,
                                 everything=everything, progress=progress.advance)
    click.echo(f"processed {result.processed} documents, {result.mentions} mentions "
               f"in {time.time() - start:.1f}s", err=True)
    if result.too_long:
        from nlp.chunks import MAX_TEXT_CHARS

        click.echo(f"left {len(result.too_long)} documents unprocessed, longer than {MAX_TEXT_CHARS:,} characters: "
                   + ", ".join(result.too_long[:10]) + (", ..." if len(result.too_long) > 10 else ""), err=True)


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--rebuild", is_flag=True, help="Embed every document again (new model), then regroup.")
@click.option("--explain", "explain_id", metavar="CASE_ID",
              help="Do not regroup: print why each report is in case CASE_ID (the report it links to, the "
                   "facts shared, the contradictions checked, the similarity and the score).")
@user_errors
def group(db_path, rebuild, explain_id):
    """Group processed case reports into cases; case ids stay stable across runs.

    Incremental by default: only documents without a vector are embedded; every case report
    is then regrouped with ids carried over. The embedding model is configuration
    (CORPUS_EMBEDDING_MODEL names any sentence-transformers model).

    Example: corpus group --db corpus.db

    Example: corpus group --explain case-0123456789 --db corpus.db
    """
    from nlp.embeddings import ModelMissing

    from corpus.cases import case_explanation, run_group

    if explain_id is not None:
        if rebuild:
            raise Fail("--explain reads the last grouping; run --rebuild on its own")
        rows = case_explanation(open_db(db_path, create=False, readonly=True), explain_id)
        if rows is None:
            raise Fail(f"no case {explain_id!r} in {db_path} (case ids are in the cases table)")
        click.echo(f"case {explain_id}: {len(rows)} report{'s' if len(rows) != 1 else ''}")
        for r in rows:
            click.echo(f"{r['document_id']}  {r['lang']}  {r['published'] or '(no date)'}  {r['title'] or ''}")
            click.echo(f"    {r['explanation'] or 'no explanation recorded: run corpus group'}")
        return

    with stage_db(db_path, "group") as db:
        try:
            with Progress("grouping") as progress:
                result = run_group(db, rebuild=rebuild, on_step=progress.phase)
        except ModelMissing as exc:
            raise Fail(str(exc)) from None
    click.echo(f"{result.documents} case reports in {result.cases} cases "
               f"({result.multi_document_cases} with several reports, "
               f"{result.cross_language_cases} across languages)", err=True)


@cli.command("group-texts", context_settings=CONTEXT)
@click.argument("file", type=click.File("rb"))
@user_errors
def group_texts(file):
    """Group texts without a database: reads JSON lines {"id", "text", "lang"?, "published"?,
    "title"?}, prints {"id", "case_id"} per line. Ids must be unique; a line that is not UTF-8
    JSON with fields of the right types stops the run with its line number.

    Example: corpus group-texts reports.jsonl
    """
    from corpus.cases import group_texts as run
    from corpus.text_rows import TextRowError, read_rows

    try:
        rows = read_rows(file)
    except TextRowError as exc:
        raise Fail(str(exc)) from None
    for out in run(rows):
        click.echo(json.dumps(out, ensure_ascii=False, allow_nan=False))


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")
@click.option("--port", default=8001, show_default=True, type=PORT)
@click.option("--live", is_flag=True,
              help="Open the file read-only but not immutable, for a database a scheduled crawl still writes.")
@click.option("--setting", "settings", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A Datasette setting over metadata.yml's, e.g. --setting base_url /cases/ (repeatable).")
@click.option("--edit", is_flag=True,
              help="For the study team, on 127.0.0.1 only: log in at /-/login as \"editor\" with the password "
                   "in $CORPUS_EDIT_PASSWORD to correct, merge, split and review cases on their pages.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, MAX_SERVE_WORKERS),
              help="Server processes answering on the port (one per core serves many readers at once).")
@user_errors
def serve(db_path, host, port, live, settings, edit, workers):
    """Serve the corpus with Datasette, read-only: search, facets, case pages, map and charts.

    Example: corpus serve --port 8001

    Example: CORPUS_EDIT_PASSWORD=... corpus serve --edit --db corpus.db

    Example: corpus serve --workers 4 --host 0.0.0.0
    """
    import os

    from corpus.serve import EDIT_PASSWORD_ENV, serve as run

    password = None
    if edit:
        if host != "127.0.0.1":
            raise Fail("--edit serves on 127.0.0.1 only: the forms write to the database")
        password = os.environ.get(EDIT_PASSWORD_ENV)
        if not password:
            raise Fail(f"--edit needs a password in ${EDIT_PASSWORD_ENV}")
    mode = " (edit mode: log in at /-/login)" if edit else ""
    processes = f" ({workers} processes)" if workers > 1 else ""
    sys.exit(run(db_path, host=host, port=port, live=live, settings=settings, edit_password=password,
                 workers=workers, ready=lambda url: click.echo(f"serving {db_path} on {url}{mode}{processes}", err=True)))


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Runs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (with per-source counts and errors).")
@click.option("--detail", is_flag=True, help="Per-source counts and error messages under each run.")
@user_errors
def runs(db_path, limit, as_json, detail):
    """Show the crawl history, newest first.

    Example: corpus runs -n 5 --detail
    """
    db = open_db(db_path, create=False, readonly=True)
    # Read-only, so a file of an earlier version is read as it is: its missing columns read as NULL.
    have = set(db["crawl_runs"].columns_dict) if db["crawl_runs"].exists() else set()
    columns = ["id", "started", "finished", "status", "exit_code", "resumed", "sources", "pages_fetched",
               "documents_stored", "pages_rejected", "errors", "source_counts", "error_log", "workers"]
    rows = list(db.query(
        f"SELECT {', '.join(c if c in have else f'NULL AS {c}' for c in columns)} FROM crawl_runs "
        "ORDER BY id DESC LIMIT ?", [limit])) if have else []
    for r in rows:
        for key in ("source_counts", "error_log", "workers"):
            r[key] = json.loads(r[key] or "{}")
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        click.echo("no crawl runs yet")
        return
    table = [[str(r["id"]), r["started"] or "", r["status"] + (" (resumed)" if r["resumed"] else ""),
              str(r["pages_fetched"] or 0), str(sum(c.get("pages", 0) for c in r["source_counts"].values())),
              str(r["documents_stored"] or 0), str(r["pages_rejected"] or 0), str(r["errors"] or 0), r["sources"] or ""]
             for r in rows]
    headers = ["run", "started", "status", "responses", "article pages", "stored", "rejected", "errors", "sources"]
    lines = format_table(headers, table)
    click.echo(lines[0])
    for r, line in zip(rows, lines[1:]):
        click.echo(line)
        if detail:
            for sub in source_table(r["source_counts"]):
                click.echo("      " + sub)
            for name, messages in r["error_log"].get("messages", {}).items():
                for message in messages:
                    click.echo(f"      {name}: error: {message}")
            if r["workers"]:
                click.echo("      crawler processes: " + ", ".join(f"{w} {n} fetched" for w, n in r["workers"].items()))


@cli.command(context_settings=CONTEXT)
@db_option
@user_errors
def reextract(db_path):
    """Rebuild documents from the stored raw pages, with no network (after improving the
    extractor, say): decoding, extraction, language, relevance, hashes and duplicate links.

    Example: corpus reextract --db corpus.db
    """
    from corpus.rebuild import rebuild_documents

    with stage_db(db_path, "reextract") as db:
        result = rebuild_documents(db)
    click.echo(f"re-extracted {result['pages']} pages: {result['changed']} documents changed, "
               f"{result['kept']} kept as they were (the page no longer passes); "
               f"{result['rejected']} rejected pages judged again, {result['admitted']} now stored as documents",
               err=True)


def _realtext_records(gold_paths) -> list[dict]:
    """The labelled real-report records named by --gold, for scoring with --texts."""
    from corpus.realtext import RealTextError, load_records

    if not gold_paths:
        raise Fail("--texts needs the labelled records: --gold tests/realtext/FILE.jsonl (repeatable)")
    try:
        return load_records(list(gold_paths))
    except RealTextError as exc:
        raise Fail(str(exc)) from None


def _evaluate_grouping(gold_paths, texts_dir, show_errors):
    from nlp.evaluate import load_gold

    from corpus.group_evaluation import evaluate_grouping, format_report, realtext_rows

    if texts_dir:
        records = _realtext_records(gold_paths)
        rows, _ = realtext_rows(records, texts_dir)
        if not rows:
            raise Fail(f"none of the {len(records)} labelled texts is in {texts_dir} (see tests/realtext/README.md)")
    else:
        paths = gold_paths or (Path(__file__).resolve().parent.parent / "tests" / "gold" / "groups.jsonl",)
        rows = []
        for path in paths:
            if not Path(path).exists():
                raise Fail(f"gold file {path} does not exist (use --gold)")
            try:
                rows += load_gold(path)
            except ValueError as exc:
                raise Fail(f"{path}: not a gold file ({exc})") from None
        if any(not isinstance(r, dict) or not isinstance(r.get("text"), str) or "case" not in r for r in rows):
            raise Fail("a grouping gold line needs \"id\", \"text\" and \"case\" (or use --texts for real reports)")
    click.echo(format_report(evaluate_grouping(rows), errors=show_errors))


@cli.command(context_settings=CONTEXT)
@click.option("--gold", "gold_paths", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Gold file (default: tests/gold/extraction.jsonl); with --texts, labelled real reports "
                   "(tests/realtext/*.jsonl; repeatable).")
@click.option("--texts", "texts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of retrieved real-report texts (<sha1>.txt): score the real-report set.")
@click.option("--errors", "show_errors", is_flag=True, help="List every disagreement with the gold.")
@click.option("--grouping", is_flag=True,
              help="Score case grouping as group-texts does it: pairwise and B-cubed F1, cross-language pairs, "
                   "near misses merged, non-case pages joined, case reports left out (default gold: "
                   "tests/gold/groups.jsonl; with --texts, the labelled real reports).")
@user_errors
def evaluate(gold_paths, texts_dir, show_errors, grouping):
    """Score extraction (P/R/F1 per field and language) against the hand-written gold snippets,
    or, with --texts, against the labelled real reports (also document type and the crawl's
    relevance gate); with --grouping, score case grouping instead.

    Example: corpus evaluate --errors
    Example: corpus evaluate --gold tests/realtext/ru-case.jsonl --gold tests/realtext/look.jsonl --texts texts/
    Example: corpus evaluate --grouping --gold tests/realtext/grp.jsonl --texts texts/ --errors
    """
    if grouping:
        _evaluate_grouping(gold_paths, texts_dir, show_errors)
        return
    if texts_dir:
        from corpus.realtext import format_scores, score

        records = _realtext_records(gold_paths)
        result = score(records, texts_dir)
        if not result.pages:
            raise Fail(f"none of the {len(records)} labelled texts is in {texts_dir} (see tests/realtext/README.md)")
        click.echo(format_scores(result))
        errors = result.errors
    else:
        from nlp.evaluate import evaluate as run, format_table, load_gold

        gold_path = gold_paths[0] if gold_paths else (
            Path(__file__).resolve().parent.parent / "tests" / "gold" / "extraction.jsonl")
        if not gold_path.exists():
            raise Fail(f"gold file {gold_path} does not exist (use --gold)")
        try:
            gold = load_gold(gold_path)
        except (ValueError, KeyError) as exc:
            raise Fail(f"{gold_path}: not a gold file ({exc})") from None
        scores, errors = run(gold)
        click.echo(f"{len(gold)} snippets from {gold_path}")
        click.echo(format_table(scores))
    if show_errors:
        for e in errors:
            click.echo(f"{e['id']}\t{e['field']}\tmissing={e['missing']}\textra={e['extra']}")


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--port", default=8001, show_default=True, type=PORT, help="Datasette port.")
@click.option("--sample-port", default=None, type=SAMPLE_SITE_PORT,
              help="Port for the sample site (default 8765; 0: any free port).")
@click.option("--no-serve", is_flag=True, help="Build the corpus and stop, without serving it.")
@user_errors
def demo(db_path, port, sample_port, no_serve):
    """Offline demo: serve the sample site, crawl it, extract, group, then serve Datasette.

    Example: corpus demo --db corpus.db
    """
    from crawler.sample_site.server import SAMPLE_PORT, serve as serve_site
    from crawler.sources import sample_sources

    from corpus.cases import run_group
    from corpus.crawl import run_crawl, sample_alias
    from corpus.process import run_process
    from corpus.serve import serve as run_serve
    from corpus.database import counts

    click.echo("1/4 crawling the sample site...", err=True)
    with serve_site(port=SAMPLE_PORT if sample_port is None else sample_port) as base:
        result = run_crawl(db_path, sample_sources(base), sample=True, log_level="ERROR", alias=sample_alias(base))
    _report_crawl(result)
    from nlp.embeddings import ModelMissing

    with stage_db(db_path, "demo") as db:
        click.echo("2/4 extracting facts...", err=True)
        processed = run_process(db)
        click.echo(f"  processed {processed.processed} documents, {processed.mentions} mentions", err=True)
        click.echo("3/4 grouping into cases...", err=True)
        try:
            grouped = run_group(db)
        except ModelMissing as exc:
            raise Fail(str(exc)) from None
        click.echo(f"  {grouped.cases} cases, {grouped.cross_language_cases} across languages", err=True)
        click.echo("  " + ", ".join(f"{k}: {v}" for k, v in counts(db).items()), err=True)
    if no_serve:
        return
    click.echo(f"4/4 serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)", err=True)
    sys.exit(run_serve(db_path, port=port))


@click.command("export", context_settings=CONTEXT)
@click.argument("table", type=click.Choice(["cases", "documents", "mentions"]))
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl", "parquet"]),
              help="Output format (default: from the -o suffix, else csv).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output file; FILE.codebook.md and FILE.codebook.csv are written beside it. "
                   "Without -o the rows go to standard output and no codebook is written.")
@click.option("--since", help="From this date on (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", help="Up to this date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--region", "regions", multiple=True, help='Case region (repeatable; "not stated" selects cases with none).')
@click.option("--article", "articles", multiple=True, help='Article, "KZ-CC 256" or "256" (repeatable).')
@click.option("--lang", "langs", multiple=True, help="Report language, e.g. ru (repeatable).")
@user_errors
def export_command(table, db_path, fmt, output, since, until, regions, articles, langs):
    """Export cases, documents or mentions as CSV, JSON, JSON lines or Parquet.

    Rows are ordered (cases and documents by id, mentions by document and offset). List
    columns are JSON arrays in json/jsonl, list columns in Parquet, and joined by "; " in CSV.
    Dates filter a case by its first event (else first report), a document by publication;
    mentions follow their document. Region matches a document or mention through its case.

    Example: corpus export cases --format parquet -o cases.parquet --region Almaty --since 2019
    """
    from corpus.export import ExportError, Filters, export

    db = open_db(db_path, create=False, readonly=True)
    try:
        filters = Filters(since=since, until=until, regions=regions, articles=articles, langs=langs)
        if output is None:
            binary = fmt == "parquet"
            if binary and sys.stdout.isatty():
                raise Fail("Parquet is binary: write it to a file with -o")
            stream = sys.stdout.buffer if binary else sys.stdout
            try:
                # Rows printed to a terminal: no live line among them.
                with Progress(f"exporting {table}", unit="rows", live=False if sys.stdout.isatty() else None) as progress:
                    result = export(db, table, fmt, None, filters, stream=stream, progress=progress.advance)
                stream.flush()
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error; keep Python's exit flush quiet.
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(0)
        else:
            with Progress(f"exporting {table}", unit="rows") as progress:
                result = export(db, table, fmt, output, filters, progress=progress.advance)
    except ExportError as exc:
        raise Fail(str(exc)) from None
    where = f"{result.path} (codebook: {', '.join(p.name for p in result.codebooks)})" if result.path else "stdout"
    click.echo(f"exported {result.rows} {table} rows as {result.format} to {where}", err=True)


@click.command("report", context_settings=CONTEXT)
@db_option
@click.option("-o", "--output", "out_dir", default="report", show_default=True,
              type=click.Path(path_type=Path), help="Directory for index.html and figures/.")
@click.option("--by", "criteria", multiple=True,
              help="Criterion for the comparison tables (repeatable): region, article, stage, gender, "
                   "organisation, platform, year, or a cases column. Default: region, article, stage, year.")
@click.option("--figures", "image_format", type=click.Choice(["png", "svg"]), default="png", show_default=True,
              help="Image format of the figures.")
@click.option("--reviewed-only", is_flag=True, help="Compare only the cases a person reviewed (corpus review).")
@user_errors
def report_command(db_path, out_dir, criteria, image_format, reviewed_only):
    """Write the case-comparison report: static HTML with figures (cases per year and region,
    penalties by article, article x region, a map, organisations and the online services used), tables
    comparing cases by the --by criteria, coverage, and the corpus and model versions.

    Example: corpus report -o report --by region --by article --by platform
    """
    from corpus.comparison import ReportError, build_report

    db = open_db(db_path, create=False, readonly=True)
    try:
        with Progress("report") as progress:
            result = build_report(db, out_dir, by=criteria, image_format=image_format, on_step=progress.phase,
                                  reviewed_only=reviewed_only)
    except ReportError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"report on {result.cases} {'reviewed ' if reviewed_only else ''}cases from {result.documents} documents, "
               f"{len(result.figures)} figures: {result.path}", err=True)


# Commands defined beside the modules they drive are registered here.
# (more commands: keep this marker)
cli.add_command(export_command)
cli.add_command(report_command)
import corpus.curation_cli  # noqa: E402,F401  (adds correct, merge-cases, split-case, review, corrections)


if __name__ == "__main__":
    # Run as `python -m corpus.cli`, this file is __main__: the commands defined beside their
    # modules are registered on the imported corpus.cli's group.
    from corpus.cli import cli as command_line

    command_line()
