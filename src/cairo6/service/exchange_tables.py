"""The trial record as exchange tables: one list of rows per form, and cell text both ways.

Shared by the CSV, Parquet and ODM exports and by the import, so that a value is written and
read back by the same rules (see `cairo6.service.exchange` for the format itself).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from cairo6.protocol import Protocol
from cairo6.report.cells import recover
from cairo6.service.dictionary import DictionaryEntry, file_variables
from cairo6.service.record_exchange import form_rows
from cairo6.service.validation import input_columns
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    Centre,
    EligibilityAssessment,
    Participant,
    Randomisation,
    Screening,
)
from cairo6.study.study import Study

Row = dict[str, Any]

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def cell_text(entry: DictionaryEntry, value: Any) -> str:
    """A typed value as CSV cell text; empty for "not entered"."""
    if value is None:
        return ""
    if entry.type == "boolean":
        return "true" if value else "false"
    if entry.type == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if entry.type == "float":
        number = float(value)
        # 250 rather than 250.0, so a value typed as a whole number reads back the same.
        return str(int(number)) if number.is_integer() else repr(number)
    if entry.type == "json":
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def parse_cell(entry: DictionaryEntry, text: str) -> Any:
    """Cell text as a typed value (None when empty); `ValueError` when it is not of the type.

    Text an export protected from spreadsheets (`report.cells.neutralise`) reads back as it was.
    """
    raw = recover(text.strip())
    if not raw:
        return None
    if entry.type == "boolean":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(raw)
    if entry.type == "integer":
        return int(raw)
    if entry.type == "float":
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError(raw)
        return number
    if entry.type == "date":
        return dt.date.fromisoformat(raw)
    if entry.type == "json":
        return json.loads(raw)
    return raw


def _eligibility_data(protocol: Protocol, data: Mapping[str, Any]) -> Row:
    out: Row = {}
    for spec in protocol.fields:
        value = data.get(spec.id)
        # The checklist is stored as JSON, where dates are ISO text.
        if spec.type.value == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        out[spec.id] = value
    return out


def read_tables(
    session: StoreSession,
    protocol: Protocol,
    study: Study | None = None,
    centre_id: int | None = None,
) -> dict[str, list[Row]]:
    """Every exchange file's rows as typed values, in a stable order; one centre if given."""
    tables: dict[str, list[Row]] = {}
    centres = session.execute(
        select(Centre.id, Centre.code, Centre.name, Centre.started_recruiting).order_by(Centre.id)
    ).all()
    tables["centre"] = [
        {"code": code, "name": name, "started_recruiting": started}
        for cid, code, name, started in centres
        if centre_id is None or cid == centre_id
    ]
    screening_keys = [c.key for c in input_columns(Screening) if c.key != "screening_number"]
    screening = session.execute(
        select(
            Screening.centre_id,
            Screening.screening_number,
            Centre.code,
            *(getattr(Screening, k) for k in screening_keys),
        )
        .join(Centre, Centre.id == Screening.centre_id)
        .order_by(Screening.id)
    ).all()
    tables["screening"] = [
        {"screening_number": number, "centre": code, **dict(zip(screening_keys, rest, strict=True))}
        for cid, number, code, *rest in screening
        if centre_id is None or cid == centre_id
    ]
    assessments = session.execute(
        select(
            Screening.centre_id,
            Screening.screening_number,
            EligibilityAssessment.assessed_on,
            EligibilityAssessment.data,
            EligibilityAssessment.eligible,
        )
        .join(Screening, Screening.id == EligibilityAssessment.screening_id)
        .order_by(EligibilityAssessment.id)
    ).all()
    tables["eligibility"] = [
        {
            "screening_number": number,
            "assessed_on": on,
            **_eligibility_data(protocol, data),
            "eligible": eligible,
        }
        for cid, number, on, data, eligible in assessments
        if centre_id is None or cid == centre_id
    ]
    allocations = session.execute(
        select(
            Participant.centre_id,
            Participant.study_number,
            Screening.screening_number,
            Participant.enrolled_on,
            Randomisation.arm,
            Randomisation.allocated_at,
            Randomisation.deviation,
        )
        .join(Participant, Participant.id == Randomisation.participant_id)
        .join(Screening, Screening.id == Participant.screening_id)
        .order_by(Randomisation.sequence_number)
    ).all()
    keys = [e.variable for e in file_variables(protocol)["randomisation"]]
    tables["randomisation"] = [
        dict(zip(keys, rest, strict=True))
        for cid, *rest in allocations
        if centre_id is None or cid == centre_id
    ]
    if study is not None:
        tables.update(form_rows(session, study, centre_id))
        _drop_enrolment_deviations(protocol, study, tables, allocations)
    return tables


def _drop_enrolment_deviations(
    protocol: Protocol, study: Study, tables: dict[str, list[Row]], allocations: Sequence[Any]
) -> None:
    """Leave out the deviation records the enrolment wrote itself (`[deviation_record]`): the
    randomisation file carries their text, and importing it writes them again, so exporting
    them too would double them on a round trip."""
    declared = protocol.deviation_record
    if declared is None or declared.form not in tables:
        return
    date_item = study.form(declared.form).date_item
    written = {
        number: {**declared.values, declared.text_item: text}
        | ({date_item: enrolled_on} if date_item else {})
        for _cid, number, _screening, enrolled_on, _arm, _at, text in allocations
        if text
    }
    kept = []
    for row in tables[declared.form]:
        expected = written.get(row["study_number"])
        if expected is not None and all(row.get(k) == v for k, v in expected.items()):
            del written[row["study_number"]]
            continue
        kept.append(row)
    tables[declared.form] = kept
