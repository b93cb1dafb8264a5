"""A tidy extract of the trial record for analysis: one pandas DataFrame per form.

This is the only place the analysis touches the database; everything downstream is pure and
works on these frames, so the same analysis runs on a live database, an import directory or a
generated test cohort.

Every form of the study definition bound to the database (or, for a database created from a
protocol file alone, the bundled study of that trial) gives one frame: `study_number`, `id`
(the form record's id), then the form's items in definition order, derived items included.
Types follow the definition the way the first release's per-form tables gave them: dates as
datetime64, booleans, integers (float where some are missing), lists and mappings as Python
objects. One query per form; documents are decoded by the driver and split into columns once.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Text, cast, select

from cairo6.store.engine import Database
from cairo6.store.meta import bound_study
from cairo6.store.schema import (
    Centre,
    FormRecord,
    Participant,
    Query,
    Randomisation,
    Screening,
)
from cairo6.study.models import DataType, Form
from cairo6.study.study import Study

QUERY_COLUMNS = ("form", "record_id", "field_name", "question", "status", "raised_by", "answer")
"""The data queries' frame (`query`), after `study_number` and `id`."""


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def extract(db: Database, study: Study | None = None) -> dict[str, pd.DataFrame]:
    """Every form as a DataFrame keyed by form id, plus centres, screening, participants and
    the data queries (`query`)."""
    study = study or bound_study(db)
    frames: dict[str, pd.DataFrame] = {}
    with db.read() as session:
        frames["centre"] = _frame(
            session.execute(select(Centre.code, Centre.name, Centre.started_recruiting)).all(),
            ["centre", "name", "started_recruiting"],
        )
        frames["screening"] = _frame(
            session.execute(
                select(
                    Screening.screening_number,
                    Centre.code,
                    Screening.screened_on,
                    Screening.approached,
                    Screening.not_approached_reason,
                    Screening.refused,
                    Screening.refusal_reason,
                    Screening.refusal_other,
                    Participant.study_number,
                )
                .join(Centre, Centre.id == Screening.centre_id)
                .outerjoin(Participant, Participant.screening_id == Screening.id)
                .order_by(Screening.id)
            ).all(),
            [
                "screening_number",
                "centre",
                "screened_on",
                "approached",
                "not_approached_reason",
                "refused",
                "refusal_reason",
                "refusal_other",
                "study_number",
            ],
        )
        frames["participant"] = _frame(
            session.execute(
                select(
                    Participant.study_number,
                    Centre.code,
                    Participant.enrolled_on,
                    Randomisation.arm,
                    Randomisation.sequence_number,
                    Randomisation.allocated_at,
                    Randomisation.source,
                    Randomisation.levels,
                )
                .join(Centre, Centre.id == Participant.centre_id)
                .join(Randomisation, Randomisation.participant_id == Participant.id)
                .order_by(Randomisation.sequence_number)
            ).all(),
            [
                "study_number",
                "centre",
                "enrolled_on",
                "arm",
                "sequence_number",
                "allocated_at",
                "source",
                "levels",
            ],
        )
        conn = session.connection()
        # The documents come as text and are decoded in one call per form: a JSON array of all
        # of them parses several times faster than one `json.loads` per row.
        document = cast(FormRecord.data, Text)
        for form in study.forms:
            rows = conn.execute(
                select(Participant.study_number, FormRecord.id, document)
                .join(Participant, Participant.id == FormRecord.participant_id)
                .where(FormRecord.form == form.id)
                .order_by(FormRecord.id)
            ).all()
            frames[form.id] = form_frame(form, rows)
        query_cols = [getattr(Query, c) for c in QUERY_COLUMNS]
        frames["query"] = _frame(
            session.execute(
                select(Participant.study_number, Query.id, *query_cols)
                .join(Participant, Participant.id == Query.participant_id)
                .order_by(Query.id)
            ).all(),
            ["study_number", "id", *QUERY_COLUMNS],
        )
    for name in ("centre", "screening", "participant"):
        frame = frames[name]
        for column in frame.columns:
            if frame[column].dtype == object and _all_dates(frame[column]):
                frame[column] = pd.to_datetime(frame[column])
    return frames


def form_frame(form: Form, rows: Sequence[Any]) -> pd.DataFrame:
    """One form's frame from (study_number, id, document) rows, columns in definition order."""
    texts = [r[2] for r in rows]
    documents: list[dict[str, Any]] = (
        json.loads("[" + ",".join(texts) + "]")
        if all(isinstance(t, str) for t in texts)
        else [t if isinstance(t, dict) else json.loads(t) for t in texts]
    )
    if not rows:
        # pandas types an empty list float64; the per-form tables gave object columns.
        empty = ["study_number", "id", *(item.id for item in form.items())]
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in empty})
    columns: dict[str, Any] = {
        "study_number": [r[0] for r in rows],
        "id": pd.array([r[1] for r in rows], dtype="int64"),
    }
    for item in form.items():
        values = [d.get(item.id) for d in documents]
        dated = item.type in (DataType.DATE, DataType.DATETIME) and not item.repeated
        # As before the move, a date column with no value at all stays an object column.
        if dated and any(v is not None for v in values):
            columns[item.id] = pd.to_datetime(typing.cast(list[str], values), format="ISO8601")
        else:
            columns[item.id] = values
    frame = pd.DataFrame(columns)
    # Built from Python lists, each column is typed by what it holds, as the per-form tables'
    # rows were: int64, float64 where a number is missing, bool, object for text and documents.
    for item in form.items():
        if frame[item.id].dtype == object and item.type in (DataType.INTEGER, DataType.DECIMAL):
            frame[item.id] = frame[item.id].infer_objects()
    return frame


def _all_dates(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and all(
        isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values
    )
