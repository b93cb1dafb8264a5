"""Group-sequential boundaries by Lan-DeMets alpha spending, and interim monitoring.

Spending functions (t = information fraction, a = the one-sided level of each side):
* O'Brien-Fleming-like (Lan & DeMets 1983): a(t) = 2 - 2 Phi(z_{1-a/2} / sqrt(t));
* Pocock-like (Lan & DeMets 1983): a(t) = a ln(1 + (e - 1) t).

A two-sided design with total alpha is symmetric: each side spends alpha/2 with the one-sided
function, as gsDesign (test.type = 2) and rpact (sided = 2) do, so two-sided 0.05 gives the same
|z| boundaries as one-sided 0.025 (3.710, 2.511, 1.993 for three equally spaced looks).

The boundary at look k solves P(no crossing before k, Z_k >= c_k) = a(t_k) - a(t_{k-1}) under
H0, where (Z_1, ..., Z_K) is multivariate normal with corr(Z_i, Z_j) = sqrt(t_i / t_j). The
probabilities are computed by the recursive numerical integration of Armitage, McPherson & Rowe
(JRSS A 1969;132:235-244; Jennison & Turnbull 2000, ch. 19): the sub-density of Z_k on the
continuation region is carried from look to look on a Simpson grid, so any information fractions
(those actually reached) can be used, and the same recursion with a drift gives the power.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq  # type: ignore[import-untyped]
from scipy.special import ndtr, ndtri  # type: ignore[import-untyped]

from cairo6.design import _checks as check
from cairo6.errors import InvalidValueError

FloatArray = NDArray[np.float64]

GRID_STEP = 0.02
"""Spacing of the integration grid on the z scale (Simpson: error far below 1e-6)."""

TAIL = 10.0
"""The grid reaches this many standard deviations beyond the mean where no boundary stops it."""


class Spending(StrEnum):
    """The alpha-spending function family."""

    OBRIEN_FLEMING = "obrien-fleming"
    POCOCK = "pocock"


def spent(spending: Spending, alpha: float, t: float) -> float:
    """Cumulative one-sided alpha spent by information fraction `t` (capped at 1)."""
    t = min(max(float(t), 0.0), 1.0)
    if t == 0.0:
        return 0.0
    if spending is Spending.OBRIEN_FLEMING:
        z = -float(ndtri(alpha / 2))  # z_{1 - alpha/2}
        return float(2.0 * ndtr(-z / math.sqrt(t)))  # 2 - 2 Phi(z / sqrt(t)), without cancellation
    return alpha * math.log(1.0 + (math.e - 1.0) * t)


@dataclass(frozen=True)
class GroupSequentialDesign:
    """Alpha (total over both sides when two-sided), sidedness, spending and planned looks."""

    alpha: float = 0.05
    sided: int = 2
    spending: Spending = Spending.OBRIEN_FLEMING
    fractions: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        check.open_unit("alpha", self.alpha)
        check.sided("sided", self.sided)
        if not isinstance(self.spending, Spending):
            raise InvalidValueError("spending", self.spending, ", ".join(s.value for s in Spending))
        check_fractions(self.fractions)

    @property
    def per_side(self) -> float:
        """The one-sided level each side spends."""
        return self.alpha / self.sided


def check_fractions(fractions: Sequence[float], field: str = "information_fraction") -> None:
    """Refuse fractions that are empty, not positive or not strictly increasing."""
    values = list(fractions)
    if not values or any(
        isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < math.inf)
        for v in values
    ):
        raise InvalidValueError(field, values, "one or more numbers above 0")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise InvalidValueError(field, values, "strictly increasing fractions, one per look")


@dataclass(frozen=True)
class Boundaries:
    """Critical |z| per look (one-sided: z), with the alpha spent."""

    alpha: float
    sided: int
    spending: Spending
    information: tuple[float, ...]
    spending_times: tuple[float, ...]
    z: tuple[float, ...]
    cumulative_alpha: tuple[float, ...]
    """Alpha spent up to each look, over both sides when two-sided."""

    @property
    def nominal_p(self) -> tuple[float, ...]:
        """The nominal p-value (two-sided when the design is) that crosses each boundary."""
        return tuple(float(self.sided * ndtr(-z)) for z in self.z)

    @property
    def incremental_alpha(self) -> tuple[float, ...]:
        """Alpha spent at each look."""
        cum = (0.0, *self.cumulative_alpha)
        return tuple(b - a for a, b in itertools.pairwise(cum))


@dataclass(frozen=True)
class _Layer:
    """The sub-density of Z_k on its continuation region, pre-multiplied by Simpson weights."""

    t: float
    z: FloatArray
    mass: FloatArray


def _simpson(lo: float, hi: float) -> tuple[FloatArray, FloatArray]:
    count = max(3, 2 * math.ceil((hi - lo) / GRID_STEP / 2) + 1)
    z = np.linspace(lo, hi, count)
    step = (hi - lo) / (count - 1)
    weights = np.full(count, 2.0)
    weights[1::2] = 4.0
    weights[0] = weights[-1] = 1.0
    return z, weights * step / 3.0


def _conditional(prev: _Layer, t: float, drift: float) -> tuple[FloatArray, float]:
    """Mean (per previous grid point) and sd of Z_k given Z_{k-1}."""
    dt = t - prev.t
    mean = (prev.z * math.sqrt(prev.t) + drift * dt) / math.sqrt(t)
    return mean, math.sqrt(dt / t)


def _cross_upper(prev: _Layer | None, t: float, drift: float, c: float) -> float:
    if prev is None:
        return float(ndtr(drift * math.sqrt(t) - c))
    mean, sd = _conditional(prev, t, drift)
    return float(prev.mass @ ndtr((mean - c) / sd))


def _cross_lower(prev: _Layer | None, t: float, drift: float, c: float) -> float:
    if prev is None:
        return float(ndtr(-c - drift * math.sqrt(t)))
    mean, sd = _conditional(prev, t, drift)
    return float(prev.mass @ ndtr((-c - mean) / sd))


def _layer(prev: _Layer | None, t: float, drift: float, c: float, sided: int) -> _Layer:
    """Carry the density to look k, keeping only the paths that did not cross at k."""
    centre = drift * math.sqrt(t)
    hi = min(c, centre + TAIL)
    lo = max(-c, centre - TAIL) if sided == 2 else centre - TAIL
    z, weights = _simpson(lo, hi)
    if prev is None:
        density = np.exp(-0.5 * (z - centre) ** 2) / math.sqrt(2 * math.pi)
    else:
        mean, sd = _conditional(prev, t, drift)
        kernel = np.exp(-0.5 * ((z[:, None] - mean[None, :]) / sd) ** 2)
        density = kernel @ prev.mass / (sd * math.sqrt(2 * math.pi))
    return _Layer(t, z, weights * density)


def _solve(prev: _Layer | None, t: float, increment: float) -> float:
    """The boundary c with P(continue so far, Z_k >= c) = increment under H0."""
    if increment <= 1e-15:
        return math.inf

    def excess(c: float) -> float:
        return _cross_upper(prev, t, 0.0, c) - increment

    low = -TAIL
    if excess(low) < 0:
        raise InvalidValueError(
            "alpha", increment, "an alpha the paths still continuing can spend", "lower alpha"
        )
    return float(brentq(excess, low, 40.0, xtol=1e-10, rtol=1e-12))


def compute_boundaries(
    design: GroupSequentialDesign,
    information: Sequence[float] | None = None,
    *,
    spending_times: Sequence[float] | None = None,
    final: bool = True,
) -> Boundaries:
    """Boundaries at the information fractions reached (default: the design's planned ones).

    `spending_times` (default: the information fractions) set how much alpha each look spends;
    the correlation uses `information` (only ratios matter). With `final`, the last look spends
    whatever alpha remains, as a final analysis does whatever information it reached.
    """
    info = tuple(float(v) for v in (information or design.fractions))
    check_fractions(info)
    times = tuple(float(v) for v in (spending_times or info))
    check_fractions(times, "spending_times")
    if len(times) != len(info):
        raise InvalidValueError(
            "spending_times", list(times), f"one spending time per look ({len(info)})"
        )
    scale = info[-1]
    t_corr = [v / scale for v in info]
    per_side = design.per_side
    targets = [spent(design.spending, per_side, v) for v in times]
    if final:
        targets[-1] = per_side
    z: list[float] = []
    prev: _Layer | None = None
    done = 0.0
    for k, t in enumerate(t_corr):
        increment = max(targets[k] - done, 0.0)
        c = _solve(prev, t, increment)
        z.append(c)
        done = max(done, targets[k]) if math.isfinite(c) else done
        if k + 1 < len(t_corr):
            prev = _layer(prev, t, 0.0, c, design.sided)
    cumulative = tuple(design.sided * v for v in _cumulative_spent(z, t_corr, design.sided))
    return Boundaries(
        design.alpha, design.sided, design.spending, info, times, tuple(z), cumulative
    )


def _cumulative_spent(z: Sequence[float], t: Sequence[float], sided: int) -> list[float]:
    upper, _ = crossing_probabilities(z, t, sided=sided, drift=0.0)
    return list(np.cumsum(upper))


def crossing_probabilities(
    z: Sequence[float], information: Sequence[float], *, sided: int = 2, drift: float = 0.0
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """P(first crossing at look k) of the upper and the lower boundary (lower: -z, two-sided
    only), when E[Z_k] = drift * sqrt(t_k) (drift = effect / SE at full information)."""
    check_fractions(information)
    if len(z) != len(information):
        raise InvalidValueError("z", list(z), f"one boundary per look ({len(information)})")
    scale = information[-1]
    t_corr = [v / scale for v in information]
    upper: list[float] = []
    lower: list[float] = []
    prev: _Layer | None = None
    for k, (c, t) in enumerate(zip(z, t_corr, strict=True)):
        upper.append(_cross_upper(prev, t, drift, c) if math.isfinite(c) else 0.0)
        lower.append(_cross_lower(prev, t, drift, c) if sided == 2 and math.isfinite(c) else 0.0)
        if k + 1 < len(t_corr):
            prev = _layer(prev, t, drift, c, sided)
    return tuple(upper), tuple(lower)


@dataclass(frozen=True)
class MonitorResult:
    """The decision at the latest look."""

    look: int
    information_fraction: float
    z: float
    boundary: float
    nominal_p: float
    crossed: bool
    final: bool
    cumulative_alpha: float
    boundaries: Boundaries

    @property
    def decision(self) -> str:
        """A one-line summary for a monitoring committee."""
        relation = ">=" if self.crossed else "<"
        verdict = "boundary crossed" if self.crossed else "boundary not crossed"
        return (
            f"look {self.look} at information {self.information_fraction:.3f}: "
            f"|z| = {abs(self.z):.3f} {relation} {self.boundary:.3f} "
            f"(nominal p {self.nominal_p:.4g}): {verdict}"
        )


def monitor(
    observed_z: float | Sequence[float],
    information_fraction: float | Sequence[float],
    design: GroupSequentialDesign,
    *,
    final: bool | None = None,
) -> MonitorResult:
    """Whether the statistic at the latest look crosses its boundary.

    Give the z statistics and information fractions (relative to the planned maximum) of every
    look so far, the current one last; the boundaries are recomputed at the fractions actually
    reached. `final` (default: the latest fraction reached 1) spends all remaining alpha.
    Positive z favours the experimental arm; a two-sided design stops on either side.
    """
    zs = [observed_z] if isinstance(observed_z, int | float) else list(observed_z)
    fractions = (
        [information_fraction]
        if isinstance(information_fraction, int | float)
        else list(information_fraction)
    )
    check_fractions(fractions)
    if len(zs) != len(fractions) or any(
        isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in zs
    ):
        raise InvalidValueError(
            "observed_z", zs, f"one finite z statistic per look ({len(fractions)})"
        )
    is_final = fractions[-1] >= 1.0 if final is None else final
    bounds = compute_boundaries(design, fractions, final=is_final)
    c = bounds.z[-1]
    z = float(zs[-1])
    crossed = (abs(z) if design.sided == 2 else z) >= c
    return MonitorResult(
        look=len(zs),
        information_fraction=float(fractions[-1]),
        z=z,
        boundary=c,
        nominal_p=bounds.nominal_p[-1],
        crossed=crossed,
        final=is_final,
        cumulative_alpha=bounds.cumulative_alpha[-1],
        boundaries=bounds,
    )
