"""Comparing two arms' survival: the log-rank test and the Cox proportional-hazards model.

Our own numpy code rather than lifelines, whose fit stops early (HR up to 7e-4 off R), fails to
converge where R converges, and overflows when every event is in one arm. Both follow R's
`survival` package (SAS PROC LIFETEST / PHREG give the same numbers):

- Times closer than sqrt(machine epsilon) are tied, as R's `Surv(timefix = TRUE)`.
- Log-rank (R `survdiff(rho = 0)`, SAS LIFETEST STRATA's log-rank): O - E of one arm over the
  hypergeometric variance, chi-square with 1 df. With no events, or no variance (every event
  while only one arm was at risk), there is no test.
- Cox (R `coxph`, `coxph.control()` defaults): one binary covariate, ties by Efron (R's
  default) or Breslow (SAS PHREG's default), Newton-Raphson from 0 with step halving until the
  relative change of the log partial likelihood is at most `tolerance` (R eps = 1e-9) within
  `max_iterations` (R iter.max = 20); Wald CI exp(b -/+ z se).
- Before fitting, the score's limits as b -> +/-inf decide whether a finite estimate exists
  (for a 0/1 covariate they are exact sums over the event times): when every event is in one
  arm, or no event happens while both arms are at risk, the likelihood is monotone and R's
  "coefficient may be infinite" estimate is no estimate: the result is not estimable with its
  reason. Nothing here raises on data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats  # type: ignore[import-untyped]

from cairo6.analysis.kaplan_meier import fix_ties
from cairo6.errors import InvalidValueError

__all__ = ["CoxFit", "LogRank", "Ties", "cox_fit", "logrank"]

Ties = Literal["efron", "breslow"]
FloatArray = NDArray[np.float64]

ALL_IN_ONE_ARM = "all events in one arm"


@dataclass(frozen=True)
class LogRank:
    """The log-rank test; `chi2` and `p_value` are None when there is no test (`reason`)."""

    chi2: float | None
    p_value: float | None
    observed: float
    expected: float
    variance: float
    events: int
    reason: str = ""


@dataclass(frozen=True)
class CoxFit:
    """A Cox hazard ratio of the exposed arm with its Wald CI; None when not estimable."""

    coef: float | None
    se: float | None
    hazard_ratio: float | None
    low: float | None
    high: float | None
    events: int
    iterations: int
    ties: Ties
    reason: str = ""
    """Why there is no estimate ("" when there is one)."""


@dataclass(frozen=True)
class _RiskSets:
    """Per distinct event time: deaths and at-risk counts by arm."""

    deaths: FloatArray
    deaths_exposed: FloatArray
    at_risk: FloatArray
    at_risk_exposed: FloatArray


def _inputs(
    time: ArrayLike, event: ArrayLike, exposed: ArrayLike
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    x = np.asarray(exposed, dtype=bool)
    if not (t.shape == e.shape == x.shape) or t.ndim != 1:
        raise InvalidValueError("time/event/arm", (t.shape, e.shape, x.shape), "one length")
    if not np.all(np.isfinite(t)):
        raise InvalidValueError("time", "a missing or infinite time", "finite times")
    return fix_ties(t), e, x


def _risk_sets(t: FloatArray, e: NDArray[np.bool_], x: NDArray[np.bool_]) -> _RiskSets:
    times, which = np.unique(t[e], return_inverse=True)
    order = np.sort(t)
    order_exposed = np.sort(t[x])
    deaths = np.bincount(which, minlength=times.size).astype(np.float64)
    deaths_exposed = np.bincount(which, weights=x[e], minlength=times.size).astype(np.float64)
    at_risk = (t.size - np.searchsorted(order, times, side="left")).astype(np.float64)
    exposed = (order_exposed.size - np.searchsorted(order_exposed, times, side="left")).astype(
        np.float64
    )
    return _RiskSets(deaths, deaths_exposed, at_risk, exposed)


def logrank(time: ArrayLike, event: ArrayLike, exposed: ArrayLike) -> LogRank:
    """The log-rank test of the exposed arm against the other (R `survdiff`)."""
    t, e, x = _inputs(time, event, exposed)
    sets = _risk_sets(t, e, x)
    d, n, n1 = sets.deaths, sets.at_risk, sets.at_risk_exposed
    observed = float(sets.deaths_exposed.sum())
    expected = float(np.sum(d * n1 / n)) if d.size else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
    variance = float(terms.sum())
    events = int(e.sum())
    if events == 0:
        return LogRank(None, None, observed, expected, variance, 0, "no events")
    if x.all() or not x.any():
        return LogRank(None, None, observed, expected, variance, events, "one arm only")
    if variance <= 0:
        reason = "no event while both arms were at risk"
        return LogRank(None, None, observed, expected, variance, events, reason)
    chi2 = (observed - expected) ** 2 / variance
    return LogRank(chi2, float(stats.chi2.sf(chi2, 1)), observed, expected, variance, events)


def _no_estimate(t: FloatArray, e: NDArray[np.bool_], x: NDArray[np.bool_]) -> str:
    """Why the partial likelihood has no finite maximum ("" when it has one)."""
    events = int(e.sum())
    if events == 0:
        return "no events"
    if x.all() or not x.any():
        return "one arm only"
    sets = _risk_sets(t, e, x)
    d, d1 = sets.deaths, sets.deaths_exposed
    # As b -> +inf every event-time mean of x tends to 1 where an exposed subject is at risk
    # (0 otherwise); as b -> -inf to 0 where an unexposed one is at risk. Efron's and
    # Breslow's corrections do not change these limits.
    score_plus = float(np.sum(d1 - d * (sets.at_risk_exposed > 0)))
    score_minus = float(np.sum(d1 - d * (sets.at_risk - sets.at_risk_exposed == 0)))
    if score_plus == 0 and score_minus == 0:
        return "no event while both arms were at risk"
    if not (e & x).any() or not (e & ~x).any():
        return ALL_IN_ONE_ARM
    if score_plus >= 0 or score_minus <= 0:
        return "infinite estimate (monotone likelihood)"
    return ""


def _partial_likelihood(
    beta: float, t: FloatArray, e: NDArray[np.bool_], x: FloatArray, ties: Ties
) -> tuple[float, float, float]:
    """Log partial likelihood, score and information at `beta` (one covariate)."""
    w = np.exp(beta * x)
    times = np.unique(t[e])
    order = np.argsort(t, kind="stable")
    ts, ws, xs = t[order], w[order], x[order]
    # Sums over the risk set {time >= u}: reversed cumulative sums read at the first index.
    tail0 = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])
    tail1 = np.concatenate([np.cumsum((ws * xs)[::-1])[::-1], [0.0]])
    tail2 = np.concatenate([np.cumsum((ws * xs * xs)[::-1])[::-1], [0.0]])
    start = np.searchsorted(ts, times, side="left")
    dead = e & np.isin(t, times)
    which = np.searchsorted(times, t[dead])
    d = np.bincount(which, minlength=times.size).astype(np.float64)
    dw0 = np.bincount(which, weights=w[dead], minlength=times.size)
    dw1 = np.bincount(which, weights=(w * x)[dead], minlength=times.size)
    dw2 = np.bincount(which, weights=(w * x * x)[dead], minlength=times.size)
    # One term per death: the k-th of d tied deaths removes k/d of the dying weight (Efron).
    slot = np.repeat(np.arange(times.size), d.astype(np.int64))
    k = np.arange(slot.size) - np.repeat(np.cumsum(d) - d, d.astype(np.int64))
    f = k / d[slot] if ties == "efron" else np.zeros(slot.size)
    a0 = tail0[start][slot] - f * dw0[slot]
    a1 = tail1[start][slot] - f * dw1[slot]
    a2 = tail2[start][slot] - f * dw2[slot]
    mean = a1 / a0
    loglik = float(beta * x[e].sum() - np.sum(np.log(a0)))
    score = float(x[e].sum() - mean.sum())
    information = float(np.sum(a2 / a0 - mean * mean))
    return loglik, score, information


def cox_fit(
    time: ArrayLike,
    event: ArrayLike,
    exposed: ArrayLike,
    *,
    ties: Ties = "efron",
    tolerance: float = 1e-9,
    max_iterations: int = 20,
    level: float = 0.95,
) -> CoxFit:
    """The Cox hazard ratio of `exposed` vs not (R `coxph(Surv(time, event) ~ exposed)`)."""
    t, e, x = _inputs(time, event, exposed)
    if ties not in ("efron", "breslow"):
        raise InvalidValueError("ties", ties, "'efron' or 'breslow'")
    events = int(e.sum())
    reason = _no_estimate(t, e, x)
    if reason:
        return CoxFit(None, None, None, None, None, events, 0, ties, reason)
    # R centres the covariate; the estimate is unchanged and exp() stays in range.
    xc = x.astype(np.float64) - float(x.mean())
    beta = 0.0
    with np.errstate(all="ignore"):
        old, score, info = _partial_likelihood(beta, t, e, xc, ties)
        new_beta = beta + score / info
        halving = 0
        for iteration in range(1, max_iterations + 1):
            loglik, score, info = _partial_likelihood(new_beta, t, e, xc, ties)
            if not (math.isfinite(loglik) and math.isfinite(info)):
                break
            if abs(1 - loglik / old) <= tolerance and halving == 0:
                return _estimate(new_beta, info, events, iteration, ties, level)
            if loglik < old:  # overshoot: halve the step, as R's coxfit6 does
                halving += 1
                new_beta = (new_beta + beta) / 2
            else:
                halving = 0
                old, beta = loglik, new_beta
                if info <= 0:
                    break
                new_beta = beta + score / info
    reason = f"did not converge in {max_iterations} iterations"
    return CoxFit(None, None, None, None, None, events, max_iterations, ties, reason)


def _estimate(
    beta: float, information: float, events: int, iterations: int, ties: Ties, level: float
) -> CoxFit:
    if not information > 0:
        return CoxFit(None, None, None, None, None, events, iterations, ties, "no information")
    se = 1 / math.sqrt(information)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    try:
        hr, low, high = math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se)
    except OverflowError:
        reason = "hazard ratio out of range"
        return CoxFit(beta, se, None, None, None, events, iterations, ties, reason)
    return CoxFit(beta, se, hr, low, high, events, iterations, ties)
