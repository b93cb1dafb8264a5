"""The vectorised engine: many simulated trials at once, looping over patients only.

It implements `steps.py` operation for operation on arrays of trials, so that, given the same
levels and draws, it makes exactly the allocations the sequential engine makes (a test proves
this for every method). Layout, chosen so each patient's slice is contiguous:

* `levels`: integer array (patients, columns, trials). Column f < F holds the level index (in
  protocol order) of the f-th protocol factor; column F, present when `n_centres > 0`, holds the
  centre index 0..n_centres-1.
* `draws`: float64 array (patients, 2, trials) of uniforms in [0, 1): u0 then u1 per patient.

For two arms, the range measure and equal weights (the CAIRO6 case) a fast path keeps one
integer per trial and level, the ratio-adjusted difference between the arms, and ranks the arms
by integer sums; with the tie tolerance this ranks exactly as the floating-point totals do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cairo6.errors import RandomizationError
from cairo6.protocol.models import ImbalanceMeasure, RandomizationMethod
from cairo6.randomization.design import DRAWS_PER_ALLOCATION, Design, FactorSpec

IntArray = NDArray[np.integer]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EngineResult:
    """Arms (patients, trials) as arm indices, and how often a recruiter's guess was right."""

    arms: NDArray[np.int8]
    correct_guesses: int


def level_counts(design: Design, specs: tuple[FactorSpec, ...], n_centres: int) -> list[int]:
    """The number of levels of each factor in `specs` (centre: `n_centres`)."""
    sizes = []
    for spec in specs:
        if spec.is_centre:
            if n_centres <= 0:
                raise RandomizationError(
                    "n_centres",
                    n_centres,
                    "the number of centres (> 0) when centre is a factor or stratum",
                    f"simulate with centres for {design.method.value}",
                )
            sizes.append(n_centres)
        else:
            sizes.append(len(spec.levels))
    return sizes


def check_inputs(design: Design, levels: IntArray, draws: FloatArray, n_centres: int) -> None:
    """Refuse arrays of the wrong shape or with out-of-range values."""
    columns = len(design.factors) + (1 if n_centres > 0 else 0)
    if levels.ndim != 3 or levels.shape[1] != columns:
        raise RandomizationError(
            "levels",
            levels.shape,
            f"an integer array (patients, {columns}, trials)",
            "build the levels with one column per factor (and centre last when used)",
        )
    n, _, t = levels.shape
    if draws.shape != (n, DRAWS_PER_ALLOCATION, t) or draws.dtype != np.float64:
        raise RandomizationError(
            "draws",
            draws.shape,
            f"a float64 array ({n}, {DRAWS_PER_ALLOCATION}, {t})",
            "generate the draws with generator.random((patients, 2, trials))",
        )
    limits = [len(f.levels) for f in design.factors] + ([n_centres] if n_centres > 0 else [])
    if n and t:
        low = levels.min(axis=(0, 2))
        high = levels.max(axis=(0, 2))
        for column, limit in enumerate(limits):
            if low[column] < 0 or high[column] >= limit:
                raise RandomizationError(
                    f"levels[:, {column}, :]",
                    (int(low[column]), int(high[column])),
                    f"level indices 0..{limit - 1}",
                    "encode each level by its position in the protocol",
                )


def run_vectorised(
    design: Design,
    levels: IntArray,
    draws: FloatArray,
    *,
    n_centres: int = 0,
    track_guesses: bool = False,
) -> EngineResult:
    """Allocate every patient of every trial. With `track_guesses`, also count how often a
    recruiter who knows all past allocations guesses the next arm right (the guesses are
    defined in `simulate.py`)."""
    check_inputs(design, levels, draws, n_centres)
    if design.method is RandomizationMethod.SIMPLE:
        return _simple(design, draws, track_guesses)
    if design.method is RandomizationMethod.PERMUTED_BLOCKS:
        return _blocks(design, levels, draws, n_centres, track_guesses)
    weights = {f.weight for f in design.minimisation_factors}
    if design.k == 2 and design.measure is ImbalanceMeasure.RANGE and len(weights) == 1:
        return _minimisation_two_arm_range(design, levels, draws, n_centres, track_guesses)
    return _minimisation_general(design, levels, draws, n_centres, track_guesses)


def _pick_by_counts(
    u: FloatArray, cum: list[IntArray] | list[int], total: IntArray | int
) -> IntArray:
    """Vectorised `draws.pick_by_counts`: cum[a] is the running sum of the weights to arm a."""
    j = np.minimum(np.floor(u * total), np.asarray(total) - 1)
    arm = np.zeros(u.shape, dtype=np.int8)
    for bound in cum[:-1]:
        arm += j >= bound
    return arm


def _random_arms(design: Design, u1: FloatArray) -> IntArray:
    running = np.cumsum(design.ratios).tolist()
    return _pick_by_counts(u1, running, design.total_ratio)


def _simple(design: Design, draws: FloatArray, track: bool) -> EngineResult:
    arms = _random_arms(design, draws[:, 1, :]).astype(np.int8)
    correct = int(np.count_nonzero(arms == design.tie_guess)) if track else 0
    return EngineResult(arms, correct)


def _layout(design: Design, n_centres: int, trials: int) -> tuple[int, int, NDArray[np.int32]]:
    """(factor columns used, levels in all, base index (columns, trials) of each trial's levels)."""
    specs = design.minimisation_factors
    sizes = level_counts(design, specs, n_centres)
    total = sum(sizes)
    offsets = np.cumsum([0, *sizes[:-1]]).astype(np.int32)
    base = np.arange(trials, dtype=np.int32)[None, :] * np.int32(total) + offsets[:, None]
    return len(specs), total, base


def _minimisation_two_arm_range(
    design: Design, levels: IntArray, draws: FloatArray, n_centres: int, track: bool
) -> EngineResult:
    n, _, t = levels.shape
    nf, g, base = _layout(design, n_centres, t)
    s0, s1 = design.scale
    total_ratio, r0 = design.total_ratio, design.ratios[0]
    c_pref0, c_pref1 = design.cumulative[0][0], design.cumulative[1][0]
    guess_on_tie = design.tie_guess == 1
    dtype = np.int16 if n * max(s0, s1) < 30000 else np.int32
    diff = np.zeros(t * g, dtype=dtype)  # s0 * count0 - s1 * count1 per (trial, level)
    step0, step1 = dtype(s0), dtype(-s1)
    arms = np.empty((n, t), dtype=np.int8)
    correct = 0
    for i in range(n):
        u0, u1 = draws[i, 0], draws[i, 1]
        idx = base + levels[i, :nf]
        d = diff[idx]
        if i < design.initial_random:
            arm = u1 * total_ratio >= r0
            guess: NDArray[np.bool_] | bool = guess_on_tie
        else:
            if s0 == s1:
                # |d + 1| - |d - 1| = 2 sign(d) on integers: the sign of total(0) - total(1)
                sc = np.sign(d).sum(axis=0, dtype=np.int32)
            else:
                sc = (np.abs(d + s0) - np.abs(d - s1)).sum(axis=0, dtype=np.int32)
            tie = sc == 0
            # u0 * R >= r0 is pick_by_counts(u0, [r0, r1]) == 1 (floor and clamp change nothing)
            prefer1 = (sc > 0) | (tie & (u0 * total_ratio >= r0))
            arm = u1 >= np.where(prefer1, c_pref1, c_pref0)
            guess = (sc > 0) | (tie & guess_on_tie) if track else False
        diff[idx] = d + np.where(arm, step1, step0)
        arms[i] = arm
        if track:
            correct += int(np.count_nonzero(arm == guess))
    return EngineResult(arms, correct)


def _minimisation_general(
    design: Design, levels: IntArray, draws: FloatArray, n_centres: int, track: bool
) -> EngineResult:
    n, _, t = levels.shape
    k = design.k
    nf, g, base = _layout(design, n_centres, t)
    base_k = base * np.int32(k)
    scale = np.array(design.scale, dtype=np.int64)
    ratios = np.array(design.ratios, dtype=np.int64)[:, None]
    weights = [f.weight for f in design.minimisation_factors]
    denominator = design.denominator
    tolerance = design.tie_tolerance
    cumulative = np.array(design.cumulative, dtype=np.float64)
    guess_key = np.array([r * (k + 1) + (k - a) for a, r in enumerate(design.ratios)])[:, None]
    counts = np.zeros(t * g * k, dtype=np.int64)  # scaled counts per (trial, level, arm)
    arms = np.empty((n, t), dtype=np.int8)
    correct = 0
    for i in range(n):
        u0, u1 = draws[i, 0], draws[i, 1]
        idx = base_k + levels[i, :nf].astype(np.int32) * np.int32(k)
        current = [counts[idx + a] for a in range(k)]
        if i < design.initial_random:
            arm = _random_arms(design, u1)
            guess: IntArray | int = design.tie_guess
        else:
            totals = np.empty((k, t), dtype=np.float64)
            for candidate in range(k):
                after = list(current)
                after[candidate] = current[candidate] + scale[candidate]
                score = _scores(design.measure, after, denominator)
                total = np.zeros(t, dtype=np.float64)
                for f in range(nf):
                    total += weights[f] * score[f]
                totals[candidate] = total
            tied = totals <= totals.min(axis=0) + tolerance
            tie_weights = tied * ratios
            chosen = _pick_by_counts(
                u0, list(np.cumsum(tie_weights, axis=0)), tie_weights.sum(axis=0)
            )
            arm = _pick_by_cumulative(u1, cumulative[chosen].T)
            guess = np.argmax(tied * guess_key, axis=0)
        flat = idx + arm.astype(np.int32)
        counts[flat] += scale[arm]
        arms[i] = arm
        if track:
            correct += int(np.count_nonzero(arm == guess))
    return EngineResult(arms, correct)


def _scores(
    measure: ImbalanceMeasure, after: list[NDArray[np.int64]], denominator: int
) -> FloatArray:
    """Per factor (rows) and trial (columns): `steps.factor_score` of `steps.raw_imbalance`."""
    stacked = np.stack(after)  # (arms, factors, trials), exact integers
    if measure is ImbalanceMeasure.RANGE:
        raw: NDArray[np.int64] = stacked.max(axis=0) - stacked.min(axis=0)
    else:
        total: NDArray[np.int64] = stacked.sum(axis=0)
        raw = len(after) * (stacked * stacked).sum(axis=0) - total * total
    value: FloatArray = raw / denominator
    if measure is ImbalanceMeasure.SD:
        root: FloatArray = np.sqrt(value)
        return root
    return value


def _pick_by_cumulative(u: FloatArray, bounds: FloatArray) -> IntArray:
    """Vectorised `draws.pick_by_cumulative`; bounds (arms, trials)."""
    arm = np.zeros(u.shape, dtype=np.int8)
    for row in bounds[:-1]:
        arm += u >= row
    return arm


def _blocks(
    design: Design, levels: IntArray, draws: FloatArray, n_centres: int, track: bool
) -> EngineResult:
    n, _, t = levels.shape
    k = design.k
    specs = design.strata_factors
    sizes = level_counts(design, specs, n_centres)
    strata = int(np.prod(sizes))
    strides = np.cumprod([1, *sizes[:-1]]).astype(np.int32)[:, None]
    trial_base = np.arange(t, dtype=np.int32) * np.int32(strata)
    block_sizes = np.array(design.block_sizes, dtype=np.int32)
    nb = len(design.block_sizes)
    ratios = design.ratios
    total_ratio = design.total_ratio
    size_of = np.zeros(t * strata, dtype=np.int32)
    filled = np.zeros(t * strata, dtype=np.int32)
    in_block = [np.zeros(t * strata, dtype=np.int32) for _ in range(k)]
    arms = np.empty((n, t), dtype=np.int8)
    correct = 0
    nf = len(specs)
    for i in range(n):
        u0, u1 = draws[i, 0], draws[i, 1]
        flat = trial_base + (levels[i, :nf] * strides).sum(axis=0, dtype=np.int32)
        size = size_of[flat]
        fill = filled[flat]
        new = (size == 0) | (fill >= size)
        pick = np.minimum(np.floor(u0 * nb), nb - 1).astype(np.intp)
        size = np.where(new, block_sizes[pick], size)
        fill = np.where(new, 0, fill)
        unit = size // total_ratio
        before = [np.where(new, 0, c[flat]) for c in in_block]
        remaining = [unit * r - c for r, c in zip(ratios, before, strict=True)]
        arm = _pick_by_counts(u1, list(np.cumsum(remaining, axis=0)), size - fill)
        size_of[flat] = size
        filled[flat] = fill + 1
        for a in range(k):
            in_block[a][flat] = before[a] + (arm == a)
        arms[i] = arm
        if track:
            correct += int(np.count_nonzero(arm == np.argmax(remaining, axis=0)))
    return EngineResult(arms, correct)
