"""Pages for the forms of a study definition: a participant's records, new and corrected ones.

Generated from forms.toml through `recordfields`; the record service decides who may enter
what and checks every value, and a refused form saves nothing and shows every problem at its
item. Available in trials created from a study definition (`cairo6 db init --study`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import lifecycle, queries, records, safety
from cairo6.service.permissions import Action, allowed
from cairo6.service.trial import Trial
from cairo6.study.models import Form as FormDef
from cairo6.web import auth
from cairo6.web.context import Form, Web, page_csrf, signed_in
from cairo6.web.fields import PCI_LAYOUT
from cairo6.web.recordfields import parse_record, record_fields, shown_values
from cairo6.web.render import page, problems_by_field, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]


def _record_page(
    request: Request,
    trial: Trial,
    form: FormDef,
    study_number: str,
    values: dict[str, str],
    *,
    record_key: str | None = None,
    error: Exception | None = None,
    state: lifecycle.RecordState | None = None,
    asked: list[queries.QueryRow] | None = None,
) -> Response:
    fields = record_fields(trial.definition(), form)
    errors, general = (
        problems_by_field(error, {f.name for f in fields} | {"reason"}) if error else ({}, [])
    )
    base = f"/participants/{study_number}/records/{form.id}"
    return page(
        request,
        "record_form.html",
        {
            "form": form,
            "study_number": study_number,
            "fields": fields,
            "values": values,
            "action": base + ("/update" if record_key is not None else ""),
            "record_key": record_key,
            "record_label": trial.definition().key_label(form, record_key or ""),
            "errors": errors,
            "general": general,
            "pci_layout": PCI_LAYOUT,
            "state": state,
            "asked": asked or [],
        },
        status=200 if error is None else (400 if isinstance(error, StateError) else 422),
    )


@router.get("/participants/{study_number}/records/{form_id}/new", name="record_new")
def record_new(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str
) -> Response:
    """A blank form of the study; `?item=value` fills an item in (a review's time point)."""
    trial = web.trial()
    form = records.form_for_entry(trial, user.actor, study_number, form_id)
    given = {k: v for k, v in request.query_params.items() if form.item(k) is not None}
    return _record_page(request, trial, form, study_number, given)


@writes.post("/participants/{study_number}/records/{form_id}", name="record_save")
def record_save(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Save a new record; every problem is shown at its item and nothing is saved."""
    trial = web.trial()
    study = trial.definition()
    form = study.form(form_id)
    parsed, found = parse_record(study, form, data)
    try:
        # What the page could not read goes to the service with the rest, so the item checks
        # and the edit checks of the whole record come back in one answer.
        saved = records.record_form(trial, user.actor, study_number, form.id, parsed, found=found)
    except (InvalidValueError, StateError) as exc:
        return _record_page(request, trial, form, study_number, dict(data), error=exc)
    safety.notify_if_new(trial, user.actor, saved.record_id, web.now(), web.settings.mail)
    message = "saved" if not saved.queries else "saved; a check opened a query"
    return redirect(f"/participants/{study_number}", msg=message)


@router.get("/participants/{study_number}/records/{form_id}/edit", name="record_edit")
def record_edit(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, key: str = ""
) -> Response:
    """A saved record for correction; a change asks for its reason."""
    trial = web.trial()
    study = trial.definition()
    form = records.form_for_entry(trial, user.actor, study_number, form_id)
    saved = dict(records.records_of(trial, user.actor, study_number)[form.id])
    if key not in saved:
        raise InvalidValueError(
            "record", key, "a record of this participant", "open the record from the list"
        )
    values = shown_values(study, form, saved[key])
    state = lifecycle.casebook(trial, user.actor, study_number).state(form.id, key)
    return _record_page(
        request,
        trial,
        form,
        study_number,
        values,
        record_key=key,
        state=state,
        asked=_asked(user, trial, study_number, form, key),
    )


def _asked(
    user: auth.SignedIn, trial: Trial, study_number: str, form: FormDef, key: str
) -> list[queries.QueryRow]:
    """The record's unresolved queries, shown above the form that corrects it."""
    if not allowed(user.actor.role, Action.VIEW_QUERIES):
        return []
    rows = queries.query_list(trial, user.actor, study_number=study_number)
    return [q for q in rows if q.form == form.id and (q.record_key or "") == key]


@writes.post("/participants/{study_number}/records/{form_id}/update", name="record_update")
def record_update(
    request: Request, web: Web, user: Signed, study_number: str, form_id: str, data: Form
) -> Response:
    """Save a correction with its reason; the whole record is checked again."""
    trial = web.trial()
    study = trial.definition()
    form = study.form(form_id)
    key = data.get("record_key", "")
    parsed, found = parse_record(study, form, data)
    try:
        saved = records.update_form(
            trial,
            user.actor,
            study_number,
            form.id,
            parsed,
            reason=data.get("reason", "").strip(),
            record_key=key,
            found=found,
        )
    except (InvalidValueError, StateError) as exc:
        return _record_page(
            request, trial, form, study_number, dict(data), record_key=key, error=exc
        )
    safety.notify_if_new(trial, user.actor, saved.record_id, web.now(), web.settings.mail)
    return redirect(f"/participants/{study_number}", msg="correction saved")
