"""The survival summary of any arms from plain arrays (time, event, arm), as ARD records.

Pure (plain arrays in, ARD records and curves out). Times are in months
(days / (365.25 / 12)). Which endpoints a study has, and how a participant's time is derived,
is the study's (its time-to-event endpoints); nothing here names one.

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
from numpy.typing import ArrayLike

from cairo6.analysis.ard import COMPARISON, TOTAL, ArdRecord, StatValue
from cairo6.analysis.cox import CoxFit, LogRank, cox_fit, logrank
from cairo6.analysis.kaplan_meier import Estimate, KaplanMeier, kaplan_meier
from cairo6.protocol.models import Methods

__all__ = [
    "HORIZON_MONTHS",
    "MONTH_DAYS",
    "TABLE",
    "Estimate",
    "GroupSurvival",
    "KaplanMeier",
    "SurvivalComparison",
    "SurvivalCurve",
    "at_risk",
    "compare_survival",
    "fit_kaplan_meier",
    "landmark_level",
    "not_estimable",
    "survival_records",
]

TABLE = "survival"
MONTH_DAYS = 365.25 / 12
HORIZON_MONTHS = 36.0
AT_RISK_EVERY = 6.0


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


def at_risk(time: np.ndarray, until: float) -> tuple[tuple[float, int], ...]:
    ticks = np.arange(0.0, until + 1e-9, AT_RISK_EVERY)
    return tuple((float(t), int((time >= t).sum())) for t in ticks)
