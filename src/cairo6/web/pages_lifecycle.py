"""Pages of the form lifecycle: a record's status and steps, source data verification, the
investigator's signature and the database lock.

The lifecycle service decides who may take which step and whether the record's state allows
it; a refused step changes nothing and the page says why. Buttons are shown only for the steps
the user's role holds (`can`), which the service checks again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import lifecycle, records
from cairo6.service.concealment import require_unblinded_for
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.study.models import Form as FormDef
from cairo6.web import auth
from cairo6.web.context import Form, Web, page_csrf, signed_in
from cairo6.web.recordfields import display
from cairo6.web.render import page, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]

MARK = "mark_"
"""Prefix of an SDV checkbox's name: `mark_<item id>`."""


def _back(study_number: str, form_id: str, key: str, msg: str) -> Response:
    """Back to the record's lifecycle page, with the step's message."""
    return redirect(f"/participants/{study_number}/records/{form_id}/lifecycle", key=key, msg=msg)


def participant_lifecycle(trial: Trial, actor: Any, study_number: str) -> lifecycle.Casebook:
    """Every record's state and the signatures, for the participant page (one call there)."""
    return lifecycle.casebook(trial, actor, study_number)


def _record(
    trial: Trial, user: auth.SignedIn, study_number: str, form_id: str, key: str
) -> tuple[FormDef, dict[str, Any], lifecycle.Casebook, lifecycle.RecordState]:
    study = trial.definition()
    form = study.form(form_id)
    require_unblinded_for(user.actor, form)
    saved = dict(records.records_of(trial, user.actor, study_number)[form.id])
    book = lifecycle.casebook(trial, user.actor, study_number)
    state = book.state(form.id, key)
    if key not in saved or state is None:
        raise InvalidValueError(
            "record", key, "a record of this participant", "open the record from the list"
        )
    return form, saved[key], book, state


def _lifecycle_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    form_id: str,
    key: str,
    *,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    study = trial.definition()
    form, values, book, state = _record(trial, user, study_number, form_id, key)
    signatures = [
        s for s in book.signatures if any(r.record_id == state.record_id for r in s.records)
    ]
    return page(
        request,
        "record_lifecycle.html",
        {
            "form": form,
            "study_number": study_number,
            "key": key,
            "record_label": study.key_label(form, key),
            "shown": display(study, form, values),
            "state": state,
            "signatures": signatures,
            "db_locked": book.locked,
            "general": [str(error)] if error else [],
        },
        status=200 if error is None else 400,
    )


@router.get("/participants/{study_number}/records/{form_id}/lifecycle", name="record_lifecycle")
def record_lifecycle(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, key: str = ""
) -> Response:
    """A record with its status, who took each step and when, and the steps the user may take."""
    return _lifecycle_page(request, web, user, study_number, form_id, key)


def _step(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    form_id: str,
    data: dict[str, str],
    allowed: tuple[str, ...],
) -> Response:
    step = data.get("step", allowed[0])
    key = data.get("key", "")
    if step not in allowed:
        raise InvalidValueError("step", step, ", ".join(allowed), "use the buttons of the page")
    try:
        lifecycle.take_step(
            web.trial(), user.actor, study_number, form_id, step,
            record_key=key, reason=data.get("reason") or None,
        )  # fmt: skip
    except (InvalidValueError, StateError) as exc:
        return _lifecycle_page(request, web, user, study_number, form_id, key, error=exc)
    return _back(study_number, form_id, key, step)


@writes.post("/participants/{study_number}/records/{form_id}/complete", name="record_complete")
def record_complete(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Mark the record complete (site staff who record the form)."""
    return _step(request, web, user, study_number, form_id, data, ("complete",))


@writes.post("/participants/{study_number}/records/{form_id}/freeze", name="record_freeze")
def record_freeze(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Freeze or unfreeze (with a reason) the record (data manager)."""
    return _step(request, web, user, study_number, form_id, data, ("freeze", "unfreeze"))


@writes.post("/participants/{study_number}/records/{form_id}/lock", name="record_lock")
def record_lock(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Lock or unlock (with a reason) the record (data manager)."""
    return _step(request, web, user, study_number, form_id, data, ("lock", "unlock"))


# --- source data verification ------------------------------------------------------------------


def _sdv_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    form_id: str,
    key: str,
    *,
    error: Exception | None = None,
    ticked: set[str] | None = None,
) -> Response:
    require(user.actor, Action.VERIFY_SOURCE)
    trial = web.trial()
    study = trial.definition()
    form, values, _book, state = _record(trial, user, study_number, form_id, key)
    shown = dict(display(study, form, values))
    rows = [
        {
            "id": item.id,
            "label": item.label,
            "value": shown.get(item.label, "—"),
            "mark": state.sdv.get(item.id),
            "outdated": item.id in state.outdated_marks,
            "ticked": item.id in ticked if ticked is not None else item.id in state.sdv,
        }
        for item in form.items()
        if item.derived is None and values.get(item.id) not in (None, "")
    ]
    return page(
        request,
        "record_sdv.html",
        {
            "form": form,
            "study_number": study_number,
            "key": key,
            "record_label": study.key_label(form, key),
            "state": state,
            "rows": rows,
            "mark": MARK,
            "general": [str(error)] if error else [],
        },
        status=200 if error is None else 400,
    )


@router.get("/participants/{study_number}/records/{form_id}/sdv", name="record_sdv")
def record_sdv(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, key: str = ""
) -> Response:
    """Source data verification: each entered item with a box to tick once checked."""
    return _sdv_page(request, web, user, study_number, form_id, key)


@writes.post("/participants/{study_number}/records/{form_id}/sdv", name="record_sdv_save")
def record_sdv_save(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Save the item marks, and with `verify` verify the whole record."""
    key = data.get("key", "")
    items = [name[len(MARK) :] for name in data if name.startswith(MARK)]
    step = "verify" if data.get("verify") else "sdv"
    try:
        lifecycle.take_step(
            web.trial(), user.actor, study_number, form_id, step, record_key=key, items=items
        )
    except (InvalidValueError, StateError) as exc:
        return _sdv_page(
            request, web, user, study_number, form_id, key, error=exc, ticked=set(items)
        )
    return _back(study_number, form_id, key, step)


# --- signatures --------------------------------------------------------------------------------


def _sign_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    form_id: str,
    key: str,
    *,
    error: Exception | None = None,
) -> Response:
    require(user.actor, Action.SIGN)
    trial = web.trial()
    study = trial.definition()
    book = lifecycle.casebook(trial, user.actor, study_number)
    if form_id:
        form = study.form(form_id)
        state = book.state(form.id, key)
        if state is None:
            raise InvalidValueError(
                "record", key, "a record of this participant", "open the record from the list"
            )
        scope = f"{form.label} {study.key_label(form, key)}".strip()
        states = [(scope, state)]
    else:
        scope = f"the whole casebook of {study_number}"
        states = [
            (f"{study.form(f).label} {study.key_label(study.form(f), k)}".strip(), s)
            for (f, k), s in sorted(book.states.items(), key=lambda kv: kv[1].record_id)
            if study.has_form(f)
        ]
    return page(
        request,
        "record_sign.html",
        {
            "study_number": study_number,
            "form_id": form_id,
            "key": key,
            "scope": scope,
            "states": states,
            "meaning": study.manifest.data_management.signature_meaning,
            "signer": user.actor.username,
            "printed_name": user.full_name.strip() or user.actor.username,
            "open_records": [label for label, s in states if s.completed is None],
            "general": [str(error)] if error else [],
            "errors": {"password": [str(error)]}
            if isinstance(error, InvalidValueError) and error.field == "password"
            else {},
        },
        status=200 if error is None else 400,
    )


@router.get("/participants/{study_number}/sign", name="record_sign_page")
def record_sign_page(
    request: Request, web: Web, user: Signed, study_number: str, form: str = "", key: str = ""
) -> Response:
    """The signature screen: what is signed, the meaning, and the signer's password."""
    return _sign_page(request, web, user, study_number, form, key)


@writes.post("/participants/{study_number}/sign", name="record_sign")
def record_sign(
    request: Request, web: Web, user: Signed, study_number: str, data: Form
) -> Response:
    """Sign a visit (`form`, `key`) or, without `form`, the whole casebook."""
    form_id, key = data.get("form", ""), data.get("key", "")
    try:
        lifecycle.sign(
            web.trial(), user.actor, study_number, data.get("password", ""),
            form_id=form_id or None, record_key=key,
        )  # fmt: skip
    except (InvalidValueError, StateError) as exc:
        return _sign_page(request, web, user, study_number, form_id, key, error=exc)
    if form_id:
        return _back(study_number, form_id, key, "signed")
    return redirect(f"/participants/{study_number}", msg="signed")


# --- the database lock -------------------------------------------------------------------------


def _lock_page(
    request: Request, web: Web, user: auth.SignedIn, error: Exception | None
) -> Response:
    require(user.actor, Action.LOCK_DATABASE)
    trial = web.trial()
    with trial.db.read() as session:
        held = lifecycle.database_lock(session)
        open_queries = lifecycle.open_query_count(session)
        history = lifecycle.lock_history(session)
    plan = trial.definition().manifest.data_management
    return page(
        request,
        "database_lock.html",
        {
            "held": held,
            "open_queries": open_queries,
            "needs_closed": plan.lock_requires_no_open_queries,
            "history": history,
            "report_status": lifecycle.report_status(trial.db),
            "general": [str(error)] if error else [],
        },
        status=200 if error is None else 400,
    )


@router.get("/database-lock", name="database_lock_page")
def database_lock_page(request: Request, web: Web, user: Signed) -> Response:
    """The database lock: in force or not, its history, and the lock or unlock form."""
    return _lock_page(request, web, user, None)


@writes.post("/database-lock", name="database_lock_change")
def database_lock_change(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Lock or unlock the database, with a reason."""
    require(user.actor, Action.LOCK_DATABASE)
    trial = web.trial()
    try:
        if data.get("action") == "unlock":
            lifecycle.unlock_database(trial, user.actor, data.get("reason", ""))
        else:
            lifecycle.lock_database(trial, user.actor, data.get("reason", ""))
    except (InvalidValueError, StateError) as exc:
        return _lock_page(request, web, user, exc)
    return redirect("/database-lock", msg=data.get("action") or "lock")
