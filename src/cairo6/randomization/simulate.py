"""Simulated trials: how well each method balances, and how predictable it is.

Pure: the random generator is passed in, nothing is read or written. Every chunk of trials draws
one set of patients and one set of uniforms and runs every method on them (common random numbers,
so differences between methods are not noise in the patients). Results are simulations of the
randomisation procedure, never trial data.

Imbalance, as R carat's `evalRand` reports it, at three levels: overall (the final arm sizes),
within each factor level (marginal) and within each stratum (each combination of levels), each
summarised over trials by maximum, 95% quantile, median and mean. For two arms the imbalance is
|n_A - n_B|; for k arms (or unequal ratios) it is max - min over arms of n_a / r_a, with the
ratios r reduced by their greatest common divisor, i.e. in units of one patient of a ratio-1 arm
(for 2:1:1, |n_A/2 - n_B| etc.). Predictability is the share of allocations a recruiter who knows
every past allocation guesses right: for minimisation the arm it prefers (on a tie, or before
minimisation starts, the arm with the largest ratio); for blocks the arm with most places left in
the current block; for simple randomisation the largest-ratio arm (1/arms for equal allocation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import NDArray

from cairo6.errors import RandomizationError
from cairo6.protocol.models import ImbalanceMeasure, Protocol, RandomizationMethod
from cairo6.randomization.design import CENTRE, Design, FactorSpec, design_from_protocol
from cairo6.randomization.prevalence import Entries, Prevalence, centre_levels, resolve_prevalence
from cairo6.randomization.summary import Histogram, Stats
from cairo6.randomization.vectorised import run_vectorised

MAX_CELLS = 4_000_000
"""Trials x strata x arms counted at once when summarising (bounds memory for many strata)."""


@dataclass(frozen=True)
class Row:
    """One summarised imbalance: kind is overall, marginal, stratum, stratum_pooled or
    stratum_worst; factor and level name the margin or stratum ("|"-joined for strata)."""

    kind: str
    factor: str
    level: str
    stats: Stats


@dataclass(frozen=True)
class MethodResult:
    """The simulated behaviour of one method."""

    method: RandomizationMethod
    label: str
    rows: tuple[Row, ...]
    above: tuple[tuple[float, float], ...]
    """(k, share of trials whose overall imbalance exceeds k)."""
    predictability: float
    overall: tuple[tuple[float, int], ...]
    """(overall imbalance, number of trials) for every value seen."""

    def row(self, kind: str, factor: str = "", level: str = "") -> Row:
        """The row of this kind (and margin)."""
        return next(r for r in self.rows if (r.kind, r.factor, r.level) == (kind, factor, level))


@dataclass(frozen=True)
class SimulationResult:
    """Every method's results, and the settings they were simulated with."""

    protocol: str
    patients: int
    trials: int
    arms: tuple[str, ...]
    ratios: tuple[int, ...]
    n_centres: int
    prevalence: Prevalence
    methods: tuple[MethodResult, ...]


def method_label(design: Design) -> str:
    """A short column label such as `minimization p=0.8 range`."""
    if design.method is RandomizationMethod.MINIMIZATION:
        extra = f" +{design.initial_random} random" if design.initial_random else ""
        return f"minimization p={design.p:g} {design.measure.value}{extra}"
    if design.method is RandomizationMethod.PERMUTED_BLOCKS:
        return "blocks " + "/".join(map(str, design.block_sizes))
    return "simple"


def _check_counts(patients: int, trials: int, chunk_size: int) -> None:
    for name, value in (("patients", patients), ("trials", trials), ("chunk_size", chunk_size)):
        if not isinstance(value, int) or value < 1:
            raise RandomizationError(name, value, "a whole number of at least 1", f"give --{name}")


def _draw_levels(
    rng: np.random.Generator, shares: Sequence[tuple[float, ...]], patients: int, trials: int
) -> NDArray[np.int16]:
    levels = np.empty((patients, len(shares), trials), dtype=np.int16)
    for column, probabilities in enumerate(shares):
        u = rng.random((patients, trials))
        bounds = np.cumsum(probabilities)[:-1]
        out = np.zeros((patients, trials), dtype=np.int16)
        for bound in bounds:
            out += u >= bound
        levels[:, column, :] = out
    return levels


class _Accumulator:
    """Histograms of one method's imbalances, filled chunk by chunk."""

    def __init__(self, design: Design, specs: Sequence[FactorSpec], sizes: Sequence[int]) -> None:
        reduced = [r // reduce(math.gcd, design.ratios) for r in design.ratios]
        self.unit = reduce(math.lcm, reduced, 1)
        self.weights = np.array([self.unit // r for r in reduced], dtype=np.int64)
        self.k = design.k
        self.specs = specs
        self.sizes = list(sizes)
        self.strata = int(np.prod(self.sizes))
        self.overall = Histogram(self.unit)
        self.margins = [[Histogram(self.unit) for _ in range(n)] for n in self.sizes]
        self.per_stratum = [Histogram(self.unit) for _ in range(self.strata)]
        self.pooled = Histogram(self.unit)
        self.worst = Histogram(self.unit)
        self.correct = 0
        self.allocations = 0

    def imbalance(self, counts: NDArray[np.int64]) -> NDArray[np.int64]:
        adjusted = counts * self.weights
        spread: NDArray[np.int64] = adjusted.max(axis=-1) - adjusted.min(axis=-1)
        return spread

    def add(self, arms: NDArray[np.int8], strata: NDArray[np.int64], correct: int) -> None:
        trials = arms.shape[1]
        self.correct += correct
        self.allocations += arms.size
        step = max(1, MAX_CELLS // (self.strata * self.k))
        for start in range(0, trials, step):
            stop = min(trials, start + step)
            keys = (strata[:, start:stop] - start * self.strata) * self.k + arms[:, start:stop]
            counts = np.bincount(keys.ravel(), minlength=(stop - start) * self.strata * self.k)
            self._add_counts(counts.reshape(stop - start, self.strata, self.k))

    def _add_counts(self, counts: NDArray[np.int64]) -> None:
        self.overall.add(self.imbalance(counts.sum(axis=1)))
        by_stratum = self.imbalance(counts)
        for s in range(self.strata):
            self.per_stratum[s].add(by_stratum[:, s])
        self.pooled.add(by_stratum)
        self.worst.add(by_stratum.max(axis=1))
        cube = counts.reshape(counts.shape[0], *self.sizes[::-1], self.k)
        columns = len(self.sizes)
        for c, size in enumerate(self.sizes):
            axis = 1 + (columns - 1 - c)
            others = tuple(a for a in range(1, columns + 1) if a != axis)
            margin = cube.sum(axis=others)  # (trials, size, k)
            for level in range(size):
                self.margins[c][level].add(self.imbalance(margin[:, level, :]))

    def result(
        self, design: Design, level_names: Sequence[tuple[str, ...]], thresholds: Sequence[float]
    ) -> MethodResult:
        rows = [Row("overall", "", "", self.overall.stats())]
        for spec, names, hists in zip(self.specs, level_names, self.margins, strict=True):
            rows += [
                Row("marginal", spec.id, n, h.stats()) for n, h in zip(names, hists, strict=True)
            ]
        rows.append(Row("stratum_pooled", "", "", self.pooled.stats()))
        rows.append(Row("stratum_worst", "", "", self.worst.stats()))
        strata_factor = "|".join(s.id for s in self.specs)
        for s, hist in enumerate(self.per_stratum):
            rows.append(Row("stratum", strata_factor, _stratum_name(s, level_names), hist.stats()))
        return MethodResult(
            method=design.method,
            label=method_label(design),
            rows=tuple(rows),
            above=tuple((k, self.overall.share_above(k)) for k in thresholds),
            predictability=self.correct / self.allocations if self.allocations else math.nan,
            overall=tuple(self.overall.distribution()),
        )


def _stratum_name(index: int, level_names: Sequence[tuple[str, ...]]) -> str:
    parts = []
    for names in level_names:
        parts.append(names[index % len(names)])
        index //= len(names)
    return "|".join(parts)


def simulate(
    protocol: Protocol,
    methods: Sequence[RandomizationMethod],
    *,
    patients: int,
    trials: int,
    rng: np.random.Generator,
    p: float | None = None,
    measure: ImbalanceMeasure | None = None,
    prevalence: Entries | None = None,
    prevalence_source: str = "file",
    chunk_size: int = 20_000,
    thresholds: Sequence[float] = (2, 5, 10),
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate `trials` trials of `patients` patients for each method, in chunks of
    `chunk_size` trials; `progress(trials_done)` is called after every chunk."""
    _check_counts(patients, trials, chunk_size)
    if not methods:
        raise RandomizationError("methods", [], "one or more methods", "name a method")
    designs = [design_from_protocol(protocol, method=m, p=p, measure=measure) for m in methods]
    n_centres = protocol.trial.centres_planned if any(d.uses_centre for d in designs) else 0
    specs = list(designs[0].factors)
    if n_centres:
        specs.append(FactorSpec(CENTRE, centre_levels(n_centres), 1.0))
    resolved = resolve_prevalence(designs[0].factors, n_centres, prevalence, prevalence_source)
    shares = [resolved.probabilities[s.id] for s in specs]
    sizes = [len(s.levels) for s in specs]
    strides = np.cumprod([1, *sizes[:-1]]).astype(np.int64)
    strata_count = int(np.prod(sizes))
    accumulators = [_Accumulator(d, specs, sizes) for d in designs]
    done = 0
    while done < trials:
        size = min(chunk_size, trials - done)
        levels = _draw_levels(rng, shares, patients, size)
        draws = rng.random((patients, 2, size))
        strata = np.zeros((patients, size), dtype=np.int64)
        for c, stride in enumerate(strides.tolist()):
            strata += levels[:, c, :].astype(np.int64) * stride
        strata += np.arange(size, dtype=np.int64) * strata_count
        for design, acc in zip(designs, accumulators, strict=True):
            run = run_vectorised(design, levels, draws, n_centres=n_centres, track_guesses=True)
            acc.add(run.arms, strata, run.correct_guesses)
        del levels, draws, strata
        done += size
        if progress is not None:
            progress(done)
    level_names = [s.levels for s in specs]
    return SimulationResult(
        protocol=protocol.trial.id,
        patients=patients,
        trials=trials,
        arms=designs[0].arms,
        ratios=designs[0].ratios,
        n_centres=n_centres,
        prevalence=resolved,
        methods=tuple(
            acc.result(d, level_names, thresholds)
            for d, acc in zip(designs, accumulators, strict=True)
        ),
    )
