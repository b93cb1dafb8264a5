"""Survival endpoints from the follow-up visits: Kaplan-Meier, log-rank, Cox, follow-up.

Pure (frames in, ARD records and curves out). Times are in months (days / (365.25 / 12)).

- Overall survival (ITT, allocated arm): randomisation to death from any cause.
- Progression-free survival (ITT): randomisation to recurrence/progression or death.
- Disease-free survival (CRS-HIPEC population, modified-ITT group): surgery to recurrence or
  death.

Per participant from the follow-up rows: the death date (any row's), the first recurrence date
of a row that reports a recurrence, and the last date known alive (the latest visit whose vital
status is alive, or the death). Without an event, a time is censored at the last date known
alive; a participant without any follow-up row is left out (with a warning).

Per endpoint and group (each arm and the total): the number at risk (N) and of events (n); the
Kaplan-Meier median with its 95% CI (Brookmeyer-Crowley on lifelines' log(-log) pointwise band);
the 3-year rate with its 95% CI (Greenwood variance, log(-log) transform); the median follow-up
by reverse Kaplan-Meier (censoring as the event; Schemper & Smith 1996). Between the arms: the
log-rank test and the Cox hazard ratio (experimental vs control, Efron ties) with its Wald 95% CI.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter  # type: ignore[import-untyped]
from lifelines.statistics import logrank_test  # type: ignore[import-untyped]
from lifelines.utils import median_survival_times  # type: ignore[import-untyped]

from cairo6.analysis.ard import COMPARISON, TOTAL, ArdRecord

__all__ = [
    "ENDPOINTS",
    "HORIZON_MONTHS",
    "MONTH_DAYS",
    "TABLE",
    "Estimate",
    "KaplanMeier",
    "SurvivalCurve",
    "SurvivalEndpoint",
    "cox_hazard_ratio",
    "endpoint_times",
    "kaplan_meier",
    "logrank",
    "participant_outcomes",
    "survival_analysis",
]

TABLE = "survival"
MONTH_DAYS = 365.25 / 12
HORIZON_MONTHS = 36.0
AT_RISK_EVERY = 6.0


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


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% CI; None where not estimable (e.g. median not reached)."""

    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier fit: the step function with its pointwise 95% band."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    median: Estimate
    n: int
    events: int

    def at(self, t: float) -> Estimate:
        """S(t) with its CI; None beyond the last observed time."""
        if not self.times or t > self.times[-1]:
            return Estimate(None, None, None)
        i = int(np.searchsorted(np.asarray(self.times), t, side="right")) - 1
        return Estimate(self.survival[i], self.lower[i], self.upper[i])


@dataclass(frozen=True)
class SurvivalCurve:
    """What the report draws for one endpoint and group: the steps and the numbers at risk."""

    endpoint: str
    label: str
    group: str
    times: tuple[float, ...]
    survival: tuple[float, ...]
    censored: tuple[float, ...]
    """Times of censored observations (tick marks)."""
    at_risk: tuple[tuple[float, int], ...]
    """(month, number still at risk) every `AT_RISK_EVERY` months."""


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def kaplan_meier(time: Sequence[float], event: Sequence[bool]) -> KaplanMeier:
    """The Kaplan-Meier estimate (lifelines) with log(-log) 95% CIs and the median's CI."""
    fitter = KaplanMeierFitter(alpha=0.05).fit(
        np.asarray(time, dtype=float), np.asarray(event, dtype=bool)
    )
    sf = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_survival_function_
    # lifelines leaves the band NaN where S = 1 (log(-log 1)); the band is then [1, 1].
    lower = band.iloc[:, 0].fillna(1.0)
    upper = band.iloc[:, 1].fillna(1.0)
    limits = median_survival_times(fitter.confidence_interval_)
    median = Estimate(
        _finite(fitter.median_survival_time_),
        _finite(limits.iloc[0, 0]),
        _finite(limits.iloc[0, 1]),
    )
    return KaplanMeier(
        times=tuple(float(t) for t in sf.index),
        survival=tuple(float(s) for s in sf),
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        median=median,
        n=len(time),
        events=int(np.asarray(event, dtype=bool).sum()),
    )


def logrank(
    time: Sequence[float], event: Sequence[bool], group: Sequence[bool]
) -> tuple[float, float]:
    """The log-rank chi-square statistic (1 df) and its P value; `group` marks one arm."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    g = np.asarray(group, dtype=bool)
    result = logrank_test(t[g], t[~g], e[g], e[~g])
    return float(result.test_statistic), float(result.p_value)


def cox_hazard_ratio(
    time: Sequence[float], event: Sequence[bool], exposed: Sequence[bool]
) -> Estimate:
    """The Cox hazard ratio of `exposed` vs not, with the Wald 95% CI (None if not estimable)."""
    frame = pd.DataFrame(
        {
            "time": np.asarray(time, dtype=float),
            "event": np.asarray(event, dtype=bool),
            "x": np.asarray(exposed, dtype=float),
        }
    )
    if frame["event"].sum() == 0 or frame["x"].nunique() < 2:
        return Estimate(None, None, None)
    try:
        fitter = CoxPHFitter().fit(frame, "time", "event")
    except Exception:  # lifelines raises its own convergence errors
        return Estimate(None, None, None)
    ci = fitter.confidence_intervals_.loc["x"]
    return Estimate(
        _finite(math.exp(float(fitter.params_["x"]))),
        _finite(math.exp(float(ci.iloc[0]))),
        _finite(math.exp(float(ci.iloc[1]))),
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


def _estimate_records(
    variable: str, level: str, group: str, stat: str, est: Estimate, label: str, note: str
) -> Iterable[ArdRecord]:
    yield ArdRecord(TABLE, variable, level, group, stat, est.value, label, note)
    yield ArdRecord(TABLE, variable, level, group, "ci_low", est.low, label, note)
    yield ArdRecord(TABLE, variable, level, group, "ci_high", est.high, label, note)


def _percent(est: Estimate) -> Estimate:
    def scale(v: float | None) -> float | None:
        return None if v is None else 100.0 * v

    return Estimate(scale(est.value), scale(est.low), scale(est.high))


def _at_risk(time: np.ndarray, until: float) -> tuple[tuple[float, int], ...]:
    ticks = np.arange(0.0, until + 1e-9, AT_RISK_EVERY)
    return tuple((float(t), int((time >= t).sum())) for t in ticks)


def survival_analysis(
    people: pd.DataFrame,
    follow_up: pd.DataFrame,
    surgery: pd.DataFrame,
    arms: Sequence[str],
    control: str,
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
        label = endpoint.label
        for group in [*arms, TOTAL]:
            part = data if group == TOTAL else data[data["group"] == group]
            records.append(ArdRecord(TABLE, endpoint.id, "", group, "N", len(part), label))
            records.append(
                ArdRecord(TABLE, endpoint.id, "", group, "n", int(part["event"].sum()), label)
            )
            if not len(part):
                continue
            km = kaplan_meier(part["time"].tolist(), part["event"].tolist())
            reverse = kaplan_meier(part["time"].tolist(), (~part["event"]).tolist())
            records += _estimate_records(
                endpoint.id, "median", group, "median", km.median, "Median (months)", ""
            )
            records += _estimate_records(
                endpoint.id,
                "rate_3y",
                group,
                "pct",
                _percent(km.at(HORIZON_MONTHS)),
                "3-year rate (%)",
                "Kaplan-Meier, 95% CI log(-log)",
            )
            records += _estimate_records(
                endpoint.id,
                "median_follow_up",
                group,
                "median",
                reverse.median,
                "Median follow-up (months)",
                "reverse Kaplan-Meier",
            )
            if group != TOTAL:
                curves.append(
                    SurvivalCurve(
                        endpoint.id,
                        label,
                        group,
                        km.times,
                        km.survival,
                        tuple(float(t) for t in part.loc[~part["event"], "time"]),
                        (),
                    )
                )
        if control in set(data["group"]) and data["group"].nunique() == 2:
            exposed = (data["group"] != control).tolist()
            hr = cox_hazard_ratio(data["time"].tolist(), data["event"].tolist(), exposed)
            note = "hazard ratio (Cox, Efron ties), other arm vs control; Wald 95% CI"
            for stat, value in (("rr", hr.value), ("rr_low", hr.low), ("rr_high", hr.high)):
                records.append(
                    ArdRecord(
                        TABLE,
                        endpoint.id,
                        "hazard_ratio",
                        COMPARISON,
                        stat,
                        value,
                        "Hazard ratio",
                        note,
                    )
                )
            _, p = logrank(data["time"].tolist(), data["event"].tolist(), exposed)
            records.append(
                ArdRecord(TABLE, endpoint.id, "logrank", COMPARISON, "p_value", p, "Log-rank P")
            )
            records.append(
                ArdRecord(
                    TABLE, endpoint.id, "logrank", COMPARISON, "test", "log-rank", "Log-rank P"
                )
            )
        for i, curve in enumerate(curves):
            if curve.endpoint == endpoint.id and not curve.at_risk:
                times = data.loc[data["group"] == curve.group, "time"].to_numpy(dtype=float)
                curves[i] = SurvivalCurve(
                    curve.endpoint,
                    curve.label,
                    curve.group,
                    curve.times,
                    curve.survival,
                    curve.censored,
                    _at_risk(times, float(data["time"].max())),
                )
    return records, curves, warnings
