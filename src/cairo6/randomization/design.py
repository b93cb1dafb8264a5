"""The randomisation settings of a protocol, compiled once into the plain numbers both engines use.

A `Design` is what the sequential engine (the live service) and the vectorised engine (the
simulator) read: arm ids and ratios, the factors with their levels and weights, the imbalance
measure, the random element and the biased-coin probability table. Computing these once, in one
place, is what lets the two engines make bit-identical decisions from identical draws.

Unequal allocation follows the biased-coin minimisation of Han, Enas & McEntegart (Stat Med
2009;28:3329-3346): counts are divided by each arm's ratio before imbalance is measured, and when
arm i is preferred it gets

    p_H(i) = 1 - (R - r_i) / (R - r_min) * (1 - p)

and every other arm j gets p_L(i, j) = r_j / (R - r_i) * (1 - p_H(i)), where R is the sum of the
ratios and p the protocol's random element (the probability of the preferred arm when it has the
smallest ratio; for equal ratios every preferred arm gets p). The table has the property that,
whenever the preferred arm is itself distributed in proportion to the ratios, arm j is allocated
with probability exactly r_j / R; ties are therefore broken in proportion to the ratios (uniformly
for equal allocation), so that a complete tie allocates exactly in the target ratio.

Known limitation with unequal ratios (not with 1:1, where every allocation is 1/2 by symmetry):
the ratio is reached over the trial, not at every allocation (Kuznetsova & Tymofyeyev, Stat Med
2012;31:701-723). Simulated with 2:1:1, p = 0.8 and four two-level factors, the probability that
patient 1, 2, 3, 4 goes to the ratio-2 arm is 0.87, 0.84, 0.52, 0.31, then within 0.49-0.51 from
about patient 12; the mean share over 20 patients is 0.503 and over 100 patients 0.4999.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from cairo6.errors import RandomizationError
from cairo6.protocol.models import ImbalanceMeasure, Protocol, RandomizationMethod

CENTRE = "centre"
"""The record field and level key of the centre, when centre is a factor or a block stratifier."""

DRAWS_PER_ALLOCATION = 2
"""Every allocation consumes exactly two uniforms: u0 (tie-break or block size), u1 (the arm)."""

TIE_RELATIVE_TOLERANCE = 1e-9
"""Totals closer than this (relative to the smallest possible step between totals) are a tie."""


@dataclass(frozen=True)
class FactorSpec:
    """One factor as the engines see it: id, level ids in protocol order, weight.

    The centre factor has no fixed levels (`levels == ()`): any centre id is a level.
    """

    id: str
    levels: tuple[str, ...]
    weight: float

    @property
    def is_centre(self) -> bool:
        """Whether this is the open-ended centre factor."""
        return self.id == CENTRE and not self.levels


@dataclass(frozen=True)
class Design:
    """The compiled randomisation settings. Build with `design_from_protocol`."""

    method: RandomizationMethod
    arms: tuple[str, ...]
    ratios: tuple[int, ...]
    measure: ImbalanceMeasure
    p: float
    factors: tuple[FactorSpec, ...]
    """The protocol's factors, in protocol order (without centre)."""
    centre_as_factor: bool
    centre_weight: float
    stratify_by_centre: bool
    initial_random: int
    block_sizes: tuple[int, ...]
    probabilities: tuple[tuple[float, ...], ...]
    """probabilities[i][j]: probability of arm j when arm i is the preferred arm."""
    cumulative: tuple[tuple[float, ...], ...]
    """Running sums of `probabilities[i]`, with 1.0 from the last arm of non-zero probability on."""

    @property
    def k(self) -> int:
        """The number of arms."""
        return len(self.arms)

    @property
    def total_ratio(self) -> int:
        """R, the sum of the allocation ratios."""
        return sum(self.ratios)

    @property
    def lcm(self) -> int:
        """L, the least common multiple of the ratios (counts are scaled by L / r, integers)."""
        return reduce(math.lcm, self.ratios, 1)

    @property
    def scale(self) -> tuple[int, ...]:
        """L / r for each arm: a count times this is the ratio-adjusted count times L."""
        return tuple(self.lcm // r for r in self.ratios)

    @property
    def minimisation_factors(self) -> tuple[FactorSpec, ...]:
        """The factors minimisation balances: the protocol's, then centre if it is a factor."""
        if self.centre_as_factor:
            return (*self.factors, FactorSpec(CENTRE, (), self.centre_weight))
        return self.factors

    @property
    def strata_factors(self) -> tuple[FactorSpec, ...]:
        """The factors whose level combinations are the strata of permuted blocks."""
        if self.stratify_by_centre:
            return (*self.factors, FactorSpec(CENTRE, (), 1.0))
        return self.factors

    @property
    def uses_centre(self) -> bool:
        """Whether an allocation needs the patient's centre."""
        if self.method is RandomizationMethod.MINIMIZATION:
            return self.centre_as_factor
        if self.method is RandomizationMethod.PERMUTED_BLOCKS:
            return self.stratify_by_centre
        return False

    @property
    def denominator(self) -> int:
        """What a factor's integer imbalance is divided by to give its score."""
        if self.measure is ImbalanceMeasure.RANGE:
            return self.lcm
        return self.k * (self.k - 1) * self.lcm * self.lcm

    @property
    def tie_tolerance(self) -> float:
        """Absolute tolerance for equal totals, far below the smallest real difference."""
        weights = [f.weight for f in self.minimisation_factors] or [1.0]
        return TIE_RELATIVE_TOLERANCE * min(weights) / self.denominator

    @property
    def tie_guess(self) -> int:
        """The arm a recruiter guesses when nothing favours one: the largest ratio, first."""
        return max(range(self.k), key=lambda a: (self.ratios[a], -a))


def han_probabilities(ratios: Sequence[int], p: float) -> tuple[tuple[float, ...], ...]:
    """The biased-coin table of Han et al. (2009): row i = probabilities when arm i is preferred."""
    total = sum(ratios)
    smallest = min(ratios)
    q = 1.0 - p
    rows = []
    for i, r_i in enumerate(ratios):
        high = 1.0 - (total - r_i) / (total - smallest) * q
        rest = total - r_i
        rows.append(
            tuple(high if j == i else r_j / rest * (1.0 - high) for j, r_j in enumerate(ratios))
        )
    return tuple(rows)


def cumulative_rows(table: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], ...]:
    """Running sums per row; 1.0 from the last arm with positive probability, so u < 1 never
    lands on an arm of probability zero through rounding."""
    out = []
    for row in table:
        last = max(j for j, value in enumerate(row) if value > 0)
        running = 0.0
        cum = []
        for j, value in enumerate(row):
            running += value
            cum.append(1.0 if j >= last else running)
        out.append(tuple(cum))
    return tuple(out)


def design_from_protocol(
    protocol: Protocol,
    *,
    method: RandomizationMethod | None = None,
    p: float | None = None,
    measure: ImbalanceMeasure | None = None,
) -> Design:
    """Compile a protocol's randomisation settings; `method`, `p`, `measure` override them
    (the simulator compares methods on one protocol)."""
    rand = protocol.randomization
    chosen_method = rand.method if method is None else method
    chosen_p = rand.p if p is None else p
    if not (isinstance(chosen_p, float | int) and 0.5 <= chosen_p <= 1.0):
        raise RandomizationError(
            "p",
            chosen_p,
            "a number from 0.5 to 1 (the probability of the arm that minimises imbalance)",
            "give the random element p as a number such as 0.8",
        )
    ratios = tuple(a.ratio for a in protocol.arms)
    factors = tuple(
        FactorSpec(f.id, tuple(lv.id for lv in f.levels), float(f.weight)) for f in rand.factors
    )
    if any(f.id == CENTRE for f in factors) and (
        rand.centre_as_factor or rand.stratify_blocks_by_centre
    ):
        raise RandomizationError(
            "randomization.factors",
            CENTRE,
            "factor ids other than 'centre' while centre is used as a factor or stratum",
            "rename the factor or set centre_as_factor and stratify_blocks_by_centre to false",
        )
    if (
        chosen_method is RandomizationMethod.MINIMIZATION
        and not factors
        and not rand.centre_as_factor
    ):
        raise RandomizationError(
            "randomization.factors",
            [],
            "at least one factor (or centre_as_factor = true) for minimisation",
            "add the minimisation factors to the protocol",
        )
    total = sum(ratios)
    sizes = tuple(rand.block_sizes)
    if chosen_method is RandomizationMethod.PERMUTED_BLOCKS:
        bad = [b for b in sizes if b <= 0 or b % total]
        if not sizes or bad:
            raise RandomizationError(
                "randomization.block_sizes",
                list(sizes),
                f"one or more positive multiples of the ratio sum {total}",
                "set block_sizes in the protocol, e.g. [2, 4] for 1:1",
            )
    table = han_probabilities(ratios, float(chosen_p))
    return Design(
        method=chosen_method,
        arms=tuple(a.id for a in protocol.arms),
        ratios=ratios,
        measure=rand.imbalance if measure is None else measure,
        p=float(chosen_p),
        factors=factors,
        centre_as_factor=rand.centre_as_factor,
        centre_weight=float(rand.centre_weight),
        stratify_by_centre=rand.stratify_blocks_by_centre,
        initial_random=rand.initial_random,
        block_sizes=sizes,
        probabilities=table,
        cumulative=cumulative_rows(table),
    )


def as_design(source: Protocol | Design) -> Design:
    """A design, compiling a protocol if one is given."""
    return source if isinstance(source, Design) else design_from_protocol(source)
