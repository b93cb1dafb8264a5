"""A tidy extract of the trial record for analysis: one pandas DataFrame per form.

This is the only place the analysis touches the database; everything downstream is pure and
works on these frames, so the same analysis runs on a live database, an import directory or a
generated test cohort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select

from cairo6.store.engine import Database
from cairo6.store.schema import (
    FORM_TABLES,
    PARTICIPANT_FORMS,
    Centre,
    Participant,
    Randomisation,
    Screening,
    input_columns,
)


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def extract(db: Database) -> dict[str, pd.DataFrame]:
    """Every form as a DataFrame keyed by form name, plus centres, screening, participants."""
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
        for form in PARTICIPANT_FORMS:
            table = FORM_TABLES[form]
            keys = ["id", *(c.key for c in input_columns(table))]
            cols = [getattr(table, k) for k in keys]
            rows = session.execute(
                select(Participant.study_number, *cols)
                .join(Participant, Participant.id == table.participant_id)  # type: ignore[attr-defined]
                .order_by(table.id)  # type: ignore[attr-defined]
            ).all()
            frames[form] = _frame(rows, ["study_number", *keys])
    for frame in frames.values():
        for column in frame.columns:
            if frame[column].dtype == object and _all_dates(frame[column]):
                frame[column] = pd.to_datetime(frame[column])
    return frames


def _all_dates(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and all(
        isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values
    )
