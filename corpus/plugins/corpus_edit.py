"""The edit mode of `corpus serve --edit` (loaded by `corpus serve` from plugins/): forms on the
case page to correct a fact, merge, split and set the review status, for people logged in with
the password (datasette-auth-passwords, at /-/login).

The forms post to /-/corpus/edit/<case id>/<action>; each post is one call of corpus.curation on
its own connection to the database file, then a redirect back to the case page with a message.
Without the edit mode (plugin setting `corpus-edit` unset, as in the public `corpus serve`) there
are no forms and the route answers 404; without a login it answers 403.
"""

from __future__ import annotations

import asyncio

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response

from corpus.serve import DATABASE, EDIT_PLUGIN

ACTIONS = ("correct", "merge", "split", "review")


def edit_config(datasette) -> dict | None:
    return datasette.plugin_config(EDIT_PLUGIN)


def _apply(db_path: str, case_id: str, action: str, form: dict, by: str) -> tuple[str, str]:
    """(the case page to go back to, what was done); raises CurationError."""
    from corpus import curation
    from corpus.database import open_db

    db = open_db(db_path, create=False)
    try:
        note = form.get("note") or None
        if action == "correct":
            row = curation.correct(db, case_id, form.get("field") or "", form.get("value") or "", note=note, by=by)
            return case_id, f"{row['field']} corrected: {row['machine_value'] or '(not stated)'} -> {row['value'] or '(not stated)'}"
        if action == "merge":
            other = (form.get("other_case_id") or "").strip()
            curation.merge_cases(db, case_id, other, note=note, by=by)
            return case_id, f"merged {other} into this case"
        if action == "split":
            new_id = curation.split_case(db, case_id, form.getlist("document_id"), note=note, by=by)
            return new_id, f"split from {case_id} into this new case"
        curation.review(db, case_id, form.get("status") or "", note=note, by=by)
        return case_id, f"review status: {form.get('status')}"
    finally:
        db.conn.close()


async def edit(request, datasette):
    config = edit_config(datasette)
    if not config:
        return Response.text("Not found", status=404)
    if not request.actor:
        return Response.text("Log in first (/-/login): editing needs the password.", status=403)
    case_id, action = tilde_decode(request.url_vars["case_id"]), request.url_vars["action"]
    if action not in ACTIONS:
        return Response.text("Not found", status=404)
    from corpus.curation import CurationError

    form = await request.post_vars()
    by = (form.get("by") or "").strip() or request.actor.get("id")
    try:
        target, message = await asyncio.get_running_loop().run_in_executor(
            None, _apply, config["db_path"], case_id, action, form, by)
        datasette.add_message(request, message, datasette.INFO)
    except CurationError as exc:
        target = case_id
        datasette.add_message(request, f"Nothing changed: {exc}", datasette.ERROR)
    return Response.redirect(datasette.urls.row(DATABASE, "cases", tilde_encode(target)))


@hookimpl
def register_routes():
    return [(r"^/-/corpus/edit/(?P<case_id>[^/]+)/(?P<action>[a-z]+)$", edit)]


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table != "cases" or database != DATABASE or request is None:
        return {}
    if not edit_config(datasette) or not request.actor:
        return {"case_edit": None}
    from corpus.curation import REVIEW_STATUSES
    from corpus.curation_fields import case_fields

    return {"case_edit": {
        "fields": [{"name": f.name, "meaning": f.meaning} for f in case_fields().values()],
        "statuses": REVIEW_STATUSES,
        "actor": request.actor.get("id"),
        "action": lambda case_id, action: datasette.urls.path(f"/-/corpus/edit/{tilde_encode(case_id)}/{action}"),
    }}
