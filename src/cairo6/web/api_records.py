"""JSON API for the forms of a study definition: the definition, each form's JSON Schema, and
a participant's records to read, enter and correct. The record service does the checking, as
for the pages and the command line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cairo6.service import records, safety
from cairo6.study.schema import form_json_schema
from cairo6.study.validate import stored
from cairo6.web import auth
from cairo6.web.api import ERRORS
from cairo6.web.context import Web, api_csrf, signed_in

router = APIRouter(
    prefix="/api", tags=["study records"], responses=ERRORS, dependencies=[Depends(api_csrf)]
)
Signed = Annotated[auth.SignedIn, Depends(signed_in)]
Number = Annotated[str, Path(min_length=1, max_length=32)]
FormId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class CodeOut(BaseModel):
    """An allowed value and its label."""

    value: str
    label: str


class ItemOut(BaseModel):
    """One item of a form."""

    id: str
    label: str
    type: str
    unit: str | None
    min: float | None
    max: float | None
    required: bool
    help: str
    codes: list[CodeOut] | None
    derived: bool
    asked_when: str | None


class FormOut(BaseModel):
    """One form of the study."""

    id: str
    label: str
    repeating: bool
    items: list[ItemOut]


class StudyOut(BaseModel):
    """The study definition's forms."""

    id: str
    title: str
    forms: list[FormOut]


class SavedOut(BaseModel):
    """Where a saved record is, and the queries its soft checks opened."""

    study_number: str
    form: str
    record_key: str
    queries: list[str]


class RecordOut(BaseModel):
    """One record: its key and its items' values."""

    record_key: str
    values: dict[str, Any]


class CorrectionIn(BaseModel):
    """Items to change, and why."""

    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any]
    reason: str = Field(min_length=1, max_length=4000)


@router.get("/study", response_model=StudyOut)
def study_definition(web: Web, user: Signed) -> StudyOut:
    """The forms, items and code lists of the trial's study definition."""
    del user  # signed in is enough: the definition holds no participant data
    study = web.trial().definition()
    forms = []
    for form in study.forms:
        items = []
        for item in form.items():
            codes = (
                [CodeOut(value=c.value, label=c.label) for c in study.codelist(item.codelist).codes]
                if item.codelist
                else None
            )
            items.append(
                ItemOut(
                    id=item.id,
                    label=item.label,
                    type=item.type.value,
                    unit=item.unit,
                    min=item.min,
                    max=item.max,
                    required=item.required,
                    help=item.help,
                    codes=codes,
                    derived=item.derived is not None,
                    asked_when=item.visible_when.describe() if item.visible_when else None,
                )
            )
        forms.append(FormOut(id=form.id, label=form.label, repeating=form.repeating, items=items))
    return StudyOut(id=study.id, title=study.manifest.title, forms=forms)


@router.get("/study/forms/{form_id}/schema")
def form_schema(web: Web, user: Signed, form_id: FormId) -> dict[str, Any]:
    """The JSON Schema of one record of the form, generated from the definition."""
    del user
    study = web.trial().definition()
    return form_json_schema(study, study.form(form_id))


@router.get("/participants/{study_number}/records", response_model=dict[str, list[RecordOut]])
def participant_records(web: Web, user: Signed, study_number: Number) -> dict[str, list[RecordOut]]:
    """Every record of the participant, by form."""
    saved = records.records_of(web.trial(), user.actor, study_number)
    return {
        form: [RecordOut(record_key=key, values=stored(values)) for key, values in rows]
        for form, rows in saved.items()
    }


@router.post("/participants/{study_number}/records/{form_id}", response_model=SavedOut)
def enter_record(
    web: Web, user: Signed, study_number: Number, form_id: FormId, values: dict[str, Any]
) -> SavedOut:
    """Enter a record; refused whole with every problem listed, or saved with its queries."""
    saved = records.record_form(web.trial(), user.actor, study_number, form_id, values)
    safety.notify_if_new(web.trial(), user.actor, saved.record_id, web.now(), web.settings.mail)
    return SavedOut(
        study_number=saved.study_number,
        form=saved.form,
        record_key=saved.record_key,
        queries=list(saved.queries),
    )


@router.patch("/participants/{study_number}/records/{form_id}", response_model=SavedOut)
def correct_record(
    web: Web,
    user: Signed,
    study_number: Number,
    form_id: FormId,
    body: CorrectionIn,
    key: Annotated[str, Query(max_length=120)] = "",
) -> SavedOut:
    """Change items of a record with a reason; the record is checked again as a whole."""
    saved = records.update_form(
        web.trial(),
        user.actor,
        study_number,
        form_id,
        body.changes,
        reason=body.reason,
        record_key=key,
    )
    safety.notify_if_new(web.trial(), user.actor, saved.record_id, web.now(), web.settings.mail)
    return SavedOut(
        study_number=saved.study_number,
        form=saved.form,
        record_key=saved.record_key,
        queries=list(saved.queries),
    )
