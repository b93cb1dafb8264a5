"""Known properties of the methods, checked on simulated trials (not trial data).

Monte Carlo tolerances are stated per test: 4 standard errors unless said otherwise, so a correct
implementation fails about once in 16,000 runs, and seeds are fixed so runs are reproducible.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from smallerize import Arm, Factor, Minimizer

from cairo6.protocol import Protocol, RandomizationMethod
from cairo6.randomization import (
    GeneratorDrawSource,
    allocate,
    design_from_protocol,
    empty_state,
    run_vectorised,
    simulate,
)
from cairo6.randomization.sequential import level_mappings
from tests.randomization.conftest import build, random_inputs


def _one_factor(raw: dict[str, Any]) -> None:
    raw["randomization"]["factors"] = raw["randomization"]["factors"][:1]
    raw["randomization"]["p"] = 1.0


def _running_level_imbalance(levels: np.ndarray, arms: np.ndarray, n_levels: int) -> np.ndarray:
    """max over levels and patients of |n_A - n_B| within the level, per trial."""
    step = np.where(arms == 0, 1, -1)
    worst = np.zeros(arms.shape[1], dtype=np.int64)
    for level in range(n_levels):
        running = np.cumsum(np.where(levels == level, step, 0), axis=0)
        worst = np.maximum(worst, np.abs(running).max(axis=0))
    return worst


def test_p1_single_factor_keeps_every_level_within_one() -> None:
    # Pocock & Simon (1975) with p = 1 and one factor allocates to the arm behind at the
    # patient's level, so each level's |n_A - n_B| never exceeds 1 at any point.
    design = design_from_protocol(build(_one_factor))
    levels, draws = random_inputs(design, patients=200, trials=2000, seed=21)
    arms = run_vectorised(design, levels, draws).arms
    assert _running_level_imbalance(levels[:, 0, :], arms, 2).max() == 1
    # the same check fails for p = 0.8, so it is not vacuous
    loose = design_from_protocol(build(_one_factor), p=0.8)
    arms = run_vectorised(loose, levels, draws).arms
    assert _running_level_imbalance(levels[:, 0, :], arms, 2).max() > 1
    # and the live path, checked on its own state after every allocation
    source = GeneratorDrawSource(np.random.default_rng(22))
    for trial in range(3):
        state = empty_state(design)
        for patient in level_mappings(design, levels, trial):
            _, state = allocate(design, state, patient, source)
            for per_arm in state.level_counts["pci"].values():
                assert abs(per_arm[0] - per_arm[1]) <= 1


def test_allocation_ratio_converges_to_2_1_1(three_arm_211: Protocol) -> None:
    # Target shares 1/2, 1/4, 1/4. Tolerance: 4 standard errors of the mean share over trials,
    # plus 1/n for the known finite-sample drift of biased-coin minimisation with unequal
    # ratios (the first allocations favour the larger arm; Kuznetsova & Tymofyeyev, Stat Med
    # 2012;31:701-723), which shrinks like 1/n.
    design = design_from_protocol(three_arm_211)
    n, trials = 240, 4000
    levels = np.concatenate(
        [random_inputs(design, n, trials, seed=23)[0], np.zeros((n, 1, trials), np.int8)], axis=1
    )
    levels[:, -1, :] = np.random.default_rng(24).integers(0, 3, size=(n, trials))
    draws = np.random.default_rng(25).random((n, 2, trials))
    arms = run_vectorised(design, levels, draws, n_centres=3).arms
    shares = np.stack([(arms == a).mean(axis=0) for a in range(3)])  # (arms, trials)
    target = np.array([0.5, 0.25, 0.25])
    se = shares.std(axis=1, ddof=1) / math.sqrt(trials)
    assert np.all(np.abs(shares.mean(axis=1) - target) < 4 * se + 1 / n)
    # every trial stays close to 2:1:1 (simple randomisation: sd of a share about 0.032)
    assert shares.std(axis=1).max() < 0.01


def _binomial_mean_abs_difference(n: int) -> float:
    # E|n_A - n_B| under simple 1:1 randomisation: n_A ~ Binomial(n, 1/2); exact sum.
    return sum(abs(2 * x - n) * math.comb(n, x) for x in range(n + 1)) / 2**n


def _binomial_share_above(n: int, k: int) -> float:
    return sum(math.comb(n, x) for x in range(n + 1) if abs(2 * x - n) > k) / 2**n


def test_simple_randomisation_matches_the_binomial(cairo6: Protocol) -> None:
    # Reference: n_A ~ Binomial(n, 1/2), E|n_A - n_B| ~ sqrt(2n / pi) (Rosenberger & Lachin,
    # Randomization in Clinical Trials, 2nd ed., 2016, ch. 3); here the exact sum for n = 100.
    n, trials = 100, 20_000
    result = simulate(
        cairo6, [RandomizationMethod.SIMPLE], patients=n, trials=trials,
        rng=np.random.default_rng(26), chunk_size=7000, thresholds=(10,),
    )  # fmt: skip
    method = result.methods[0]
    values = np.repeat(*zip(*method.overall, strict=True))
    se = values.std(ddof=1) / math.sqrt(trials)
    assert abs(method.row("overall").stats.mean - _binomial_mean_abs_difference(n)) < 4 * se
    expected = _binomial_share_above(n, 10)
    se_share = math.sqrt(expected * (1 - expected) / trials)
    assert abs(method.above[0][1] - expected) < 4 * se_share
    # predictability of the largest-ratio guess is 1/2 (each allocation Bernoulli(1/2))
    assert abs(method.predictability - 0.5) < 4 * math.sqrt(0.25 / (n * trials))


@pytest.mark.parametrize(("size", "expected"), [(2, 3 / 4), (4, 17 / 24)])
def test_block_predictability_matches_blackwell_hodges(size: int, expected: float) -> None:
    # Blackwell & Hodges (Ann Math Stat 1957;28:449-460): guessing the arm with fewer
    # allocations so far in the block, a block of 2m (1:1) has m + 2^(2m-1)/C(2m, m) - 1/2
    # expected correct guesses: 1.5 of 2 for m = 1, 17/6 of 4 for m = 2.
    def one_stratum(raw: dict[str, Any]) -> None:
        raw["randomization"]["method"] = "permuted_blocks"
        raw["randomization"]["factors"] = []
        raw["randomization"]["block_sizes"] = [size]

    design = design_from_protocol(build(one_stratum))
    n, batches, per_batch = 96, 20, 500
    rng = np.random.default_rng(27 + size)
    rates = []
    for _ in range(batches):
        levels = np.zeros((n, 0, per_batch), dtype=np.int8)
        result = run_vectorised(design, levels, rng.random((n, 2, per_batch)), track_guesses=True)
        rates.append(result.correct_guesses / (n * per_batch))
    se = float(np.std(rates, ddof=1)) / math.sqrt(batches)
    assert abs(float(np.mean(rates)) - expected) < 4 * se


def test_blocks_bound_every_stratum_by_half_the_largest_block(cairo6: Protocol) -> None:
    # Permuted blocks of 2 or 4: within a stratum |n_A - n_B| <= 2 at every point, so at the end.
    result = simulate(
        cairo6,
        [RandomizationMethod.PERMUTED_BLOCKS, RandomizationMethod.SIMPLE],
        patients=120, trials=3000, rng=np.random.default_rng(28),
    )  # fmt: skip
    blocks, simple = result.methods
    assert blocks.row("stratum_worst").stats.max == 2
    assert simple.row("stratum_worst").stats.max > 2


def test_mean_imbalance_agrees_with_smallerize(cairo6: Protocol) -> None:
    # Same configuration in both: CAIRO6's four two-level factors (equally likely), two arms,
    # range, sum of factor imbalances, p = 0.8 for the preferred arm ("best_only"), ties at
    # random. The same simulated patients go to both (paired), allocations use independent
    # randomness; tolerance 4 standard errors of the mean paired difference, over 2000 trials.
    n, trials = 120, 2000
    design = design_from_protocol(cairo6)
    levels, draws = random_inputs(design, n, trials, seed=29)
    ours = run_vectorised(design, levels, draws).arms
    factors = [Factor(f.id, f.levels) for f in design.factors]
    saved = random.getstate()
    random.seed(30)  # smallerize draws from the `random` module
    try:
        theirs = np.empty_like(ours)
        for trial in range(trials):
            minimizer = Minimizer(
                factors, [Arm(a) for a in design.arms], d_imbalance_method="range",
                probability_method="best_only", preferred_p=0.8,
            )  # fmt: skip
            for i, patient in enumerate(level_mappings(design, levels, trial)):
                theirs[i, trial] = design.arms.index(minimizer.assign_participant(patient))
    finally:
        random.setstate(saved)

    def overall(arms: np.ndarray) -> np.ndarray:
        return np.abs(2 * (arms == 0).sum(axis=0) - n)

    def margin(arms: np.ndarray) -> np.ndarray:  # pci = 0-10
        at_level = levels[:, 0, :] == 0
        return np.abs(((arms == 0) & at_level).sum(axis=0) - ((arms == 1) & at_level).sum(axis=0))

    for measure in (overall, margin):
        difference = measure(ours).astype(float) - measure(theirs)
        se = difference.std(ddof=1) / math.sqrt(trials)
        assert abs(difference.mean()) < 4 * se, measure.__name__
    assert overall(ours).mean() < 3  # minimisation, not simple randomisation (about 8.7)
