"""Form records of a study definition: enter, change and read them, for any study.

Every form the study declares is kept in one table (`form_record`) as a document of its items.
A save is checked whole against the definition (types, code lists, required items, branching,
derived items, edit checks) and refused with every problem named, saving nothing; a soft check
that fails saves the record and opens a query on the item in the same transaction; a change
after first entry needs a reason, and the audit trail keeps each item's old and new value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cairo6.errors import FieldProblem, FormError, NotFoundError, StateError
from cairo6.service import lifecycle
from cairo6.service.concealment import hidden_forms, require_unblinded_for
from cairo6.service.permissions import Action
from cairo6.service.queries import CHECK_RAISER as CHECK_RAISER  # where tests and pages look
from cairo6.service.queries import check_queries
from cairo6.service.trial import Trial, allocation, participant
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import FormRecord, Participant
from cairo6.study.models import Form
from cairo6.study.study import Study
from cairo6.study.validate import stored, typed_record, validate_record

RECORD_ACTION = {
    "clinical": Action.RECORD_CLINICAL,
    "radiology": Action.RECORD_RADIOLOGY,
    "pathology": Action.RECORD_PATHOLOGY,
}
"""Which permission records a form, by the definition's `recorded_by`."""


@dataclass(frozen=True)
class Saved:
    """A saved record: where it is, and the queries its soft checks opened."""

    study_number: str
    form: str
    record_key: str
    record_id: int
    queries: tuple[str, ...]


def _facts(session: StoreSession, person: Participant, today: dt.date) -> dict[str, Any]:
    alloc = allocation(session, person.id)
    # The clinical date of randomisation is the enrolment date the site gives; the allocation's
    # own timestamp is when the system was asked, which for entered history can be years later.
    return {
        "@arm": alloc.arm if alloc is not None else None,
        "@randomised": alloc is not None,
        "@randomised_on": person.enrolled_on if alloc is not None else None,
        "@enrolled_on": person.enrolled_on,
        "@today": today,
    }


def _context(
    study: Study,
    session: StoreSession,
    person: Participant,
    form: Form,
    today: dt.date,
    skip: int | None,
) -> dict[str, Any]:
    """Facts, which forms exist, and the participant's other once-per-participant records, as
    rules read them. Other repeating forms' records are read only when the form's checks name
    them: a save costs the same at the 300th adverse event as at the first."""
    context = _facts(session, person, today)
    present = session.scalars(
        select(FormRecord.form).where(FormRecord.participant_id == person.id).distinct()
    ).all()
    context.update(dict.fromkeys(present, True))
    once = [f.id for f in study.forms if not f.repeating and f.id in present]
    # Repeating forms are read only when a check of the form being saved names them (an operation
    # after every neoadjuvant cycle), each record as one mapping of its items.
    named = {name for check in study.checks_for(form.id) for name in check.rule.forms_named()}
    lists = [f.id for f in study.forms if f.repeating and f.id in present and f.id in named]
    for form_id in lists:
        rows = session.scalars(
            select(FormRecord).where(
                FormRecord.participant_id == person.id, FormRecord.form == form_id
            )
        )
        context[form_id] = [
            typed_record(study, study.form(form_id), row.data) for row in rows if row.id != skip
        ] or None
    if once:
        rows = session.scalars(
            select(FormRecord).where(
                FormRecord.participant_id == person.id, FormRecord.form.in_(once)
            )
        )
        for row in rows:
            if row.id == skip:
                continue
            form = study.form(row.form)
            for key, value in typed_record(study, form, row.data).items():
                context[f"{row.form}.{key}"] = value
    return context


def _record_key(form: Form, values: Mapping[str, Any], taken: set[str]) -> str:
    if not form.repeating:
        return ""
    if form.key_items:
        return "/".join(str(stored(values.get(k, ""))) for k in form.key_items)
    number = 1
    while str(number) in taken:
        number += 1
    return str(number)


def _open_queries(
    session: StoreSession, person: Participant, row: FormRecord, checks: list[Any]
) -> tuple[str, ...]:
    check_queries(session, person, row, [(c.item, f"{c.message} (check {c.id})") for c in checks])
    return tuple(check.id for check in checks)


def _refuse(form: Form, found: Sequence[FieldProblem], problems: list[FieldProblem]) -> None:
    """Refuse the record when anything is wrong, naming every problem once: an item the caller
    could not read is not also reported as missing."""
    unread = {p.field for p in found}
    every = [*found, *(p for p in problems if p.field not in unread or p.value is not None)]
    if every:
        raise FormError(form.id, every)


def form_for_entry(trial: Trial, actor: Actor, study_number: str, form_id: str) -> Form:
    """The form, once the actor may record it for this participant (before a blank or saved
    form is shown: a refused role or another centre learns nothing from the page)."""
    form = trial.definition().form(form_id)
    require_unblinded_for(actor, form)
    with trial.db.read() as session:
        participant(session, actor, study_number, RECORD_ACTION[form.recorded_by])
    return form


def record_form(
    trial: Trial,
    actor: Actor,
    study_number: str,
    form_id: str,
    values: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    found: Sequence[FieldProblem] = (),
) -> Saved:
    """Enter a new record of a form under the version of the study definition in force
    `today`; one transaction with its audit record and queries.

    `found` are problems the caller already saw in the entry (a page's own widgets, such as a
    dose list it could not read): the record is still checked whole, item checks and edit
    checks alike, and every problem is reported in one answer, saving nothing.
    """
    today = today or dt.date.today()
    with trial.db.write(actor) as session:
        study = trial.definition_on(today, session)
        form = study.form(form_id)
        require_unblinded_for(actor, form)
        person = participant(session, actor, study_number, RECORD_ACTION[form.recorded_by])
        return record_in(session, study, person, form, values, today, found=found)


def record_in(
    session: StoreSession,
    study: Study,
    person: Participant,
    form: Form,
    values: Mapping[str, Any],
    today: dt.date,
    *,
    found: Sequence[FieldProblem] = (),
) -> Saved:
    """`record_form` inside the caller's transaction, for a participant already checked; the
    record keeps the version of `study` it was entered under.

    Raises before writing anything when the record is refused, so a caller collecting the
    problems of many records (an import) can go on with the next one.
    """
    if form.retired:
        raise StateError(
            f"{form.label} was retired by a protocol amendment (study version {study.version}); "
            "its records are kept, no new ones are entered",
            "enter the data on the forms of the amended protocol",
        )
    taken = set(
        session.scalars(
            select(FormRecord.record_key).where(
                FormRecord.participant_id == person.id, FormRecord.form == form.id
            )
        )
    )
    if taken and not form.repeating:
        raise StateError(
            f"{person.study_number} already has a {form.label} record",
            f"change it with `cairo6 update {form.id}` and a reason",
        )
    context = _context(study, session, person, form, today, None)
    missing = [r for r in form.requires if not context.get(r) and study.has_form(r)]
    if missing:
        raise StateError(
            f"{form.label} needs {', '.join(study.form(m).label for m in missing)} first",
            "enter the forms it depends on first",
        )
    verdict = validate_record(study, form, values, context)
    _refuse(form, found, verdict.problems)
    key = _record_key(form, verdict.values, taken)
    if key in taken:
        raise FormError(
            form.id,
            [FieldProblem(",".join(form.key_items), key, "a record with these keys exists")],
        )
    row = FormRecord(
        participant_id=person.id,
        form=form.id,
        record_key=key,
        data={k: stored(v) for k, v in verdict.values.items()},
        study_version=study.version,
    )
    session.add(row)
    session.flush()
    queries = _open_queries(session, person, row, verdict.soft)
    return Saved(person.study_number, form.id, key, row.id, queries)


def record_row(session: StoreSession, person: Participant, form: Form, key: str) -> FormRecord:
    """The participant's record of a form with this key (empty: the one record)."""
    row = session.scalars(
        select(FormRecord).where(
            FormRecord.participant_id == person.id,
            FormRecord.form == form.id,
            FormRecord.record_key == key,
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"{form.label} record of {person.study_number}",
            key or "(the participant's one record)",
            "list the participant's records with `cairo6 participant show`",
        )
    return row


def update_form(
    trial: Trial,
    actor: Actor,
    study_number: str,
    form_id: str,
    changes: Mapping[str, Any],
    *,
    reason: str,
    record_key: str = "",
    today: dt.date | None = None,
    found: Sequence[FieldProblem] = (),
) -> Saved:
    """Change items of a record; the whole record is checked again, as at first entry, against
    the version of the study definition it was entered under, and every problem (with the
    caller's `found`, as in `record_form`) is reported at once."""
    reason = (reason or "").strip()
    if not reason:
        # Reported with the record's own problems, so a correction is refused once, whole.
        why = "allowed: a reason for a change after first entry; say why it changed"
        found = [FieldProblem("reason", reason, why), *found]
    study = trial.definition()
    form = study.form(form_id)
    require_unblinded_for(actor, form)
    with trial.db.write(actor, reason=reason or None) as session:
        person = participant(session, actor, study_number, RECORD_ACTION[form.recorded_by])
        row = record_row(session, person, form, record_key)
        study = trial.definition_of(row.study_version, session)
        form = study.form(form_id)
        lifecycle.ensure_editable(session, study, row, study_number)
        current = {k: v for k, v in row.data.items() if form.item(k) and not form.item(k).derived}  # type: ignore[union-attr]
        merged = {**current, **changes}
        context = _context(study, session, person, form, today or dt.date.today(), row.id)
        verdict = validate_record(study, form, merged, context)
        _refuse(form, found, verdict.problems)
        row.data = {k: stored(v) for k, v in verdict.values.items()}
        session.flush()
        queries = _open_queries(session, person, row, verdict.soft)
        return Saved(study_number, form.id, row.record_key, row.id, queries)


Records = dict[str, list[tuple[str, dict[str, Any]]]]
"""A participant's records: form id -> [(record key, typed items)], in form order."""


def records_in(
    session: StoreSession, study: Study, person: Participant, hidden: frozenset[str] = frozenset()
) -> Records:
    """Every record of a participant, read inside the caller's transaction; the forms named in
    `hidden` (those a blinded reader may not see) are left out altogether."""
    rows = session.scalars(
        select(FormRecord)
        .where(FormRecord.participant_id == person.id, FormRecord.form.not_in(hidden))
        .order_by(FormRecord.id)
    ).all()
    out: Records = {f.id: [] for f in study.forms if f.id not in hidden}
    for row in rows:
        if study.has_form(row.form):
            out[row.form].append(
                (row.record_key, typed_record(study, study.form(row.form), row.data))
            )
    return out


def records_of(trial: Trial, actor: Actor, study_number: str) -> Records:
    """Every record of a participant: form id -> [(record key, typed items)], form order."""
    study = trial.definition()
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.VIEW_PARTICIPANT)
        return records_in(session, study, person, hidden_forms(actor, study))
