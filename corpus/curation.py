"""Curation: people's corrections, merges, splits and reviews of cases, kept as data and applied
after every extraction and grouping, so no re-run loses one.

- A correction (`corrections`) names a case or a document, a field (corpus/curation_fields.py),
  the machine's value when it was made and the corrected value. Case corrections are applied to
  the case rows each time corpus/cases.py builds them (`apply_to_cases`); document corrections to
  the documents after each `corpus process` (`apply_to_documents`), so grouping sees them too.
- A merge or a split (`case_edits`) is replayed over the machine's grouping as a constraint on
  documents (`constrain_groups`): the documents of a merge stay in one case, those of a split in
  one case of their own. Case ids then carry over as usual, and a correction of a case whose id
  was merged into another follows it through `case_history`.
- A review (`case_reviews`) holds the status (unreviewed, reviewed, disputed) and the reports
  the case had when a person last decided on it. A case whose reports changed since, or whose
  corrected field the machine now reads differently, is flagged (`cases.review_flag`) and is
  unreviewed again until a person reviews it: nothing is silently kept or overwritten.

Every write is one transaction, and refreshes the case rows it touches (their full-text index
follows by trigger).
"""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import IO, Iterable

import sqlite_utils

from corpus import summaries
from corpus.curation_fields import BadValue, Field, field_of
from corpus.database import now, to_json
from corpus.transaction import transaction

REVIEW_STATUSES = ("unreviewed", "reviewed", "disputed")
# The columns of `corpus corrections --format csv`, in order; an import needs target_id, field
# and value, and reads the others when present.
CSV_COLUMNS = ("id", "target", "target_id", "case_id", "field", "machine_value", "value", "note", "by", "at", "flag")
# Following merges from a corrected case id to the case that holds its reports now stops here
# (a longer chain means the history loops).
MAX_MERGE_CHAIN = 1000


class CurationError(Exception):
    """A correction, merge, split, review or import that cannot be made; one line for the user."""


def person(by: str | None) -> str:
    """Who made a change: the name given, else the login name."""
    if by and by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _members(db: sqlite_utils.Database, case_id: str) -> list[str]:
    return [r["document_id"] for r in db.query(
        "SELECT document_id FROM case_documents WHERE case_id = ? ORDER BY document_id", [case_id])]


def _case(db: sqlite_utils.Database, case_id: str) -> dict:
    row = next(db.query("SELECT * FROM cases WHERE id = ?", [case_id]), None)
    if row is None:
        raise CurationError(f"no case {case_id!r}")
    return row


def target_of(db: sqlite_utils.Database, target_id: str) -> str:
    """"case" or "document": what an id names."""
    if next(db.query("SELECT 1 FROM cases WHERE id = ?", [target_id]), None):
        return "case"
    if next(db.query("SELECT 1 FROM documents WHERE id = ?", [target_id]), None):
        return "document"
    raise CurationError(f"no case or document {target_id!r}")


def _field(target: str, name: str) -> Field:
    try:
        return field_of(target, name)
    except BadValue as exc:
        raise CurationError(str(exc)) from None


def _canonical(field: Field, row: dict, value: str) -> tuple[dict, str]:
    """The columns a value sets and the value as the field shows it (how it is stored)."""
    try:
        columns = field.parse(value)
    except BadValue as exc:
        raise CurationError(f"{field.name}: {exc}") from None
    return columns, field.show({**row, **columns})


def machine_value(field: Field, row: dict) -> str:
    """The machine's value of a field on a case row (kept aside when the field is corrected)."""
    kept = json.loads(row.get("machine_values") or "{}")
    return kept[field.name] if field.name in kept else field.show(row)


# --- writes ---------------------------------------------------------------------------------

def correct(db: sqlite_utils.Database, target_id: str, field_name: str, value: str, *,
            note: str | None = None, by: str | None = None, at: str | None = None) -> dict:
    """Record a correction and apply it at once; returns the corrections row."""
    target = target_of(db, target_id)
    field = _field(target, field_name)
    with transaction(db):
        row = _record(db, target, target_id, field, value, note=note, by=by, at=at)
        refresh_cases(db, _cases_of(db, target, target_id))
    return row


def _record(db, target: str, target_id: str, field: Field, value: str, *, note, by, at,
            machine: str | None = None) -> dict:
    if target == "case":
        current = _case(db, target_id)
        _, canonical = _canonical(field, current, value)
        machine = machine_value(field, current)
        _decided(db, target_id)
    else:
        current = db["documents"].get(target_id)
        columns, canonical = _canonical(field, current, value)
        earlier = next(db.query(
            "SELECT machine_value FROM corrections WHERE target = 'document' AND target_id = ? AND field = ? "
            "ORDER BY id LIMIT 1", [target_id, field.name]), None)
        machine = earlier["machine_value"] if earlier else field.show(current)
        db["documents"].update(target_id, columns)
        for case_id in _cases_of(db, target, target_id):
            _decided(db, case_id)
    row = {"target": target, "target_id": target_id, "field": field.name, "machine_value": machine,
           "value": canonical, "note": note or None, "by": person(by), "at": at or now(), "flag": None}
    row["id"] = db["corrections"].insert(row).last_pk
    return row


def _cases_of(db, target: str, target_id: str) -> list[str]:
    if target == "case":
        return [target_id]
    return [r["case_id"] for r in db.query("SELECT case_id FROM case_documents WHERE document_id = ?", [target_id])]


def _decided(db, case_id: str, status: str | None = None, note: str | None = None, by: str | None = None) -> None:
    """A person decided on a case: its reports now are the ones a later change is measured against."""
    old = db["case_reviews"].get(case_id) if db["case_reviews"].count_where("case_id = ?", [case_id]) else {}
    db["case_reviews"].upsert({
        "case_id": case_id, "status": status or old.get("status") or "unreviewed",
        "note": note if status else old.get("note"), "by": person(by) if status else old.get("by"),
        "at": now() if status else old.get("at"), "documents": to_json(_members(db, case_id))}, pk="case_id")


def review(db: sqlite_utils.Database, case_id: str, status: str, *, note: str | None = None,
           by: str | None = None) -> dict:
    """Set a case's review status. The reviewer has seen the case as it is: its flags clear, and
    its corrections now measure the machine's values against today's."""
    if status not in REVIEW_STATUSES:
        raise CurationError(f"status must be one of {', '.join(REVIEW_STATUSES)}, not {status!r}")
    case = _case(db, case_id)
    resolve = _resolver(db, {case_id})
    with transaction(db):
        # Reviews of cases the grouping merged into this one are superseded by this one.
        for rev in list(db.query("SELECT case_id FROM case_reviews WHERE case_id != ?", [case_id])):
            if resolve(rev["case_id"]) == case_id:
                db.execute("DELETE FROM case_reviews WHERE case_id = ?", [rev["case_id"]])
        _decided(db, case_id, status, note, by)
        for corr in corrections_of_case(db, case_id):
            field = field_of("case", corr["field"])
            db["corrections"].update(corr["id"], {"target_id": case_id, "machine_value": machine_value(field, case)})
        db.execute("UPDATE corrections SET flag = NULL WHERE target = 'document' AND target_id IN "
                   "(SELECT document_id FROM case_documents WHERE case_id = ?)", [case_id])
        refresh_cases(db, [case_id])
    return db["case_reviews"].get(case_id)


def merge_cases(db: sqlite_utils.Database, keep_id: str, other_id: str, *, note: str | None = None,
                by: str | None = None) -> list[str]:
    """Merge case `other_id` into `keep_id`; returns the documents of the merged case."""
    if keep_id == other_id:
        raise CurationError("a case cannot be merged with itself")
    _case(db, keep_id), _case(db, other_id)
    documents = _members(db, keep_id) + _members(db, other_id)
    who = person(by)
    with transaction(db):
        db["case_edits"].insert({"action": "merge", "case_id": keep_id, "other_case_id": other_id,
                                 "documents": to_json(sorted(documents)), "note": note, "by": who, "at": now()})
        db.execute("UPDATE case_documents SET case_id = ? WHERE case_id = ?", [keep_id, other_id])
        db["case_history"].insert({"case_id": other_id, "event": "merged_into", "other_case_id": keep_id,
                                   "at": now(), "detail": _detail("merged", who, note)})
        db.execute("DELETE FROM case_reviews WHERE case_id = ?", [other_id])
        _decided(db, keep_id)
        refresh_cases(db, [keep_id, other_id])
    return sorted(documents)


def split_case(db: sqlite_utils.Database, case_id: str, document_ids: Iterable[str], *,
               note: str | None = None, by: str | None = None) -> str:
    """Move `document_ids` out of a case into a new case of their own; returns its id."""
    from corpus.cases import _new_id

    _case(db, case_id)
    moving = sorted(set(document_ids))
    members = _members(db, case_id)
    strangers = [d for d in moving if d not in members]
    if not moving:
        raise CurationError("name the documents that leave the case")
    if strangers:
        raise CurationError(f"not reports of case {case_id}: {', '.join(strangers)}")
    if len(moving) == len(members):
        raise CurationError(f"these are all the reports of case {case_id}: nothing would be left to split from")
    taken = {r["id"] for r in db.query("SELECT id FROM cases")} | {
        r["case_id"] for r in db.query("SELECT case_id FROM case_history")}
    new_id = _new_id(moving[0], taken)
    who = person(by)
    with transaction(db):
        db["case_edits"].insert({"action": "split", "case_id": case_id, "other_case_id": new_id,
                                 "documents": to_json(moving), "note": note, "by": who, "at": now()})
        db["cases"].insert({"id": new_id})  # filled by refresh_cases below; case_documents points at it
        db.execute("UPDATE case_documents SET case_id = ? WHERE document_id IN (SELECT value FROM json_each(?))",
                   [new_id, json.dumps(moving)])
        db["case_history"].insert({"case_id": new_id, "event": "split", "other_case_id": case_id,
                                   "at": now(), "detail": _detail("split", who, note)})
        _decided(db, case_id)
        _decided(db, new_id)
        refresh_cases(db, [case_id, new_id])
    return new_id


def _detail(action: str, who: str, note: str | None) -> str:
    return f"{action} by {who}" + (f": {note}" if note else "")


# --- applying what people decided -------------------------------------------------------------

def constrain_groups(db: sqlite_utils.Database, groups: list[list[str]]) -> list[list[str]]:
    """The machine's groups of documents with people's merges and splits replayed in the order
    they were made. Documents that are no longer case reports are left out of each."""
    edits = list(db.query("SELECT action, documents FROM case_edits ORDER BY id")) if db["case_edits"].exists() else []
    if not edits:
        return groups
    sets = [set(g) for g in groups]
    where = {d: i for i, g in enumerate(sets) for d in g}
    for edit in edits:
        docs = [d for d in json.loads(edit["documents"]) if d in where]
        if not docs:
            continue
        if edit["action"] == "merge":
            into = where[docs[0]]
            for i in {where[d] for d in docs} - {into}:
                for d in sets[i]:
                    where[d] = into
                sets[into] |= sets[i]
                sets[i] = set()
        else:
            for d in docs:
                sets[where[d]].discard(d)
                where[d] = len(sets)
            sets.append(set(docs))
    return [sorted(s) for s in sets if s]


def _merged_into(db, events: Iterable[dict]) -> dict[str, str]:
    out = {r["case_id"]: r["other_case_id"] for r in db.query(
        "SELECT case_id, other_case_id FROM case_history WHERE event = 'merged_into' ORDER BY id")}
    out.update({e["case_id"]: e["other_case_id"] for e in events if e["event"] == "merged_into"})
    return out


def _resolver(db, current: set[str], events: Iterable[dict] = ()):
    merged = _merged_into(db, events)

    def resolve(case_id: str) -> str | None:
        for _ in range(MAX_MERGE_CHAIN):
            if case_id in current:
                return case_id
            if case_id not in merged:
                return None
            case_id = merged[case_id]
        return None
    return resolve


def apply_to_cases(db: sqlite_utils.Database, rows: list[dict], members: dict[str, list[str]],
                   events: Iterable[dict] = ()) -> list[dict]:
    """The case rows the machine built, with people's corrections applied, the machine's values
    of corrected fields kept aside, and each case's review status and flag."""
    by_id = {r["id"]: r for r in rows}
    # The machine's values, read before any correction changes a row (a place sets a region too).
    made = {r["id"]: dict(r) for r in rows}
    resolve = _resolver(db, set(by_id), events)
    flags: dict[str, list[str]] = defaultdict(list)
    machine: dict[str, dict[str, str]] = defaultdict(dict)
    for corr in db.query("SELECT * FROM corrections WHERE target = 'case' ORDER BY id"):
        case_id = resolve(corr["target_id"])
        if case_id is None:
            continue
        row, field = by_id[case_id], field_of("case", corr["field"])
        if field.name not in machine[case_id]:
            machine[case_id][field.name] = field.show(made[case_id])
            if machine[case_id][field.name] != corr["machine_value"]:
                flags[case_id].append(f"the machine's {field.name} is now {machine[case_id][field.name]!r}, "
                                      f"was {corr['machine_value']!r} when corrected")
        try:
            row.update(field.parse(corr["value"]))
        except BadValue as exc:
            flags[case_id].append(f"correction {corr['id']} no longer applies: {exc}")
    for corr in db.query("SELECT target_id, field, flag FROM corrections WHERE target = 'document' AND flag IS NOT NULL"):
        for case_id, docs in members.items():
            if corr["target_id"] in docs:
                flags[case_id].append(f"report {corr['target_id']}: {corr['flag']}")
    statuses = {}
    for rev in db.query("SELECT * FROM case_reviews ORDER BY at"):
        case_id = resolve(rev["case_id"])
        if case_id is None:
            continue
        if case_id != rev["case_id"]:
            flags[case_id].append(f"case {rev['case_id']} ({rev['status']}) was merged into this one by the grouping")
        before, after = set(json.loads(rev["documents"] or "[]")), set(members.get(case_id, []))
        if case_id == rev["case_id"] and before != after:
            flags[case_id].append(f"reports changed since a person last decided on it: {len(after - before)} joined, "
                                  f"{len(before - after)} left")
        if case_id == rev["case_id"]:
            statuses[case_id] = rev["status"]
        else:
            statuses.setdefault(case_id, rev["status"])
    for case_id, row in by_id.items():
        flagged = flags.get(case_id)
        row["review_status"] = "unreviewed" if flagged else statuses.get(case_id, "unreviewed")
        row["review_flag"] = "; ".join(dict.fromkeys(flagged)) if flagged else None
        row["corrected_fields"] = to_json(sorted(machine.get(case_id, {})))
        row["machine_values"] = to_json(machine.get(case_id, {}))
    return rows


def apply_to_documents(db: sqlite_utils.Database) -> int:
    """Put the latest correction of each document field back after extraction rewrote it;
    where extraction now reads the field differently than when it was corrected, the correction
    is flagged (and so is the document's case). Returns how many values were put back."""
    latest = {(r["target_id"], r["field"]): r for r in db.query(
        "SELECT * FROM corrections WHERE target = 'document' ORDER BY id")}
    restored = 0
    for (doc_id, name), corr in latest.items():
        row = next(db.query("SELECT * FROM documents WHERE id = ?", [doc_id]), None)
        if row is None:
            continue
        field = field_of("document", name)
        found = field.show(row)
        if found == corr["value"]:
            continue
        if found != corr["machine_value"]:
            db["corrections"].update(corr["id"], {"flag": f"reprocessing found {name} {found!r}, "
                                                          f"was {corr['machine_value']!r} when corrected"})
        db["documents"].update(doc_id, field.parse(corr["value"]))
        restored += 1
    return restored


def refresh_cases(db: sqlite_utils.Database, case_ids: Iterable[str]) -> None:
    """Rebuild the rows of these cases from their reports and people's decisions (a case left
    with no report is removed, with its similar-case rows). Call inside a transaction."""
    from corpus.cases import case_documents_input, case_row
    from corpus.search import case_search_text

    members = {cid: _members(db, cid) for cid in dict.fromkeys(case_ids)}
    docs = {d["id"]: d for d in case_documents_input(db, [d for ids in members.values() for d in ids])}
    rows = [case_row(cid, [docs[d] for d in ids if d in docs]) for cid, ids in members.items()
            if any(d in docs for d in ids)]
    apply_to_cases(db, rows, members)
    for row in rows:
        row["search_text"] = case_search_text(row, [docs[d] for d in members[row["id"]] if d in docs])
    for cid in set(members) - {r["id"] for r in rows}:
        # Its reports are no longer case reports (a person said so): the next grouping agrees.
        db.execute("DELETE FROM case_documents WHERE case_id = ?", [cid])
        db.execute("DELETE FROM similar_cases WHERE case_id = ? OR similar_case_id = ?", [cid, cid])
        db.execute("DELETE FROM cases WHERE id = ?", [cid])
    if rows:
        db["cases"].upsert_all(rows, pk="id")
    summaries.refresh(db)


# --- reading and sharing --------------------------------------------------------------------

def corrections_of_case(db: sqlite_utils.Database, case_id: str) -> list[dict]:
    resolve = _resolver(db, {case_id})
    return [r for r in db.query("SELECT * FROM corrections WHERE target = 'case' ORDER BY id")
            if resolve(r["target_id"]) == case_id]


def list_corrections(db: sqlite_utils.Database) -> list[dict]:
    """Every correction, oldest first, with the case that holds it now (case_id)."""
    resolve = _resolver(db, {r["id"] for r in db.query("SELECT id FROM cases")})
    case_of = {r["document_id"]: r["case_id"] for r in db.query("SELECT case_id, document_id FROM case_documents")}
    out = []
    for r in db.query("SELECT * FROM corrections ORDER BY id"):
        case_id = resolve(r["target_id"]) if r["target"] == "case" else case_of.get(r["target_id"])
        out.append({k: (case_id if k == "case_id" else r.get(k)) for k in CSV_COLUMNS})
    return out


def write_csv(rows: list[dict], stream: IO[str]) -> None:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


@dataclass
class ImportResult:
    imported: int
    skipped: int  # already in this database


def import_csv(db: sqlite_utils.Database, stream: IO[str]) -> ImportResult:
    """Add the corrections of a CSV written by `corpus corrections --format csv` (or edited in a
    spreadsheet). Every row is checked first; one bad row imports nothing. A correction already
    here (same target, field, value and time) is skipped, so importing twice adds nothing."""
    text = stream.read()
    reader = csv.DictReader(io.StringIO(text))
    missing = {"target_id", "field", "value"} - set(reader.fieldnames or [])
    if missing:
        raise CurationError(f"the CSV has no column {', '.join(sorted(missing))} "
                            f"(expected: {', '.join(CSV_COLUMNS)})")
    plan = []
    for line, rec in enumerate(reader, start=2):
        target_id = (rec.get("target_id") or "").strip()
        try:
            target = target_of(db, target_id)
            if rec.get("target") and rec["target"] != target:
                raise CurationError(f"{target_id} is a {target} here, not a {rec['target']}")
            field = _field(target, (rec.get("field") or "").strip())
            _canonical(field, {}, rec.get("value") or "")
        except CurationError as exc:
            raise CurationError(f"line {line}: {exc}; nothing was imported") from None
        plan.append((target, target_id, field, rec))
    imported = skipped = 0
    touched: set[str] = set()
    with transaction(db):
        for target, target_id, field, rec in plan:
            at = (rec.get("at") or "").strip() or None
            same = next(db.query("SELECT 1 FROM corrections WHERE target = ? AND target_id = ? AND field = ? "
                                 "AND value = ? AND at IS ?",
                                 [target, target_id, field.name, _canonical(field, {}, rec["value"])[1], at]), None)
            if same:
                skipped += 1
                continue
            _record(db, target, target_id, field, rec["value"], note=rec.get("note") or None,
                    by=rec.get("by") or None, at=at)
            touched.update(_cases_of(db, target, target_id))
            imported += 1
        refresh_cases(db, touched)
    return ImportResult(imported=imported, skipped=skipped)
