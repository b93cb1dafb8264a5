"""Simulated phase 3 trials, many at once: accrual, allocation, survival, dropout, analyses.

Pure: the generator is passed in; nothing is read or written. Every array is (trials, patients)
and each chunk of trials is simulated with whole-array operations; only the allocation engine
loops, over patients (`cairo6.randomization.run_vectorised`, the engine the live service's
allocations are proven equal to).

The analysis plan simulated: the final analysis is `follow_up_years` after the last patient
entered; each patient's survival is censored at `max_follow_up_years` (3 years: the primary
endpoint is 3-year overall survival) and at dropout. Interim analyses happen when the number of
events reaches each planned fraction of the planned events (by default the events expected at
the final analysis under the design alternative). At each look the log-rank z is compared with
Lan-DeMets boundaries computed at the information actually reached: interim looks spend alpha
at (events / planned events), the final look spends what remains, and correlations use the
events seen. An interim whose events are not reached before the final analysis is skipped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cairo6.design import _checks as check
from cairo6.design.accrual import (
    DEFAULT_CENTRES,
    Centre,
    draw_centres,
    draw_entries,
    expected_entries,
    schedule,
)
from cairo6.design.boundaries import (
    GroupSequentialDesign,
    Spending,
    check_fractions,
    compute_boundaries,
    crossing_probabilities,
)
from cairo6.design.logrank import z_from_codes
from cairo6.design.sample_size import hazard_ratio_from_rates, two_arm_ratios
from cairo6.errors import InvalidValueError
from cairo6.protocol.models import Protocol, RandomizationMethod
from cairo6.randomization import Design, design_from_protocol, run_vectorised

FloatArray = NDArray[np.float64]

DESIGN_HAZARD_RATIO = math.log(0.65) / math.log(0.50)
"""CAIRO6: 3-year survival 50% -> 65% under proportional hazards, HR = ln 0.65 / ln 0.50."""


@dataclass(frozen=True)
class TrialSpec:
    """Everything one simulated trial scenario needs."""

    patients: int = 358
    centres: tuple[Centre, ...] = DEFAULT_CENTRES
    control_rate: float = 0.50
    """Control-arm survival at `horizon_years`."""
    hazard_ratio: float = DESIGN_HAZARD_RATIO
    horizon_years: float = 3.0
    weibull_shape: float = 1.0
    """1 is exponential; the scale is fitted so the control arm has `control_rate` at horizon."""
    dropout: float = 0.05
    """Share lost to follow-up by the horizon, as a constant dropout hazard."""
    follow_up_years: float = 3.0
    max_follow_up_years: float | None = 3.0
    looks: tuple[float, ...] = (0.5, 1.0)
    alpha: float = 0.05
    sided: int = 2
    spending: Spending = Spending.OBRIEN_FLEMING
    planned_events: int | None = None
    design_hazard_ratio: float | None = None
    """The alternative the planned events are computed under (default: `hazard_ratio`)."""
    allocation: Design | None = None
    """Allocation engine settings; None is simple randomisation 1:1."""
    experimental_arm: int = 0
    prevalence: tuple[tuple[float, ...], ...] | None = None
    """Per minimisation factor, its level probabilities (default: ASSUMED equal)."""

    def __post_init__(self) -> None:
        check.whole("patients", self.patients, 2)
        schedule(self.centres)
        check.open_unit("control_rate", self.control_rate)
        check.hazard_ratio("hazard_ratio", self.hazard_ratio, allow_one=True)
        check.positive("horizon_years", self.horizon_years)
        check.positive("weibull_shape", self.weibull_shape)
        check.unit_from_zero("dropout", self.dropout)
        check.non_negative("follow_up_years", self.follow_up_years)
        if self.max_follow_up_years is not None:
            check.positive("max_follow_up_years", self.max_follow_up_years)
        check_fractions(self.looks, "looks")
        if self.looks[-1] != 1.0:
            raise InvalidValueError("looks", list(self.looks), "fractions ending with 1.0")
        GroupSequentialDesign(self.alpha, self.sided, self.spending, self.looks)
        if self.planned_events is not None:
            check.whole("planned_events", self.planned_events, len(self.looks))
        if self.design_hazard_ratio is not None:
            check.hazard_ratio("design_hazard_ratio", self.design_hazard_ratio)
        if self.allocation is not None and not 0 <= self.experimental_arm < self.allocation.k:
            raise InvalidValueError("experimental_arm", self.experimental_arm, "an arm index")

    @property
    def group_sequential(self) -> GroupSequentialDesign:
        """The boundaries' design."""
        return GroupSequentialDesign(self.alpha, self.sided, self.spending, self.looks)

    @property
    def experimental_share(self) -> float:
        """The share of patients allocated to the experimental arm."""
        if self.allocation is None:
            return 0.5
        return self.allocation.ratios[self.experimental_arm] / self.allocation.total_ratio

    @property
    def dropout_hazard(self) -> float:
        """Constant hazard with `dropout` lost by the horizon."""
        return -math.log(1.0 - self.dropout) / self.horizon_years

    def weibull_scale(self, hazard_ratio: float) -> float:
        """Scale b of S(t) = exp(-(t/b)^k) for an arm with this hazard ratio to control."""
        k = self.weibull_shape
        control = self.horizon_years / (-math.log(self.control_rate)) ** (1.0 / k)
        return float(control * hazard_ratio ** (-1.0 / k))


def spec_from_protocol(protocol: Protocol, *, simple: bool = False, **changes: Any) -> TrialSpec:
    """The protocol's phase 3 design as a spec: its sample size, rates, horizon, dropout, alpha
    and allocation (its randomisation method, or simple randomisation in its ratio), with the
    final analysis when the last patient has been followed for the horizon; `changes` override.
    """
    ss = protocol.sample_size
    if ss is None:
        raise InvalidValueError(
            "sample_size", None, "a [sample_size] table in the protocol", "add it to the protocol"
        )
    two_arm_ratios(protocol)
    design = design_from_protocol(protocol, method=RandomizationMethod.SIMPLE if simple else None)
    control = next(a.id for a in protocol.arms if a.is_control)
    spec = TrialSpec(
        patients=ss.target_total,
        control_rate=ss.control_rate,
        hazard_ratio=hazard_ratio_from_rates(ss.control_rate, ss.experimental_rate),
        horizon_years=ss.horizon_years,
        dropout=ss.dropout,
        follow_up_years=ss.horizon_years,
        max_follow_up_years=ss.horizon_years,
        alpha=ss.alpha,
        sided=ss.sided,
        allocation=design,
        experimental_arm=next(i for i, arm in enumerate(design.arms) if arm != control),
    )
    return replace(spec, **changes)


def observed_event_probability(
    spec: TrialSpec, hazard_ratio: float, window: FloatArray
) -> FloatArray:
    """P(death observed within `window` years of entry, before dropout), per window value.

    P = F(u) e^{-eta u} + eta * int_0^u F(t) e^{-eta t} dt (integration by parts of
    int e^{-eta t} dF, which stays finite for Weibull shapes below 1)."""
    scale = spec.weibull_scale(hazard_ratio)
    eta = spec.dropout_hazard
    top = float(np.max(window)) if np.size(window) else 0.0
    grid = np.linspace(0.0, max(top, 1e-9), 4001)
    cdf = -np.expm1(-((grid / scale) ** spec.weibull_shape))
    integrand = cdf * np.exp(-eta * grid)
    steps = np.diff(grid) * (integrand[1:] + integrand[:-1]) / 2
    integral = np.concatenate([[0.0], np.cumsum(steps)])
    u = np.clip(window, 0.0, None)
    value: FloatArray = np.interp(u, grid, cdf * np.exp(-eta * grid) + eta * integral)
    return value


def expected_events(spec: TrialSpec, hazard_ratio: float | None = None) -> float:
    """Events expected at the final analysis (mean entry times; exact when every patient is
    followed for the full `max_follow_up_years` by then)."""
    hr = spec.hazard_ratio if hazard_ratio is None else hazard_ratio
    entries = expected_entries(schedule(spec.centres), spec.patients)
    window = entries[-1] + spec.follow_up_years - entries
    if spec.max_follow_up_years is not None:
        window = np.minimum(window, spec.max_follow_up_years)
    share = spec.experimental_share
    control = observed_event_probability(spec, 1.0, window).sum()
    experimental = observed_event_probability(spec, hr, window).sum()
    return float((1 - share) * control + share * experimental)


def planned_events(spec: TrialSpec) -> int:
    """The planned events at full information (given, else expected under the design HR)."""
    if spec.planned_events is not None:
        return spec.planned_events
    return round(expected_events(spec, spec.design_hazard_ratio or spec.hazard_ratio))


def with_planned_events(spec: TrialSpec) -> TrialSpec:
    """The spec with its planned events fixed, so scenarios that vary the true hazard ratio
    keep the analysis plan of the design."""
    return replace(spec, planned_events=planned_events(spec))


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error."""

    value: float
    se: float


@dataclass
class _Totals:
    trials: int = 0
    rejected: int = 0
    favouring: int = 0
    stops: list[int] = field(default_factory=list)
    sums: dict[str, float] = field(default_factory=dict)
    squares: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, values: FloatArray) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + float(values.sum())
        self.squares[name] = self.squares.get(name, 0.0) + float((values**2).sum())

    def mean(self, name: str) -> Estimate:
        n = self.trials
        mean = self.sums[name] / n
        variance = max(self.squares[name] / n - mean**2, 0.0) * n / max(n - 1, 1)
        return Estimate(mean, math.sqrt(variance / n))

    def share(self, count: int) -> Estimate:
        p = count / self.trials
        return Estimate(p, math.sqrt(p * (1 - p) / self.trials))


@dataclass(frozen=True)
class SimulationResult:
    """Operating characteristics of one scenario, each with its Monte Carlo standard error."""

    hazard_ratio: float
    trials: int
    planned_events: int
    looks: tuple[float, ...]
    rejection: Estimate
    """Power, or the type I error when the hazard ratio is 1."""
    rejection_favouring_experimental: Estimate
    stopping: tuple[Estimate, ...]
    """P(the trial rejects at each planned look)."""
    duration_years: Estimate
    patients: Estimate
    events: Estimate
    expected_final_events: float
    analytic_rejection: float
    """Rejection probability from the canonical joint normal with Schoenfeld's drift at the
    expected final events: the number the simulation should reproduce."""


def analytic_rejection(
    spec: TrialSpec, method: Literal["schoenfeld", "freedman"] = "schoenfeld"
) -> tuple[float, float]:
    """(expected final events, rejection probability) from the canonical joint normal with the
    drift of Schoenfeld (sqrt(D p (1-p)) |ln HR|) or Freedman (sqrt(D r) |1 - HR| / (1 + r HR))
    at the expected final events, with the boundaries the simulation uses."""
    events = expected_events(spec)
    planned = planned_events(spec)
    interims = [math.ceil(f * planned) for f in spec.looks[:-1]]
    counts: list[float] = [float(c) for c in interims if c < events] + [events]
    share = spec.experimental_share
    hr = spec.hazard_ratio
    if method == "schoenfeld":
        drift = math.sqrt(events * share * (1 - share)) * abs(math.log(hr))
    else:
        r = share / (1 - share)
        drift = math.sqrt(events * r) * abs(1 - hr) / (1 + r * hr)
    times = [c / planned for c in counts]
    bounds = compute_boundaries(spec.group_sequential, counts, spending_times=times)
    upper, lower = crossing_probabilities(bounds.z, counts, sided=spec.sided, drift=drift)
    return events, sum(upper) + sum(lower)


def _levels(
    spec: TrialSpec, design: Design, centres: NDArray[np.int16], rng: np.random.Generator
) -> NDArray[np.int16]:
    trials, patients = centres.shape
    shares = spec.prevalence or tuple(
        tuple(1 / len(f.levels) for _ in f.levels) for f in design.factors
    )
    columns = len(design.factors) + (1 if design.uses_centre else 0)
    levels = np.empty((patients, columns, trials), dtype=np.int16)
    for column, probabilities in enumerate(shares):
        u = rng.random((patients, trials))
        out = np.zeros((patients, trials), dtype=np.int16)
        for bound in np.cumsum(probabilities)[:-1]:
            out += u >= bound
        levels[:, column, :] = out
    if design.uses_centre:
        levels[:, -1, :] = centres.T
    return levels


def _allocate(
    spec: TrialSpec, centres: NDArray[np.int16], rng: np.random.Generator
) -> NDArray[np.bool_]:
    trials, patients = centres.shape
    design = spec.allocation
    if design is None:
        return rng.random((trials, patients)) < 0.5
    levels = _levels(spec, design, centres, rng)
    draws = rng.random((patients, 2, trials))
    n_centres = len(spec.centres) if design.uses_centre else 0
    arms = run_vectorised(design, levels, draws, n_centres=n_centres).arms
    experimental: NDArray[np.bool_] = np.equal(arms.T, spec.experimental_arm)
    return experimental


class _Chunk:
    """One chunk of simulated trials, with what every analysis needs."""

    def __init__(self, spec: TrialSpec, trials: int, rng: np.random.Generator) -> None:
        n = spec.patients
        self.entry = draw_entries(schedule(spec.centres), rng, trials, n)
        centres = draw_centres(spec.centres, self.entry, rng)
        self.experimental = _allocate(spec, centres, rng)
        scale = np.where(
            self.experimental, spec.weibull_scale(spec.hazard_ratio), spec.weibull_scale(1.0)
        )
        self.death = scale * rng.standard_exponential((trials, n)) ** (1.0 / spec.weibull_shape)
        eta = spec.dropout_hazard
        draws = rng.standard_exponential((trials, n))
        lost = draws / eta if eta > 0 else np.full((trials, n), np.inf)
        cap = spec.max_follow_up_years if spec.max_follow_up_years is not None else np.inf
        self.limit = np.minimum(lost, cap)
        self.cap = cap
        observed = self.death <= self.limit
        self.event_time = np.where(observed, self.entry + self.death, np.inf)
        self.final_time = self.entry[:, -1] + spec.follow_up_years
        self.final_events = (self.event_time <= self.final_time[:, None]).sum(axis=1)
        self.sorted_events = np.sort(self.event_time, axis=1)

    def data_at(
        self, rows: NDArray[np.intp], when: FloatArray
    ) -> tuple[FloatArray, NDArray[np.bool_]]:
        """(times, events) of trials `rows` analysed at calendar times `when`; patients not yet
        enrolled get time 0 and no event, which leaves the log-rank statistic unchanged."""
        entry = self.entry[rows]
        window = np.minimum(when[:, None] - entry, self.cap)
        enrolled = window >= 0
        follow = np.minimum(self.limit[rows], np.clip(window, 0.0, None))
        death = self.death[rows]
        event = enrolled & (death <= follow)
        return np.where(event, death, follow), event

    def z_at(self, rows: NDArray[np.intp], when: FloatArray) -> FloatArray:
        """Log-rank z (positive favours experimental) of trials `rows` analysed at `when`."""
        times, event = self.data_at(rows, when)
        codes = event.astype(np.int8) * np.int8(2) + self.experimental[rows].astype(np.int8)
        return z_from_codes(times, codes)


def final_analysis_data(
    spec: TrialSpec, trials: int, rng: np.random.Generator
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Simulated (times, events, experimental) at the final analysis, (trials, patients) each:
    the data `simulate_trials` analyses, for checks and benchmarks against other software."""
    chunk = _Chunk(spec, check.whole("trials", trials), rng)
    rows = np.arange(trials)
    times, events = chunk.data_at(rows, chunk.final_time)
    return times, events, chunk.experimental


def simulate_trials(
    spec: TrialSpec,
    trials: int,
    rng: np.random.Generator,
    *,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate `trials` trials of `spec`; `progress(done)` after every chunk."""
    check.whole("trials", trials, 2)
    check.whole("chunk_size", chunk_size)
    planned = planned_events(spec)
    interims = [math.ceil(f * planned) for f in spec.looks[:-1]]
    if any(b <= a for a, b in itertools.pairwise(interims)):
        raise InvalidValueError(
            "looks", list(spec.looks), f"fractions giving distinct event counts of {planned}"
        )
    totals = _Totals(stops=[0] * len(spec.looks))
    cache: dict[tuple[int, ...], tuple[float, ...]] = {}
    done = 0
    while done < trials:
        size = min(chunk_size, trials - done)
        _run_chunk(spec, _Chunk(spec, size, rng), planned, interims, totals, cache)
        done += size
        if progress is not None:
            progress(done)
    events, analytic = analytic_rejection(spec)
    return SimulationResult(
        hazard_ratio=spec.hazard_ratio,
        trials=totals.trials,
        planned_events=planned,
        looks=spec.looks,
        rejection=totals.share(totals.rejected),
        rejection_favouring_experimental=totals.share(totals.favouring),
        stopping=tuple(totals.share(count) for count in totals.stops),
        duration_years=totals.mean("duration"),
        patients=totals.mean("patients"),
        events=totals.mean("events"),
        expected_final_events=events,
        analytic_rejection=analytic,
    )


def _bounds(
    spec: TrialSpec,
    counts: tuple[int, ...],
    planned: int,
    cache: dict[tuple[int, ...], tuple[float, ...]],
) -> tuple[float, ...]:
    if counts not in cache:
        times = [c / planned for c in counts]
        bounds = compute_boundaries(spec.group_sequential, counts, spending_times=times)
        cache[counts] = bounds.z
    return cache[counts]


def _run_chunk(
    spec: TrialSpec,
    chunk: _Chunk,
    planned: int,
    interims: list[int],
    totals: _Totals,
    cache: dict[tuple[int, ...], tuple[float, ...]],
) -> None:
    size = chunk.entry.shape[0]
    final_events = chunk.final_events
    reached = np.array([count < final_events for count in interims]).reshape(len(interims), size)
    looks_reached = reached.sum(axis=0)
    k = len(spec.looks)
    # Per trial and planned look: analysis time and boundary (inf where the look is skipped).
    when = np.full((size, k), np.inf)
    boundary = np.full((size, k), np.inf)
    for j, count in enumerate(interims):
        when[:, j] = np.where(reached[j], chunk.sorted_events[:, count - 1], np.inf)
    when[:, -1] = chunk.final_time
    for m, d in {(int(a), int(b)) for a, b in zip(looks_reached, final_events, strict=True)}:
        rows = (looks_reached == m) & (final_events == d)
        z = _bounds(spec, (*interims[:m], d), planned, cache) if d > 0 else (math.inf,) * (m + 1)
        boundary[np.ix_(rows, list(range(m)))] = z[:m]
        boundary[rows, -1] = z[-1]
    statistic = np.zeros((size, k))
    for j in range(k):
        rows = np.flatnonzero(np.isfinite(when[:, j]))
        statistic[rows, j] = chunk.z_at(rows, when[rows, j])
    crossed = (np.abs(statistic) if spec.sided == 2 else statistic) >= boundary
    rejected = crossed.any(axis=1)
    first = np.where(rejected, crossed.argmax(axis=1), k - 1)
    stop_time = when[np.arange(size), first]
    totals.trials += size
    totals.rejected += int(rejected.sum())
    totals.favouring += int((rejected & (statistic[np.arange(size), first] > 0)).sum())
    for j in range(k):
        totals.stops[j] += int((rejected & (first == j)).sum())
    totals.add("duration", stop_time)
    totals.add("patients", (chunk.entry <= stop_time[:, None]).sum(axis=1).astype(np.float64))
    totals.add("events", (chunk.event_time <= stop_time[:, None]).sum(axis=1).astype(np.float64))
