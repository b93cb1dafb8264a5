"""CAIRO6's survival endpoints from the follow-up visits.

- Overall survival (ITT, allocated arm): randomisation to death from any cause.
- Progression-free survival (ITT): randomisation to recurrence/progression or death.
- Disease-free survival (CRS-HIPEC population, modified-ITT group): surgery to recurrence or
  death.

Per participant from the follow-up rows: the death date (any row's), the first recurrence date
of a row that reports a recurrence, and the last date known alive (the latest visit whose vital
status is alive, or the death). Without an event, a time is censored at the last date known
alive; a participant without any follow-up row is left out (with a warning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cairo6.analysis.ard import TOTAL, ArdRecord
from cairo6.analysis.survival import (
    MONTH_DAYS,
    TABLE,
    SurvivalCurve,
    at_risk,
    compare_survival,
    survival_records,
)
from cairo6.protocol.models import Methods

__all__ = [
    "ENDPOINTS",
    "SurvivalEndpoint",
    "endpoint_times",
    "participant_outcomes",
    "survival_analysis",
]


@dataclass(frozen=True)
class SurvivalEndpoint:
    """One time-to-event endpoint: its population, start and events."""

    id: str
    label: str
    population: str
    start: str
    """"randomisation" or "surgery"."""
    recurrence: bool
    """Whether a recurrence/progression is an event (besides death)."""


ENDPOINTS: tuple[SurvivalEndpoint, ...] = (
    SurvivalEndpoint("overall_survival", "Overall survival", "itt", "randomisation", False),
    SurvivalEndpoint(
        "progression_free_survival", "Progression-free survival", "itt", "randomisation", True
    ),
    SurvivalEndpoint(
        "disease_free_survival", "Disease-free survival", "crs_hipec", "surgery", True
    ),
)


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce", format="mixed")


def participant_outcomes(follow_up: pd.DataFrame) -> pd.DataFrame:
    """Per study number: death, first recurrence and last date known alive (NaT if none)."""
    rows = follow_up.copy()
    rows["visit_date"] = _dates(rows["visit_date"])
    rows["death_date"] = _dates(rows["death_date"])
    rows["recurrence_date"] = _dates(rows["recurrence_date"])
    recurred = rows["recurrence"].map(lambda v: v is True or str(v).lower() == "true")
    rows["recurrence_date"] = rows["recurrence_date"].where(recurred)
    alive = rows["visit_date"].where(rows["vital_status"] == "alive")
    rows["alive_date"] = alive
    by = rows.groupby("study_number")
    out = pd.DataFrame(
        {
            "death": by["death_date"].min(),
            "recurrence": by["recurrence_date"].min(),
            "last_alive": by["alive_date"].max(),
        }
    )
    out["last_alive"] = out["last_alive"].fillna(out["death"])
    return out


def endpoint_times(
    endpoint: SurvivalEndpoint, start: pd.Series, outcomes: pd.DataFrame
) -> pd.DataFrame:
    """Time (months) and event per study number (index of `start`, the start dates)."""
    known = outcomes.reindex(start.index)
    end = known["death"]
    if endpoint.recurrence:
        end = pd.concat([known["death"], known["recurrence"]], axis=1).min(axis=1)
    event = end.notna()
    stop = end.where(event, known["last_alive"])
    days = (stop - pd.to_datetime(start)).dt.days
    return pd.DataFrame({"time": days / MONTH_DAYS, "event": event}, index=start.index)


def survival_analysis(
    people: pd.DataFrame,
    follow_up: pd.DataFrame,
    surgery: pd.DataFrame,
    arms: Sequence[str],
    control: str,
    methods: Methods | None = None,
) -> tuple[list[ArdRecord], list[SurvivalCurve], list[tuple[str, str]]]:
    """ARD records (table "survival"), curves for the figure, and (study number, warning) pairs.

    `people` is `populations.analysis_set`'s frame; `arms` the arm ids in report order.
    """
    records: list[ArdRecord] = []
    curves: list[SurvivalCurve] = []
    warnings: list[tuple[str, str]] = []
    outcomes = participant_outcomes(follow_up)
    missing = sorted(set(people["study_number"]) - set(outcomes.index))
    warnings += [(sn, "no follow-up record: left out of the survival analysis") for sn in missing]
    surgery_dates = (
        _dates(surgery.drop_duplicates("study_number").set_index("study_number")["surgery_date"])
        if len(surgery)
        else pd.Series(dtype="datetime64[ns]")
    )
    for endpoint in ENDPOINTS:
        frame = people[people[endpoint.population].astype(bool)].copy()
        group_column = "arm" if endpoint.population == "itt" else "mitt_group"
        frame = frame[frame[group_column].notna() & frame["study_number"].isin(outcomes.index)]
        frame = frame.set_index("study_number")
        start = (
            _dates(frame["enrolled_on"])
            if endpoint.start == "randomisation"
            else surgery_dates.reindex(frame.index)
        )
        data = endpoint_times(endpoint, start, outcomes)
        data["group"] = frame[group_column].astype(str)
        data = data[data["time"].notna() & (data["time"] >= 0)]
        comparison = compare_survival(
            data["time"].tolist(),
            data["event"].astype(bool).tolist(),
            data["group"].tolist(),
            arms=arms,
            control=control,
            methods=methods,
        )
        present = {g.group for g in comparison.groups}
        records += survival_records(endpoint.id, endpoint.label, comparison)
        records += [
            ArdRecord(TABLE, endpoint.id, "", group, stat, 0, endpoint.label)
            for group in [*arms, TOTAL]
            if group not in present
            for stat in ("N", "n")
        ]
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
                    at_risk(times, until),
                )
            )
    return records, curves, warnings
