"""The bulk study-form path of the import gives what one `record_in` per row gives: the same
form records, audit records and queries, for a SYNTHETIC trial of every form."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cairo6.errors import Cairo6Error
from cairo6.protocol import Protocol
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.dictionary import ENROLMENT_FILES, file_order
from cairo6.service.exchange import import_directory
from cairo6.service.exchange_csv import cell_value
from cairo6.service.records import record_form
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, FormRecord, Query
from cairo6.studies.cairo6.synthetic_large import generate, write_exchange
from tests.service.test_exchange import Setup, empty_trial


def _form_rows(directory: Path, forms: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for form in forms:
        with (directory / f"{form}.csv").open(encoding="utf-8", newline="") as handle:
            for raw in csv.DictReader(handle):
                values = {k: cell_value(v) for k, v in raw.items() if k != "study_number" and v}
                rows.append((form, raw["study_number"], values))
    return rows


def _one_by_one(setup: Setup, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Each form row saved by the record service, those refused tried again at the end (as
    the import does for a row that needs a record of a later file)."""
    again = []
    for form, number, values in rows:
        try:
            record_form(setup.trial, setup.dm, number, form, values, today=dt.date.today())
        except Cairo6Error:
            again.append((form, number, values))
    for form, number, values in again:
        record_form(setup.trial, setup.dm, number, form, values, today=dt.date.today())


def _written(db: Database) -> tuple[list[tuple[Any, ...]], ...]:
    with db.read() as session:
        records = [
            (r.id, r.participant_id, r.form, r.record_key, r.data, r.study_version)
            for r in session.scalars(select(FormRecord).order_by(FormRecord.id))
        ]
        trail = [
            (r.username, r.action, r.table_name, r.record_id, r.participant, r.changes)
            for r in session.scalars(
                select(AuditRecord)
                .where(AuditRecord.table_name.in_(["form_record", "data_query"]))
                .order_by(AuditRecord.seq)
            )
        ]
        queries = [
            (q.record_id, q.field_name, q.question)
            for q in session.scalars(select(Query).order_by(Query.id))
        ]
    return records, trail, queries


def test_bulk_form_rows_are_saved_as_record_in_saves_them(cairo6: Protocol, tmp_path: Path) -> None:
    everything = tmp_path / "all"
    write_exchange(generate(12, seed=11), everything)
    forms = [p.stem for p in sorted(everything.glob("*.csv")) if p.stem not in ENROLMENT_FILES]
    bulk = empty_trial(Database(tmp_path / "bulk.db"), cairo6)
    summary = import_directory(bulk.trial, bulk.dm, everything)
    assert sum(summary.rows[f] for f in forms if f in summary.rows) > 50
    # The same trial history, then every form row through the record service.
    enrolment = tmp_path / "enrolment"
    enrolment.mkdir()
    for name in ENROLMENT_FILES:
        shutil.copy(everything / f"{name}.csv", enrolment / f"{name}.csv")
    single = empty_trial(Database(tmp_path / "single.db"), cairo6)
    import_directory(single.trial, single.dm, enrolment)
    order = [f for f in (p.stem for p in sorted(everything.glob("*.csv"))) if f in forms]
    _one_by_one(
        single, _form_rows(everything, sorted(order, key=file_order(bulk.trial.study).index))
    )
    assert _written(bulk.trial.db) == _written(single.trial.db)
    assert verify_trail(bulk.trial.db).ok
    assert replay_trail(bulk.trial.db) == []
