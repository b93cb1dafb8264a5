"""The survival table from the study's time-to-event endpoints, on the analysis frames.

The same derivation as `cairo6.analysis.tte` (admiral's `derive_param_tte`), done on whole
frames so that it stays linear on large trials: per participant of the endpoint's population
the event is the earliest date, on or after the start, among the event sources' records that
meet their rule; without one the time is censored at the latest date among the censoring
sources (never before the start). A source's rule reads the items of its own record; it is
evaluated once per distinct combination of the items it reads. Participants without a start
date, or with neither an event nor a date to censor at, are left out with a warning.

Each endpoint is analysed in its population's grouping (`Context.population`), with the
landmark rate at its first horizon (the plan's default when it gives none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from cairo6.analysis.ard import TOTAL, ArdRecord
from cairo6.analysis.common import as_datetime
from cairo6.analysis.context import Context
from cairo6.analysis.rule_frames import record_rule
from cairo6.analysis.survival import (
    HORIZON_MONTHS,
    MONTH_DAYS,
    TABLE,
    SurvivalCurve,
    at_risk,
    compare_survival,
    survival_records,
)
from cairo6.study.models import EndpointDef, EndpointType, EventSource

__all__ = ["endpoint_times", "source_dates", "survival_tables"]

START_FACTS = {
    "@randomised_on": "participant.enrolled_on",
    "@enrolled_on": "participant.enrolled_on",
}
"""Start facts and the wide-frame column that holds them."""


def _qualifying(records: pd.DataFrame, source: EventSource) -> pd.Series:
    """Which records meet the source's rule (all of them without one)."""
    if source.when is None:
        return pd.Series(True, index=records.index)
    met: pd.Series = record_rule(source.when, source.form, records).fillna(False).astype(bool)
    return met


def source_dates(frame: pd.DataFrame | None, source: EventSource) -> pd.DataFrame:
    """study_number and date of each record of the source that meets its rule and is dated."""
    empty = pd.DataFrame(
        {"study_number": pd.Series(dtype=object), "date": pd.Series(dtype="M8[ns]")}
    )
    if frame is None or source.date not in frame.columns or frame.empty:
        return empty
    chosen = frame[_qualifying(frame, source)]
    dates = chosen[source.date]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, errors="coerce", format="ISO8601")
    out = pd.DataFrame({"study_number": chosen["study_number"], "date": dates})
    return out[out["date"].notna()]


def _start(ctx: Context, endpoint: EndpointDef, index: pd.Index) -> pd.Series:
    name = endpoint.start or ""
    column = START_FACTS.get(name, name)
    if column in ctx.wide.columns:
        return as_datetime(ctx.wide.loc[index, column], coerce=True)
    form, _, item = name.partition(".")
    records = source_dates(ctx.frames.get(form), EventSource(form=form, date=item))
    return records.groupby("study_number", sort=False)["date"].min().reindex(index)


def endpoint_times(
    frames: Mapping[str, pd.DataFrame],
    endpoint: EndpointDef,
    start: pd.Series,
    dated: Callable[[EventSource], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """time (months) and event per study number of `start` (the start dates); time missing
    when there is neither an event nor a date to censor at. `dated` gives a source's dated
    records (`source_dates` by default; a cache when several endpoints share sources)."""
    dated = dated or (lambda source: source_dates(frames.get(source.form), source))
    on_or_after, before = [], []
    for source in endpoint.events:
        found = dated(source)
        found = found[found["study_number"].isin(start.index)]
        begin = start.reindex(found["study_number"]).to_numpy()
        on_or_after.append(found[found["date"].to_numpy() >= begin])
        before.append(found.loc[found["date"].to_numpy() < begin, "study_number"])
    events = (
        pd.concat(on_or_after)
        .groupby("study_number", sort=False)["date"]
        .min()
        .reindex(start.index)
    )
    censors = [dated(s) for s in endpoint.censor]
    last = (
        pd.concat(censors).groupby("study_number", sort=False)["date"].max().reindex(start.index)
        if censors
        else pd.Series(pd.NaT, index=start.index, dtype="M8[ns]")
    )
    event = events.notna()
    stop = events.where(event, last.where(last.isna() | (last >= start), start))
    days = (stop - start).dt.days
    out = pd.DataFrame({"time": days / MONTH_DAYS, "event": event}, index=start.index)
    out["early"] = start.index.isin(pd.concat(before)) if before else False
    return out


def _has_records(ctx: Context, endpoint: EndpointDef) -> bool:
    forms = {s.form for s in (*endpoint.events, *endpoint.censor)}
    return any(ctx.frames.get(f) is not None and len(ctx.frames[f]) for f in forms)


def survival_tables(ctx: Context, endpoints: Sequence[EndpointDef]) -> list[SurvivalCurve]:
    """Add every time-to-event endpoint's records (table "survival") to the ARD; the curves to
    draw. An endpoint whose sources have no records at all (no follow-up yet) is left out."""
    curves: list[SurvivalCurve] = []
    found: dict[str, pd.DataFrame] = {}

    def dated(source: EventSource) -> pd.DataFrame:
        # Endpoints share sources (death, the last visit alive): each is read once.
        key = source.model_dump_json()
        if key not in found:
            found[key] = source_dates(ctx.frames.get(source.form), source)
        return found[key]

    control = next((a.id for a in ctx.protocol.arms if a.is_control), ctx.arms[-1])
    for endpoint in endpoints:
        if endpoint.type is not EndpointType.TIME_TO_EVENT or not _has_records(ctx, endpoint):
            continue
        frame = ctx.population(endpoint.population)
        frame = frame[frame["group"].notna()]
        start = _start(ctx, endpoint, frame.index)
        data = endpoint_times(ctx.frames, endpoint, start, dated)
        data["start"] = start
        data["group"] = frame["group"].astype(str)
        _left_out(ctx, endpoint, data)
        data = data[data["time"].notna()]
        horizon = endpoint.horizon_months[0] if endpoint.horizon_months else HORIZON_MONTHS
        comparison = compare_survival(
            data["time"].tolist(),
            data["event"].astype(bool).tolist(),
            data["group"].tolist(),
            arms=ctx.arms,
            control=control,
            methods=ctx.protocol.analysis.methods,
            horizon=horizon,
        )
        present = {g.group for g in comparison.groups}
        records = survival_records(endpoint.id, endpoint.label, comparison)
        records += [
            ArdRecord(TABLE, endpoint.id, "", group, stat, 0, endpoint.label)
            for group in [*ctx.arms, TOTAL]
            if group not in present
            for stat in ("N", "n")
        ]
        _add(ctx, records)
        if data.empty:
            continue
        until = float(data["time"].max())
        for g in comparison.groups:
            if g.group == TOTAL:
                continue
            times = data.loc[data["group"] == g.group, "time"].to_numpy(dtype=float)
            curves.append(
                SurvivalCurve(
                    endpoint.id,
                    endpoint.label,
                    g.group,
                    g.km.times,
                    g.km.survival,
                    g.censored,
                    at_risk(np.asarray(times), until),
                )
            )
    return curves


def _left_out(ctx: Context, endpoint: EndpointDef, data: pd.DataFrame) -> None:
    """Warn about each participant without a time, saying why."""
    forms = ", ".join(sorted({s.form for s in (*endpoint.events, *endpoint.censor)}))
    missing = data["time"].isna()
    no_start = data.index[missing & data["start"].isna()]
    early = data.index[missing & data["start"].notna() & data["early"]]
    nothing = data.index[missing & data["start"].notna() & ~data["early"]]
    left_out = f"left out of {endpoint.label.lower()}"
    item, _, field = (endpoint.start or "").partition(".")
    ctx.log.add_rows(no_start, item, field, f"no start date: {left_out}")
    ctx.log.add_rows(early, forms, "", f"an event dated before the start: {left_out}")
    ctx.log.add_rows(nothing, forms, "", f"no event and no date to censor at: {left_out}")


def _add(ctx: Context, records: list[ArdRecord]) -> None:
    ctx.ard.extend(records)
    ctx.labels.setdefault((TABLE, ""), "Survival")
    for record in records:
        ctx.labels.setdefault((TABLE, record.variable), record.label)
        if record.variable_level:
            level = f"{record.variable}/{record.variable_level}"
            ctx.labels.setdefault((TABLE, level), record.label)
