"""Survival endpoints from the follow-up visits, and the survival summary of any two arms.

Pure (frames or plain arrays in, ARD records and curves out). Times are in months
(days / (365.25 / 12)).

- Overall survival (ITT, allocated arm): randomisation to death from any cause.
- Progression-free survival (ITT): randomisation to recurrence/progression or death.
- Disease-free survival (CRS-HIPEC population, modified-ITT group): surgery to recurrence or
  death.

Per participant from the follow-up rows: the death date (any row's), the first recurrence date
of a row that reports a recurrence, and the last date known alive (the latest visit whose vital
status is alive, or the death). Without an event, a time is censored at the last date known
alive; a participant without any follow-up row is left out (with a warning).

`compare_survival` is the plain entry point (time, event, arm), which the report's path uses
too: per group the number at risk (N) and of events (n), the Kaplan-Meier median with its CI,
the landmark rate, the median follow-up by reverse Kaplan-Meier (censoring as the event;
Schemper & Smith 1996); between two arms the log-rank test and the Cox hazard ratio (other arm
vs control). The conventions (`cairo6.protocol.models.Methods`) are documented in
`kaplan_meier` and `cox`, and recorded with the numbers in the ARD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cairo6.analysis.ard import COMPARISON, TOTAL, ArdRecord, StatValue
from cairo6.analysis.cox import CoxFit, LogRank, cox_fit, logrank
from cairo6.analysis.kaplan_meier import Estimate, KaplanMeier, kaplan_meier
from cairo6.protocol.models import Methods

__all__ = [
    "ENDPOINTS",
    "HORIZON_MONTHS",
    "MONTH_DAYS",
    "TABLE",
    "Estimate",
    "GroupSurvival",
    "KaplanMeier",
    "SurvivalComparison",
    "SurvivalCurve",
    "SurvivalEndpoint",
    "compare_survival",
    "endpoint_times",
    "fit_kaplan_meier",
    "landmark_level",
    "not_estimable",
    "participant_outcomes",
    "survival_analysis",
    "survival_records",
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


@dataclass(frozen=True)
class GroupSurvival:
    """One group's Kaplan-Meier summary."""

    group: str
    n: int
    events: int
    km: KaplanMeier
    landmark: Estimate
    """S at the horizon, as a proportion."""
    follow_up: Estimate
    """Median follow-up by reverse Kaplan-Meier."""
    censored: tuple[float, ...]


@dataclass(frozen=True)
class SurvivalComparison:
    """Everything the survival table reports for one endpoint (see `compare_survival`)."""

    groups: tuple[GroupSurvival, ...]
    control: str
    other: str | None
    """The arm compared with the control (None without a two-arm comparison)."""
    logrank: LogRank | None
    cox: CoxFit | None
    horizon: float
    methods: Methods


def fit_kaplan_meier(
    time: ArrayLike, event: ArrayLike, methods: Methods, level: float = 0.95
) -> KaplanMeier:
    """`kaplan_meier` with the plan's conventions."""
    return kaplan_meier(
        time,
        event,
        level=level,
        transform=methods.km_ci_transform,
        median_rule=methods.median_rule,
    )


def compare_survival(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    *,
    arms: Sequence[str],
    control: str,
    methods: Methods | None = None,
    horizon: float = HORIZON_MONTHS,
    level: float = 0.95,
) -> SurvivalComparison:
    """Kaplan-Meier per arm of `arms` and in total; log-rank and Cox when exactly two arms
    (the control and one other) have participants. Plain sequences of one length in."""
    plan = methods or Methods()
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    a = np.asarray(arm, dtype=object)
    groups = []
    for group in [*arms, TOTAL]:
        pick = np.ones(t.size, dtype=bool) if group == TOTAL else a == group
        if not pick.any():
            continue
        km = fit_kaplan_meier(t[pick], e[pick], plan, level)
        reverse = fit_kaplan_meier(t[pick], ~e[pick], plan, level)
        groups.append(
            GroupSurvival(
                group,
                int(pick.sum()),
                int(e[pick].sum()),
                km,
                km.at(horizon),
                reverse.median,
                tuple(float(v) for v in t[pick & ~e]),
            )
        )
    present = [g for g in arms if (a == g).any()]
    others = [g for g in present if g != control]
    if control not in present or len(present) != 2:
        return SurvivalComparison(tuple(groups), control, None, None, None, horizon, plan)
    exposed = a == others[0]
    fit = cox_fit(
        t,
        e,
        exposed,
        ties=plan.cox_ties,
        tolerance=plan.cox_tolerance,
        max_iterations=plan.cox_max_iterations,
        level=level,
    )
    test = logrank(t, e, exposed)
    return SurvivalComparison(tuple(groups), control, others[0], test, fit, horizon, plan)


def landmark_level(horizon: float) -> str:
    """The ARD level of the landmark rate: "rate_3y" for 36 months."""
    return f"rate_{horizon / 12:g}y".replace(".", "_")


def not_estimable(reason: str) -> str:
    """The note of a statistic that has no estimate."""
    return f"not estimable ({reason})"


def _conventions(methods: Methods) -> tuple[str, str, str]:
    """The method notes of the medians, the landmark rates and the hazard ratio."""
    band = f"{methods.km_ci_transform} pointwise band"
    rule = (
        "midpoint where S(t) = 0.5 over an interval (R survfit, SAS LIFETEST)"
        if methods.median_rule == "midpoint"
        else "smallest time with S(t) <= 0.5"
    )
    return (
        f"Kaplan-Meier; median: {rule}; CI: Brookmeyer-Crowley on the {band}",
        f"Kaplan-Meier; CI: Greenwood variance, {band}",
        f"Cox proportional hazards, {methods.cox_ties} ties, Newton-Raphson to a relative "
        f"log-likelihood change <= {methods.cox_tolerance:g} (at most "
        f"{methods.cox_max_iterations} iterations); Wald CI",
    )


def survival_records(endpoint: str, label: str, comparison: SurvivalComparison) -> list[ArdRecord]:
    """The ARD records (table "survival") of one endpoint's comparison."""
    median_method, rate_method, cox_method = _conventions(comparison.methods)
    rate_level = landmark_level(comparison.horizon)
    rate_label = f"{comparison.horizon / 12:g}-year rate (%)"
    out: list[ArdRecord] = []

    def add(level: str, group: str, stat: str, value: StatValue, name: str, note: str = "") -> None:
        out.append(ArdRecord(TABLE, endpoint, level, group, stat, value, name, note))

    def estimate(level: str, group: str, stat: str, est: Estimate, name: str, method: str) -> None:
        add(level, group, stat, est.value, name)
        add(level, group, "ci_low", est.low, name)
        add(level, group, "ci_high", est.high, name)
        add(level, group, "method", method, name)

    for g in comparison.groups:
        add("", g.group, "N", g.n, label)
        add("", g.group, "n", g.events, label)
        estimate("median", g.group, "median", g.km.median, "Median (months)", median_method)
        pct = Estimate(*(None if v is None else 100.0 * v for v in g.landmark.values()))
        estimate(rate_level, g.group, "pct", pct, rate_label, rate_method)
        follow_up = "reverse Kaplan-Meier (censoring as the event); " + median_method
        estimate("median_follow_up", g.group, "median", g.follow_up, "Median follow-up", follow_up)
    fit, test = comparison.cox, comparison.logrank
    if fit is not None and comparison.other is not None:
        note = not_estimable(fit.reason) if fit.reason else ""
        name = "Hazard ratio"
        for stat, value in (
            ("rr", fit.hazard_ratio),
            ("rr_low", fit.low),
            ("rr_high", fit.high),
            ("coef", fit.coef),
            ("se", fit.se),
            ("n", fit.events),
        ):
            add("hazard_ratio", COMPARISON, stat, value, name, note)
        method = f"{cox_method}; {comparison.other} vs {comparison.control}"
        add("hazard_ratio", COMPARISON, "method", method, name)
    if test is not None:
        name = "Log-rank P"
        note = f"no test ({test.reason})" if test.reason else ""
        add("logrank", COMPARISON, "p_value", test.p_value, name, note)
        add("logrank", COMPARISON, "test", "log-rank", name, note)
        add("logrank", COMPARISON, "statistic", test.chi2, name, note)
        add("logrank", COMPARISON, "df", 1 if test.chi2 is not None else None, name, note)
        add("logrank", COMPARISON, "n", test.events, name, note)
    return out


def _at_risk(time: np.ndarray, until: float) -> tuple[tuple[float, int], ...]:
    ticks = np.arange(0.0, until + 1e-9, AT_RISK_EVERY)
    return tuple((float(t), int((time >= t).sum())) for t in ticks)


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
                    _at_risk(times, until),
                )
            )
    return records, curves, warnings
