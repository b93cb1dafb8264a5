"""One allocation decision for each method, from counts and two uniforms: the shared semantics.

These functions are the definition the vectorised engine reproduces operation by operation:

* minimisation: for each candidate arm a, each factor's imbalance is measured on the counts at the
  patient's level after a hypothetical assignment to a, with counts divided by the arm's ratio
  (scaled by L, the ratios' least common multiple, to stay integer). The total is the weighted sum
  over factors, accumulated in factor order in floating point. Arms within `tie_tolerance` of the
  smallest total are tied; u0 picks the preferred arm among them in proportion to the ratios;
  u1 picks the arm from the preferred arm's row of the Han et al. biased-coin table.
* simple randomisation (and minimisation's `initial_random` phase): u1 picks an arm with
  probability r / R; u0 is consumed and unused.
* permuted blocks: when the stratum's block is complete (or none has started), u0 picks the next
  block size uniformly from `block_sizes`; u1 picks an arm with probability proportional to the
  places it still has in the block, which is exactly a uniformly random permutation of the block
  drawn one place at a time, so no future allocation is stored anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cairo6.errors import RandomizationError
from cairo6.protocol.models import ImbalanceMeasure
from cairo6.randomization.design import Design
from cairo6.randomization.draws import pick_by_counts, pick_by_cumulative, pick_index


@dataclass(frozen=True)
class MinimisationStep:
    """The working of one minimisation decision."""

    scores: tuple[float, ...]
    preferred: tuple[int, ...]
    chosen_preferred: int
    probabilities: tuple[float, ...]
    arm: int


@dataclass(frozen=True)
class RandomStep:
    """The working of one simple-randomisation decision."""

    probabilities: tuple[float, ...]
    arm: int


@dataclass(frozen=True)
class BlockStep:
    """The working of one permuted-block decision."""

    block_size: int
    new_block: bool
    counts_before: tuple[int, ...]
    probabilities: tuple[float, ...]
    arm: int


def raw_imbalance(measure: ImbalanceMeasure, scaled: Sequence[int]) -> int:
    """A factor level's imbalance on scaled counts, as an exact integer.

    range: max - min. variance and sd: K * sum(y^2) - (sum y)^2, which is the sample variance
    (n - 1 denominator, as `statistics.variance`) times K * (K - 1).
    """
    if measure is ImbalanceMeasure.RANGE:
        return max(scaled) - min(scaled)
    total = sum(scaled)
    return len(scaled) * sum(y * y for y in scaled) - total * total


def factor_score(measure: ImbalanceMeasure, raw: int, denominator: int) -> float:
    """The imbalance on the ratio-adjusted scale: range / L, variance, or its square root."""
    value = raw / denominator
    return math.sqrt(value) if measure is ImbalanceMeasure.SD else value


def total_scores(design: Design, counts: Sequence[Sequence[int]]) -> tuple[float, ...]:
    """For each candidate arm, the weighted total imbalance after assigning the patient to it.

    `counts[f][a]` is the number of earlier patients in arm a at this patient's level of the
    f-th minimisation factor.
    """
    scale = design.scale
    factors = design.minimisation_factors
    denominator = design.denominator
    totals = []
    for candidate in range(design.k):
        total = 0.0
        for spec, level_counts in zip(factors, counts, strict=True):
            scaled = [
                c * s + (s if a == candidate else 0)
                for a, (c, s) in enumerate(zip(level_counts, scale, strict=True))
            ]
            total += spec.weight * factor_score(
                design.measure, raw_imbalance(design.measure, scaled), denominator
            )
        totals.append(total)
    return tuple(totals)


def minimisation_step(
    design: Design, counts: Sequence[Sequence[int]], u0: float, u1: float
) -> MinimisationStep:
    """One biased-coin minimisation decision."""
    scores = total_scores(design, counts)
    bound = min(scores) + design.tie_tolerance
    preferred = tuple(a for a, score in enumerate(scores) if score <= bound)
    tie_weights = [r if a in preferred else 0 for a, r in enumerate(design.ratios)]
    chosen = pick_by_counts(u0, tie_weights)
    arm = pick_by_cumulative(u1, design.cumulative[chosen])
    return MinimisationStep(scores, preferred, chosen, design.probabilities[chosen], arm)


def random_step(design: Design, u1: float) -> RandomStep:
    """One simple-randomisation decision, respecting the allocation ratio."""
    total = design.total_ratio
    probabilities = tuple(r / total for r in design.ratios)
    return RandomStep(probabilities, pick_by_counts(u1, design.ratios))


def block_step(
    design: Design, block_size: int, counts: Sequence[int], u0: float, u1: float
) -> BlockStep:
    """One permuted-block decision in a stratum whose current block has `block_size` places
    (0 when no block has started) of which `counts` are filled, per arm."""
    filled = sum(counts)
    new_block = block_size == 0 or filled >= block_size
    if new_block:
        block_size = design.block_sizes[pick_index(u0, len(design.block_sizes))]
        counts = [0] * design.k
    per_unit = block_size // design.total_ratio
    remaining = [per_unit * r - c for r, c in zip(design.ratios, counts, strict=False)]
    if len(counts) != design.k or min(remaining) < 0 or sum(remaining) == 0:
        raise RandomizationError(
            "block counts",
            list(counts),
            f"at most {[per_unit * r for r in design.ratios]} per arm in a block of {block_size}",
            "rebuild the allocation state from the stored allocations",
        )
    left = sum(remaining)
    probabilities = tuple(m / left for m in remaining)
    arm = pick_by_counts(u1, remaining)
    return BlockStep(block_size, new_block, tuple(counts), probabilities, arm)
