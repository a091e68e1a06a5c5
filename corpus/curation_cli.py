"""The curation commands (`corpus correct`, `merge-cases`, `split-case`, `review`, `corrections`):
thin click commands over corpus/curation.py, registered by corpus/cli.py."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from corpus import curation, curation_fields
from corpus.cli import CONTEXT, Fail, cli, db_option, format_table, user_errors
from corpus.database import open_db

note_option = click.option("--note", help="Why: what the source says, in a line.")
by_option = click.option("--by", help="Who decides (default: your login name).")


def _open(db_path: Path):
    return open_db(db_path, create=False)


@click.command("correct", context_settings=CONTEXT)
@click.argument("target_id", metavar="ID")
@click.argument("field")
@click.argument("value")
@db_option
@note_option
@by_option
@user_errors
def correct_command(target_id, field, value, db_path, note, by):
    """Correct a fact of a case (or of a document, by its id). The value is checked against
    the gazetteer, the criminal code and the fact vocabularies; lists are written "a; b"; an
    empty value says the fact is not stated. The correction outlives every `corpus process`,
    `corpus group` and `corpus reextract`.

    A penalty is written "prison 7", "prison 5-7" or "life"; articles "KZ-CC 256; KZ-CC 174".

    Example: corpus correct case-1a2b3c4d5e region "Ulytau region" --note "court in Zhezkazgan"
    """
    db = _open(db_path)
    try:
        row = curation.correct(db, target_id, field, value, note=note, by=by)
    except curation.CurationError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"correction {row['id']}: {row['target']} {target_id} {row['field']}: "
               f"{row['machine_value'] or '(not stated)'} -> {row['value'] or '(not stated)'}", err=True)


@click.command("merge-cases", context_settings=CONTEXT)
@click.argument("keep_id")
@click.argument("other_id")
@db_option
@note_option
@by_option
@user_errors
def merge_cases_command(keep_id, other_id, db_path, note, by):
    """Merge case OTHER_ID into KEEP_ID: its reports join KEEP_ID, which keeps its id; the
    merge holds over every later `corpus group`.

    Example: corpus merge-cases case-1a2b3c4d5e case-6f7a8b9c0d --note "same defendant"
    """
    db = _open(db_path)
    try:
        documents = curation.merge_cases(db, keep_id, other_id, note=note, by=by)
    except curation.CurationError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"merged {other_id} into {keep_id}: {len(documents)} reports", err=True)


@click.command("split-case", context_settings=CONTEXT)
@click.argument("case_id")
@click.argument("document_ids", nargs=-1, required=True)
@db_option
@note_option
@by_option
@user_errors
def split_case_command(case_id, document_ids, db_path, note, by):
    """Move reports out of a case into a new case of their own; the split holds over every
    later `corpus group`. Prints the new case's id.

    Example: corpus split-case case-1a2b3c4d5e 0123456789abcdef --note "another defendant"
    """
    db = _open(db_path)
    try:
        new_id = curation.split_case(db, case_id, document_ids, note=note, by=by)
    except curation.CurationError as exc:
        raise Fail(str(exc)) from None
    click.echo(new_id)


@click.command("review", context_settings=CONTEXT)
@click.argument("case_id")
@click.option("--status", required=True, type=click.Choice(curation.REVIEW_STATUSES))
@db_option
@note_option
@by_option
@user_errors
def review_command(case_id, status, db_path, note, by):
    """Set a case's review status. A reviewed case whose reports or machine values change
    later is flagged and unreviewed again.

    Example: corpus review case-1a2b3c4d5e --status reviewed --note "checked against the verdict"
    """
    db = _open(db_path)
    try:
        curation.review(db, case_id, status, note=note, by=by)
    except curation.CurationError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"case {case_id}: {status}", err=True)


@click.command("corrections", context_settings=CONTEXT)
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the list to this file (default: standard output).")
@click.option("--import", "import_file", type=click.File("r", encoding="utf-8-sig"),
              help="Add the corrections of a CSV written by --format csv (checked first; one bad row imports nothing).")
@user_errors
def corrections_command(db_path, fmt, output, import_file):
    """List the corrections, export them as CSV, or import a CSV of corrections (from a
    spreadsheet, or another copy of the corpus).

    Example: corpus corrections --format csv -o corrections.csv

    Example: corpus corrections --import corrections.csv
    """
    db = _open(db_path)
    if import_file is not None:
        try:
            result = curation.import_csv(db, import_file)
        except curation.CurationError as exc:
            raise Fail(str(exc)) from None
        click.echo(f"imported {result.imported} corrections ({result.skipped} already here)", err=True)
        return
    rows = curation.list_corrections(db)
    with (output.open("w", encoding="utf-8", newline="") if output else contextlib.nullcontext(sys.stdout)) as stream:
        if fmt == "csv":
            curation.write_csv(rows, stream)
        else:
            table = [[str(r["id"]), r["target"], r["target_id"], r["case_id"] or "", r["field"],
                      r["machine_value"] or "", r["value"] or "", r["by"] or "", r["at"] or "", r["note"] or ""]
                     for r in rows]
            for line in format_table(["id", "target", "target_id", "case", "field", "machine", "corrected", "by",
                                      "at", "note"], table):
                stream.write(line + "\n")
    if not rows:
        click.echo("no corrections yet", err=True)


# The fields come from the facts registry: listed in the help as they are.
correct_command.help += ("\n\nCase fields: " + ", ".join(curation_fields.case_fields())
                         + ".\n\nDocument fields: " + ", ".join(curation_fields.document_fields()) + ".")

for command in (correct_command, merge_cases_command, split_case_command, review_command, corrections_command):
    cli.add_command(command)
