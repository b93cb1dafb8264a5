"""Map a study's data file (one row per participant, the columns as distributed) onto its forms.

`mapping.toml` names, per column, the `form.item` it fills and how its codes translate; every
value is then checked against the item (type, range, code list), so a public data set enters
the trial exactly as typed data would, and every problem is reported with its row and column.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cairo6.errors import FieldProblem, FormError
from cairo6.study.models import DataType, Item
from cairo6.study.study import Study

Scalar = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueMap(_Model):
    """A column whose codes translate to study values (the arm, the centre)."""

    column: str
    values: dict[str, str]


class ColumnMap(_Model):
    """One data column: the item it fills and, for coded columns, its code translation."""

    column: str
    item: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    values: dict[str, Scalar] | None = None


class DataMapping(_Model):
    """`mapping.toml`: how the study's data file maps onto participants, arms and forms."""

    source: str
    participant: str
    arm: ValueMap
    centre: ValueMap | None = None
    missing: list[str] = [""]
    enrolled_on: dt.date
    """The enrolment date given to every participant when the data carry none."""
    enrolled_on_note: str = ""
    """Why that date (shown wherever it is used)."""
    columns: list[ColumnMap] = Field(min_length=1)


@dataclass
class ParticipantData:
    """One participant's records: form id -> list of item dicts (one per record)."""

    participant: str
    arm: str
    centre: str
    forms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _typed(item: Item, value: Scalar, study: Study) -> Any:
    """The value as the item's type; raises ValueError with what is allowed."""
    if item.type is DataType.INTEGER:
        number = float(value)
        if not number.is_integer():
            raise ValueError("a whole number")
        typed: Any = int(number)
    elif item.type is DataType.DECIMAL:
        typed = float(value)
    elif item.type is DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("true or false (map the column's codes in mapping.toml)")
        typed = value
    elif item.type is DataType.CODED:
        allowed = study.codelist(item.codelist or "").values()
        if str(value) not in allowed:
            raise ValueError("one of " + ", ".join(allowed))
        typed = str(value)
    else:
        typed = str(value)
    if isinstance(typed, int | float) and not isinstance(typed, bool):
        if math.isnan(typed):
            return None
        if (item.min is not None and typed < item.min) or (
            item.max is not None and typed > item.max
        ):
            raise ValueError(f"a value in [{item.min}, {item.max}]")
    return typed


def map_rows(
    rows: Iterable[Mapping[str, str]], mapping: DataMapping, study: Study
) -> list[ParticipantData]:
    """Every row as a participant with typed form records; `FormError` lists every problem."""
    problems: list[FieldProblem] = []
    arms = {a.id for a in study.trial_protocol.arms}
    targets = [(col, *study.item(col.item)) for col in mapping.columns]
    out: list[ParticipantData] = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"row {number}"
        arm = mapping.arm.values.get(row.get(mapping.arm.column, ""))
        if arm not in arms:
            problems.append(
                FieldProblem(
                    f"{where}.{mapping.arm.column}",
                    row.get(mapping.arm.column),
                    "an arm code listed in mapping.toml " + str(sorted(mapping.arm.values)),
                )
            )
            continue
        centre = ""
        if mapping.centre is not None:
            raw_centre = row.get(mapping.centre.column, "")
            centre = mapping.centre.values.get(raw_centre, raw_centre)
        person = ParticipantData(str(row.get(mapping.participant, "")), arm, centre)
        for col, form, item in targets:
            raw = row.get(col.column)
            if raw is None or raw in mapping.missing:
                continue
            value: Scalar = raw
            if col.values is not None:
                if raw not in col.values:
                    problems.append(
                        FieldProblem(
                            f"{where}.{col.column}", raw, "one of " + ", ".join(col.values)
                        )
                    )
                    continue
                value = col.values[raw]
            try:
                typed = _typed(item, value, study)
            except ValueError as exc:
                problems.append(FieldProblem(f"{where}.{col.column}", raw, str(exc)))
                continue
            if typed is None:
                continue
            records = person.forms.setdefault(form.id, [{}])
            records[0][item.id] = typed
        out.append(person)
    if problems:
        raise FormError(mapping.source, problems)
    return out
