"""Shared plumbing of the analysis: the expected shape of the frames, warnings, level names.

The analysis never trusts the frames to be complete: a missing form or column is added empty
(and said so in a warning), dates are parsed, and values that cannot be read are set missing
with a warning naming participant and field, so that the analysis always completes.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from cairo6.analysis.result import QualityWarning
from cairo6.errors import InvalidValueError

Frames = Mapping[str, pd.DataFrame]

MONTH_DAYS = 365.25 / 12


@dataclass
class WarningLog:
    """Quality warnings in the order found, each at most once."""

    items: list[QualityWarning] = field(default_factory=list)
    _seen: set[QualityWarning] = field(default_factory=set)

    def add(self, participant: object, form: str, field_name: str, message: str) -> None:
        """Record one warning (participant may be missing: the warning is about a form)."""
        who = "" if is_missing(participant) else str(participant)
        item = QualityWarning(who, form, field_name, message)
        if item not in self._seen:
            self._seen.add(item)
            self.items.append(item)

    def add_rows(
        self, participants: Iterable[object], form: str, field_name: str, message: str
    ) -> None:
        """The same warning for several participants."""
        for participant in participants:
            self.add(participant, form, field_name, message)


def is_missing(value: object) -> bool:
    """None, NaN, NaT and pandas NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def raw_key(value: object) -> str | None:
    """A raw value as the string a level map is keyed by ("true", "0", "T4"); None if missing."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


_PARENS = re.compile(r"\([^)]*\)")
_POSSESSIVE = re.compile(r"'s\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slug(text: str, overrides: Mapping[str, str]) -> str:
    """The level name of a free text: the spec's override, else snake_case without (asides)."""
    if text in overrides:
        return overrides[text]
    plain = _PARENS.sub(" ", text.replace("\u2019", "'"))
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    plain = _POSSESSIVE.sub("", plain.lower())
    return _NON_WORD.sub("_", plain).strip("_") or "unspecified"


def as_json(value: object) -> object:
    """A JSON column's value: parsed from text when it arrives as text (CSV), else as is."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _condition(column: pd.Series, wanted: object, key: str) -> pd.Series:
    if isinstance(wanted, list):
        return column.isin(wanted)
    if isinstance(wanted, dict):
        result = pd.Series(True, index=column.index)
        numeric = pd.to_numeric(column, errors="coerce")
        ops = {"ge": numeric.ge, "gt": numeric.gt, "le": numeric.le, "lt": numeric.lt}
        for op, bound in wanted.items():
            if op == "ne":
                result &= column.ne(bound) & column.notna()
            elif op == "present":
                result &= column.notna() if bound else column.isna()
            elif op in ops:
                result &= ops[op](bound).fillna(False).astype(bool)
            else:
                raise InvalidValueError(f"where.{key}", op, "ge, gt, le, lt, ne or present")
        return result
    # A missing value never equals anything, so `x = false` does not pick up unknowns.
    return column.eq(cast("Any", wanted)) & column.notna()


def mask(frame: pd.DataFrame, where: Mapping[str, object]) -> pd.Series:
    """Rows meeting every condition: value, [values], or {ge/gt/le/lt/ne/present = ...}."""
    result = pd.Series(True, index=frame.index)
    for key, wanted in where.items():
        if key not in frame.columns:
            raise InvalidValueError(
                "where", key, "a column of the analysis frame", "correct the table spec"
            )
        result &= _condition(frame[key], wanted, key)
    return result


def normalise(
    frames: Frames,
    log: WarningLog,
    forms: Mapping[str, Sequence[str]],
    dates: Collection[str],
) -> dict[str, pd.DataFrame]:
    """Every expected form (`forms`: form -> columns) present with its columns, the `dates`
    columns parsed; problems logged. Frames of other forms pass through unchanged."""
    out: dict[str, pd.DataFrame] = {}
    for form, columns in forms.items():
        frame = frames.get(form)
        if frame is None:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            log.add("", form, "", f"no {form} data: treated as empty")
        else:
            frame = frame.reset_index(drop=True).copy()
        for column in columns:
            if column not in frame.columns:
                frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
                if len(frame):
                    log.add("", form, column, "column missing: treated as not recorded")
        for column in frame.columns.intersection(list(dates)):
            frame[column] = _dates(frame, form, column, log)
        out[form] = frame
    for form, frame in frames.items():
        out.setdefault(form, frame.reset_index(drop=True).copy())
    return out


def as_datetime(values: pd.Series, *, coerce: bool = False) -> pd.Series:
    """`pd.to_datetime(values)` (unreadable values missing when `coerce`), without its work
    when the values are datetime64[ns] already: on such a column pandas still walks every
    value to decide whether to cache, the slowest part of a date difference on large cohorts."""
    if values.dtype == np.dtype("datetime64[ns]"):
        return values.copy()
    converted: pd.Series = pd.to_datetime(values, errors="coerce" if coerce else "raise")
    return converted


def _dates(frame: pd.DataFrame, form: str, column: str, log: WarningLog) -> pd.Series:
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw
    parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        who = frame.loc[bad, "study_number"] if "study_number" in frame else [""] * int(bad.sum())
        log.add_rows(who, form, column, "not a date: treated as missing")
    return parsed


def first_per_participant(frame: pd.DataFrame, form: str, log: WarningLog) -> pd.DataFrame:
    """The first record of each participant of a once-per-participant form (the others warned)."""
    duplicated = frame["study_number"].duplicated()
    message = f"more than one {form} record: the first is used"
    log.add_rows(frame.loc[duplicated, "study_number"], form, "", message)
    return frame[~duplicated]
