"""A study's rules evaluated on the analysis frames, for every participant at once.

The answer is the one `Condition.evaluate` gives on the participant's flattened records
(`cairo6.analysis.definition.flatten`), three-valued (True, False, unknown), but computed per
form frame so that it stays linear on large trials: a comparison is evaluated once per distinct
value by `Condition.evaluate` itself and the answers are combined per participant with the same
rules (a repeating form's item holds when any of its values does; unknown when none is
recorded). `all`, `any` (k of n) and `not` combine participants' answers in Kleene logic;
`exists` with `where` tries each record of the form on its own.

Frames are those of the extract: one per form with `study_number` and the form's items; the
participant frame gives the facts `@arm`, `@centre`, `@randomised_on` and `@enrolled_on`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cairo6.analysis.common import is_missing
from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.scoring.registry import FUNCTIONS, DerivedFunction
from cairo6.study.models import DataType
from cairo6.study.study import Study

__all__ = [
    "fields_read",
    "population_flags",
    "record_rule",
    "rule_on_frames",
    "with_derived_items",
]

Frames = Mapping[str, pd.DataFrame]
FACTS = {
    "@arm": "arm",
    "@centre": "centre",
    "@randomised_on": "enrolled_on",
    "@enrolled_on": "enrolled_on",
}
"""Facts and the participant-frame column that holds them."""


def _plain(value: object, integer: bool = False) -> Any:
    """A frame value as the rule language reads it (dates as dates, numpy as Python)."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        value = value.item()
    if integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _leaf(rule: Condition, values: pd.Series) -> pd.Series:
    """The comparison on each value (unknown where missing), each distinct value once."""
    field = rule.field or ""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        # JSON values (lists, tables) are told apart by their text.
        keys = values.map(lambda v: repr(v) if isinstance(v, list | dict) else v)
        codes, _ = pd.factorize(keys, use_na_sentinel=True)
        first = pd.Series(np.arange(len(values))).groupby(codes, sort=True).first()
        uniques = values.to_numpy()[first.to_numpy()[first.index.to_numpy() >= 0]]
    verdicts = [rule.evaluate({field: _plain(v)}) for v in uniques]
    table = pd.array([*verdicts, None], dtype="boolean")
    # The sentinel -1 (missing) picks the last entry: unknown.
    return pd.Series(table[codes], index=values.index)


def _per_participant(
    rows: pd.Series, who: pd.Series, index: pd.Index, *, strict: bool = False
) -> pd.Series:
    """Record answers to participant answers: True if any holds; else False if one is False
    (and, when `strict`, none is unknown); else unknown, as for participants without records."""
    answers = rows.astype("boolean")
    known = answers.notna().to_numpy(dtype=bool)
    held = answers.fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame({"who": who.to_numpy(), "t": held, "f": known & ~held, "n": ~known})
    seen = frame.groupby("who", sort=False)[["t", "f", "n"]].any().reindex(index, fill_value=False)
    false = seen["f"] & ~seen["t"]
    if strict:
        false &= ~seen["n"]
    out = pd.Series(pd.NA, index=index, dtype="boolean")
    out[false.to_numpy()] = False
    out[seen["t"].to_numpy()] = True
    return out


def _field(rule: Condition, people: pd.DataFrame, frames: Frames) -> pd.Series:
    field = rule.field or ""
    if rule.other is not None:
        raise InvalidValueError(
            "rule", rule.describe(), "a comparison with a value", "compare with a literal"
        )
    if field == "@randomised":
        return _leaf(rule, pd.Series(True, index=people.index, dtype=object))
    if field in FACTS:
        return _leaf(rule, people[FACTS[field]].astype(object))
    form, _, item = field.partition(".")
    frame = frames.get(form)
    if frame is None or item not in frame.columns:
        return pd.Series(pd.NA, index=people.index, dtype="boolean")
    answers = _leaf(rule, frame[item].astype(object))
    return _per_participant(answers, frame["study_number"], people.index)


def record_rule(rule: Condition, form: str, frame: pd.DataFrame) -> pd.Series:
    """A `where` rule on each record of a form (its items read as `form.item` or `item`)."""
    if rule.all is not None or rule.any is not None:
        parts = [record_rule(c, form, frame) for c in rule.all or rule.any or []]
        return _combine(rule, parts, frame.index)
    if rule.not_ is not None:
        return ~record_rule(rule.not_, form, frame)
    if rule.field is None or rule.other is not None:
        raise InvalidValueError(
            "where", rule.describe(), "comparisons of the form's own items", "simplify the rule"
        )
    item = rule.field.removeprefix(f"{form}.")
    if item not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return _leaf(rule, frame[item].astype(object))


def _combine(rule: Condition, parts: list[pd.Series], index: pd.Index) -> pd.Series:
    if not parts:
        return pd.Series(rule.all is not None, index=index, dtype="boolean")
    if rule.all is not None:
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out
    need = rule.at_least or 1
    true = np.sum([p.fillna(False).to_numpy(dtype=bool) for p in parts], axis=0)
    unknown = np.sum([p.isna().to_numpy(dtype=bool) for p in parts], axis=0)
    result = pd.Series(False, index=index, dtype="boolean")
    result[(true + unknown) >= need] = pd.NA  # type: ignore[call-overload]
    result[true >= need] = True
    return result


def rule_on_frames(rule: Condition, people: pd.DataFrame, frames: Frames) -> pd.Series:
    """The rule for every participant of `people` (index: study number; columns arm, centre,
    enrolled_on) as a nullable boolean series: True, False or missing (unknown)."""
    if rule.all is not None or rule.any is not None:
        parts = [rule_on_frames(c, people, frames) for c in rule.all or rule.any or []]
        return _combine(rule, parts, people.index)
    if rule.not_ is not None:
        return ~rule_on_frames(rule.not_, people, frames)
    if rule.exists is not None:
        frame = frames.get(rule.exists)
        out = pd.Series(False, index=people.index, dtype="boolean")
        if frame is None or frame.empty:
            return out
        if rule.where is None:
            out[people.index.isin(frame["study_number"])] = True
            return out
        answers = record_rule(rule.where, rule.exists, frame)
        found = _per_participant(answers, frame["study_number"], people.index, strict=True)
        # Without records `exists` is False, not unknown.
        found[~people.index.isin(frame["study_number"])] = False
        return found
    return _field(rule, people, frames)


def with_derived_items(
    study: Study, frames: Frames, only: Collection[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The frames with each derived item of the definition that a frame lacks (of `only`,
    `form.item` names, when given) computed from the record's own items (the scoring function
    the definition names), once per distinct combination of inputs; a derivation that cannot
    be computed stays empty, as on entry."""
    out = dict(frames)
    for form in study.forms:
        frame = out.get(form.id)
        if frame is None:
            continue
        for item in form.items():
            derived = item.derived
            if derived is None or item.id in frame.columns:
                continue
            if only is not None and f"{form.id}.{item.id}" not in only:
                continue
            sources = dict(derived.inputs)
            if any("." in s or s not in frame.columns for s in sources.values()):
                continue
            # A whole-number item read back as float (a column with gaps) is an int again.
            integers = {i.id for i in form.items() if i.type is DataType.INTEGER}
            frame = frame.copy()
            frame[item.id] = _derive(FUNCTIONS[derived.function], sources, frame, integers)
            out[form.id] = frame
    return out


def _derive(
    function: DerivedFunction,
    sources: Mapping[str, str],
    frame: pd.DataFrame,
    integers: set[str],
) -> pd.Series:
    columns = list(sources.values())
    raw = frame[columns].astype(object)
    # JSON inputs (a dict of region scores) are grouped by their text.
    hashable = raw.apply(lambda c: c.map(lambda v: repr(v) if isinstance(v, list | dict) else v))
    codes = hashable.groupby(columns, dropna=False, sort=False).ngroup()
    results: dict[int, object] = {}
    for index in codes.index[~codes.duplicated().to_numpy()]:
        inputs = {p: _plain(raw.at[index, s], s in integers) for p, s in sources.items()}
        if any(inputs.get(name) is None for name in function.required()):
            results[int(codes[index])] = None
            continue
        try:
            results[int(codes[index])] = function.compute(
                **{k: v for k, v in inputs.items() if v is not None}
            )
        except (ValueError, TypeError):
            results[int(codes[index])] = None
    derived: pd.Series = codes.map(results).astype(object)
    return derived


def fields_read(study: Study) -> set[str]:
    """Every `form.item` the populations' rules read (their `exists ... where` included)."""
    return {
        field
        for population in study.populations
        if population.rule is not None
        for field in population.rule.fields() | _where_fields(population.rule)
    }


def _where_fields(rule: Condition) -> set[str]:
    if rule.exists is not None and rule.where is not None:
        return {f if "." in f else f"{rule.exists}.{f}" for f in rule.where.fields()}
    return {f for child in rule.children() for f in _where_fields(child)}


def population_flags(study: Study, people: pd.DataFrame, frames: Frames) -> pd.DataFrame:
    """A boolean column per population of the definition: whether its rule holds (every
    randomised participant for a population without a rule). `people` as `rule_on_frames`."""
    flags = pd.DataFrame(index=people.index)
    for population in study.populations:
        if population.rule is None:
            flags[population.id] = True
        else:
            answer = rule_on_frames(population.rule, people, frames)
            flags[population.id] = answer.fillna(False).astype(bool)
    return flags
