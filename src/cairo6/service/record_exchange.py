"""A study's form records as exchange rows: read for the CSV and Parquet exports, and written
as one CDISC ODM 1.3 snapshot.

One file per form: `study_number`, then the form's input items in definition order (codes, not
labels; dates as YYYY-MM-DD; lists and mappings as JSON). The import of these files is the one
import of the exchange format (`exchange_import.import_directory`), which saves each row through
`records.record_in` exactly as a form saved at a site.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import FormRecord, Participant
from cairo6.study.study import Study
from cairo6.study.validate import typed_record

Row = dict[str, Any]


def form_rows(
    session: StoreSession, study: Study, centre_id: int | None = None
) -> dict[str, list[Row]]:
    """Every form's records as typed rows with the study number, in entry order; one centre's
    participants only when a centre is given."""
    people = select(Participant.id, Participant.study_number)
    if centre_id is not None:
        people = people.where(Participant.centre_id == centre_id)
    numbers: dict[int, str] = dict(session.execute(people).all())
    out: dict[str, list[Row]] = {form.id: [] for form in study.forms}
    for row in session.scalars(select(FormRecord).order_by(FormRecord.id)):
        if row.participant_id in numbers and row.form in out:
            typed = typed_record(study, study.form(row.form), row.data)
            out[row.form].append({"study_number": numbers[row.participant_id], **typed})
    return out


def export_records_odm(trial: Trial, actor: Actor, out_file: Path) -> int:
    """Write the study's metadata and every participant's records as one CDISC ODM 1.3
    snapshot; returns the number of subjects written."""
    from cairo6.study.odm_export import study_to_odm

    require(actor, Action.EXPORT)
    require(actor, Action.VIEW_ALLOCATION)  # forms that reveal the allocation are in it
    study = trial.definition()
    with trial.db.read() as session:
        numbers = dict(session.execute(select(Participant.id, Participant.study_number)).all())
        rows = session.scalars(select(FormRecord).order_by(FormRecord.id)).all()
    subjects: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {
        number: {} for number in numbers.values()
    }
    for row in rows:
        subject = subjects[numbers[row.participant_id]]
        subject.setdefault(row.form, []).append((row.record_key, dict(row.data)))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    out_file.write_text(study_to_odm(study, subjects, created), encoding="utf-8")
    return len(subjects)
