"""The Kaplan-Meier estimate, its pointwise band, its median with CI and landmark rates.

Written in numpy to follow R's `survival` package (3.5, `survfit.formula` and
`quantile.survfit`) and SAS PROC LIFETEST step by step, so that every convention is visible:

- Times closer than sqrt(machine epsilon) (absolutely, or relative to the mean time) are one
  time, as R's `Surv(timefix = TRUE)` makes them (`aeqSurv`), so that 10/3 computed two ways
  is a tie.
- The curve steps at every distinct time (events and censorings); S(t) = prod(1 - d / n).
- Greenwood: se(-log S) = sqrt(sum d / (n (n - d))), infinite once S reaches 0.
- Pointwise band (R `survfit_confint`): "log-log" (SAS LIFETEST's default CONFTYPE=LOGLOG;
  R `conf.type = "log-log"`) exp(-exp(log(-log S) -/+ z se / log S)); "log" (R's default)
  S exp(-/+ z se), upper capped at 1; "plain" S (1 -/+ z se), within [0, 1]. The log-log band
  is undefined (NA) where S is 0 or 1, the log band where S is 0: the variance is infinite there.
- Median ("midpoint", R `survfit` and SAS LIFETEST): the smallest t with S(t) <= 0.5, except
  where S(t) equals 0.5 over an interval (within R's tolerance sqrt(machine epsilon)): then the
  midpoint of that interval; when S stays at 0.5 to the last observation, the midpoint between
  where it got there and the last time. "first" takes the smallest t with S(t) <= 0.5.
- Median CI (Brookmeyer & Crowley 1982, as R and SAS): the same rule applied to the lower band
  (lower limit) and the upper band (upper limit). Undefined points of a band are skipped, so a
  limit whose band never reaches 0.5 is not reached (NA). A band that dips below 0.5 and comes
  back (the log-log band is not monotone) is read as R's `findq` reads it.
- Landmark rate at t (R `summary(fit, times = t)`): the step at t with its band; 1 (1-1) before
  the first time; not estimable after the last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats  # type: ignore[import-untyped]

from cairo6.errors import InvalidValueError

__all__ = [
    "MEDIAN_TOLERANCE",
    "CiTransform",
    "Estimate",
    "KaplanMeier",
    "MedianRule",
    "fix_ties",
    "kaplan_meier",
    "survival_quantile",
]

CiTransform = Literal["log-log", "log", "plain"]
MedianRule = Literal["midpoint", "first"]
FloatArray = NDArray[np.float64]

MEDIAN_TOLERANCE = math.sqrt(np.finfo(float).eps)
"""R `quantile.survfit(tolerance = sqrt(.Machine$double.eps))`: S within this of 0.5 is 0.5."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its CI; None where not estimable (e.g. median not reached)."""

    value: float | None
    low: float | None
    high: float | None

    def values(self) -> tuple[float | None, float | None, float | None]:
        """(value, low, high)."""
        return self.value, self.low, self.high


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier fit: the step function (one step per distinct time) with its band.

    `lower` and `upper` are None where the band is undefined (see the module docstring).
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    at_risk: tuple[int, ...]
    median: Estimate
    n: int
    events: int

    def at(self, t: float) -> Estimate:
        """S(t) with its CI (R `summary(fit, times = t)`); None beyond the last time."""
        if not self.times or t > self.times[-1]:
            return Estimate(None, None, None)
        if t < self.times[0]:
            return Estimate(1.0, 1.0, 1.0)
        i = int(np.searchsorted(np.asarray(self.times), t, side="right")) - 1
        return Estimate(self.survival[i], self.lower[i], self.upper[i])


def fix_ties(time: FloatArray, tolerance: float = MEDIAN_TOLERANCE) -> FloatArray:
    """Times within `tolerance` of the previous distinct time become that time (R `aeqSurv`)."""
    distinct = np.unique(time[np.isfinite(time)])
    if distinct.size < 2:
        return time
    gaps = np.diff(distinct)
    tied = (gaps <= tolerance) | (gaps / np.mean(np.abs(distinct)) <= tolerance)
    if not tied.any():
        return time
    cuts = distinct[np.concatenate([[True], ~tied])]
    return np.asarray(cuts[np.searchsorted(cuts, time, side="right") - 1], dtype=np.float64)


def _arrays(time: ArrayLike, event: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape or t.ndim != 1:
        raise InvalidValueError("time/event", (t.shape, e.shape), "two sequences of one length")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InvalidValueError("time", "a negative or missing time", "finite times >= 0")
    return fix_ties(t), e


def _band(
    s: FloatArray, se: FloatArray, z: float, transform: CiTransform
) -> tuple[FloatArray, FloatArray]:
    """R `survfit_confint(p, se, logse = TRUE, conf.type)`; NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if transform == "log-log":
            xx = np.where((s == 0) | (s == 1), np.nan, s)
            shift = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - shift))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + shift))
        elif transform == "log":
            xx = np.where(s == 0, np.nan, s)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        elif transform == "plain":
            half = se * s * z
            lower = np.maximum(s - half, 0.0)
            upper = np.minimum(s + half, 1.0)
        else:
            raise InvalidValueError("ci_transform", transform, "'log-log', 'log' or 'plain'")
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _constant_index(nodes: FloatArray, value: float) -> int | None:
    """R `approx(nodes, seq_along(nodes), value, method = "constant", f = 1)`, 0-based.

    The position of the smallest node >= value (NaN nodes skipped, as R drops them), or None
    when value lies outside the nodes' range.
    """
    order = np.flatnonzero(~np.isnan(nodes))
    if not order.size:
        return None
    finite = nodes[order]
    if value < finite.min() or value > finite.max():
        return None
    above = order[finite >= value]
    return int(above[np.argmin(nodes[above])])


def survival_quantile(
    times: FloatArray,
    curve: FloatArray,
    p: float = 0.5,
    rule: MedianRule = "midpoint",
    tolerance: float = MEDIAN_TOLERANCE,
) -> float | None:
    """The time where `curve` (S at `times`, NaN where undefined) falls to 1 - p.

    "midpoint" is R's `findq` (survival:::quantile.survfit); "first" the smallest time with
    S <= 1 - p. None when not reached.
    """
    x = np.concatenate([[0.0], times])
    y = np.concatenate([[0.0], 1.0 - curve])
    if rule == "first":
        hit = np.flatnonzero(y >= p)
        return float(x[hit[0]]) if hit.size else None
    if not np.any(~np.isnan(y)) or np.nanmax(y) < p:
        return None
    last_time = float(x[-1])
    # R's duplicated(y): keep the first point of each value (NaN counts as one value).
    keys = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(keys, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    i1 = _constant_index(y + tolerance, p)
    i2 = _constant_index(y - tolerance, p)
    quantile = None if i1 is None or i2 is None else float((x[i1] + x[i2]) / 2)
    if p == 0:
        quantile = float(x[0])
    if not math.isnan(y[-1]) and abs(p - y[-1]) < tolerance:
        quantile = None if i1 is None else float((x[i1] + last_time) / 2)
    return quantile


def _optional(values: FloatArray) -> tuple[float | None, ...]:
    return tuple(float(v) if math.isfinite(v) else None for v in values)


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    level: float = 0.95,
    transform: CiTransform = "log-log",
    median_rule: MedianRule = "midpoint",
    tolerance: float = MEDIAN_TOLERANCE,
) -> KaplanMeier:
    """The Kaplan-Meier estimate (R `survfit(Surv(time, event) ~ 1, conf.type = transform)`)."""
    t, e = _arrays(time, event)
    if not 0 < level < 1:
        raise InvalidValueError("level", level, "a confidence level strictly between 0 and 1")
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=e.astype(np.float64), minlength=times.size)
    leaving = np.bincount(inverse, minlength=times.size).astype(np.float64)
    at_risk = t.size - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    # (n - d) / n rather than 1 - d / n: R's survfitkm.c does so, and only then does a curve
    # that halves in n steps land on 0.5 exactly, where the median rule asks for equality.
    s = np.cumprod((at_risk - deaths) / at_risk) if times.size else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(deaths > 0, deaths / (at_risk * (at_risk - deaths)), 0.0)
    se = np.sqrt(np.cumsum(terms))
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    lower, upper = _band(s, se, z, transform)

    def quantile(curve: FloatArray) -> float | None:
        return survival_quantile(times, curve, 0.5, median_rule, tolerance)

    return KaplanMeier(
        times=tuple(float(v) for v in times),
        survival=tuple(float(v) for v in s),
        lower=_optional(lower),
        upper=_optional(upper),
        at_risk=tuple(int(v) for v in at_risk),
        median=Estimate(quantile(s), quantile(lower), quantile(upper)),
        n=int(t.size),
        events=int(e.sum()),
    )
