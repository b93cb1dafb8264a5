"""Generic rows: categorical, continuous, count (disposition boxes) and proportion.

Tests follow the analysis plan: an endpoint's own test where the row reports an endpoint, else
the test the spec names, else the plan's default categorical rule (Fisher when an expected
count is below the threshold, chi-square otherwise). Chi-square used with a small expected
count keeps a `small_expected` note on its `test` record, as the paper's Clavien-Dindo grade 4
row needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from cairo6.analysis.ard import TOTAL, add_comparison, add_count, add_descriptives
from cairo6.analysis.common import mask, raw_key
from cairo6.analysis.context import Context, group_size, in_group, record_rate
from cairo6.analysis.plan import compare_counts, planned_test
from cairo6.analysis.spec import RowSpec, TableSpec, opt_list, opt_map, opt_str
from cairo6.analysis.stats import (
    TestResult,
    describe_continuous,
    mann_whitney,
    t_test,
)
from cairo6.analysis.values import evaluate
from cairo6.errors import InvalidValueError

__all__ = ["categorical", "continuous", "count", "proportion"]


def _origin(row: RowSpec) -> tuple[str, str]:
    """The form and field a row's values come from, for warnings."""
    if isinstance(row.value, str) and "." in row.value:
        form, _, name = row.value.partition(".")
        return form, name
    return "derived", row.variable


def _levels(
    ctx: Context, table: TableSpec, row: RowSpec, values: pd.Series
) -> tuple[pd.Series, list[str]]:
    """Values as level names (missing when unmapped, with a warning) and the level order."""
    keys = _keys(values)
    named = _relabel(keys, row.level_map)
    levels = list(row.levels)
    if levels:
        unknown = named.notna() & ~named.isin(levels)
        form, name = _origin(row)
        for number, value in keys[unknown].items():
            ctx.log.add(
                number,
                form,
                name,
                f"value {value!r} has no level in {table.id}/{row.variable}: treated as missing",
            )
        named = named.where(~unknown)
    else:
        counts = named.dropna().value_counts()
        levels = sorted(counts.index.astype(str), key=lambda lv: (-int(counts[lv]), lv))
    return named, levels


def _per_distinct(values: pd.Series, compute: Callable[[Any], object]) -> pd.Series:
    """`compute` of every value, called once per distinct value; missing stays None."""
    codes, distinct = pd.factorize(values)
    # Filled one by one so that no result is taken apart as a sequence; code -1 (missing)
    # takes the None left last.
    computed = np.full(len(distinct) + 1, None, dtype=object)
    for position, value in enumerate(distinct):
        computed[position] = compute(value)
    return pd.Series(computed[codes], index=values.index, dtype=object)


def _keys(values: pd.Series) -> pd.Series:
    """raw_key of every value, computed once per distinct value."""
    return _per_distinct(values, raw_key)


def _relabel(keys: pd.Series, level_map: Mapping[str, str]) -> pd.Series:
    """Keys as level names: the level map's name, else the key itself."""
    return _per_distinct(keys, lambda key: level_map.get(key, key))


def _level_counts(named: pd.Series, frame: pd.DataFrame, groups: list[str]) -> dict[str, pd.Series]:
    """Per group, how many rows have each level (one pass per group, not per level)."""
    return {group: named[in_group(frame, group)].value_counts() for group in groups}


def _warn_missing(
    ctx: Context, table: TableSpec, row: RowSpec, values: pd.Series, what: str = "value"
) -> None:
    form, name = _origin(row)
    for number in values.index[values.isna().to_numpy()]:
        ctx.log.add(number, form, name, f"{what} missing: excluded from {table.id}/{row.variable}")


def _rule(ctx: Context, row: RowSpec, default: str) -> str:
    return planned_test(ctx.endpoint(row), row.test, default)


def _test_note(ctx: Context, table: TableSpec, row: RowSpec, problem: Exception) -> None:
    ctx.log.add("", table.id, row.variable, f"no test computed: {problem}")


def categorical(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """n and pct per level and group; the row's test between arms; a risk ratio if asked."""
    frame = ctx.population(ctx.population_name(table, row))
    frame = frame[mask(frame, row.where)] if row.where else frame
    values = evaluate(row.value, frame, ctx.events)
    _warn_missing(ctx, table, row, values)
    named, levels = _levels(ctx, table, row, values)
    count_only = {str(level) for level in opt_list(row.options, "count_only", row.variable)}
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    counted = [lv for lv in levels if lv not in count_only]
    table_counts: dict[str, dict[str, int]] = {}
    for group in ctx.columns(table, row):
        per_level = named[in_group(frame, group)].value_counts()
        n_of = {lv: int(per_level.get(lv, 0)) for lv in levels}
        denominator = sum(n_of[lv] for lv in counted)
        table_counts[group] = n_of
        for level in levels:
            if level in count_only:
                ctx.ard.add(table.id, row.variable, level, group, "n", n_of[level])
            else:
                add_count(ctx.ard, table.id, row.variable, level, group, n_of[level], denominator)
    _compare_levels(ctx, table, row, counted, frame, named)
    if row.endpoint is not None and row.event_level is not None:
        ctx.endpoint_counts[row.endpoint] = {
            group: (counts.get(row.event_level, 0), sum(counts[lv] for lv in counted))
            for group, counts in table_counts.items()
        }


def _compare_levels(
    ctx: Context,
    table: TableSpec,
    row: RowSpec,
    levels: list[str],
    frame: pd.DataFrame,
    named: pd.Series,
) -> None:
    rule = _rule(ctx, row, "auto")
    arms = ctx.arms
    if rule == "none" or len(arms) < 2:
        return
    per_arm = _level_counts(named, frame, arms)
    counts = [[int(per_arm[arm].get(level, 0)) for arm in arms] for level in levels]
    endpoint = ctx.endpoint(row)
    wants_ratio = endpoint is not None and endpoint.effect == "risk_ratio" and len(arms) == 2
    event_level = row.event_level if wants_ratio else None
    result = compare_counts(counts, levels, ctx.protocol.analysis, rule, event_level)
    for problem in result.problems:
        ctx.log.add("", table.id, row.variable, f"no test computed: {problem}")
    if result.test is not None:
        add_comparison(ctx.ard, table.id, row.variable, result.test)
    if result.risk_ratio is not None and row.event_level is not None:
        where = row.effect_table or table.id
        add_comparison(
            ctx.ard, where, row.variable, result.test, result.risk_ratio, level=row.event_level
        )


def _numbers(ctx: Context, row: RowSpec, values: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() & values.notna()
    form, name = _origin(row)
    for number, value in values[bad].items():
        ctx.log.add(number, form, name, f"{value!r} is not a number: treated as missing")
    return numeric.astype(float)


def continuous(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Summary statistics per group, counts of named values, and the row's test between arms."""
    frame = ctx.population(ctx.population_name(table, row))
    frame = frame[mask(frame, row.where)] if row.where else frame
    values = _numbers(ctx, row, evaluate(row.value, frame, ctx.events))
    _warn_missing(ctx, table, row, values)
    endpoint = ctx.endpoint(row)
    summary = opt_str(row.options, "summary", row.variable) or (
        endpoint.summary if endpoint is not None else "median_range"
    )
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    counted = opt_map(row.options, "count_equal", row.variable)
    for group in ctx.columns(table, row):
        present = values[in_group(frame, group)].dropna()
        if present.empty:
            ctx.ard.add(table.id, row.variable, "", group, "n", 0, note="no values")
        else:
            add_descriptives(
                ctx.ard,
                table.id,
                row.variable,
                group,
                describe_continuous(present.to_numpy()),
                summary,  # type: ignore[arg-type]
            )
        for level, target in counted.items():
            hits = int(present.eq(cast("Any", target)).sum())
            add_count(ctx.ard, table.id, row.variable, level, group, hits, len(present))
    rule = _rule(ctx, row, "none")
    arms = ctx.arms
    if rule in ("none", "auto") or len(arms) != 2:
        return
    x, y = (values[in_group(frame, arm)].dropna().to_numpy() for arm in arms)
    try:
        methods = ctx.protocol.analysis.methods
        result: TestResult = (
            t_test(x, y)
            if rule == "t_test"
            else mann_whitney(
                x, y, exact=methods.mann_whitney == "exact", small_arm=methods.small_arm
            )
        )
    except InvalidValueError as exc:
        _test_note(ctx, table, row, exc)
        return
    add_comparison(ctx.ard, table.id, row.variable, result)


# --- disposition -----------------------------------------------------------------------------


def _unit_frame(ctx: Context, table: TableSpec, row: RowSpec) -> pd.DataFrame:
    if row.options.get("source", "participant") == "screening":
        return ctx.screening()
    return ctx.population(ctx.population_name(table, row))


def _breakdown(ctx: Context, row: RowSpec, frame: pd.DataFrame, key: str) -> pd.Series:
    values = evaluate(row.options[key], frame, ctx.events)
    return _relabel(_keys(values), row.level_map)


def count(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Participants (or screening entries) meeting `where`, per group, by level, per split."""
    frame = _unit_frame(ctx, table, row)
    frame = frame[mask(frame, row.where)] if row.where else frame
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    if "split" not in row.options:
        _count_block(ctx, table, row, frame, row.variable)
        return
    split = _breakdown(ctx, row, frame, "split")
    for part in sorted(split.dropna().unique(), key=str):
        _count_block(ctx, table, row, frame[split == part], f"{row.variable}_{part}")


def _count_block(
    ctx: Context, table: TableSpec, row: RowSpec, frame: pd.DataFrame, variable: str
) -> None:
    if "by" not in row.options:
        for group in ctx.columns(table, row):
            ctx.ard.add(table.id, variable, "", group, "n", group_size(frame, group))
        return
    named = _breakdown(ctx, row, frame, "by")
    observed = named.dropna().value_counts()
    extra = sorted(
        (lv for lv in observed.index.astype(str) if lv not in row.levels),
        key=lambda lv: (-int(observed[lv]), lv),
    )
    unrecorded = named.isna()
    if unrecorded.any():
        form, name = _origin(RowSpec(kind="count", variable=variable, value=row.options["by"]))
        ctx.log.add_rows(
            named.index[unrecorded], form, name, f"not recorded: not counted in {variable}"
        )
    groups = ctx.columns(table, row)
    per_group = _level_counts(named, frame, groups)
    for level in [*row.levels, *extra]:
        for group in groups:
            hits = int(per_group[group].get(level, 0))
            ctx.ard.add(table.id, variable, level, group, "n", hits)


def proportion(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """n meeting `numerator` among the population (after `where`), with its own N and pct."""
    frame = _unit_frame(ctx, table, row)
    frame = frame[mask(frame, row.where)] if row.where else frame
    numerator = opt_map(row.options, "numerator", row.variable)
    hits = mask(frame, numerator)
    over = opt_str(row.options, "denominator", row.variable, "group")
    interval = bool(row.options.get("interval", False))
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    level = row.event_level or ""
    for group in ctx.columns(table, row):
        rows = in_group(frame, group)
        n = int(hits[rows].sum())
        total = len(frame) if over == TOTAL else int(rows.sum())
        record_rate(ctx, table.id, row.variable, level, group, n, total, interval=interval)


ROWS = {
    "categorical": categorical,
    "continuous": continuous,
    "count": count,
    "proportion": proportion,
}
