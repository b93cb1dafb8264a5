"""CSV export and import of a study's form records, with columns generated from its definition.

One file per form: `study_number`, `record_key`, then the form's input items in order (codes,
not labels; dates as YYYY-MM-DD; lists and mappings as JSON). The import checks every row
exactly as a form saved at a site is checked and writes all files in one transaction, or, when
any row is refused, nothing, listing every row, item and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cairo6.errors import Cairo6Error, FieldProblem, FormError, NotFoundError
from cairo6.service.permissions import Action, require
from cairo6.service.records import RECORD_ACTION, record_in
from cairo6.service.trial import Trial, participant
from cairo6.store.audit import Actor
from cairo6.store.schema import FormRecord, Participant
from cairo6.study.models import Form
from cairo6.study.validate import stored

KEYS = ("study_number", "record_key")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
IMPORT_REASON = "imported from CSV"


def columns(form: Form) -> list[str]:
    """The columns of a form's file."""
    return [*KEYS, *(item.id for item in form.items() if item.derived is None)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    text = str(stored(value))
    # A spreadsheet would run a cell starting with these as a formula (OWASP CSV injection);
    # a leading apostrophe shows the text as typed and the import strips it again.
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def export_records(trial: Trial, actor: Actor, out_dir: Path) -> dict[str, int]:
    """Write `<form>.csv` for every form of the study; returns rows written per form."""
    require(actor, Action.EXPORT)
    study = trial.definition()
    with trial.db.read() as session:
        numbers = dict(session.execute(select(Participant.id, Participant.study_number)).all())
        rows = session.scalars(select(FormRecord).order_by(FormRecord.id)).all()
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for form in study.forms:
        names = columns(form)
        path = out_dir / f"{form.id}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            written = 0
            for row in rows:
                if row.form != form.id:
                    continue
                values = {"study_number": numbers[row.participant_id], "record_key": row.record_key}
                writer.writerow(_cell(values.get(n, row.data.get(n))) for n in names)
                written += 1
        counts[form.id] = written
    return counts


def _value(text: str) -> Any:
    text = text.strip()
    if text.startswith("'") and text[1:2] in FORMULA_START:
        return text[1:]
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _read(path: Path, form: Form) -> tuple[list[dict[str, str]], list[FieldProblem]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        expected = columns(form)
        unknown = [h for h in header if h not in expected]
        missing = [k for k in KEYS if k not in header]
        if unknown or missing:
            what = (f"unknown columns {unknown}; " if unknown else "") + (
                f"missing {missing}; " if missing else ""
            )
            return [], [
                FieldProblem(f"{path.name} header", header, f"{what}columns: {', '.join(expected)}")
            ]
        return list(reader), []


def import_records(
    trial: Trial, actor: Actor, directory: Path, *, today: dt.date | None = None
) -> dict[str, int]:
    """Import every `<form>.csv` found in the folder: all rows, or nothing and every problem."""
    study = trial.definition()
    require(actor, Action.IMPORT)
    files = {form.id: directory / f"{form.id}.csv" for form in study.forms}
    present = {form_id: path for form_id, path in files.items() if path.is_file()}
    if not present:
        raise NotFoundError(
            "CSV files",
            str(directory),
            "put <form>.csv files named after the study's forms ("
            + ", ".join(files)
            + ") in the folder",
        )
    problems: list[FieldProblem] = []
    counts: dict[str, int] = {}
    with trial.db.write(actor, insert_reason=IMPORT_REASON) as session:
        # Forms are imported in definition order, so a form's required forms come first.
        for form in study.forms:
            if form.id not in present:
                continue
            rows, found = _read(present[form.id], form)
            problems += found
            counts[form.id] = 0
            for number, raw in enumerate(rows, start=2):
                where = f"{form.id}.csv row {number}"
                values = {k: _value(v) for k, v in raw.items() if k not in KEYS and v.strip()}
                try:
                    person = participant(
                        session, actor, raw.get("study_number", "").strip(),
                        RECORD_ACTION[form.recorded_by],
                    )  # fmt: skip
                    record_in(session, study, person, form, values, today or dt.date.today())
                    counts[form.id] += 1
                except FormError as exc:
                    problems += [
                        FieldProblem(f"{where}.{p.field}", p.value, p.message) for p in exc.problems
                    ]
                except Cairo6Error as exc:
                    problems.append(FieldProblem(where, raw.get("study_number"), str(exc)))
        if problems:
            raise FormError("CSV import", problems)
    return counts


def export_records_odm(trial: Trial, actor: Actor, out_file: Path) -> int:
    """Write the study's metadata and every participant's records as one CDISC ODM 1.3
    snapshot; returns the number of subjects written."""
    from cairo6.study.odm_export import study_to_odm

    require(actor, Action.EXPORT)
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
