"""Recording case report forms: validation, clinical rules, the order of events, audit.

A form is refused whole, with every problem named, and nothing is saved; a change after first
entry needs a reason, which the audit trail keeps beside the old and new values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cairo6.errors import FieldProblem, FormError, InvalidValueError, NotFoundError, StateError
from cairo6.scoring import (
    Lesion,
    ToxicityGrade,
    is_macroscopic_complete,
    parse_clavien_dindo,
    parse_prgs,
    pci_total,
)
from cairo6.service.event_order import check_dates
from cairo6.service.permissions import Action
from cairo6.service.trial import Trial, allocation, participant
from cairo6.service.validation import clean_form, input_columns
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    CLINICAL_FORMS,
    FORM_TABLES,
    Base,
    Participant,
)

FORM_ACTION = dict.fromkeys(CLINICAL_FORMS, Action.RECORD_CLINICAL) | {
    "radiology": Action.RECORD_RADIOLOGY,
    "pathology": Action.RECORD_PATHOLOGY,
}


def _problem(field: str, value: Any, message: str) -> FieldProblem:
    return FieldProblem(field, value, message)


def _check_surgery(v: Mapping[str, Any]) -> list[FieldProblem]:
    out = []
    open_close = v.get("procedure") == "open_close"
    try:
        pci_total(v.get("pci_regions") or {})
    except InvalidValueError as exc:
        out.append(_problem("pci_regions", v.get("pci_regions"), str(exc)))
    try:
        is_macroscopic_complete(
            cc=v.get("cc_score"), r_class=v.get("r_class"), open_close=open_close
        )
    except InvalidValueError as exc:
        out.append(_problem("cc_score", v.get("cc_score"), str(exc)))
    if open_close and not v.get("open_close_reason"):
        out.append(_problem("open_close_reason", None, "required for an open-close procedure"))
    if not open_close and v.get("open_close_reason"):
        out.append(_problem("open_close_reason", v["open_close_reason"], "only for open-close"))
    if open_close and v.get("hipec_drug") not in (None, "none"):
        out.append(_problem("hipec_drug", v["hipec_drug"], "no HIPEC is given at open-close"))
    if v.get("procedure") == "crs_hipec" and v.get("hipec_drug") == "none":
        out.append(_problem("hipec_drug", "none", "CRS-HIPEC needs the HIPEC drug given"))
    return out


def _check_complication(v: Mapping[str, Any]) -> list[FieldProblem]:
    try:
        parse_clavien_dindo(v["grade"])
    except InvalidValueError as exc:
        return [_problem("grade", v.get("grade"), str(exc))]
    return []


def _check_toxicity(v: Mapping[str, Any]) -> list[FieldProblem]:
    try:
        ToxicityGrade(term=v["term"], grade=v["grade"])
    except (InvalidValueError, KeyError) as exc:
        return [_problem("grade", v.get("grade"), str(exc))]
    return []


def _check_radiology(v: Mapping[str, Any]) -> list[FieldProblem]:
    lesions = v.get("lesions") or []
    if not isinstance(lesions, list):
        return [_problem("lesions", lesions, "a list of lesions")]
    out = []
    for i, raw in enumerate(lesions):
        try:
            if not isinstance(raw, dict):
                raise InvalidValueError(f"lesions[{i}]", raw, "an object", "fix the lesion")
            node = bool(raw.get("lymph_node", False))
            size = raw.get("diameter_mm")
            Lesion(
                lesion_id=str(raw.get("id", i + 1)),
                organ=str(raw.get("organ", "")),
                is_lymph_node=node,
                longest_diameter_mm=None if node else size,
                short_axis_mm=size if node else None,
            )
        except InvalidValueError as exc:
            out.append(_problem(f"lesions[{i}]", raw, str(exc)))
    return out


def _check_pathology(v: Mapping[str, Any]) -> list[FieldProblem]:
    out = []
    if v.get("evaluable"):
        if v.get("trg") is None:
            out.append(_problem("trg", None, "required when the site is evaluable"))
        for grade in v.get("prgs") or []:
            try:
                parse_prgs(grade)
            except InvalidValueError as exc:
                out.append(_problem("prgs", grade, str(exc)))
    elif not v.get("not_evaluable_reason"):
        out.append(_problem("not_evaluable_reason", None, "required when not evaluable"))
    return out


def _check_follow_up(v: Mapping[str, Any]) -> list[FieldProblem]:
    out = []
    if v.get("vital_status") == "dead" and not v.get("death_date"):
        out.append(_problem("death_date", None, "required when vital status is dead"))
    if v.get("recurrence") and not v.get("recurrence_date"):
        out.append(_problem("recurrence_date", None, "required when recurrence is yes"))
    return out


CHECKS: dict[str, Callable[[Mapping[str, Any]], list[FieldProblem]]] = {
    "surgery": _check_surgery,
    "complication": _check_complication,
    "toxicity": _check_toxicity,
    "radiology": _check_radiology,
    "pathology": _check_pathology,
    "follow_up": _check_follow_up,
}
DATE_FIELDS = {
    "cycle": "given_on",
    "restaging": "ct_date",
    "surgery": "surgery_date",
    "discharge": "discharge_date",
    "readmission": "admitted_on",
    "reoperation": "reoperated_on",
    "complication": "onset_date",
    "toxicity": "onset_date",
    "radiology": "scan_date",
    "off_study": "off_date",
    "follow_up": "visit_date",
}
"""The date that places each form in a participant's course (to blame in import messages)."""


def _order_of_events(
    trial: Trial,
    session: StoreSession,
    person: Participant,
    form: str,
    v: Mapping[str, Any],
    record_id: int | None = None,
) -> None:
    """Refuse entries that contradict what already happened.

    Dates are checked against the protocol's order of events (`event_order.check_dates`);
    what is left here is about the allocation: a cycle's regimen belongs to the arm.
    """
    alloc = allocation(session, person.id)
    if alloc is None:
        raise StateError(f"{person.study_number} is not randomised", "randomise first")
    if form == "cycle":
        regimen = trial.protocol.regimen(v["regimen"])
        if regimen.phase.value != v["phase"]:
            raise InvalidValueError(
                "cycle.regimen", v["regimen"], f"a {v['phase']} regimen", "check regimen and phase"
            )
        if regimen.arm != alloc.arm:
            raise StateError(
                f"{person.study_number} is allocated to {alloc.arm}; {regimen.id} belongs to "
                f"{regimen.arm}",
                "record a deviation if treatment differs from the allocation",
            )
    check_dates(trial, session, form, v, person=person, record_id=record_id)


def validate(form: str, data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check a form's values against the column rules and the clinical rules."""
    if form not in FORM_ACTION:
        raise InvalidValueError("form", form, ", ".join(CLINICAL_FORMS), "choose a form")
    values = clean_form(form, FORM_TABLES[form], data, partial=partial)
    check = CHECKS.get(form)
    problems = check(values) if check and not partial else []
    if problems:
        raise FormError(form, problems)
    return values


def record(
    trial: Trial, actor: Actor, form: str, study_number: str, data: Mapping[str, Any]
) -> int:
    """Save a new form for a participant; returns the record id."""
    values = validate(form, data)
    with trial.db.write(actor) as session:
        return record_in(session, trial, actor, form, study_number, values)


def record_in(
    session: StoreSession,
    trial: Trial,
    actor: Actor,
    form: str,
    study_number: str,
    values: Mapping[str, Any],
) -> int:
    """Save an already validated form inside the caller's transaction (used by imports)."""
    person = participant(session, actor, study_number, FORM_ACTION[form])
    _order_of_events(trial, session, person, form, values)
    row = FORM_TABLES[form](participant_id=person.id, **values)
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[attr-defined]


def update(
    trial: Trial,
    actor: Actor,
    form: str,
    record_id: int,
    changes: Mapping[str, Any],
    reason: str,
) -> None:
    """Change fields of an existing form; the reason is kept in the audit trail."""
    if not reason or not reason.strip():
        raise InvalidValueError(
            "reason", reason, "a reason for a change after first entry", "say why it changed"
        )
    partial = validate(form, changes, partial=True)
    table = FORM_TABLES[form]
    with trial.db.write(actor, reason=reason.strip()) as session:
        row = session.get(table, record_id)
        if row is None:
            raise NotFoundError(form, str(record_id), "check the record id")
        person = session.get_one(Participant, row.participant_id)  # type: ignore[attr-defined]
        participant(session, actor, person.study_number, FORM_ACTION[form])
        merged = {c: getattr(row, c) for c in _validate_keys(table)} | partial
        check = CHECKS.get(form)
        problems = check(merged) if check else []
        if problems:
            raise FormError(form, problems)
        _order_of_events(trial, session, person, form, merged, record_id)
        for key, value in partial.items():
            setattr(row, key, value)


def _validate_keys(table: type[Base]) -> list[str]:
    return [c.key for c in input_columns(table)]
