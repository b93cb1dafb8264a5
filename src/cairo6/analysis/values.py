"""Per-participant values the rows are computed from: one wide frame plus event frames.

The wide frame has one row per randomised participant (index: study number) and columns
`<form>.<field>` for the one-per-participant forms, `set.<flag>` for the analysis populations,
and whatever columns the study's derivations add (a treatment course, values scored by
`cairo6.scoring`). A row's `value` is a column name or an expression:

    "<form>.<item>"
    { days_between = ["<form>.<date item>", "<form>.<date item>"] }
    { months_between = ["<form>.<date item>", "<form>.<date item>"] }
    { any = "<event form>", min_grade = 3 }            # yes/no per participant
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from cairo6.analysis.common import (
    MONTH_DAYS,
    WarningLog,
    as_datetime,
    mask,
    slug,
)
from cairo6.analysis.spec import EventSource, TablesSpec
from cairo6.errors import Cairo6Error, InvalidValueError
from cairo6.scoring import clavien_dindo_class, parse_ctcae_grade

__all__ = ["cached_map", "evaluate", "event_frames", "unique_patients", "wide_frame"]


def wide_frame(
    frames: Mapping[str, pd.DataFrame],
    people: pd.DataFrame,
    single_forms: Sequence[str],
    log: WarningLog,
) -> pd.DataFrame:
    """One row per randomised participant with every field of the `single_forms` (at most one
    record per participant) and every population flag."""
    wide = people.set_index("study_number", drop=False).add_prefix("set.")
    participant = frames["participant"].drop_duplicates("study_number").set_index("study_number")
    wide = wide.join(participant.add_prefix("participant."))
    for form in single_forms:
        frame = frames[form]
        frame = frame[frame["study_number"].isin(wide.index)]
        single = frame.drop_duplicates("study_number").set_index("study_number")
        wide = wide.join(single.drop(columns=["id"], errors="ignore").add_prefix(f"{form}."))
    orphans = pd.concat(
        [
            frame["study_number"]
            for form, frame in frames.items()
            if "study_number" in frame.columns and form != "screening"
        ]
    )
    unknown = set(orphans.dropna()) - set(wide.index)
    for number in sorted(str(n) for n in unknown):
        log.add(
            number, "participant", "study_number", "records for a study number never randomised"
        )
    return wide


# What pandas infers for a column that holds no dict or list (those are keyed by their repr):
# its values are their own keys, without a Python call per value.
_SCALAR_KINDS = frozenset(
    {"empty", "string", "integer", "floating", "mixed-integer-float", "decimal", "boolean",
     "datetime64", "datetime", "date", "timedelta64", "timedelta", "time", "period"}
)  # fmt: skip


def cached_map(values: pd.Series, score: Callable[[object], object]) -> pd.Series:
    """Apply a scoring function once per distinct value (JSON values keyed by their repr).

    Missing values stay missing without being scored.
    """
    keys = (
        values
        if pd.api.types.infer_dtype(values, skipna=True) in _SCALAR_KINDS
        else values.map(lambda v: repr(v) if isinstance(v, dict | list) else v)
    )
    first = pd.Series(values.to_numpy(), index=keys.to_numpy()).groupby(level=0).first()
    scored = {key: score(value) for key, value in first.items()}
    return keys.map(scored)


# --- events ----------------------------------------------------------------------------------


def _grade_number(value: object) -> int | str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    raise InvalidValueError("grade", value, "a grade as text or a whole number")


def _grades(raw: pd.Series, scale: str, who: pd.Series, form: str, log: WarningLog) -> pd.Series:
    parse = clavien_dindo_class if scale == "clavien_dindo" else parse_ctcae_grade

    def grade(value: object) -> object:
        try:
            return parse(_grade_number(value))
        except (ValueError, TypeError, Cairo6Error) as exc:
            return f"grade not readable: {exc}"

    scored = cached_map(raw, grade)
    log.add_rows(who[raw.isna()], form, "grade", "no grade recorded")
    bad = scored.map(lambda v: isinstance(v, str))
    for index in scored.index[bad]:
        log.add(who[index], form, "grade", str(scored[index]))
    return pd.to_numeric(scored.where(~bad), errors="coerce").astype("Int64")


def event_frames(
    frames: Mapping[str, pd.DataFrame], spec: TablesSpec, wide: pd.DataFrame, log: WarningLog
) -> dict[str, pd.DataFrame]:
    """Per event form: study_number, term, level (term as level name), grade, phase, date."""
    out: dict[str, pd.DataFrame] = {}
    # Forms graded by matching another form come last, once that form is built.
    order = sorted(spec.events.values(), key=lambda s: s.grade.startswith("match:"))
    for source in order:
        out[source.form] = _events(frames, source, spec, wide, out, log)
    return out


def _events(
    frames: Mapping[str, pd.DataFrame],
    source: EventSource,
    spec: TablesSpec,
    wide: pd.DataFrame,
    built: Mapping[str, pd.DataFrame],
    log: WarningLog,
) -> pd.DataFrame:
    raw = frames.get(source.form)
    if raw is None:
        raw = pd.DataFrame({"study_number": pd.Series(dtype=object)})
    raw = raw[raw["study_number"].isin(wide.index)]
    if source.where:
        raw = raw[mask(raw, source.where)]
    events = pd.DataFrame({"study_number": raw["study_number"]}, index=raw.index)
    terms = raw[source.term] if source.term in raw else pd.Series(None, index=raw.index)
    events["term"] = terms.astype(object).where(terms.notna(), "")
    overrides = spec.text_levels
    events["level"] = cached_map(events["term"], lambda t: slug(str(t), overrides))
    if source.term:
        blank = events["term"].eq("")
        log.add_rows(events.loc[blank, "study_number"], source.form, source.term, "no term")
    events["phase"] = raw.get(source.phase, None)
    events["date"] = raw.get(source.date, pd.NaT)
    if source.grade in ("clavien_dindo", "ctcae"):
        events["grade"] = _grades(raw["grade"], source.grade, raw["study_number"], source.form, log)
    elif source.grade.startswith("match:"):
        events["grade"] = _matched_grade(events, built, source)
    else:
        events["grade"] = pd.Series(pd.NA, index=events.index, dtype="Int64")
    for column in raw.columns.difference(events.columns):
        events[f"form.{column}"] = raw[column]
    return events.reset_index(drop=True)


def _matched_grade(
    events: pd.DataFrame, built: Mapping[str, pd.DataFrame], source: EventSource
) -> pd.Series:
    other = built.get(source.grade.removeprefix("match:"))
    if other is None or other.empty:
        worst = pd.Series(dtype="Int64")
    else:
        worst = other.groupby(["study_number", "level"])["grade"].max()
    keys = pd.MultiIndex.from_frame(events[["study_number", "level"]])
    grade = pd.Series(worst.reindex(keys).to_numpy(), index=events.index, dtype="Int64")
    # Unmatched events that should have matched are a quality check (`quality._events`); the
    # others take the spec's default grade by design.
    if source.default_grade is not None:
        grade = grade.fillna(source.default_grade)
    return grade


def _select_events(events: pd.DataFrame, spec: Mapping[str, object]) -> pd.DataFrame:
    keep = pd.Series(True, index=events.index)
    low, high = spec.get("min_grade"), spec.get("max_grade")
    if isinstance(low, int):
        keep &= events["grade"].ge(low).fillna(False).astype(bool)
    if isinstance(high, int):
        keep &= events["grade"].le(high).fillna(False).astype(bool)
    where = spec.get("where", {})
    if isinstance(where, dict) and where:
        keep &= mask(events, {str(k): v for k, v in where.items()})
    return events[keep]


# --- value expressions -----------------------------------------------------------------------


def _column(wide: pd.DataFrame, name: object) -> pd.Series:
    if not isinstance(name, str) or name not in wide.columns:
        raise InvalidValueError(
            "value", name, "a column of the analysis frame (form.field)", "correct the table spec"
        )
    return wide[name]


def evaluate(value: object, wide: pd.DataFrame, events: Mapping[str, pd.DataFrame]) -> pd.Series:
    """The per-participant series a row's `value` names (see module docstring)."""
    if isinstance(value, str):
        return _column(wide, value)
    if not isinstance(value, dict) or len(value) == 0:
        raise InvalidValueError("value", value, "a column name or an expression table")
    for op, scale in (("days_between", 1.0), ("months_between", MONTH_DAYS)):
        if op in value:
            pair = value[op]
            if not isinstance(pair, list) or len(pair) != 2:
                raise InvalidValueError(op, pair, "two column names [from, to]")
            start, end = (_column(wide, c) for c in pair)
            days = (as_datetime(end) - as_datetime(start)).dt.days
            return days.astype(float) / scale
    if "any" in value:
        form = value["any"]
        if not isinstance(form, str) or form not in events:
            raise InvalidValueError("any", form, ", ".join(events), "name an [events.*] form")
        chosen = _select_events(events[form], value)
        flags = wide.index.isin(chosen["study_number"])
        return pd.Series(flags, index=wide.index, dtype=bool)
    raise InvalidValueError(
        "value", value, "days_between, months_between or any", "correct the table spec"
    )


def unique_patients(events: pd.DataFrame, keys: list[Hashable]) -> pd.DataFrame:
    """Events reduced to one per participant and key, at the worst grade."""
    if events.empty:
        return events.iloc[0:0]
    grouped = events.groupby(["study_number", *keys], as_index=False, dropna=False)
    return grouped.agg(grade=("grade", "max"))
